//! The IDX format of MNIST, Fashion-MNIST and the USPS files: a big-endian
//! header (magic number, then one `u32` per dimension) and unsigned bytes.
//!
//! Plain or gzip-compressed input is accepted; gzip is recognised by its magic
//! bytes, never by the file name.

use std::path::Path;

use super::source::{decompress, display_name, read_direct};
use super::{DataError, Dataset};

/// Magic number of an IDX file of `u8` images (`n x rows x cols`).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of `u8` labels (`n`).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Header bytes of an images file: magic, n, rows, cols.
const IMAGES_HEADER_LEN: usize = 16;
/// Header bytes of a labels file: magic, n.
const LABELS_HEADER_LEN: usize = 8;
/// Pixel bytes are divided by this to land in `[0, 1]`.
pub const PIXEL_MAX: f32 = 255.0;

/// Images read from an IDX file, scaled to `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    /// `n * rows * cols` pixel values, `byte / 255`, row-major, top row first.
    pub pixels: Vec<f32>,
    /// Number of images.
    pub n: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
}

/// Parses IDX images from plain or gzip bytes; `name` labels error messages.
///
/// # Errors
/// [`DataError::WrongMagic`], [`DataError::ShortHeader`],
/// [`DataError::ZeroDimension`], [`DataError::Empty`] for zero images,
/// [`DataError::Truncated`], [`DataError::TrailingBytes`], or a gzip error.
pub fn parse_images(bytes: &[u8], name: &str) -> Result<Images, DataError> {
    let bytes = decompress(bytes, name)?;
    let [n, rows, cols] = read_header::<3>(&bytes, name, IMAGES_MAGIC, "IDX images")?;
    if rows == 0 || cols == 0 {
        return Err(DataError::ZeroDimension {
            file: name.to_owned(),
            header: header_text(n, rows, cols),
        });
    }
    let body = bytes.get(IMAGES_HEADER_LEN..).unwrap_or_default();
    check_body(body, name, &header_text(n, rows, cols), [n, rows, cols])?;
    if n == 0 {
        return Err(DataError::Empty { file: name.to_owned() });
    }
    Ok(Images {
        pixels: body.iter().map(|&b| f32::from(b) / PIXEL_MAX).collect(),
        n: to_usize(n),
        rows: to_usize(rows),
        cols: to_usize(cols),
    })
}

/// Parses IDX labels from plain or gzip bytes, each checked to be below `classes`.
///
/// # Errors
/// As [`parse_images`], and [`DataError::LabelOutOfRange`] naming the record.
pub fn parse_labels(bytes: &[u8], name: &str, classes: usize) -> Result<Vec<u8>, DataError> {
    let bytes = decompress(bytes, name)?;
    let [n] = read_header::<1>(&bytes, name, LABELS_MAGIC, "IDX labels")?;
    let body = bytes.get(LABELS_HEADER_LEN..).unwrap_or_default();
    check_body(body, name, &format!("{n} labels"), [n, 1, 1])?;
    if n == 0 {
        return Err(DataError::Empty { file: name.to_owned() });
    }
    super::dataset::check_labels(body, classes, name)?;
    Ok(body.to_vec())
}

/// Checks that images are `rows x cols`.
///
/// # Errors
/// [`DataError::ImageSize`] naming both sizes.
pub fn expect_size(images: &Images, name: &str, rows: usize, cols: usize) -> Result<(), DataError> {
    if (images.rows, images.cols) == (rows, cols) {
        return Ok(());
    }
    Err(DataError::ImageSize {
        file: name.to_owned(),
        rows: images.rows,
        cols: images.cols,
        expected_rows: rows,
        expected_cols: cols,
    })
}

/// Reads an IDX images file.
///
/// # Errors
/// [`DataError::NotFound`], [`DataError::Io`], or as [`parse_images`].
pub fn read_images(path: &Path) -> Result<Images, DataError> {
    parse_images(&read_direct(path)?, &display_name(path))
}

/// Reads an IDX labels file.
///
/// # Errors
/// [`DataError::NotFound`], [`DataError::Io`], or as [`parse_labels`].
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<u8>, DataError> {
    parse_labels(&read_direct(path)?, &display_name(path), classes)
}

/// Reads an images file and its labels file into a [`Dataset`].
///
/// `size`, when given, is the `(rows, cols)` every image must have.
///
/// # Errors
/// As [`read_images`] and [`read_labels`], [`DataError::ImageSize`], and
/// [`DataError::CountMismatch`] when the two files disagree.
pub fn read_pair(
    images: &Path,
    labels: &Path,
    size: Option<(usize, usize)>,
    classes: usize,
) -> Result<Dataset, DataError> {
    let image_set = read_images(images)?;
    if let Some((rows, cols)) = size {
        expect_size(&image_set, &display_name(images), rows, cols)?;
    }
    let label_set = read_labels(labels, classes)?;
    pair(image_set, label_set, classes, (images, labels))
}

/// Joins images and labels, checking that their counts agree.
///
/// # Errors
/// [`DataError::CountMismatch`].
pub fn pair(
    images: Images,
    labels: Vec<u8>,
    classes: usize,
    (images_path, labels_path): (&Path, &Path),
) -> Result<Dataset, DataError> {
    if images.n != labels.len() {
        return Err(DataError::CountMismatch {
            images: display_name(images_path),
            n_images: images.n,
            labels: display_name(labels_path),
            n_labels: labels.len(),
        });
    }
    Dataset::new(images.pixels, labels, (images.rows, images.cols), classes)
}

/// Checks the magic number and returns the `D` dimensions after it.
fn read_header<const D: usize>(
    bytes: &[u8],
    name: &str,
    magic: u32,
    kind: &'static str,
) -> Result<[u32; D], DataError> {
    let need = 4 * (D + 1);
    let short = || DataError::ShortHeader {
        file: name.to_owned(),
        kind,
        need,
        have: bytes.len(),
    };
    let found = be_u32(bytes, 0).ok_or_else(short)?;
    if found != magic {
        return Err(DataError::WrongMagic {
            file: name.to_owned(),
            found,
            expected: magic,
            kind,
        });
    }
    let mut dims = [0; D];
    for (k, dim) in dims.iter_mut().enumerate() {
        *dim = be_u32(bytes, 4 * (k + 1)).ok_or_else(short)?;
    }
    Ok(dims)
}

/// The big-endian `u32` at byte `at`, if the input is long enough.
fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let word: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(word))
}

/// Checks that `body` is exactly `n * rows * cols` bytes long.
fn check_body(body: &[u8], name: &str, desc: &str, dims: [u32; 3]) -> Result<(), DataError> {
    let need = dims.iter().map(|&d| u128::from(d)).product::<u128>();
    let have = body.len() as u128;
    if have < need {
        return Err(DataError::Truncated {
            file: name.to_owned(),
            header: desc.to_owned(),
            need,
            have: body.len(),
        });
    }
    if have > need {
        return Err(DataError::TrailingBytes {
            file: name.to_owned(),
            header: desc.to_owned(),
            need,
            extra: usize::try_from(have - need).unwrap_or(usize::MAX),
        });
    }
    Ok(())
}

/// How an images header is quoted in error messages.
fn header_text(n: u32, rows: u32, cols: u32) -> String {
    format!("{n} images of {rows}x{cols}")
}

/// Widens a header dimension; `u32` always fits the 64-bit and 32-bit `usize` this harness runs on.
fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
