//! Binary cross-entropy, element-wise, before the mean.
//!
//! On probabilities (`Bce`): `l = −(t ln p + (1 − t) ln(1 − p))`,
//! `∂p = (p − t) / (p (1 − p))`, `∂t = ln(1 − p) − ln p`.
//!
//! On logits (`BceLogits`), fused because `ln σ(z)` overflows for large `|z|`:
//! `l = max(z, 0) − z t + ln(1 + e^(−|z|))`, `∂z = σ(z) − t`, `∂t = −z`.
//!
//! Numerics: `p` is clamped to `[PROB_EPS, 1 − PROB_EPS]` (the derivative is
//! taken at the clamped point, so a saturated sigmoid still learns); the
//! logits form never exponentiates a positive number.

use crate::float::Float;

/// `l = −(t ln p + (1 − t) ln(1 − p))`.
pub(crate) fn forward<T: Float>(p: &[T], t: &[T], y: &mut [T]) {
    for ((yi, &pi), &ti) in y.iter_mut().zip(p).zip(t) {
        let pc = pi.clamp_prob();
        *yi = -(ti * pc.ln() + (T::ONE - ti) * (T::ONE - pc).ln());
    }
}

/// Gradient for `p` (`k = 0`) or `t` (`k = 1`).
pub(crate) fn backward<T: Float>(k: usize, p: &[T], t: &[T], gy: &[T], gx: &mut [T]) {
    for (((g, &pi), &ti), &gi) in gx.iter_mut().zip(p).zip(t).zip(gy) {
        let pc = pi.clamp_prob();
        *g += gi
            * if k == 0 {
                (pc - ti) / (pc * (T::ONE - pc))
            } else {
                (T::ONE - pc).ln() - pc.ln()
            };
    }
}

/// `l = max(z, 0) − z t + ln(1 + e^(−|z|))`.
pub(crate) fn forward_logits<T: Float>(z: &[T], t: &[T], y: &mut [T]) {
    for ((yi, &zi), &ti) in y.iter_mut().zip(z).zip(t) {
        *yi = zi.max(T::ZERO) - zi * ti + (-zi.abs()).exp().ln_1p();
    }
}

/// Gradient for `z` (`k = 0`: `σ(z) − t`) or `t` (`k = 1`: `−z`).
pub(crate) fn backward_logits<T: Float>(k: usize, z: &[T], t: &[T], gy: &[T], gx: &mut [T]) {
    for (((g, &zi), &ti), &gi) in gx.iter_mut().zip(z).zip(t).zip(gy) {
        *g += gi
            * if k == 0 {
                T::ONE / (T::ONE + (-zi).exp_clamped()) - ti
            } else {
                -zi
            };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_point() {
        // p = 0.8, t = 1: −ln 0.8 = 0.22314355131420976
        let mut y = [0.0f64];
        forward(&[0.8], &[1.0], &mut y);
        assert!((y[0] - 0.223_143_551_314_209_76).abs() < 1e-15);
        // the logits form agrees: z = ln(0.8 / 0.2)
        forward_logits(&[libm::log(4.0)], &[1.0], &mut y);
        assert!((y[0] - 0.223_143_551_314_209_76).abs() < 1e-15);
    }

    #[test]
    fn certain_and_wrong_is_finite() {
        let mut y = [0.0f32; 2];
        forward(&[0.0, 1.0], &[1.0, 0.0], &mut y);
        assert!(y.iter().all(|v| v.is_finite() && *v > 15.0));
        forward_logits(&[-1e30, 1e30], &[1.0, 0.0], &mut y);
        assert!(y.iter().all(|v| v.is_finite()));
    }
}
