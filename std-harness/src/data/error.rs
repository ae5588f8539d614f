//! The one error type of the data layer.
//!
//! Every message names the file (or the input), the record where the problem
//! sits (image, line or row, when there is one) and the numbers involved, so
//! a user can open the file at the right place.

use std::fmt;
use std::path::PathBuf;

/// Why a data file or a preprocessing input was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file the loader needs is not there.
    #[error("{file}: not found in {dir}{also}; {hint}", also = also_tried(.alternatives))]
    NotFound {
        /// The file name looked for first.
        file: String,
        /// The folder it was looked for in.
        dir: PathBuf,
        /// Other names accepted for the same data.
        alternatives: Vec<String>,
        /// Where to get the file.
        hint: &'static str,
    },
    /// Reading the file failed for a reason other than its absence.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The data starts with the gzip magic bytes but does not decompress.
    #[error("{file}: bad gzip data: {source}")]
    Gzip {
        /// The file.
        file: String,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// Decompressed data would exceed the size the loader accepts.
    #[error("{file}: more than {limit} bytes, the cap on {what}; the file is corrupt or not this data")]
    TooLarge {
        /// The file.
        file: String,
        /// The limit in bytes.
        limit: u64,
        /// Which cap, e.g. "decompressed text".
        what: &'static str,
    },
    /// A file on disk is larger than the loaders open.
    #[error("{file}: {size} bytes, more than the {limit} bytes the loaders open; the file is not this data")]
    FileTooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// A header declares more values than the loader accepts.
    #[error("{file}: header says {header} ({values} values), more than the {limit} the loader accepts")]
    TooManyValues {
        /// The file.
        file: String,
        /// The header's dimensions.
        header: String,
        /// Values the header implies.
        values: u64,
        /// The cap.
        limit: u64,
    },
    /// Memory for the data could not be had.
    #[error("{file}: cannot allocate {bytes} bytes for the data")]
    OutOfMemory {
        /// The file.
        file: String,
        /// Bytes asked for.
        bytes: u64,
    },
    /// A path names something other than a regular file.
    #[error("{file}: is {kind}, not a regular file")]
    NotAFile {
        /// The path.
        file: String,
        /// What it is: "a folder", "a FIFO (named pipe)", "a device", ...
        kind: &'static str,
    },
    /// A file is looked for under a path one of whose folders is a file.
    #[error("{path}: cannot exist, {file} is a file, not a folder (check --data)")]
    UnderAFile {
        /// The path looked for.
        path: String,
        /// The file on its way.
        file: String,
    },
    /// More bytes follow the body than the loader reads to count them.
    #[error("{file}: more bytes follow {header} ({need} bytes) than the loader reads; the file is corrupt")]
    TrailingData {
        /// The file.
        file: String,
        /// The header's dimensions.
        header: String,
        /// Body length the header implies.
        need: u64,
    },
    /// An IDX file starts with the wrong magic number.
    #[error("{file}: wrong magic number {found:#010x}, expected {expected:#010x} ({kind})")]
    WrongMagic {
        /// The file.
        file: String,
        /// The magic number found.
        found: u32,
        /// The magic number wanted.
        expected: u32,
        /// What the file should hold, e.g. "IDX images".
        kind: &'static str,
    },
    /// The file is shorter than its fixed-size header.
    #[error("{file}: truncated: the {kind} header needs {need} bytes but the file has {have}")]
    ShortHeader {
        /// The file.
        file: String,
        /// What the file should hold.
        kind: &'static str,
        /// Header length in bytes.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// A header declares a zero dimension.
    #[error("{file}: zero dimension in header: {header}")]
    ZeroDimension {
        /// The file.
        file: String,
        /// The header's dimensions, e.g. "10 images of 0x16".
        header: String,
    },
    /// The body is shorter than the header says.
    #[error("{file}: truncated: header says {header} ({need} bytes) but only {have} bytes follow")]
    Truncated {
        /// The file.
        file: String,
        /// The header's dimensions.
        header: String,
        /// Body length the header implies.
        need: u128,
        /// Body bytes present.
        have: usize,
    },
    /// The body is longer than the header says.
    #[error("{file}: {extra} trailing bytes after {header} ({need} bytes)")]
    TrailingBytes {
        /// The file.
        file: String,
        /// The header's dimensions.
        header: String,
        /// Body length the header implies.
        need: u128,
        /// Bytes beyond it.
        extra: usize,
    },
    /// Images have a size other than the one the data set uses.
    #[error("{file}: images are {rows}x{cols}, expected {expected_rows}x{expected_cols}")]
    ImageSize {
        /// The file.
        file: String,
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
        /// Rows wanted.
        expected_rows: usize,
        /// Columns wanted.
        expected_cols: usize,
    },
    /// A class label is not below the number of classes.
    #[error("{file}: record {record}: label {label} out of range for {classes} classes")]
    LabelOutOfRange {
        /// The file or input.
        file: String,
        /// Index of the record, from 0.
        record: usize,
        /// The label found.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
    /// An images file and its labels file disagree on the count.
    #[error("{images} holds {n_images} images but {labels} holds {n_labels} labels")]
    CountMismatch {
        /// The images file.
        images: String,
        /// Images in it.
        n_images: usize,
        /// The labels file.
        labels: String,
        /// Labels in it.
        n_labels: usize,
    },
    /// The input holds no records at all.
    #[error("{file}: no records")]
    Empty {
        /// The file or input.
        file: String,
    },
    /// A text line has the wrong number of fields.
    #[error("{file}: line {line}: {found} fields, expected {expected}")]
    FieldCount {
        /// The file.
        file: String,
        /// Line number, from 1.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields wanted.
        expected: usize,
    },
    /// A text field is not a number, or is NaN or infinite.
    #[error("{file}: line {line}: field {field}: {problem}")]
    BadField {
        /// The file.
        file: String,
        /// Line number, from 1.
        line: usize,
        /// Field number, from 1.
        field: usize,
        /// What is wrong with it.
        problem: CellProblem,
    },
    /// A value lies outside the range its format allows.
    #[error("{file}: line {line}: field {field}: value {value} outside [{min}, {max}]")]
    ValueOutOfRange {
        /// The file.
        file: String,
        /// Line number, from 1.
        line: usize,
        /// Field number, from 1.
        field: usize,
        /// The value found.
        value: f64,
        /// Lowest value allowed.
        min: f64,
        /// Highest value allowed.
        max: f64,
    },
    /// A digit label is not an integer from 0 to 9.
    #[error("{file}: line {line}: label {text:?} is not a digit 0..9")]
    BadDigit {
        /// The file.
        file: String,
        /// Line number, from 1.
        line: usize,
        /// The label text.
        text: String,
    },
    /// The CSV reader rejected the input (e.g. invalid UTF-8).
    #[error("{file}: {source}")]
    Csv {
        /// The file.
        file: String,
        /// The CSV reader's error, with its position.
        source: csv::Error,
    },
    /// A CSV row has another number of cells than the header.
    #[error("{file}: row {row} (line {line}): {found} cells, expected {expected} as in the header")]
    RaggedRow {
        /// The file.
        file: String,
        /// Data row, from 1.
        row: usize,
        /// Line in the file, from 1 (the header is line 1).
        line: u64,
        /// Cells found.
        found: usize,
        /// Cells in the header.
        expected: usize,
    },
    /// A CSV cell cannot be used.
    #[error("{file}: row {row} (line {line}), column {column:?}: {problem}")]
    BadCell {
        /// The file.
        file: String,
        /// Data row, from 1.
        row: usize,
        /// Line in the file, from 1.
        line: u64,
        /// The column's name.
        column: String,
        /// What is wrong with the cell.
        problem: CellProblem,
    },
    /// A column named by the caller is not in the header.
    #[error("{file}: no column {column:?}; the header has {available:?}")]
    MissingColumn {
        /// The file.
        file: String,
        /// The column asked for.
        column: String,
        /// The header's columns.
        available: Vec<String>,
    },
    /// Two header cells have the same name.
    #[error("{file}: column {column:?} appears twice in the header")]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The repeated name.
        column: String,
    },
    /// A categorical column has more distinct values than one-hot encoding allows.
    #[error("{file}: column {column:?} has more than {limit} distinct values; if it is numeric, declare it so")]
    TooManyLevels {
        /// The file.
        file: String,
        /// The column.
        column: String,
        /// The most levels accepted.
        limit: usize,
    },
    /// A CSV input has no header, or a header and no rows.
    #[error("{file}: empty table: {what}")]
    EmptyTable {
        /// The file.
        file: String,
        /// "no header" or "no rows".
        what: &'static str,
    },
    /// A file holds so few records that a split of it is empty.
    #[error(
        "{file}: {records} records are too few to split ({sizes}): the {split} split is empty; at least {min} records are needed"
    )]
    TooFewRecords {
        /// The file or folder.
        file: String,
        /// Records in it.
        records: usize,
        /// The empty split.
        split: &'static str,
        /// Every split's size, e.g. "training 2, validation 0, test 1".
        sizes: String,
        /// The least count that gives every split a record.
        min: usize,
    },
    /// A flat buffer does not split into rows of the stated width.
    #[error("{what}: {len} values do not form rows of {width}")]
    Shape {
        /// The buffer.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The row width.
        width: usize,
    },
    /// A row index is past the end.
    #[error("{what}: index {index} out of range for {n} rows")]
    IndexOutOfRange {
        /// The data indexed.
        what: &'static str,
        /// The index.
        index: usize,
        /// Rows present.
        n: usize,
    },
    /// A parameter of a split, a generator or an encoder is invalid.
    #[error("{what}: {problem}")]
    BadParameter {
        /// The parameter.
        what: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// What is wrong with one cell or field.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CellProblem {
    /// The cell is empty.
    Empty,
    /// The text does not parse as a number.
    NotANumber(String),
    /// The text parses to NaN or infinity, or overflows `f32`.
    NotFinite(String),
}

impl fmt::Display for CellProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty cell"),
            Self::NotANumber(text) => write!(f, "{text:?} is not a number"),
            Self::NotFinite(text) => write!(f, "{text:?} is not a finite f32 number"),
        }
    }
}

fn also_tried(alternatives: &[String]) -> String {
    if alternatives.is_empty() {
        String::new()
    } else {
        format!(" (also looked for {})", alternatives.join(", "))
    }
}

/// Parses a number and checks that it is finite as an `f32`.
pub(crate) fn parse_finite(text: &str) -> Result<f32, CellProblem> {
    if text.is_empty() {
        return Err(CellProblem::Empty);
    }
    let value: f64 = text.parse().map_err(|_| CellProblem::NotANumber(text.to_owned()))?;
    let narrowed = value as f32;
    if narrowed.is_finite() {
        Ok(narrowed)
    } else {
        Err(CellProblem::NotFinite(text.to_owned()))
    }
}
