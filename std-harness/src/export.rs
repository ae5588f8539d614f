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

use flambeau::{Dtype, SafeTensors};
use std::fmt::Write as _;

mod dropout;
mod error;
pub use dropout::without_dropout;
pub use error::ExportError;

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

/// Parses `Linear(2,16) -> Tanh -> …` into layers whose widths chain.
///
/// # Errors
/// [`ExportError::UnknownLayer`], [`ExportError::NoLinear`] or [`ExportError::Chain`].
pub fn parse_architecture(text: &str) -> Result<Vec<Layer>, ExportError> {
    let mut layers = Vec::new();
    let mut previous = None;
    for (index, part) in text.split("->").map(str::trim).enumerate() {
        let unknown = || ExportError::UnknownLayer {
            index,
            text: part.to_owned(),
        };
        let layer = match part {
            "Tanh" => Layer::Tanh,
            "Sigmoid" => Layer::Sigmoid,
            "ReLU" => Layer::ReLU,
            "Softmax" => Layer::Softmax,
            "LogSoftmax" => Layer::LogSoftmax,
            _ => {
                let args = part
                    .strip_prefix("Linear(")
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(unknown)?;
                let (a, b) = args.split_once(',').ok_or_else(unknown)?;
                let (inputs, outputs) = (
                    a.trim().parse().map_err(|_| unknown())?,
                    b.trim().parse().map_err(|_| unknown())?,
                );
                if let Some(previous) = previous.filter(|&p| p != inputs) {
                    return Err(ExportError::Chain {
                        index,
                        inputs,
                        previous,
                    });
                }
                previous = Some(outputs);
                Layer::Linear { inputs, outputs }
            }
        };
        layers.push(layer);
    }
    if previous.is_none() {
        return Err(ExportError::NoLinear(text.to_owned()));
    }
    Ok(layers)
}

/// The printed form of `layer` (as the core prints it).
fn printed(layer: Layer) -> String {
    match layer {
        Layer::Linear { inputs, outputs } => format!("Linear({inputs},{outputs})"),
        other => format!("{other:?}"),
    }
}

/// The Rust type of `layer`.
fn rust_type(layer: Layer) -> String {
    match layer {
        Layer::Linear { inputs, outputs } => format!("Linear<{inputs}, {outputs}>"),
        other => format!("{other:?}"),
    }
}

/// Input and output widths: the first and last Linear's.
fn widths(layers: &[Layer]) -> (usize, usize) {
    let mut linear = layers.iter().filter_map(|l| match l {
        Layer::Linear { inputs, outputs } => Some((*inputs, *outputs)),
        _ => None,
    });
    let first = linear.clone().next().map_or(0, |(i, _)| i);
    (first, linear.next_back().map_or(0, |(_, o)| o))
}

/// Checks that `weights` holds exactly the F32 tensors `layers` needs.
fn check_weights(layers: &[Layer], weights: &[u8]) -> Result<(), ExportError> {
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut used = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        let Layer::Linear { inputs, outputs } = *layer else {
            continue;
        };
        for (suffix, expected) in [("weight", vec![outputs, inputs]), ("bias", vec![outputs])] {
            let name = format!("{index}.{suffix}");
            let view = st.get(&name).ok_or_else(|| ExportError::Missing {
                name: name.clone(),
                index,
                layer: printed(*layer),
            })?;
            if view.dtype != Dtype::F32 || view.shape() != expected.as_slice() {
                return Err(ExportError::Shape {
                    dtype: format!("{:?}", view.dtype).to_uppercase(),
                    got: view.shape().to_vec(),
                    name,
                    expected,
                });
            }
            used.push(name);
        }
    }
    let mut extra = None;
    st.for_each(|_, key, _| {
        if !used.iter().any(|u| key.eq_str(u)) {
            extra = Some(key.raw().to_owned());
        }
        extra.is_none()
    });
    extra.map_or(Ok(()), |name| Err(ExportError::Extra(name)))
}

/// The generated `model.rs`.
fn model_rs(layers: &[Layer], tolerance: f32) -> String {
    let (inputs, outputs) = widths(layers);
    let mut kinds: Vec<&str> = ["Sequential"].into();
    for layer in layers {
        let name = match layer {
            Layer::Linear { .. } => "Linear",
            Layer::Tanh => "Tanh",
            Layer::Sigmoid => "Sigmoid",
            Layer::ReLU => "ReLU",
            Layer::Softmax => "Softmax",
            Layer::LogSoftmax => "LogSoftmax",
        };
        if !kinds.contains(&name) {
            kinds.push(name);
        }
    }
    kinds.sort_unstable();
    let architecture = layers.iter().map(|l| printed(*l)).collect::<Vec<_>>().join(" -> ");
    let types = layers.iter().map(|l| rust_type(*l)).collect::<Vec<_>>().join(", ");
    let values = layers
        .iter()
        .map(|l| match l {
            Layer::Linear { .. } => "Linear::new()".to_owned(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut s = String::from("// Generated from the architecture in the model file: do not edit by hand.\n");
    let _ = writeln!(s, "use flambeau::{{{}}};\n", kinds.join(", "));
    let _ = writeln!(
        s,
        "/// The architecture, as the model file's metadata states it and `Model` prints it.\n\
         pub const ARCHITECTURE: &str = {architecture:?};\n\
         /// The network as a type: its shapes, layer order and footprint.\n\
         pub type Model = Sequential<({types})>;\n\
         /// Inputs of one sample.\npub const INPUTS: usize = {inputs};\n\
         /// Outputs of one sample.\npub const OUTPUTS: usize = {outputs};\n\
         /// Largest accepted |output − reference output| of the test vectors.\n\
         pub const TOLERANCE: f32 = {tolerance:e};\n\n\
         /// The network, its weights still to be read.\n\
         pub const fn model() -> Model {{\n    Sequential::new(({values}))\n}}"
    );
    s
}

/// A safetensors buffer of f32 tensors `(name, rows, columns, values)`.
fn f32_safetensors(tensors: &[(&str, usize, usize, &[f32])]) -> Vec<u8> {
    let (mut header, mut data) = (String::from("{"), Vec::new());
    for (i, (name, rows, cols, values)) in tensors.iter().enumerate() {
        let start = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        let sep = if i == 0 { "" } else { "," };
        let end = data.len();
        let _ = write!(
            header,
            r#"{sep}"{name}":{{"dtype":"F32","shape":[{rows},{cols}],"data_offsets":[{start},{end}]}}"#
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
/// one it does not use; the vectors do not fill whole rows.
pub fn firmware_model(
    architecture: &str,
    weights: &[u8],
    inputs: &[f32],
    outputs: Option<&[f32]>,
    tolerance: f32,
) -> Result<FirmwareModel, ExportError> {
    let layers = parse_architecture(architecture)?;
    check_weights(&layers, weights)?;
    let (n_in, n_out) = widths(&layers);
    let rows = inputs.len() / n_in;
    if rows == 0 || !inputs.len().is_multiple_of(n_in) {
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
        model_rs: model_rs(&layers, tolerance),
        weights: weights.to_vec(),
        test_vectors: f32_safetensors(&tensors),
    })
}
