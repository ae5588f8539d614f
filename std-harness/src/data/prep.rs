//! Preprocessing: standardisation, one-hot labels, seeded shuffles and splits.

use super::DataError;

/// Per-column mean and standard deviation, fitted on a training split.
///
/// `apply` maps `x` to `(x - mean) / std`. A constant column gets `std = 1`,
/// so it maps to 0 instead of NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    /// Mean of each column.
    pub mean: Vec<f32>,
    /// Population standard deviation of each column (1 for a constant column).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fits mean and standard deviation of the `d` columns of `features` (row-major).
    ///
    /// Sums are taken in `f64` so that large tables do not lose precision.
    ///
    /// # Errors
    /// [`DataError::Shape`] when `features` is empty or not a whole number of
    /// rows of `d`; [`DataError::BadParameter`] for a NaN or infinite value.
    pub fn fit(features: &[f32], d: usize) -> Result<Self, DataError> {
        check_rows(features, d, "standardizer fit")?;
        check_finite(features, d)?;
        let n = (features.len() / d) as f64;
        let mut sum = vec![0.0f64; d];
        for row in features.chunks_exact(d) {
            sum.iter_mut().zip(row).for_each(|(s, &x)| *s += f64::from(x));
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let mut square = vec![0.0f64; d];
        for row in features.chunks_exact(d) {
            for ((s, &x), m) in square.iter_mut().zip(row).zip(&mean) {
                *s += (f64::from(x) - m).powi(2);
            }
        }
        let std = square.iter().map(|s| column_std(s / n)).collect();
        Ok(Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        })
    }

    /// Number of columns.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardises `features` (row-major, [`Self::dim`] columns) in place.
    ///
    /// # Errors
    /// [`DataError::Shape`] when `features` is not a whole number of rows.
    pub fn apply(&self, features: &mut [f32]) -> Result<(), DataError> {
        let d = self.dim();
        if d == 0 || !features.len().is_multiple_of(d) {
            return Err(shape("standardizer apply", features.len(), d));
        }
        for row in features.chunks_exact_mut(d) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *x = ((f64::from(*x) - f64::from(m)) / f64::from(s)) as f32;
            }
        }
        Ok(())
    }

    /// Maps standardised values of column `col` back to the original scale.
    pub fn invert(&self, col: usize, value: f32) -> Option<f32> {
        Some(value * self.std.get(col)? + self.mean.get(col)?)
    }
}

/// A standard deviation below this is treated as a constant column.
///
/// Chosen far below any real feature's spread and far above the rounding
/// noise of summing constant `f32` values in `f64`.
pub const MIN_STD: f64 = 1e-12;

fn column_std(variance: f64) -> f32 {
    let std = variance.sqrt();
    if std.is_finite() && std > MIN_STD {
        std as f32
    } else {
        1.0
    }
}

/// One-hot rows for `labels`: `labels.len() * classes` values, 1 at the label.
///
/// # Errors
/// [`DataError::LabelOutOfRange`] for a label `>= classes`.
pub fn one_hot(labels: &[u8], classes: usize) -> Result<Vec<f32>, DataError> {
    super::dataset::check_labels(labels, classes, "labels")?;
    let len = labels
        .len()
        .checked_mul(classes)
        .ok_or_else(|| DataError::BadParameter {
            what: "one-hot classes",
            problem: format!("{} rows of {classes} classes do not fit in memory", labels.len()),
        })?;
    let mut out = vec![0.0; len];
    for (row, &label) in out.chunks_exact_mut(classes.max(1)).zip(labels) {
        if let Some(x) = row.get_mut(usize::from(label)) {
            *x = 1.0;
        }
    }
    Ok(out)
}

/// The SplitMix64 generator (Steele, Lea, Flood 2014), small and seedable.
///
/// It must give the same sequence, hence the same permutations and splits,
/// for the same seed on every platform and in every release: experiments
/// quote seeds. The core crate's `Rng` is meant to replace it.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0), by multiply-shift.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Shuffles `items` (Fisher-Yates), drawing with `below(k)`, which should
/// return a number in `0..k`; a larger one is reduced modulo `k`.
pub fn shuffle_with<T>(items: &mut [T], below: &mut impl FnMut(usize) -> usize) {
    for k in (1..items.len()).rev() {
        let j = below(k + 1) % (k + 1);
        items.swap(k, j);
    }
}

/// Shuffles `items` with a SplitMix64 seeded by `seed`; same seed, same order.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    shuffle_with(items, &mut |k| rng.below(k));
}

/// A permutation of `0..n`, the same for the same seed.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    shuffle(&mut idx, seed);
    idx
}

/// Shuffled `(train, valid, test)` indices of sizes `floor(0.6 n)`,
/// `floor(0.2 n)` and the rest, the same for the same seed.
pub fn split_60_20_20(n: usize, seed: u64) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let idx = permutation(n, seed);
    // floor(0.6 n) and floor(0.2 n), written so that `3 * n` cannot overflow.
    let train = n / 5 * 3 + n % 5 * 3 / 5;
    let valid = n / 5;
    let (a, rest) = idx.split_at(train);
    let (b, c) = rest.split_at(valid);
    (a.to_vec(), b.to_vec(), c.to_vec())
}

/// Shuffled `(train, valid)` indices with `floor(valid_frac * n)` in validation.
///
/// For data sets with a canonical test set (USPS), this splits the training set.
///
/// # Errors
/// [`DataError::BadParameter`] unless `0 <= valid_frac <= 1`.
pub fn split_train_valid(n: usize, valid_frac: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>), DataError> {
    if !(0.0..=1.0).contains(&valid_frac) {
        return Err(DataError::BadParameter {
            what: "validation fraction",
            problem: format!("{valid_frac} is not in [0, 1]"),
        });
    }
    let valid = ((valid_frac * n as f64).floor() as usize).min(n);
    let idx = permutation(n, seed);
    let (a, b) = idx.split_at(n - valid);
    Ok((a.to_vec(), b.to_vec()))
}

/// Most records [`check_splits`] tries when finding how many would do.
const MAX_SPLIT_SEARCH: usize = 1000;

/// Checks that each split of `n` records from `file` holds at least one;
/// `sizes(n)` gives the splits' `(name, size)` under the splitting rule.
///
/// # Errors
/// [`DataError::TooFewRecords`] naming the file, the count, the empty split
/// and the least count that gives every split a record.
pub fn check_splits(
    file: &str,
    n: usize,
    sizes: impl Fn(usize) -> Vec<(&'static str, usize)>,
) -> Result<(), DataError> {
    let parts = sizes(n);
    let Some(&(empty, _)) = parts.iter().find(|(_, size)| *size == 0) else {
        return Ok(());
    };
    let min = (1..=MAX_SPLIT_SEARCH)
        .find(|&m| sizes(m).iter().all(|(_, size)| *size > 0))
        .unwrap_or(MAX_SPLIT_SEARCH);
    let shown: Vec<String> = parts.iter().map(|(name, size)| format!("{name} {size}")).collect();
    Err(DataError::TooFewRecords {
        file: file.to_owned(),
        records: n,
        split: empty,
        sizes: shown.join(", "),
        min,
    })
}

fn check_rows(values: &[f32], d: usize, what: &'static str) -> Result<(), DataError> {
    if d == 0 || values.is_empty() || !values.len().is_multiple_of(d) {
        return Err(shape(what, values.len(), d));
    }
    Ok(())
}

fn check_finite(values: &[f32], d: usize) -> Result<(), DataError> {
    match values.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(at) => Err(DataError::BadParameter {
            what: "standardizer fit",
            problem: format!("row {}, column {}: value is not finite", at / d, at % d),
        }),
    }
}

fn shape(what: &'static str, len: usize, width: usize) -> DataError {
    DataError::Shape { what, len, width }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // First outputs of the reference C implementation for seed 1234567.
        let mut rng = SplitMix64::new(1_234_567);
        let expected = [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
        ];
        for e in expected {
            assert_eq!(rng.next_u64(), e);
        }
    }

    #[test]
    fn below_stays_below() {
        let mut rng = SplitMix64::new(3);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        assert_eq!(rng.below(0), 0);
        assert!((0..1000).map(|_| rng.unit()).all(|u| (0.0..1.0).contains(&u)));
    }
}
