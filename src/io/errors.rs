//! What can be wrong with a safetensors buffer, named precisely: the tensor
//! by name, shapes as shapes, byte ranges as ranges. Every type here is
//! `Copy` and allocation-free, so a name or a shape is copied (a long name
//! is cut and ends in `…`).

use super::Dtype;
use super::json::JsonStr;
use core::fmt;

/// Bytes of a tensor name an error keeps.
const NAME_CAP: usize = 32;

/// A tensor's name, as an error carries it (its first 32 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TensorName {
    bytes: [u8; NAME_CAP],
    len: u8,
    cut: bool,
}

impl TensorName {
    /// Copies `name`, cut at a character boundary when longer than the capacity.
    pub fn new(name: &str) -> Self {
        let mut t = TensorName {
            bytes: [0; NAME_CAP],
            len: 0,
            cut: false,
        };
        t.extend(name.chars());
        t
    }

    /// Copies a name as it appears in a header, its escapes decoded.
    pub(crate) fn from_json(name: JsonStr<'_>) -> Self {
        let mut t = TensorName::new("");
        t.extend(name.chars());
        t
    }

    fn extend(&mut self, chars: impl Iterator<Item = char>) {
        for c in chars {
            let mut buf = [0u8; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes();
            let at = self.len as usize;
            match self.bytes.get_mut(at..at + enc.len()) {
                Some(dst) => dst.copy_from_slice(enc),
                None => {
                    self.cut = true;
                    return;
                }
            }
            self.len += enc.len() as u8;
        }
    }

    /// The (possibly cut) name.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..self.len as usize).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl fmt::Display for TensorName {
    /// The name in quotes, control characters escaped, `…` when cut.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.as_str().chars() {
            if c.is_control() {
                write!(f, "\\u{{{:x}}}", c as u32)?;
            } else {
                write!(f, "{c}")?;
            }
        }
        f.write_str(if self.cut { "…\"" } else { "\"" })
    }
}

impl fmt::Debug for TensorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A tensor's shape, as an error carries it (dimensions above `u32::MAX` show as that).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    dims: [u32; super::MAX_RANK],
    rank: u8,
}

impl Dims {
    /// The shape `dims` (at most [`super::MAX_RANK`] dimensions are kept).
    pub fn new(dims: impl IntoIterator<Item = usize>) -> Self {
        let mut d = Dims {
            dims: [0; super::MAX_RANK],
            rank: 0,
        };
        for (slot, v) in d.dims.iter_mut().zip(dims) {
            *slot = u32::try_from(v).unwrap_or(u32::MAX);
            d.rank += 1;
        }
        d
    }

    /// The dimensions.
    pub fn as_slice(&self) -> &[u32] {
        self.dims.get(..self.rank as usize).unwrap_or(&[])
    }
}

impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.as_slice().iter().enumerate() {
            write!(f, "{}{d}", if i == 0 { "" } else { ", " })?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a header is not the JSON the format requires.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Not well-formed JSON (or not UTF-8) at this point.
    Syntax,
    /// Arrays and objects nested deeper than the reader's limit.
    TooDeep {
        /// Deepest nesting accepted.
        limit: usize,
    },
    /// The header is well-formed JSON but not an object.
    NotAnObject,
    /// `__metadata__` is not an object of strings, or appears twice.
    BadMetadata,
}

/// What is wrong inside one tensor's entry.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryProblem {
    /// The entry is not a JSON object.
    NotAnObject,
    /// A required field (`"dtype"`, `"shape"`, `"data_offsets"`) is absent.
    MissingField(&'static str),
    /// A field appears twice.
    DuplicateField(&'static str),
    /// A dimension or an offset is negative.
    Negative(&'static str),
    /// A dimension or an offset is a number with a fraction or an exponent.
    NotAnInteger(&'static str),
    /// A dimension or an offset does not fit in 64 bits.
    TooLarge(&'static str),
    /// A field has the wrong JSON type (e.g. `"shape": "2"`).
    WrongType(&'static str),
    /// More dimensions than [`super::MAX_RANK`].
    TooManyDims,
    /// `data_offsets` is not a pair `[begin, end]` with `begin <= end`.
    BadOffsets,
    /// The product of the dimensions times the element size overflows 64 bits.
    SizeOverflow,
}

/// What is wrong with a safetensors buffer, or between a buffer and a model.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SafetensorsError {
    /// Fewer bytes than the 8-byte header length or the header need.
    Truncated {
        /// Bytes needed.
        needed: u64,
        /// Bytes present.
        got: u64,
    },
    /// The header length exceeds the limit this reader accepts.
    HeaderTooLarge {
        /// Header length from the first 8 bytes.
        len: u64,
        /// Largest accepted header.
        limit: usize,
    },
    /// The JSON header is malformed; `offset` is a byte offset into the header.
    InvalidHeader {
        /// Where parsing stopped.
        offset: usize,
        /// What is wrong there.
        problem: HeaderProblem,
    },
    /// A tensor's entry is malformed.
    InvalidEntry {
        /// The tensor.
        name: TensorName,
        /// What is wrong.
        problem: EntryProblem,
    },
    /// A dtype the format does not define.
    UnknownDtype {
        /// The tensor.
        name: TensorName,
    },
    /// Two entries share a name.
    DuplicateName {
        /// The name.
        name: TensorName,
    },
    /// A tensor's `data_offsets` span another size than its shape and dtype need.
    SizeMismatch {
        /// The tensor.
        name: TensorName,
        /// Bytes the shape and dtype need.
        needed: u64,
        /// `begin` of `data_offsets`.
        begin: u64,
        /// `end` of `data_offsets`.
        end: u64,
    },
    /// A tensor ends beyond the data section.
    OutOfBounds {
        /// The tensor.
        name: TensorName,
        /// `end` of its `data_offsets`.
        end: u64,
        /// Bytes in the data section.
        data_len: u64,
    },
    /// Two tensors share bytes.
    Overlap {
        /// The tensor that starts first.
        first: TensorName,
        /// Its byte range `[begin, end)` in the data section.
        first_range: (u64, u64),
        /// The tensor that starts inside it.
        second: TensorName,
        /// Its byte range.
        second_range: (u64, u64),
    },
    /// Bytes of the data section that belong to no tensor.
    Hole {
        /// The unused range `[begin, end)`.
        range: (u64, u64),
    },
    /// A tensor the model needs is absent.
    Missing {
        /// Its name (`"2.weight"`).
        name: TensorName,
    },
    /// A tensor the model does not have (strict loading only).
    Unexpected {
        /// The first such tensor, in header order.
        name: TensorName,
        /// How many unexpected tensors the file holds in all.
        count: usize,
    },
    /// A tensor has another shape than the model's parameter.
    ShapeMismatch {
        /// The tensor.
        name: TensorName,
        /// The model's shape.
        expected: Dims,
        /// The file's shape.
        got: Dims,
    },
    /// The data of a tensor holds NaN or infinity.
    NonFinite {
        /// The tensor.
        name: TensorName,
        /// Index of the first such element.
        index: usize,
    },
    /// A parameter stored as a non-float dtype (e.g. `I64`).
    NotAFloat {
        /// The tensor.
        name: TensorName,
        /// Its dtype.
        dtype: Dtype,
    },
    /// A tensor read in place has another dtype than the graph's float type.
    DtypeMismatch {
        /// The tensor.
        name: TensorName,
        /// Its dtype in the file.
        dtype: Dtype,
        /// The dtype reading in place needs.
        wanted: Dtype,
    },
    /// A name to write is empty, too long, or a duplicate of another.
    BadName {
        /// The name.
        name: TensorName,
    },
}

impl fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            HeaderProblem::Syntax => f.write_str("invalid JSON"),
            HeaderProblem::TooDeep { limit } => write!(f, "JSON nested deeper than the limit of {limit} levels"),
            HeaderProblem::NotAnObject => f.write_str("the header is not a JSON object"),
            HeaderProblem::BadMetadata => f.write_str("\"__metadata__\" must appear once, as an object of strings"),
        }
    }
}

impl fmt::Display for EntryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EntryProblem::NotAnObject => f.write_str("the entry is not an object"),
            EntryProblem::MissingField(field) => write!(f, "\"{field}\" is missing"),
            EntryProblem::DuplicateField(field) => write!(f, "\"{field}\" is given twice"),
            EntryProblem::Negative(what) => write!(f, "{what} is negative"),
            EntryProblem::NotAnInteger(what) => write!(f, "{what} is not an integer"),
            EntryProblem::TooLarge(what) => write!(f, "{what} does not fit in 64 bits"),
            EntryProblem::WrongType(field) => write!(f, "\"{field}\" has the wrong JSON type"),
            EntryProblem::TooManyDims => write!(f, "more than {} dimensions", super::MAX_RANK),
            EntryProblem::BadOffsets => f.write_str("\"data_offsets\" is not [begin, end] with begin <= end"),
            EntryProblem::SizeOverflow => f.write_str("the tensor's byte size overflows 64 bits"),
        }
    }
}

impl fmt::Display for SafetensorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SafetensorsError as E;
        match *self {
            E::Truncated { needed, got } => write!(f, "truncated: {needed} bytes needed, {got} present"),
            E::HeaderTooLarge { len, limit } => write!(f, "header of {len} bytes exceeds the limit of {limit}"),
            E::InvalidHeader { offset, problem } => write!(f, "header byte {offset}: {problem}"),
            E::InvalidEntry { name, problem } => write!(f, "tensor {name}: {problem}"),
            E::UnknownDtype { name } => write!(f, "tensor {name}: unknown dtype"),
            E::DuplicateName { name } => write!(f, "tensor {name} appears twice in the header"),
            E::SizeMismatch {
                name,
                needed,
                begin,
                end,
            } => write!(
                f,
                "tensor {name}: its shape and dtype need {needed} bytes, data_offsets [{begin}, {end}] span {}",
                end.saturating_sub(begin)
            ),
            E::OutOfBounds { name, end, data_len } => write!(
                f,
                "tensor {name}: data ends at byte {end}, beyond the data section of {data_len} bytes"
            ),
            E::Overlap {
                first,
                first_range,
                second,
                second_range,
            } => write!(
                f,
                "tensors {first} [{}, {}) and {second} [{}, {}) share bytes",
                first_range.0, first_range.1, second_range.0, second_range.1
            ),
            E::Hole { range } => write!(
                f,
                "bytes [{}, {}) of the data section belong to no tensor",
                range.0, range.1
            ),
            E::Missing { name } => write!(f, "tensor {name} is missing"),
            E::Unexpected { name, count: 1 } => write!(f, "unexpected tensor {name} (the model has no such parameter)"),
            E::Unexpected { name, count } => write!(
                f,
                "unexpected tensor {name} and {} more (the model has no such parameters)",
                count - 1
            ),
            E::ShapeMismatch { name, expected, got } => {
                write!(
                    f,
                    "tensor {name}: the model expects shape {expected}, the file holds {got}"
                )
            }
            E::NonFinite { name, index } => {
                write!(
                    f,
                    "tensor {name}: element {index} is NaN or infinite (in the graph's float type)"
                )
            }
            E::NotAFloat { name, dtype } => {
                write!(
                    f,
                    "tensor {name} is {dtype}: a parameter loads from F32, F64, F16, BF16 or F8 only"
                )
            }
            E::DtypeMismatch { name, dtype, wanted } => write!(
                f,
                "tensor {name} is {dtype}: reading in place needs {wanted} (load it into RAM instead, which converts)"
            ),
            E::BadName { name } => write!(f, "cannot write tensor {name}: empty, too long, or a duplicate name"),
        }
    }
}

impl core::error::Error for SafetensorsError {}
