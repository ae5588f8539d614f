//! Signs that a training run diverged.
//!
//! The core saturates every value at ±[`Float::SATURATION`] (`1e30` in
//! f32), so no NaN escapes, but a run at an absurd learning rate then ends
//! with finite, meaningless numbers. These bounds tell such a run from a
//! merely poor one; a run that crosses one is reported as diverged.

use flambeau::Float;

use crate::metrics::Metric;

/// Largest mean loss of a sane run. The harness's losses on its data are
/// below 10 from the first epoch (MSE on standardised or `[0, 1]` targets,
/// cross-entropy over 10 classes starts at ln 10 ≈ 2.3); a run past a
/// million has left any useful region.
pub const LOSS_BOUND: f64 = 1e6;
/// Largest parameter magnitude of a sane run: a millionth of the core's
/// saturation, far above any trained weight and far below the clamp that
/// a diverging run hits.
pub const WEIGHT_BOUND: f32 = <f32 as Float>::SATURATION * 1e-6;
/// Lowest R² of a sane regression: below −1 the model's error is more than
/// twice that of predicting the mean.
pub const R2_FLOOR: f64 = -1.0;

/// Why losses `[train, valid, test]` (any number of them) mean divergence.
pub fn losses(losses: &[f64]) -> Option<String> {
    let worst = losses.iter().copied().find(|l| !l.is_finite() || *l > LOSS_BOUND)?;
    Some(format!("mean loss {worst:.3e} above the bound {LOSS_BOUND:e}"))
}

/// Why parameters mean divergence.
pub fn weights(params: &[f32]) -> Option<String> {
    let (index, value) = params
        .iter()
        .enumerate()
        .find(|(_, p)| !p.is_finite() || p.abs() > WEIGHT_BOUND)?;
    Some(format!(
        "parameter {index} is {value:.3e}, beyond the bound {WEIGHT_BOUND:e} (the clamp is {:e})",
        <f32 as Float>::SATURATION
    ))
}

/// Why scores mean divergence (only R² has a floor).
pub fn scores(metric: Metric, scores: &[f64]) -> Option<String> {
    if metric != Metric::R2 {
        return None;
    }
    let worst = scores.iter().copied().find(|s| !s.is_finite() || *s < R2_FLOOR)?;
    Some(format!("R² {worst:.3e} below the floor {R2_FLOOR}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_values_pass_and_absurd_ones_are_named() {
        assert_eq!(losses(&[0.3, 2.3, 0.0]), None);
        assert!(losses(&[0.3, 1e30]).unwrap().contains("1.000e30 above the bound 1e6"));
        assert!(losses(&[f64::NAN]).is_some());
        assert_eq!(weights(&[0.5, -3.0, 120.0]), None);
        let why = weights(&[0.5, -1e30]).unwrap();
        assert!(why.starts_with("parameter 1 is -1.000e30"), "{why}");
        assert_eq!(scores(Metric::R2, &[0.7, -0.2]), None);
        assert!(scores(Metric::R2, &[0.7, -3e4]).unwrap().contains("below the floor -1"));
        assert_eq!(scores(Metric::Accuracy, &[0.1]), None);
    }
}
