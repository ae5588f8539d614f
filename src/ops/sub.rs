//! `Sub`: `y = a − b`, element-wise, same shapes.
//!
//! Derivative: `∂a = ∂y`, `∂b = −∂y`.
//!
//! Numerics: as [`add`](super::add).

use crate::float::{Float, added_to_zero};

/// `y = a − b`.
pub(crate) fn forward<T: Float>(a: &[T], b: &[T], y: &mut [T]) {
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai - bi;
    }
}

/// `∂a += ∂y` for `k = 0`, `∂b −= ∂y` for `k = 1`.
pub(crate) fn backward<T: Float>(k: usize, gy: &[T], gx: &mut [T]) {
    let sign: T = sign(k);
    for (g, &gi) in gx.iter_mut().zip(gy) {
        *g += sign * gi;
    }
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_first<T: Float>(k: usize, gy: &[T], gx: &mut [T]) {
    let sign: T = sign(k);
    for (g, &gi) in gx.iter_mut().zip(gy) {
        *g = added_to_zero(sign * gi);
    }
}

/// The sign input `k` takes in `a − b`.
fn sign<T: Float>(k: usize) -> T {
    if k == 0 { T::ONE } else { -T::ONE }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subtracts_and_negates_gradient() {
        let mut y = [0.0f32; 2];
        super::forward(&[1.0, 2.0], &[3.0, -5.0], &mut y);
        assert_eq!(y, [-2.0, 7.0]);
        let mut g = [0.0f32; 2];
        super::backward(1, &[1.0, 2.0], &mut g);
        assert_eq!(g, [-1.0, -2.0]);
    }
}
