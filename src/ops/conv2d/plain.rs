//! `Conv2d` as plain loops, for targets without vector units: every patch
//! term is read from the image as it is used (no buffer), and every sum is
//! formed in the blocks and order of the host's matrix kernels, so a chip
//! computes the host's bits.

use super::{TILE_COLS, at, block_len, tap};
use crate::float::Float;
use crate::ops::Src;
use crate::ops::kernel::{LANES, madd, madd_to, reduce_lanes};

/// Patch term `t` of position `pos`, zero in the padding.
#[inline]
fn term<T: Float>(xs: &[T], d: &[usize; 9], pos: usize, t: usize) -> T {
    let (c, row, col) = tap(d, pos, t);
    at(xs, d, c, row, col)
}

/// One sample's outputs: `b[o]` plus the dot product of `w[o]` with each
/// position's patch, in [`dot`](crate::ops::kernel::dot)'s lane order.
pub(crate) fn forward<T: Float>(d: &[usize; 9], xs: &[T], w: Src<'_, T>, b: Src<'_, T>, ys: &mut [T]) {
    let [c_in, _, k, _, _, _, _, h_out, w_out] = *d;
    let r = c_in * k * k;
    let whole = r - r % LANES;
    for (o, yo) in ys.chunks_exact_mut(h_out * w_out).enumerate() {
        let wo = w.row(o, r);
        for (pos, yv) in yo.iter_mut().enumerate() {
            let mut acc = [T::ZERO; LANES];
            let mut tail = T::ZERO;
            for t in 0..r {
                let (v, wt) = (term(xs, d, pos, t), wo.get(t));
                match acc.get_mut(t % LANES).filter(|_| t < whole) {
                    Some(lane) => madd_to(lane, v, wt),
                    None => madd_to(&mut tail, v, wt),
                }
            }
            *yv = b.get(o) + reduce_lanes(acc, tail);
        }
    }
}

/// One sample's `∂w[o][t] += Σ_pos ∂y[o][pos] patch[pos][t]`: per block of
/// positions a sum from zero added at once, on the columns the kernel tiles;
/// term by term past the last tile.
pub(crate) fn weight_grad<T: Float>(d: &[usize; 9], xs: &[T], gys: &[T], gw: &mut [T]) {
    let [c_in, _, k, _, _, _, _, h_out, w_out] = *d;
    let (r, plane, block) = (c_in * k * k, h_out * w_out, block_len(d));
    let tiled = r - r % TILE_COLS;
    for (gyo, gwo) in gys.chunks_exact(plane).zip(gw.chunks_exact_mut(r)) {
        for (t, g) in gwo.iter_mut().enumerate() {
            for (b, gyb) in gyo.chunks(block).enumerate() {
                let terms = gyb
                    .iter()
                    .enumerate()
                    .map(|(q, &gv)| (gv, term(xs, d, b * block + q, t)));
                if t < tiled {
                    *g += terms.fold(T::ZERO, |s, (gv, xv)| madd(s, gv, xv));
                } else {
                    terms.for_each(|(gv, xv)| madd_to(g, gv, xv));
                }
            }
        }
    }
}

/// One sample's `∂x += col2im(∂y · w)`: each patch term's gradient summed
/// over the output channels from zero, then added onto the image.
pub(crate) fn input_grad<T: Float>(d: &[usize; 9], w: &[T], gys: &[T], gxs: &mut [T]) {
    let [c_in, _, k, _, _, h_in, w_in, h_out, w_out] = *d;
    let (r, plane) = (c_in * k * k, h_out * w_out);
    for pos in 0..plane {
        for t in 0..r {
            let (c, row, col) = tap(d, pos, t);
            if row < 0 || col < 0 || row as usize >= h_in || col as usize >= w_in {
                continue;
            }
            let g = gys
                .chunks_exact(plane)
                .zip(w.chunks_exact(r))
                .fold(T::ZERO, |s, (gyo, wo)| {
                    madd(
                        s,
                        gyo.get(pos).copied().unwrap_or(T::ZERO),
                        wo.get(t).copied().unwrap_or(T::ZERO),
                    )
                });
            if let Some(v) = gxs.get_mut((c * h_in + row as usize) * w_in + col as usize) {
                *v += g;
            }
        }
    }
}
