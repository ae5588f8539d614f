//! `QFlatten`: `[channels][length]` to one vector of `N` codes (a copy).
//!
//! Numerics: exact.

use super::QLayer;
use core::fmt;

/// Flattens `N` int8 values (the data are already contiguous in PyTorch's order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QFlatten<const N: usize>;

impl<const N: usize> QLayer for QFlatten<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn forward(&self, input: &[i8], output: &mut [i8], _wide: &mut [i16]) {
        for (y, &x) in output.iter_mut().zip(input) {
            *y = x;
        }
    }
}

impl<const N: usize> fmt::Display for QFlatten<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Flatten")
    }
}
