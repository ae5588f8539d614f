//! Multi-class hinge (PyTorch's `MultiMarginLoss`, `p = 1`, margin 1), per
//! row of `n` scores `x` with a probability target `t` whose largest entry
//! names the class `c` (a one-hot row in practice):
//! `l = Σ_{i≠c} max(0, 1 − x_c + x_i) / n`.
//!
//! Derivatives: each active term (`1 − x_c + x_i > 0`) adds `1/n` to `∂x_i`
//! and `−1/n` to `∂x_c`; the class is an index, so `∂t = 0`.
//!
//! Numerics: sums of saturated differences, saturated by the tape; the class
//! is the first maximum of the target row, so ties cannot index out of range.

use crate::float::Float;

/// The hinge margin (PyTorch's default).
const MARGIN: f64 = 1.0;

/// The class a target row names: its first maximum.
fn class<T: Float>(t: &[T]) -> usize {
    let first = t.first().copied().unwrap_or(T::ZERO);
    t.iter()
        .enumerate()
        .skip(1)
        .fold((0, first), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) })
        .0
}

/// Per row of `n`: `y_r = Σ_{i≠c} max(0, 1 − x_c + x_i) / n`.
pub(crate) fn forward<T: Float>(x: &[T], t: &[T], y: &mut [T], n: usize) {
    let margin = T::from_f64(MARGIN);
    let scale = T::ONE / T::from_usize(n.max(1));
    for ((xr, tr), yr) in x.chunks_exact(n).zip(t.chunks_exact(n)).zip(y.iter_mut()) {
        let c = class(tr);
        let xc = xr.get(c).copied().unwrap_or(T::ZERO);
        let mut l = T::ZERO;
        for (i, &xi) in xr.iter().enumerate() {
            let m = (margin - xc + xi).saturate();
            if i != c && m > T::ZERO {
                l += m;
            }
        }
        *yr = l * scale;
    }
}

/// Gradient for the scores (`k = 0`); none for the targets.
pub(crate) fn backward<T: Float>(k: usize, x: &[T], t: &[T], gy: &[T], gx: &mut [T], n: usize) {
    if k != 0 {
        return;
    }
    let margin = T::from_f64(MARGIN);
    let scale = T::ONE / T::from_usize(n.max(1));
    let rows = x.chunks_exact(n).zip(t.chunks_exact(n)).zip(gy);
    for (((xr, tr), &g), gxr) in rows.zip(gx.chunks_exact_mut(n)) {
        let c = class(tr);
        let xc = xr.get(c).copied().unwrap_or(T::ZERO);
        let step = g * scale;
        let mut active = T::ZERO;
        for (i, (&xi, gi)) in xr.iter().zip(gxr.iter_mut()).enumerate() {
            if i != c && (margin - xc + xi).saturate() > T::ZERO {
                *gi += step;
                active += T::ONE;
            }
        }
        if let Some(gc) = gxr.get_mut(c) {
            *gc -= step * active;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value_and_gradient() {
        // x = [0.1, 0.2, 0.4, 0.8], class 3 (PyTorch's documented example): 0.32̄
        let x = [0.1f64, 0.2, 0.4, 0.8];
        let t = [0.0, 0.0, 0.0, 1.0];
        let mut y = [0.0];
        forward(&x, &t, &mut y, 4);
        assert!((y[0] - (0.3 + 0.4 + 0.6) / 4.0).abs() < 1e-15);
        let mut g = [0.0; 4];
        backward(0, &x, &t, &[1.0], &mut g, 4);
        assert_eq!(g, [0.25, 0.25, 0.25, -0.75]);
    }

    #[test]
    fn satisfied_margins_give_zero() {
        let mut y = [1.0f32];
        forward(&[0.0, 5.0], &[0.0, 1.0], &mut y, 2);
        assert_eq!(y, [0.0]);
    }

    #[test]
    fn huge_scores_stay_finite() {
        let mut y = [0.0f32];
        forward(&[f32::MAX, -f32::MAX, 1e30], &[0.0, 1.0, 0.0], &mut y, 3);
        assert!(y[0].is_finite());
        let mut g = [0.0f32; 3];
        backward(0, &[f32::MAX, -f32::MAX, 1e30], &[0.0, 1.0, 0.0], &[1.0], &mut g, 3);
        assert!(g.iter().all(|v| v.is_finite()));
    }
}
