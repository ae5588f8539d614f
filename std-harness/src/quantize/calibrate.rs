//! Activation ranges from the f32 model run on training data: the extremes
//! (`minmax`) or two percentiles (`percentile`), per tensor.

use clap::ValueEnum;

use super::arch::F32Model;

/// How an activation's range is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Calibration {
    /// The smallest and largest value seen.
    Minmax,
    /// The `--percentile` and `100 − --percentile` percentiles (clips outliers).
    Percentile,
}

/// The `(min, max)` of the input and of each layer's output, over `images`
/// (rows of `model.inputs()` values).
pub fn ranges(model: &F32Model, images: &[f32], how: Calibration, percentile: f64) -> Vec<(f32, f32)> {
    let n = model.inputs().max(1);
    let mut values: Vec<Vec<f32>> = vec![Vec::new(); model.specs.len() + 1];
    for x in images.chunks_exact(n) {
        values[0].extend_from_slice(x);
        for (v, a) in values[1..].iter_mut().zip(model.forward(x)) {
            v.extend(a);
        }
    }
    values
        .into_iter()
        .map(|mut v| match how {
            Calibration::Minmax => v.iter().fold((0.0f32, 0.0f32), |(lo, hi), &x| (lo.min(x), hi.max(x))),
            Calibration::Percentile => {
                v.sort_by(f32::total_cmp);
                let at = |p: f64| {
                    v.get(((v.len().saturating_sub(1)) as f64 * p / 100.0).round() as usize)
                        .copied()
                        .unwrap_or(0.0)
                };
                (at(100.0 - percentile), at(percentile))
            }
        })
        .collect()
}
