//! CSV tables with numeric and categorical columns, encoded as `f32` features.
//!
//! Each column is numeric or categorical, as the caller's [`TableSpec`] says
//! or, failing that, as inferred: a column is numeric when at least half of
//! its cells parse as numbers (so a stray bad cell in a numeric column is
//! reported, not silently turned into a category). Categorical columns are
//! encoded with their distinct values sorted: one or two levels give one 0/1
//! column named after the last level (`smoker=yes`), more levels give one
//! one-hot column per level (`region=northeast`, ...). Feature columns keep
//! the header's order, with the target column left out.

use std::collections::BTreeSet;
use std::path::Path;

use super::error::{CellProblem, parse_finite};
use super::source::{decompress, display_name, read_direct};
use super::{DataError, Table};

/// Most distinct values a categorical column may have.
///
/// A column with more is almost surely a numeric column with bad cells or a
/// row identifier; one-hot encoding it would add that many features.
pub const MAX_CATEGORY_LEVELS: usize = 256;

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Every cell is a finite number.
    Numeric,
    /// Cells are category names, encoded as 0/1 columns.
    Categorical,
}

/// Which column is the target, and the kinds of columns not to infer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableSpec {
    /// Name of the target column.
    pub target: String,
    /// Columns whose kind is given rather than inferred.
    pub kinds: Vec<(String, ColumnKind)>,
}

impl TableSpec {
    /// A spec with the target `target` and every kind inferred.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            kinds: Vec::new(),
        }
    }

    /// The same spec with the kind of `column` fixed to `kind`.
    #[must_use]
    pub fn with_kind(mut self, column: impl Into<String>, kind: ColumnKind) -> Self {
        self.kinds.push((column.into(), kind));
        self
    }
}

/// Reads a CSV table (plain or gzip) from `path`.
///
/// # Errors
/// [`DataError::NotFound`], [`DataError::Io`], or as [`parse_table`].
pub fn read_table(path: &Path, spec: &TableSpec) -> Result<Table, DataError> {
    parse_table(&read_direct(path)?, &display_name(path), spec)
}

/// Parses a CSV table with a header row from plain or gzip bytes.
///
/// # Errors
/// [`DataError::EmptyTable`], [`DataError::DuplicateColumn`],
/// [`DataError::MissingColumn`] (target or spec column), [`DataError::RaggedRow`],
/// [`DataError::BadCell`] (empty, non-numeric, NaN or infinite cell, naming
/// row and column), [`DataError::TooManyLevels`], [`DataError::Csv`].
pub fn parse_table(bytes: &[u8], name: &str, spec: &TableSpec) -> Result<Table, DataError> {
    let bytes = decompress(bytes, name)?;
    let raw = Raw::read(&bytes, name)?;
    let target = raw.column(&spec.target)?;
    for (column, _) in &spec.kinds {
        raw.column(column)?;
    }
    let mut encoders = Vec::with_capacity(raw.header.len());
    for col in 0..raw.header.len() {
        let kind = spec
            .kinds
            .iter()
            .find(|(c, _)| raw.header.get(col) == Some(c))
            .map_or_else(|| raw.infer(col), |&(_, kind)| kind);
        encoders.push(raw.encoder(col, kind)?);
    }
    raw.encode(&encoders, target)
}

/// The cells of a table as text, checked to be rectangular.
struct Raw<'a> {
    name: &'a str,
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

/// How one column turns into features.
enum Encoder {
    /// The cell's number.
    Numeric,
    /// The cell's level among these sorted levels.
    Levels(Vec<String>),
}

impl<'a> Raw<'a> {
    fn read(bytes: &[u8], name: &'a str) -> Result<Self, DataError> {
        let csv_error = |source| DataError::Csv {
            file: name.to_owned(),
            source,
        };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header: Vec<String> = reader.headers().map_err(csv_error)?.iter().map(str::to_owned).collect();
        if header.is_empty() {
            return Err(empty(name, "no header"));
        }
        if let Some(column) = first_duplicate(&header) {
            return Err(DataError::DuplicateColumn {
                file: name.to_owned(),
                column,
            });
        }
        let mut rows = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(csv_error)?;
            if record.len() != header.len() {
                return Err(DataError::RaggedRow {
                    file: name.to_owned(),
                    row: index + 1,
                    line: line_of(&record),
                    found: record.len(),
                    expected: header.len(),
                });
            }
            rows.push(record);
        }
        if rows.is_empty() {
            return Err(empty(name, "no rows"));
        }
        Ok(Self { name, header, rows })
    }

    /// Index of the column called `column`.
    fn column(&self, column: &str) -> Result<usize, DataError> {
        self.header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| DataError::MissingColumn {
                file: self.name.to_owned(),
                column: column.to_owned(),
                available: self.header.clone(),
            })
    }

    /// The cells of column `col`, with their row numbers from 1 and records.
    fn cells(&self, col: usize) -> impl Iterator<Item = (usize, &csv::StringRecord, &str)> {
        self.rows
            .iter()
            .enumerate()
            .map(move |(i, r)| (i + 1, r, r.get(col).unwrap_or_default()))
    }

    /// Numeric when at least half the cells parse as numbers.
    fn infer(&self, col: usize) -> ColumnKind {
        let numbers = self.cells(col).filter(|(_, _, c)| c.parse::<f64>().is_ok()).count();
        if numbers * 2 >= self.rows.len() {
            ColumnKind::Numeric
        } else {
            ColumnKind::Categorical
        }
    }

    fn encoder(&self, col: usize, kind: ColumnKind) -> Result<Encoder, DataError> {
        if kind == ColumnKind::Numeric {
            return Ok(Encoder::Numeric);
        }
        let mut levels = BTreeSet::new();
        for (row, record, cell) in self.cells(col) {
            if cell.is_empty() {
                return Err(self.bad_cell(row, record, col, CellProblem::Empty));
            }
            levels.insert(cell);
            if levels.len() > MAX_CATEGORY_LEVELS {
                return Err(DataError::TooManyLevels {
                    file: self.name.to_owned(),
                    column: self.header_name(col),
                    limit: MAX_CATEGORY_LEVELS,
                });
            }
        }
        Ok(Encoder::Levels(levels.into_iter().map(str::to_owned).collect()))
    }

    /// Encodes every row into features and target.
    fn encode(&self, encoders: &[Encoder], target: usize) -> Result<Table, DataError> {
        let mut features = Vec::new();
        let mut values = Vec::with_capacity(self.rows.len());
        for (i, record) in self.rows.iter().enumerate() {
            for (col, (cell, encoder)) in record.iter().zip(encoders).enumerate() {
                let out = if col == target { &mut values } else { &mut features };
                let as_target = col == target;
                encoder
                    .encode(cell, as_target, out)
                    .map_err(|problem| self.bad_cell(i + 1, record, col, problem))?;
            }
        }
        let mut names = Vec::new();
        for (col, encoder) in encoders.iter().enumerate().filter(|&(c, _)| c != target) {
            encoder.names(&self.header_name(col), &mut names);
        }
        let target_levels = match encoders.get(target) {
            Some(Encoder::Levels(levels)) => levels.clone(),
            _ => Vec::new(),
        };
        Ok(Table {
            n: values.len(),
            d: names.len(),
            features,
            names,
            target: values,
            target_name: self.header_name(target),
            target_levels,
        })
    }

    fn header_name(&self, col: usize) -> String {
        self.header.get(col).cloned().unwrap_or_default()
    }

    fn bad_cell(&self, row: usize, record: &csv::StringRecord, col: usize, problem: CellProblem) -> DataError {
        DataError::BadCell {
            file: self.name.to_owned(),
            row,
            line: line_of(record),
            column: self.header_name(col),
            problem,
        }
    }
}

impl Encoder {
    /// Appends the cell's features (or, as a target, its one value) to `out`.
    fn encode(&self, cell: &str, as_target: bool, out: &mut Vec<f32>) -> Result<(), CellProblem> {
        match self {
            Self::Numeric => out.push(parse_finite(cell)?),
            Self::Levels(levels) => {
                let k = levels
                    .binary_search_by(|l| l.as_str().cmp(cell))
                    .map_err(|_| CellProblem::NotANumber(cell.to_owned()))?;
                if as_target {
                    out.push(k as f32);
                } else if levels.len() <= 2 {
                    out.push(if k + 1 == levels.len() { 1.0 } else { 0.0 });
                } else {
                    out.extend((0..levels.len()).map(|j| if j == k { 1.0 } else { 0.0 }));
                }
            }
        }
        Ok(())
    }

    /// Appends the names of the feature columns this encoder writes.
    fn names(&self, column: &str, out: &mut Vec<String>) {
        match self {
            Self::Numeric => out.push(column.to_owned()),
            Self::Levels(levels) if levels.len() <= 2 => {
                out.extend(levels.last().map(|l| format!("{column}={l}")));
            }
            Self::Levels(levels) => out.extend(levels.iter().map(|l| format!("{column}={l}"))),
        }
    }
}

fn empty(name: &str, what: &'static str) -> DataError {
    DataError::EmptyTable {
        file: name.to_owned(),
        what,
    }
}

fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

fn first_duplicate(header: &[String]) -> Option<String> {
    let mut seen = BTreeSet::new();
    header.iter().find(|h| !seen.insert(h.as_str())).cloned()
}
