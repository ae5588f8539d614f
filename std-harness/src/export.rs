//! The firmware template's model folder, made from a trained model.
//!
//! [`firmware_model`] takes what a model file holds (the architecture in the
//! notation models print, `Linear(2,16) -> Tanh -> Linear(16,1) -> Sigmoid`,
//! and the f32 weights as safetensors with PyTorch's `nn.Sequential` names)
//! and test inputs, checks that the architecture and the weights agree, and
//! returns the contents of the three files `embedded/template/model/` holds:
//!
//! - `model.rs`: `ARCHITECTURE`, `pub type Model = Sequential<(…)>`,
//!   `INPUTS`, `OUTPUTS`, `TOLERANCE` and `pub const fn model() -> Model`;
//! - `weights.safetensors`: the weights, as given (the chip reads them in
//!   place from flash);
//! - `test_vectors.safetensors`: `inputs` `[N, INPUTS]` and, when given,
//!   reference `outputs` `[N, OUTPUTS]`, f32.
//!
//! Nothing is written here: the caller writes the files, and only once
//! this returned `Ok`.

use flambeau::{Dtype, SafeTensors, TensorData, TensorOut};
use std::fmt::Write as _;

pub mod chain;
mod dropout;
mod error;
mod int8;
mod parse;
mod tied;
pub use dropout::{without_dropout, without_dropout_with};
pub use error::ExportError;
pub use int8::{INT8_MAX_LAYERS, Precision, firmware_model_int8, firmware_model_int8_shaped, precision};
pub use parse::parse_architecture;

/// What a model can be made of (the layers the template's generated type can name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// `Linear(in,out)`: weight `[out, in]`, bias `[out]`.
    Linear {
        /// Input width.
        inputs: usize,
        /// Output width.
        outputs: usize,
    },
    /// `Tanh`.
    Tanh,
    /// `Sigmoid`.
    Sigmoid,
    /// `ReLU`.
    ReLU,
    /// `Softmax`.
    Softmax,
    /// `LogSoftmax`.
    LogSoftmax,
    /// `Conv1d(in,out,k=K[,stride=S])`: weight `[out, in, K]`, bias `[out]`.
    Conv1d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel length.
        kernel: usize,
        /// Stride.
        stride: usize,
    },
    /// `MaxPool1d(k,s)`.
    MaxPool1d {
        /// Window.
        kernel: usize,
        /// Stride.
        stride: usize,
    },
    /// `AvgPool1d(k,s)`.
    AvgPool1d {
        /// Window.
        kernel: usize,
        /// Stride.
        stride: usize,
    },
    /// `Flatten`.
    Flatten,
    /// `Conv2d(in,out,k=K[,stride=S][,padding=P])`: weight `[out, in, K, K]`, bias `[out]`.
    Conv2d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel side.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zero padding on each side.
        padding: usize,
    },
    /// `MaxPool2d(k,s)`.
    MaxPool2d {
        /// Window side.
        kernel: usize,
        /// Stride.
        stride: usize,
    },
    /// `AvgPool2d(k,s)`.
    AvgPool2d {
        /// Window side.
        kernel: usize,
        /// Stride.
        stride: usize,
    },
}

impl Layer {
    /// Whether the layer keeps its input's shape (an activation).
    pub fn is_elementwise(self) -> bool {
        matches!(
            self,
            Layer::Tanh | Layer::Sigmoid | Layer::ReLU | Layer::Softmax | Layer::LogSoftmax
        )
    }
}

/// The contents of the template's three model files.
#[derive(Clone, Debug, PartialEq)]
pub struct FirmwareModel {
    /// `model.rs`.
    pub model_rs: String,
    /// `weights.safetensors`.
    pub weights: Vec<u8>,
    /// `test_vectors.safetensors`.
    pub test_vectors: Vec<u8>,
}

/// The printed form of `layer` (as the core prints it).
fn printed(layer: Layer) -> String {
    let extra = |name: &str, v: usize, default: usize| {
        if v == default {
            String::new()
        } else {
            format!(",{name}={v}")
        }
    };
    match layer {
        Layer::Linear { inputs, outputs } => format!("Linear({inputs},{outputs})"),
        Layer::Conv1d {
            in_channels,
            out_channels,
            kernel,
            stride,
        } => format!(
            "Conv1d({in_channels},{out_channels},k={kernel}{})",
            extra("stride", stride, 1)
        ),
        Layer::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
        } => format!(
            "Conv2d({in_channels},{out_channels},k={kernel}{}{})",
            extra("stride", stride, 1),
            extra("padding", padding, 0)
        ),
        Layer::MaxPool1d { kernel, stride } => format!("MaxPool1d({kernel},{stride})"),
        Layer::AvgPool1d { kernel, stride } => format!("AvgPool1d({kernel},{stride})"),
        Layer::MaxPool2d { kernel, stride } => format!("MaxPool2d({kernel},{stride})"),
        Layer::AvgPool2d { kernel, stride } => format!("AvgPool2d({kernel},{stride})"),
        other => format!("{other:?}"),
    }
}

/// Input and output widths of a chain.
fn widths(steps: &[chain::Step]) -> (usize, usize) {
    match (steps.first(), steps.last()) {
        (Some(first), Some(last)) => (first.input.size(), last.output.size()),
        _ => (0, 0),
    }
}

/// The layers of `architecture` with their shapes, from the input shape `input_shape` (when the first layer needs one).
///
/// # Errors
/// Any [`ExportError`] of the architecture: unknown layer, widths or shapes that do not chain.
pub fn shaped(architecture: &str, input_shape: Option<&[usize]>) -> Result<Vec<chain::Step>, ExportError> {
    let layers = parse_architecture(architecture)?;
    let input = chain::input_dims(&layers, input_shape)?;
    chain::steps(&layers, input)
}

/// The width of one input row of the f32 model `architecture` (a chain of
/// layers, or a tied auto-encoder), from `input_shape` when the first layer needs it.
///
/// # Errors
/// As [`shaped`].
pub fn input_width(architecture: &str, input_shape: Option<&[usize]>) -> Result<usize, ExportError> {
    if let Some(tied) = tied::parse(architecture) {
        tied.bounded()?;
        return Ok(tied.inputs);
    }
    Ok(shaped(architecture, input_shape)?.first().map_or(0, |s| s.input.size()))
}

/// The F32 tensors `steps` reads: `(index, name, shape)`.
fn f32_tensors(steps: &[chain::Step]) -> Vec<(usize, String, Vec<usize>)> {
    steps
        .iter()
        .enumerate()
        .flat_map(|(index, step)| {
            chain::tensors(step)
                .into_iter()
                .map(move |(suffix, shape)| (index, format!("{index}.{suffix}"), shape))
        })
        .collect()
}

/// Checks that `weights` holds exactly the F32 tensors `steps` needs.
fn check_weights(steps: &[chain::Step], weights: &[u8]) -> Result<(), ExportError> {
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut used = Vec::new();
    for (index, name, expected) in f32_tensors(steps) {
        let view = st.get(&name).ok_or_else(|| ExportError::Missing {
            name: name.clone(),
            index,
            layer: printed(steps[index].layer),
        })?;
        if view.dtype != Dtype::F32 || view.shape() != expected.as_slice() {
            return Err(ExportError::Shape {
                dtype: format!("{:?}", view.dtype).to_uppercase(),
                wanted: "F32".into(),
                got: view.shape().to_vec(),
                name,
                expected,
            });
        }
        used.push(name);
    }
    only_these(&st, &used)
}

/// Refuses a NaN or infinite value in an F32 tensor of `weights` (the
/// firmware would compute with it and its parity check would mean nothing).
///
/// # Errors
/// [`ExportError::NotFinite`] naming the first such tensor and element.
pub(crate) fn finite(weights: &[u8]) -> Result<(), ExportError> {
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut bad = None;
    st.for_each(|_, key, view| {
        if view.dtype == Dtype::F32
            && let Some((element, value)) = view.values::<f32>().enumerate().find(|(_, v)| !v.is_finite())
        {
            bad = Some(ExportError::NotFinite {
                name: key.to_string(),
                element,
                value,
            });
        }
        bad.is_none()
    });
    bad.map_or(Ok(()), Err)
}

/// The names of the tensors the model `architecture` reads from `weights`
/// (f32 or int8, as [`precision`] finds them), `input_shape` as in
/// [`firmware_model_shaped`].
fn used_tensors(architecture: &str, input_shape: Option<&[usize]>, weights: &[u8]) -> Result<Vec<String>, ExportError> {
    if precision(weights)? == Precision::Int8 {
        return int8::tensor_names(&shaped(architecture, input_shape)?);
    }
    if let Some(tied) = tied::parse(architecture) {
        return Ok(tied.tensors().into_iter().map(|(name, _)| name.to_owned()).collect());
    }
    Ok(f32_tensors(&shaped(architecture, input_shape)?)
        .into_iter()
        .map(|(_, name, _)| name)
        .collect())
}

/// `weights` without the tensors the model `architecture` does not read
/// (PyTorch's `strict=False`; the metadata is kept), and the names of those
/// left out, in file order. Missing, mis-shaped or mistyped tensors are
/// left for the export's own checks to refuse.
///
/// # Errors
/// [`ExportError::Weights`] for weights that do not parse, and the
/// architecture's errors as [`shaped`].
pub fn without_unused(
    architecture: &str,
    input_shape: Option<&[usize]>,
    weights: &[u8],
) -> Result<(Vec<u8>, Vec<String>), ExportError> {
    let used = used_tensors(architecture, input_shape, weights)?;
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    st.for_each(|_, key, view| {
        if used.iter().any(|u| key.eq_str(u)) {
            kept.push((key.to_string(), view.shape().to_vec(), view.dtype, view.data));
        } else {
            dropped.push(key.to_string());
        }
        true
    });
    if dropped.is_empty() {
        return Ok((weights.to_vec(), dropped));
    }
    let tensors = kept
        .iter()
        .map(|(name, shape, dtype, data)| TensorOut::new(name, shape, TensorData::Bytes(*dtype, data)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ExportError::Weights(e.to_string()))?;
    Ok((with_metadata_of(&st, &tensors)?, dropped))
}

/// A safetensors buffer of `tensors` with the metadata of `st`.
///
/// # Errors
/// [`ExportError::Weights`] if the writer refuses them.
fn with_metadata_of(st: &SafeTensors<'_>, tensors: &[TensorOut<'_>]) -> Result<Vec<u8>, ExportError> {
    let meta: Vec<(String, String)> = st.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let meta: Vec<(&str, &str)> = meta.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut out = vec![0u8; flambeau::safetensors_len(&meta, tensors.iter().cloned())];
    let n = flambeau::write_safetensors(&mut out, &meta, tensors.iter().cloned())
        .map_err(|e| ExportError::Weights(e.to_string()))?;
    out.truncate(n);
    Ok(out)
}

/// `weights` with every tensor of another float dtype (F64, F16, BF16, F8)
/// converted to F32 as the core's loader converts a parameter
/// ([`flambeau::TensorView::values`]: the exact value, rounded to the
/// nearest f32), the other tensors, their order and the metadata kept; the
/// bytes unchanged when no tensor needs it. Nothing is refused here: a value
/// beyond f32's range becomes infinite and a NaN stays NaN, for the checks
/// that refuse non-finite weights (the loader's, [`firmware_model`]'s) to
/// name, as they do for an F32 file.
///
/// # Errors
/// [`ExportError::Weights`] for weights that do not parse.
pub fn f32_weights(weights: &[u8]) -> Result<Vec<u8>, ExportError> {
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let converts = |dtype: Dtype| dtype.is_float() && dtype != Dtype::F32;
    if !st.iter().any(|(_, view)| converts(view.dtype)) {
        return Ok(weights.to_vec());
    }
    let all: Vec<(String, _, Option<Vec<f32>>)> = st
        .iter()
        .map(|(name, view)| {
            let values = converts(view.dtype).then(|| view.values::<f32>().collect());
            (name.to_string(), view, values)
        })
        .collect();
    let tensors = all
        .iter()
        .map(|(name, view, values)| {
            let data = match values {
                Some(values) => TensorData::F32(values),
                None => TensorData::Bytes(view.dtype, view.data),
            };
            TensorOut::new(name, view.shape(), data)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ExportError::Weights(e.to_string()))?;
    with_metadata_of(&st, &tensors)
}

/// Refuses a tensor of `st` that is not named in `used`.
///
/// # Errors
/// [`ExportError::Extra`] with the first such name.
fn only_these<S: AsRef<str>>(st: &SafeTensors<'_>, used: &[S]) -> Result<(), ExportError> {
    let mut extra = None;
    st.for_each(|_, key, _| {
        if !used.iter().any(|u| key.eq_str(u.as_ref())) {
            extra = Some(key.to_string());
        }
        extra.is_none()
    });
    extra.map_or(Ok(()), |name| Err(ExportError::Extra(name)))
}

/// The generated `model.rs`.
fn model_rs(steps: &[chain::Step], tolerance: f32) -> String {
    let (inputs, outputs) = widths(steps);
    let mut kinds: Vec<String> = vec!["Sequential".into()];
    for step in steps {
        let kind = chain::kind(step);
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.sort_unstable();
    let architecture = steps.iter().map(|s| printed(s.layer)).collect::<Vec<_>>().join(" -> ");
    let types = steps.iter().map(chain::rust_type).collect::<Vec<_>>().join(", ");
    let values = steps.iter().map(chain::value).collect::<Vec<_>>().join(", ");
    let comma = if steps.len() == 1 { "," } else { "" };
    let input = match steps.first().map(|s| s.input) {
        Some(d @ (chain::Dims::Seq(..) | chain::Dims::Image(..))) => format!(" (shape {d})"),
        _ => String::new(),
    };
    let mut s = String::from("// Generated from the architecture in the model file: do not edit by hand.\n");
    let _ = writeln!(s, "use flambeau::{{{}}};\n", kinds.join(", "));
    let _ = writeln!(
        s,
        "/// The architecture, as the model file's metadata states it and `Model` prints it.\n\
         pub const ARCHITECTURE: &str = {architecture:?};\n\
         /// The network as a type: its shapes, layer order and footprint.\n\
         pub type Model = Sequential<({types}{comma})>;\n\
         /// Inputs of one sample{input}.\npub const INPUTS: usize = {inputs};\n\
         /// Outputs of one sample.\npub const OUTPUTS: usize = {outputs};\n\
         /// Largest accepted |output − reference output| of the test vectors.\n\
         pub const TOLERANCE: f32 = {tolerance:e};\n\n\
         /// The network, its weights still to be read.\n\
         pub const fn model() -> Model {{\n    Sequential::new(({values}{comma}))\n}}"
    );
    s
}

/// A safetensors buffer of f32 tensors `(name, rows, columns, values)`.
fn f32_safetensors(tensors: &[(&str, usize, usize, &[f32])]) -> Vec<u8> {
    let bytes: Vec<_> = tensors
        .iter()
        .map(|&(name, rows, cols, values)| {
            let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name, "F32", rows, cols, data)
        })
        .collect();
    safetensors(&bytes)
}

/// A safetensors buffer of tensors `(name, dtype, rows, columns, little-endian bytes)`.
fn safetensors(tensors: &[(&str, &str, usize, usize, Vec<u8>)]) -> Vec<u8> {
    let (mut header, mut data) = (String::from("{"), Vec::new());
    for (i, (name, dtype, rows, cols, bytes)) in tensors.iter().enumerate() {
        let start = data.len();
        data.extend_from_slice(bytes);
        let sep = if i == 0 { "" } else { "," };
        let end = data.len();
        let _ = write!(
            header,
            r#"{sep}"{name}":{{"dtype":"{dtype}","shape":[{rows},{cols}],"data_offsets":[{start},{end}]}}"#
        );
    }
    header.push('}');
    while !header.len().is_multiple_of(8) {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    out
}

/// The template's model folder for the model `architecture` with `weights`,
/// test `inputs` (rows of the input width) and, optionally, the reference
/// `outputs` the model gave for them where it was trained, which the chip
/// must match within `tolerance`.
///
/// # Errors
/// Any [`ExportError`]: the architecture does not parse or chain, the
/// weights lack a tensor it needs, have one of the wrong shape or type, or
/// one it does not use, or a NaN or infinite value; the vectors do not fill
/// whole rows.
pub fn firmware_model(
    architecture: &str,
    weights: &[u8],
    inputs: &[f32],
    outputs: Option<&[f32]>,
    tolerance: f32,
) -> Result<FirmwareModel, ExportError> {
    firmware_model_shaped(architecture, None, weights, inputs, outputs, tolerance)
}

/// [`firmware_model`] for a network whose first layer needs the input's
/// shape (a convolution): `input_shape` is the model file's `input_shape`
/// (`[256]` is read as one channel of 256 values for a `Conv1d`, a 16 × 16
/// image for a `Conv2d`; `[c, l]` and `[c, h, w]` as given).
///
/// # Errors
/// As [`firmware_model`], and [`ExportError::InputShape`] or
/// [`ExportError::Fit`] for shapes that do not chain.
pub fn firmware_model_shaped(
    architecture: &str,
    input_shape: Option<&[usize]>,
    weights: &[u8],
    inputs: &[f32],
    outputs: Option<&[f32]>,
    tolerance: f32,
) -> Result<FirmwareModel, ExportError> {
    let (model_rs, n_in, n_out) = if let Some(tied) = tied::parse(architecture) {
        tied.check(weights)?;
        (tied.model_rs(tolerance), tied.inputs, tied.inputs)
    } else {
        let steps = shaped(architecture, input_shape)?;
        check_weights(&steps, weights)?;
        let (n_in, n_out) = widths(&steps);
        (model_rs(&steps, tolerance), n_in, n_out)
    };
    finite(weights)?;
    // Every width is at least 1 (the architecture's sizes are); `max` keeps it so.
    let rows = inputs.len() / n_in.max(1);
    if rows == 0 || !inputs.len().is_multiple_of(n_in.max(1)) {
        return Err(ExportError::Vectors {
            what: "inputs",
            len: inputs.len(),
            rows: rows.max(1),
            width: n_in,
        });
    }
    let mut tensors = vec![("inputs", rows, n_in, inputs)];
    if let Some(out) = outputs {
        if out.len() != rows * n_out {
            return Err(ExportError::Vectors {
                what: "outputs",
                len: out.len(),
                rows,
                width: n_out,
            });
        }
        tensors.push(("outputs", rows, n_out, out));
    }
    Ok(FirmwareModel {
        model_rs,
        weights: weights.to_vec(),
        test_vectors: f32_safetensors(&tensors),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer of `tensors` `(name, shape, data)` with `metadata`.
    fn file(metadata: &[(&str, &str)], tensors: &[(&str, &[usize], TensorData<'_>)]) -> Vec<u8> {
        let out: Vec<TensorOut<'_>> = tensors
            .iter()
            .map(|(name, shape, data)| TensorOut::new(name, shape, *data).unwrap())
            .collect();
        let mut bytes = vec![0u8; flambeau::safetensors_len(metadata, out.iter().cloned())];
        let n = flambeau::write_safetensors(&mut bytes, metadata, out.iter().cloned()).unwrap();
        bytes.truncate(n);
        bytes
    }

    #[test]
    fn float_tensors_become_f32_and_the_rest_stays() {
        let meta = [("architecture", "Linear(2,2)")];
        // F16 1.0, -2.0, 65504 (its largest) and the smallest subnormal, 2^-24.
        let half: Vec<u8> = [0x3c00u16, 0xc000, 0x7bff, 0x0001]
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect();
        let count = 7i64.to_le_bytes();
        let given = file(
            &meta,
            &[
                ("0.weight", &[2, 2], TensorData::Bytes(Dtype::F16, &half)),
                ("0.bias", &[2], TensorData::F64(&[0.1, 1e300])),
                ("bn.num_batches_tracked", &[1], TensorData::Bytes(Dtype::I64, &count)),
            ],
        );
        let by_hand = file(
            &meta,
            &[
                (
                    "0.weight",
                    &[2, 2],
                    TensorData::F32(&[1.0, -2.0, 65504.0, 2f32.powi(-24)]),
                ),
                ("0.bias", &[2], TensorData::F32(&[0.1, f32::INFINITY])),
                ("bn.num_batches_tracked", &[1], TensorData::Bytes(Dtype::I64, &count)),
            ],
        );
        assert_eq!(f32_weights(&given).unwrap(), by_hand);
        // An F32 file is returned as it is.
        assert_eq!(f32_weights(&by_hand).unwrap(), by_hand);
        assert!(matches!(f32_weights(b"not safetensors"), Err(ExportError::Weights(_))));
    }
}
