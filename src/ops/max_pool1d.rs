//! `MaxPool1d`: per channel, `y[c][l] = max_j x[c][l·stride + j]` over a
//! window of `k`, layout `[batch][channels][length]`.
//!
//! Derivative: the whole `∂y[c][l]` goes to the first maximum of its window
//! (PyTorch's choice), recomputed from the saved input.
//!
//! Numerics: no arithmetic; finite for every finite input.

use crate::float::Float;

/// Sizes of a 1-D max pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool1dDims {
    /// Channels.
    pub c: u32,
    /// Window size.
    pub k: u32,
    /// Stride.
    pub stride: u32,
    /// Input length.
    pub l_in: u32,
    /// Output length.
    pub l_out: u32,
}

/// Forward over every channel of every sample.
pub(crate) fn forward<T: Float>(d: &Pool1dDims, x: &[T], y: &mut [T]) {
    let (l_in, l_out) = (d.l_in as usize, d.l_out as usize);
    for (xc, yc) in x.chunks_exact(l_in).zip(y.chunks_exact_mut(l_out)) {
        for (l, yl) in yc.iter_mut().enumerate() {
            *yl = xc[argmax(d, xc, l)];
        }
    }
}

/// `∂x[argmax] += ∂y` per window.
pub(crate) fn backward<T: Float>(d: &Pool1dDims, x: &[T], gy: &[T], gx: &mut [T]) {
    let (l_in, l_out) = (d.l_in as usize, d.l_out as usize);
    let chans = x.chunks_exact(l_in).zip(gy.chunks_exact(l_out));
    for ((xc, gyc), gxc) in chans.zip(gx.chunks_exact_mut(l_in)) {
        for (l, &g) in gyc.iter().enumerate() {
            gxc[argmax(d, xc, l)] += g;
        }
    }
}

/// Index in `xc` of the first maximum of output position `l`'s window.
/// The layer's compile-time check guarantees the window lies inside `xc`.
fn argmax<T: Float>(d: &Pool1dDims, xc: &[T], l: usize) -> usize {
    let start = l * d.stride as usize;
    let first = xc.get(start).copied().unwrap_or(T::ZERO);
    let window = xc.iter().enumerate().skip(start).take(d.k as usize);
    let best = window.fold(
        (start, first),
        |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) },
    );
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_and_routes_gradient() {
        let d = Pool1dDims {
            c: 1,
            k: 2,
            stride: 2,
            l_in: 5,
            l_out: 2,
        };
        let x = [1.0f64, 3.0, 2.0, 2.0, 9.0];
        let mut y = [0.0; 2];
        forward(&d, &x, &mut y);
        assert_eq!(y, [3.0, 2.0]);
        let mut g = [0.0; 5];
        backward(&d, &x, &[1.0, 1.0], &mut g);
        assert_eq!(g, [0.0, 1.0, 1.0, 0.0, 0.0]);
    }
}
