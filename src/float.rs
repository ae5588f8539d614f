//! The float trait every op is written against, and the numeric bounds
//! (clamps) of the whole crate, in one place.
//!
//! # The clamp bounds and their reasons
//!
//! | bound | `f32` | `f64` | reason |
//! | --- | --- | --- | --- |
//! | [`Float::SATURATION`] | `1e30` | `1e300` | every value and gradient the tape stores is saturated to ±this, so one overflow cannot poison the rest of the graph; `1e30` is the largest input the crate promises to handle in `f32` |
//! | [`Float::EXP_INPUT_MAX`] | `88.0` | `709.0` | just under `ln(MAX)`: `exp` of a larger argument is `+inf` |
//! | [`Float::PROB_EPS`] | `1e-7` | `1e-15` | probabilities fed to `ln` are kept in `[EPS, 1 - EPS]`; `1 - EPS` must still be below `1` in the type |
//!
//! A sum in which `+inf` and `-inf` meet (two saturated products of opposite
//! sign overflowing) is `NaN`; saturation maps it to `0`, the only neutral
//! choice when the sign of the true sum is unknown.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::io::{Dtype, TensorData};

/// The float type of a graph: `f32` for deployment, `f64` for tight gradient checks.
///
/// The maths functions forward to `libm` (and, for `f32`'s `exp` and `tanh`,
/// to the crate's vectorisable approximations within 2 ulp), so results are
/// the same on every target: no platform `libm`, and no fused multiply-add
/// unless the `fma` feature asks for one ([`Float::fused_mul_add`]).
pub trait Float:
    Copy
    + Default
    + PartialOrd
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// `0`.
    const ZERO: Self;
    /// `1`.
    const ONE: Self;
    /// Values and gradients are saturated to `±SATURATION` (see the module docs).
    const SATURATION: Self;
    /// Largest argument passed to `exp` (just under `ln(MAX)`).
    const EXP_INPUT_MAX: Self;
    /// Probabilities fed to `ln` are clamped to `[PROB_EPS, 1 - PROB_EPS]`.
    const PROB_EPS: Self;
    /// The safetensors element type.
    const DTYPE: Dtype;

    /// Converts from `f64` (rounding to nearest).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// `e^self` (not clamped: callers clamp the argument).
    fn exp(self) -> Self;
    /// Natural logarithm (not clamped: callers clamp the argument).
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate for small `self`.
    fn ln_1p(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self · a + b` rounded once (IEEE 754 `fusedMultiplyAdd`): the same
    /// bits on every target. The product sums of the kernels use it when
    /// the crate's `fma` feature is on.
    fn fused_mul_add(self, a: Self, b: Self) -> Self;
    /// `true` unless infinite or NaN.
    fn is_finite(self) -> bool;
    /// `true` for NaN.
    fn is_nan(self) -> bool;
    /// Reads one little-endian element from exactly `DTYPE.size()` bytes (0 for another length).
    fn from_le_slice(bytes: &[u8]) -> Self;
    /// Writes one little-endian element into exactly `DTYPE.size()` bytes.
    fn write_le(self, out: &mut [u8]);
    /// `values` as elements of a tensor to write.
    fn tensor_data(values: &[Self]) -> TensorData<'_>;

    /// Converts a count, exactly for counts below 2^24 (f32) or 2^53 (f64).
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }

    /// The larger of two values (`self` when they compare equal or one is NaN).
    fn max(self, other: Self) -> Self {
        if other > self { other } else { self }
    }

    /// The smaller of two values (`self` when they compare equal or one is NaN).
    fn min(self, other: Self) -> Self {
        if other < self { other } else { self }
    }

    /// Clamps into `[-SATURATION, SATURATION]`, mapping NaN to `0`.
    ///
    /// Written as two selects that let NaN through and a third that catches
    /// it, which vectorises to a minimum, a maximum and a masked move.
    #[inline]
    fn saturate(self) -> Self {
        let upper = if self > Self::SATURATION {
            Self::SATURATION
        } else {
            self
        };
        let both = if upper < -Self::SATURATION {
            -Self::SATURATION
        } else {
            upper
        };
        if both.is_nan() { Self::ZERO } else { both }
    }

    /// `exp` with its argument clamped to `EXP_INPUT_MAX`: finite for every input.
    fn exp_clamped(self) -> Self {
        self.min(Self::EXP_INPUT_MAX).exp()
    }

    /// `ln` of a probability clamped to `[PROB_EPS, 1 - PROB_EPS]`.
    fn ln_prob(self) -> Self {
        self.clamp_prob().ln()
    }

    /// Clamps a probability to `[PROB_EPS, 1 - PROB_EPS]` (NaN becomes `PROB_EPS`).
    fn clamp_prob(self) -> Self {
        let hi = Self::ONE - Self::PROB_EPS;
        if self > hi {
            hi
        } else if self >= Self::PROB_EPS {
            self
        } else {
            Self::PROB_EPS
        }
    }
}

/// Implements [`Float`] for one primitive type; the bodies only forward to `libm`
/// (and the crate's own `exp`, `tanh` and fused multiply-add).
macro_rules! impl_float {
    ($t:ty, $dtype:ident, $sat:expr, $exp_max:expr, $eps:expr,
     $exp:path, $ln:path, $ln1p:path, $tanh:path, $sqrt:path, $fabs:path, $fma:path) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const SATURATION: Self = $sat;
            const EXP_INPUT_MAX: Self = $exp_max;
            const PROB_EPS: Self = $eps;
            const DTYPE: Dtype = Dtype::$dtype;

            #[inline]
            fn tensor_data(values: &[Self]) -> TensorData<'_> {
                TensorData::$dtype(values)
            }

            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                $ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $ln1p(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $sqrt(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $fabs(self)
            }
            #[inline(always)]
            fn fused_mul_add(self, a: Self, b: Self) -> Self {
                $fma(self, a, b)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            fn from_le_slice(bytes: &[u8]) -> Self {
                // One fixed-size copy: a single (unaligned) load where the target allows it.
                match <[u8; core::mem::size_of::<$t>()]>::try_from(bytes) {
                    Ok(raw) => <$t>::from_le_bytes(raw),
                    Err(_) => 0.0,
                }
            }
            #[inline]
            fn write_le(self, out: &mut [u8]) {
                out.iter_mut().zip(self.to_le_bytes()).for_each(|(o, b)| *o = b);
            }
        }
    };
}

impl_float!(
    f32,
    F32,
    1e30,
    88.0,
    1e-7,
    crate::fastmath::expf,
    libm::logf,
    libm::log1pf,
    crate::fastmath::tanhf,
    libm::sqrtf,
    libm::fabsf,
    crate::fma::fmaf
);
impl_float!(
    f64,
    F64,
    1e300,
    709.0,
    1e-15,
    libm::exp,
    libm::log,
    libm::log1p,
    libm::tanh,
    libm::sqrt,
    libm::fabs,
    crate::fma::fma
);

// `1 − PROB_EPS` must stay below 1 in the type, or `ln(1 − p)` could be `ln 0`.
const _: () = assert!(1.0f32 - <f32 as Float>::PROB_EPS < 1.0);
const _: () = assert!(1.0f64 - <f64 as Float>::PROB_EPS < 1.0);

/// What a cleared gradient element holds once `t` is added to it and the
/// tape saturates it: `(+0 + t)` saturated (`+0 + −0` is `+0`, so never `t`
/// itself). The fresh forms of the ops' backward write this, the bits of a
/// clear, the accumulation and [`saturate_all`].
#[inline(always)]
pub(crate) fn added_to_zero<T: Float>(t: T) -> T {
    (T::ZERO + t).saturate()
}

/// Saturates every element of a slice in place (see [`Float::saturate`]).
#[inline]
pub(crate) fn saturate_all<T: Float>(xs: &mut [T]) {
    for x in xs {
        *x = x.saturate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturate_maps_nan_and_inf() {
        assert_eq!(f32::NAN.saturate(), 0.0);
        assert_eq!(f32::INFINITY.saturate(), 1e30);
        assert_eq!(f32::NEG_INFINITY.saturate(), -1e30);
        assert_eq!(0.5f32.saturate(), 0.5);
    }

    /// The select form gives the bits of the plain definition: the clamp of
    /// a number, `0` for NaN, on every class of value (signed zeros,
    /// subnormals, the bounds and their neighbours, infinities, NaNs) and a
    /// sweep of `f32` bit patterns.
    #[test]
    fn saturate_matches_its_definition() {
        fn reference(x: f32) -> f32 {
            if x.is_nan() { 0.0 } else { x.clamp(-1e30, 1e30) }
        }
        let specials = [
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            1e-45,
            -1e-45,
            1e30,
            -1e30,
            f32::from_bits(1e30f32.to_bits() + 1),
            f32::from_bits(1e30f32.to_bits() - 1),
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        let sweep = (0..=u32::MAX / 65_537).map(|k| f32::from_bits(k.wrapping_mul(65_537)));
        for x in specials.into_iter().chain(sweep) {
            assert_eq!(
                x.saturate().to_bits(),
                reference(x).to_bits(),
                "{x:e} ({:#x})",
                x.to_bits()
            );
        }
        for x in [
            0.0,
            -0.0,
            1e300,
            -1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1.5,
        ] {
            let want = if x.is_nan() { 0.0 } else { x.clamp(-1e300, 1e300) };
            assert_eq!(x.saturate().to_bits(), want.to_bits(), "{x:e}");
        }
    }

    #[test]
    fn exp_clamped_is_finite() {
        assert!(1e30f32.exp_clamped().is_finite());
        assert!(f32::MAX.exp_clamped().is_finite());
        assert!(1e300f64.exp_clamped().is_finite());
    }

    #[test]
    fn ln_prob_is_finite_at_the_edges() {
        assert!(0.0f32.ln_prob().is_finite());
        assert!(1.0f32.ln_prob().is_finite());
        assert!(f32::NAN.ln_prob().is_finite());
    }

    #[test]
    fn le_round_trip() {
        let mut b = [0u8; 4];
        1.5f32.write_le(&mut b);
        assert_eq!(f32::from_le_slice(&b), 1.5);
        let mut b = [0u8; 8];
        (-2.25f64).write_le(&mut b);
        assert_eq!(f64::from_le_slice(&b), -2.25);
    }
}
