//! Synthetic data sets, each fully determined by its parameters and a seed.

use super::prep::SplitMix64;
use super::{DataError, Dataset, Table};

/// Two Gaussian classes, label 0 and 1 in turn, centred at `-distance / 2`
/// and `+distance / 2` along the diagonal `(1, ..., 1) / sqrt(dim)`.
///
/// For `±1` targets use [`Dataset::signed_targets`].
#[derive(Debug, Clone, PartialEq)]
pub struct TwoGaussians {
    /// Number of points.
    pub n: usize,
    /// Dimension of a point.
    pub dim: usize,
    /// Distance between the two centres.
    pub distance: f32,
    /// Standard deviation of each coordinate around its centre.
    pub std: f32,
}

impl Default for TwoGaussians {
    /// 200 points in 2-D, centres 4 standard deviations apart: separable but not trivially.
    fn default() -> Self {
        Self {
            n: 200,
            dim: 2,
            distance: 4.0,
            std: 1.0,
        }
    }
}

impl TwoGaussians {
    /// Draws the points (`rows = 1`, `cols = dim`).
    ///
    /// # Errors
    /// [`DataError::BadParameter`] for `dim = 0` or a negative or non-finite size.
    pub fn generate(&self, seed: u64) -> Result<Dataset, DataError> {
        if self.dim == 0 {
            return Err(bad("two gaussians dim", "must be at least 1".to_owned()));
        }
        non_negative("two gaussians distance", self.distance)?;
        non_negative("two gaussians std", self.std)?;
        let mut rng = SplitMix64::new(seed);
        let offset = self.distance / 2.0 / (self.dim as f32).sqrt();
        let mut features = Vec::with_capacity(values(self.n, self.dim)?);
        let labels: Vec<u8> = (0..self.n).map(|i| (i % 2) as u8).collect();
        for &label in &labels {
            let centre = if label == 0 { -offset } else { offset };
            features.extend((0..self.dim).map(|_| centre + self.std * gaussian(&mut rng)));
        }
        Dataset::new(features, labels, (1, self.dim), 2)
    }
}

/// The 4-Gaussian checkerboard (XOR): clusters at `(±c, ±c)` taken in turn,
/// label 1 where the signs agree (`x * y > 0` at the centre), 0 elsewhere,
/// each label flipped with probability `label_noise`.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkerboard {
    /// Number of points.
    pub n: usize,
    /// The centres' coordinate `c`.
    pub centre: f32,
    /// Standard deviation of each coordinate around its centre.
    pub std: f32,
    /// Probability of flipping each label, in `[0, 1]`.
    pub label_noise: f64,
}

impl Default for Checkerboard {
    /// 400 points, clusters at `(±1, ±1)` with std 0.35: the clusters barely touch.
    fn default() -> Self {
        Self {
            n: 400,
            centre: 1.0,
            std: 0.35,
            label_noise: 0.0,
        }
    }
}

impl Checkerboard {
    /// Draws the points (`rows = 1`, `cols = 2`).
    ///
    /// # Errors
    /// [`DataError::BadParameter`] for a negative or non-finite size, or
    /// `label_noise` outside `[0, 1]`.
    pub fn generate(&self, seed: u64) -> Result<Dataset, DataError> {
        non_negative("checkerboard centre", self.centre)?;
        non_negative("checkerboard std", self.std)?;
        if !(0.0..=1.0).contains(&self.label_noise) {
            return Err(bad(
                "checkerboard label noise",
                format!("{} is not in [0, 1]", self.label_noise),
            ));
        }
        let mut rng = SplitMix64::new(seed);
        let mut features = Vec::with_capacity(values(self.n, 2)?);
        let mut labels = Vec::with_capacity(self.n);
        for i in 0..self.n {
            let sx = if i & 1 == 0 { -1.0 } else { 1.0 };
            let sy = if i & 2 == 0 { -1.0 } else { 1.0 };
            features.push(sx * self.centre + self.std * gaussian(&mut rng));
            features.push(sy * self.centre + self.std * gaussian(&mut rng));
            let clean = u8::from(sx * sy > 0.0);
            let flip = rng.unit() < self.label_noise;
            labels.push(if flip { 1 - clean } else { clean });
        }
        Dataset::new(features, labels, (1, 2), 2)
    }
}

/// Linear regression data `y = w · x + b + noise`, with `x` standard normal.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// Number of rows.
    pub n: usize,
    /// True weights, one per feature.
    pub w: Vec<f32>,
    /// True bias.
    pub b: f32,
    /// Standard deviation of the Gaussian noise on `y`.
    pub noise_std: f32,
}

impl Default for Linear {
    /// 100 rows, `y = 2 x0 - x1 + 0.5` with noise 0.1: the fit is easy to check by eye.
    fn default() -> Self {
        Self {
            n: 100,
            w: vec![2.0, -1.0],
            b: 0.5,
            noise_std: 0.1,
        }
    }
}

impl Linear {
    /// Draws the table, with features named `x0`, `x1`, ... and target `y`.
    ///
    /// # Errors
    /// [`DataError::BadParameter`] for empty or non-finite weights, or a
    /// negative or non-finite noise.
    pub fn generate(&self, seed: u64) -> Result<Table, DataError> {
        let d = self.w.len();
        if d == 0 || !self.w.iter().chain([&self.b]).all(|v| v.is_finite()) {
            return Err(bad("linear weights", "need at least one, all finite".to_owned()));
        }
        non_negative("linear noise std", self.noise_std)?;
        let mut rng = SplitMix64::new(seed);
        let mut features = Vec::with_capacity(values(self.n, d)?);
        let mut target = Vec::with_capacity(self.n);
        for _ in 0..self.n {
            let start = features.len();
            features.extend((0..d).map(|_| gaussian(&mut rng)));
            let x = features.get(start..).unwrap_or_default();
            let dot: f32 = x.iter().zip(&self.w).map(|(a, b)| a * b).sum();
            target.push(dot + self.b + self.noise_std * gaussian(&mut rng));
        }
        Ok(Table {
            features,
            names: (0..d).map(|k| format!("x{k}")).collect(),
            target,
            target_name: "y".to_owned(),
            target_levels: Vec::new(),
            n: self.n,
            d,
        })
    }
}

/// A standard normal draw (Box-Muller, one value per two uniforms).
fn gaussian(rng: &mut SplitMix64) -> f32 {
    let u1 = 1.0 - rng.unit(); // in (0, 1], so the log is finite
    let u2 = rng.unit();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

/// The number of feature values, `n * d`, if it fits in memory at all.
fn values(n: usize, d: usize) -> Result<usize, DataError> {
    n.checked_mul(d)
        .filter(|&v| v <= isize::MAX as usize / std::mem::size_of::<f32>())
        .ok_or_else(|| bad("synthetic size", format!("{n} rows of {d} values do not fit in memory")))
}

fn non_negative(what: &'static str, value: f32) -> Result<(), DataError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(bad(what, format!("{value} is not a finite non-negative number")))
    }
}

fn bad(what: &'static str, problem: String) -> DataError {
    DataError::BadParameter { what, problem }
}
