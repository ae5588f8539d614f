//! Layers (Torch's modules) and the `Sequential` chain that wires them.
//!
//! A layer is a small description (its sizes are in its type, its
//! initialisation in its value); building it into a [`Graph`] records its
//! parameters and ops on the tape. Wiring is checked by the compiler:
//! `Module<In>` is only implemented for the input shape a layer accepts.

mod activation;
mod avg_pool1d;
mod conv1d;
mod conv2d;
mod dropout;
mod flatten;
mod linear;
mod max_pool1d;
mod pool2d;
mod sequential;
mod tied;

pub use activation::{LogSoftmax, ReLU, Sigmoid, Softmax, Tanh};
pub use avg_pool1d::AvgPool1d;
pub use conv1d::Conv1d;
pub use conv2d::Conv2d;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use linear::Linear;
pub use max_pool1d::MaxPool1d;
pub use pool2d::{AvgPool2d, MaxPool2d};
pub use sequential::Sequential;
pub use tied::{TiedAutoEncoder, TiedLinearAutoEncoder, TiedLinearReluAutoEncoder};

use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Shape, Var};

/// A layer that maps a batch of samples of shape `In` to a batch of `Output`.
///
/// The associated consts give the layer's footprint, so that a whole model's
/// memory is known at compile time (see [`Footprint`](crate::Footprint)).
pub trait Module<In: Shape>: Describe {
    /// Shape of one output sample.
    type Output: Shape;
    /// Parameter scalars.
    const PARAMS: usize;
    /// Activation scalars per sample (every op output the layer records).
    const ACTIVATIONS: usize;
    /// Tape nodes the layer records (parameters included).
    const NODES: usize;
    /// Positions the layer takes in a `Sequential` (1, or the length of a nested chain).
    const LAYERS: usize = 1;
    /// The kinds of op the layer records, one bit each (`Op::kind`): a
    /// [`Network`](crate::Network) links the forward code of these ops only.
    /// Every kind unless the layer says otherwise.
    const OPS: u64 = crate::ops::kinds::ALL;

    /// Records the layer on `g`, reading `x`; parameters are named after
    /// `g.layer()`.
    ///
    /// # Errors
    /// Capacity errors from the graph ([`Error::TapeFull`], [`Error::BufferTooSmall`]).
    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, In>,
    ) -> Result<Var<B, Self::Output>, Error>;
}

/// Prints a layer in the report's notation (`Linear(256,128)`); chains join
/// their layers with ` -> `.
pub trait Describe {
    /// Writes the description.
    ///
    /// # Errors
    /// Only the formatter's.
    fn describe(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
}

/// Implements [`Describe`] through `Display` for a layer type.
macro_rules! describe_by_display {
    ($($t:ty),+ $(,)?) => {
        $(impl crate::layers::Describe for $t {
            fn describe(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Display::fmt(self, f)
            }
        })+
    };
}
pub(crate) use describe_by_display;

/// A module whose input shape is fixed by its first layer, so a model type
/// alone determines its footprint.
pub trait Model: Module<Self::Input> {
    /// Shape of one input sample.
    type Input: Shape;
}
