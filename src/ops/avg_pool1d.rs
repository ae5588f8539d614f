//! `AvgPool1d`: per channel, `y[c][l] = (1/k) Σ_j x[c][l·s + j]` over a
//! window of `k`, layout `[batch][channels][length]`, no padding.
//!
//! Derivative: `∂x[c][l·s + j] += ∂y[c][l] / k`.
//!
//! Numerics: the window is summed then scaled; the tape saturates an
//! overflowing sum.

use super::max_pool1d::Pool1dDims;
use crate::float::Float;

/// Forward over every channel of every sample.
pub(crate) fn forward<T: Float>(d: &Pool1dDims, x: &[T], y: &mut [T]) {
    let (k, s, l_in, l_out) = (d.k as usize, d.stride as usize, d.l_in as usize, d.l_out as usize);
    let scale = T::ONE / T::from_usize(k.max(1));
    for (xc, yc) in x.chunks_exact(l_in).zip(y.chunks_exact_mut(l_out)) {
        for (l, yl) in yc.iter_mut().enumerate() {
            let window = xc.get(l * s..l * s + k).unwrap_or(&[]);
            *yl = window.iter().fold(T::ZERO, |a, &v| a + v) * scale;
        }
    }
}

/// `∂x += ∂y / k` over each window.
pub(crate) fn backward<T: Float>(d: &Pool1dDims, gy: &[T], gx: &mut [T]) {
    let (k, s, l_in, l_out) = (d.k as usize, d.stride as usize, d.l_in as usize, d.l_out as usize);
    let scale = T::ONE / T::from_usize(k.max(1));
    for (gyc, gxc) in gy.chunks_exact(l_out).zip(gx.chunks_exact_mut(l_in)) {
        for (l, &g) in gyc.iter().enumerate() {
            for gv in gxc.get_mut(l * s..l * s + k).unwrap_or(&mut []) {
                *gv += g * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_spreads_gradient() {
        let d = Pool1dDims {
            c: 1,
            k: 3,
            stride: 2,
            l_in: 5,
            l_out: 2,
        };
        let mut y = [0.0f64; 2];
        forward(&d, &[1.0, 2.0, 3.0, 4.0, 8.0], &mut y);
        assert_eq!(y, [2.0, 5.0]);
        let mut g = [0.0; 5];
        backward(&d, &[3.0, 6.0], &mut g);
        assert_eq!(g, [1.0, 1.0, 3.0, 2.0, 2.0]);
    }
}
