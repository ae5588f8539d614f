//! `QConv1d`: int8 1-D convolution, PyTorch layout, per-output-channel scales.
//!
//! For output channel `o` at position `t`:
//! `acc = bias[o] + Σ_c Σ_k W[o,c,k] · (x[c, t·S + k] − x_zp)` in int32, then
//! `y[o,t] = clamp(M_o(acc) + y_zp, lo, hi)` as [`QLinear`](super::QLinear).
//!
//! Numerics: as `QLinear`: exact integer sums, one requantisation rounding
//! (at most ¾ of an output step against the f32 convolution of the
//! dequantised operands, before clamping).

use super::requant::QuantizedMultiplier;
use super::{QLayer, check_bytes, clamp_i8, dot_i8, le_i32, params::check_zero_point, widen};
use crate::error::Error;
use core::fmt;

/// An int8 `Conv1d<CI, CO, K, LI, LO, S>` reading its parameters in place:
/// `weight` (`CO · CI · K` int8, `[out][in][k]`), `bias`, `multiplier`,
/// `shift` (`CO` little-endian int32 each). Data are `[channel][position]`.
#[derive(Clone, Copy, Debug)]
pub struct QConv1d<
    'a,
    const CI: usize,
    const CO: usize,
    const K: usize,
    const LI: usize,
    const LO: usize,
    const S: usize = 1,
> {
    weight: &'a [u8],
    bias: &'a [u8],
    multiplier: &'a [u8],
    shift: &'a [u8],
    input_zero_point: i32,
    output_zero_point: i32,
    lo: i8,
}

impl<'a, const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize>
    QConv1d<'a, CI, CO, K, LI, LO, S>
{
    /// Checks the lengths, zero points, multipliers and shifts.
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
        const {
            assert!(
                K >= 1 && S >= 1 && LI >= K,
                "kernel and stride ≥ 1, kernel ≤ input length"
            );
            assert!(LO == (LI - K) / S + 1, "L_OUT must be (L_IN − K) / S + 1");
            assert!(CI * K <= 65_000, "int32 accumulation holds up to 65 000 terms");
        };
        check_bytes("weight", weight, CO * CI * K)?;
        check_bytes("bias", bias, 4 * CO)?;
        check_bytes("multiplier", multiplier, 4 * CO)?;
        check_bytes("shift", shift, 4 * CO)?;
        check_zero_point(input_zero_point, "input zero point")?;
        check_zero_point(output_zero_point, "output zero point")?;
        for (o, (m, s)) in multiplier.chunks_exact(4).zip(shift.chunks_exact(4)).enumerate() {
            QuantizedMultiplier::checked(le_i32(m), le_i32(s), o)?;
        }
        let lo = i8::MIN;
        Ok(QConv1d {
            weight,
            bias,
            multiplier,
            shift,
            input_zero_point,
            output_zero_point,
            lo,
        })
    }

    /// The same layer followed by a ReLU, folded into the output clamp.
    pub fn with_relu(mut self) -> Self {
        self.lo = clamp_i8(self.output_zero_point, i8::MIN, i8::MAX);
        self
    }
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize> QLayer
    for QConv1d<'_, CI, CO, K, LI, LO, S>
{
    const IN: usize = CI * LI;
    const OUT: usize = CO * LO;
    const WIDE: usize = CI * LI;
    const FLASH: usize = CO * (CI * K + 12);

    fn forward(&self, input: &[i8], output: &mut [i8], wide: &mut [i16]) {
        widen(input, self.input_zero_point, wide);
        let x = wide.get(..CI * LI).unwrap_or(&[]);
        let filters = self.weight.chunks_exact((CI * K).max(1));
        let requant = self.multiplier.chunks_exact(4).zip(self.shift.chunks_exact(4));
        let per_channel = filters.zip(self.bias.chunks_exact(4)).zip(requant);
        for (ys, ((filter, b), (m, s))) in output.chunks_exact_mut(LO.max(1)).zip(per_channel) {
            let (bias, qm) = (
                le_i32(b),
                QuantizedMultiplier {
                    multiplier: le_i32(m),
                    shift: le_i32(s),
                },
            );
            for (t, y) in ys.iter_mut().enumerate() {
                let mut acc = bias;
                for (w, xc) in filter.chunks_exact(K.max(1)).zip(x.chunks_exact(LI.max(1))) {
                    acc = acc.wrapping_add(dot_i8(w, xc.get(t * S..).unwrap_or(&[])));
                }
                *y = clamp_i8(qm.apply(acc).saturating_add(self.output_zero_point), self.lo, i8::MAX);
            }
        }
    }
}

impl<const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize> fmt::Display
    for QConv1d<'_, CI, CO, K, LI, LO, S>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Conv1d({CI},{CO},k={K}")?;
        if S != 1 {
            write!(f, ",stride={S}")?;
        }
        f.write_str(")")?;
        if self.lo != i8::MIN {
            f.write_str(" -> ReLU")
        } else {
            Ok(())
        }
    }
}
