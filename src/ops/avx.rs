//! The batch-1 dense forward's eight dot products ([`gemm`](super::gemm)'s
//! `dot_row`) in x86-64 AVX intrinsics, for `f32`.
//!
//! Why intrinsics here. The portable `dot_row` keeps eight rows' sums of
//! 8 lanes each in one array and lets LLVM's SLP vectoriser choose how to
//! pack them. It has two choices: lanes of one row per vector (a vector load
//! of each weight row, the fast form), or one lane of the eight rows per
//! vector (eight gathers per step). Which one it takes depends on the order
//! in which earlier passes left the 64 sums, and that order changes with
//! edits elsewhere in the crate: the same source of this loop measured
//! 3.4 µs and 14.7 µs per image for the 256-128-64-10 MLP's inference at
//! batch 1, in two builds that differed only in an unrelated function of the
//! graph walk (another arrangement of its reduction measured 8.1 µs). Here
//! the eight rows' sums are eight AVX registers by construction, and their
//! final sums are taken for the eight rows at once ([`reduce_rows`]).
//! Measured with `--bench speed mlp-infer-b1`, alternating builds: 3.79 →
//! 3.36 µs per image by default, 4.21 → 3.38 µs with the `fma` feature.
//!
//! Same bits as the portable path: lane `l` of row `u` adds
//! `x[8k + l] · w_u[8k + l]` for `k = 0, 1, …` in order, a multiply then an
//! add (one fused multiply-add with the `fma` feature, as
//! [`madd`](super::kernel::madd)), then the terms past the last whole chunk
//! and [`reduce_lanes`](super::kernel::reduce_lanes)' tree, here summed
//! for the eight rows at once with the same operands in the same order.
//! `gemm`'s tests compare the two forms bit for bit (`avx_rows_match_portable`)
//! and the batch-1 rows of `nt` against `dot` (`nt_matches_dot`).
//!
//! The only `unsafe`: the loads and stores, each of one `[f32; 8]` through
//! a pointer to it, and [`as_f32`]'s view of a `&[T]` as the `&[f32]` it is
//! when `T` is `f32`.
#![allow(unsafe_code)]

use core::any::TypeId;
use core::arch::x86_64::{__m256, _mm256_loadu_ps, _mm256_setzero_ps, _mm256_storeu_ps};

use super::kernel::{LANES, madd};
use crate::float::Float;

/// Rows per call, as `gemm`'s `NR1`.
pub(crate) const ROWS: usize = 8;

/// `[Σ_i x[i] w_u[i] for u in 0..8]`, each in [`dot`](super::kernel::dot)'s
/// lane order, over the shortest of the nine slices (the rows of a dense
/// layer are all as long as `x`).
#[inline]
pub(crate) fn dot_row(x: &[f32], w: [&[f32]; ROWS]) -> [f32; ROWS] {
    let n = w.iter().fold(x.len(), |n, r| n.min(r.len()));
    let (x, w) = (x.get(..n).unwrap_or(&[]), w.map(|r| r.get(..n).unwrap_or(&[])));
    let xc = x.as_chunks::<LANES>().0;
    let [c0, c1, c2, c3, c4, c5, c6, c7] = w.map(|r| r.as_chunks::<LANES>().0);
    // One zip of the nine rows' chunks, as the portable loop.
    let steps = xc
        .iter()
        .zip(c0)
        .zip(c1)
        .zip(c2)
        .zip(c3)
        .zip(c4)
        .zip(c5)
        .zip(c6)
        .zip(c7);
    // SAFETY (this and every intrinsic call below): the module is compiled
    // only when the build enables AVX (and FMA for the `fma` feature), so
    // every core that runs it has the instructions.
    let mut acc = [unsafe { _mm256_setzero_ps() }; ROWS];
    for ((((((((xk, k0), k1), k2), k3), k4), k5), k6), k7) in steps {
        let xv = load(xk);
        for (a, wk) in acc.iter_mut().zip([k0, k1, k2, k3, k4, k5, k6, k7]) {
            *a = step(*a, xv, load(wk));
        }
    }
    let split = xc.len() * LANES;
    let tails = match x.get(split..) {
        Some(xt) if !xt.is_empty() => w.map(|r| {
            let tail = xt.iter().zip(r.get(split..).unwrap_or(&[]));
            tail.fold(0.0, |t, (&p, &q)| madd(t, p, q))
        }),
        _ => [0.0; ROWS],
    };
    reduce_rows(acc, tails)
}

/// [`reduce_lanes`](super::kernel::reduce_lanes) of eight rows' registers at once, level by level of its
/// tree: `((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) + tail`, every
/// sum with the same operands in the same order, eight rows per vector sum.
#[inline(always)]
fn reduce_rows(a: [__m256; ROWS], tail: [f32; ROWS]) -> [f32; ROWS] {
    use core::arch::x86_64::{_mm256_add_ps, _mm256_permute2f128_ps, _mm256_shuffle_ps};
    let [a0, a1, a2, a3, a4, a5, a6, a7] = a;
    // SAFETY: as in `dot_row`: the build enables AVX.
    let d = unsafe {
        // s_j + s_{j+4}: rows u and u + 1 as [h_u | h_{u+1}], four lanes each.
        let half = |p: __m256, q: __m256| {
            _mm256_add_ps(
                _mm256_permute2f128_ps::<0x20>(p, q),
                _mm256_permute2f128_ps::<0x31>(p, q),
            )
        };
        let (h01, h23, h45, h67) = (half(a0, a1), half(a2, a3), half(a4, a5), half(a6, a7));
        // Even and odd places of two vectors, 128-bit half by half: the next
        // level's sums, first operand from the even place.
        let pairs = |p: __m256, q: __m256| {
            _mm256_add_ps(
                _mm256_shuffle_ps::<0b10_00_10_00>(p, q),
                _mm256_shuffle_ps::<0b11_01_11_01>(p, q),
            )
        };
        // [q0, q2 | q1, q3] (two sums per row), then [d0, d2, d4, d6 | d1, d3, d5, d7].
        pairs(pairs(h01, h23), pairs(h45, h67))
    };
    let d = lanes(d);
    /// Where row `u`'s sum lies in `d`.
    const PLACE: [usize; ROWS] = [0, 4, 1, 5, 2, 6, 3, 7];
    core::array::from_fn(|u| d[PLACE[u]] + tail[u])
}

/// [`dot_row`] for a graph's float type: `Some` when `T` is `f32`, `None`
/// otherwise (the portable form's case; the test folds away once `T` is
/// known).
#[inline(always)]
pub(crate) fn dot_row_of<T: Float>(x: &[T], w: [&[T]; ROWS]) -> Option<[T; ROWS]> {
    let x = as_f32(x)?;
    // the rows have `x`'s type, so they are `f32` too
    let sums = dot_row(x, w.map(|r| as_f32(r).unwrap_or(&[])));
    Some(sums.map(|s| T::from_f64(f64::from(s))))
}

/// `s` as `&[f32]` when `T` is `f32`, `None` otherwise.
#[inline(always)]
fn as_f32<T: Float>(s: &[T]) -> Option<&[f32]> {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        // SAFETY: `T` is `f32` (same `TypeId`), so the slice's memory,
        // length and lifetime are those of a `[f32]`.
        Some(unsafe { core::slice::from_raw_parts(s.as_ptr().cast::<f32>(), s.len()) })
    } else {
        None
    }
}

/// One chunk of eight floats in a register.
#[inline(always)]
fn load(chunk: &[f32; LANES]) -> __m256 {
    // SAFETY: the pointer is to an array of eight `f32`, exactly what an
    // unaligned 256-bit load reads; the build enables AVX.
    unsafe { _mm256_loadu_ps(chunk.as_ptr()) }
}

/// A register's eight lanes.
#[inline(always)]
fn lanes(v: __m256) -> [f32; LANES] {
    let mut out = [0.0f32; LANES];
    // SAFETY: the pointer is to an array of eight `f32`, exactly what an
    // unaligned 256-bit store writes; the build enables AVX.
    unsafe { _mm256_storeu_ps(out.as_mut_ptr(), v) };
    out
}

/// `acc + x · w` lane by lane, a multiply then an add.
#[cfg(not(feature = "fma"))]
#[inline(always)]
fn step(acc: __m256, x: __m256, w: __m256) -> __m256 {
    use core::arch::x86_64::{_mm256_add_ps, _mm256_mul_ps};
    // SAFETY: as in `dot_row`: the build enables AVX.
    unsafe { _mm256_add_ps(acc, _mm256_mul_ps(x, w)) }
}

/// `x · w + acc` lane by lane, rounded once (the `fma` feature).
#[cfg(feature = "fma")]
#[inline(always)]
fn step(acc: __m256, x: __m256, w: __m256) -> __m256 {
    use core::arch::x86_64::_mm256_fmadd_ps;
    // SAFETY: as in `dot_row`: the build enables AVX and FMA.
    unsafe { _mm256_fmadd_ps(x, w, acc) }
}
