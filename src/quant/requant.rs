//! Fixed-point requantisation: `round(x · M · 2^(shift − 31))` in integers
//! only, with exactly the semantics of TFLite's
//! `MultiplyByQuantizedMultiplier` (gemmlowp's
//! `SaturatingRoundingDoublingHighMul` followed by `RoundingDivideByPOT`).
//!
//! Numerics: the high multiply rounds half up (`floor(v + ½)`) and saturates
//! its one overflow (`i32::MIN · i32::MIN`) to `i32::MAX`; the shift rounds
//! half away from zero; a left shift (`shift > 0`, multipliers above 1)
//! saturates where the C code's `x * (1 << shift)` would overflow (undefined
//! behaviour there; equal everywhere else). No input panics.

use crate::error::Error;

/// A real multiplier `M · 2^(shift − 31)` with `M` in `[2^30, 2^31)` (or 0)
/// and `shift` in `-31..=30`, as TFLite's `QuantizeMultiplier` produces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuantizedMultiplier {
    /// The Q0.31 mantissa `M`.
    pub multiplier: i32,
    /// The power-of-two exponent.
    pub shift: i32,
}

/// Largest accepted `shift` (TFLite clamps there).
pub const SHIFT_MAX: i32 = 30;
/// Smallest accepted `shift` (below it the multiplier rounds to 0).
pub const SHIFT_MIN: i32 = -31;

impl QuantizedMultiplier {
    /// TFLite's `QuantizeMultiplier`: `real = q · 2^shift` with `q` in
    /// `[½, 1)` (`frexp`), `M = round(q · 2^31)` (half away from zero),
    /// renormalised when it rounds up to `2^31`; multipliers below `2^-32`
    /// become 0, above `2^30` are clamped.
    ///
    /// # Errors
    /// [`Error::InvalidScale`] unless `real` is finite and `≥ 0`.
    pub fn from_real(real: f64) -> Result<Self, Error> {
        if !real.is_finite() || real < 0.0 {
            let bits = (real as f32).to_bits();
            return Err(Error::InvalidScale {
                what: "multiplier",
                index: 0,
                bits,
            });
        }
        if real == 0.0 {
            return Ok(QuantizedMultiplier::default());
        }
        let (q, mut shift) = libm::frexp(real);
        let mut fixed = libm::round(q * TWO_POW_31) as i64;
        if fixed == 1 << 31 {
            fixed /= 2;
            shift += 1;
        }
        if shift < SHIFT_MIN {
            return Ok(QuantizedMultiplier::default());
        }
        if shift > SHIFT_MAX {
            shift = SHIFT_MAX;
            fixed = (1 << 31) - 1;
        }
        Ok(QuantizedMultiplier {
            multiplier: fixed as i32,
            shift,
        })
    }

    /// Checks `M` in `{0} ∪ [2^30, 2^31)` and `shift` in `-31..=30`
    /// (`index` names the output channel in errors).
    ///
    /// # Errors
    /// [`Error::QuantParamOutOfRange`] naming the field and its range.
    pub fn checked(multiplier: i32, shift: i32, index: usize) -> Result<Self, Error> {
        if multiplier != 0 && multiplier < 1 << 30 {
            let (value, min, max) = (multiplier.into(), 1 << 30, i32::MAX.into());
            return Err(Error::QuantParamOutOfRange {
                what: "multiplier",
                index,
                value,
                min,
                max,
            });
        }
        if !(SHIFT_MIN..=SHIFT_MAX).contains(&shift) {
            let (value, min, max) = (shift.into(), SHIFT_MIN.into(), SHIFT_MAX.into());
            return Err(Error::QuantParamOutOfRange {
                what: "shift",
                index,
                value,
                min,
                max,
            });
        }
        Ok(QuantizedMultiplier { multiplier, shift })
    }

    /// The real value `M · 2^(shift − 31)`.
    pub fn to_real(self) -> f64 {
        f64::from(self.multiplier) * libm::exp2(f64::from(self.shift) - 31.0)
    }

    /// `round(x · M · 2^(shift − 31))`: TFLite's `MultiplyByQuantizedMultiplier`.
    #[inline]
    pub fn apply(self, x: i32) -> i32 {
        let left = self.shift.max(0);
        let right = (-self.shift).max(0);
        let high = saturating_rounding_doubling_high_mul(x.saturating_mul(1 << left), self.multiplier);
        rounding_divide_by_pot(high, right)
    }
}

const TWO_POW_31: f64 = 2_147_483_648.0;

/// gemmlowp's `SaturatingRoundingDoublingHighMul`: the high 32 bits of
/// `2 · a · b`, rounded half up; `i32::MIN · i32::MIN` saturates to `i32::MAX`.
#[inline]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = i64::from(a) * i64::from(b);
    let nudge = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    ((ab + nudge) / (1 << 31)) as i32
}

/// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded half away from
/// zero; `exponent` is taken in `0..=31`.
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let e = exponent.clamp(0, 31) as u32;
    let mask = ((1i64 << e) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> e) + i32::from(remainder > threshold)
}
