//! `ReLU`: `y = max(x, 0)`.
//!
//! Derivative: `1` where `x > 0`, else `0` (PyTorch's choice at `x = 0`).
//!
//! Numerics: no arithmetic; finite for every finite input.

use crate::float::{Float, added_to_zero};

/// `y = max(x, 0)`.
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = if xi > T::ZERO { xi } else { T::ZERO };
    }
}

/// `∂x += ∂y [x > 0]`.
pub(crate) fn backward<T: Float>(x: &[T], gy: &[T], gx: &mut [T]) {
    for ((g, &xi), &gyi) in gx.iter_mut().zip(x).zip(gy) {
        if xi > T::ZERO {
            *g += gyi;
        }
    }
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_first<T: Float>(x: &[T], gy: &[T], gx: &mut [T]) {
    for ((g, &xi), &gyi) in gx.iter_mut().zip(x).zip(gy) {
        *g = added_to_zero(if xi > T::ZERO { gyi } else { T::ZERO });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_negatives() {
        let mut y = [9.0f32; 3];
        forward(&[-1.0, 0.0, 2.0], &mut y);
        assert_eq!(y, [0.0, 0.0, 2.0]);
        let mut g = [0.0f32; 3];
        backward(&[-1.0, 0.0, 2.0], &[5.0; 3], &mut g);
        assert_eq!(g, [0.0, 0.0, 5.0]);
    }
}
