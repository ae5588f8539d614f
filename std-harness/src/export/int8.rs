//! The template's model folder for an int8 model file (written by
//! `flambeau quantize`): an MLP (`QLinear`, `QLut`, `QReLU`, `QSoftmax`)
//! or a 1-D CNN (`QConv1d`, `QMaxPool1d`, `QFlatten`, then the MLP's layers).

use std::fmt::Write as _;

use flambeau::{Dtype, SafeTensors};

use super::chain::{Dims, Step};
use super::{ExportError, FirmwareModel, Layer, printed, safetensors, shaped, widths};

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

/// One int8 layer: its Rust type (lifetime `'a`) and the tensors it reads.
fn int8_layer(index: usize, step: &Step) -> Result<(String, Fields), ExportError> {
    let scalar = |v: &mut Fields| {
        v.push(("scale", Dtype::F32, vec![1]));
        v.push(("zero_point", Dtype::I32, vec![1]));
    };
    let per_channel = |v: &mut Fields, n: usize| {
        for field in ["bias", "multiplier", "shift"] {
            v.push((field, Dtype::I32, vec![n]));
        }
    };
    let width = step.input.size();
    let mut t = Vec::new();
    let ty = match (step.layer, step.input, step.output) {
        (Layer::Linear { inputs, outputs }, ..) => {
            t.push(("weight", Dtype::I8, vec![outputs, inputs]));
            t.push(("weight_scale", Dtype::F32, vec![outputs]));
            per_channel(&mut t, outputs);
            scalar(&mut t);
            format!("QLinear<'a, {inputs}, {outputs}>")
        }
        (
            Layer::Conv1d {
                in_channels: ci,
                out_channels: co,
                kernel: k,
                stride,
            },
            Dims::Seq(_, l),
            Dims::Seq(_, lo),
        ) => {
            t.push(("weight", Dtype::I8, vec![co, ci, k]));
            t.push(("weight_scale", Dtype::F32, vec![co]));
            per_channel(&mut t, co);
            scalar(&mut t);
            let s = if stride == 1 {
                String::new()
            } else {
                format!(", {stride}")
            };
            format!("QConv1d<'a, {ci}, {co}, {k}, {l}, {lo}{s}>")
        }
        (Layer::MaxPool1d { kernel, stride }, Dims::Seq(c, l), Dims::Seq(_, lo)) => {
            format!("QMaxPool1d<{c}, {l}, {kernel}, {stride}, {lo}>")
        }
        (Layer::Flatten, ..) => format!("QFlatten<{width}>"),
        (Layer::Tanh | Layer::Sigmoid, ..) => {
            let field = if step.layer == Layer::Tanh {
                "tanh_table"
            } else {
                "sigmoid_table"
            };
            t.push((field, Dtype::I8, vec![256]));
            scalar(&mut t);
            format!("QLut<'a, {width}>")
        }
        (Layer::ReLU, ..) => format!("QReLU<{width}>"),
        (Layer::Softmax, ..) => {
            t.push(("softmax_table", Dtype::I32, vec![256]));
            format!("QSoftmax<'a, {width}>")
        }
        _ => {
            return Err(ExportError::NotInt8 {
                index,
                text: printed(step.layer),
            });
        }
    };
    Ok((ty, t))
}

/// The names of the tensors the int8 layers of `steps` read (the input's
/// quantisation first).
///
/// # Errors
/// [`ExportError::NotInt8`] for a layer without an int8 form.
pub(super) fn tensor_names(steps: &[Step]) -> Result<Vec<String>, ExportError> {
    let mut names = vec!["input.scale".to_owned(), "input.zero_point".to_owned()];
    for (index, step) in steps.iter().enumerate() {
        let (_, tensors) = int8_layer(index, step)?;
        names.extend(tensors.into_iter().map(|(field, ..)| format!("{index}.{field}")));
    }
    Ok(names)
}

/// Checks that `weights` holds exactly the int8 tensors of `steps` (the
/// layout `flambeau::QChainLoad` reads) and returns the layers' Rust types.
fn check_int8_weights(steps: &[Step], weights: &[u8]) -> Result<Vec<String>, ExportError> {
    if steps.len() > INT8_MAX_LAYERS {
        return Err(ExportError::TooManyLayers(steps.len()));
    }
    let st = SafeTensors::parse(weights).map_err(|e| ExportError::Weights(e.to_string()))?;
    let mut used = Vec::new();
    let mut types = Vec::new();
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
    for (index, step) in steps.iter().enumerate() {
        let (ty, tensors) = int8_layer(index, step)?;
        for (field, dtype, shape) in tensors {
            need(format!("{index}.{field}"), index, &printed(step.layer), dtype, shape)?;
        }
        types.push(ty);
    }
    super::only_these(&st, &used)?;
    Ok(types)
}

/// The int8 layer types `model.rs` may name.
const INT8_KINDS: [&str; 7] = [
    "QConv1d",
    "QFlatten",
    "QLinear",
    "QLut",
    "QMaxPool1d",
    "QReLU",
    "QSoftmax",
];

/// The generated `model.rs` of an int8 model.
fn model_rs_int8(steps: &[Step], types: &[String]) -> String {
    let (inputs, outputs) = widths(steps);
    let mut kinds: Vec<&str> = Vec::new();
    for ty in types {
        let name = &ty[..ty.find('<').unwrap_or(ty.len())];
        if let Some(k) = INT8_KINDS.into_iter().find(|k| *k == name)
            && !kinds.contains(&k)
        {
            kinds.push(k);
        }
    }
    kinds.sort_unstable();
    let architecture = steps.iter().map(|s| printed(s.layer)).collect::<Vec<_>>().join(" -> ");
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
/// one of the wrong shape or type, one they do not read, or a NaN or
/// infinite scale; the vectors do not fill whole rows.
pub fn firmware_model_int8(
    architecture: &str,
    weights: &[u8],
    inputs: &[i8],
    outputs: Option<&[i8]>,
) -> Result<FirmwareModel, ExportError> {
    firmware_model_int8_shaped(architecture, None, weights, inputs, outputs)
}

/// [`firmware_model_int8`] for a network whose first layer needs the
/// input's shape (a 1-D CNN): `input_shape` as in
/// [`super::firmware_model_shaped`].
///
/// # Errors
/// As [`firmware_model_int8`].
pub fn firmware_model_int8_shaped(
    architecture: &str,
    input_shape: Option<&[usize]>,
    weights: &[u8],
    inputs: &[i8],
    outputs: Option<&[i8]>,
) -> Result<FirmwareModel, ExportError> {
    let steps = shaped(architecture, input_shape)?;
    if precision(weights)? != Precision::Int8 {
        return Err(ExportError::Weights(
            "no `quantization` metadata: an f32 model, not int8 (run `flambeau quantize` first)".into(),
        ));
    }
    let types = check_int8_weights(&steps, weights)?;
    super::finite(weights)?;
    let (n_in, n_out) = widths(&steps);
    let rows = inputs.len() / n_in.max(1);
    if rows == 0 || !inputs.len().is_multiple_of(n_in.max(1)) {
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
        model_rs: model_rs_int8(&steps, &types),
        weights: weights.to_vec(),
        test_vectors: safetensors(&tensors),
    })
}
