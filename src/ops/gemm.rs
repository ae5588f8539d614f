//! Register-tiled matrix products for the dense and convolution ops, in safe
//! Rust written so the compiler vectorises it: fixed-size tiles of
//! accumulators, slices converted to arrays once per step (one bounds check,
//! none in the inner loop), and a fixed summation order, so results are the
//! same on every target.
//!
//! Three shapes cover a dense layer's forward and backward passes
//! (row-major throughout, `W` stored `[out][in]`):
//!
//! - [`nt`]: `Y[r][o] = b[o] + Σ_i X[r][i] W[o][i]` (forward), as tiles of dot products;
//! - [`nn_acc`]: `GX[r][i] += Σ_o GY[r][o] W[o][i]` (gradient of the input);
//! - [`tn_acc`]: `GW[o][i] += Σ_r GY[r][o] X[r][i]` (gradient of the weight).
//!
//! The last two are sums of rank-1 updates run by one micro-kernel
//! ([`rank1_tile`]) fed by two different iterators.

use super::kernel::{LANES, axpy, dot, reduce_lanes};
use crate::float::Float;

/// Rows of a tile (the row splits in [`nn_acc`] and [`dot_tile`] are written for 4).
const MR: usize = 4;
/// Columns of a rank-1 tile: two vectors of `LANES`.
const CW: usize = 2 * LANES;
/// Outputs per dot-product tile in [`nt`] (written out for 4 in [`dot_tile`]).
const NR: usize = 4;
/// Rows of `x` per cache block in [`tn_acc`].
const ROW_BLOCK: usize = 64;

/// Whether the register tiles pay off: on targets with vector units and
/// many registers. On microcontrollers (a scalar FPU or soft float, 16
/// core registers) the plain loops take fewer instructions and less stack.
/// Both forms sum every output in the same order when the gradients start
/// at zero and a batch holds at most [`ROW_BLOCK`] rows, so a model trains
/// to the same bits on a desktop and on a chip.
const TILED: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64"
));

/// `y[r][o] = b[o] + Σ_i x[r][i] w[o][i]` for `x` of `inp` columns and `y` of `out`.
#[inline(never)]
pub(crate) fn nt<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    if TILED {
        return nt_tiled(x, w, b, y, inp, out);
    }
    for (xr, yr) in x.chunks_exact(inp).zip(y.chunks_exact_mut(out)) {
        for ((yo, wo), &bo) in yr.iter_mut().zip(w.chunks_exact(inp)).zip(b) {
            *yo = bo + dot(xr, wo);
        }
    }
}

/// `gx[r][i] += Σ_o gy[r][o] w[o][i]`.
#[inline(never)]
pub(crate) fn nn_acc<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    if TILED {
        return nn_acc_tiled(gy, w, gx, inp, out);
    }
    for (gxr, gyr) in gx.chunks_exact_mut(inp).zip(gy.chunks_exact(out)) {
        for (&g, wo) in gyr.iter().zip(w.chunks_exact(inp)) {
            axpy(gxr, g, wo);
        }
    }
}

/// `gw[o][i] += Σ_r gy[r][o] x[r][i]`.
#[inline(never)]
pub(crate) fn tn_acc<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    if TILED {
        return tn_acc_tiled(gy, x, gw, inp, out);
    }
    for (xr, gyr) in x.chunks_exact(inp).zip(gy.chunks_exact(out)) {
        for (&g, gwo) in gyr.iter().zip(gw.chunks_exact_mut(inp)) {
            axpy(gwo, g, xr);
        }
    }
}

/// [`nt`] in register tiles of [`MR`] rows by [`NR`] outputs.
fn nt_tiled<T: Float>(x: &[T], w: &[T], b: &[T], y: &mut [T], inp: usize, out: usize) {
    let mut xs = x.chunks_exact(MR * inp);
    let mut ys = y.chunks_exact_mut(MR * out);
    for (xb, yb) in (&mut xs).zip(&mut ys) {
        let xr: [&[T]; MR] = core::array::from_fn(|t| xb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
        let mut wo = w.chunks_exact(NR * inp);
        let mut o = 0;
        for wb in &mut wo {
            let wr: [&[T]; NR] = core::array::from_fn(|t| wb.get(t * inp..(t + 1) * inp).unwrap_or(&[]));
            let sums = dot_tile(xr, wr);
            for (t, row) in sums.iter().enumerate() {
                for (u, &s) in row.iter().enumerate() {
                    if let (Some(yv), Some(&bv)) = (yb.get_mut(t * out + o + u), b.get(o + u)) {
                        *yv = bv + s;
                    }
                }
            }
            o += NR;
        }
        for (u, wr) in wo.remainder().chunks_exact(inp).enumerate() {
            for (t, xrow) in xr.iter().enumerate() {
                if let (Some(yv), Some(&bv)) = (yb.get_mut(t * out + o + u), b.get(o + u)) {
                    *yv = bv + dot(xrow, wr);
                }
            }
        }
    }
    for (xr, yr) in xs
        .remainder()
        .chunks_exact(inp)
        .zip(ys.into_remainder().chunks_exact_mut(out))
    {
        for ((yo, wo), &bo) in yr.iter_mut().zip(w.chunks_exact(inp)).zip(b) {
            *yo = bo + dot(xr, wo);
        }
    }
}

/// `MR × NR` dot products of equal-length rows, each in [`dot`]'s lane order.
#[inline]
fn dot_tile<T: Float>(x: [&[T]; MR], w: [&[T]; NR]) -> [[T; NR]; MR] {
    let [x0, x1, x2, x3] = x.map(|r| r.as_chunks::<LANES>().0);
    let [w0, w1, w2, w3] = w.map(|r| r.as_chunks::<LANES>().0);
    let z = [[T::ZERO; LANES]; NR];
    let (mut c0, mut c1, mut c2, mut c3) = (z, z, z, z);
    let rows = x0.iter().zip(x1).zip(x2).zip(x3);
    let cols = w0.iter().zip(w1).zip(w2).zip(w3);
    for ((((a0, a1), a2), a3), (((b0, b1), b2), b3)) in rows.zip(cols) {
        let b = [b0, b1, b2, b3];
        c0 = core::array::from_fn(|u| mul_add(c0[u], a0, b[u]));
        c1 = core::array::from_fn(|u| mul_add(c1[u], a1, b[u]));
        c2 = core::array::from_fn(|u| mul_add(c2[u], a2, b[u]));
        c3 = core::array::from_fn(|u| mul_add(c3[u], a3, b[u]));
    }
    let acc = [c0, c1, c2, c3];
    let split = x0.len().min(w0.len()) * LANES;
    core::array::from_fn(|t| {
        core::array::from_fn(|u| {
            let tail = x[t]
                .get(split..)
                .unwrap_or(&[])
                .iter()
                .zip(w[u].get(split..).unwrap_or(&[]));
            reduce_lanes(acc[t][u], tail.fold(T::ZERO, |s, (&p, &q)| s + p * q))
        })
    })
}

/// `acc + a · b`, lane by lane.
#[inline(always)]
fn mul_add<T: Float>(acc: [T; LANES], a: &[T; LANES], b: &[T; LANES]) -> [T; LANES] {
    core::array::from_fn(|l| acc[l] + a[l] * b[l])
}

/// `gx[r][i] += Σ_o gy[r][o] w[o][i]`: rows of `gx` in tiles of [`MR`], each
/// step a rank-1 update by one row of `w`.
fn nn_acc_tiled<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    let mut gys = gy.chunks_exact(MR * out);
    let mut gxs = gx.chunks_exact_mut(MR * inp);
    for (gyb, gxb) in (&mut gys).zip(&mut gxs) {
        let (r0, rest) = gyb.split_at(out);
        let (r1, rest) = rest.split_at(out);
        let (r2, r3) = rest.split_at(out);
        // step o: the MR values gy[r][o] and the row w[o]
        let column = r0
            .iter()
            .zip(r1)
            .zip(r2)
            .zip(r3)
            .map(|(((&a, &b), &c), &d)| [a, b, c, d]);
        let steps = column.zip(w.chunks_exact(inp)).map(|(g, wr)| (g, Some(wr)));
        rank1_acc(steps, gxb, inp);
    }
    for (gyr, gxr) in gys
        .remainder()
        .chunks_exact(out)
        .zip(gxs.into_remainder().chunks_exact_mut(inp))
    {
        let steps = gyr.iter().zip(w.chunks_exact(inp)).map(|(&g, wr)| ([g], Some(wr)));
        rank1_acc(steps, gxr, inp);
    }
}

/// `gw[o][i] += Σ_r gy[r][o] x[r][i]`: rows of `gw` in tiles of [`MR`], each
/// step a rank-1 update by one row of `x`.
fn tn_acc_tiled<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    // Blocks of rows, so that a block of `x` stays in cache while every tile of `gw` sweeps it.
    for (gy, x) in gy.chunks(ROW_BLOCK * out).zip(x.chunks(ROW_BLOCK * inp)) {
        tn_acc_block(gy, x, gw, inp, out);
    }
}

fn tn_acc_block<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    let mut gws = gw.chunks_exact_mut(MR * inp);
    let mut o = 0;
    // The tile's MR columns of gy, gathered once per block (not once per column tile).
    let mut column = [[T::ZERO; MR]; ROW_BLOCK];
    for gwb in &mut gws {
        for (g, gyr) in column.iter_mut().zip(gy.chunks_exact(out)) {
            *g = gyr
                .get(o..o + MR)
                .and_then(|g| <[T; MR]>::try_from(g).ok())
                .unwrap_or([T::ZERO; MR]);
        }
        let steps = column.iter().zip(x.chunks_exact(inp)).map(|(&g, xr)| (g, Some(xr)));
        rank1_acc(steps, gwb, inp);
        o += MR;
    }
    for gwr in gws.into_remainder().chunks_exact_mut(inp) {
        let steps = gy
            .chunks_exact(out)
            .zip(x.chunks_exact(inp))
            .map(|(gyr, xr)| ([gyr.get(o).copied().unwrap_or(T::ZERO)], Some(xr)));
        rank1_acc(steps, gwr, inp);
        o += 1;
    }
}

/// `c[t][i] += Σ_steps a[t] · b[i]` for the `M` rows of `c` (each `n` long),
/// over column tiles of [`CW`] held in registers, then the remaining columns.
fn rank1_acc<'b, T: Float + 'b, const M: usize>(
    steps: impl Iterator<Item = ([T; M], Option<&'b [T]>)> + Clone,
    c: &mut [T],
    n: usize,
) {
    let tiles = n / CW;
    for tile in 0..tiles {
        let col = tile * CW;
        let mut acc = [[T::ZERO; CW]; M];
        for (a, b) in steps.clone() {
            let Some(bv) = b
                .and_then(|b| b.get(col..col + CW))
                .and_then(|s| <&[T; CW]>::try_from(s).ok())
            else {
                continue;
            };
            for (acc_t, &at) in acc.iter_mut().zip(&a) {
                for l in 0..CW {
                    acc_t[l] += at * bv[l];
                }
            }
        }
        for (t, acc_t) in acc.iter().enumerate() {
            if let Some(ct) = c.get_mut(t * n + col..t * n + col + CW) {
                ct.iter_mut().zip(acc_t).for_each(|(cv, &av)| *cv += av);
            }
        }
    }
    let rest = tiles * CW;
    for (a, b) in steps {
        let Some(b) = b.and_then(|b| b.get(rest..)) else {
            continue;
        };
        for (t, &at) in a.iter().enumerate() {
            if let Some(ct) = c.get_mut(t * n + rest..(t + 1) * n) {
                ct.iter_mut().zip(b).for_each(|(cv, &bv)| *cv += at * bv);
            }
        }
    }
}
