//! `QReLU`: `y = max(x, zp)`, the code of real 0; scale and zero point pass through.
//!
//! After a `QLinear` or `QConv1d` prefer their `with_relu`, which folds the
//! ReLU into the output clamp at no cost.
//!
//! Numerics: exact (it equals the f32 ReLU of the dequantised input).

use super::{QLayer, clamp_i8, params::check_zero_point};
use crate::error::Error;
use core::fmt;

/// ReLU over `N` int8 values of zero point `zero_point`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QReLU<const N: usize> {
    zero: i8,
}

impl<const N: usize> QReLU<N> {
    /// ReLU for activations of zero point `zero_point`.
    ///
    /// # Errors
    /// [`Error::QuantParamOutOfRange`] unless `zero_point` is in `-128..=127`.
    pub fn new(zero_point: i32) -> Result<Self, Error> {
        check_zero_point(zero_point, "relu zero point")?;
        Ok(QReLU {
            zero: clamp_i8(zero_point, i8::MIN, i8::MAX),
        })
    }
}

impl<const N: usize> QLayer for QReLU<N> {
    const IN: usize = N;
    const OUT: usize = N;

    fn forward(&self, input: &[i8], output: &mut [i8], _wide: &mut [i16]) {
        for (y, &x) in output.iter_mut().zip(input) {
            *y = x.max(self.zero);
        }
    }
}

impl<const N: usize> fmt::Display for QReLU<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReLU")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_at_the_zero_point() {
        let relu = QReLU::<4>::new(-3).unwrap();
        let mut y = [0i8; 4];
        relu.forward(&[-128, -3, -2, 127], &mut y, &mut []);
        assert_eq!(y, [-3, -3, -2, 127]);
        assert!(QReLU::<4>::new(200).is_err());
    }
}
