//! `Network`: a model recorded for inference only, with its parameters in
//! RAM or read in place from a safetensors buffer (flash).

use crate::error::Error;
use crate::float::Float;
use crate::footprint::InferenceFootprint;
use crate::graph::{Graph, Layout};
use crate::io::SafeTensors;
use crate::layers::Model;
use crate::shape::{Shape, Var};
use crate::tape::Node;

/// A model `M` recorded at batch size `B` for inference.
pub struct Network<'a, T: Float, M: Model, const B: usize> {
    graph: Graph<'a, T>,
    input: Var<B, M::Input>,
    output: Var<B, M::Output>,
}

impl<'a, T: Float, M: Model, const B: usize> Network<'a, T, M, B> {
    /// Records `model` with its parameters in `arena`
    /// ([`InferenceFootprint::ARENA`] scalars); load them with
    /// [`Graph::load_safetensors`] through [`Network::graph_mut`].
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`] naming what is needed.
    pub fn new(model: &M, tape: &'a mut [Node], arena: &'a mut [T]) -> Result<Self, Error> {
        check_tape::<M, B>(tape)?;
        let layout = Layout {
            params: InferenceFootprint::<M, B>::PARAMS,
            values: InferenceFootprint::<M, B>::VALUES,
            grads: false,
        };
        Self::record(model, Graph::new(tape, arena, layout)?)
    }

    /// Records `model` reading its parameters in place from the safetensors
    /// buffer `weights` (never copied: they can stay in flash); `arena` holds
    /// [`InferenceFootprint::FLASH_ARENA`] scalars.
    ///
    /// # Errors
    /// [`Error::Safetensors`] when the buffer is malformed or a tensor is
    /// missing, mis-shaped, non-finite or not of type `T`; capacity errors.
    pub fn from_safetensors(
        model: &M,
        tape: &'a mut [Node],
        arena: &'a mut [T],
        weights: &'a [u8],
    ) -> Result<Self, Error> {
        check_tape::<M, B>(tape)?;
        let st = SafeTensors::parse(weights)?;
        let values = InferenceFootprint::<M, B>::VALUES;
        Self::record(model, Graph::with_weights(tape, arena, values, st)?)
    }

    /// Records `model` with its parameters in RAM (`arena` holds
    /// [`InferenceFootprint::ARENA`] scalars), loaded strictly from the
    /// safetensors buffer `weights` and converted to `T` from any float dtype
    /// (an `f64` or `F16` file for an `f32` network, say). Use it where
    /// [`Network::from_safetensors`] cannot read in place because the dtype
    /// differs.
    ///
    /// # Errors
    /// As [`Graph::load_safetensors`], and capacity errors.
    pub fn from_safetensors_converted(
        model: &M,
        tape: &'a mut [Node],
        arena: &'a mut [T],
        weights: &[u8],
    ) -> Result<Self, Error> {
        let mut net = Self::new(model, tape, arena)?;
        net.graph.load_safetensors(weights)?;
        Ok(net)
    }

    fn record(model: &M, mut graph: Graph<'a, T>) -> Result<Self, Error> {
        let input = graph.input::<B, M::Input>()?;
        let output = model.build(&mut graph, input)?;
        graph.bind_weights()?;
        Ok(Network { graph, input, output })
    }

    /// Runs the model on up to `B` rows of `inputs`; returns their outputs.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::NonFinite`] or [`Error::RowsOutOfRange`].
    pub fn predict(&mut self, inputs: &[T]) -> Result<&[T], Error> {
        self.graph.set_input(self.input, inputs)?;
        self.graph.set_rows(inputs.len() / <M::Input as Shape>::SIZE.max(1))?;
        Ok(self.forward())
    }

    /// The index of the largest output of each of the first rows, written into `classes`.
    ///
    /// # Errors
    /// As [`Network::predict`].
    pub fn classify(&mut self, inputs: &[T], classes: &mut [usize]) -> Result<(), Error> {
        let n = <M::Output as Shape>::SIZE.max(1);
        let out = self.predict(inputs)?;
        for (row, c) in out.chunks_exact(n).zip(classes.iter_mut()) {
            *c = argmax(row);
        }
        Ok(())
    }

    /// The input batch buffer (`B` rows), to fill in place (no staging copy);
    /// then [`Network::set_rows`] and [`Network::forward`].
    pub fn input_mut(&mut self) -> &mut [T] {
        self.graph.input_mut(self.input)
    }

    /// Declares how many rows of the input buffer hold the current batch.
    ///
    /// # Errors
    /// [`Error::RowsOutOfRange`] unless `1 ≤ rows ≤ B`.
    pub fn set_rows(&mut self, rows: usize) -> Result<(), Error> {
        self.graph.set_rows(rows)
    }

    /// Runs the model on the input buffer as it stands; returns the outputs of
    /// its valid rows. (Values written in place are not checked for NaN:
    /// every op still gives finite outputs.)
    pub fn forward(&mut self) -> &[T] {
        self.graph.forward();
        self.graph.value(self.output)
    }

    /// The graph.
    pub fn graph(&self) -> &Graph<'a, T> {
        &self.graph
    }

    /// The graph, mutable (to load parameters).
    pub fn graph_mut(&mut self) -> &mut Graph<'a, T> {
        &mut self.graph
    }
}

/// Index of the first largest element (0 for an empty slice).
pub fn argmax<T: Float>(xs: &[T]) -> usize {
    let first = xs.first().copied().unwrap_or(T::ZERO);
    xs.iter()
        .enumerate()
        .fold((0, first), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) })
        .0
}

fn check_tape<M: Model, const B: usize>(tape: &[Node]) -> Result<(), Error> {
    let needed = InferenceFootprint::<M, B>::NODES;
    if tape.len() < needed {
        return Err(Error::TapeFull {
            capacity: tape.len(),
            needed,
        });
    }
    Ok(())
}
