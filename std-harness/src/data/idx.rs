//! The IDX format of MNIST, Fashion-MNIST and the USPS files: a big-endian
//! header (magic number, then one `u32` per dimension) and unsigned bytes.
//!
//! Plain or gzip-compressed input is accepted; gzip is recognised by its magic
//! bytes, never by the file name.

use std::io::Read;
use std::path::Path;

use super::source::{display_name, open, reader, reserve};
use super::{DataError, Dataset};

pub use super::stream::MAX_VALUES;
use super::stream::{fill, read_body};
/// Hint given when an IDX file named directly is missing.
const DIRECT_HINT: &str = "check the path";

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
/// As [`images_from`].
pub fn parse_images(bytes: &[u8], name: &str) -> Result<Images, DataError> {
    images_from(reader(bytes), name, &Expect::default())
}

/// What the caller knows an images file must hold, checked on the header
/// before any pixel is read.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `(rows, cols)` of every image.
    pub size: Option<(usize, usize)>,
    /// The labels file and its count, which the image count must equal.
    pub labels: Option<(String, usize)>,
}

/// Reads IDX images from a stream (already decompressed): the header, then
/// exactly the body it announces, converting bytes to `f32` as they come.
/// Memory is the pixels' `f32`s and nothing more; a stream that goes on
/// past the body (a gzip bomb) is read only far enough to say so.
///
/// # Errors
/// [`DataError::WrongMagic`], [`DataError::ShortHeader`],
/// [`DataError::ZeroDimension`], [`DataError::ImageSize`] and
/// [`DataError::CountMismatch`] against `expect`, [`DataError::TooManyValues`]
/// past [`MAX_VALUES`], [`DataError::Empty`] for zero images,
/// [`DataError::Truncated`], [`DataError::TrailingBytes`],
/// [`DataError::TrailingData`], [`DataError::OutOfMemory`], or a gzip error.
pub fn images_from(mut input: impl Read, name: &str, expect: &Expect) -> Result<Images, DataError> {
    let mut head = [0u8; IMAGES_HEADER_LEN];
    let got = fill(&mut input, &mut head, name)?;
    let [n, rows, cols] = read_header::<3>(head.get(..got).unwrap_or_default(), name, IMAGES_MAGIC, "IDX images")?;
    let header = header_text(n, rows, cols);
    if rows == 0 || cols == 0 {
        return Err(DataError::ZeroDimension {
            file: name.to_owned(),
            header,
        });
    }
    let images = Images {
        pixels: Vec::new(),
        n: to_usize(n),
        rows: to_usize(rows),
        cols: to_usize(cols),
    };
    if let Some((rows, cols)) = expect.size {
        expect_size(&images, name, rows, cols)?;
    }
    if let Some((labels, n_labels)) = &expect.labels
        && images.n != *n_labels
    {
        return Err(DataError::CountMismatch {
            images: name.to_owned(),
            n_images: images.n,
            labels: labels.clone(),
            n_labels: *n_labels,
        });
    }
    let mut pixels = Vec::new();
    read_body(input, name, &header, [n, rows, cols], |chunk| {
        reserve(&mut pixels, chunk.len(), name)?;
        pixels.extend(chunk.iter().map(|&b| f32::from(b) / PIXEL_MAX));
        Ok(())
    })?;
    if n == 0 {
        return Err(DataError::Empty { file: name.to_owned() });
    }
    Ok(Images { pixels, ..images })
}

/// Parses IDX labels from plain or gzip bytes, each checked to be below `classes`.
///
/// # Errors
/// As [`labels_from`].
pub fn parse_labels(bytes: &[u8], name: &str, classes: usize) -> Result<Vec<u8>, DataError> {
    labels_from(reader(bytes), name, classes)
}

/// Reads IDX labels from a stream (already decompressed), as [`images_from`].
///
/// # Errors
/// As [`images_from`], and [`DataError::LabelOutOfRange`] naming the record.
pub fn labels_from(mut input: impl Read, name: &str, classes: usize) -> Result<Vec<u8>, DataError> {
    let mut head = [0u8; LABELS_HEADER_LEN];
    let got = fill(&mut input, &mut head, name)?;
    let [n] = read_header::<1>(head.get(..got).unwrap_or_default(), name, LABELS_MAGIC, "IDX labels")?;
    let mut labels = Vec::new();
    read_body(input, name, &format!("{n} labels"), [n, 1, 1], |chunk| {
        reserve(&mut labels, chunk.len(), name)?;
        labels.extend_from_slice(chunk);
        Ok(())
    })?;
    if n == 0 {
        return Err(DataError::Empty { file: name.to_owned() });
    }
    super::dataset::check_labels(&labels, classes, name)?;
    Ok(labels)
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
/// As [`open`] and [`images_from`].
pub fn read_images(path: &Path) -> Result<Images, DataError> {
    images_from(open(path, DIRECT_HINT)?, &display_name(path), &Expect::default())
}

/// Reads an IDX labels file.
///
/// # Errors
/// As [`open`] and [`labels_from`].
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<u8>, DataError> {
    labels_from(open(path, DIRECT_HINT)?, &display_name(path), classes)
}

/// Reads a labels file, then its images file into a [`Dataset`]: the
/// image count and size are checked on the images header, before any pixel
/// is read.
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
    let input = open(images, DIRECT_HINT)?;
    let label_set = read_labels(labels, classes)?;
    let expect = Expect {
        size,
        labels: Some((display_name(labels), label_set.len())),
    };
    let image_set = images_from(input, &display_name(images), &expect)?;
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

/// How an images header is quoted in error messages.
fn header_text(n: u32, rows: u32, cols: u32) -> String {
    format!("{n} images of {rows}x{cols}")
}

/// Widens a header dimension; `u32` always fits the 64-bit and 32-bit `usize` this harness runs on.
fn to_usize(value: u32) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
