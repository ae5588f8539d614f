//! `Conv1d`: a 1-D convolution with bias, in PyTorch's layout.

use super::{Model, Module};
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::init::{Init, ParamKind};
use crate::shape::{Rank1, Rank2, Rank3, Var};
use core::fmt;

/// A 1-D convolution from `C_IN` channels of length `L_IN` to `C_OUT` channels
/// of length `L_OUT`, kernel `K`, stride `S` (default 1), with bias.
///
/// Stable Rust cannot compute `L_OUT` in a type, so it is a parameter that a
/// compile-time assertion checks: `L_OUT == (L_IN − K) / S + 1`. The weight is
/// `[C_OUT][C_IN][K]` and the data `[batch][channels][length]`, as PyTorch's
/// `nn.Conv1d`, so a following `Flatten` gives PyTorch's order.
///
/// A wrong output length does not compile:
///
/// ```compile_fail
/// use flambeau::{Conv1d, Graph, Layout, Module, Node, Rank2};
/// let mut tape = [Node::EMPTY; 8];
/// let mut arena = [0.0f32; 4096];
/// let layout = Layout { params: 1024, values: 1024, grads: true };
/// let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
/// let x = g.input::<1, Rank2<1, 16>>().unwrap();
/// let _ = Conv1d::<1, 4, 3, 16, 15>::new().build(&mut g, x); // should be 14
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conv1d<
    const C_IN: usize,
    const C_OUT: usize,
    const K: usize,
    const L_IN: usize,
    const L_OUT: usize,
    const S: usize = 1,
> {
    /// How the weight (and bias) are initialised.
    pub init: Init,
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize>
    Conv1d<CI, CO, K, LI, LO, S>
{
    /// A layer with PyTorch's default initialisation.
    pub const fn new() -> Self {
        Conv1d {
            init: Init::TorchDefault,
        }
    }

    /// A layer with the given initialisation.
    pub const fn with_init(init: Init) -> Self {
        Conv1d { init }
    }
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize>
    Module<Rank2<CI, LI>> for Conv1d<CI, CO, K, LI, LO, S>
{
    type Output = Rank2<CO, LO>;
    const PARAMS: usize = CO * CI * K + CO;
    const ACTIVATIONS: usize = CO * LO;
    const NODES: usize = 3;
    const OPS: u64 = crate::ops::kinds::PARAM | crate::ops::kinds::CONV1D;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank2<CI, LI>>,
    ) -> Result<Var<B, Rank2<CO, LO>>, Error> {
        let w = g.param::<Rank3<CO, CI, K>>(ParamKind::Weight, self.init, CI * K, CO * K)?;
        let b = g.param::<Rank1<CO>>(ParamKind::Bias, self.init, CI * K, CO * K)?;
        g.conv1d::<B, CI, CO, K, LI, LO, S>(x, w, b)
    }
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize> Model
    for Conv1d<CI, CO, K, LI, LO, S>
{
    type Input = Rank2<CI, LI>;
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize> fmt::Display
    for Conv1d<CI, CO, K, LI, LO, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Conv1d({CI},{CO},k={K}")?;
        if S != 1 {
            write!(f, ",stride={S}")?;
        }
        f.write_str(")")
    }
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize> super::Describe
    for Conv1d<CI, CO, K, LI, LO, S>
{
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
