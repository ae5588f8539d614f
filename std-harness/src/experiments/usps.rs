//! USPS as the experiments use it: the canonical test set, and the training
//! file split once (fixed seed) into training and validation images.

use super::Ctx;
use crate::data::{Dataset, check_splits, load_usps, one_hot, split_train_valid, usps_dir};
use crate::error::Result;
use crate::train::{Shift, Split};

/// Side of a USPS image in pixels.
pub const SIDE: usize = 16;
/// Pixels of a USPS image.
pub const PIXELS: usize = SIDE * SIDE;
/// Digit classes.
pub const CLASSES: usize = 10;
/// Share of the training file held out for validation (model selection).
pub const VALID_FRAC: f64 = 0.1;
/// Seed of the training/validation split, fixed so that every run and
/// recipe selects its model on the same validation images.
pub const SPLIT_SEED: u64 = 2007;

/// Training, validation and test images with one-hot targets.
#[derive(Debug, Clone)]
pub struct Usps {
    /// Training images (the training file less validation, possibly subsampled).
    pub train: Encoded,
    /// Validation images.
    pub valid: Encoded,
    /// The canonical test set (2007 images).
    pub test: Encoded,
}

/// Images, one-hot targets and labels of one split.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Pixels in `[0, 1]`, 256 a row.
    pub x: Vec<f32>,
    /// One-hot targets, 10 a row.
    pub y: Vec<f32>,
    /// Labels.
    pub labels: Vec<u8>,
}

impl Encoded {
    fn new(set: &Dataset) -> Result<Self> {
        Ok(Self {
            x: set.features.clone(),
            y: one_hot(&set.labels, CLASSES)?,
            labels: set.labels.clone(),
        })
    }

    /// Images against one-hot targets.
    pub fn split(&self) -> Split<'_> {
        Split { x: &self.x, y: &self.y }
    }

    /// Images against themselves (for auto-encoders).
    pub fn identity(&self) -> Split<'_> {
        Split { x: &self.x, y: &self.x }
    }
}

/// Loads USPS from the data folder; keeps the first `train_size` training
/// images of the (shuffled) training split when given, and maps pixels from
/// `[0, 1]` to `[-1, 1]` when `centred`.
///
/// # Errors
/// The loader's errors, naming the file and the record.
pub fn load(ctx: &Ctx, train_size: Option<usize>, centred: bool) -> Result<Usps> {
    let dir = usps_dir(&ctx.data);
    let (all, test) = load_usps(&dir)?;
    let sizes = |n: usize| {
        let valid = (VALID_FRAC * n as f64).floor() as usize;
        vec![("training", n - valid.min(n)), ("validation", valid)]
    };
    check_splits(&format!("USPS training set in {}", dir.display()), all.n, sizes)?;
    let (mut train_idx, valid_idx) = split_train_valid(all.n, VALID_FRAC, SPLIT_SEED)?;
    if let Some(n) = train_size {
        if n > train_idx.len() {
            return Err(crate::error::setting(
                "--train-size",
                format!(
                    "{n} training images asked for, but the training split holds {} ({} images in the training file, {} held out for validation)",
                    train_idx.len(),
                    all.n,
                    valid_idx.len()
                ),
            ));
        }
        train_idx.truncate(n);
    }
    let mut usps = Usps {
        train: Encoded::new(&all.gather(&train_idx)?)?,
        valid: Encoded::new(&all.gather(&valid_idx)?)?,
        test: Encoded::new(&test)?,
    };
    if centred {
        for split in [&mut usps.train, &mut usps.valid, &mut usps.test] {
            split.x.iter_mut().for_each(|v| *v = 2.0 * *v - 1.0);
        }
    }
    Ok(usps)
}

/// Random translations of USPS images by up to `max` pixels, filling with
/// the background (-1 for centred pixels, else 0).
pub fn shift(max: usize, targets_too: bool, centred: bool) -> Shift {
    Shift {
        rows: SIDE,
        cols: SIDE,
        max,
        fill: if centred { -1.0 } else { 0.0 },
        targets_too,
        degrees: 0.0,
        scale: 0.0,
    }
}
