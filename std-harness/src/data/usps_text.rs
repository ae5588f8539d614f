//! The public text form of USPS (`zip.train`, `zip.test`, optionally gzip).
//!
//! One image per line: the digit (written `6` or `6.0000`), then 256 grey
//! values in `[-1, 1]`, row-major, separated by whitespace (the published files
//! end lines with a space). Values are mapped to `[0, 1]` as `(v + 1) / 2`, the
//! scale the IDX loader gives, so both forms of the data feed a model alike.

use std::path::Path;

use super::error::{CellProblem, parse_finite};
use super::source::{decompress, display_name, read_direct};
use super::{DataError, Dataset};

/// Side of a USPS image in pixels.
pub const USPS_SIDE: usize = 16;
/// Number of digit classes.
pub const DIGITS: usize = 10;
/// Fields per line: the digit and `16 * 16` values.
pub const FIELDS: usize = 1 + USPS_SIDE * USPS_SIDE;
/// Lowest grey value of the text form.
pub const VALUE_MIN: f64 = -1.0;
/// Highest grey value of the text form.
pub const VALUE_MAX: f64 = 1.0;

/// Parses USPS text from plain or gzip bytes; `name` labels error messages.
///
/// Blank lines are skipped.
///
/// # Errors
/// [`DataError::FieldCount`], [`DataError::BadField`] (not a number, NaN,
/// infinite), [`DataError::ValueOutOfRange`], [`DataError::BadDigit`], each
/// with its line number; [`DataError::Empty`] when no line holds an image.
pub fn parse(bytes: &[u8], name: &str) -> Result<Dataset, DataError> {
    let bytes = decompress(bytes, name)?;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let fields: Vec<&[u8]> = line.split(u8::is_ascii_whitespace).filter(|f| !f.is_empty()).collect();
        if fields.is_empty() {
            continue;
        }
        let at = Line {
            file: name,
            line: index + 1,
        };
        labels.push(at.parse_line(&fields, &mut features)?);
    }
    if labels.is_empty() {
        return Err(DataError::Empty { file: name.to_owned() });
    }
    Dataset::new(features, labels, (USPS_SIDE, USPS_SIDE), DIGITS)
}

/// Reads a USPS text file (`zip.train`, `zip.test.gz`, ...).
///
/// # Errors
/// [`DataError::NotFound`], [`DataError::Io`], or as [`parse`].
pub fn read(path: &Path) -> Result<Dataset, DataError> {
    parse(&read_direct(path)?, &display_name(path))
}

/// Where a line sits, for error messages.
struct Line<'a> {
    file: &'a str,
    line: usize,
}

impl Line<'_> {
    /// Appends the line's 256 scaled values to `features` and returns its digit.
    fn parse_line(&self, fields: &[&[u8]], features: &mut Vec<f32>) -> Result<u8, DataError> {
        let [digit, values @ ..] = fields else {
            return Err(self.field_count(fields.len()));
        };
        if values.len() != USPS_SIDE * USPS_SIDE {
            return Err(self.field_count(fields.len()));
        }
        let label = self.digit(digit)?;
        for (k, field) in values.iter().enumerate() {
            features.push(self.value(field, k + 2)?);
        }
        Ok(label)
    }

    fn field_count(&self, found: usize) -> DataError {
        DataError::FieldCount {
            file: self.file.to_owned(),
            line: self.line,
            found,
            expected: FIELDS,
        }
    }

    /// The digit label: an integer 0..9, possibly written with decimals.
    fn digit(&self, field: &[u8]) -> Result<u8, DataError> {
        let text = String::from_utf8_lossy(field);
        let value = text.parse::<f64>().ok().filter(|v| v.fract() == 0.0);
        match value {
            Some(v) if (0.0..DIGITS as f64).contains(&v) => Ok(v as u8),
            _ => Err(DataError::BadDigit {
                file: self.file.to_owned(),
                line: self.line,
                text: text.into_owned(),
            }),
        }
    }

    /// One grey value, checked to lie in `[-1, 1]` and mapped to `[0, 1]`.
    fn value(&self, field: &[u8], number: usize) -> Result<f32, DataError> {
        let text = String::from_utf8_lossy(field);
        let value = parse_finite(&text).map_err(|problem| self.bad_field(number, problem))?;
        let wide = f64::from(value);
        if !(VALUE_MIN..=VALUE_MAX).contains(&wide) {
            return Err(DataError::ValueOutOfRange {
                file: self.file.to_owned(),
                line: self.line,
                field: number,
                value: wide,
                min: VALUE_MIN,
                max: VALUE_MAX,
            });
        }
        Ok((value + 1.0) / 2.0)
    }

    fn bad_field(&self, field: usize, problem: CellProblem) -> DataError {
        DataError::BadField {
            file: self.file.to_owned(),
            line: self.line,
            field,
            problem,
        }
    }
}
