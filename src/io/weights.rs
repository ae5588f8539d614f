//! A graph's parameters saved to and loaded from safetensors buffers, with
//! PyTorch's `state_dict` names (`"{layer}.weight"`, `"{layer}.bias"`).

use super::safetensors::{SafeTensors, TensorView};
use crate::error::{Error, SafetensorsError};
use crate::float::Float;
use crate::graph::Graph;
use crate::ops::{Op, ParamInfo};
use crate::tape::Node;
use core::fmt::{self, Write};

/// Longest tensor name written ("65535.weight" fits).
type Name = heapless::String<24>;

fn name_of(p: &ParamInfo) -> Name {
    let mut s = Name::new();
    // 5 digits, a dot and "weight" always fit in 24 bytes.
    let _ = write!(s, "{}.{}", p.layer, p.kind.suffix());
    s
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

impl<T: Float> Graph<'_, T> {
    /// Writes the JSON header (unpadded) into `sink`.
    fn write_header(&self, sink: &mut Sink<'_>) -> fmt::Result {
        sink.write_str("{")?;
        let mut offset = 0;
        for (i, (node, info, values)) in self.param_tensors().enumerate() {
            let bytes = values.len() * T::DTYPE.size();
            let sep = if i == 0 { "" } else { "," };
            write!(
                sink,
                "{sep}\"{}\":{{\"dtype\":\"{}\",\"shape\":[",
                name_of(&info),
                T::DTYPE.name()
            )?;
            write_dims(sink, node)?;
            write!(sink, "],\"data_offsets\":[{offset},{}]}}", offset + bytes)?;
            offset += bytes;
        }
        sink.write_str("}")
    }

    /// Header length padded with spaces so that the data starts 8-byte aligned.
    fn header_len(&self) -> usize {
        let mut counter = Sink { buf: None, len: 0 };
        let _ = self.write_header(&mut counter);
        counter.len.next_multiple_of(8)
    }

    /// Bytes [`Graph::save_safetensors`] writes.
    pub fn safetensors_len(&self) -> usize {
        8 + self.header_len() + self.params().len() * T::DTYPE.size()
    }

    /// Writes every parameter into `out` as safetensors; returns the bytes written.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `out` is shorter than [`Graph::safetensors_len`].
    pub fn save_safetensors(&self, out: &mut [u8]) -> Result<usize, Error> {
        let total = self.safetensors_len();
        let got = out.len();
        let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
            what: "safetensors buffer",
            needed: total,
            got,
        })?;
        let n = self.header_len();
        let (len_bytes, rest) = out.split_at_mut(8);
        len_bytes.copy_from_slice(&(n as u64).to_le_bytes());
        let (header, data) = rest.split_at_mut(n);
        header.fill(b' ');
        let mut sink = Sink {
            buf: Some(header),
            len: 0,
        };
        self.write_header(&mut sink).map_err(|_| Error::BufferTooSmall {
            what: "safetensors header",
            needed: n,
            got: n,
        })?;
        for (chunk, &v) in data.chunks_exact_mut(T::DTYPE.size()).zip(self.params()) {
            v.write_le(chunk);
        }
        Ok(total)
    }

    /// Loads every parameter from a safetensors buffer (F32 or F64, converted
    /// to `T`). Nothing is changed unless every tensor is present, has the
    /// right shape and holds finite values.
    ///
    /// # Errors
    /// [`Error::Safetensors`] naming the malformed, missing or mismatched tensor.
    pub fn load_safetensors(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let st = SafeTensors::parse(bytes)?;
        for (node, info, _) in self.param_tensors() {
            check_tensor(node, &info, find(&st, &info)?)?;
        }
        for i in 0..self.nodes().len() {
            let Some(node) = self.nodes().get(i).copied() else {
                continue;
            };
            if let Op::Param(info) = node.op {
                let view = find(&st, &info)?;
                if let Some(dst) = self.params_mut().get_mut(node.range()) {
                    dst.iter_mut().zip(view.values::<T>()).for_each(|(d, v)| *d = v);
                }
            }
        }
        Ok(())
    }
}

fn write_dims(sink: &mut Sink<'_>, node: &Node) -> fmt::Result {
    for (i, d) in node.dims.iter().take(node.rank as usize).enumerate() {
        write!(sink, "{}{d}", if i == 0 { "" } else { "," })?;
    }
    Ok(())
}

impl<T: Float> Graph<'_, T> {
    /// Points every parameter of a graph made by [`Graph::with_weights`] at
    /// its tensor in the weights, checking name, shape, dtype and values.
    ///
    /// # Errors
    /// [`Error::Safetensors`] naming the missing or mismatched tensor.
    pub(crate) fn bind_weights(&mut self) -> Result<(), Error> {
        let Some(weights) = self.weights() else { return Ok(()) };
        for node in self.tape_mut() {
            if let Op::Param(info) = node.op {
                let view = find(&weights, &info)?;
                check_tensor(node, &info, view)?;
                if view.dtype != T::DTYPE {
                    return Err(SafetensorsError::DtypeMismatch {
                        layer: info.layer as usize,
                    }
                    .into());
                }
                node.offset = view.start as u32;
            }
        }
        Ok(())
    }
}

fn find<'a>(st: &SafeTensors<'a>, info: &ParamInfo) -> Result<TensorView<'a>, SafetensorsError> {
    st.get(&name_of(info)).ok_or(SafetensorsError::Missing {
        layer: info.layer as usize,
        weight: info.kind == crate::init::ParamKind::Weight,
    })
}

fn check_tensor(node: &Node, info: &ParamInfo, view: TensorView<'_>) -> Result<(), SafetensorsError> {
    let layer = info.layer as usize;
    let dims = node.dims.iter().take(node.rank as usize).map(|&d| d as usize);
    if view.len() != node.len() || !view.shape().iter().copied().eq(dims) {
        return Err(SafetensorsError::ShapeMismatch {
            layer,
            expected: node.len(),
            got: view.len(),
        });
    }
    if view.values::<f64>().any(|v| !v.is_finite()) {
        return Err(SafetensorsError::NonFinite { layer });
    }
    Ok(())
}
