//! Why a model cannot be exported.

/// Why a model cannot be exported; each names the layer or tensor and the numbers.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExportError {
    /// A layer of the architecture string is not one the template knows.
    #[error(
        "architecture: layer {index} {text:?} is not Linear(in,out), Conv1d(in,out,k=K[,stride=S]), Conv2d(in,out,k=K[,stride=S][,padding=P]), MaxPool1d, AvgPool1d, MaxPool2d, AvgPool2d (k,s), Flatten, Tanh, Sigmoid, ReLU, Softmax or LogSoftmax"
    )]
    UnknownLayer {
        /// Its position in the chain.
        index: usize,
        /// Its text.
        text: String,
    },
    /// A layer has a size of 0 (a width, channel count, kernel or stride).
    #[error(
        "architecture: layer {index} {text:?} has a size of 0; widths, channel counts, kernels and strides are at least 1"
    )]
    ZeroSize {
        /// Its position in the chain.
        index: usize,
        /// Its text.
        text: String,
    },
    /// A sample between two layers would hold more values than a model may.
    #[error(
        "architecture: {layer} gives {values} values per sample, above the {max} a model here may have",
        max = super::chain::MAX_VALUES
    )]
    TooLarge {
        /// The layer (with its position) or the input, as printed.
        layer: String,
        /// The sample's values, or the shape whose count does not fit a number.
        values: String,
    },
    /// A weight is NaN or infinite.
    #[error("weights: tensor {name:?} holds a non-finite value ({value}) at element {element}")]
    NotFinite {
        /// The tensor's name.
        name: String,
        /// The value's position in the tensor.
        element: usize,
        /// The value.
        value: f32,
    },
    /// The architecture has no `Linear`, so its widths are unknown.
    #[error("architecture {0:?}: neither a Linear nor a convolution, so no input or output width")]
    NoLinear(String),
    /// Two consecutive `Linear` layers do not chain.
    #[error("architecture: layer {index} takes {inputs} inputs but the previous Linear gives {previous}")]
    Chain {
        /// The layer's position.
        index: usize,
        /// Its input width.
        inputs: usize,
        /// The previous Linear's output width.
        previous: usize,
    },
    /// The weights are not a valid safetensors buffer.
    #[error("weights: {0}")]
    Weights(String),
    /// A tensor the architecture needs is missing.
    #[error("weights: no tensor {name:?} (layer {index}, {layer}) in the file")]
    Missing {
        /// The tensor's name.
        name: String,
        /// The layer's position.
        index: usize,
        /// The layer as printed.
        layer: String,
    },
    /// A tensor has the wrong shape or type.
    #[error("weights: tensor {name:?} is {dtype} {got:?}, the architecture needs {wanted} {expected:?}")]
    Shape {
        /// The tensor's name.
        name: String,
        /// Its type.
        dtype: String,
        /// The type the architecture needs.
        wanted: String,
        /// Its shape.
        got: Vec<usize>,
        /// The shape the architecture needs.
        expected: Vec<usize>,
    },
    /// The file holds a tensor the architecture does not use.
    #[error("weights: tensor {0:?} belongs to no layer of the architecture")]
    Extra(String),
    /// The test inputs or reference outputs do not fill whole rows.
    #[error("test vectors: {what} has {len} values, not {rows} rows of {width}")]
    Vectors {
        /// `inputs` or `outputs`.
        what: &'static str,
        /// Values given.
        len: usize,
        /// Rows expected.
        rows: usize,
        /// Values per row.
        width: usize,
    },
    /// The file's `quantization` metadata names a scheme the template cannot run.
    #[error(
        "weights: quantization scheme {0:?} is not the one flambeau's int8 layers read (`flambeau quantize` writes it)"
    )]
    Scheme(String),
    /// A layer has no int8 counterpart.
    #[error(
        "architecture: layer {index} {text:?} has no int8 form (Linear, Conv1d, MaxPool1d, Flatten, Tanh, Sigmoid, ReLU and Softmax have)"
    )]
    NotInt8 {
        /// Its position in the chain.
        index: usize,
        /// Its text.
        text: String,
    },
    /// More layers than an int8 chain holds.
    #[error("architecture: {0} layers; an int8 chain holds at most {max}", max = super::INT8_MAX_LAYERS)]
    TooManyLayers(usize),
    /// The input's shape is missing or does not fit the first layer.
    #[error(
        "architecture: the first layer {layer} cannot take the input shape {shape:?} (the model file's `input_shape` metadata): {why}"
    )]
    InputShape {
        /// The first layer that fixes the input's shape, as printed.
        layer: String,
        /// The shape given, if any.
        shape: Option<Vec<usize>>,
        /// Why it does not fit.
        why: String,
    },
    /// A layer cannot take the shape the layer before gives.
    #[error("architecture: layer {index} {layer} cannot take input {input}: {why}")]
    Fit {
        /// Its position in the chain.
        index: usize,
        /// The layer as printed.
        layer: String,
        /// The shape it is given.
        input: String,
        /// Why it does not fit.
        why: String,
    },
}
