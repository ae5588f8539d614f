//! `QuantParams`: the affine map between reals and int8, `r = scale · (q − zero_point)`.
//!
//! Numerics: quantisation rounds half away from zero (`roundf`, as TFLite's
//! `Quantize`) and saturates to `-128..=127`; NaN quantises to the zero point.

use crate::error::Error;

/// The affine int8 quantisation of one tensor: `r = scale · (q − zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams {
    /// The real value of one step (finite, positive).
    pub scale: f32,
    /// The int8 code of real 0 (`-128..=127`; 0 for symmetric weights).
    pub zero_point: i32,
}

impl QuantParams {
    /// Checks that `scale` is finite and positive and `zero_point` in `-128..=127`.
    ///
    /// # Errors
    /// [`Error::InvalidScale`] or [`Error::QuantParamOutOfRange`] naming `what`.
    pub fn new(scale: f32, zero_point: i32, what: &'static str) -> Result<Self, Error> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(Error::InvalidScale {
                what,
                index: 0,
                bits: scale.to_bits(),
            });
        }
        check_zero_point(zero_point, what)?;
        Ok(QuantParams { scale, zero_point })
    }

    /// TFLite's `ChooseQuantizationParams` for int8: the range is widened to
    /// hold 0, `scale = (max − min) / 255`, and the zero point is the rounded,
    /// clamped code of 0 (so real 0 is exactly representable). An empty range
    /// gets scale 1.
    ///
    /// # Errors
    /// [`Error::InvalidScale`] when `min` or `max` is not finite.
    pub fn from_min_max(min: f32, max: f32) -> Result<Self, Error> {
        for v in [min, max] {
            if !v.is_finite() {
                return Err(Error::InvalidScale {
                    what: "calibration range",
                    index: 0,
                    bits: v.to_bits(),
                });
            }
        }
        let (lo, hi) = (f64::from(min.min(0.0)), f64::from(max.max(0.0)));
        let scale = ((hi - lo) / 255.0) as f32;
        if scale <= 0.0 {
            return Ok(QuantParams {
                scale: 1.0,
                zero_point: 0,
            });
        }
        let zp = libm::round(-128.0 - lo / f64::from(scale)).clamp(-128.0, 127.0) as i32;
        Ok(QuantParams { scale, zero_point: zp })
    }

    /// Symmetric params for weights whose largest magnitude is `max_abs`:
    /// `scale = max_abs / 127`, zero point 0 (scale 1 for an all-zero channel).
    pub fn symmetric(max_abs: f32) -> Self {
        let scale = max_abs / 127.0;
        if scale.is_finite() && scale > 0.0 {
            QuantParams { scale, zero_point: 0 }
        } else {
            QuantParams {
                scale: 1.0,
                zero_point: 0,
            }
        }
    }

    /// `clamp(round(r / scale) + zero_point, -128, 127)`.
    pub fn quantize(&self, r: f32) -> i8 {
        let q = libm::roundf(r / self.scale);
        let q = if q.is_nan() { 0.0 } else { q.clamp(-256.0, 256.0) };
        super::clamp_i8(q as i32 + self.zero_point, i8::MIN, i8::MAX)
    }

    /// `scale · (q − zero_point)`.
    pub fn dequantize(&self, q: i8) -> f32 {
        self.scale * (i32::from(q) - self.zero_point) as f32
    }
}

/// Checks a zero point is an int8 code.
pub(crate) fn check_zero_point(zero_point: i32, what: &'static str) -> Result<(), Error> {
    if (-128..=127).contains(&zero_point) {
        return Ok(());
    }
    Err(Error::QuantParamOutOfRange {
        what,
        index: 0,
        value: zero_point.into(),
        min: -128,
        max: 127,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_exact_and_limits_saturate() {
        let p = QuantParams::from_min_max(-1.0, 3.0).unwrap();
        assert_eq!(p.dequantize(p.quantize(0.0)), 0.0);
        assert_eq!(p.quantize(1e30), 127);
        assert_eq!(p.quantize(-1e30), -128);
        assert_eq!(p.quantize(f32::NAN), p.zero_point as i8);
        let only_positive = QuantParams::from_min_max(0.5, 2.0).unwrap();
        assert_eq!(only_positive.zero_point, -128);
        assert!(QuantParams::new(0.0, 0, "x").is_err());
        assert!(QuantParams::new(1.0, 128, "x").is_err());
        assert!(QuantParams::from_min_max(f32::NAN, 1.0).is_err());
    }
}
