//! In-memory data sets: labelled samples ([`Dataset`]) and regression tables ([`Table`]).

use super::DataError;

/// Labelled samples with flat `f32` features.
///
/// Sample `i` is `features[i * dim() .. (i + 1) * dim()]`, an image of
/// `rows x cols` stored row-major, top row first. Point clouds use `rows = 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Features of all samples, `n * rows * cols` values, row-major.
    pub features: Vec<f32>,
    /// One class label per sample, each below `classes`.
    pub labels: Vec<u8>,
    /// Number of samples.
    pub n: usize,
    /// Rows of one sample.
    pub rows: usize,
    /// Columns of one sample.
    pub cols: usize,
    /// Number of classes.
    pub classes: usize,
}

impl Dataset {
    /// Builds a data set, checking lengths and labels.
    ///
    /// # Errors
    /// [`DataError::Shape`] when `features` does not hold one `rows x cols`
    /// sample per label, [`DataError::LabelOutOfRange`] for a label `>= classes`.
    pub fn new(
        features: Vec<f32>,
        labels: Vec<u8>,
        (rows, cols): (usize, usize),
        classes: usize,
    ) -> Result<Self, DataError> {
        let n = labels.len();
        let dim = rows.saturating_mul(cols);
        if n.checked_mul(dim) != Some(features.len()) || (dim == 0 && n > 0) {
            return Err(DataError::Shape {
                what: "dataset features",
                len: features.len(),
                width: dim,
            });
        }
        check_labels(&labels, classes, "dataset labels")?;
        Ok(Self {
            features,
            labels,
            n,
            rows,
            cols,
            classes,
        })
    }

    /// Number of features of one sample, `rows * cols`.
    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// The features and label of sample `i`, if there is one.
    pub fn sample(&self, i: usize) -> Option<(&[f32], u8)> {
        let dim = self.dim();
        let start = i.checked_mul(dim)?;
        let x = self.features.get(start..start.checked_add(dim)?)?;
        Some((x, *self.labels.get(i)?))
    }

    /// Iterates over `(features, label)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&[f32], u8)> {
        self.features
            .chunks_exact(self.dim().max(1))
            .zip(self.labels.iter().copied())
    }

    /// How many samples each class has, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(label)) {
                *c += 1;
            }
        }
        counts
    }

    /// Labels as `f32` targets `-1` (label 0) and `+1` (any other label).
    pub fn signed_targets(&self) -> Vec<f32> {
        self.labels.iter().map(|&l| if l == 0 { -1.0 } else { 1.0 }).collect()
    }

    /// A new data set holding the samples at `idx`, in that order.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for an index `>= n`.
    pub fn gather(&self, idx: &[usize]) -> Result<Self, DataError> {
        let features = gather_rows(&self.features, (self.n, self.dim()), idx, "dataset")?;
        let labels = idx
            .iter()
            .map(|&i| self.labels.get(i).copied().ok_or_else(|| oob("dataset", i, self.n)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            features,
            n: labels.len(),
            labels,
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        })
    }
}

/// A regression table: numeric features, their names and a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Features, `n * d` values, row-major.
    pub features: Vec<f32>,
    /// One name per feature column, e.g. `"age"` or `"region=northeast"`.
    pub names: Vec<String>,
    /// One target value per row.
    pub target: Vec<f32>,
    /// The target column's name.
    pub target_name: String,
    /// Sorted levels of a categorical target (value `k` means `target_levels[k]`);
    /// empty for a numeric target.
    pub target_levels: Vec<String>,
    /// Number of rows.
    pub n: usize,
    /// Number of feature columns.
    pub d: usize,
}

impl Table {
    /// The features of row `i`, if there is one.
    pub fn row(&self, i: usize) -> Option<&[f32]> {
        let start = i.checked_mul(self.d)?;
        self.features.get(start..start.checked_add(self.d)?)
    }

    /// A new table holding the rows at `idx`, in that order.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for an index `>= n`.
    pub fn gather(&self, idx: &[usize]) -> Result<Self, DataError> {
        let features = gather_rows(&self.features, (self.n, self.d), idx, "table")?;
        let target = gather_rows(&self.target, (self.n, 1), idx, "table")?;
        Ok(Self {
            features,
            names: self.names.clone(),
            n: target.len(),
            target,
            target_name: self.target_name.clone(),
            target_levels: self.target_levels.clone(),
            d: self.d,
        })
    }
}

/// Copies the rows of width `d` at `idx` out of the flat buffer `values`.
/// `n` is the number of rows, so that rows of width 0 are still counted.
fn gather_rows(
    values: &[f32],
    (n, d): (usize, usize),
    idx: &[usize],
    what: &'static str,
) -> Result<Vec<f32>, DataError> {
    let mut out = Vec::with_capacity(idx.len().saturating_mul(d));
    for &i in idx {
        let row = Some(i)
            .filter(|&i| i < n)
            .and_then(|i| i.checked_mul(d))
            .and_then(|start| values.get(start..start.checked_add(d)?))
            .ok_or_else(|| oob(what, i, n))?;
        out.extend_from_slice(row);
    }
    Ok(out)
}

fn oob(what: &'static str, index: usize, n: usize) -> DataError {
    DataError::IndexOutOfRange { what, index, n }
}

/// Checks that every label is below `classes`.
pub(crate) fn check_labels(labels: &[u8], classes: usize, file: &str) -> Result<(), DataError> {
    match labels.iter().position(|&l| usize::from(l) >= classes) {
        None => Ok(()),
        Some(record) => Err(DataError::LabelOutOfRange {
            file: file.to_owned(),
            record,
            label: labels.get(record).copied().unwrap_or_default(),
            classes,
        }),
    }
}
