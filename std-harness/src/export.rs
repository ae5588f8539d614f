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
                    wanted: "F32".into(),
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

/// How a model file stores its weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f32 tensors (a trained model).
    F32,
    /// int8 tensors in the layout of `flambeau::QChainLoad` (written by `flambeau quantize`).
    Int8,
}

/// Layers an int8 chain (`flambeau::QChainLoad`) holds at most.
pub const INT8_MAX_LAYERS: usize = 8;

/// The precision of a model file, from its `__metadata__` key
/// `quantization`: absent is f32, the core's scheme
/// ([`flambeau::QUANTIZATION_SCHEME`]) is int8.
///
/// # Errors
/// [`ExportError::Weights`] for a buffer that is not safetensors,
/// [`ExportError::Scheme`] for another quantization scheme.
pub fn precision(weights: &[u8]) -> Result<Precision, ExportError> {
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    match st.metadata_value("quantization") {
        None => Ok(Precision::F32),
        Some(v) if v.eq_str(flambeau::QUANTIZATION_SCHEME) => Ok(Precision::Int8),
        Some(v) => Err(ExportError::Scheme(v.raw().to_owned())),
    }
}

/// Tensors a layer reads: `(field, dtype, shape)`.
type Fields = Vec<(&'static str, Dtype, Vec<usize>)>;

/// One int8 layer fed `width` inputs: its Rust type (lifetime `'a`), the
/// tensors it reads and the width it outputs.
fn int8_layer(index: usize, layer: Layer, width: usize) -> Result<(String, Fields, usize), ExportError> {
    let scalar = |v: &mut Vec<_>| {
        v.push(("scale", Dtype::F32, vec![1]));
        v.push(("zero_point", Dtype::I32, vec![1]));
    };
    let mut t = Vec::new();
    let ty = match layer {
        Layer::Linear { inputs, outputs } => {
            t.push(("weight", Dtype::I8, vec![outputs, inputs]));
            t.push(("weight_scale", Dtype::F32, vec![outputs]));
            for field in ["bias", "multiplier", "shift"] {
                t.push((field, Dtype::I32, vec![outputs]));
            }
            scalar(&mut t);
            return Ok((format!("QLinear<'a, {inputs}, {outputs}>"), t, outputs));
        }
        Layer::Tanh | Layer::Sigmoid => {
            let field = if layer == Layer::Tanh {
                "tanh_table"
            } else {
                "sigmoid_table"
            };
            t.push((field, Dtype::I8, vec![256]));
            scalar(&mut t);
            format!("QLut<'a, {width}>")
        }
        Layer::ReLU => format!("QReLU<{width}>"),
        Layer::Softmax => {
            t.push(("softmax_table", Dtype::I32, vec![256]));
            format!("QSoftmax<'a, {width}>")
        }
        Layer::LogSoftmax => {
            return Err(ExportError::NotInt8 {
                index,
                text: printed(layer),
            });
        }
    };
    Ok((ty, t, width))
}

/// Checks that `weights` holds exactly the int8 tensors of `layers` (the
/// layout `flambeau::QChainLoad` reads) and returns the layers' Rust types.
fn check_int8_weights(layers: &[Layer], weights: &[u8]) -> Result<Vec<String>, ExportError> {
    if layers.len() > INT8_MAX_LAYERS {
        return Err(ExportError::TooManyLayers(layers.len()));
    }
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut used = Vec::new();
    let mut types = Vec::new();
    let mut width = widths(layers).0;
    let mut need = |name: String, index: usize, layer: &str, dtype: Dtype, expected: Vec<usize>| {
        let view = st.get(&name).ok_or_else(|| ExportError::Missing {
            name: name.clone(),
            index,
            layer: layer.to_owned(),
        })?;
        if view.dtype != dtype || view.shape() != expected.as_slice() {
            return Err(ExportError::Shape {
                dtype: format!("{:?}", view.dtype).to_uppercase(),
                wanted: format!("{dtype:?}").to_uppercase(),
                got: view.shape().to_vec(),
                name,
                expected,
            });
        }
        used.push(name);
        Ok(())
    };
    need("input.scale".into(), 0, "the input", Dtype::F32, vec![1])?;
    need("input.zero_point".into(), 0, "the input", Dtype::I32, vec![1])?;
    for (index, layer) in layers.iter().enumerate() {
        let (ty, tensors, out) = int8_layer(index, *layer, width)?;
        for (field, dtype, shape) in tensors {
            need(format!("{index}.{field}"), index, &printed(*layer), dtype, shape)?;
        }
        types.push(ty);
        width = out;
    }
    let mut extra = None;
    st.for_each(|_, key, _| {
        if !used.iter().any(|u| key.eq_str(u)) {
            extra = Some(key.raw().to_owned());
        }
        extra.is_none()
    });
    extra.map_or(Ok(types), |name| Err(ExportError::Extra(name)))
}

/// The generated `model.rs` of an int8 model.
fn model_rs_int8(layers: &[Layer], types: &[String]) -> String {
    let (inputs, outputs) = widths(layers);
    let mut kinds: Vec<&str> = Vec::new();
    for ty in types {
        let name = &ty[..ty.find('<').unwrap_or(ty.len())];
        if let Some(k) = ["QLinear", "QLut", "QReLU", "QSoftmax"]
            .into_iter()
            .find(|k| *k == name)
            && !kinds.contains(&k)
        {
            kinds.push(k);
        }
    }
    kinds.sort_unstable();
    let architecture = layers.iter().map(|l| printed(*l)).collect::<Vec<_>>().join(" -> ");
    let comma = if types.len() == 1 { "," } else { "" };
    let mut s = String::from("// Generated from the int8 model file: do not edit by hand.\n");
    let _ = writeln!(
        s,
        "use core::marker::PhantomData;\nuse flambeau::{{{}}};\n",
        kinds.join(", ")
    );
    let _ = writeln!(
        s,
        "/// The architecture, as the model file's metadata states it and `Model` prints it.\n\
         pub const ARCHITECTURE: &str = {architecture:?};\n\
         /// The int8 network as a type: its layers, read in place from the int8 file, and its RAM footprint.\n\
         pub type Model<'a> = ({}{comma});\n\
         /// Inputs of one sample (int8 codes).\npub const INPUTS: usize = {inputs};\n\
         /// Outputs of one sample (int8 codes).\npub const OUTPUTS: usize = {outputs};\n\
         /// Largest accepted |output − reference output|: none, the reference is the host's int8 inference.\n\
         pub const TOLERANCE: f32 = 0.0;\n\n\
         /// The network, as a type only: an int8 model (the template runs it with `QNetwork`).\n\
         pub const fn model() -> PhantomData<Model<'static>> {{\n    PhantomData\n}}",
        types.join(", ")
    );
    s
}

/// The template's model folder for an int8 model file (written by
/// `flambeau quantize`): `model.rs` names the int8 layer types, the file is
/// copied as it is (the chip reads it in place), and the test vectors are
/// the int8 input codes `inputs` `[N, INPUTS]` and, when given, the host's
/// int8 outputs `outputs` `[N, OUTPUTS]` for them, which the chip must
/// reproduce exactly.
///
/// # Errors
/// Any [`ExportError`]: the architecture does not parse, chain or have an
/// int8 form; the file is not int8 or lacks a tensor the layers read, has
/// one of the wrong shape or type, or one they do not read; the vectors do
/// not fill whole rows.
pub fn firmware_model_int8(
    architecture: &str,
    weights: &[u8],
    inputs: &[i8],
    outputs: Option<&[i8]>,
) -> Result<FirmwareModel, ExportError> {
    let layers = parse_architecture(architecture)?;
    if precision(weights)? != Precision::Int8 {
        return Err(ExportError::Weights(
            "no `quantization` metadata: an f32 model, not int8 (run `flambeau quantize` first)".into(),
        ));
    }
    let types = check_int8_weights(&layers, weights)?;
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
    let codes = |v: &[i8]| v.iter().map(|&c| c as u8).collect::<Vec<u8>>();
    let mut tensors = vec![("inputs", "I8", rows, n_in, codes(inputs))];
    if let Some(out) = outputs {
        if out.len() != rows * n_out {
            return Err(ExportError::Vectors {
                what: "outputs",
                len: out.len(),
                rows,
                width: n_out,
            });
        }
        tensors.push(("outputs", "I8", rows, n_out, codes(out)));
    }
    Ok(FirmwareModel {
        model_rs: model_rs_int8(&layers, &types),
        weights: weights.to_vec(),
        test_vectors: safetensors(&tensors),
    })
}
