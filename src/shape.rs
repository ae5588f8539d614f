//! Shapes in types, and typed handles to the tensors of a graph.
//!
//! A [`Var<B, S>`] is a batch of `B` samples, each of shape `S`; a
//! [`Param<S>`] is a trainable tensor of shape `S`. Handles are small `Copy`
//! indices into the tape: the values live in the graph's arena.

use core::marker::PhantomData;

/// A tensor shape known at compile time.
pub trait Shape: 'static {
    /// Number of elements.
    const SIZE: usize;
    /// Dimensions, outermost first (unused trailing entries are 1).
    const DIMS: [usize; 4];
    /// Number of dimensions.
    const RANK: usize;
}

/// A scalar.
#[derive(Clone, Copy, Debug)]
pub struct Rank0;
/// A vector of `N` elements.
#[derive(Clone, Copy, Debug)]
pub struct Rank1<const N: usize>;
/// An `R × C` matrix, row-major (for a batch sample: `C` channels of length `L`).
#[derive(Clone, Copy, Debug)]
pub struct Rank2<const R: usize, const C: usize>;
/// An `A × B × C` tensor, row-major (for a batch sample: `C` channels of `H × W`).
#[derive(Clone, Copy, Debug)]
pub struct Rank3<const A: usize, const B: usize, const C: usize>;
/// An `A × B × C × D` tensor, row-major (a 2-D convolution's weight `[out][in][kh][kw]`).
#[derive(Clone, Copy, Debug)]
pub struct Rank4<const A: usize, const B: usize, const C: usize, const D: usize>;

impl Shape for Rank0 {
    const SIZE: usize = 1;
    const DIMS: [usize; 4] = [1, 1, 1, 1];
    const RANK: usize = 0;
}
impl<const N: usize> Shape for Rank1<N> {
    const SIZE: usize = N;
    const DIMS: [usize; 4] = [N, 1, 1, 1];
    const RANK: usize = 1;
}
impl<const R: usize, const C: usize> Shape for Rank2<R, C> {
    const SIZE: usize = R * C;
    const DIMS: [usize; 4] = [R, C, 1, 1];
    const RANK: usize = 2;
}
impl<const A: usize, const B: usize, const C: usize> Shape for Rank3<A, B, C> {
    const SIZE: usize = A * B * C;
    const DIMS: [usize; 4] = [A, B, C, 1];
    const RANK: usize = 3;
}
impl<const A: usize, const B: usize, const C: usize, const D: usize> Shape for Rank4<A, B, C, D> {
    const SIZE: usize = A * B * C * D;
    const DIMS: [usize; 4] = [A, B, C, D];
    const RANK: usize = 4;
}

/// Index of a node on the tape.
pub type NodeId = u16;

/// A batch of `B` samples of shape `S` on a graph.
pub struct Var<const B: usize, S: Shape> {
    pub(crate) id: NodeId,
    _shape: PhantomData<fn() -> S>,
}

/// A trainable tensor of shape `S` on a graph.
pub struct Param<S: Shape> {
    pub(crate) id: NodeId,
    _shape: PhantomData<fn() -> S>,
}

/// A scalar on a graph: what a loss returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub(crate) id: NodeId,
}

impl<const B: usize, S: Shape> Var<B, S> {
    pub(crate) const fn new(id: NodeId) -> Self {
        Var {
            id,
            _shape: PhantomData,
        }
    }

    /// The node's index on the tape.
    pub const fn id(self) -> usize {
        self.id as usize
    }

    /// The same values seen with another per-sample shape of the same size
    /// (no node, no copy: the layout is row-major either way).
    pub fn reshape<S2: Shape>(self) -> Var<B, S2> {
        const { assert!(S::SIZE == S2::SIZE, "reshape must keep the number of elements") };
        Var::new(self.id)
    }
}

impl<S: Shape> Param<S> {
    pub(crate) const fn new(id: NodeId) -> Self {
        Param {
            id,
            _shape: PhantomData,
        }
    }

    /// The node's index on the tape.
    pub const fn id(self) -> usize {
        self.id as usize
    }
}

impl Scalar {
    /// The node's index on the tape.
    pub const fn id(self) -> usize {
        self.id as usize
    }
}

impl<const B: usize, S: Shape> Clone for Var<B, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<const B: usize, S: Shape> Copy for Var<B, S> {}
impl<S: Shape> Clone for Param<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: Shape> Copy for Param<S> {}

impl<const B: usize, S: Shape> core::fmt::Debug for Var<B, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Var(#{}, {}x{:?})", self.id, B, &S::DIMS[..S::RANK])
    }
}
impl<S: Shape> core::fmt::Debug for Param<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Param(#{}, {:?})", self.id, &S::DIMS[..S::RANK])
    }
}
