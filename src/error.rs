//! The crate's one error type: small, `Copy`, allocation-free, and `Display`
//! with the numbers involved. The harness adds file names and records.

use core::fmt;

pub use crate::io::SafetensorsError;

/// Everything that can go wrong in the core.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The tape has no room for another node.
    TapeFull {
        /// Nodes the tape can hold.
        capacity: usize,
        /// Nodes the graph needs (at least).
        needed: usize,
    },
    /// A caller-provided buffer is too small.
    BufferTooSmall {
        /// Which buffer (`"arena"`, `"optimizer state"`, `"output"`, …).
        what: &'static str,
        /// Elements (or bytes) needed.
        needed: usize,
        /// Elements (or bytes) provided.
        got: usize,
    },
    /// A slice has the wrong length for the tensor it feeds.
    LengthMismatch {
        /// Which slice.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// A NaN or infinity was given where finite values are required.
    NonFinite {
        /// Which input (`"input"`, `"target"`, …).
        what: &'static str,
        /// Index of the first offending element.
        index: usize,
    },
    /// A class label is not below the number of classes.
    LabelOutOfRange {
        /// The label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// The number of valid rows of a batch is 0 or above the batch size.
    RowsOutOfRange {
        /// Rows requested.
        rows: usize,
        /// Batch size of the graph.
        batch: usize,
    },
    /// Two batched tensors of one graph have different batch sizes.
    BatchMismatch {
        /// Batch size of the graph.
        graph: usize,
        /// Batch size of the new tensor.
        tensor: usize,
    },
    /// `backward` was called on a graph built without gradient buffers.
    NoGradients,
    /// A handle does not name a scalar node of this graph.
    NotAScalar {
        /// The node's index on the tape.
        node: usize,
    },
    /// A weight buffer (safetensors) is malformed; see [`SafetensorsError`].
    Safetensors(SafetensorsError),
    /// A quantisation scale is not finite and positive (`bits` is its f32 bit pattern).
    InvalidScale {
        /// Which scale (`"weight_scale"`, `"activation_scale"`, …).
        what: &'static str,
        /// Index within its tensor.
        index: usize,
        /// The scale's `f32::to_bits`.
        bits: u32,
    },
    /// A dropout probability is not in `[0, 0.99]` (`bits` is its f32 bit pattern).
    DropoutRate {
        /// The probability's `f32::to_bits`.
        bits: u32,
    },
    /// An integer quantisation parameter (zero point, shift, multiplier) is out of range.
    QuantParamOutOfRange {
        /// Which parameter.
        what: &'static str,
        /// Index within its tensor.
        index: usize,
        /// The value found.
        value: i64,
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
}

impl From<SafetensorsError> for Error {
    fn from(e: SafetensorsError) -> Self {
        Error::Safetensors(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::TapeFull { capacity, needed } => {
                write!(f, "tape full: capacity {capacity} nodes, the graph needs {needed}")
            }
            Error::BufferTooSmall { what, needed, got } => {
                write!(f, "{what} too small: {needed} needed, {got} given")
            }
            Error::LengthMismatch { what, expected, got } => {
                write!(f, "{what}: expected {expected} elements, got {got}")
            }
            Error::NonFinite { what, index } => {
                write!(f, "{what}: element {index} is NaN or infinite")
            }
            Error::LabelOutOfRange { label, classes } => {
                write!(f, "label {label} out of range for {classes} classes")
            }
            Error::RowsOutOfRange { rows, batch } => {
                write!(f, "{rows} rows requested, the batch holds 1 to {batch}")
            }
            Error::BatchMismatch { graph, tensor } => {
                write!(f, "batch size {tensor} in a graph of batch size {graph}")
            }
            Error::NoGradients => f.write_str("the graph was built without gradient buffers"),
            Error::NotAScalar { node } => write!(f, "node #{node} is not a scalar"),
            Error::Safetensors(e) => write!(f, "safetensors: {e}"),
            Error::InvalidScale { what, index, bits } => {
                // The bit pattern, not the float: formatting floats would cost a
                // Cortex-M firmware about 12 KB of flash.
                write!(
                    f,
                    "{what}[{index}] (f32 bits {bits:#010x}) is not a finite positive scale"
                )
            }
            Error::DropoutRate { bits } => {
                write!(f, "dropout probability (f32 bits {bits:#010x}) is not in [0, 0.99]")
            }
            Error::QuantParamOutOfRange {
                what,
                index,
                value,
                min,
                max,
            } => {
                write!(f, "{what}[{index}] = {value} is outside {min}..={max}")
            }
        }
    }
}

impl core::error::Error for Error {}
