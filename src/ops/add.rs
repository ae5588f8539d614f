//! `Add`: `y = a + b`, element-wise, same shapes.
//!
//! Derivative: `∂a = ∂b = ∂y`.
//!
//! Numerics: the sum of two saturated values is finite in the type; the tape
//! saturates it again.

use crate::float::{Float, added_to_zero};

/// `y = a + b`.
pub(crate) fn forward<T: Float>(a: &[T], b: &[T], y: &mut [T]) {
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai + bi;
    }
}

/// `∂a += ∂y` (and the same for `b`).
pub(crate) fn backward<T: Float>(gy: &[T], gx: &mut [T]) {
    for (g, &gi) in gx.iter_mut().zip(gy) {
        *g += gi;
    }
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_first<T: Float>(gy: &[T], gx: &mut [T]) {
    for (g, &gi) in gx.iter_mut().zip(gy) {
        *g = added_to_zero(gi);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        let mut y = [0.0f32; 2];
        super::forward(&[1.0, 2.0], &[3.0, -5.0], &mut y);
        assert_eq!(y, [4.0, -3.0]);
    }
}
