//! Replaying the tape: forward in recording order, backward in reverse.
//! This is the only place that looks up buffers, trims batches to their
//! valid rows, saturates results and accumulates gradients (`+=`, so a
//! parameter used twice collects both contributions). The one exception is
//! a dense layer's weight gradient on a desktop core, which its kernel
//! saturates as it stores it, and writes from zero on a training step's
//! first contribution ([`Graph::backward_from_zero`]), then, in a plain
//! SGD step, applies to the weight itself ([`Graph::backward_sgd`]): same
//! bits, fewer passes over the largest gradients and parameters.

use super::Graph;
use crate::error::Error;
use crate::float::{Float, saturate_all};
use crate::ops::gemm::SgdStep;
use crate::ops::{self, Op, Src};
use crate::optim::sgd_update;
use crate::shape::NodeId;
use crate::shape::Scalar;
use crate::tape::Node;

/// Clears the valid rows of the gradients that a walk over `tape` reads or
/// leaves for the caller but never writes: those of the values that need one
/// and that no node of the walk takes as input (the loss among them). Every
/// other gradient is cleared, or written fresh, by the first edge that
/// reaches it ([`first_use`], [`ops::backward_first`]).
#[inline(never)]
fn zero_unreached_grads<T: Float>(tape: &[Node], grads: &mut [T], rows: usize) {
    for (id, n) in tape.iter().enumerate().filter(|(_, n)| n.needs_grad && !n.is_param()) {
        let start = n.offset as usize;
        if first_use(tape, id as NodeId).is_some() {
            continue;
        }
        if let Some(g) = grads.get_mut(start..start + n.len_for(rows)) {
            g.fill(T::ZERO);
        }
    }
}

/// The first edge of the backward walk over `tape` (reverse order, inputs in
/// order) that carries a gradient to node `id`: the node and input index.
fn first_use(tape: &[Node], id: NodeId) -> Option<(usize, usize)> {
    let (j, node) = tape
        .iter()
        .enumerate()
        .rev()
        .find(|(_, n)| n.needs_grad && n.inputs().contains(&id))?;
    Some((j, node.inputs().iter().position(|&i| i == id)?))
}

/// Gradient stores up to this many values are cleared whole before a backward walk.
const SMALL_STORE: usize = 1 << 14;

/// The valid part of a node's values: parameters whole, batches trimmed to `rows`.
fn view<'v, T>(n: &Node, params: &'v [T], values: &'v [T], rows: usize) -> &'v [T] {
    let store = if n.is_param() { params } else { values };
    let start = n.offset as usize;
    store.get(start..start + n.len_for(rows)).unwrap_or(&[])
}

/// As [`view`], reading parameters from a safetensors data section when the graph has one.
#[inline]
fn source<'v, T: Float>(
    n: &Node,
    params: &'v [T],
    flash: Option<&'v [u8]>,
    values: &'v [T],
    rows: usize,
) -> Src<'v, T> {
    match flash {
        Some(bytes) if n.is_param() => {
            let (start, size) = (n.offset as usize, T::DTYPE.size());
            Src::Bytes(bytes.get(start..start + n.len() * size).unwrap_or(&[]))
        }
        _ => Src::Vals(view(n, params, values, rows)),
    }
}

impl<T: Float> Graph<'_, T> {
    /// Computes every node, in recording order.
    pub fn forward(&mut self) {
        self.forward_range(0, self.nodes);
    }

    /// Computes nodes `start..end` (e.g. up to a model's output, skipping its loss).
    pub fn forward_range(&mut self, start: usize, end: usize) {
        self.forward_range_in::<ops::AllOps>(start, end);
    }

    /// Whether every op recorded so far is of the set `ops` ([`Op::kind`] bits).
    pub(crate) fn ops_within(&self, ops: u64) -> bool {
        self.tape.iter().take(self.nodes).all(|n| ops & n.op.kind() != 0)
    }

    /// [`Graph::forward_range`] for a tape whose ops are all of the set `S`:
    /// only their forward code is linked ([`ops::forward_in`]).
    pub(crate) fn forward_range_in<S: ops::OpSet>(&mut self, start: usize, end: usize) {
        let Graph {
            tape,
            nodes,
            params,
            weights,
            values,
            rows,
            training,
            dropout_rng,
            ..
        } = self;
        let (rows, params, flash) = (*rows, &**params, weights.map(|w| w.data()));
        let tape = tape.get(..*nodes).unwrap_or(&[]);
        for node in tape.iter().take(end).skip(start) {
            if node.op.arity() == 0 {
                continue;
            }
            if let (Op::Dropout { p_bits }, Some(mask)) = (node.op, tape.get(node.inputs[1] as usize)) {
                let range = mask.offset as usize..mask.offset as usize + mask.len_for(rows);
                Self::fill_dropout_mask(values, range, p_bits, training.then_some(&mut *dropout_rng));
            }
            let (before, after) = values.split_at_mut((node.offset as usize).min(values.len()));
            let src = |i: NodeId| {
                tape.get(i as usize)
                    .map_or(Src::Vals(&[]), |n| source(n, params, flash, before, rows))
            };
            let [a, b, c] = node.inputs;
            let ins = [src(a), src(b), src(c)];
            let Some(out) = after.get_mut(..node.len_for(rows)) else {
                continue;
            };
            ops::forward_in::<T, S>(&node.op, ins, out);
            saturate_all(out);
        }
    }

    /// The value of a scalar node after `forward`.
    ///
    /// # Errors
    /// [`Error::NotAScalar`] when the handle does not name a scalar of this graph.
    pub fn scalar(&self, s: Scalar) -> Result<T, Error> {
        match self.node(s.id) {
            Some(n) if n.len == 1 && n.batch == 0 => Ok(self.values.get(n.offset as usize).copied().unwrap_or(T::ZERO)),
            _ => Err(Error::NotAScalar { node: s.id as usize }),
        }
    }

    /// Adds `∂loss/∂p` to every parameter gradient, walking the tape backward
    /// from `loss` (call [`Graph::zero_grad`] first unless accumulating).
    ///
    /// # Errors
    /// [`Error::NoGradients`] for an inference-only graph; [`Error::NotAScalar`]
    /// when `loss` is not a scalar of this graph.
    pub fn backward(&mut self, loss: Scalar) -> Result<(), Error> {
        self.walk_backward(loss, false, None)
    }

    /// [`Graph::zero_grad`] then [`Graph::backward`], to the same bits, with
    /// fewer passes over memory: a parameter gradient whose first
    /// contribution in the walk has a one-pass form (a dense layer's weight on
    /// a desktop core) is written by it instead of being cleared first. This is
    /// what a training step calls.
    ///
    /// # Errors
    /// As [`Graph::backward`].
    pub fn backward_from_zero(&mut self, loss: Scalar) -> Result<(), Error> {
        if !ops::TILED {
            // Microcontrollers: no one-pass forms, so the plain clear.
            self.zero_grad();
            return self.walk_backward(loss, false, None);
        }
        self.clear_unwritten_param_grads(loss)?;
        self.walk_backward(loss, true, None)
    }

    /// [`Graph::backward_from_zero`] then one plain SGD update of every
    /// parameter, `p ← p − lr ∂p` saturated ([`Sgd`](crate::optim::Sgd)),
    /// to the same bits and with the same gradients left in
    /// [`Graph::param_grads`]. On a desktop core a weight whose only reader
    /// is a dense layer takes its update inside the walk, as its gradient is
    /// written (for a single row, in the same pass over memory); the other
    /// parameters after the walk. This is what [`Trainer::step`](crate::Trainer::step)
    /// calls for an optimiser whose [`plain_sgd`](crate::optim::Optimizer::plain_sgd)
    /// is `Some`.
    ///
    /// # Errors
    /// As [`Graph::backward`]; on an error no parameter has changed.
    pub fn backward_sgd(&mut self, loss: Scalar, lr: T) -> Result<(), Error> {
        if !ops::TILED {
            self.backward_from_zero(loss)?;
            let (params, grads) = self.params_and_grads();
            sgd_update(params, grads, lr);
            return Ok(());
        }
        self.clear_unwritten_param_grads(loss)?;
        self.walk_backward(loss, true, Some(lr))?;
        let Graph {
            tape,
            nodes,
            params,
            param_grads,
            ..
        } = self;
        let walked = walked(tape, *nodes, loss);
        for (id, n) in tape.iter().enumerate().take(*nodes).filter(|(_, n)| n.is_param()) {
            if updates_in_walk(walked, id as NodeId) {
                continue;
            }
            let (Some(ps), Some(gs)) = (params.get_mut(n.range()), param_grads.get(n.range())) else {
                continue;
            };
            sgd_update(ps, gs, lr);
        }
        Ok(())
    }

    /// Clears the parameter gradients that the walk will not write in one pass
    /// ([`Graph::backward_from_zero`] on a desktop core).
    fn clear_unwritten_param_grads(&mut self, loss: Scalar) -> Result<(), Error> {
        if self.grads.is_empty() {
            return Err(Error::NoGradients);
        }
        let Graph {
            tape,
            nodes,
            param_grads,
            ..
        } = self;
        let walked = walked(tape, *nodes, loss);
        for (id, p) in tape.iter().enumerate().take(*nodes).filter(|(_, n)| n.is_param()) {
            let first = first_use(walked, id as NodeId);
            let written = first.is_some_and(|(j, k)| walked.get(j).is_some_and(|n| ops::finishes(&n.op, k)));
            if let Some(g) = param_grads.get_mut(p.range()).filter(|_| !written) {
                g.fill(T::ZERO);
            }
        }
        Ok(())
    }

    /// The backward walk; `fresh_params`: the parameter gradients that
    /// [`Graph::backward_from_zero`] left uncleared are written, not added to;
    /// `sgd`: the learning rate of the update [`Graph::backward_sgd`] applies
    /// in the walk to the weights of [`updates_in_walk`].
    fn walk_backward(&mut self, loss: Scalar, fresh_params: bool, sgd: Option<T>) -> Result<(), Error> {
        if self.grads.is_empty() {
            return Err(Error::NoGradients);
        }
        let start = self
            .node(loss.id)
            .filter(|n| n.len == 1 && n.batch == 0)
            .ok_or(Error::NotAScalar { node: loss.id as usize })?;
        let seed = start.offset as usize;
        let Graph {
            tape,
            params,
            param_grads,
            values,
            grads,
            values_used,
            rows,
            ..
        } = self;
        let (rows, params, values): (usize, &mut [T], &[T]) = (*rows, params, values);
        // The gradients this walk reads and accumulates into start at zero. A small store (and
        // every store on a microcontroller) is cleared in one pass, cheaper than visiting the
        // nodes; in a large one each gradient is cleared, or written fresh, by its first edge.
        let by_edge = ops::TILED && *values_used > SMALL_STORE;
        if by_edge {
            zero_unreached_grads(tape.get(..=loss.id as usize).unwrap_or(&[]), grads, rows);
        } else {
            grads.iter_mut().take(*values_used).for_each(|g| *g = T::ZERO);
        }
        if let Some(g) = grads.get_mut(seed) {
            *g = T::ONE;
        }
        let tape = tape.get(..=loss.id as usize).unwrap_or(&[]);
        for (j, node) in tape
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, n)| n.needs_grad && n.op.arity() > 0)
        {
            let (grads_before, grads_after) = grads.split_at_mut((node.offset as usize).min(grads.len()));
            let grad_out = grads_after.get(..node.len_for(rows)).unwrap_or(&[]);
            for (k, &input) in node.inputs().iter().enumerate() {
                let Some(src) = tape.get(input as usize).filter(|n| n.needs_grad) else {
                    continue;
                };
                let store: &mut [T] = if src.is_param() { param_grads } else { grads_before };
                let start = src.offset as usize;
                let Some(grad_in) = store.get_mut(start..start + src.len_for(rows)) else {
                    continue;
                };
                let node_input = |i: usize| -> &[T] {
                    let n = node.inputs.get(i).and_then(|&i| tape.get(i as usize));
                    n.map_or(&[][..], |n| view(n, params, values, rows))
                };
                if src.is_param() && ops::finishes(&node.op, k) {
                    let fresh = fresh_params && first_use(tape, input) == Some((j, k));
                    match sgd.filter(|_| fresh && updates_in_walk(tape, input)) {
                        Some(lr) => {
                            // The op reads only its input rows (never a parameter, by
                            // `updates_in_walk`), so the weight can be updated as it goes.
                            let x = tape
                                .get(node.inputs[0] as usize)
                                .map_or(&[][..], |n| view(n, &[], values, rows));
                            let step = params.get_mut(src.range()).map(|w| SgdStep { lr, w });
                            ops::backward_finish(&node.op, [x, &[], &[]], grad_out, grad_in, fresh, step);
                        }
                        None => {
                            let ins = [node_input(0), node_input(1), node_input(2)];
                            ops::backward_finish(&node.op, ins, grad_out, grad_in, fresh, None);
                        }
                    }
                } else {
                    let ins = [node_input(0), node_input(1), node_input(2)];
                    let out = view(node, &[], values, rows);
                    let first = by_edge && first_use(tape, input) == Some((j, k));
                    if !(first && ops::backward_first(&node.op, k, ins, out, grad_out, grad_in)) {
                        if first {
                            grad_in.fill(T::ZERO);
                        }
                        ops::backward(&node.op, k, ins, out, grad_out, grad_in);
                        saturate_all(grad_in);
                    }
                }
            }
        }
        Ok(())
    }
}

/// The nodes a backward walk from `loss` visits: the tape up to the loss.
fn walked(tape: &[Node], nodes: usize, loss: Scalar) -> &[Node] {
    tape.get(..=(loss.id as usize).min(nodes.saturating_sub(1)))
        .unwrap_or(&[])
}

/// Whether [`Graph::backward_sgd`] updates parameter `id` inside the walk
/// over `walked`: its one reader is an op that writes its gradient in one
/// pass ([`ops::finishes`]) from a first input that is not a parameter, so
/// no later step of the walk reads the weight and the op can read its input
/// while the weight is written.
fn updates_in_walk(walked: &[Node], id: NodeId) -> bool {
    let mut reader = None;
    for n in walked {
        for (k, &i) in n.inputs().iter().enumerate() {
            if i == id {
                if reader.is_some() {
                    return false;
                }
                reader = Some((n, k));
            }
        }
    }
    reader.is_some_and(|(n, k)| {
        let first = n.inputs().first().and_then(|&x| walked.get(x as usize));
        n.needs_grad && ops::finishes(&n.op, k) && first.is_some_and(|x| !x.is_param())
    })
}
