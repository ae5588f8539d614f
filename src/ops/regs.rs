//! The dense kernels of targets without vector units (microcontrollers),
//! written so that the [`LANES`] partial sums of a product live in registers.
//!
//! They sum exactly as [`kernel::dot`](super::kernel::dot) and the plain
//! gradient loops do (same terms, same order, so the same bits); only the
//! code shape differs. Firmware is built for size (`opt-level = "s"`), and
//! at that level LLVM does not unroll loops, so an array of partial sums
//! indexed by a loop counter stays in memory and every multiply-add loads
//! and stores its sum. Here every lane is named by a constant index
//! ([`mac`], [`axpy_lanes`]), which lets the array be split into scalars
//! that a scalar FPU (32 single-precision registers on a Cortex-M4F) keeps in
//! registers across the whole loop; a multiply-add is then one `vmla.f32`
//! (product and sum rounded apart: the bits of a multiply and an add). With
//! the opt-in `fma` feature each step is instead one fused multiply-add:
//! `VFMA.F32` on a Cortex-M4F, M7F or M33F (with two register moves each
//! way, [`crate::fma`]), `libm`'s correctly rounded `fmaf` in software
//! elsewhere: the host's fused bits either way.

use super::Src;
use super::kernel::{LANES, madd, madd_to, reduce_lanes};
use crate::float::Float;

mod view;

/// `s[l] += p[l] · q[l]` for each lane, written out so that no lane is indexed by a variable.
#[inline(always)]
fn mac<T: Float>(s: &mut [T; LANES], p: &[T; LANES], q: &[T; LANES]) {
    madd_to(&mut s[0], p[0], q[0]);
    madd_to(&mut s[1], p[1], q[1]);
    madd_to(&mut s[2], p[2], q[2]);
    madd_to(&mut s[3], p[3], q[3]);
    madd_to(&mut s[4], p[4], q[4]);
    madd_to(&mut s[5], p[5], q[5]);
    madd_to(&mut s[6], p[6], q[6]);
    madd_to(&mut s[7], p[7], q[7]);
}

/// [`mac`] for two rows sharing `q`, lane by lane (each `q[l]` is used as
/// soon as it is loaded, which keeps few operands live at once).
#[inline(always)]
fn mac2<T: Float>(s0: &mut [T; LANES], s1: &mut [T; LANES], p0: &[T; LANES], p1: &[T; LANES], q: &[T; LANES]) {
    let q0 = q[0];
    madd_to(&mut s0[0], p0[0], q0);
    madd_to(&mut s1[0], p1[0], q0);
    let q1 = q[1];
    madd_to(&mut s0[1], p0[1], q1);
    madd_to(&mut s1[1], p1[1], q1);
    let q2 = q[2];
    madd_to(&mut s0[2], p0[2], q2);
    madd_to(&mut s1[2], p1[2], q2);
    let q3 = q[3];
    madd_to(&mut s0[3], p0[3], q3);
    madd_to(&mut s1[3], p1[3], q3);
    let q4 = q[4];
    madd_to(&mut s0[4], p0[4], q4);
    madd_to(&mut s1[4], p1[4], q4);
    let q5 = q[5];
    madd_to(&mut s0[5], p0[5], q5);
    madd_to(&mut s1[5], p1[5], q5);
    let q6 = q[6];
    madd_to(&mut s0[6], p0[6], q6);
    madd_to(&mut s1[6], p1[6], q6);
    let q7 = q[7];
    madd_to(&mut s0[7], p0[7], q7);
    madd_to(&mut s1[7], p1[7], q7);
}

/// `s[l] += g · q[l]` for each lane, written out as [`mac`].
#[inline(always)]
fn axpy_lanes<T: Float>(s: &mut [T; LANES], g: T, q: &[T; LANES]) {
    madd_to(&mut s[0], g, q[0]);
    madd_to(&mut s[1], g, q[1]);
    madd_to(&mut s[2], g, q[2]);
    madd_to(&mut s[3], g, q[3]);
    madd_to(&mut s[4], g, q[4]);
    madd_to(&mut s[5], g, q[5]);
    madd_to(&mut s[6], g, q[6]);
    madd_to(&mut s[7], g, q[7]);
}

/// `y[i] += alpha · x[i]`, eight elements per step (each element is one
/// multiply and one add, as in [`kernel::axpy`](super::kernel::axpy)).
#[inline]
pub(crate) fn axpy<T: Float>(y: &mut [T], alpha: T, x: &[T]) {
    let n = y.len().min(x.len());
    let (yc, yt) = y.get_mut(..n).unwrap_or(&mut []).as_chunks_mut::<LANES>();
    let (xc, xt) = x.get(..n).unwrap_or(&[]).as_chunks::<LANES>();
    for (yv, xv) in yc.iter_mut().zip(xc) {
        axpy_lanes(yv, alpha, xv);
    }
    for (yi, &xi) in yt.iter_mut().zip(xt) {
        madd_to(yi, alpha, xi);
    }
}

/// `Σ a[i] b[i]` over the shorter of the two slices, in [`kernel::dot`](super::kernel::dot)'s order.
#[inline]
pub(crate) fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    let (ca, ra) = a.get(..n).unwrap_or(&[]).as_chunks::<LANES>();
    let (cb, rb) = b.get(..n).unwrap_or(&[]).as_chunks::<LANES>();
    let mut s = [T::ZERO; LANES];
    for (p, q) in ca.iter().zip(cb) {
        mac(&mut s, p, q);
    }
    reduce_lanes(s, ra.iter().zip(rb).fold(T::ZERO, |t, (&p, &q)| madd(t, p, q)))
}

/// [`dot`] with `w` in little-endian bytes of `T` (weights read in place
/// from flash), in the same order. Each element is one fixed-size read
/// ([`Float::from_le_slice`]): a single load where the target allows
/// unaligned word loads.
#[inline]
pub(crate) fn dot_bytes<T: Float>(w: &[u8], x: &[T]) -> T {
    let size = T::DTYPE.size();
    let (cw, cx) = (w.chunks_exact(LANES * size), x.chunks_exact(LANES));
    let (rw, rx) = (cw.remainder(), cx.remainder());
    let mut s = [T::ZERO; LANES];
    for (wb, xs) in cw.zip(cx) {
        let (Ok(xs), Some(wv)) = (<&[T; LANES]>::try_from(xs), lanes_from_le::<T>(wb)) else {
            continue;
        };
        mac(&mut s, &wv, xs);
    }
    let tail = rw.chunks_exact(size).zip(rx);
    reduce_lanes(s, tail.fold(T::ZERO, |t, (b, &q)| madd(t, T::from_le_slice(b), q)))
}

/// The [`LANES`] values in `bytes` (`None` unless it holds exactly that many).
#[inline(always)]
fn lanes_from_le<T: Float>(bytes: &[u8]) -> Option<[T; LANES]> {
    let size = T::DTYPE.size();
    if bytes.len() != LANES * size {
        return None;
    }
    let at = |l: usize| T::from_le_slice(bytes.get(l * size..(l + 1) * size).unwrap_or(&[]));
    Some([at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)])
}

/// Outputs summed together by [`nt`]: each input value is loaded once for
/// both, and their 2 × [`LANES`] sums with a group's operands fit a
/// Cortex-M4F's 32 single-precision registers (with three outputs LLVM
/// shuffles and spills the sums, and the loop costs more than it saves).
const GROUP: usize = 2;

/// Whether floats are emulated in software (an Arm core without FPU registers, e.g. a Cortex-M0).
pub(crate) const SOFT_FLOAT: bool = cfg!(all(target_arch = "arm", not(target_abi = "eabihf")));

/// `y[r][o] = b[o] + Σ_i x[r][i] w[o][i]`, each sum in [`dot`]'s order, with
/// `w` and `b` in RAM or in little-endian bytes (read in place from flash).
/// Never inlined: in a function of its own the loop has every register.
/// Parameters in aligned bytes are read as values ([`view::floats`]): one
/// float load per weight instead of an integer load and a move, same sums.
#[inline(never)]
pub(crate) fn nt<T: Float>(x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T], inp: usize, out: usize) {
    let (w, b) = (in_place(w), in_place(b));
    // Rows shorter than a group of lanes have only a tail, and soft float spends its time in
    // calls, not loads: one output at a time costs less (in instructions and in flash).
    if inp < LANES || SOFT_FLOAT {
        for (xr, yr) in x.chunks_exact(inp).zip(y.chunks_exact_mut(out)) {
            singles(xr, w, b, yr, 0, inp);
        }
        return;
    }
    for (xr, yr) in x.chunks_exact(inp).zip(y.chunks_exact_mut(out)) {
        let mut ys = yr.chunks_exact_mut(GROUP);
        let mut o = 0;
        for yg in &mut ys {
            let sums = match w {
                Src::Vals(v) => dot2(xr, [row(v, o, inp), row(v, o + 1, inp)]),
                Src::Bytes(bytes) => {
                    let n = inp * T::DTYPE.size();
                    dot2_bytes(xr, [row(bytes, o, n), row(bytes, o + 1, n)])
                }
            };
            for ((yv, s), k) in yg.iter_mut().zip(sums).zip(o..) {
                *yv = b.get(k) + s;
            }
            o += GROUP;
        }
        singles(xr, w, b, ys.into_remainder(), o, inp);
    }
}

/// `src` as values when its bytes are aligned floats ([`view::floats`]), else itself.
#[inline(always)]
fn in_place<T: Float>(src: Src<'_, T>) -> Src<'_, T> {
    match src {
        Src::Bytes(bytes) => view::floats(bytes).map_or(src, Src::Vals),
        vals => vals,
    }
}

/// `y[k] = b[o + k] + Σ_i x[i] w[o + k][i]`, one output at a time.
fn singles<T: Float>(x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T], o: usize, inp: usize) {
    if let (Src::Vals(w), Src::Vals(b)) = (w, b) {
        let (w, b) = (w.get(o * inp..).unwrap_or(&[]), b.get(o..).unwrap_or(&[]));
        for ((yv, wo), &bo) in y.iter_mut().zip(w.chunks_exact(inp)).zip(b) {
            *yv = bo + dot(x, wo);
        }
        return;
    }
    for (yv, k) in y.iter_mut().zip(o..) {
        *yv = b.get(k) + w.row(k, inp).dot(x);
    }
}

/// Row `i` of `n` elements of `v` (empty when out of range).
#[inline(always)]
fn row<E>(v: &[E], i: usize, n: usize) -> &[E] {
    v.get(i * n..(i + 1) * n).unwrap_or(&[])
}

/// Two dot products of `x` with the rows `w`, each in [`dot`]'s order.
#[inline(always)]
fn dot2<T: Float>(x: &[T], w: [&[T]; GROUP]) -> [T; GROUP] {
    let n = w.iter().fold(x.len(), |n, r| n.min(r.len()));
    let (xc, xt) = x.get(..n).unwrap_or(&[]).as_chunks::<LANES>();
    let [(c0, t0), (c1, t1)] = w.map(|r| r.get(..n).unwrap_or(&[]).as_chunks::<LANES>());
    let (mut s0, mut s1) = ([T::ZERO; LANES], [T::ZERO; LANES]);
    for ((xv, a), b) in xc.iter().zip(c0).zip(c1) {
        mac2(&mut s0, &mut s1, a, b, xv);
    }
    let tail = |t: &[T]| t.iter().zip(xt).fold(T::ZERO, |acc, (&p, &q)| madd(acc, p, q));
    [reduce_lanes(s0, tail(t0)), reduce_lanes(s1, tail(t1))]
}

/// [`dot2`] with the rows in little-endian bytes of `T` that are not
/// aligned (else [`nt`] reads them as values). On a Cortex-M4F a weight
/// costs an `ldr` and a `vmov` to the FPU: `vldr` needs word alignment.
#[inline(always)]
fn dot2_bytes<T: Float>(x: &[T], w: [&[u8]; GROUP]) -> [T; GROUP] {
    let size = T::DTYPE.size();
    let n = w.iter().fold(x.len(), |n, r| n.min(r.len() / size));
    let (xc, xt) = x.get(..n).unwrap_or(&[]).as_chunks::<LANES>();
    let [r0, r1] = w.map(|r| r.get(..n * size).unwrap_or(&[]));
    let step = LANES * size;
    let (mut s0, mut s1) = ([T::ZERO; LANES], [T::ZERO; LANES]);
    for ((xv, a), b) in xc.iter().zip(r0.chunks_exact(step)).zip(r1.chunks_exact(step)) {
        let (Some(a), Some(b)) = (lanes_from_le(a), lanes_from_le(b)) else {
            continue;
        };
        mac(&mut s0, &a, xv);
        mac(&mut s1, &b, xv);
    }
    let split = xc.len() * LANES * size;
    let tail = |r: &[u8]| {
        let t = r.get(split..).unwrap_or(&[]).chunks_exact(size).zip(xt);
        t.fold(T::ZERO, |acc, (p, &q)| madd(acc, T::from_le_slice(p), q))
    };
    [reduce_lanes(s0, tail(r0)), reduce_lanes(s1, tail(r1))]
}

/// `c[i] += Σ_steps g · b[i]` with the steps taken in order, each element
/// starting from its value (the order of a loop of `axpy`s): columns in
/// tiles of [`LANES`] whose sums stay in registers over every step, then the
/// remaining columns.
fn acc_steps<'b, T: Float + 'b>(c: &mut [T], steps: impl Iterator<Item = (T, &'b [T])> + Clone) {
    let (tiles, rest) = c.as_chunks_mut::<LANES>();
    let done = tiles.len() * LANES;
    for (t, ct) in tiles.iter_mut().enumerate() {
        let col = t * LANES;
        let mut s = *ct;
        for (g, b) in steps.clone() {
            if let Some(q) = b.get(col..col + LANES).and_then(|q| <&[T; LANES]>::try_from(q).ok()) {
                axpy_lanes(&mut s, g, q);
            }
        }
        *ct = s;
    }
    if rest.is_empty() {
        return;
    }
    for (g, b) in steps {
        for (cv, &bv) in rest.iter_mut().zip(b.get(done..).unwrap_or(&[])) {
            madd_to(cv, g, bv);
        }
    }
}

/// `gx[r][i] += Σ_o gy[r][o] w[o][i]`, `o` in order (the order of one
/// `axpy` per output).
pub(crate) fn nn_acc<T: Float>(gy: &[T], w: &[T], gx: &mut [T], inp: usize, out: usize) {
    if inp < LANES {
        // No whole tile: the plain loops cost less.
        for (gxr, gyr) in gx.chunks_exact_mut(inp).zip(gy.chunks_exact(out)) {
            for (&g, wo) in gyr.iter().zip(w.chunks_exact(inp)) {
                axpy(gxr, g, wo);
            }
        }
        return;
    }
    for (gxr, gyr) in gx.chunks_exact_mut(inp).zip(gy.chunks_exact(out)) {
        acc_steps(gxr, gyr.iter().copied().zip(w.chunks_exact(inp)));
    }
}

/// `gw[o][i] += Σ_r gy[r][o] x[r][i]`, `r` in order (the order of one
/// `axpy` per row and output).
pub(crate) fn tn_acc<T: Float>(gy: &[T], x: &[T], gw: &mut [T], inp: usize, out: usize) {
    if inp < LANES {
        // No whole tile: the plain loops cost less.
        for (xr, gyr) in x.chunks_exact(inp).zip(gy.chunks_exact(out)) {
            for (&g, gwo) in gyr.iter().zip(gw.chunks_exact_mut(inp)) {
                axpy(gwo, g, xr);
            }
        }
        return;
    }
    for (o, gwo) in gw.chunks_exact_mut(inp).enumerate().take(out) {
        let steps = gy
            .chunks_exact(out)
            .zip(x.chunks_exact(inp))
            .map(move |(gyr, xr)| (gyr.get(o).copied().unwrap_or(T::ZERO), xr));
        acc_steps(gwo, steps);
    }
}

#[cfg(test)]
mod tests;
