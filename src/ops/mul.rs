//! `Mul`: `y = a ⊙ b`, element-wise, same shapes.
//!
//! Derivative: `∂a = ∂y ⊙ b`, `∂b = ∂y ⊙ a`. With `a` and `b` the same node
//! (`x ⊙ x`) the tape calls this once per input and the two halves add up.
//!
//! Numerics: a product of two saturated values can overflow; the tape saturates it.

use crate::float::Float;

/// `y = a ⊙ b`.
pub(crate) fn forward<T: Float>(a: &[T], b: &[T], y: &mut [T]) {
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai * bi;
    }
}

/// `∂a += ∂y ⊙ b` for `k = 0`, `∂b += ∂y ⊙ a` for `k = 1`.
pub(crate) fn backward<T: Float>(k: usize, a: &[T], b: &[T], gy: &[T], gx: &mut [T]) {
    let other = if k == 0 { b } else { a };
    for ((g, &o), &gi) in gx.iter_mut().zip(other).zip(gy) {
        *g += gi * o;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn multiplies() {
        let mut y = [0.0f32; 2];
        super::forward(&[1.5, 2.0], &[2.0, -5.0], &mut y);
        assert_eq!(y, [3.0, -10.0]);
    }
}
