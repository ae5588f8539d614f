//! Post-training quantisation of one `Linear` or `Conv1d`: per-output-channel
//! symmetric int8 weights, int32 bias, fixed-point requantisation.
//!
//! For output channel `o` with weights `w[o, ·]`: `w_scale[o] = max|w[o,·]| / 127`,
//! `q[o,i] = round(w[o,i] / w_scale[o])` (in `-127..=127`),
//! `bias_q[o] = round(b[o] / (x_scale · w_scale[o]))` (saturated to int32), and
//! `M_o = x_scale · w_scale[o] / y_scale` as a [`QuantizedMultiplier`].
//!
//! Numerics: each weight is within ½ step of its channel's scale; the bias
//! within ½ step of `x_scale · w_scale[o]`; `M_o` within `2^-31` relative.

use super::params::QuantParams;
use super::requant::QuantizedMultiplier;
use crate::error::Error;

/// Where [`quantize_layer`] writes one layer's int8 tensors (little-endian bytes).
pub struct QuantizedLayer<'b> {
    /// `OUT · FAN_IN` int8 weights.
    pub weight: &'b mut [u8],
    /// `OUT` int32 biases (`4 · OUT` bytes).
    pub bias: &'b mut [u8],
    /// `OUT` weight scales.
    pub weight_scale: &'b mut [f32],
    /// `OUT` int32 multipliers (`4 · OUT` bytes).
    pub multiplier: &'b mut [u8],
    /// `OUT` int32 shifts (`4 · OUT` bytes).
    pub shift: &'b mut [u8],
}

/// Quantises `weight` (`[out][fan_in]`, f32) and `bias` (`[out]`) for an
/// input quantised by `input` and an output by `output`, into `q`.
///
/// # Errors
/// [`Error::LengthMismatch`] when a buffer disagrees with `bias.len()` outputs,
/// [`Error::NonFinite`] for a NaN or infinite parameter, [`Error::InvalidScale`].
pub fn quantize_layer(
    weight: &[f32],
    bias: &[f32],
    input: QuantParams,
    output: QuantParams,
    q: QuantizedLayer<'_>,
) -> Result<(), Error> {
    let out = bias.len();
    let fan_in = weight.len() / out.max(1);
    let checks = [
        ("weight", weight.len(), out * fan_in),
        ("int8 weight", q.weight.len(), out * fan_in),
        ("int32 bias", q.bias.len(), 4 * out),
        ("weight scale", q.weight_scale.len(), out),
        ("multiplier", q.multiplier.len(), 4 * out),
        ("shift", q.shift.len(), 4 * out),
    ];
    for (what, got, expected) in checks {
        if got != expected {
            return Err(Error::LengthMismatch { what, expected, got });
        }
    }
    if let Some(index) = weight.iter().chain(bias).position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "layer parameters",
            index,
        });
    }
    let rows = weight
        .chunks_exact(fan_in.max(1))
        .zip(q.weight.chunks_exact_mut(fan_in.max(1)));
    let per_channel = q
        .bias
        .chunks_exact_mut(4)
        .zip(q.multiplier.chunks_exact_mut(4))
        .zip(q.shift.chunks_exact_mut(4));
    for (((row, q_row), (&b, ws)), ((qb, qm), qs)) in
        rows.zip(bias.iter().zip(q.weight_scale.iter_mut())).zip(per_channel)
    {
        let scale = QuantParams::symmetric(row.iter().fold(0.0f32, |m, v| m.max(v.abs()))).scale;
        *ws = scale;
        for (&w, qw) in row.iter().zip(q_row.iter_mut()) {
            *qw = libm::roundf(w / scale).clamp(-127.0, 127.0) as i8 as u8;
        }
        let bias_scale = f64::from(input.scale) * f64::from(scale);
        let b_q = libm::round(f64::from(b) / bias_scale).clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
        qb.copy_from_slice(&b_q.to_le_bytes());
        let m = QuantizedMultiplier::from_real(bias_scale / f64::from(output.scale))?;
        qm.copy_from_slice(&m.multiplier.to_le_bytes());
        qs.copy_from_slice(&m.shift.to_le_bytes());
    }
    Ok(())
}
