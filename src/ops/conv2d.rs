//! `Conv2d`: PyTorch's layout, input `[batch][c_in][h_in][w_in]`, weight
//! `[c_out][c_in][k][k]`, output `[batch][c_out][h_out][w_out]` with stride
//! `s`, zero padding `p` and `h_out = (h_in + 2p − k) / s + 1` (likewise
//! `w_out`):
//! `y[o][u][v] = b[o] + Σ_{c,i,j} w[o][c][i][j] x[c][u·s + i − p][v·s + j − p]`
//! (terms outside the image are zeros).
//!
//! Derivatives: `∂x[c][u·s + i − p][v·s + j − p] += Σ_o ∂y[o][u][v] w[o][c][i][j]`,
//! `∂w[o][c][i][j] += Σ_{u,v} ∂y[o][u][v] x[c][u·s + i − p][v·s + j − p]`,
//! `∂b[o] += Σ_{u,v} ∂y[o][u][v]`.
//!
//! Summation: each output is a dot product of the weight row `w[o]` (length
//! `c_in·k²`) with the output position's patch, summed in
//! [`dot`](super::kernel::dot)'s lane order on every target. On hosts the
//! patches of a block of positions are gathered (im2col) into a stack buffer
//! and multiplied by the existing matrix kernel ([`gemm::nt`]); on
//! microcontrollers a plain loop gathers each patch term as it sums it, with
//! no buffer. Both give the same bits (a unit test compares them). The
//! gradients are plain loops, the same code on every target, so training
//! agrees bit for bit too.
//!
//! Numerics: as [`linear`](super::linear): the tape saturates the sums.

use super::Src;
use super::gemm;
use super::kernel::{LANES, dot, reduce_lanes, sum};
use crate::float::Float;

/// Sizes of a 2-D convolution (square kernel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dDims {
    /// Input channels.
    pub c_in: u16,
    /// Output channels.
    pub c_out: u16,
    /// Kernel height and width.
    pub k: u16,
    /// Stride.
    pub stride: u16,
    /// Zero padding on each side.
    pub pad: u16,
    /// Input height.
    pub h_in: u16,
    /// Input width.
    pub w_in: u16,
    /// Output height.
    pub h_out: u16,
    /// Output width.
    pub w_out: u16,
}

/// The sizes as `usize`: `[c_in, c_out, k, stride, pad, h_in, w_in, h_out, w_out]`.
pub(crate) fn sizes(d: &Conv2dDims) -> [usize; 9] {
    [d.c_in, d.c_out, d.k, d.stride, d.pad, d.h_in, d.w_in, d.h_out, d.w_out].map(usize::from)
}

/// Scalars of the host's im2col buffer (patches of a block of positions).
const PATCH_BUF: usize = 8192;
/// Scalars of the host's buffer of a block's outputs, `[position][c_out]`.
const OUT_BUF: usize = 2048;

/// Input value `x[c][row][col]` for a row and column that may fall in the padding.
#[inline]
fn at<T: Float>(xs: &[T], d: &[usize; 9], c: usize, row: isize, col: isize) -> T {
    let [_, _, _, _, _, h_in, w_in, _, _] = *d;
    if row < 0 || col < 0 || row as usize >= h_in || col as usize >= w_in {
        return T::ZERO;
    }
    xs.get((c * h_in + row as usize) * w_in + col as usize)
        .copied()
        .unwrap_or(T::ZERO)
}

/// Writes the patch of output position `pos` (`c_in·k²` terms, weight order).
fn gather<T: Float>(xs: &[T], d: &[usize; 9], pos: usize, patch: &mut [T]) {
    let [c_in, _, k, s, p, _, _, _, w_out] = *d;
    let (u, v) = (pos / w_out.max(1), pos % w_out.max(1));
    let mut terms = patch.iter_mut();
    for c in 0..c_in {
        for i in 0..k {
            let row = (u * s + i) as isize - p as isize;
            for j in 0..k {
                let col = (v * s + j) as isize - p as isize;
                if let Some(t) = terms.next() {
                    *t = at(xs, d, c, row, col);
                }
            }
        }
    }
}

/// Forward over every sample of the batch.
pub(crate) fn forward<T: Float>(d: &Conv2dDims, x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T]) {
    let dz = sizes(d);
    let [c_in, c_out, k, _, _, h_in, w_in, h_out, w_out] = dz;
    let r = c_in * k * k;
    let block = (PATCH_BUF / r.max(1)).min(OUT_BUF / c_out.max(1));
    for (xs, ys) in x
        .chunks_exact(c_in * h_in * w_in)
        .zip(y.chunks_exact_mut(c_out * h_out * w_out))
    {
        match (w, b) {
            (Src::Vals(wv), Src::Vals(bv)) if gemm::TILED && block > 0 => sample_blocked(&dz, xs, wv, bv, ys, block),
            _ => sample_plain(&dz, xs, w, b, ys),
        }
    }
}

/// One sample by gathered blocks of positions and the matrix kernel (hosts).
fn sample_blocked<T: Float>(d: &[usize; 9], xs: &[T], w: &[T], b: &[T], ys: &mut [T], block: usize) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (r, positions) = (c_in * k * k, h_out * w_out);
    let mut patches = [T::ZERO; PATCH_BUF];
    let mut outs = [T::ZERO; OUT_BUF];
    let mut start = 0;
    while start < positions {
        let n = block.min(positions - start);
        for (q, patch) in patches.chunks_exact_mut(r).take(n).enumerate() {
            gather(xs, d, start + q, patch);
        }
        let (Some(pv), Some(ov)) = (patches.get(..n * r), outs.get_mut(..n * c_out)) else {
            return;
        };
        gemm::nt(pv, w, b, ov, r, c_out);
        for (q, row) in ov.chunks_exact(c_out).enumerate() {
            for (o, &val) in row.iter().enumerate() {
                if let Some(yv) = ys.get_mut(o * positions + start + q) {
                    *yv = val;
                }
            }
        }
        start += n;
    }
}

/// One sample as plain loops: each patch term is read as it is summed, in
/// [`dot`]'s lane order (microcontrollers, and weights read from bytes).
pub(crate) fn sample_plain<T: Float>(d: &[usize; 9], xs: &[T], w: Src<'_, T>, b: Src<'_, T>, ys: &mut [T]) {
    let [c_in, _, k, s, p, _, _, h_out, w_out] = *d;
    let r = c_in * k * k;
    let whole = r - r % LANES;
    for (o, yo) in ys.chunks_exact_mut(h_out * w_out).enumerate() {
        let wo = w.row(o, r);
        for (pos, yv) in yo.iter_mut().enumerate() {
            let (u, v) = (pos / w_out, pos % w_out);
            let mut acc = [T::ZERO; LANES];
            let mut tail = T::ZERO;
            let mut t = 0;
            for c in 0..c_in {
                for i in 0..k {
                    let row = (u * s + i) as isize - p as isize;
                    for j in 0..k {
                        let term = at(xs, d, c, row, (v * s + j) as isize - p as isize) * wo.get(t);
                        match acc.get_mut(t % LANES).filter(|_| t < whole) {
                            Some(lane) => *lane += term,
                            None => tail += term,
                        }
                        t += 1;
                    }
                }
            }
            *yv = b.get(o) + reduce_lanes(acc, tail);
        }
    }
}

/// The output columns `v` whose tap `j` lands inside a row of `w_in`, and the
/// first input column: `v·s + j − p ∈ [0, w_in)`.
fn columns(d: &[usize; 9], j: usize) -> (core::ops::Range<usize>, usize) {
    let [_, _, _, s, p, _, w_in, _, w_out] = *d;
    let first = p.saturating_sub(j).div_ceil(s.max(1));
    let past = (w_in + p).saturating_sub(j).div_ceil(s.max(1)).min(w_out);
    (first..past.max(first), (first * s + j).saturating_sub(p))
}

/// Gradient for input `which`: 0 is `x`, 1 is `w`, 2 is `b`.
pub(crate) fn backward<T: Float>(d: &Conv2dDims, which: usize, x: &[T], w: &[T], gy: &[T], gx: &mut [T]) {
    let dz = sizes(d);
    let [c_in, c_out, k, s, p, h_in, w_in, h_out, w_out] = dz;
    let (plane, r) = (h_out * w_out, c_in * k * k);
    let samples = gy.chunks_exact(c_out * plane);
    match which {
        0 => {
            for (gys, gxs) in samples.zip(gx.chunks_exact_mut(c_in * h_in * w_in)) {
                for (gyo, wo) in gys.chunks_exact(plane).zip(w.chunks_exact(r)) {
                    for (gxc, wc) in gxs.chunks_exact_mut(h_in * w_in).zip(wo.chunks_exact(k * k)) {
                        for (i, wi) in wc.chunks_exact(k).enumerate() {
                            for (u, gyu) in gyo.chunks_exact(w_out).enumerate() {
                                let Some(row) = (u * s + i).checked_sub(p).filter(|&rw| rw < h_in) else {
                                    continue;
                                };
                                let gxr = gxc.get_mut(row * w_in..(row + 1) * w_in).unwrap_or(&mut []);
                                for (j, &wj) in wi.iter().enumerate() {
                                    let (vs, col) = columns(&dz, j);
                                    let taps = gxr.iter_mut().skip(col).step_by(s.max(1));
                                    taps.zip(gyu.get(vs).unwrap_or(&[])).for_each(|(g, &gv)| *g += wj * gv);
                                }
                            }
                        }
                    }
                }
            }
        }
        1 => {
            for (gys, xs) in samples.zip(x.chunks_exact(c_in * h_in * w_in)) {
                for (gyo, gwo) in gys.chunks_exact(plane).zip(gx.chunks_exact_mut(r)) {
                    for (xc, gwc) in xs.chunks_exact(h_in * w_in).zip(gwo.chunks_exact_mut(k * k)) {
                        for (i, gwi) in gwc.chunks_exact_mut(k).enumerate() {
                            for (j, gwj) in gwi.iter_mut().enumerate() {
                                *gwj += tap_sum(&dz, xc, gyo, i, j);
                            }
                        }
                    }
                }
            }
        }
        _ => {
            for gys in samples {
                for (gyo, gbo) in gys.chunks_exact(plane).zip(gx.iter_mut()) {
                    *gbo += sum(gyo);
                }
            }
        }
    }
}

/// `Σ_{u,v} ∂y[u][v] x[u·s + i − p][v·s + j − p]` over the taps inside the image.
fn tap_sum<T: Float>(d: &[usize; 9], xc: &[T], gyo: &[T], i: usize, j: usize) -> T {
    let [_, _, _, s, p, h_in, w_in, _, w_out] = *d;
    let (vs, col) = columns(d, j);
    let mut total = T::ZERO;
    for (u, gyu) in gyo.chunks_exact(w_out).enumerate() {
        let Some(row) = (u * s + i).checked_sub(p).filter(|&rw| rw < h_in) else {
            continue;
        };
        let xr = xc.get(row * w_in..(row + 1) * w_in).unwrap_or(&[]);
        let g = gyu.get(vs.clone()).unwrap_or(&[]);
        total += match xr.get(col..col + g.len()).filter(|_| s == 1) {
            Some(window) => dot(g, window),
            None => g
                .iter()
                .zip(xr.iter().skip(col).step_by(s.max(1)))
                .fold(T::ZERO, |a, (&gv, &xv)| a + gv * xv),
        };
    }
    total
}

#[cfg(test)]
mod tests;
