//! The safetensors layout: 8 bytes of little-endian header length, a JSON
//! header mapping tensor names to `dtype`, `shape` and `data_offsets`, then
//! the raw little-endian data. Parsed in place (the weights can stay in
//! flash) and written into a caller's buffer, without allocation.
//!
//! Names and layouts are those of PyTorch's `nn.Sequential.state_dict()`:
//! `"0.weight"` `[out, in]`, `"0.bias"` `[out]`, …

use super::json::{JsonStr, Scanner};
use crate::error::SafetensorsError;
use crate::float::{Dtype, Float};

/// Largest header accepted, in bytes (a model of this crate needs a few
/// hundred; the bound keeps a corrupted length from meaning gigabytes).
pub const HEADER_MAX: usize = 1 << 20;
/// Most dimensions a tensor may have.
pub const MAX_RANK: usize = 8;

type Res<T> = Result<T, SafetensorsError>;

/// A parsed safetensors buffer, borrowing the bytes.
#[derive(Clone, Copy, Debug)]
pub struct SafeTensors<'a> {
    header: &'a [u8],
    data: &'a [u8],
    tensors: usize,
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

    /// The elements, converted to `T`.
    pub fn values<T: Float>(&self) -> impl Iterator<Item = T> + 'a {
        let dtype = self.dtype;
        self.data.chunks_exact(dtype.size()).map(move |b| match dtype {
            Dtype::F32 => T::from_f64(f32::from_le_slice(b).to_f64()),
            Dtype::F64 => T::from_f64(f64::from_le_slice(b)),
        })
    }
}

impl<'a> SafeTensors<'a> {
    /// Parses and checks a whole buffer: header length, JSON, every entry's
    /// dtype, shape and offsets, and that the data section holds exactly the
    /// tensors' bytes.
    ///
    /// # Errors
    /// A [`SafetensorsError`] naming what is wrong, never a panic.
    pub fn parse(bytes: &'a [u8]) -> Res<Self> {
        let len_bytes = bytes.get(..8).ok_or(SafetensorsError::Truncated {
            needed: 8,
            got: bytes.len(),
        })?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(len_bytes);
        let n = u64::from_le_bytes(raw);
        if n > HEADER_MAX as u64 {
            return Err(SafetensorsError::HeaderTooLarge {
                len: n,
                limit: HEADER_MAX,
            });
        }
        let end = 8 + n as usize;
        let header = bytes.get(8..end).ok_or(SafetensorsError::Truncated {
            needed: end as u64,
            got: bytes.len(),
        })?;
        let data = bytes.get(end..).unwrap_or(&[]);
        let mut st = SafeTensors {
            header,
            data,
            tensors: 0,
        };
        let mut total = 0usize;
        st.tensors = st.walk(|_, _, view| {
            total += view.data.len();
            true
        })?;
        if total != data.len() {
            return Err(SafetensorsError::BadOffsets { tensor: st.tensors });
        }
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
        let mut found = None;
        let _ = self.walk(|_, key, view| {
            if key.eq_str(name) {
                found = Some(view);
            }
            found.is_none()
        });
        found
    }

    /// Calls `f(index, name, view)` for each tensor until it returns `false`.
    pub fn for_each(&self, mut f: impl FnMut(usize, JsonStr<'a>, TensorView<'a>) -> bool) {
        let _ = self.walk(&mut f);
    }

    /// Walks the header; returns the number of tensors visited.
    fn walk(&self, mut f: impl FnMut(usize, JsonStr<'a>, TensorView<'a>) -> bool) -> Res<usize> {
        let mut s = Scanner::new(self.header);
        s.expect(b'{')?;
        let mut index = 0;
        if !s.eat(b'}') {
            loop {
                let key = s.string()?;
                s.expect(b':')?;
                if key.eq_str("__metadata__") {
                    s.skip_value()?;
                } else {
                    let view = self.entry(&mut s, index)?;
                    index += 1;
                    if !f(index - 1, key, view) {
                        return Ok(index);
                    }
                }
                if s.eat(b'}') {
                    break;
                }
                s.expect(b',')?;
            }
        }
        if !s.at_end() {
            return Err(s.error());
        }
        Ok(index)
    }

    /// Parses one tensor entry `{"dtype":…,"shape":[…],"data_offsets":[a,b]}`.
    fn entry(&self, s: &mut Scanner<'a>, tensor: usize) -> Res<TensorView<'a>> {
        let (mut dtype, mut shape, mut offsets) = (None, None, None);
        s.expect(b'{')?;
        loop {
            let key = s.string()?;
            s.expect(b':')?;
            if key.eq_str("dtype") {
                let name = s.string()?;
                dtype = Some(parse_dtype(name).ok_or(SafetensorsError::UnsupportedDtype { tensor })?);
            } else if key.eq_str("shape") {
                shape = Some(parse_shape(s, tensor)?);
            } else if key.eq_str("data_offsets") {
                s.expect(b'[')?;
                let a = s.unsigned()?;
                s.expect(b',')?;
                let b = s.unsigned()?;
                s.expect(b']')?;
                offsets = Some((a, b));
            } else {
                s.skip_value()?;
            }
            if s.eat(b'}') {
                break;
            }
            s.expect(b',')?;
        }
        let (Some(dtype), Some((shape, rank)), Some((a, b))) = (dtype, shape, offsets) else {
            return Err(SafetensorsError::InvalidEntry { tensor });
        };
        let numel = shape.iter().take(rank).try_fold(1usize, |n, &d| n.checked_mul(d));
        let bytes = numel.and_then(|n| n.checked_mul(dtype.size()));
        let data = self.data.get(a as usize..b as usize);
        match (bytes, data) {
            (Some(n), Some(data)) if a <= b && data.len() == n => Ok(TensorView {
                dtype,
                shape,
                rank,
                data,
                start: a as usize,
            }),
            _ => Err(SafetensorsError::BadOffsets { tensor }),
        }
    }
}

fn parse_dtype(name: JsonStr<'_>) -> Option<Dtype> {
    [Dtype::F32, Dtype::F64].into_iter().find(|d| name.eq_str(d.name()))
}

fn parse_shape(s: &mut Scanner<'_>, tensor: usize) -> Res<([usize; MAX_RANK], usize)> {
    let mut shape = [1usize; MAX_RANK];
    let mut rank = 0;
    s.expect(b'[')?;
    if s.eat(b']') {
        return Ok((shape, 0));
    }
    loop {
        let d = usize::try_from(s.unsigned()?).map_err(|_| SafetensorsError::InvalidEntry { tensor })?;
        *shape.get_mut(rank).ok_or(SafetensorsError::InvalidEntry { tensor })? = d;
        rank += 1;
        if s.eat(b']') {
            return Ok((shape, rank));
        }
        s.expect(b',')?;
    }
}

#[cfg(test)]
mod tests;
