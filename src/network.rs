//! `Network`: a model recorded for inference only, with its parameters in
//! RAM or read in place from a safetensors buffer (flash).

use crate::error::Error;
use crate::float::Float;
use crate::footprint::InferenceFootprint;
use crate::graph::{Graph, Layout};
use crate::io::SafeTensors;
use crate::layers::{Model, Module};
use crate::ops::OpSet;
use crate::shape::{Shape, Var};
use crate::tape::Node;
use core::marker::PhantomData;

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
        // The layers' op sets cover what they recorded (a test checks every layer).
        debug_assert!(graph.ops_within(OpsOf::<M>::OPS | crate::ops::kinds::INPUT));
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
        // Only the forward code of the ops the model's layers record is linked.
        let nodes = self.graph.nodes().len();
        self.graph.forward_range_in::<OpsOf<M>>(0, nodes);
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

/// The op set of model `M`: the ops its layers record.
struct OpsOf<M>(PhantomData<M>);

impl<M: Model> OpSet for OpsOf<M> {
    const OPS: u64 = <M as Module<M::Input>>::OPS;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{
        AvgPool1d, AvgPool2d, Conv1d, Conv2d, Flatten, Linear, LogSoftmax, MaxPool1d, MaxPool2d, ReLU, Sequential,
        Sigmoid, Softmax, Tanh,
    };
    use crate::ops::kinds;

    /// Records `model` and returns whether its tape holds only ops of its set,
    /// and the set.
    fn covered<M: Model>(model: &M) -> (bool, u64) {
        let mut tape = [Node::EMPTY; 64];
        let mut arena = [0.0f32; 4096];
        let net = Network::<f32, M, 1>::new(model, &mut tape, &mut arena).unwrap();
        let set = OpsOf::<M>::OPS;
        (net.graph.ops_within(set | kinds::INPUT), set)
    }

    #[test]
    fn every_layer_declares_the_ops_it_records_and_no_more() {
        type Mlp = Sequential<(Linear<4, 3>, Tanh, Linear<3, 3>, Sigmoid, ReLU, Softmax, LogSoftmax)>;
        let mlp: Mlp = Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid, ReLU, Softmax, LogSoftmax));
        let (ok, set) = covered(&mlp);
        assert!(ok);
        let expected = kinds::PARAM | kinds::LINEAR | kinds::TANH | kinds::SIGMOID;
        assert_eq!(set, expected | kinds::RELU | kinds::SOFTMAX | kinds::LOG_SOFTMAX);

        type Cnn1 = Sequential<(
            Conv1d<1, 2, 3, 8, 6>,
            MaxPool1d<2, 2, 3>,
            AvgPool1d<1, 1, 3>,
            Flatten<6>,
            Linear<6, 2>,
        )>;
        let cnn1: Cnn1 = Sequential::new((Conv1d::new(), MaxPool1d, AvgPool1d, Flatten, Linear::new()));
        let (ok, set) = covered(&cnn1);
        assert!(ok);
        let conv = kinds::PARAM | kinds::CONV1D | kinds::MAX_POOL1D | kinds::AVG_POOL1D | kinds::LINEAR;
        assert_eq!(set, conv);

        type Cnn2 = Sequential<(
            Conv2d<1, 2, 3, 6, 6, 4, 4>,
            MaxPool2d<2, 2, 2, 2>,
            AvgPool2d<1, 1, 2, 2>,
            Flatten<8>,
        )>;
        let cnn2: Cnn2 = Sequential::new((Conv2d::new(), MaxPool2d, AvgPool2d, Flatten));
        let (ok, set) = covered(&cnn2);
        assert!(ok);
        assert_eq!(
            set,
            kinds::PARAM | kinds::CONV2D | kinds::MAX_POOL2D | kinds::AVG_POOL2D
        );
        // A set that misses a recorded op is caught.
        let net_tape = &mut [Node::EMPTY; 64];
        let arena = &mut [0.0f32; 4096];
        let net = Network::<f32, Mlp, 1>::new(&mlp, net_tape, arena).unwrap();
        assert!(!net.graph.ops_within(kinds::INPUT | kinds::PARAM | kinds::LINEAR));
    }
}
