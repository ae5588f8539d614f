//! Kullback–Leibler divergence as PyTorch's `KLDivLoss`: the input `x` holds
//! log-probabilities, the target `t` probabilities; element-wise before the
//! row mean, `l = t (ln t − x)`, with `l = 0` where `t ≤ 0`.
//!
//! Derivative: `∂x = −t`, `∂t = ln t − x + 1` (0 where `t ≤ 0`).
//!
//! Numerics: `ln t` is only taken for `t > 0`, where it is finite (even for
//! subnormal `t`); the tape saturates a product with a huge `x`.

use crate::float::Float;

/// `l = t (ln t − x)`, 0 where `t ≤ 0`.
pub(crate) fn forward<T: Float>(x: &[T], t: &[T], y: &mut [T]) {
    for ((yi, &xi), &ti) in y.iter_mut().zip(x).zip(t) {
        *yi = if ti > T::ZERO { ti * (ti.ln() - xi) } else { T::ZERO };
    }
}

/// Gradient for `x` (`k = 0`) or `t` (`k = 1`).
pub(crate) fn backward<T: Float>(k: usize, x: &[T], t: &[T], gy: &[T], gx: &mut [T]) {
    for (((g, &xi), &ti), &gi) in gx.iter_mut().zip(x).zip(t).zip(gy) {
        if ti > T::ZERO {
            *g += gi * if k == 0 { -ti } else { ti.ln() - xi + T::ONE };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_for_equal_distributions() {
        let t = [0.25f64, 0.75];
        let x = [libm::log(0.25), libm::log(0.75)];
        let mut y = [1.0f64; 2];
        forward(&x, &t, &mut y);
        assert!(y.iter().all(|v| v.abs() < 1e-15));
        forward(&x, &[0.0, 1.0], &mut y);
        assert_eq!(y[0], 0.0);
    }
}
