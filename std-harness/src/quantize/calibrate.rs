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

/// Values kept per tensor for `percentile`: past it, every `n`-th value of
/// the tensor over all images is kept, `n` fixed by the first image (the
/// MLP's tensors fit whole; a convolution's output over 6562 images is
/// 53 million values).
pub const PERCENTILE_SAMPLE: usize = 1 << 21;

/// The `(min, max)` of the input and of each layer's output, over `images`
/// (rows of `model.inputs()` values). `minmax` looks at every value;
/// `percentile` at up to [`PERCENTILE_SAMPLE`] of each tensor.
pub fn ranges(model: &F32Model, images: &[f32], how: Calibration, percentile: f64) -> Vec<(f32, f32)> {
    let n = model.inputs().max(1);
    let count = images.len() / n;
    let tensors = model.specs.len() + 1;
    let mut extremes = vec![(0.0f32, 0.0f32); tensors];
    let mut values: Vec<Vec<f32>> = vec![Vec::new(); tensors];
    let mut every = vec![1usize; tensors];
    let mut seen = vec![0usize; tensors];
    for (j, x) in images.chunks_exact(n).enumerate() {
        let acts = model.forward(x);
        let all = std::iter::once(x).chain(acts.iter().map(Vec::as_slice));
        for (t, a) in all.enumerate() {
            let (lo, hi) = &mut extremes[t];
            for &v in a {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
            if how == Calibration::Percentile {
                if j == 0 {
                    every[t] = (a.len() * count).div_ceil(PERCENTILE_SAMPLE).max(1);
                }
                let skip = (every[t] - seen[t] % every[t]) % every[t];
                values[t].extend(a.iter().skip(skip).step_by(every[t]));
                seen[t] += a.len();
            }
        }
    }
    if how == Calibration::Minmax {
        return extremes;
    }
    values
        .into_iter()
        .map(|mut v| {
            v.sort_by(f32::total_cmp);
            let at = |p: f64| {
                v.get(((v.len().saturating_sub(1)) as f64 * p / 100.0).round() as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            (at(100.0 - percentile), at(percentile))
        })
        .collect()
}
