//! `QLinear`: int8 `y = requant(b + W (x − x_zp)) + y_zp`, per-output-channel scales.
//!
//! For output `o`: `acc = bias[o] + Σ_i W[o,i] · (x[i] − x_zp)` in int32,
//! `y[o] = clamp(M_o(acc) + y_zp, lo, hi)` where `M_o` is the fixed-point
//! multiplier of `x_scale · w_scale[o] / y_scale` ([`QuantizedMultiplier`]).
//! `lo..=hi` is `-128..=127`, or `y_zp..=127` with a folded ReLU.
//!
//! Numerics: exact integer arithmetic (no overflow for `IN ≤ 65 000`); the
//! only rounding is the requantisation's. Against the f32 layer on the
//! dequantised weights and inputs, each output is off by at most ½ step of
//! the output scale (plus ¼ step for the requantisation's double rounding)
//! before clamping.

use super::requant::QuantizedMultiplier;
use super::{QLayer, check_bytes, clamp_i8, dot, le_i32, params::check_zero_point};
use crate::error::Error;
use core::fmt;

/// An int8 `Linear<IN, OUT>` reading its parameters in place: `weight`
/// (`OUT · IN` int8, row-major `[out][in]` as PyTorch), `bias`, `multiplier`
/// and `shift` (`OUT` little-endian int32 each).
#[derive(Clone, Copy, Debug)]
pub struct QLinear<'a, const IN: usize, const OUT: usize> {
    weight: &'a [u8],
    bias: &'a [u8],
    multiplier: &'a [u8],
    shift: &'a [u8],
    input_zero_point: i32,
    output_zero_point: i32,
    lo: i8,
}

impl<'a, const IN: usize, const OUT: usize> QLinear<'a, IN, OUT> {
    /// Checks the lengths, zero points, multipliers (`[2^30, 2^31)` or 0)
    /// and shifts (`-31..=30`).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] naming the tensor, [`Error::QuantParamOutOfRange`].
    pub fn new(
        weight: &'a [u8],
        bias: &'a [u8],
        multiplier: &'a [u8],
        shift: &'a [u8],
        input_zero_point: i32,
        output_zero_point: i32,
    ) -> Result<Self, Error> {
        const { assert!(IN <= 65_000, "int32 accumulation holds up to 65 000 inputs") };
        check_params(
            &[weight, bias, multiplier, shift],
            [input_zero_point, output_zero_point],
            IN,
            OUT,
        )?;
        let lo = i8::MIN;
        Ok(QLinear {
            weight,
            bias,
            multiplier,
            shift,
            input_zero_point,
            output_zero_point,
            lo,
        })
    }

    /// The same layer followed by a ReLU, folded into the output clamp
    /// (`y ≥ y_zp`, the code of real 0).
    pub fn with_relu(mut self) -> Self {
        self.lo = clamp_i8(self.output_zero_point, i8::MIN, i8::MAX);
        self
    }
}

/// The checks of [`QLinear::new`] for an `outputs × inputs` layer, one copy
/// of the code for every layer size.
#[inline(never)]
fn check_params(tensors: &[&[u8]; 4], zero_points: [i32; 2], inputs: usize, outputs: usize) -> Result<(), Error> {
    let [weight, bias, multiplier, shift] = *tensors;
    check_bytes("weight", weight, inputs * outputs)?;
    check_bytes("bias", bias, 4 * outputs)?;
    check_bytes("multiplier", multiplier, 4 * outputs)?;
    check_bytes("shift", shift, 4 * outputs)?;
    check_zero_point(zero_points[0], "input zero point")?;
    check_zero_point(zero_points[1], "output zero point")?;
    for (o, (m, s)) in multiplier.chunks_exact(4).zip(shift.chunks_exact(4)).enumerate() {
        QuantizedMultiplier::checked(le_i32(m), le_i32(s), o)?;
    }
    Ok(())
}

impl<const IN: usize, const OUT: usize> QLayer for QLinear<'_, IN, OUT> {
    const IN: usize = IN;
    const OUT: usize = OUT;
    const WIDE: usize = IN;
    const FLASH: usize = OUT * (IN + 12);

    fn forward(&self, input: &[i8], output: &mut [i8], wide: &mut [i16]) {
        dot::widen_for_dot(input, self.input_zero_point, wide);
        let x = wide.get(..IN).unwrap_or(&[]);
        let pairs = self.weight.chunks(2 * IN.max(1)).zip(self.bias.chunks(8));
        let requant = self.multiplier.chunks(8).zip(self.shift.chunks(8));
        for ((ys, (rows, b)), (m, s)) in output.chunks_mut(2).zip(pairs).zip(requant) {
            let (r0, r1) = rows.split_at(IN.min(rows.len()));
            let acc = if r1.is_empty() {
                (dot::dot1(r0, x), 0)
            } else {
                dot::dot2(r0, r1, x)
            };
            for (k, y) in ys.iter_mut().enumerate() {
                let at = 4 * k;
                let bias = le_i32(b.get(at..).unwrap_or(&[]));
                let multiplier = le_i32(m.get(at..).unwrap_or(&[]));
                let qm = QuantizedMultiplier {
                    multiplier,
                    shift: le_i32(s.get(at..).unwrap_or(&[])),
                };
                let acc = bias.wrapping_add(if k == 0 { acc.0 } else { acc.1 });
                *y = clamp_i8(qm.apply(acc).saturating_add(self.output_zero_point), self.lo, i8::MAX);
            }
        }
    }
}

impl<const IN: usize, const OUT: usize> fmt::Display for QLinear<'_, IN, OUT> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Linear({IN},{OUT})")?;
        if self.lo != i8::MIN {
            f.write_str(" -> ReLU")
        } else {
            Ok(())
        }
    }
}
