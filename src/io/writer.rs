//! Writing safetensors buffers without allocation: tensors of any dtype and
//! a `__metadata__` object of strings, in the layout PyTorch's
//! `safetensors.torch.load_file` reads (header padded with spaces so the
//! data starts 8-byte aligned, tensors in the order given).

use super::Dtype;
use super::errors::{SafetensorsError, TensorName};
use super::safetensors::{MAX_RANK, METADATA_KEY};
use crate::error::Error;
use core::fmt::{self, Write};

/// Longest tensor name written.
pub const NAME_MAX: usize = 64;

/// The elements of a tensor to write.
#[derive(Clone, Copy, Debug)]
pub enum TensorData<'d> {
    /// `F32` elements.
    F32(&'d [f32]),
    /// `F64` elements.
    F64(&'d [f64]),
    /// `I8` elements.
    I8(&'d [i8]),
    /// `I32` elements.
    I32(&'d [i32]),
    /// Raw little-endian bytes of the given dtype.
    Bytes(Dtype, &'d [u8]),
}

impl TensorData<'_> {
    /// The dtype written.
    pub fn dtype(&self) -> Dtype {
        match self {
            TensorData::F32(_) => Dtype::F32,
            TensorData::F64(_) => Dtype::F64,
            TensorData::I8(_) => Dtype::I8,
            TensorData::I32(_) => Dtype::I32,
            TensorData::Bytes(d, _) => *d,
        }
    }

    /// Bytes the elements take.
    pub fn byte_len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len() * 4,
            TensorData::F64(v) => v.len() * 8,
            TensorData::I8(v) => v.len(),
            TensorData::I32(v) => v.len() * 4,
            TensorData::Bytes(_, b) => b.len(),
        }
    }

    fn write(&self, out: &mut [u8]) {
        match self {
            TensorData::F32(v) => put(out, v, |x| x.to_le_bytes()),
            TensorData::F64(v) => put(out, v, |x| x.to_le_bytes()),
            TensorData::I8(v) => put(out, v, |x| x.to_le_bytes()),
            TensorData::I32(v) => put(out, v, |x| x.to_le_bytes()),
            TensorData::Bytes(_, b) => out.copy_from_slice(b),
        }
    }
}

fn put<T: Copy, const N: usize>(out: &mut [u8], v: &[T], f: impl Fn(T) -> [u8; N]) {
    for (dst, &x) in out.chunks_exact_mut(N).zip(v) {
        dst.copy_from_slice(&f(x));
    }
}

/// One tensor to write: its name, shape and elements.
#[derive(Clone, Debug)]
pub struct TensorOut<'d> {
    name: heapless::String<NAME_MAX>,
    shape: heapless::Vec<usize, MAX_RANK>,
    data: TensorData<'d>,
}

impl<'d> TensorOut<'d> {
    /// A tensor called `name` of shape `shape` holding `data`.
    ///
    /// # Errors
    /// [`SafetensorsError::BadName`] for an empty name or one longer than
    /// [`NAME_MAX`] bytes, or named `__metadata__`;
    /// [`Error::LengthMismatch`] when the shape's element count differs from
    /// `data`'s, or it has more than [`MAX_RANK`] dimensions.
    pub fn new(name: &str, shape: &[usize], data: TensorData<'d>) -> Result<Self, Error> {
        let bad = || {
            Error::from(SafetensorsError::BadName {
                name: TensorName::new(name),
            })
        };
        if name.is_empty() || name == METADATA_KEY {
            return Err(bad());
        }
        let name = heapless::String::try_from(name).map_err(|_| bad())?;
        let numel = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let elems = data.byte_len() / data.dtype().size();
        let whole = data.byte_len().is_multiple_of(data.dtype().size());
        let shape = heapless::Vec::from_slice(shape)
            .ok()
            .filter(|_| whole && numel == Some(elems));
        let shape = shape.ok_or(Error::LengthMismatch {
            what: "tensor to write",
            expected: numel.unwrap_or(usize::MAX),
            got: elems,
        })?;
        Ok(TensorOut { name, shape, data })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Counts bytes written through `fmt::Write`, or writes them into a buffer.
struct Sink<'b> {
    buf: Option<&'b mut [u8]>,
    len: usize,
}

impl Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if let Some(buf) = self.buf.as_deref_mut() {
            buf.get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
        }
        self.len = end;
        Ok(())
    }
}

/// Writes `s` as a JSON string (quotes, `\"`, `\\` and control characters escaped).
fn json_str(sink: &mut Sink<'_>, s: &str) -> fmt::Result {
    sink.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => sink.write_str("\\\"")?,
            '\\' => sink.write_str("\\\\")?,
            c if (c as u32) < 0x20 => write!(sink, "\\u{:04x}", c as u32)?,
            c => sink.write_char(c)?,
        }
    }
    sink.write_char('"')
}

fn write_header<'d>(
    sink: &mut Sink<'_>,
    metadata: &[(&str, &str)],
    tensors: impl Iterator<Item = TensorOut<'d>>,
) -> fmt::Result {
    sink.write_char('{')?;
    let mut sep = "";
    if !metadata.is_empty() {
        write!(sink, "\"{METADATA_KEY}\":{{")?;
        for (i, (k, v)) in metadata.iter().enumerate() {
            sink.write_str(if i == 0 { "" } else { "," })?;
            json_str(sink, k)?;
            sink.write_char(':')?;
            json_str(sink, v)?;
        }
        sink.write_char('}')?;
        sep = ",";
    }
    let mut offset = 0;
    for t in tensors {
        sink.write_str(sep)?;
        sep = ",";
        json_str(sink, &t.name)?;
        write!(sink, ":{{\"dtype\":\"{}\",\"shape\":[", t.data.dtype().name())?;
        for (i, d) in t.shape.iter().enumerate() {
            write!(sink, "{}{d}", if i == 0 { "" } else { "," })?;
        }
        let end = offset + t.data.byte_len();
        write!(sink, "],\"data_offsets\":[{offset},{end}]}}")?;
        offset = end;
    }
    sink.write_char('}')
}

/// Bytes [`write_safetensors`] writes for these metadata and tensors.
pub fn safetensors_len<'d>(metadata: &[(&str, &str)], tensors: impl Iterator<Item = TensorOut<'d>> + Clone) -> usize {
    let mut counter = Sink { buf: None, len: 0 };
    let _ = write_header(&mut counter, metadata, tensors.clone());
    8 + counter.len.next_multiple_of(8) + tensors.map(|t| t.data.byte_len()).sum::<usize>()
}

/// Writes a safetensors buffer into `out`; returns the bytes written.
///
/// # Errors
/// [`Error::BufferTooSmall`] when `out` is shorter than [`safetensors_len`];
/// [`SafetensorsError::BadName`] when two tensors share a name.
pub fn write_safetensors<'d>(
    out: &mut [u8],
    metadata: &[(&str, &str)],
    tensors: impl Iterator<Item = TensorOut<'d>> + Clone,
) -> Result<usize, Error> {
    for (i, t) in tensors.clone().enumerate() {
        if tensors.clone().skip(i + 1).any(|u| u.name == t.name) {
            return Err(SafetensorsError::BadName {
                name: TensorName::new(&t.name),
            }
            .into());
        }
    }
    let total = safetensors_len(metadata, tensors.clone());
    let got = out.len();
    let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
        what: "safetensors buffer",
        needed: total,
        got,
    })?;
    let data_len: usize = tensors.clone().map(|t| t.data.byte_len()).sum();
    let n = total - 8 - data_len;
    let (len_bytes, rest) = out.split_at_mut(8);
    len_bytes.copy_from_slice(&(n as u64).to_le_bytes());
    let (header, mut data) = rest.split_at_mut(n);
    header.fill(b' ');
    let mut sink = Sink {
        buf: Some(header),
        len: 0,
    };
    write_header(&mut sink, metadata, tensors.clone()).map_err(|_| Error::BufferTooSmall {
        what: "safetensors header",
        needed: n,
        got: n,
    })?;
    for t in tensors {
        let (dst, rest) = data.split_at_mut(t.data.byte_len());
        t.data.write(dst);
        data = rest;
    }
    Ok(total)
}
