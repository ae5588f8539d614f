//! `LogSoftmax` over each row: `y_i = x_i − m − ln Σ_j e^(x_j − m)`, `m = max_j x_j`.
//!
//! Derivative: `∂x_i = ∂y_i − e^(y_i) Σ_j ∂y_j`, from the saved output.
//!
//! Numerics: the log-sum-exp is shifted by the row maximum (sum in `[1, n]`),
//! and `y` is formed as `(x − m) − ln Σ` so the small `ln Σ` is not rounded
//! away against a huge `m`;
//! an element far below the maximum gives a large negative `y` that the tape
//! saturates, and `e^(y)` of it is 0.

use super::softmax::row_max;
use crate::float::Float;

/// Writes `log_softmax(x)` of each row of `n` into `y`.
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T], n: usize) {
    for (xr, yr) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
        let (m, ln_sum) = shifted_log_sum_exp(xr);
        for (yi, &xi) in yr.iter_mut().zip(xr) {
            *yi = (xi - m) - ln_sum;
        }
    }
}

/// `∂x_i += ∂y_i − e^(y_i) Σ_j ∂y_j` per row.
pub(crate) fn backward<T: Float>(y: &[T], gy: &[T], gx: &mut [T], n: usize) {
    let rows = y.chunks_exact(n).zip(gy.chunks_exact(n));
    for ((yr, gyr), gxr) in rows.zip(gx.chunks_exact_mut(n)) {
        let mut s = T::ZERO;
        for &gi in gyr {
            s += gi;
        }
        for ((g, &yi), &gi) in gxr.iter_mut().zip(yr).zip(gyr) {
            *g += gi - yi.exp_clamped() * s;
        }
    }
}

/// `(m, ln Σ e^(x_j − m))` with `m` the maximum, so that `ln Σ e^(x_j) = m + ln_sum`
/// without overflow. Callers subtract `m` from `x_j` first: adding a small
/// `ln_sum` to a huge `m` would round it away.
pub(crate) fn shifted_log_sum_exp<T: Float>(xs: &[T]) -> (T, T) {
    let m = row_max(xs);
    let mut sum = T::ZERO;
    for &x in xs {
        sum += (x - m).exp();
    }
    (m, sum.ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        let mut y = [0.0f64; 3];
        forward(&[1.0, 2.0, 3.0], &mut y, 3);
        let want = [-2.407_605_964_444_38, -1.407_605_964_444_38, -0.407_605_964_444_380];
        for (a, b) in y.iter().zip(want) {
            assert!((a - b).abs() < 1e-14);
        }
    }

    #[test]
    fn log_softmax_of_huge_logits_is_finite() {
        let mut y = [0.0f32; 2];
        forward(&[1e30, -1e30], &mut y, 2);
        assert_eq!(y[0], 0.0);
        assert!(y[1].is_finite());
    }
}
