//! The int8 file of a calibrated f32 model, in the layout
//! `flambeau::QChainLoad` documents.

use flambeau::{
    Dtype, LutFunction, QUANTIZATION_SCHEME, QuantParams, QuantizedLayer, TensorData, TensorOut, lut_table,
    quantize_layer, safetensors_len, write_safetensors,
};

use super::arch::{F32Model, Spec};
use crate::error::{CoreContext, Result};

/// One tensor to write, owning its bytes.
struct Owned {
    name: String,
    shape: Vec<usize>,
    dtype: Dtype,
    bytes: Vec<u8>,
}

fn scalar_params(out: &mut Vec<Owned>, prefix: &str, p: QuantParams) {
    out.push(Owned {
        name: format!("{prefix}.scale"),
        shape: vec![1],
        dtype: Dtype::F32,
        bytes: p.scale.to_le_bytes().to_vec(),
    });
    let zp = p.zero_point.to_le_bytes().to_vec();
    out.push(Owned {
        name: format!("{prefix}.zero_point"),
        shape: vec![1],
        dtype: Dtype::I32,
        bytes: zp,
    });
}

/// Quantises `model` with the activation `ranges` (input, then each layer's
/// output) and returns the int8 safetensors file.
///
/// # Errors
/// The core's errors (non-finite weights or ranges).
pub fn int8_file(model: &F32Model, ranges: &[(f32, f32)], arch: &str, calibration: &str) -> Result<Vec<u8>> {
    let ctx = || "writing the int8 file".to_owned();
    // `ranges[0]` is the input's, `ranges[i + 1]` layer `i`'s output's.
    let params = |i: usize| {
        let (lo, hi) = ranges.get(i).copied().unwrap_or((0.0, 0.0));
        QuantParams::from_min_max(lo, hi).context(|| match i {
            0 => "quantising the input's calibrated range".to_owned(),
            _ => format!("quantising the calibrated range of layer {}'s output", i - 1),
        })
    };
    let mut tensors = Vec::new();
    let mut p = params(0)?;
    scalar_params(&mut tensors, "input", p);
    for (i, (spec, (w, b))) in model.specs.iter().zip(&model.params).enumerate() {
        p = match *spec {
            Spec::Linear { .. } | Spec::Conv1d { .. } => {
                let (outputs, shape) = match *spec {
                    Spec::Conv1d { cin, cout, k, .. } => (cout, vec![cout, cin, k]),
                    Spec::Linear { inputs, outputs } => (outputs, vec![outputs, inputs]),
                    _ => (0, Vec::new()),
                };
                let out = params(i + 1)?;
                let (mut qw, mut qb, mut ws) = (vec![0u8; w.len()], vec![0u8; 4 * outputs], vec![0.0f32; outputs]);
                let (mut m, mut s) = (vec![0u8; 4 * outputs], vec![0u8; 4 * outputs]);
                let q = QuantizedLayer {
                    weight: &mut qw,
                    bias: &mut qb,
                    weight_scale: &mut ws,
                    multiplier: &mut m,
                    shift: &mut s,
                };
                quantize_layer(w, b, p, out, q).context(|| format!("quantising tensors {i}.weight and {i}.bias"))?;
                let ws: Vec<u8> = ws.iter().flat_map(|v| v.to_le_bytes()).collect();
                let name = |f: &str| format!("{i}.{f}");
                tensors.push(Owned {
                    name: name("weight"),
                    shape,
                    dtype: Dtype::I8,
                    bytes: qw,
                });
                tensors.push(Owned {
                    name: name("weight_scale"),
                    shape: vec![outputs],
                    dtype: Dtype::F32,
                    bytes: ws,
                });
                tensors.push(Owned {
                    name: name("bias"),
                    shape: vec![outputs],
                    dtype: Dtype::I32,
                    bytes: qb,
                });
                tensors.push(Owned {
                    name: name("multiplier"),
                    shape: vec![outputs],
                    dtype: Dtype::I32,
                    bytes: m,
                });
                tensors.push(Owned {
                    name: name("shift"),
                    shape: vec![outputs],
                    dtype: Dtype::I32,
                    bytes: s,
                });
                scalar_params(&mut tensors, &i.to_string(), out);
                out
            }
            Spec::Tanh | Spec::Sigmoid => {
                let (f, field) = match spec {
                    Spec::Tanh => (LutFunction::Tanh, "tanh_table"),
                    _ => (LutFunction::Sigmoid, "sigmoid_table"),
                };
                let out = f.output_params();
                let table = lut_table(f, p, out).to_vec();
                tensors.push(Owned {
                    name: format!("{i}.{field}"),
                    shape: vec![256],
                    dtype: Dtype::I8,
                    bytes: table,
                });
                scalar_params(&mut tensors, &i.to_string(), out);
                out
            }
            // No tensors: the data keep their input's quantisation.
            Spec::ReLU | Spec::MaxPool1d { .. } | Spec::Flatten => p,
        };
    }
    let meta = [
        ("quantization", QUANTIZATION_SCHEME),
        ("architecture", arch),
        ("calibration", calibration),
        // Every network `quantize` takes reads one USPS image of 256 pixels.
        ("input_shape", "[256]"),
    ];
    let outs = tensors
        .iter()
        .map(|t| TensorOut::new(&t.name, &t.shape, TensorData::Bytes(t.dtype, &t.bytes)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .context(ctx)?;
    let mut file = vec![0u8; safetensors_len(&meta, outs.iter().cloned())];
    write_safetensors(&mut file, &meta, outs.iter().cloned()).context(ctx)?;
    Ok(file)
}
