//! `QMaxPool1d`: the largest int8 code of each window, per channel.
//!
//! `y[c,t] = max_k x[c, t·S + k]`; the scale and zero point pass through
//! unchanged (the map from codes to reals is increasing).
//!
//! Numerics: exact (it equals the f32 max pool of the dequantised input).

use super::QLayer;
use core::fmt;

/// Max pooling over `C` channels of length `LI`, window `K`, stride `S`, `LO` outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QMaxPool1d<const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize>;

impl<const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize> QMaxPool1d<C, LI, K, S, LO> {
    /// The layer; the sizes are checked at compile time.
    pub const fn new() -> Self {
        const {
            assert!(
                K >= 1 && S >= 1 && LI >= K,
                "window and stride ≥ 1, window ≤ input length"
            );
            assert!(LO == (LI - K) / S + 1, "L_OUT must be (L_IN − K) / S + 1");
        };
        QMaxPool1d
    }
}

impl<const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize> QLayer
    for QMaxPool1d<C, LI, K, S, LO>
{
    const IN: usize = C * LI;
    const OUT: usize = C * LO;

    fn forward(&self, input: &[i8], output: &mut [i8], _wide: &mut [i16]) {
        for (ys, xs) in output.chunks_exact_mut(LO.max(1)).zip(input.chunks_exact(LI.max(1))) {
            for (t, y) in ys.iter_mut().enumerate() {
                let window = xs.iter().skip(t * S).take(K);
                *y = window.copied().max().unwrap_or(i8::MIN);
            }
        }
    }
}

impl<const C: usize, const LI: usize, const K: usize, const S: usize, const LO: usize> fmt::Display
    for QMaxPool1d<C, LI, K, S, LO>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaxPool1d({K},{S})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_per_channel() {
        let pool = QMaxPool1d::<2, 5, 2, 2, 2>::new();
        let x = [1, -5, 7, 3, 100, -128, -127, 0, 0, 9];
        let mut y = [0i8; 4];
        pool.forward(&x, &mut y, &mut []);
        assert_eq!(y, [1, 7, -127, 0]);
    }
}
