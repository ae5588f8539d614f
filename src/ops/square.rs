//! `Square`: `y = x²`, element-wise.
//!
//! Derivative: `∂x = 2 x ∂y`.
//!
//! Numerics: `x²` overflows for `|x| > 1.8e19` in `f32`; the tape saturates it.

use crate::float::{Float, added_to_zero};

/// `y = x²`.
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = xi * xi;
    }
}

/// `∂x += 2 x ∂y`.
pub(crate) fn backward<T: Float>(x: &[T], gy: &[T], gx: &mut [T]) {
    for ((g, &xi), &gi) in gx.iter_mut().zip(x).zip(gy) {
        *g += term(xi, gi);
    }
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_first<T: Float>(x: &[T], gy: &[T], gx: &mut [T]) {
    for ((g, &xi), &gi) in gx.iter_mut().zip(x).zip(gy) {
        *g = added_to_zero(term(xi, gi));
    }
}

/// One element's share: `(x + x) · ∂y`.
#[inline(always)]
fn term<T: Float>(x: T, gy: T) -> T {
    (x + x) * gy
}

#[cfg(test)]
mod tests {
    #[test]
    fn squares() {
        let mut y = [0.0f32; 2];
        super::forward(&[-3.0, 0.5], &mut y);
        assert_eq!(y, [9.0, 0.25]);
    }
}
