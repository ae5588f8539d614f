//! `QLut`: an elementwise function of int8 codes through a 256-entry table
//! (`Tanh`, `Sigmoid`), as TFLite's int8 kernels do.
//!
//! [`lut_table`] fills `table[q + 128] = quantize_out(f(dequantize_in(q)))`
//! in f64 once (on the host, at quantisation time); inference is one lookup
//! per value, so every target gives the same codes.
//!
//! Numerics: the output is the nearest code to `f` at the dequantised input,
//! within ½ step of the output scale (`1/256` for tanh, `1/512` for the
//! sigmoid with the standard output params), saturating at the int8 ends.

use super::QLayer;
use super::params::QuantParams;
use crate::error::Error;
use core::fmt;

/// The functions a table can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LutFunction {
    /// `tanh(x)`; standard output: scale `1/128`, zero point 0.
    Tanh,
    /// `1 / (1 + e^(−x))`; standard output: scale `1/256`, zero point −128.
    Sigmoid,
}

impl LutFunction {
    /// The function in f64.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            LutFunction::Tanh => libm::tanh(x),
            LutFunction::Sigmoid => 1.0 / (1.0 + libm::exp(-x)),
        }
    }

    /// TFLite's fixed output params, covering the function's range.
    pub fn output_params(self) -> QuantParams {
        match self {
            LutFunction::Tanh => QuantParams {
                scale: 1.0 / 128.0,
                zero_point: 0,
            },
            LutFunction::Sigmoid => QuantParams {
                scale: 1.0 / 256.0,
                zero_point: -128,
            },
        }
    }
}

/// The table of `f` from codes of `input` to codes of `output` (int8 bytes).
pub fn lut_table(f: LutFunction, input: QuantParams, output: QuantParams) -> [u8; 256] {
    let mut table = [0u8; 256];
    for (q, t) in (-128i32..=127).zip(table.iter_mut()) {
        let x = f64::from(input.scale) * f64::from(q - input.zero_point);
        let code = libm::round(f.eval(x) / f64::from(output.scale)) + f64::from(output.zero_point);
        *t = code.clamp(-128.0, 127.0) as i8 as u8;
    }
    table
}

/// `N` values through a 256-byte table read in place (`table[q + 128]`).
#[derive(Clone, Copy, Debug)]
pub struct QLut<'a, const N: usize> {
    table: &'a [u8],
    function: LutFunction,
}

impl<'a, const N: usize> QLut<'a, N> {
    /// A layer over `table` (256 bytes, from [`lut_table`]).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless the table holds 256 bytes.
    pub fn new(table: &'a [u8], function: LutFunction) -> Result<Self, Error> {
        super::check_bytes("table", table, 256)?;
        Ok(QLut { table, function })
    }
}

impl<const N: usize> QLayer for QLut<'_, N> {
    const IN: usize = N;
    const OUT: usize = N;
    const FLASH: usize = 256;

    fn forward(&self, input: &[i8], output: &mut [i8], _wide: &mut [i16]) {
        for (y, &x) in output.iter_mut().zip(input) {
            let index = (i32::from(x) + 128) as usize;
            *y = self.table.get(index).copied().unwrap_or(0) as i8;
        }
    }
}

impl<const N: usize> fmt::Display for QLut<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.function {
            LutFunction::Tanh => "Tanh",
            LutFunction::Sigmoid => "Sigmoid",
        })
    }
}
