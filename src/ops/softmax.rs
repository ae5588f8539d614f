//! `Softmax` over each row: `y_i = e^(x_i − m) / Σ_j e^(x_j − m)`, `m = max_j x_j`.
//!
//! Derivative: `∂x_i = y_i (∂y_i − Σ_j ∂y_j y_j)`, from the saved output.
//!
//! Numerics: subtracting the row maximum keeps every exponent `≤ 0`, so the
//! sum is in `[1, n]`: no overflow and no division by zero.

use crate::float::Float;

/// Writes `softmax(x)` of each row of `n` into `y`.
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T], n: usize) {
    for (xr, yr) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
        let m = row_max(xr);
        let mut sum = T::ZERO;
        for (yi, &xi) in yr.iter_mut().zip(xr) {
            *yi = (xi - m).exp();
            sum += *yi;
        }
        for yi in yr.iter_mut() {
            *yi /= sum;
        }
    }
}

/// `∂x_i += y_i (∂y_i − Σ_j ∂y_j y_j)` per row.
pub(crate) fn backward<T: Float>(y: &[T], gy: &[T], gx: &mut [T], n: usize) {
    let rows = y.chunks_exact(n).zip(gy.chunks_exact(n));
    for ((yr, gyr), gxr) in rows.zip(gx.chunks_exact_mut(n)) {
        let mut s = T::ZERO;
        for (&yi, &gi) in yr.iter().zip(gyr) {
            s += yi * gi;
        }
        for ((g, &yi), &gi) in gxr.iter_mut().zip(yr).zip(gyr) {
            *g += yi * (gi - s);
        }
    }
}

/// The largest element of a row (0 for an empty one).
pub(crate) fn row_max<T: Float>(xs: &[T]) -> T {
    let first = xs.first().copied().unwrap_or(T::ZERO);
    xs.iter().fold(first, |m, &x| m.max(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // softmax([1, 2, 3]) = [0.09003057, 0.24472847, 0.66524096]
        let mut y = [0.0f64; 3];
        forward(&[1.0, 2.0, 3.0], &mut y, 3);
        let want = [
            0.090_030_573_170_380_46,
            0.244_728_471_054_797_6,
            0.665_240_955_774_821_9,
        ];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    #[test]
    fn huge_logits_are_finite() {
        let mut y = [0.0f32; 3];
        forward(&[1e30, -1e30, 1e30], &mut y, 3);
        assert_eq!(y, [0.5, 0.0, 0.5]);
    }
}
