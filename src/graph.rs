//! The graph: a tape of nodes over caller-owned arenas.
//!
//! Building a model records its nodes once; the values and gradients of
//! parameters and activations live in slices carved out of one caller-owned
//! arena (an array, a `static`, or a heap buffer in the harness). Each
//! training step writes a new batch into the input node, replays the tape
//! forward and walks it backward.

mod build;
mod build2d;
mod build_loss;
mod mode;
mod regularize;
mod run;

use crate::error::Error;
use crate::float::Float;
use crate::io::SafeTensors;
use crate::ops::{Op, ParamInfo};
use crate::rng::Rng;
use crate::shape::{NodeId, Param, Shape, Var};
use crate::tape::{Listing, Node};

/// How many scalars of each kind a graph holds; see [`Layout::arena_len`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Parameter scalars.
    pub params: usize,
    /// Activation scalars (inputs, targets, every op's output).
    pub values: usize,
    /// Whether gradients are kept (training) or not (inference only).
    pub grads: bool,
}

impl Layout {
    /// Arena length: `(params + values)`, twice over when gradients are kept.
    pub const fn arena_len(&self) -> usize {
        (self.params + self.values) * if self.grads { 2 } else { 1 }
    }
}

/// A static computation graph: a tape and the arenas it computes in.
pub struct Graph<'a, T: Float> {
    tape: &'a mut [Node],
    nodes: usize,
    params: &'a mut [T],
    param_grads: &'a mut [T],
    /// Parameters left in a safetensors buffer (flash), when not in `params`.
    weights: Option<SafeTensors<'a>>,
    params_used: usize,
    values: &'a mut [T],
    grads: &'a mut [T],
    values_used: usize,
    batch: usize,
    rows: usize,
    layer: u16,
    /// Training mode: dropout masks are drawn (see [`Graph::set_training`]).
    training: bool,
    /// Whether the graph keeps gradients (else dropout records nothing).
    keeps_grads: bool,
    /// The generator of dropout masks.
    dropout_rng: Rng,
}

impl<'a, T: Float> Graph<'a, T> {
    /// An empty graph on `tape` and the first `layout.arena_len()` elements of `arena`.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `arena` is shorter than the layout needs.
    pub fn new(tape: &'a mut [Node], arena: &'a mut [T], layout: Layout) -> Result<Self, Error> {
        let needed = layout.arena_len();
        if arena.len() < needed {
            return Err(Error::BufferTooSmall {
                what: "arena",
                needed,
                got: arena.len(),
            });
        }
        let (params, rest) = arena.split_at_mut(layout.params);
        let (values, rest) = rest.split_at_mut(layout.values);
        let (param_grads, rest) = rest.split_at_mut(if layout.grads { layout.params } else { 0 });
        let grads = rest.split_at_mut(if layout.grads { layout.values } else { 0 }).0;
        Ok(Graph {
            tape,
            nodes: 0,
            params,
            param_grads,
            weights: None,
            params_used: 0,
            values,
            grads,
            values_used: 0,
            batch: 0,
            rows: 0,
            layer: 0,
            training: layout.grads,
            keeps_grads: layout.grads,
            dropout_rng: Rng::new(mode::DROPOUT_SEED),
        })
    }

    /// An inference-only graph whose parameters stay in a safetensors buffer
    /// (e.g. `include_bytes!` in flash) and are read in place, never copied;
    /// `arena` holds only the `values` activation scalars. Each parameter is
    /// looked up by name when recorded and must have `T`'s dtype.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `arena` is shorter than `values`.
    pub fn with_weights(
        tape: &'a mut [Node],
        arena: &'a mut [T],
        values: usize,
        weights: SafeTensors<'a>,
    ) -> Result<Self, Error> {
        let mut g = Graph::new(
            tape,
            arena,
            Layout {
                params: 0,
                values,
                grads: false,
            },
        )?;
        g.weights = Some(weights);
        Ok(g)
    }

    /// The weights parameters are read from in place, if any.
    pub(crate) fn weights(&self) -> Option<SafeTensors<'a>> {
        self.weights
    }

    /// The recorded nodes, mutable (for binding parameters to weights).
    pub(crate) fn tape_mut(&mut self) -> &mut [Node] {
        self.tape.get_mut(..self.nodes).unwrap_or(&mut [])
    }

    /// The recorded nodes.
    pub fn nodes(&self) -> &[Node] {
        self.tape.get(..self.nodes).unwrap_or(&[])
    }

    /// A `Display` listing of the tape, one node a line.
    pub fn listing(&self) -> Listing<'_> {
        Listing { nodes: self.nodes() }
    }

    /// The batch size shared by the graph's batched tensors (0 before the first).
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Valid rows of the current batch.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Sets how many rows of the current batch are valid (the last batch of an
    /// epoch may be partial); ops and losses only see these rows.
    ///
    /// # Errors
    /// [`Error::RowsOutOfRange`] unless `1 ≤ rows ≤ batch`.
    pub fn set_rows(&mut self, rows: usize) -> Result<(), Error> {
        if rows == 0 || rows > self.batch {
            return Err(Error::RowsOutOfRange {
                rows,
                batch: self.batch,
            });
        }
        self.rows = rows;
        Ok(())
    }

    /// All parameter values, in tape order.
    pub fn params(&self) -> &[T] {
        self.params.get(..self.params_used).unwrap_or(&[])
    }

    /// All parameter values, mutable.
    pub fn params_mut(&mut self) -> &mut [T] {
        self.params.get_mut(..self.params_used).unwrap_or(&mut [])
    }

    /// All parameter gradients (empty for an inference-only graph).
    pub fn param_grads(&self) -> &[T] {
        self.param_grads.get(..self.params_used).unwrap_or(&[])
    }

    /// Parameter values and gradients together, for an optimiser.
    pub fn params_and_grads(&mut self) -> (&mut [T], &[T]) {
        let n = self.params_used;
        let p = self.params.get_mut(..n).unwrap_or(&mut []);
        (p, self.param_grads.get(..n).unwrap_or(&[]))
    }

    /// Parameter gradients, mutable (to sum replicas' gradients, or clip them).
    pub fn param_grads_mut(&mut self) -> &mut [T] {
        self.param_grads.get_mut(..self.params_used).unwrap_or(&mut [])
    }

    /// Sets every parameter gradient to zero.
    pub fn zero_grad(&mut self) {
        self.param_grads_mut().fill(T::ZERO);
    }

    /// Draws every parameter from its layer's [`Init`](crate::Init), in tape order.
    pub fn init_params(&mut self, rng: &mut Rng) {
        let Graph {
            tape, nodes, params, ..
        } = self;
        for node in tape.iter().take(*nodes) {
            if let (Op::Param(p), Some(out)) = (node.op, params.get_mut(node.range())) {
                p.init.fill(p.kind, p.fan_in as usize, p.fan_out as usize, out, rng);
            }
        }
    }

    /// The parameter nodes, in tape order, with their values.
    pub fn param_tensors(&self) -> impl Iterator<Item = (&Node, ParamInfo, &[T])> + Clone + '_ {
        self.nodes().iter().filter_map(|n| match n.op {
            Op::Param(p) => Some((n, p, self.params.get(n.range()).unwrap_or(&[]))),
            _ => None,
        })
    }

    /// The whole batch buffer of an input node (all `B` rows), to write into.
    pub fn input_mut<const B: usize, S: Shape>(&mut self, x: Var<B, S>) -> &mut [T] {
        let range = self.node(x.id).map(|n| n.range()).unwrap_or(0..0);
        self.values.get_mut(range).unwrap_or(&mut [])
    }

    /// Copies `data` into the first rows of an input node and checks it is finite.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `data` is not a whole number of rows of at
    /// most `B` rows; [`Error::NonFinite`] naming the first NaN or infinity.
    pub fn set_input<const B: usize, S: Shape>(&mut self, x: Var<B, S>, data: &[T]) -> Result<(), Error> {
        self.set_named_input(x, data, "input")
    }

    /// [`Graph::set_input`], naming the tensor (`"target"`, …) in errors.
    pub(crate) fn set_named_input<const B: usize, S: Shape>(
        &mut self,
        x: Var<B, S>,
        data: &[T],
        what: &'static str,
    ) -> Result<(), Error> {
        if data.len() > B * S::SIZE || !data.len().is_multiple_of(S::SIZE.max(1)) {
            return Err(Error::LengthMismatch {
                what,
                expected: B * S::SIZE,
                got: data.len(),
            });
        }
        if let Some(index) = first_non_finite(data) {
            return Err(Error::NonFinite { what, index });
        }
        let buf = self.input_mut(x);
        buf.iter_mut().zip(data).for_each(|(b, &d)| *b = d);
        Ok(())
    }

    /// The values of a node's valid rows after `forward`.
    pub fn value<const B: usize, S: Shape>(&self, x: Var<B, S>) -> &[T] {
        self.node_values(x.id)
    }

    /// The gradient of a node's valid rows after `backward` (empty unless a
    /// parameter or an input made with [`Graph::input_with_grad`] lies upstream).
    pub fn grad<const B: usize, S: Shape>(&self, x: Var<B, S>) -> &[T] {
        let Some(n) = self.node(x.id).filter(|n| n.needs_grad) else {
            return &[];
        };
        let start = n.offset as usize;
        self.grads.get(start..start + n.len_for(self.rows)).unwrap_or(&[])
    }

    /// A parameter's values.
    pub fn param_values<S: Shape>(&self, p: Param<S>) -> &[T] {
        self.node_values(p.id)
    }

    /// A parameter's values, mutable.
    pub fn param_values_mut<S: Shape>(&mut self, p: Param<S>) -> &mut [T] {
        let range = self
            .node(p.id)
            .filter(|n| n.is_param())
            .map(|n| n.range())
            .unwrap_or(0..0);
        self.params.get_mut(range).unwrap_or(&mut [])
    }

    /// A parameter's accumulated gradient.
    pub fn param_grad<S: Shape>(&self, p: Param<S>) -> &[T] {
        let range = self
            .node(p.id)
            .filter(|n| n.is_param())
            .map(|n| n.range())
            .unwrap_or(0..0);
        self.param_grads.get(range).unwrap_or(&[])
    }

    pub(crate) fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes().get(id as usize)
    }

    pub(crate) fn node_values(&self, id: NodeId) -> &[T] {
        let Some(n) = self.node(id) else { return &[] };
        let store: &[T] = if n.is_param() { self.params } else { self.values };
        let start = n.offset as usize;
        store.get(start..start + n.len_for(self.rows)).unwrap_or(&[])
    }

    /// Index of the layer the next parameters belong to (`"{layer}.weight"`).
    pub fn set_layer(&mut self, layer: usize) {
        self.layer = layer as u16;
    }

    /// The current layer index.
    pub fn layer(&self) -> usize {
        self.layer as usize
    }
}

/// The index of the first NaN or infinity in `data`: blocks are checked
/// without an early exit (so the check vectorises), then the bad block is
/// searched; a short slice is searched directly.
fn first_non_finite<T: Float>(data: &[T]) -> Option<usize> {
    const BLOCK: usize = 64;
    if data.len() <= BLOCK {
        return data.iter().position(|v| !v.is_finite());
    }
    let block = data
        .chunks(BLOCK)
        .position(|c| !c.iter().fold(true, |ok, v| ok & v.is_finite()))?;
    let start = block * BLOCK;
    let offset = data.get(start..)?.iter().position(|v| !v.is_finite())?;
    Some(start + offset)
}

#[cfg(test)]
mod tests {
    use super::first_non_finite;

    #[test]
    fn first_non_finite_finds_the_first_bad_value_in_any_block() {
        let mut data = [1.0f32; 200];
        assert_eq!(first_non_finite(&data), None);
        assert_eq!(first_non_finite::<f32>(&[]), None);
        for at in [0, 1, 63, 64, 65, 127, 199] {
            let mut d = data;
            d[at] = f32::NAN;
            d[199] = f32::INFINITY;
            assert_eq!(first_non_finite(&d), Some(at), "NaN at {at}");
        }
        data[150] = f32::NEG_INFINITY;
        assert_eq!(first_non_finite(&data), Some(150));
        // short slices take the direct search
        assert_eq!(first_non_finite(&data[140..160]), Some(10));
        assert_eq!(first_non_finite(&data[..64]), None);
    }
}
