//! `MaxPool2d`: per channel, `y[c][u][v] = max_{i,j} x[c][u·s + i][v·s + j]`
//! over a `k × k` window, layout `[batch][channels][height][width]`, no
//! padding (PyTorch's default).
//!
//! Derivative: the whole `∂y[c][u][v]` goes to the first maximum of its
//! window in row-major order (PyTorch's choice), recomputed from the saved
//! input.
//!
//! Numerics: no arithmetic; finite for every finite input.

use crate::float::Float;

/// Sizes of a 2-D pooling (square window, no padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dDims {
    /// Channels.
    pub c: u16,
    /// Window height and width.
    pub k: u16,
    /// Stride.
    pub stride: u16,
    /// Input height.
    pub h_in: u16,
    /// Input width.
    pub w_in: u16,
    /// Output height.
    pub h_out: u16,
    /// Output width.
    pub w_out: u16,
}

impl Pool2dDims {
    /// `[k, stride, h_in, w_in, h_out, w_out]` as `usize`.
    pub(crate) fn sizes(&self) -> [usize; 6] {
        [self.k, self.stride, self.h_in, self.w_in, self.h_out, self.w_out].map(usize::from)
    }

    /// The input index (within a channel) of window `(u, v)`'s element `(i, j)`.
    #[inline]
    pub(crate) fn index(&self, u: usize, v: usize, i: usize, j: usize) -> usize {
        let [_, s, _, w_in, _, _] = self.sizes();
        (u * s + i) * w_in + v * s + j
    }
}

/// Index (within the channel) and value of the first maximum of window `(u, v)`.
fn argmax<T: Float>(d: &Pool2dDims, xc: &[T], u: usize, v: usize) -> (usize, T) {
    let k = usize::from(d.k);
    let first = d.index(u, v, 0, 0);
    let mut best = (first, xc.get(first).copied().unwrap_or(T::ZERO));
    for i in 0..k {
        for j in 0..k {
            let at = d.index(u, v, i, j);
            let val = xc.get(at).copied().unwrap_or(T::ZERO);
            if val > best.1 {
                best = (at, val);
            }
        }
    }
    best
}

/// Forward over every channel of every sample.
pub(crate) fn forward<T: Float>(d: &Pool2dDims, x: &[T], y: &mut [T]) {
    let [_, _, h_in, w_in, h_out, w_out] = d.sizes();
    for (xc, yc) in x.chunks_exact(h_in * w_in).zip(y.chunks_exact_mut(h_out * w_out)) {
        for (pos, yv) in yc.iter_mut().enumerate() {
            *yv = argmax(d, xc, pos / w_out, pos % w_out).1;
        }
    }
}

/// `∂x[argmax] += ∂y` per window.
pub(crate) fn backward<T: Float>(d: &Pool2dDims, x: &[T], gy: &[T], gx: &mut [T]) {
    let [_, _, h_in, w_in, h_out, w_out] = d.sizes();
    let chans = x.chunks_exact(h_in * w_in).zip(gy.chunks_exact(h_out * w_out));
    for ((xc, gyc), gxc) in chans.zip(gx.chunks_exact_mut(h_in * w_in)) {
        for (pos, &g) in gyc.iter().enumerate() {
            let (at, _) = argmax(d, xc, pos / w_out, pos % w_out);
            if let Some(v) = gxc.get_mut(at) {
                *v += g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_and_routes_gradient_to_the_first_maximum() {
        // 1 channel 3×4, window 2, stride 2 → 1×2
        let d = Pool2dDims {
            c: 1,
            k: 2,
            stride: 2,
            h_in: 3,
            w_in: 4,
            h_out: 1,
            w_out: 2,
        };
        let x = [1.0f64, 5.0, 2.0, 2.0, 5.0, 0.0, 2.0, -1.0, 9.0, 9.0, 9.0, 9.0];
        let mut y = [0.0; 2];
        forward(&d, &x, &mut y);
        assert_eq!(y, [5.0, 2.0]);
        let mut g = [0.0; 12];
        backward(&d, &x, &[1.0, 2.0], &mut g);
        assert_eq!(g, [0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn extreme_values_pass_through() {
        let d = Pool2dDims {
            c: 1,
            k: 2,
            stride: 1,
            h_in: 2,
            w_in: 2,
            h_out: 1,
            w_out: 1,
        };
        let mut y = [0.0f32];
        forward(&d, &[-f32::MAX, -1e30, f32::MIN, -f32::MAX], &mut y);
        assert_eq!(y, [-1e30]);
    }
}
