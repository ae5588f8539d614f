//! Quantised int8 inference, integer-only, as TFLite and CMSIS-NN do it
//! (Jacob et al. 2018, "Quantization and Training of Neural Networks for
//! Efficient Integer-Arithmetic-Only Inference").
//!
//! - Activations are int8 with a per-tensor scale and zero point
//!   ([`QuantParams`]): `r = scale · (q − zero_point)`.
//! - Weights are int8, symmetric (zero point 0) with one scale per output
//!   channel; biases are int32 at scale `input_scale · weight_scale[o]`.
//! - Products accumulate in int32; each output is brought back to int8 by a
//!   fixed-point multiplier and shift ([`QuantizedMultiplier`], exactly
//!   TFLite's `MultiplyByQuantizedMultiplier`), plus the output zero point,
//!   clamped (a following ReLU is folded into that clamp).
//! - `Tanh` and `Sigmoid` are 256-entry lookup tables ([`QLut`]); `Softmax` is
//!   an integer exponential table and an integer division ([`QSoftmax`]), or
//!   left out when only the argmax matters (it is monotone).
//!
//! No float is touched at inference time, so the host and a Cortex-M give
//! the same bits. Weights are byte slices read in place (flash); the RAM a
//! network needs is a compile-time constant ([`QFootprint`]).

mod conv1d;
mod dot;
mod file;
mod flatten;
mod layer;
mod linear;
mod lut;
mod max_pool1d;
mod network;
mod params;
mod ptq;
mod relu;
mod requant;
mod softmax;

pub use conv1d::QConv1d;
pub use file::{QChainLoad, QLoad, QUANTIZATION_SCHEME};
pub use flatten::QFlatten;
pub use layer::{QChain, QLayer};
pub use linear::QLinear;
pub use lut::{LutFunction, QLut, lut_table};
pub use max_pool1d::QMaxPool1d;
pub use network::{QFootprint, QNetwork};
pub use params::QuantParams;
pub use ptq::{QuantizedLayer, quantize_layer};
pub use relu::QReLU;
pub use requant::{QuantizedMultiplier, rounding_divide_by_pot, saturating_rounding_doubling_high_mul};
pub use softmax::QSoftmax;

/// `x` clamped to `lo..=hi` as an int8.
#[inline]
pub(crate) fn clamp_i8(x: i32, lo: i8, hi: i8) -> i8 {
    x.clamp(i32::from(lo), i32::from(hi)) as i8
}

/// The little-endian int32 in the first 4 bytes of `b` (0 when shorter).
#[inline]
pub(crate) fn le_i32(b: &[u8]) -> i32 {
    match *b {
        [b0, b1, b2, b3, ..] => i32::from_le_bytes([b0, b1, b2, b3]),
        _ => 0,
    }
}

/// `Σ w[i] · x[i]` of int8 weights (raw bytes) and widened inputs, in int32.
///
/// The terms are at most `128 · 255` in magnitude, so sums of up to 65 000
/// terms cannot overflow; integer addition is associative, so the compiler
/// may vectorise or reorder freely and the result is the same on every target.
#[inline]
pub(crate) fn dot_i8(w: &[u8], x: &[i16]) -> i32 {
    w.iter().zip(x).fold(0i32, |acc, (&w, &x)| {
        acc.wrapping_add(i32::from(w as i8) * i32::from(x))
    })
}

/// Writes `x[i] − zero_point` (range `-255..=255`) into `wide`.
#[inline]
pub(crate) fn widen(x: &[i8], zero_point: i32, wide: &mut [i16]) {
    for (w, &x) in wide.iter_mut().zip(x) {
        *w = (i32::from(x) - zero_point) as i16;
    }
}

/// A tensor of `n` little-endian 4-byte values: checks its byte length.
pub(crate) fn check_bytes(what: &'static str, bytes: &[u8], n: usize) -> Result<(), crate::Error> {
    if bytes.len() != n {
        return Err(crate::Error::LengthMismatch {
            what,
            expected: n,
            got: bytes.len(),
        });
    }
    Ok(())
}
