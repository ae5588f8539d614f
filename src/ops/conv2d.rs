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
//! Summation: on hosts, the patches of a block of output positions are
//! gathered (im2col) into a stack buffer and the existing matrix kernels do
//! the products: [`gemm::nt`] for the outputs (each a dot product of the
//! weight row `w[o]`, length `c_in·k²`, with the position's patch, in
//! [`dot`](super::kernel::dot)'s lane order), [`gemm::tn_acc`] for the
//! weight gradient (each block's sum from zero, added to the gradient, on
//! the kernel's column tiles; the columns past the last tile add term by
//! term) and [`gemm::nn_acc`] for the patches' gradient (from zero, then
//! scattered back onto the image). Microcontrollers run plain loops
//! ([`plain`]) that read each patch term as they use it, with no buffer, in
//! the same blocks and the same order: host and chip give the same bits for
//! the outputs and for every gradient (unit tests compare the two forms).
//!
//! Numerics: as [`linear`](super::linear): the tape saturates the sums.

use super::Src;
use super::gemm;
use super::kernel::{LANES, sum};
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
/// Scalars of the host's buffer of a block's outputs (or their gradients), `[position][c_out]`.
const OUT_BUF: usize = 2048;
/// Most positions in a block: the weight-gradient kernel sums up to this
/// many rows from zero before adding them (its row block).
const BLOCK_MAX: usize = 256;
/// The column tile of the gradient kernels (`rank1_acc`'s): columns of the
/// weight gradient up to the last whole tile take a block's sum at once.
const TILE_COLS: usize = 2 * LANES;

/// Output positions per block: what the host's buffers hold (at least 1;
/// the host runs the plain loops when they cannot hold one).
pub(crate) fn block_len(d: &[usize; 9]) -> usize {
    let [c_in, c_out, k, ..] = *d;
    (PATCH_BUF / (c_in * k * k).max(1))
        .min(OUT_BUF / c_out.max(1))
        .clamp(1, BLOCK_MAX)
}

/// Whether the host's buffers take one position's patch and outputs.
fn fits(d: &[usize; 9]) -> bool {
    let [c_in, c_out, k, ..] = *d;
    c_in * k * k <= PATCH_BUF && c_out <= OUT_BUF
}

/// Input value `x[c][row][col]` for a row and column that may fall in the padding.
#[inline]
pub(crate) fn at<T: Float>(xs: &[T], d: &[usize; 9], c: usize, row: isize, col: isize) -> T {
    let [_, _, _, _, _, h_in, w_in, _, _] = *d;
    if row < 0 || col < 0 || row as usize >= h_in || col as usize >= w_in {
        return T::ZERO;
    }
    xs.get((c * h_in + row as usize) * w_in + col as usize)
        .copied()
        .unwrap_or(T::ZERO)
}

/// Where term `t` (weight order `c, i, j`) of position `pos`'s patch lies:
/// channel, row and column (possibly in the padding).
#[inline]
pub(crate) fn tap(d: &[usize; 9], pos: usize, t: usize) -> (usize, isize, isize) {
    let [_, _, k, s, p, _, _, _, w_out] = *d;
    let (u, v) = (pos / w_out.max(1), pos % w_out.max(1));
    let (c, ij) = (t / (k * k).max(1), t % (k * k).max(1));
    let (i, j) = (ij / k.max(1), ij % k.max(1));
    (c, (u * s + i) as isize - p as isize, (v * s + j) as isize - p as isize)
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
    let [c_in, c_out, _, _, _, h_in, w_in, h_out, w_out] = dz;
    for (xs, ys) in x
        .chunks_exact(c_in * h_in * w_in)
        .zip(y.chunks_exact_mut(c_out * h_out * w_out))
    {
        match (w, b) {
            (Src::Vals(wv), Src::Vals(bv)) if gemm::TILED && fits(&dz) => {
                sample_blocked(&dz, xs, wv, bv, ys, block_len(&dz));
            }
            _ => plain::forward(&dz, xs, w, b, ys),
        }
    }
}

/// One sample by gathered blocks of positions and the matrix kernel (hosts).
fn sample_blocked<T: Float>(d: &[usize; 9], xs: &[T], w: &[T], b: &[T], ys: &mut [T], block: usize) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (r, positions) = (c_in * k * k, h_out * w_out);
    let mut patches = [T::ZERO; PATCH_BUF];
    let mut outs = [T::ZERO; OUT_BUF];
    for start in (0..positions).step_by(block.max(1)) {
        let n = block.min(positions - start);
        for (q, patch) in patches.chunks_exact_mut(r).take(n).enumerate() {
            gather(xs, d, start + q, patch);
        }
        let (Some(pv), Some(ov)) = (patches.get(..n * r), outs.get_mut(..n * c_out)) else {
            return;
        };
        gemm::nt(pv, w, b, ov, r, c_out);
        for (q, row) in ov.chunks_exact(c_out).enumerate() {
            for (yo, &val) in ys.chunks_exact_mut(positions).zip(row) {
                if let Some(yv) = yo.get_mut(start + q) {
                    *yv = val;
                }
            }
        }
    }
}

/// Gradient for input `which`: 0 is `x`, 1 is `w`, 2 is `b`.
pub(crate) fn backward<T: Float>(d: &Conv2dDims, which: usize, x: &[T], w: &[T], gy: &[T], gx: &mut [T]) {
    let dz = sizes(d);
    let [c_in, c_out, _, _, _, h_in, w_in, h_out, w_out] = dz;
    let plane = h_out * w_out;
    let samples = gy.chunks_exact(c_out * plane);
    let host = gemm::TILED && fits(&dz);
    match which {
        0 => {
            for (gys, gxs) in samples.zip(gx.chunks_exact_mut(c_in * h_in * w_in)) {
                if host {
                    input_grad_blocked(&dz, w, gys, gxs);
                } else {
                    plain::input_grad(&dz, w, gys, gxs);
                }
            }
        }
        1 => {
            for (gys, xs) in samples.zip(x.chunks_exact(c_in * h_in * w_in)) {
                if host {
                    weight_grad_blocked(&dz, xs, gys, gx);
                } else {
                    plain::weight_grad(&dz, xs, gys, gx);
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

/// A block's output gradients, transposed to `[position][c_out]`.
fn gather_grads<T: Float>(gys: &[T], plane: usize, start: usize, n: usize, out: &mut [T], c_out: usize) {
    for (q, row) in out.chunks_exact_mut(c_out).take(n).enumerate() {
        for (g, gyo) in row.iter_mut().zip(gys.chunks_exact(plane)) {
            *g = gyo.get(start + q).copied().unwrap_or(T::ZERO);
        }
    }
}

/// `∂w += Σ_blocks (patchesᵀ · ∂y)` for one sample, block by block (hosts).
fn weight_grad_blocked<T: Float>(d: &[usize; 9], xs: &[T], gys: &[T], gw: &mut [T]) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (r, plane, block) = (c_in * k * k, h_out * w_out, block_len(d));
    let mut patches = [T::ZERO; PATCH_BUF];
    let mut grads = [T::ZERO; OUT_BUF];
    for start in (0..plane).step_by(block) {
        let n = block.min(plane - start);
        for (q, patch) in patches.chunks_exact_mut(r).take(n).enumerate() {
            gather(xs, d, start + q, patch);
        }
        gather_grads(gys, plane, start, n, &mut grads, c_out);
        if let (Some(pv), Some(gv)) = (patches.get(..n * r), grads.get(..n * c_out)) {
            gemm::tn_acc(gv, pv, gw, r, c_out);
        }
    }
}

/// `∂x += col2im(∂y · w)` for one sample, block by block (hosts).
fn input_grad_blocked<T: Float>(d: &[usize; 9], w: &[T], gys: &[T], gxs: &mut [T]) {
    let [c_in, c_out, k, _, _, h_in, w_in, h_out, w_out] = *d;
    let (r, plane, block) = (c_in * k * k, h_out * w_out, block_len(d));
    let mut patch_grads = [T::ZERO; PATCH_BUF];
    let mut grads = [T::ZERO; OUT_BUF];
    for start in (0..plane).step_by(block) {
        let n = block.min(plane - start);
        gather_grads(gys, plane, start, n, &mut grads, c_out);
        let (Some(pg), Some(gv)) = (patch_grads.get_mut(..n * r), grads.get(..n * c_out)) else {
            return;
        };
        pg.fill(T::ZERO);
        gemm::nn_acc(gv, w, pg, r, c_out);
        for (q, row) in pg.chunks_exact(r).enumerate() {
            for (t, &g) in row.iter().enumerate() {
                let (c, rw, col) = tap(d, start + q, t);
                let inside = rw >= 0 && col >= 0 && (rw as usize) < h_in && (col as usize) < w_in;
                let index = inside.then(|| (c * h_in + rw as usize) * w_in + col as usize);
                if let Some(v) = index.and_then(|i| gxs.get_mut(i)) {
                    *v += g;
                }
            }
        }
    }
}

mod plain;
#[cfg(test)]
mod tests;
