//! Scores: accuracy, R², mean squared error, Pearson correlation and the
//! confusion matrix. Sums are taken in `f64`.

use serde::Serialize;

/// How a run is scored after each epoch (outputs against targets, row by row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Share of rows whose largest output is at the target's largest entry (one-hot targets).
    Accuracy,
    /// Share of rows whose single output is on the target's side of `0.5`
    /// (probabilities against 0/1 targets).
    BinaryAccuracy,
    /// Share of rows whose single output has the target's sign (±1 targets).
    SignAccuracy,
    /// Coefficient of determination of a single output.
    R2,
    /// Mean squared error per element (lower is better).
    Mse,
}

impl Metric {
    /// Short name, as printed and plotted.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy | Metric::BinaryAccuracy | Metric::SignAccuracy => "accuracy",
            Metric::R2 => "R²",
            Metric::Mse => "MSE per pixel",
        }
    }

    /// Whether a larger score is better (false for errors).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::Mse)
    }

    /// Whether `a` is a strictly better score than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        if self.higher_is_better() { a > b } else { a < b }
    }

    /// Whether the score is a share to print as a percentage.
    pub fn is_share(self) -> bool {
        matches!(self, Metric::Accuracy | Metric::BinaryAccuracy | Metric::SignAccuracy)
    }

    /// The score of `outputs` against `targets`, rows of `width` values.
    pub fn score(self, outputs: &[f32], targets: &[f32], width: usize) -> f64 {
        let width = width.max(1);
        match self {
            Metric::Accuracy => accuracy(&argmax_rows(outputs, width), &argmax_rows(targets, width)),
            Metric::BinaryAccuracy => share(outputs, targets, |o, t| (o > 0.5) == (t > 0.5)),
            Metric::SignAccuracy => share(outputs, targets, |o, t| (o > 0.0) == (t > 0.0)),
            Metric::R2 => r2(outputs, targets),
            Metric::Mse => mse(outputs, targets),
        }
    }

    /// The score formatted for people: a percentage for shares.
    pub fn format(self, score: f64) -> String {
        match self {
            _ if self.is_share() => format!("{:.2} %", 100.0 * score),
            Metric::Mse => format!("{score:.5}"),
            _ => format!("{score:.4}"),
        }
    }
}

/// The index of the largest value of each row of `width` values.
pub fn argmax_rows(values: &[f32], width: usize) -> Vec<usize> {
    values.chunks_exact(width.max(1)).map(flambeau::argmax).collect()
}

/// Share of equal entries (0 for empty input).
pub fn accuracy(predicted: &[usize], truth: &[usize]) -> f64 {
    let hits = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    hits as f64 / truth.len().max(1) as f64
}

fn share(outputs: &[f32], targets: &[f32], hit: impl Fn(f32, f32) -> bool) -> f64 {
    let hits = outputs.iter().zip(targets).filter(|&(&o, &t)| hit(o, t)).count();
    hits as f64 / targets.len().max(1) as f64
}

/// Mean of the squared differences (0 for empty input).
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    let sum: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    sum / b.len().max(1) as f64
}

/// `R² = 1 − SS_res / SS_tot` of predictions against targets (0 for constant targets).
pub fn r2(predicted: &[f32], truth: &[f32]) -> f64 {
    let n = truth.len().max(1) as f64;
    let mean = truth.iter().map(|&t| f64::from(t)).sum::<f64>() / n;
    let ss_tot: f64 = truth.iter().map(|&t| (f64::from(t) - mean).powi(2)).sum();
    let ss_res: f64 = predicted
        .iter()
        .zip(truth)
        .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
        .sum();
    if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 }
}

/// Pearson's correlation of two equally long series; `None` for fewer than
/// two points or a constant series, where it is undefined.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 2 {
        return None;
    }
    let (a, b) = (a.get(..n)?, b.get(..n)?);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    let denom = (saa * sbb).sqrt();
    (denom > 0.0 && denom.is_finite()).then(|| sab / denom)
}

/// Counts `matrix[truth][predicted]` over `classes` classes; pairs out of range are ignored.
pub fn confusion(predicted: &[usize], truth: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut matrix = vec![vec![0; classes]; classes];
    for (&p, &t) in predicted.iter().zip(truth) {
        if let Some(cell) = matrix.get_mut(t).and_then(|row| row.get_mut(p)) {
            *cell += 1;
        }
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_of_one_hot_rows() {
        let out = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7];
        let tgt = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        assert!((Metric::Accuracy.score(&out, &tgt, 2) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn r2_is_one_for_a_perfect_fit_and_zero_for_the_mean() {
        assert_eq!(r2(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 1.0);
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[1.0, 2.0, 3.0]), 0.0);
    }

    #[test]
    fn pearson_known_values() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&a, &[2.0, 4.0, 6.0, 8.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&a, &[4.0, 3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&a, &[1.0, 1.0, 1.0, 1.0]), None);
        assert_eq!(pearson(&[1.0], &[1.0]), None);
    }

    #[test]
    fn confusion_counts_and_ignores_out_of_range() {
        let m = confusion(&[0, 1, 1, 5], &[0, 1, 0, 1], 2);
        assert_eq!(m, vec![vec![1, 1], vec![0, 1]]);
    }

    #[test]
    fn mse_is_the_better_direction_down() {
        assert!(Metric::Mse.better(0.1, 0.2));
        assert!(Metric::R2.better(0.9, 0.2));
        assert_eq!(Metric::BinaryAccuracy.score(&[0.9, 0.2], &[1.0, 1.0], 1), 0.5);
    }
}
