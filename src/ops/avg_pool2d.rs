//! `AvgPool2d`: per channel, `y[c][u][v] = (1/k²) Σ_{i,j} x[c][u·s + i][v·s + j]`
//! over a `k × k` window, layout `[batch][channels][height][width]`, no
//! padding (PyTorch's default).
//!
//! Derivative: `∂x[c][u·s + i][v·s + j] += ∂y[c][u][v] / k²`.
//!
//! Numerics: the window is summed then scaled, so `k²` values near the
//! saturation bound can overflow the sum; the tape saturates the result.

use super::max_pool2d::Pool2dDims;
use crate::float::Float;

/// Forward over every channel of every sample.
pub(crate) fn forward<T: Float>(d: &Pool2dDims, x: &[T], y: &mut [T]) {
    let [k, _, h_in, w_in, h_out, w_out] = d.sizes();
    let scale = T::ONE / T::from_usize((k * k).max(1));
    for (xc, yc) in x.chunks_exact(h_in * w_in).zip(y.chunks_exact_mut(h_out * w_out)) {
        for (pos, yv) in yc.iter_mut().enumerate() {
            let (u, v) = (pos / w_out, pos % w_out);
            let mut total = T::ZERO;
            for i in 0..k {
                for j in 0..k {
                    total += xc.get(d.index(u, v, i, j)).copied().unwrap_or(T::ZERO);
                }
            }
            *yv = total * scale;
        }
    }
}

/// `∂x += ∂y / k²` over each window.
pub(crate) fn backward<T: Float>(d: &Pool2dDims, gy: &[T], gx: &mut [T]) {
    let [k, _, h_in, w_in, h_out, w_out] = d.sizes();
    let scale = T::ONE / T::from_usize((k * k).max(1));
    for (gyc, gxc) in gy.chunks_exact(h_out * w_out).zip(gx.chunks_exact_mut(h_in * w_in)) {
        for (pos, &g) in gyc.iter().enumerate() {
            let (u, v) = (pos / w_out, pos % w_out);
            for i in 0..k {
                for j in 0..k {
                    if let Some(gv) = gxc.get_mut(d.index(u, v, i, j)) {
                        *gv += g * scale;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_spreads_gradient() {
        // 1 channel 2×4, window 2, stride 2 → 1×2
        let d = Pool2dDims {
            c: 1,
            k: 2,
            stride: 2,
            h_in: 2,
            w_in: 4,
            h_out: 1,
            w_out: 2,
        };
        let x = [1.0f64, 2.0, 5.0, 5.0, 3.0, 6.0, 5.0, 9.0];
        let mut y = [0.0; 2];
        forward(&d, &x, &mut y);
        assert_eq!(y, [3.0, 6.0]);
        let mut g = [0.0; 8];
        backward(&d, &[4.0, 8.0], &mut g);
        assert_eq!(g, [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]);
    }
}
