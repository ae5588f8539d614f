//! A graph's parameters saved to and loaded from safetensors buffers, by
//! PyTorch's `state_dict` names (`"{layer}.weight"`, `"{layer}.bias"`).
//!
//! Loading is by name and checks everything before changing anything: each
//! parameter's tensor must be present, of a float dtype (F32, F64, F16,
//! BF16, F8; converted to the graph's type), of the parameter's shape, and
//! finite. In strict mode (PyTorch's `strict=True`, the default) a tensor
//! the model does not have is an error too; non-strict loading ignores it,
//! whatever its dtype (an `I64` `num_batches_tracked`, say).

use super::errors::{Dims, SafetensorsError, TensorName};
use super::safetensors::{SafeTensors, TensorView};
use super::writer::{TensorOut, safetensors_len, write_safetensors};
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::ops::{Op, ParamInfo};
use crate::tape::Node;
use core::fmt::Write;

/// A parameter's `state_dict` name ("65535.weight" fits).
pub type ParamName = heapless::String<24>;

/// Whether tensors the model does not have are an error when loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Missing and unexpected tensors are errors (PyTorch's `strict=True`).
    #[default]
    Strict,
    /// Missing tensors are errors; unexpected ones are ignored.
    IgnoreUnexpected,
}

/// The `state_dict` name of a parameter: `"{layer}.{weight|bias}"`.
pub fn param_name(p: &ParamInfo) -> ParamName {
    let mut s = ParamName::new();
    // 5 digits, a dot and "weight" always fit in 24 bytes.
    let _ = write!(s, "{}.{}", p.layer, p.kind.suffix());
    s
}

impl<T: Float> Graph<'_, T> {
    /// Every parameter with its name, values and gradients (empty when the
    /// graph keeps none), in the order of the tape.
    pub fn named_parameters(&self) -> impl Iterator<Item = (ParamName, &[T], &[T])> + '_ {
        self.param_tensors().map(move |(node, info, values)| {
            let grads = self.param_grads().get(node.range()).unwrap_or(&[]);
            (param_name(&info), values, grads)
        })
    }

    /// The parameters (or their gradients) as tensors to write.
    fn tensors_out(&self, grads: bool) -> impl Iterator<Item = TensorOut<'_>> + Clone + '_ {
        self.param_tensors().filter_map(move |(node, info, values)| {
            let src = if grads {
                self.param_grads().get(node.range())?
            } else {
                values
            };
            let dims = node.dims.iter().take(node.rank as usize).map(|&d| d as usize);
            let mut shape = heapless::Vec::<usize, { super::MAX_RANK }>::new();
            shape.extend(dims);
            TensorOut::new(&param_name(&info), &shape, T::tensor_data(src)).ok()
        })
    }

    /// Bytes [`Graph::save_safetensors`] writes.
    pub fn safetensors_len(&self) -> usize {
        self.safetensors_len_with(&[], &[])
    }

    /// Bytes [`Graph::save_safetensors_with`] writes for these metadata and extra tensors.
    pub fn safetensors_len_with(&self, metadata: &[(&str, &str)], extra: &[TensorOut<'_>]) -> usize {
        safetensors_len(metadata, self.tensors_out(false).chain(extra.iter().cloned()))
    }

    /// Writes every parameter into `out` as safetensors; returns the bytes written.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `out` is shorter than [`Graph::safetensors_len`].
    pub fn save_safetensors(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.save_safetensors_with(out, &[], &[])
    }

    /// Writes every parameter, then `extra` tensors, with `metadata` as the
    /// file's `__metadata__` (string pairs, ignored by PyTorch's loader).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `out` is shorter than
    /// [`Graph::safetensors_len_with`]; [`SafetensorsError::BadName`] when an
    /// extra tensor has a parameter's name.
    pub fn save_safetensors_with(
        &self,
        out: &mut [u8],
        metadata: &[(&str, &str)],
        extra: &[TensorOut<'_>],
    ) -> Result<usize, Error> {
        write_safetensors(out, metadata, self.tensors_out(false).chain(extra.iter().cloned()))
    }

    /// Bytes [`Graph::save_gradients_safetensors`] writes.
    pub fn gradients_safetensors_len(&self) -> usize {
        safetensors_len(&[], self.tensors_out(true))
    }

    /// Writes the parameters' gradients under the parameters' names (to
    /// compare with another framework's `p.grad` tensor by tensor).
    ///
    /// # Errors
    /// [`Error::NoGradients`] for a graph without gradients;
    /// [`Error::BufferTooSmall`] as [`Graph::save_safetensors`].
    pub fn save_gradients_safetensors(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.param_tensors().next().is_some() && self.tensors_out(true).next().is_none() {
            return Err(Error::NoGradients);
        }
        write_safetensors(out, &[], self.tensors_out(true))
    }

    /// Loads every parameter by name from a safetensors buffer, strictly
    /// (see [`Graph::load_safetensors_with`]).
    ///
    /// # Errors
    /// As [`Graph::load_safetensors_with`] in [`Strictness::Strict`] mode.
    pub fn load_safetensors(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.load_safetensors_with(bytes, Strictness::Strict)
    }

    /// Loads every parameter by name, converting float dtypes to `T`.
    /// Nothing is changed unless every check passes.
    ///
    /// # Errors
    /// [`Error::Safetensors`] for a malformed buffer, or naming the first
    /// tensor that is missing, not a float, mis-shaped (both shapes given) or
    /// non-finite, or (strict mode) the first unexpected tensor and how many
    /// there are. [`Graph::missing_tensors`] and [`Graph::unexpected_tensors`]
    /// list them all.
    pub fn load_safetensors_with(&mut self, bytes: &[u8], strictness: Strictness) -> Result<(), Error> {
        let st = SafeTensors::parse(bytes)?;
        for (node, info, _) in self.param_tensors() {
            check_tensor::<T>(node, &info, find(&st, &info)?)?;
        }
        if strictness == Strictness::Strict {
            self.check_unexpected(&st)?;
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

    /// [`SafetensorsError::Unexpected`] naming the first tensor of `st` that
    /// is no parameter, with their count.
    fn check_unexpected(&self, st: &SafeTensors<'_>) -> Result<(), SafetensorsError> {
        let mut unexpected = self.unexpected_tensors(st);
        match unexpected.next() {
            Some(first) => Err(SafetensorsError::Unexpected {
                name: TensorName::from_json(first),
                count: 1 + unexpected.count(),
            }),
            None => Ok(()),
        }
    }

    /// The names of the parameters `st` lacks.
    pub fn missing_tensors<'s>(&'s self, st: &'s SafeTensors<'_>) -> impl Iterator<Item = ParamName> + 's {
        self.param_tensors()
            .map(|(_, info, _)| param_name(&info))
            .filter(|name| st.get(name).is_none())
    }

    /// The names of the tensors of `st` that are no parameter of the graph, in header order.
    pub fn unexpected_tensors<'s, 'b>(
        &'s self,
        st: &'s SafeTensors<'b>,
    ) -> impl Iterator<Item = super::JsonStr<'b>> + 's {
        st.iter()
            .map(|(name, _)| name)
            .filter(|name| !self.param_tensors().any(|(_, info, _)| name.eq_str(&param_name(&info))))
    }

    /// Points every parameter of a graph made by [`Graph::with_weights`] at
    /// its tensor in the weights, checking name, shape, dtype and values;
    /// strict (a tensor the model does not have is an error).
    ///
    /// # Errors
    /// [`Error::Safetensors`] naming the missing, unexpected or mismatched tensor.
    pub(crate) fn bind_weights(&mut self) -> Result<(), Error> {
        let Some(weights) = self.weights() else { return Ok(()) };
        self.check_unexpected(&weights)?;
        for node in self.tape_mut() {
            if let Op::Param(info) = node.op {
                let view = find(&weights, &info)?;
                check_shape(node, &info, view)?;
                if view.dtype != T::DTYPE {
                    return Err(SafetensorsError::DtypeMismatch {
                        name: TensorName::new(&param_name(&info)),
                        dtype: view.dtype,
                        wanted: T::DTYPE,
                    }
                    .into());
                }
                // Read as stored (no conversion): a firmware reading weights
                // in place links no code for the other dtypes.
                let values = view.data.chunks_exact(T::DTYPE.size()).map(T::from_le_slice);
                check_finite(&info, values)?;
                node.offset = view.start as u32;
            }
        }
        Ok(())
    }
}

fn find<'a>(st: &SafeTensors<'a>, info: &ParamInfo) -> Result<TensorView<'a>, SafetensorsError> {
    let name = param_name(info);
    st.get(&name).ok_or(SafetensorsError::Missing {
        name: TensorName::new(&name),
    })
}

/// Checks a tensor against a parameter: float dtype, shape, and values
/// finite once converted to `T` (an F64 `1e300` is infinite as `f32`).
fn check_tensor<T: Float>(node: &Node, info: &ParamInfo, view: TensorView<'_>) -> Result<(), SafetensorsError> {
    let name = || TensorName::new(&param_name(info));
    if !view.dtype.is_float() {
        return Err(SafetensorsError::NotAFloat {
            name: name(),
            dtype: view.dtype,
        });
    }
    check_shape(node, info, view)?;
    check_finite(info, view.values::<T>())
}

/// Checks a tensor's shape against a parameter's.
fn check_shape(node: &Node, info: &ParamInfo, view: TensorView<'_>) -> Result<(), SafetensorsError> {
    let dims = node.dims.iter().take(node.rank as usize).map(|&d| d as usize);
    if !view.shape().iter().copied().eq(dims.clone()) {
        return Err(SafetensorsError::ShapeMismatch {
            name: TensorName::new(&param_name(info)),
            expected: Dims::new(dims),
            got: Dims::new(view.shape().iter().copied()),
        });
    }
    Ok(())
}

/// Checks that a parameter's values are finite.
fn check_finite<T: Float>(info: &ParamInfo, mut values: impl Iterator<Item = T>) -> Result<(), SafetensorsError> {
    match values.position(|v| !v.is_finite()) {
        Some(index) => Err(SafetensorsError::NonFinite {
            name: TensorName::new(&param_name(info)),
            index,
        }),
        None => Ok(()),
    }
}
