//! Huber / smooth-L1 terms, element-wise on outputs `y` and targets `t`,
//! with `d = y − t` and threshold `δ`:
//! `l = ½ d²` when `|d| < δ`, else `δ (|d| − ½ δ)` (PyTorch's `HuberLoss`);
//! the smooth-L1 form divides by `δ` (PyTorch's `SmoothL1Loss` with
//! `β = δ`), and is `|d|` when `δ = 0`.
//!
//! Derivatives: `∂y = clamp(d, −δ, δ)` (divided by `δ` in the smooth-L1
//! form, `sign(d)` when `δ = 0`), `∂t = −∂y`.
//!
//! Numerics: `d` of two saturated values can overflow to ±∞ in `½ d²`; the
//! quadratic branch only runs for `|d| < δ`, so it stays finite for every
//! finite `δ`, and the linear branch is saturated by the tape.

use crate::float::Float;

/// The threshold and form of a Huber term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HuberDims {
    /// `δ` as the bits of an `f32` (so that the op stays `Eq`).
    pub delta_bits: u32,
    /// Smooth-L1 (`l / δ`) rather than Huber.
    pub smooth: bool,
}

impl HuberDims {
    /// `δ`; a negative or non-finite threshold acts as 0.
    fn delta<T: Float>(&self) -> T {
        let d = f32::from_bits(self.delta_bits);
        T::from_f64(if d.is_finite() && d > 0.0 { f64::from(d) } else { 0.0 })
    }
}

/// One term.
#[inline]
fn term<T: Float>(d: T, delta: T, smooth: bool) -> T {
    let a = d.abs();
    let half = T::from_f64(0.5);
    let huber = if a < delta {
        half * d * d
    } else {
        delta * (a - half * delta)
    };
    match (smooth, delta > T::ZERO) {
        (false, _) => huber,
        (true, true) => huber / delta,
        (true, false) => a,
    }
}

/// `∂l/∂d`.
#[inline]
fn slope<T: Float>(d: T, delta: T, smooth: bool) -> T {
    let clamped = if d > delta {
        delta
    } else if d < -delta {
        -delta
    } else {
        d
    };
    match (smooth, delta > T::ZERO) {
        (false, _) => clamped,
        (true, true) => clamped / delta,
        (true, false) => sign(d),
    }
}

fn sign<T: Float>(d: T) -> T {
    if d > T::ZERO {
        T::ONE
    } else if d < T::ZERO {
        -T::ONE
    } else {
        T::ZERO
    }
}

/// `l[i] = huber(y[i] − t[i])`.
pub(crate) fn forward<T: Float>(h: &HuberDims, y: &[T], t: &[T], out: &mut [T]) {
    let delta = h.delta::<T>();
    for ((o, &yi), &ti) in out.iter_mut().zip(y).zip(t) {
        *o = term((yi - ti).saturate(), delta, h.smooth);
    }
}

/// Gradient for `y` (`k = 0`) or `t` (`k = 1`).
pub(crate) fn backward<T: Float>(h: &HuberDims, k: usize, y: &[T], t: &[T], gy: &[T], gx: &mut [T]) {
    let delta = h.delta::<T>();
    for (((g, &yi), &ti), &go) in gx.iter_mut().zip(y).zip(t).zip(gy) {
        let s = slope((yi - ti).saturate(), delta, h.smooth);
        *g += go * if k == 0 { s } else { -s };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(delta: f32, smooth: bool) -> HuberDims {
        HuberDims {
            delta_bits: delta.to_bits(),
            smooth,
        }
    }

    #[test]
    fn both_branches_by_hand() {
        // d = 0.5 (quadratic), 3 (linear), −3; δ = 1
        let mut out = [0.0f64; 3];
        forward(&dims(1.0, false), &[0.5, 3.0, -3.0], &[0.0; 3], &mut out);
        assert_eq!(out, [0.125, 2.5, 2.5]);
        // smooth-L1 with β = 2: ½ d² / 2 = 1/16, 3 − 1 = 2
        forward(&dims(2.0, true), &[0.5, 3.0, -3.0], &[0.0; 3], &mut out);
        assert_eq!(out, [0.0625, 2.0, 2.0]);
        // β = 0 is L1
        forward(&dims(0.0, true), &[0.5, 3.0, -3.0], &[0.0; 3], &mut out);
        assert_eq!(out, [0.5, 3.0, 3.0]);
    }

    #[test]
    fn gradient_is_clamped_difference() {
        let mut g = [0.0f64; 3];
        backward(&dims(1.0, false), 0, &[0.5, 3.0, -3.0], &[0.0; 3], &[1.0; 3], &mut g);
        assert_eq!(g, [0.5, 1.0, -1.0]);
        let mut gt = [0.0f64; 3];
        backward(&dims(1.0, false), 1, &[0.5, 3.0, -3.0], &[0.0; 3], &[1.0; 3], &mut gt);
        assert_eq!(gt, [-0.5, -1.0, 1.0]);
    }

    #[test]
    fn huge_differences_stay_finite() {
        let mut out = [0.0f32; 2];
        forward(&dims(1.0, false), &[1e30, -f32::MAX], &[-1e30, f32::MAX], &mut out);
        assert!(out.iter().all(|v| v.is_finite() && *v > 1e29), "{out:?}");
        let mut g = [0.0f32; 2];
        backward(
            &dims(1.0, false),
            0,
            &[1e30, -f32::MAX],
            &[-1e30, f32::MAX],
            &[1.0; 2],
            &mut g,
        );
        assert_eq!(g, [1.0, -1.0]);
    }
}
