//! The safetensors layout: 8 bytes of little-endian header length, a JSON
//! header mapping tensor names to `dtype`, `shape` and `data_offsets` (and
//! an optional `__metadata__` object of strings), then the raw little-endian
//! data. Parsed in place (the weights can stay in flash), without allocation.
//!
//! A buffer that parses is the file it claims to be: every entry is well
//! formed, names are unique, and the tensors tile the data section exactly
//! (no two share a byte, no byte belongs to none). Offsets and sizes are
//! checked in `u64` before any conversion to `usize`, so a 32-bit target
//! cannot wrap them.
//!
//! Names and layouts are those of PyTorch's `nn.Sequential.state_dict()`:
//! `"0.weight"` `[out, in]`, `"0.bias"` `[out]`, …
//!
//! # Cost
//! Checking the tiling and the names without allocating walks the header
//! once per window of tensors (256 on 64-bit targets, 16 on others): one
//! walk for every model of this crate, a few for large checkpoints.

use super::checks;
use super::errors::{EntryProblem, HeaderProblem, SafetensorsError, TensorName};
use super::json::{JsonStr, Scanner};
use crate::io::Dtype;

/// Largest header accepted, in bytes (a model of this crate needs a few
/// hundred; the bound keeps a corrupted length from meaning gigabytes).
pub const HEADER_MAX: usize = 1 << 20;
/// Most dimensions a tensor may have.
pub const MAX_RANK: usize = 8;
/// The header key of the metadata object.
pub(crate) const METADATA_KEY: &str = "__metadata__";

pub(crate) type Res<T> = Result<T, SafetensorsError>;

/// A parsed safetensors buffer, borrowing the bytes.
#[derive(Clone, Copy, Debug)]
pub struct SafeTensors<'a> {
    header: &'a [u8],
    data: &'a [u8],
    tensors: usize,
    /// Offset in the header of the metadata object, if any.
    metadata: Option<usize>,
}

/// One tensor of a buffer: its element type, shape and raw bytes.
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a> {
    /// Element type.
    pub dtype: Dtype,
    shape: [usize; MAX_RANK],
    rank: usize,
    /// Raw little-endian data.
    pub data: &'a [u8],
    /// Offset of `data` in the buffer's data section.
    pub(crate) start: usize,
}

impl<'a> TensorView<'a> {
    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        self.shape.get(..self.rank).unwrap_or(&[])
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.size()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements as `f64` (exact for every dtype but 64-bit integers beyond 2^53).
    pub fn values_f64(&self) -> impl Iterator<Item = f64> + 'a {
        let dtype = self.dtype;
        self.data
            .chunks_exact(dtype.size())
            .map(move |b| dtype.decode(b).unwrap_or(0.0))
    }

    /// The elements, converted to `T` (rounded to nearest).
    pub fn values<T: crate::Float>(&self) -> impl Iterator<Item = T> + 'a {
        self.values_f64().map(T::from_f64)
    }
}

/// One entry as the header gives it, checked against the data section.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub(crate) index: usize,
    pub(crate) name: JsonStr<'a>,
    pub(crate) dtype: Dtype,
    pub(crate) shape: [usize; MAX_RANK],
    pub(crate) rank: usize,
    pub(crate) begin: u64,
    pub(crate) end: u64,
}

impl<'a> SafeTensors<'a> {
    /// Parses and checks a whole buffer: header length, JSON, every entry's
    /// dtype, shape and offsets, unique names, metadata, and that the
    /// tensors tile the data section exactly.
    ///
    /// # Errors
    /// A [`SafetensorsError`] naming the tensor(s), byte ranges or header
    /// position at fault, never a panic.
    pub fn parse(bytes: &'a [u8]) -> Res<Self> {
        let total = bytes.len() as u64;
        let len_bytes = bytes
            .get(..8)
            .ok_or(SafetensorsError::Truncated { needed: 8, got: total })?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(len_bytes);
        let n = u64::from_le_bytes(raw);
        if n > HEADER_MAX as u64 {
            return Err(SafetensorsError::HeaderTooLarge {
                len: n,
                limit: HEADER_MAX,
            });
        }
        if 8 + n > total {
            return Err(SafetensorsError::Truncated {
                needed: 8 + n,
                got: total,
            });
        }
        let end = 8 + n as usize;
        let (header, data) = (bytes.get(8..end).unwrap_or(&[]), bytes.get(end..).unwrap_or(&[]));
        let mut st = SafeTensors {
            header,
            data,
            tensors: 0,
            metadata: None,
        };
        let (tensors, metadata) = st.scan()?;
        st.tensors = tensors;
        st.metadata = metadata;
        checks::tiling(&st)?;
        checks::unique_names(&st)?;
        Ok(st)
    }

    /// The data section (every tensor's bytes).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Number of tensors.
    pub fn len(&self) -> usize {
        self.tensors
    }

    /// Whether the buffer holds no tensor.
    pub fn is_empty(&self) -> bool {
        self.tensors == 0
    }

    /// The tensor called `name`, if present.
    pub fn get(&self, name: &str) -> Option<TensorView<'a>> {
        self.iter().find(|(key, _)| key.eq_str(name)).map(|(_, view)| view)
    }

    /// Every tensor with its name, in header order.
    pub fn iter(&self) -> impl Iterator<Item = (JsonStr<'a>, TensorView<'a>)> + 'a {
        let this = *self;
        let mut entries = Entries::new(self.header, self.data.len() as u64);
        core::iter::from_fn(move || {
            let e = entries.next().ok().flatten()?;
            Some((e.name, this.view(&e)))
        })
    }

    /// Calls `f(index, name, view)` for each tensor until it returns `false`.
    pub fn for_each(&self, mut f: impl FnMut(usize, JsonStr<'a>, TensorView<'a>) -> bool) {
        for (i, (name, view)) in self.iter().enumerate() {
            if !f(i, name, view) {
                return;
            }
        }
    }

    /// The `__metadata__` pairs (key, value), in header order; none when absent.
    pub fn metadata(&self) -> impl Iterator<Item = (JsonStr<'a>, JsonStr<'a>)> + 'a {
        let mut s = self.metadata.map(|pos| Scanner::new(self.header).at(pos));
        let mut first = true;
        core::iter::from_fn(move || {
            let sc = s.as_mut()?;
            let pair = metadata_pair(sc, first).ok().flatten();
            first = false;
            if pair.is_none() {
                s = None;
            }
            pair
        })
    }

    /// The metadata value of `key`, if present.
    pub fn metadata_value(&self, key: &str) -> Option<JsonStr<'a>> {
        self.metadata().find(|(k, _)| k.eq_str(key)).map(|(_, v)| v)
    }

    /// The name of the tensor at `index` in header order (for error messages).
    pub(crate) fn name_at(&self, index: usize) -> TensorName {
        self.entries()
            .nth(index)
            .map_or(TensorName::new("?"), |e| TensorName::from_json(e.name))
    }

    /// The checked entries, in header order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry<'a>> + 'a {
        let mut entries = Entries::new(self.header, self.data.len() as u64);
        core::iter::from_fn(move || entries.next().ok().flatten())
    }

    fn view(&self, e: &Entry<'a>) -> TensorView<'a> {
        // `scan` checked `begin <= end <= data.len()`, so both fit a usize.
        let (begin, end) = (e.begin as usize, e.end as usize);
        TensorView {
            dtype: e.dtype,
            shape: e.shape,
            rank: e.rank,
            data: self.data.get(begin..end).unwrap_or(&[]),
            start: begin,
        }
    }

    /// Checks the header and every entry; returns the tensor count and where the metadata is.
    fn scan(&self) -> Res<(usize, Option<usize>)> {
        let mut entries = Entries::new(self.header, self.data.len() as u64);
        let mut count = 0;
        while entries.next()?.is_some() {
            count += 1;
        }
        Ok((count, entries.metadata))
    }
}

/// Reads one `"key": "value"` pair of the metadata object, or `None` at its end.
fn metadata_pair<'a>(s: &mut Scanner<'a>, first: bool) -> Res<Option<(JsonStr<'a>, JsonStr<'a>)>> {
    if first {
        s.expect(b'{')?;
    }
    if s.eat(b'}') {
        return Ok(None);
    }
    if !first {
        s.expect(b',')?;
    }
    let key = s.string()?;
    s.expect(b':')?;
    Ok(Some((key, s.string()?)))
}

/// A walk over the header's tensor entries, checking each.
struct Entries<'a> {
    s: Scanner<'a>,
    data_len: u64,
    index: usize,
    started: bool,
    done: bool,
    metadata: Option<usize>,
}

impl<'a> Entries<'a> {
    fn new(header: &'a [u8], data_len: u64) -> Self {
        Entries {
            s: Scanner::new(header),
            data_len,
            index: 0,
            started: false,
            done: false,
            metadata: None,
        }
    }

    /// The next tensor entry, `None` after the last one.
    fn next(&mut self) -> Res<Option<Entry<'a>>> {
        loop {
            if self.done {
                return Ok(None);
            }
            let s = &mut self.s;
            if !self.started {
                self.started = true;
                if s.next_byte() != Some(b'{') {
                    return Err(not_an_object(s));
                }
                s.expect(b'{')?;
                if s.eat(b'}') {
                    return self.finish();
                }
            } else if s.eat(b'}') {
                return self.finish();
            } else {
                s.expect(b',')?;
            }
            let key = s.string()?;
            s.expect(b':')?;
            if key.eq_str(METADATA_KEY) {
                self.metadata_object()?;
                continue;
            }
            let e = entry(s, key, self.index, self.data_len)?;
            self.index += 1;
            return Ok(Some(e));
        }
    }

    fn finish(&mut self) -> Res<Option<Entry<'a>>> {
        self.done = true;
        if !self.s.at_end() {
            return Err(self.s.error());
        }
        Ok(None)
    }

    /// Checks the metadata object (strings only, given once) and notes where it is.
    fn metadata_object(&mut self) -> Res<()> {
        let s = &mut self.s;
        let at = s.pos();
        let bad = s.problem(HeaderProblem::BadMetadata);
        if self.metadata.is_some() || s.next_byte() != Some(b'{') {
            return Err(bad);
        }
        let mut first = true;
        loop {
            match metadata_pair(s, first) {
                Ok(Some(_)) => first = false,
                Ok(None) => break,
                Err(_) => return Err(bad),
            }
        }
        self.metadata = Some(at);
        Ok(())
    }
}

/// Tells apart a header that is valid JSON but not an object from one that is not JSON.
fn not_an_object(s: &mut Scanner<'_>) -> SafetensorsError {
    let start = s.pos();
    match s.skip_value() {
        Ok(()) if s.at_end() => s.at(start).problem(HeaderProblem::NotAnObject),
        Ok(()) => s.error(),
        Err(e) => e,
    }
}

/// Parses one entry `{"dtype":…,"shape":[…],"data_offsets":[a,b]}` and
/// checks its size and bounds in `u64`.
fn entry<'a>(s: &mut Scanner<'a>, key: JsonStr<'a>, index: usize, data_len: u64) -> Res<Entry<'a>> {
    let name = || TensorName::from_json(key);
    let invalid = |problem| SafetensorsError::InvalidEntry { name: name(), problem };
    if s.next_byte() != Some(b'{') {
        s.skip_value()?;
        return Err(invalid(EntryProblem::NotAnObject));
    }
    s.expect(b'{')?;
    let (mut dtype, mut shape, mut offsets) = (None, None, None);
    if !s.eat(b'}') {
        loop {
            let field = s.string()?;
            s.expect(b':')?;
            if field.eq_str("dtype") {
                once(dtype.is_some(), "dtype").map_err(invalid)?;
                let text = if s.next_byte() == Some(b'"') {
                    s.string()?
                } else {
                    s.skip_value()?;
                    return Err(invalid(EntryProblem::WrongType("dtype")));
                };
                let found = Dtype::from_name(text.raw()).filter(|_| !text.raw().contains('\\'));
                dtype = Some(found.ok_or(SafetensorsError::UnknownDtype { name: name() })?);
            } else if field.eq_str("shape") {
                once(shape.is_some(), "shape").map_err(invalid)?;
                shape = Some(dims(s, "shape", MAX_RANK).map_err(|e| e.map_or_else(|e| e, invalid))?);
            } else if field.eq_str("data_offsets") {
                once(offsets.is_some(), "data_offsets").map_err(invalid)?;
                let (pair, n) = dims(s, "data_offsets", 2).map_err(|e| e.map_or_else(|e| e, invalid))?;
                match (n, pair) {
                    (2, [a, b, ..]) if a <= b => offsets = Some((a, b)),
                    _ => return Err(invalid(EntryProblem::BadOffsets)),
                }
            } else {
                s.skip_value()?;
            }
            if s.eat(b'}') {
                break;
            }
            s.expect(b',')?;
        }
    }
    let dtype = dtype.ok_or(invalid(EntryProblem::MissingField("dtype")))?;
    let (dims64, rank) = shape.ok_or(invalid(EntryProblem::MissingField("shape")))?;
    let (begin, end) = offsets.ok_or(invalid(EntryProblem::MissingField("data_offsets")))?;
    let needed = dims64
        .iter()
        .take(rank)
        .try_fold(dtype.size() as u64, |n, &d| n.checked_mul(d))
        .ok_or(invalid(EntryProblem::SizeOverflow))?;
    if end - begin != needed {
        return Err(SafetensorsError::SizeMismatch {
            name: name(),
            needed,
            begin,
            end,
        });
    }
    if end > data_len {
        return Err(SafetensorsError::OutOfBounds {
            name: name(),
            end,
            data_len,
        });
    }
    let mut shape = [1usize; MAX_RANK];
    for (dst, &d) in shape.iter_mut().zip(dims64.iter().take(rank)) {
        *dst = usize::try_from(d).map_err(|_| invalid(EntryProblem::TooLarge("a dimension")))?;
    }
    Ok(Entry {
        index,
        name: key,
        dtype,
        shape,
        rank,
        begin,
        end,
    })
}

fn once(seen: bool, field: &'static str) -> Result<(), EntryProblem> {
    if seen {
        Err(EntryProblem::DuplicateField(field))
    } else {
        Ok(())
    }
}

/// An array of at most `max` unsigned integers (`[u64; MAX_RANK]` and its length).
fn dims(
    s: &mut Scanner<'_>,
    field: &'static str,
    max: usize,
) -> Result<([u64; MAX_RANK], usize), Result<EntryProblem, SafetensorsError>> {
    let what = if field == "shape" { "a dimension" } else { "an offset" };
    let mut out = [0u64; MAX_RANK];
    let mut n = 0;
    if s.next_byte() != Some(b'[') {
        s.skip_value().map_err(Err)?;
        return Err(Ok(EntryProblem::WrongType(field)));
    }
    s.expect(b'[').map_err(Err)?;
    if s.eat(b']') {
        return Ok((out, 0));
    }
    loop {
        let v = s.unsigned_or(what)?;
        if n >= max {
            let p = if field == "shape" {
                EntryProblem::TooManyDims
            } else {
                EntryProblem::BadOffsets
            };
            return Err(Ok(p));
        }
        if let Some(slot) = out.get_mut(n) {
            *slot = v;
        }
        n += 1;
        if s.eat(b']') {
            return Ok((out, n));
        }
        s.expect(b',').map_err(Err)?;
    }
}

#[cfg(test)]
mod tests;
