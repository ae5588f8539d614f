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
        if (d.k, d.stride) == (2, 2) {
            // the common case, in pairs the compiler can vectorise
            for (yl, &[a, b]) in yc.iter_mut().zip(xc.as_chunks::<2>().0) {
                *yl = if b > a { b } else { a };
            }
            continue;
        }
        for (l, yl) in yc.iter_mut().enumerate() {
            let (_, v) = argmax(window(d, xc, l));
            *yl = v;
        }
    }
}

/// `∂x[argmax] += ∂y` per window.
pub(crate) fn backward<T: Float>(d: &Pool1dDims, x: &[T], gy: &[T], gx: &mut [T]) {
    let (l_in, l_out, s) = (d.l_in as usize, d.l_out as usize, d.stride as usize);
    let chans = x.chunks_exact(l_in).zip(gy.chunks_exact(l_out));
    for ((xc, gyc), gxc) in chans.zip(gx.chunks_exact_mut(l_in)) {
        if (d.k, s) == (2, 2) {
            let pairs = xc.as_chunks::<2>().0.iter().zip(gx_pairs(gxc));
            for ((&[a, b], [ga, gb]), &g) in pairs.zip(gyc) {
                let right = b > a;
                *ga += if right { T::ZERO } else { g };
                *gb += if right { g } else { T::ZERO };
            }
            continue;
        }
        for (l, &g) in gyc.iter().enumerate() {
            let (i, _) = argmax(window(d, xc, l));
            if let Some(v) = gxc.get_mut(l * s + i) {
                *v += g;
            }
        }
    }
}

/// A channel's gradient as pairs.
fn gx_pairs<T>(gxc: &mut [T]) -> impl Iterator<Item = [&mut T; 2]> {
    gxc.as_chunks_mut::<2>().0.iter_mut().map(|[a, b]| [a, b])
}

/// Output position `l`'s window of a channel (inside it by the layer's
/// compile-time check).
#[inline]
fn window<'x, T>(d: &Pool1dDims, xc: &'x [T], l: usize) -> &'x [T] {
    let start = l * d.stride as usize;
    xc.get(start..start + d.k as usize).unwrap_or(&[])
}

/// Index and value of the first maximum of a window.
#[inline]
fn argmax<T: Float>(w: &[T]) -> (usize, T) {
    let first = w.first().copied().unwrap_or(T::ZERO);
    w.iter()
        .enumerate()
        .skip(1)
        .fold((0, first), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) })
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
