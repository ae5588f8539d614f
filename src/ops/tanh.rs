//! `Tanh`: `y = tanh(x)`.
//!
//! Derivative: `1 − y²`, from the saved output.
//!
//! Numerics: `tanh` saturates to ±1 on its own; finite for every input.

use crate::float::{Float, added_to_zero};

/// `y = tanh(x)`.
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = xi.tanh();
    }
}

/// `∂x += ∂y (1 − y²)`.
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

/// One element's share: `∂y · (1 − y²)`.
#[inline(always)]
fn term<T: Float>(y: T, gy: T) -> T {
    gy * (T::ONE - y * y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_saturation() {
        let mut y = [9.0f32; 3];
        forward(&[0.0, 1e30, -1e30], &mut y);
        assert_eq!(y, [0.0, 1.0, -1.0]);
        let mut g = [0.0f32; 3];
        backward(&y, &[1.0; 3], &mut g);
        assert_eq!(g, [1.0, 0.0, 0.0]);
    }
}
