//! `QSoftmax`: an integer softmax through a table of exponentials.
//!
//! With `d = max(x) − x` (0..=255 codes), `table[d] = round(2^16 · e^(−s·d))`
//! for the input scale `s` (filled once by [`QSoftmax::table`], in f64, on the
//! host). Then `y = round(256 · table[d] / Σ table) − 128`, clamped to 127:
//! the output has TFLite's fixed params, scale `1/256` and zero point −128.
//! When only the predicted class matters, leave the softmax out: it is
//! monotone, so the argmax of the int8 logits is the same.
//!
//! Numerics: integers only (u32, no overflow for `N ≤ 65 535`); against the
//! f32 softmax of the dequantised input each probability is within
//! `0.5/256 + N · 2^-17` (table rounding), and a probability above
//! `127.5/256` saturates at `127/256 + ½`.

use super::params::QuantParams;
use super::{QLayer, clamp_i8, le_i32};
use crate::error::Error;
use core::fmt;

/// `table[0]`: `e^0` in fixed point.
const ONE: f64 = 65_536.0;

/// Softmax over `N` int8 logits with a 256-entry exponential table
/// (little-endian int32, 1024 bytes) read in place.
#[derive(Clone, Copy, Debug)]
pub struct QSoftmax<'a, const N: usize> {
    table: &'a [u8],
}

impl<'a, const N: usize> QSoftmax<'a, N> {
    /// The output params every int8 softmax has: scale `1/256`, zero point −128.
    pub const OUTPUT: QuantParams = QuantParams {
        scale: 1.0 / 256.0,
        zero_point: -128,
    };

    /// A layer over `table` (1024 bytes, from [`QSoftmax::table`]).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless the table holds 1024 bytes.
    pub fn new(table: &'a [u8]) -> Result<Self, Error> {
        const { assert!(N >= 1 && N <= 65_535, "1 to 65 535 classes") };
        super::check_bytes("softmax table", table, 1024)?;
        Ok(QSoftmax { table })
    }

    /// `table[d] = round(2^16 · e^(−scale·d))` for logits of `input_scale`.
    pub fn table(input_scale: f32) -> [u8; 1024] {
        let mut table = [0u8; 1024];
        for (d, t) in table.chunks_exact_mut(4).enumerate() {
            let e = libm::round(ONE * libm::exp(-f64::from(input_scale) * d as f64));
            t.copy_from_slice(&(e as i32).to_le_bytes());
        }
        table
    }

    fn exp(&self, d: i32) -> u32 {
        let at = (d.clamp(0, 255) as usize) * 4;
        le_i32(self.table.get(at..).unwrap_or(&[])).max(0) as u32
    }
}

impl<const N: usize> QLayer for QSoftmax<'_, N> {
    const IN: usize = N;
    const OUT: usize = N;
    const FLASH: usize = 1024;

    fn forward(&self, input: &[i8], output: &mut [i8], _wide: &mut [i16]) {
        let max = i32::from(input.iter().copied().max().unwrap_or(0));
        let sum: u32 = input.iter().map(|&x| self.exp(max - i32::from(x))).sum();
        let sum = sum.max(1);
        for (y, &x) in output.iter_mut().zip(input) {
            let p = ((self.exp(max - i32::from(x)) << 8) + sum / 2) / sum;
            *y = clamp_i8(p as i32 - 128, i8::MIN, i8::MAX);
        }
    }
}

impl<const N: usize> fmt::Display for QSoftmax<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Softmax")
    }
}
