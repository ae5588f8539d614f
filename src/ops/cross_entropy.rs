//! Cross-entropy with probability targets `t`.
//!
//! On probabilities (`CrossEntropyProb`), element-wise before the row mean:
//! `l = −t ln p`, `∂p = −t / p`, `∂t = −ln p`.
//!
//! On logits (`CrossEntropyLogits`), fused with log-softmax because
//! `ln softmax(z)` computed in two steps loses everything to rounding when
//! one logit dominates: per row, `l = Σ_i t_i (lse(z) − z_i)`,
//! `∂z_i = (Σ_j t_j) softmax(z)_i − t_i`, `∂t_i = lse(z) − z_i`.
//!
//! Numerics: `p` is clamped to `[PROB_EPS, 1 − PROB_EPS]`; the log-sum-exp is
//! shifted by the row maximum and every logit is shifted before `ln Σ` is
//! subtracted (`(z − m) − ln Σ`), so equal huge logits still give `ln n`.

use super::log_softmax::shifted_log_sum_exp;
use crate::float::Float;

/// `l = −t ln p`.
pub(crate) fn forward_prob<T: Float>(p: &[T], t: &[T], y: &mut [T]) {
    for ((yi, &pi), &ti) in y.iter_mut().zip(p).zip(t) {
        *yi = -ti * pi.ln_prob();
    }
}

/// Gradient for `p` (`k = 0`) or `t` (`k = 1`).
pub(crate) fn backward_prob<T: Float>(k: usize, p: &[T], t: &[T], gy: &[T], gx: &mut [T]) {
    for (((g, &pi), &ti), &gi) in gx.iter_mut().zip(p).zip(t).zip(gy) {
        *g += gi * if k == 0 { -ti / pi.clamp_prob() } else { -pi.ln_prob() };
    }
}

/// Per row of `n`: `y_r = Σ_i t_i (lse(z) − z_i)`.
pub(crate) fn forward_logits<T: Float>(z: &[T], t: &[T], y: &mut [T], n: usize) {
    let rows = z.chunks_exact(n).zip(t.chunks_exact(n));
    for ((zr, tr), yr) in rows.zip(y.iter_mut()) {
        let (m, ln_sum) = shifted_log_sum_exp(zr);
        let mut l = T::ZERO;
        for (&zi, &ti) in zr.iter().zip(tr) {
            l += ti * (ln_sum - (zi - m));
        }
        *yr = l;
    }
}

/// Gradient for the logits (`k = 0`) or the targets (`k = 1`).
pub(crate) fn backward_logits<T: Float>(k: usize, z: &[T], t: &[T], gy: &[T], gx: &mut [T], n: usize) {
    let rows = z.chunks_exact(n).zip(t.chunks_exact(n)).zip(gy);
    for (((zr, tr), &gr), gxr) in rows.zip(gx.chunks_exact_mut(n)) {
        let (m, ln_sum) = shifted_log_sum_exp(zr);
        if k == 0 {
            let t_sum = tr.iter().fold(T::ZERO, |s, &v| s + v);
            for ((g, &zi), &ti) in gxr.iter_mut().zip(zr).zip(tr) {
                *g += gr * (t_sum * ((zi - m) - ln_sum).exp() - ti);
            }
        } else {
            for (g, &zi) in gxr.iter_mut().zip(zr) {
                *g += gr * (ln_sum - (zi - m));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logits_form_matches_log_softmax() {
        // z = [1, 2, 3], class 2: −log_softmax(z)[2] = 0.40760596444438
        let mut y = [0.0f64];
        forward_logits(&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0], &mut y, 3);
        assert!((y[0] - 0.407_605_964_444_380).abs() < 1e-14);
    }

    #[test]
    fn one_dominant_logit_is_exact_and_finite() {
        let mut y = [0.0f32];
        forward_logits(&[1e30, 0.0], &[0.0, 1.0], &mut y, 2);
        assert_eq!(y[0], 1e30);
        let mut g = [0.0f32; 2];
        backward_logits(0, &[1e30, 0.0], &[0.0, 1.0], &[1.0], &mut g, 2);
        assert_eq!(g, [1.0, -1.0]);
    }
}
