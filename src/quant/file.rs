//! Int8 networks read in place from a safetensors buffer (flash).
//!
//! The file layout is documented on [`QChainLoad`].

use super::layer::{QChain, QLayer};
use super::params::QuantParams;
use super::{LutFunction, QConv1d, QFlatten, QLinear, QLut, QMaxPool1d, QReLU, QSoftmax};
use crate::error::Error;
use crate::io::{Dims, Dtype, SafeTensors, SafetensorsError, TensorName};
use core::fmt::Write;

/// The `quantization` metadata value of files this module reads.
pub const QUANTIZATION_SCHEME: &str = "int8 per-channel symmetric weights, per-tensor asymmetric activations, int32 bias, TFLite fixed-point requantisation";

/// A tensor name such as `"12.weight_scale"`.
type Name = heapless::String<32>;

fn name(layer: Option<usize>, field: &str) -> Name {
    let mut s = Name::new();
    // "input." or 5 digits and a dot, and the longest field, fit in 32 bytes.
    let _ = match layer {
        Some(i) => write!(s, "{i}.{field}"),
        None => write!(s, "input.{field}"),
    };
    s
}

/// The raw bytes of tensor `name`, checked for its dtype and shape.
fn tensor<'a>(file: &SafeTensors<'a>, name: &str, dtype: Dtype, shape: &[usize]) -> Result<&'a [u8], Error> {
    let t = file.get(name).ok_or(SafetensorsError::Missing {
        name: TensorName::new(name),
    })?;
    if t.dtype != dtype {
        let name = TensorName::new(name);
        return Err(SafetensorsError::DtypeMismatch {
            name,
            dtype: t.dtype,
            wanted: dtype,
        }
        .into());
    }
    if t.shape() != shape {
        let (expected, got) = (Dims::new(shape.iter().copied()), Dims::new(t.shape().iter().copied()));
        return Err(SafetensorsError::ShapeMismatch {
            name: TensorName::new(name),
            expected,
            got,
        }
        .into());
    }
    Ok(t.data)
}

/// The quantisation `{layer}.scale` and `{layer}.zero_point` (`input.…` for `None`).
fn params(file: &SafeTensors<'_>, layer: Option<usize>) -> Result<QuantParams, Error> {
    let scale = tensor(file, &name(layer, "scale"), Dtype::F32, &[1])?;
    let zero_point = tensor(file, &name(layer, "zero_point"), Dtype::I32, &[1])?;
    let scale = f32::from_le_bytes(scale.try_into().unwrap_or([0; 4]));
    QuantParams::new(scale, super::le_i32(zero_point), "zero point")
}

/// An int8 layer that can be read from an int8 file.
pub trait QLoad<'a>: QLayer + Sized {
    /// Reads layer `index` of `file`, fed activations quantised by `input`;
    /// returns it and the quantisation of its output.
    ///
    /// # Errors
    /// [`Error::Safetensors`] for a missing, mistyped or mis-shaped tensor;
    /// the layer's own checks.
    fn load(file: &SafeTensors<'a>, index: usize, input: QuantParams) -> Result<(Self, QuantParams), Error>;
}

impl<'a, const IN: usize, const OUT: usize> QLoad<'a> for QLinear<'a, IN, OUT> {
    fn load(file: &SafeTensors<'a>, i: usize, input: QuantParams) -> Result<(Self, QuantParams), Error> {
        let ((w, b, m, s), out) = linear_tensors(file, i, IN, OUT)?;
        Ok((QLinear::new(w, b, m, s, input.zero_point, out.zero_point)?, out))
    }
}

type Bytes4<'a> = (&'a [u8], &'a [u8], &'a [u8], &'a [u8]);

/// The tensors and output quantisation of linear layer `i` (`OUT × IN`),
/// one copy of the code for every layer size.
#[inline(never)]
fn linear_tensors<'a>(
    file: &SafeTensors<'a>,
    i: usize,
    inputs: usize,
    outputs: usize,
) -> Result<(Bytes4<'a>, QuantParams), Error> {
    let w = tensor(file, &name(Some(i), "weight"), Dtype::I8, &[outputs, inputs])?;
    let (b, m, s) = per_channel(file, i, outputs)?;
    Ok(((w, b, m, s), params(file, Some(i))?))
}

impl<'a, const CI: usize, const CO: usize, const K: usize, const LI: usize, const LO: usize, const S: usize> QLoad<'a>
    for QConv1d<'a, CI, CO, K, LI, LO, S>
{
    fn load(file: &SafeTensors<'a>, i: usize, input: QuantParams) -> Result<(Self, QuantParams), Error> {
        let w = tensor(file, &name(Some(i), "weight"), Dtype::I8, &[CO, CI, K])?;
        let (b, m, s) = per_channel(file, i, CO)?;
        let out = params(file, Some(i))?;
        Ok((QConv1d::new(w, b, m, s, input.zero_point, out.zero_point)?, out))
    }
}

type Bytes3<'a> = (&'a [u8], &'a [u8], &'a [u8]);

fn per_channel<'a>(file: &SafeTensors<'a>, i: usize, out: usize) -> Result<Bytes3<'a>, Error> {
    let b = tensor(file, &name(Some(i), "bias"), Dtype::I32, &[out])?;
    let m = tensor(file, &name(Some(i), "multiplier"), Dtype::I32, &[out])?;
    let s = tensor(file, &name(Some(i), "shift"), Dtype::I32, &[out])?;
    Ok((b, m, s))
}

impl<'a, const N: usize> QLoad<'a> for QLut<'a, N> {
    fn load(file: &SafeTensors<'a>, i: usize, _input: QuantParams) -> Result<(Self, QuantParams), Error> {
        let (table, function, out) = lut_tensor(file, i)?;
        Ok((QLut::new(table, function)?, out))
    }
}

/// The table, function and output quantisation of table layer `i`, one
/// copy of the code for every layer size.
#[inline(never)]
fn lut_tensor<'a>(file: &SafeTensors<'a>, i: usize) -> Result<(&'a [u8], LutFunction, QuantParams), Error> {
    let (function, field) = if file.get(&name(Some(i), "sigmoid_table")).is_some() {
        (LutFunction::Sigmoid, "sigmoid_table")
    } else {
        (LutFunction::Tanh, "tanh_table")
    };
    let table = tensor(file, &name(Some(i), field), Dtype::I8, &[256])?;
    Ok((table, function, params(file, Some(i))?))
}

impl<'a, const N: usize> QLoad<'a> for QSoftmax<'a, N> {
    fn load(file: &SafeTensors<'a>, i: usize, _input: QuantParams) -> Result<(Self, QuantParams), Error> {
        let table = tensor(file, &name(Some(i), "softmax_table"), Dtype::I32, &[256])?;
        Ok((QSoftmax::new(table)?, QSoftmax::<N>::OUTPUT))
    }
}

impl<'a, const N: usize> QLoad<'a> for QReLU<N> {
    fn load(_file: &SafeTensors<'a>, _i: usize, input: QuantParams) -> Result<(Self, QuantParams), Error> {
        Ok((QReLU::new(input.zero_point)?, input))
    }
}

impl<'a, const N: usize> QLoad<'a> for QFlatten<N> {
    fn load(_file: &SafeTensors<'a>, _i: usize, input: QuantParams) -> Result<(Self, QuantParams), Error> {
        Ok((QFlatten, input))
    }
}

impl<'a, const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize> QLoad<'a>
    for QMaxPool1d<C, LI, K, S, LO>
{
    fn load(_file: &SafeTensors<'a>, _i: usize, input: QuantParams) -> Result<(Self, QuantParams), Error> {
        Ok((QMaxPool1d::new(), input))
    }
}

/// A chain whose every layer can be read from an int8 file.
///
/// # The int8 file
///
/// Tensor names follow PyTorch's `nn.Sequential` positions (`i` is the
/// layer's index, activations counting, as in the f32 file it came from):
///
/// | tensor | dtype, shape | what |
/// | --- | --- | --- |
/// | `input.scale`, `input.zero_point` | `F32 [1]`, `I32 [1]` | quantisation of the network input |
/// | `i.weight` | `I8 [out, in]` (`Linear`), `[out, in, k]` (`Conv1d`) | symmetric int8 weights |
/// | `i.weight_scale` | `F32 [out]` | one scale per output channel (zero point 0) |
/// | `i.bias` | `I32 [out]` | bias at scale `input scale · weight_scale[o]` |
/// | `i.multiplier`, `i.shift` | `I32 [out]`, `I32 [out]` | requantisation `M · 2^(shift − 31)` of `input scale · weight_scale[o] / output scale` |
/// | `i.scale`, `i.zero_point` | `F32 [1]`, `I32 [1]` | quantisation of layer `i`'s output (every layer that changes it) |
/// | `i.tanh_table`, `i.sigmoid_table` | `I8 [256]` | `Tanh` / `Sigmoid` codes of the 256 input codes |
/// | `i.softmax_table` | `I32 [256]` | `Softmax` exponentials ([`QSoftmax::table`](super::QSoftmax::table)) |
///
/// `ReLU`, `MaxPool1d` and `Flatten` have no tensors and keep their input's
/// quantisation. The `__metadata__` key `quantization` names the scheme
/// (`int8 per-channel symmetric weights, per-tensor asymmetric activations,
/// int32 bias, TFLite fixed-point requantisation`), `architecture` the layers
/// in the f32 notation, and `calibration` how activation ranges were found.
/// Inference reads only the integer tensors and the zero points: no float
/// arithmetic, the same codes on every target.
pub trait QChainLoad<'a>: QChain + Sized {
    /// Reads layers `0, 1, …` of `file`; returns them with the quantisation
    /// of the network's input and output.
    ///
    /// # Errors
    /// As [`QLoad::load`]; `input.scale` and `input.zero_point` must be present.
    fn load(file: &SafeTensors<'a>) -> Result<(Self, QuantParams, QuantParams), Error>;
}

/// Implements `QChainLoad` for one tuple length.
macro_rules! qchain_load {
    ($($A:ident $a:ident $i:tt),+) => {
        impl<'a, $($A: QLoad<'a>),+> QChainLoad<'a> for ($($A,)+) {
            fn load(file: &SafeTensors<'a>) -> Result<(Self, QuantParams, QuantParams), Error> {
                let input = params(file, None)?;
                let p = input;
                $(let ($a, p) = $A::load(file, $i, p)?;)+
                Ok((($($a,)+), input, p))
            }
        }
    };
}

qchain_load!(A0 a0 0);
qchain_load!(A0 a0 0, A1 a1 1);
qchain_load!(A0 a0 0, A1 a1 1, A2 a2 2);
qchain_load!(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3);
qchain_load!(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4);
qchain_load!(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5);
qchain_load!(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6);
qchain_load!(A0 a0 0, A1 a1 1, A2 a2 2, A3 a3 3, A4 a4 4, A5 a5 5, A6 a6 6, A7 a7 7);
