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
//! the products. Where a patch fits a panel, the forward takes 16 positions
//! at a time instead, their patches gathered transposed (a run of pixels per
//! kernel tap) and every output channel's 16 outputs at once
//! ([`gemm::nt_panel_cols`], [`sample_panels`]), each in the same lane order
//! as below. Otherwise: [`gemm::nt`] for the outputs (each a dot product of the
//! weight row `w[o]`, length `c_in·k²`, with the position's patch, in
//! [`dot`](super::kernel::dot)'s lane order), [`gemm::tn_acc`] for the
//! weight gradient (each block's sum from zero, added to the gradient, on
//! the kernel's column tiles; the columns past the last tile add term by
//! term) and [`gemm::nn_fresh`] for the patches' gradient (from zero, then
//! scattered back onto the image). Where its buffers allow, the patches'
//! gradient of a whole sample is taken transposed instead, `wᵀ · ∂y` over
//! the sample's `[c_out][positions]` as it lies, and added onto the image
//! a run of positions at a time, kernel taps from the last: each pixel
//! still takes its terms in the order of ascending positions
//! ([`add_term_rows`]). Each sample is first copied into a
//! zero-padded buffer (and its gradient, for the scatter), so that every
//! kernel row is copied or added whole; the weights are transposed for the
//! output products once per call ([`gemm::PackedWeights`]), not once per
//! block. None of this changes an order of summation. Microcontrollers
//! run plain loops ([`plain`]) that read each patch term as they use it,
//! with no buffer, in the same blocks and the same order: host and chip
//! give the same bits for the outputs and for every gradient (unit tests
//! compare the two forms).
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
/// The column tile of the gradient kernels (`rank1_finish`'s): columns of the
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

/// The host's buffers: a block's patches (or their gradients), its
/// outputs (or their gradients), and a zero-padded copy of one sample (or
/// of its gradient).
type Bufs<T> = ([T; PATCH_BUF], [T; OUT_BUF], [T; PAD_BUF]);

/// Scalars of the host's zero-padded copy of a sample: with the padding
/// written out, every kernel row lies inside the copy and is gathered (or
/// scattered) whole.
const PAD_BUF: usize = 4096;

/// New buffers.
fn bufs<T: Float>() -> Bufs<T> {
    ([T::ZERO; PATCH_BUF], [T::ZERO; OUT_BUF], [T::ZERO; PAD_BUF])
}

/// Copies one sample (`c_in` channels of `h_in × w_in`) into `pad` with `p`
/// zeros around each channel, and returns the sizes that describe the copy
/// (no padding, `h_in + 2p × w_in + 2p`); `None` when there is no padding
/// or the copy does not fit.
fn pad_sample<T: Float>(xs: &[T], d: &[usize; 9], pad: &mut [T]) -> Option<[usize; 9]> {
    let [c_in, c_out, k, s, p, h_in, w_in, h_out, w_out] = *d;
    let (hp, wp) = (h_in + 2 * p, w_in + 2 * p);
    let pad = pad.get_mut(..c_in * hp * wp).filter(|_| p > 0 && w_in > 0)?;
    pad.fill(T::ZERO);
    for (pc, xc) in pad.chunks_exact_mut(hp * wp).zip(xs.chunks_exact(h_in * w_in)) {
        for (prow, xrow) in pc.chunks_exact_mut(wp).skip(p).zip(xc.chunks_exact(w_in)) {
            prow.get_mut(p..p + w_in).unwrap_or_default().copy_from_slice(xrow);
        }
    }
    Some([c_in, c_out, k, s, 0, hp, wp, h_out, w_out])
}

/// The inverse of [`pad_sample`]: the inside of the padded copy back into `xs`.
fn unpad_sample<T: Float>(pad: &[T], d: &[usize; 9], xs: &mut [T]) {
    let [_, _, _, _, p, h_in, w_in, ..] = *d;
    let (hp, wp) = (h_in + 2 * p, w_in + 2 * p);
    for (pc, xc) in pad.chunks_exact(hp * wp).zip(xs.chunks_exact_mut(h_in * w_in)) {
        for (prow, xrow) in pc.chunks_exact(wp).skip(p).zip(xc.chunks_exact_mut(w_in)) {
            xrow.copy_from_slice(prow.get(p..p + w_in).unwrap_or_default());
        }
    }
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

/// The run of a patch row inside the image: for a window whose first column
/// is `col0` (possibly in the padding), the kernel columns `j_lo..j_hi` that
/// fall inside a row of `w_in` pixels.
#[inline]
fn inside_cols(col0: isize, k: usize, w_in: usize) -> (usize, usize) {
    let k = k as isize;
    let lo = (-col0).clamp(0, k);
    let hi = (w_in as isize - col0).clamp(lo, k);
    (lo as usize, hi as usize)
}

/// Writes the patches of positions `start..start + n` (`c_in·k²` terms each,
/// weight order), one kernel row at a time: the pixels a row covers are
/// copied and the padding around them is zeros. Kernels of 3, 5 and 7 take
/// fixed-size rows (no call per row).
fn gather_block<T: Float>(xs: &[T], d: &[usize; 9], start: usize, n: usize, patches: &mut [T]) {
    match d[2] {
        3 => gather_fixed::<T, 3>(xs, d, start, n, patches),
        5 => gather_fixed::<T, 5>(xs, d, start, n, patches),
        7 => gather_fixed::<T, 7>(xs, d, start, n, patches),
        _ => gather_any(xs, d, start, n, patches),
    }
}

/// The image row under kernel row `i` of output row `u`, if it is not padding.
#[inline]
fn image_row(d: &[usize; 9], u: usize, i: usize) -> Option<usize> {
    let [_, _, _, s, p, h_in, ..] = *d;
    (u * s + i).checked_sub(p).filter(|&row| row < h_in)
}

/// [`gather_block`] for a kernel of `K`.
fn gather_fixed<T: Float, const K: usize>(xs: &[T], d: &[usize; 9], start: usize, n: usize, patches: &mut [T]) {
    let [c_in, _, _, s, p, h_in, w_in, _, w_out] = *d;
    if p == 0 {
        // No padding (or the sample's zero-padded copy): every window lies
        // inside the image.
        return gather_inside::<T, K>(xs, d, start, n, patches);
    }
    let (r, w_out) = (c_in * K * K, w_out.max(1));
    for (q, patch) in patches.chunks_exact_mut(r.max(1)).take(n).enumerate() {
        let (u, v) = ((start + q) / w_out, (start + q) % w_out);
        let col0 = (v * s) as isize - p as isize;
        let (lo, hi) = inside_cols(col0, K, w_in);
        let (rows, _) = patch.as_chunks_mut::<K>();
        for (c_rows, plane) in rows.chunks_exact_mut(K).zip(xs.chunks_exact((h_in * w_in).max(1))) {
            for (i, prow) in c_rows.iter_mut().enumerate() {
                let line = image_row(d, u, i).and_then(|row| plane.get(row * w_in..(row + 1) * w_in));
                *prow = match line {
                    Some(line) if lo == 0 && hi == K => line
                        .get(col0 as usize..)
                        .and_then(|l| l.first_chunk::<K>())
                        .copied()
                        .unwrap_or([T::ZERO; K]),
                    Some(line) => core::array::from_fn(|j| {
                        let inside = (lo..hi).contains(&j).then(|| (col0 + j as isize) as usize);
                        inside.and_then(|col| line.get(col)).copied().unwrap_or(T::ZERO)
                    }),
                    None => [T::ZERO; K],
                };
            }
        }
    }
}

/// [`gather_fixed`] when every window lies inside the image (no padding,
/// or the sample's zero-padded copy): each kernel row is one fixed-size
/// copy, with no test for the padding, and the window's corner moves
/// position by position (no division per position).
fn gather_inside<T: Float, const K: usize>(xs: &[T], d: &[usize; 9], start: usize, n: usize, patches: &mut [T]) {
    let [c_in, _, _, s, _, h_in, w_in, _, w_out] = *d;
    let (r, w_out, plane) = (c_in * K * K, w_out.max(1), h_in * w_in);
    let (mut u, mut v) = (start / w_out, start % w_out);
    for patch in patches.chunks_exact_mut(r.max(1)).take(n) {
        let corner = u * s * w_in + v * s;
        let (rows, _) = patch.as_chunks_mut::<K>();
        for (c, c_rows) in rows.chunks_exact_mut(K).enumerate() {
            for (i, row) in c_rows.iter_mut().enumerate() {
                let from = c * plane + corner + i * w_in;
                // (always inside `xs`: the windows lie inside the image)
                if let Some(src) = xs.get(from..).and_then(|x| x.first_chunk::<K>()) {
                    *row = *src;
                }
            }
        }
        v += 1;
        if v == w_out {
            (u, v) = (u + 1, 0);
        }
    }
}

/// [`gather_block`] for any kernel.
fn gather_any<T: Float>(xs: &[T], d: &[usize; 9], start: usize, n: usize, patches: &mut [T]) {
    let [c_in, _, k, s, p, h_in, w_in, _, w_out] = *d;
    let (r, w_out) = (c_in * k * k, w_out.max(1));
    for (q, patch) in patches.chunks_exact_mut(r.max(1)).take(n).enumerate() {
        let (u, v) = ((start + q) / w_out, (start + q) % w_out);
        let col0 = (v * s) as isize - p as isize;
        let (lo, hi) = inside_cols(col0, k, w_in);
        for (pc, plane) in patch
            .chunks_exact_mut((k * k).max(1))
            .zip(xs.chunks_exact((h_in * w_in).max(1)))
        {
            for (i, prow) in pc.chunks_exact_mut(k.max(1)).enumerate() {
                let from = image_row(d, u, i)
                    .filter(|_| lo < hi)
                    .map(|row| row * w_in + (col0 + lo as isize) as usize)
                    .and_then(|at| plane.get(at..at + (hi - lo)));
                match (from, prow.get_mut(lo..hi)) {
                    (Some(src), Some(dst)) => {
                        dst.copy_from_slice(src);
                        prow.iter_mut().take(lo).for_each(|t| *t = T::ZERO);
                        prow.iter_mut().skip(hi).for_each(|t| *t = T::ZERO);
                    }
                    _ => prow.fill(T::ZERO),
                }
            }
        }
    }
}

/// Adds the patch gradients of positions `start..start + n` onto the image,
/// position by position and term by term (the order of
/// [`plain::input_grad`]); terms in the padding are dropped.
fn scatter_block<T: Float>(pg: &[T], d: &[usize; 9], start: usize, gxs: &mut [T]) {
    match d[2] {
        3 => scatter_fixed::<T, 3>(pg, d, start, gxs),
        5 => scatter_fixed::<T, 5>(pg, d, start, gxs),
        _ => scatter_any(pg, d, start, gxs),
    }
}

/// [`scatter_block`] for a kernel of `K`.
fn scatter_fixed<T: Float, const K: usize>(pg: &[T], d: &[usize; 9], start: usize, gxs: &mut [T]) {
    let [c_in, _, _, s, p, h_in, w_in, _, w_out] = *d;
    let (r, w_out) = (c_in * K * K, w_out.max(1));
    for (q, patch) in pg.chunks_exact(r.max(1)).enumerate() {
        let (u, v) = ((start + q) / w_out, (start + q) % w_out);
        let col0 = (v * s) as isize - p as isize;
        let (lo, hi) = inside_cols(col0, K, w_in);
        let (rows, _) = patch.as_chunks::<K>();
        for (c_rows, plane) in rows.chunks_exact(K).zip(gxs.chunks_exact_mut((h_in * w_in).max(1))) {
            for (i, prow) in c_rows.iter().enumerate() {
                let Some(line) = image_row(d, u, i).and_then(|row| plane.get_mut(row * w_in..(row + 1) * w_in)) else {
                    continue;
                };
                let whole = (lo == 0 && hi == K)
                    .then(|| line.get_mut(col0 as usize..))
                    .flatten()
                    .and_then(|l| l.first_chunk_mut::<K>());
                if let Some(dst) = whole {
                    dst.iter_mut().zip(prow).for_each(|(g, &v)| *g += v);
                } else {
                    for j in lo..hi {
                        let col = (col0 + j as isize) as usize;
                        if let (Some(g), Some(&v)) = (line.get_mut(col), prow.get(j)) {
                            *g += v;
                        }
                    }
                }
            }
        }
    }
}

/// [`scatter_block`] for any kernel.
fn scatter_any<T: Float>(pg: &[T], d: &[usize; 9], start: usize, gxs: &mut [T]) {
    let [c_in, _, k, s, p, h_in, w_in, _, w_out] = *d;
    let (r, w_out) = (c_in * k * k, w_out.max(1));
    for (q, patch) in pg.chunks_exact(r.max(1)).enumerate() {
        let (u, v) = ((start + q) / w_out, (start + q) % w_out);
        let col0 = (v * s) as isize - p as isize;
        let (lo, hi) = inside_cols(col0, k, w_in);
        for (pc, plane) in patch
            .chunks_exact((k * k).max(1))
            .zip(gxs.chunks_exact_mut((h_in * w_in).max(1)))
        {
            for (i, prow) in pc.chunks_exact(k.max(1)).enumerate() {
                let Some(row) = image_row(d, u, i).filter(|_| lo < hi) else {
                    continue;
                };
                let at = row * w_in + (col0 + lo as isize) as usize;
                if let (Some(dst), Some(src)) = (plane.get_mut(at..at + (hi - lo)), prow.get(lo..hi)) {
                    dst.iter_mut().zip(src).for_each(|(g, &v)| *g += v);
                }
            }
        }
    }
}

/// Forward over every sample of the batch.
pub(crate) fn forward<T: Float>(d: &Conv2dDims, x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T]) {
    let dz = sizes(d);
    let [c_in, c_out, _, _, _, h_in, w_in, h_out, w_out] = dz;
    match (w, b) {
        (Src::Vals(wv), Src::Vals(bv)) if gemm::TILED && fits(&dz) => forward_host(&dz, x, wv, bv, y),
        _ => {
            let samples = x.chunks_exact(c_in * h_in * w_in);
            for (xs, ys) in samples.zip(y.chunks_exact_mut(c_out * h_out * w_out)) {
                plain::forward(&dz, xs, w, b, ys);
            }
        }
    }
}

/// [`forward`] on a host: the buffers and the packed weights are made once
/// per call, not once per sample. Where the patch fits a panel, the
/// positions go [`NP`] at a time through [`sample_panels`], the rest (and
/// every position otherwise) through [`sample_blocked`].
#[inline(never)]
fn forward_host<T: Float>(d: &[usize; 9], x: &[T], w: &[T], b: &[T], y: &mut [T]) {
    let [c_in, c_out, k, _, _, h_in, w_in, h_out, w_out] = *d;
    let (r, positions) = (c_in * k * k, h_out * w_out);
    let mut bufs = bufs();
    let mut panel = gemm::Panel::new();
    let groups = if r <= gemm::K_PACK && paddable(d) {
        positions / NP
    } else {
        0
    };
    let from = groups * NP;
    let packed = if from < positions {
        gemm::PackedWeights::new(w, r, c_out)
    } else {
        None
    };
    for (xs, ys) in x
        .chunks_exact(c_in * h_in * w_in)
        .zip(y.chunks_exact_mut(c_out * positions))
    {
        if groups > 0 {
            sample_panels(d, xs, w, b, ys, groups, &mut bufs, &mut panel);
        }
        if from < positions {
            sample_blocked(d, xs, w, b, ys, from, block_len(d), &mut bufs, packed.as_ref());
        }
    }
}

/// Positions per panel of [`sample_panels`].
const NP: usize = gemm::NP;

/// Whether a sample's padding can be written out in its copy (or there is none).
fn paddable(d: &[usize; 9]) -> bool {
    let [c_in, _, _, _, p, h_in, w_in, ..] = *d;
    p == 0 || c_in * (h_in + 2 * p) * (w_in + 2 * p) <= PAD_BUF
}

/// The first `groups · NP` positions of one sample (hosts): the patches of
/// [`NP`] positions gathered transposed, `[c_in·k²][NP]` ([`gather_panel`]),
/// and every output channel's [`NP`] outputs from them at once
/// ([`gemm::nt_panel_cols`], each a dot product in [`dot`](super::kernel::dot)'s
/// lane order), stored in the sample's `[c_out][positions]` as they are.
#[allow(clippy::too_many_arguments)]
fn sample_panels<T: Float>(
    d: &[usize; 9],
    xs: &[T],
    w: &[T],
    b: &[T],
    ys: &mut [T],
    groups: usize,
    bufs: &mut Bufs<T>,
    panel: &mut gemm::Panel<T>,
) {
    let [c_in, _, k, _, _, _, _, h_out, w_out] = *d;
    let (r, positions) = (c_in * k * k, h_out * w_out);
    let (_, _, pad) = bufs;
    let padded = pad_sample(xs, d, pad);
    let (xs, d) = match &padded {
        Some(dp) => (&pad[..], dp),
        None => (xs, d),
    };
    let Some(panel) = panel.0.get_mut(..r) else {
        return;
    };
    for g in 0..groups {
        gather_panel(xs, d, g * NP, panel);
        gemm::nt_panel_cols(w, panel, b, ys, r, positions, g * NP);
    }
}

/// `panel[t][q]` = term `t` (weight order `c, i, j`) of the patch of
/// position `pos0 + q`, for an image without padding (`d`'s `p` is 0).
/// At stride 1, with output rows a whole number of half panels long, each
/// half panel is a run of positions in one output row, and a term's run
/// is a run of pixels: one fixed-size copy per term and half panel.
fn gather_panel<T: Float>(xs: &[T], d: &[usize; 9], pos0: usize, panel: &mut [[T; NP]]) {
    const HALF: usize = NP / 2;
    let [c_in, _, k, s, _, h_in, w_in, _, w_out] = *d;
    let (image, w_out) = (h_in * w_in, w_out.max(1));
    let taps = (0..c_in).flat_map(|c| (0..k).flat_map(move |i| (0..k).map(move |j| c * image + i * w_in + j)));
    if s == 1 && w_out.is_multiple_of(HALF) {
        // the image index of each half panel's first window corner
        let corner = |h: usize| {
            let pos = pos0 + h * HALF;
            (pos / w_out) * w_in + pos % w_out
        };
        let (lo, hi) = (corner(0), corner(1));
        for (row, tap) in panel.iter_mut().zip(taps) {
            let (row_lo, row_hi) = row.split_at_mut(HALF);
            for (dst, at) in [(row_lo, lo), (row_hi, hi)] {
                let src = xs.get(tap + at..).and_then(|x| x.first_chunk::<HALF>());
                if let (Some(src), Some(dst)) = (src, dst.first_chunk_mut::<HALF>()) {
                    *dst = *src;
                }
            }
        }
        return;
    }
    // any stride or width: value by value
    let corners: [usize; NP] = core::array::from_fn(|q| {
        let pos = pos0 + q;
        (pos / w_out) * s * w_in + (pos % w_out) * s
    });
    for (row, tap) in panel.iter_mut().zip(taps) {
        for (v, &at) in row.iter_mut().zip(&corners) {
            *v = xs.get(tap + at).copied().unwrap_or(T::ZERO);
        }
    }
}

/// One sample's positions from `from` on by gathered blocks of positions
/// and the matrix kernel (hosts).
#[allow(clippy::too_many_arguments)]
fn sample_blocked<T: Float>(
    d: &[usize; 9],
    xs: &[T],
    w: &[T],
    b: &[T],
    ys: &mut [T],
    from: usize,
    block: usize,
    bufs: &mut Bufs<T>,
    packed: Option<&gemm::PackedWeights<T>>,
) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (r, positions) = (c_in * k * k, h_out * w_out);
    let (patches, outs, pad) = bufs;
    let padded = pad_sample(xs, d, pad);
    let (xs, d) = match &padded {
        Some(dp) => (&pad[..], dp),
        None => (xs, d),
    };
    for start in (from..positions).step_by(block.max(1)) {
        let n = block.min(positions - start);
        gather_block(xs, d, start, n, patches);
        let (Some(pv), Some(ov)) = (patches.get(..n * r), outs.get_mut(..n * c_out)) else {
            return;
        };
        match packed {
            Some(pw) => pw.nt(pv, w, b, ov),
            None => gemm::nt(pv, w, b, ov, r, c_out),
        }
        // `[position][c_out]` → the sample's `[c_out][position]`
        if let Some(ys) = ys.get_mut(start..) {
            transpose(ov, c_out, ys, positions, n, c_out);
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
    let mut bufs = bufs();
    match which {
        0 => {
            if host && input_grad_whole_batch(&dz, w, gy, gx, &mut bufs) {
                return;
            }
            for (gys, gxs) in samples.zip(gx.chunks_exact_mut(c_in * h_in * w_in)) {
                if host {
                    input_grad_blocked(&dz, w, gys, gxs, &mut bufs);
                } else {
                    plain::input_grad(&dz, w, gys, gxs);
                }
            }
        }
        1 => {
            for (gys, xs) in samples.zip(x.chunks_exact(c_in * h_in * w_in)) {
                if host {
                    weight_grad_blocked(&dz, xs, gys, gx, &mut bufs);
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
    if let Some(gys) = gys.get(start..) {
        transpose(gys, plane, out, c_out, c_out, n);
    }
}

/// `dst[j·dst_stride + i] = src[i·src_stride + j]` for `i < rows`, `j <
/// cols`: `dst` written row by row, `src` read down its columns (the
/// `rows` lines it touches stay in the L1 cache from one column to the
/// next). Values outside either slice are skipped.
fn transpose<T: Float>(src: &[T], src_stride: usize, dst: &mut [T], dst_stride: usize, rows: usize, cols: usize) {
    for j in 0..cols {
        let Some(out) = dst.get_mut(j * dst_stride..).and_then(|d| d.get_mut(..rows)) else {
            return;
        };
        for (i, v) in out.iter_mut().enumerate() {
            if let Some(&x) = src.get(i * src_stride + j) {
                *v = x;
            }
        }
    }
}

/// `∂w += Σ_blocks (patchesᵀ · ∂y)` for one sample, block by block (hosts).
fn weight_grad_blocked<T: Float>(d: &[usize; 9], xs: &[T], gys: &[T], gw: &mut [T], bufs: &mut Bufs<T>) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (r, plane, block) = (c_in * k * k, h_out * w_out, block_len(d));
    let (patches, grads, pad) = bufs;
    let padded = pad_sample(xs, d, pad);
    let (xs, dg) = match &padded {
        Some(dp) => (&pad[..], dp),
        None => (xs, d),
    };
    for start in (0..plane).step_by(block) {
        let n = block.min(plane - start);
        gather_block(xs, dg, start, n, patches);
        gather_grads(gys, plane, start, n, grads, c_out);
        if let (Some(pv), Some(gv)) = (patches.get(..n * r), grads.get(..n * c_out)) {
            gemm::tn_acc(gv, pv, gw, r, c_out);
        }
    }
}

/// `∂x += col2im(∂y · w)` for one sample, block by block (hosts).
fn input_grad_blocked<T: Float>(d: &[usize; 9], w: &[T], gys: &[T], gxs: &mut [T], bufs: &mut Bufs<T>) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (r, plane, block) = (c_in * k * k, h_out * w_out, block_len(d));
    let (patch_grads, grads, pad) = bufs;
    let padded = pad_sample(gxs, d, pad);
    for start in (0..plane).step_by(block) {
        let n = block.min(plane - start);
        gather_grads(gys, plane, start, n, grads, c_out);
        let (Some(pg), Some(gv)) = (patch_grads.get_mut(..n * r), grads.get(..n * c_out)) else {
            return;
        };
        gemm::nn_fresh(gv, w, pg, r, c_out);
        match &padded {
            Some(dp) => scatter_block(pg, dp, start, pad),
            None => scatter_block(pg, d, start, gxs),
        }
    }
    if padded.is_some() {
        unpad_sample(pad, d, gxs);
    }
}

/// Scalars of the host's buffer of the weights transposed to
/// `[c_in·k²][c_out]` ([`input_grad_whole`]).
const WT_BUF: usize = 16384;

/// How many input channels [`input_grad_whole`] takes at once (the
/// gradients of their patch terms over every position fill the patch
/// buffer), or 0 when it does not apply: the transposed weights do not fit
/// their buffer, not even one channel fits, or the padding cannot be
/// written out in the sample's copy.
fn whole_channels(d: &[usize; 9]) -> usize {
    let [c_in, c_out, k, _, _, _, w_in, h_out, w_out] = *d;
    let fits = c_in * k * k * c_out <= WT_BUF && paddable(d) && w_in > 0;
    if fits {
        (PATCH_BUF / (k * k * h_out * w_out).max(1)).min(c_in)
    } else {
        0
    }
}

/// [`input_grad_whole`] over every sample of the batch, with the weights
/// transposed once; `false` (and nothing written) where it does not apply
/// ([`whole_channels`]).
#[inline(never)]
fn input_grad_whole_batch<T: Float>(d: &[usize; 9], w: &[T], gy: &[T], gx: &mut [T], bufs: &mut Bufs<T>) -> bool {
    let [c_in, c_out, k, _, _, h_in, w_in, h_out, w_out] = *d;
    let (r, channels) = (c_in * k * k, whole_channels(d));
    let mut wt = [T::ZERO; WT_BUF];
    let Some(wt) = wt.get_mut(..r * c_out).filter(|_| channels > 0) else {
        return false;
    };
    transpose(w, r, wt, c_out, c_out, r);
    let samples = gy.chunks_exact(c_out * h_out * w_out);
    for (gys, gxs) in samples.zip(gx.chunks_exact_mut(c_in * h_in * w_in)) {
        input_grad_whole(d, wt, gys, gxs, bufs, channels);
    }
    true
}

/// `∂x += col2im(∂y · w)` for one sample (hosts), in the transposed
/// orientation: the gradients of the patch terms, `[c_in·k²][positions]`,
/// are `wᵀ · ∂y` ([`gemm::nn_fresh`] over the sample's `[c_out][positions]`
/// as it lies, `channels` input channels at a time: each element the sum
/// over the output channels from zero, as in [`input_grad_blocked`]), then
/// added onto the image a run of positions at a time ([`add_term_rows`]).
fn input_grad_whole<T: Float>(d: &[usize; 9], wt: &[T], gys: &[T], gxs: &mut [T], bufs: &mut Bufs<T>, channels: usize) {
    let [c_in, c_out, k, _, _, _, _, h_out, w_out] = *d;
    let (kk, plane) = (k * k, h_out * w_out);
    let (term_grads, _, pad) = bufs;
    let padded = pad_sample(gxs, d, pad);
    for c0 in (0..c_in).step_by(channels.max(1)) {
        let c1 = (c0 + channels).min(c_in);
        let (Some(wt), Some(tg)) = (
            wt.get(c0 * kk * c_out..c1 * kk * c_out),
            term_grads.get_mut(..(c1 - c0) * kk * plane),
        ) else {
            return;
        };
        gemm::nn_fresh(wt, gys, tg, plane, c_out);
        match &padded {
            Some(dp) => add_term_rows(tg, dp, c0, pad),
            None => add_term_rows(tg, d, c0, gxs),
        }
    }
    if padded.is_some() {
        unpad_sample(pad, d, gxs);
    }
}

/// Adds the gradients of the patch terms of channels `c0..`, rows
/// `[(c, i, j)][positions]`, onto an image without padding (`d`'s `p` is
/// 0): for each channel, kernel rows `i` and columns `j` from the last to
/// the first, each output row's run of positions onto an image row. Every
/// pixel so takes its terms in the order of ascending positions (a later
/// `(i, j)` is an earlier position), the order of [`scatter_block`] and
/// [`plain::input_grad`], and the adds of a run are independent.
fn add_term_rows<T: Float>(tg: &[T], d: &[usize; 9], c0: usize, gxs: &mut [T]) {
    let [_, _, k, s, _, h_in, w_in, h_out, w_out] = *d;
    let (kk, plane, image) = (k * k, h_out * w_out, h_in * w_in);
    for (c, tc) in tg.chunks_exact((kk * plane).max(1)).enumerate() {
        let Some(gc) = gxs.get_mut((c0 + c) * image..(c0 + c + 1) * image) else {
            return;
        };
        for i in (0..k).rev() {
            for j in (0..k).rev() {
                let term = tc.get((i * k + j) * plane..(i * k + j + 1) * plane).unwrap_or(&[]);
                let runs = term.chunks_exact(w_out.max(1));
                let Some(from) = gc.get_mut(i * w_in + j..) else {
                    continue;
                };
                if s == 1 {
                    // output row `u`'s run onto image row `u + i`, from column `j`
                    if w_out == LANES {
                        add_runs_fixed::<T, LANES>(from.chunks_mut(w_in.max(1)), runs);
                        continue;
                    }
                    for (dst, run) in from.chunks_mut(w_in.max(1)).zip(runs) {
                        if let Some(dst) = dst.get_mut(..w_out) {
                            dst.iter_mut().zip(run).for_each(|(g, &v)| *g += v);
                        }
                    }
                } else {
                    for (dst, run) in from.chunks_mut((s * w_in).max(1)).zip(runs) {
                        dst.iter_mut().step_by(s).zip(run).for_each(|(g, &v)| *g += v);
                    }
                }
            }
        }
    }
}

/// [`add_term_rows`]' runs when they are `W` long: each run one
/// fixed-size add onto the first `W` values of its image row.
#[inline(always)]
fn add_runs_fixed<'a, T: Float + 'a, const W: usize>(
    rows: impl Iterator<Item = &'a mut [T]>,
    runs: core::slice::ChunksExact<'_, T>,
) {
    for (dst, run) in rows.zip(runs) {
        if let (Some(dst), Some(run)) = (dst.first_chunk_mut::<W>(), run.first_chunk::<W>()) {
            *dst = core::array::from_fn(|l| dst[l] + run[l]);
        }
    }
}

mod plain;
#[cfg(test)]
mod tests;
