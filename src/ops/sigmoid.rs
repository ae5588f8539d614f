//! `Sigmoid`: `y = 1 / (1 + e^(−x))`.
//!
//! Derivative: `y (1 − y)`, from the saved output.
//!
//! Numerics: the exponent is clamped to [`Float::EXP_INPUT_MAX`], so
//! `x = −1e30` gives a tiny positive `y` instead of `1/∞`.

use crate::float::{Float, added_to_zero};

/// `y = σ(x)`.
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = T::ONE / (T::ONE + (-xi).exp_clamped());
    }
}

/// `∂x += ∂y y (1 − y)`.
pub(crate) fn backward<T: Float>(y: &[T], gy: &[T], gx: &mut [T]) {
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        *g += term(yi, gyi);
    }
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_first<T: Float>(y: &[T], gy: &[T], gx: &mut [T]) {
    for ((g, &yi), &gyi) in gx.iter_mut().zip(y).zip(gy) {
        *g = added_to_zero(term(yi, gyi));
    }
}

/// One element's share: `∂y · y · (1 − y)`.
#[inline(always)]
fn term<T: Float>(y: T, gy: T) -> T {
    gy * y * (T::ONE - y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_at_zero_and_finite_at_extremes() {
        let mut y = [0.0f32; 3];
        forward(&[0.0, 1e30, -1e30], &mut y);
        assert_eq!(y[0], 0.5);
        assert_eq!(y[1], 1.0);
        assert!(y[2] >= 0.0 && y[2] < 1e-30);
    }
}
