//! `Trainer`: a model and its loss built once on a graph, then stepped.

use crate::error::Error;
use crate::float::Float;
use crate::footprint::Footprint;
use crate::graph::Graph;
use crate::layers::Model;
use crate::loss::Loss;
use crate::optim::{Optimizer, WeightDecay};
use crate::rng::Rng;
use crate::shape::{Scalar, Shape, Var};
use crate::tape::Node;

/// A model `M` with loss `L`, recorded on a graph of batch size `B`.
///
/// Build it once; then each step writes a batch, replays the tape forward,
/// walks it backward and lets the optimiser update the parameters.
pub struct Trainer<'a, T: Float, M: Model, L: Loss<M::Output>, const B: usize> {
    graph: Graph<'a, T>,
    model: M,
    loss_fn: L,
    input: Var<B, M::Input>,
    output: Var<B, M::Output>,
    target: Var<B, M::Output>,
    loss: Scalar,
}

impl<'a, T: Float, M: Model, L: Loss<M::Output>, const B: usize> Trainer<'a, T, M, L, B> {
    /// Records `model` and `loss` on `tape` over `arena`, which must hold
    /// [`Footprint::ARENA`] scalars (for inference only, see
    /// [`Network`](crate::Network)).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] or [`Error::TapeFull`] naming what is needed.
    pub fn new(model: M, loss_fn: L, tape: &'a mut [Node], arena: &'a mut [T]) -> Result<Self, Error> {
        let nodes = Footprint::<M, L, B>::NODES;
        if tape.len() < nodes {
            return Err(Error::TapeFull {
                capacity: tape.len(),
                needed: nodes,
            });
        }
        let mut graph = Graph::new(tape, arena, Footprint::<M, L, B>::TRAIN)?;
        let input = graph.input::<B, M::Input>()?;
        let output = model.build(&mut graph, input)?;
        let target = graph.input::<B, M::Output>()?;
        let loss = loss_fn.build(&mut graph, output, target)?;
        Ok(Trainer {
            graph,
            model,
            loss_fn,
            input,
            output,
            target,
            loss,
        })
    }

    /// The graph (parameters, tape listing, values).
    pub fn graph(&self) -> &Graph<'a, T> {
        &self.graph
    }

    /// The graph, mutable (parameters, gradients).
    pub fn graph_mut(&mut self) -> &mut Graph<'a, T> {
        &mut self.graph
    }

    /// The model description (it prints in the report's notation).
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The loss description.
    pub fn loss_fn(&self) -> &L {
        &self.loss_fn
    }

    /// Draws every parameter from its layer's initialisation scheme.
    pub fn init(&mut self, rng: &mut Rng) {
        self.graph.init_params(rng);
    }

    /// The input batch buffer (`B` rows), to fill in place before [`Trainer::set_rows`].
    pub fn input_mut(&mut self) -> &mut [T] {
        self.graph.input_mut(self.input)
    }

    /// The target batch buffer (`B` rows).
    pub fn target_mut(&mut self) -> &mut [T] {
        self.graph.input_mut(self.target)
    }

    /// Declares how many rows of the buffers hold the current batch.
    ///
    /// # Errors
    /// [`Error::RowsOutOfRange`] unless `1 ≤ rows ≤ B`.
    pub fn set_rows(&mut self, rows: usize) -> Result<(), Error> {
        self.graph.set_rows(rows)
    }

    /// Copies a batch of up to `B` rows of inputs and targets, checking that
    /// the lengths agree and every value is finite.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::NonFinite`] or [`Error::RowsOutOfRange`].
    pub fn set_batch(&mut self, inputs: &[T], targets: &[T]) -> Result<(), Error> {
        let rows = inputs.len() / <M::Input as Shape>::SIZE.max(1);
        let expected = rows * <M::Output as Shape>::SIZE;
        if targets.len() != expected {
            return Err(Error::LengthMismatch {
                what: "targets",
                expected,
                got: targets.len(),
            });
        }
        self.graph.set_input(self.input, inputs)?;
        self.graph.set_named_input(self.target, targets, "target")?;
        self.graph.set_rows(rows)
    }

    /// Runs the model on the current batch; returns the outputs of its valid rows.
    pub fn forward(&mut self) -> &[T] {
        self.graph.forward_range(0, self.target.id());
        self.graph.value(self.output)
    }

    /// Runs model and loss on the current batch; returns the loss.
    pub fn evaluate(&mut self) -> T {
        self.graph.forward();
        self.graph.scalar(self.loss).unwrap_or(T::ZERO)
    }

    /// Copies `inputs` (up to `B` rows) in and returns the model's outputs.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::NonFinite`] or [`Error::RowsOutOfRange`].
    pub fn predict(&mut self, inputs: &[T]) -> Result<&[T], Error> {
        self.graph.set_input(self.input, inputs)?;
        self.graph.set_rows(inputs.len() / <M::Input as Shape>::SIZE.max(1))?;
        Ok(self.forward())
    }

    /// Gradients of the loss on the current batch, added to the (zeroed)
    /// parameter gradients; returns the loss.
    ///
    /// # Errors
    /// [`Error::NoGradients`] for an inference-only trainer.
    pub fn compute_grads(&mut self) -> Result<T, Error> {
        let loss = self.evaluate();
        self.graph.backward_from_zero(self.loss)?;
        Ok(loss)
    }

    /// One training step on the current batch: forward, backward, update.
    /// Returns the batch loss before the update.
    ///
    /// # Errors
    /// [`Error::NoGradients`], or the optimiser's state error.
    pub fn step<O: Optimizer<T>>(&mut self, opt: &mut O) -> Result<T, Error> {
        if let Some(lr) = opt.plain_sgd() {
            // Plain SGD: each weight is updated as its gradient is finished.
            let loss = self.evaluate();
            self.graph.backward_sgd(self.loss, lr)?;
            return Ok(loss);
        }
        let loss = self.compute_grads()?;
        let (params, grads) = self.graph.params_and_grads();
        opt.step(params, grads)?;
        Ok(loss)
    }

    /// [`Trainer::step`] with regularisation: the coupled L2 and L1 terms of
    /// `decay` are added to the gradients and its decoupled term scales the
    /// parameters by `1 − lr · decoupled` before the update (AdamW). Returns
    /// the batch loss before the update, without the penalty (see
    /// [`Graph::penalty`]).
    ///
    /// # Errors
    /// As [`Trainer::step`].
    pub fn step_with_decay<O: Optimizer<T>>(&mut self, opt: &mut O, decay: &WeightDecay) -> Result<T, Error> {
        let loss = self.compute_grads()?;
        self.graph.add_penalty_grads(decay);
        self.graph.decay_params(decay, opt.lr());
        let (params, grads) = self.graph.params_and_grads();
        opt.step(params, grads)?;
        Ok(loss)
    }

    /// The input handle (for custom use of the graph).
    pub fn input(&self) -> Var<B, M::Input> {
        self.input
    }

    /// The output handle.
    pub fn output(&self) -> Var<B, M::Output> {
        self.output
    }

    /// The loss handle.
    pub fn loss(&self) -> Scalar {
        self.loss
    }
}
