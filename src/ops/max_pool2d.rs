//! `MaxPool2d`: per channel, `y[c][u][v] = max_{i,j} x[c][u·s + i][v·s + j]`
//! over a `k × k` window, layout `[batch][channels][height][width]`, no
//! padding (PyTorch's default).
//!
//! Derivative: the whole `∂y[c][u][v]` goes to the first maximum of its
//! window in row-major order (PyTorch's choice), recomputed from the saved
//! input.
//!
//! Numerics: no arithmetic; finite for every finite input.

use crate::float::{Float, added_to_zero};

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

/// Index (within the channel) and value of the first maximum of the `k × k`
/// window whose first element is `first`, in a channel `w_in` wide. `K` is
/// the window's size when it is known at compile time (2 or 3), else 0.
#[inline(always)]
fn argmax<T: Float, const K: usize>(xc: &[T], first: usize, k: usize, w_in: usize) -> (usize, T) {
    let k = if K > 0 { K } else { k };
    let mut best = (first, xc.get(first).copied().unwrap_or(T::ZERO));
    for i in 0..k {
        let start = first + i * w_in;
        for (j, &val) in xc.get(start..start + k).unwrap_or(&[]).iter().enumerate() {
            if val > best.1 {
                best = (start + j, val);
            }
        }
    }
    best
}

/// Calls `f(window, argmax)` for every window of every channel, in output
/// order (`window` counts the windows of all channels).
#[inline(always)]
fn each_window<T: Float, const K: usize>(d: &Pool2dDims, x: &[T], mut f: impl FnMut(usize, usize, T)) {
    let [k, s, h_in, w_in, h_out, w_out] = d.sizes();
    let mut window = 0;
    for (c, xc) in x.chunks_exact((h_in * w_in).max(1)).enumerate() {
        for u in 0..h_out {
            for v in 0..w_out {
                let (at, val) = argmax::<T, K>(xc, u * s * w_in + v * s, k, w_in);
                f(window, c * h_in * w_in + at, val);
                window += 1;
            }
        }
    }
}

/// [`each_window`] with the window's size fixed when it is 2 or 3.
fn windows<T: Float>(d: &Pool2dDims, x: &[T], f: impl FnMut(usize, usize, T)) {
    match d.k {
        2 => each_window::<T, 2>(d, x, f),
        3 => each_window::<T, 3>(d, x, f),
        _ => each_window::<T, 0>(d, x, f),
    }
}

/// Forward over every channel of every sample: the value of
/// [`argmax`] (a later element replaces the maximum only when greater, so a
/// leading NaN stays and later NaNs are passed over), without its index.
pub(crate) fn forward<T: Float>(d: &Pool2dDims, x: &[T], y: &mut [T]) {
    match d.k {
        2 if d.stride == 2 => forward_2x2(d, x, y),
        2 => forward_k::<T, 2>(d, x, y),
        3 => forward_k::<T, 3>(d, x, y),
        _ => windows(d, x, |window, _, val| {
            if let Some(yv) = y.get_mut(window) {
                *yv = val;
            }
        }),
    }
}

/// [`forward`] for a window of `K`, one output row at a time.
fn forward_k<T: Float, const K: usize>(d: &Pool2dDims, x: &[T], y: &mut [T]) {
    let [_, s, h_in, w_in, h_out, w_out] = d.sizes();
    let (xs, ys) = (
        x.chunks_exact((h_in * w_in).max(1)),
        y.chunks_exact_mut((h_out * w_out).max(1)),
    );
    for (xc, yc) in xs.zip(ys) {
        for (u, yr) in yc.chunks_exact_mut(w_out.max(1)).enumerate() {
            let rows: [&[T]; K] = core::array::from_fn(|i| xc.get((u * s + i) * w_in..).unwrap_or(&[]));
            for (v, yv) in yr.iter_mut().enumerate() {
                let mut best = rows[0].get(v * s).copied().unwrap_or(T::ZERO);
                for row in &rows {
                    if let Some(win) = row.get(v * s..).and_then(|r| r.first_chunk::<K>()) {
                        for &val in win {
                            best = if val > best { val } else { best };
                        }
                    }
                }
                *yv = best;
            }
        }
    }
}

/// Windows of an output row that [`forward_2x2`] and [`backward_2x2`] take
/// at once, as fixed-size arrays (the compiler vectorises across them).
const GROUP: usize = 4;

/// The first maximum of a 2 × 2 window `[a, b; c, d]`: [`argmax`]'s
/// comparisons in its order, as selects.
#[inline(always)]
fn max4<T: Float>(a: T, b: T, c: T, d: T) -> T {
    let m = if b > a { b } else { a };
    let m = if c > m { c } else { m };
    if d > m { d } else { m }
}

/// [`forward`] for 2 × 2 windows at stride 2, one output row at a time,
/// [`GROUP`] windows at once.
fn forward_2x2<T: Float>(d: &Pool2dDims, x: &[T], y: &mut [T]) {
    let [_, _, h_in, w_in, h_out, w_out] = d.sizes();
    let (xs, ys) = (
        x.chunks_exact((h_in * w_in).max(1)),
        y.chunks_exact_mut((h_out * w_out).max(1)),
    );
    for (xc, yc) in xs.zip(ys) {
        for (u, yr) in yc.chunks_exact_mut(w_out.max(1)).enumerate() {
            let (top, bottom) = (2 * u * w_in, (2 * u + 1) * w_in);
            let (Some(x0), Some(x1)) = (xc.get(top..top + 2 * w_out), xc.get(bottom..bottom + 2 * w_out)) else {
                continue;
            };
            let (yg, y_rest) = yr.as_chunks_mut::<GROUP>();
            let ((ag, a_rest), (cg, c_rest)) = (x0.as_chunks::<{ 2 * GROUP }>(), x1.as_chunks::<{ 2 * GROUP }>());
            for ((yv, a), c) in yg.iter_mut().zip(ag).zip(cg) {
                *yv = core::array::from_fn(|v| max4(a[2 * v], a[2 * v + 1], c[2 * v], c[2 * v + 1]));
            }
            let rest = a_rest.chunks_exact(2).zip(c_rest.chunks_exact(2));
            for (yv, (a, c)) in y_rest.iter_mut().zip(rest) {
                *yv = max4(a[0], a[1], c[0], c[1]);
            }
        }
    }
}

/// `∂x[argmax] += ∂y` per window.
pub(crate) fn backward<T: Float>(d: &Pool2dDims, x: &[T], gy: &[T], gx: &mut [T]) {
    if d.k == 2 && d.stride == 2 {
        return backward_2x2::<T, false>(d, x, gy, gx);
    }
    windows(d, x, |window, at, _| {
        if let (Some(v), Some(&g)) = (gx.get_mut(at), gy.get(window)) {
            *v += g;
        }
    });
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`, for
/// 2 × 2 windows at stride 2 that cover the input exactly (every element of
/// `∂x` in one window); returns whether the pooling is of that kind, and
/// otherwise writes nothing.
pub(crate) fn backward_first<T: Float>(d: &Pool2dDims, x: &[T], gy: &[T], gx: &mut [T]) -> bool {
    let [_, _, h_in, w_in, h_out, w_out] = d.sizes();
    let covered = d.k == 2 && d.stride == 2 && h_in == 2 * h_out && w_in == 2 * w_out && x.len() == gx.len();
    if covered {
        backward_2x2::<T, true>(d, x, gy, gx);
    }
    covered
}

/// [`backward`] for 2 × 2 windows at stride 2 (they do not overlap, so
/// each element of `∂x` takes at most one window's gradient): one output
/// row at a time, each window's first maximum chosen by comparisons and
/// selects rather than branches (the comparisons [`argmax`] makes, in its
/// order), and the gradient added to the element that won.
fn backward_2x2<T: Float, const FIRST: bool>(d: &Pool2dDims, x: &[T], gy: &[T], gx: &mut [T]) {
    let [_, _, h_in, w_in, h_out, w_out] = d.sizes();
    let (plane, out_plane) = ((h_in * w_in).max(1), (h_out * w_out).max(1));
    let channels = x.chunks_exact(plane).zip(gx.chunks_exact_mut(plane));
    for ((xc, gxc), gyc) in channels.zip(gy.chunks_exact(out_plane)) {
        for (u, gyr) in gyc.chunks_exact(w_out.max(1)).enumerate() {
            let (top, bottom) = (2 * u * w_in, (2 * u + 1) * w_in);
            let (Some(x0), Some(x1)) = (xc.get(top..top + 2 * w_out), xc.get(bottom..bottom + 2 * w_out)) else {
                continue;
            };
            let (g0, g1) = gxc.split_at_mut(bottom.min(gxc.len()));
            let (Some(g0), Some(g1)) = (g0.get_mut(top..top + 2 * w_out), g1.get_mut(..2 * w_out)) else {
                continue;
            };
            // (when `FIRST`, onto a cleared `∂x`, saturated, without reading
            // it: the winner takes `0 + g` saturated, the others `+0`; see [`put`])
            let (a_g, a_rest) = x0.as_chunks::<{ 2 * GROUP }>();
            let (c_g, c_rest) = x1.as_chunks::<{ 2 * GROUP }>();
            let (ga_g, ga_rest) = g0.as_chunks_mut::<{ 2 * GROUP }>();
            let (gc_g, gc_rest) = g1.as_chunks_mut::<{ 2 * GROUP }>();
            let (gy_g, gy_rest) = gyr.as_chunks::<GROUP>();
            let groups = a_g.iter().zip(c_g).zip(ga_g.iter_mut().zip(gc_g)).zip(gy_g);
            for (((a, c), (ga, gc)), g) in groups {
                // each window's winner (0 to 3: `a`, `b`, `c`, `d`), then each
                // element of the two rows as a select
                let won: [usize; GROUP] =
                    core::array::from_fn(|v| winner([a[2 * v], a[2 * v + 1], c[2 * v], c[2 * v + 1]]));
                let g = if FIRST { g.map(added_to_zero) } else { *g };
                *ga = core::array::from_fn(|l| put::<T, FIRST>(ga[l], g[l / 2], won[l / 2] == l % 2));
                *gc = core::array::from_fn(|l| put::<T, FIRST>(gc[l], g[l / 2], won[l / 2] == 2 + l % 2));
            }
            let rows = a_rest.chunks_exact(2).zip(c_rest.chunks_exact(2));
            let grads = ga_rest.chunks_exact_mut(2).zip(gc_rest.chunks_exact_mut(2));
            for (((a, c), (ga, gc)), &g) in rows.zip(grads).zip(gy_rest) {
                let won = winner([a[0], a[1], c[0], c[1]]);
                let g = if FIRST { added_to_zero(g) } else { g };
                for (l, (top, bottom)) in ga.iter_mut().zip(gc.iter_mut()).enumerate() {
                    *top = put::<T, FIRST>(*top, g, won == l);
                    *bottom = put::<T, FIRST>(*bottom, g, won == 2 + l);
                }
            }
        }
    }
}

/// Which element of a 2 × 2 window `[a, b; c, d]` is its first maximum (0
/// to 3), by the comparisons [`argmax`] makes, in its order, as selects.
#[inline(always)]
fn winner<T: Float>(x: [T; 4]) -> usize {
    let [a, b, c, d] = x;
    let (sel_b, best) = (b > a, if b > a { b } else { a });
    let (sel_c, best) = (c > best, if c > best { c } else { best });
    let sel_d = d > best;
    if sel_d {
        3
    } else if sel_c {
        2
    } else {
        usize::from(sel_b)
    }
}

/// An element of `∂x` after its window's gradient `g` (already `0 + g`
/// saturated when `FIRST`) was routed: `old + g` where it `won`, else `old`;
/// when `FIRST` (onto a cleared `∂x`, not read), `g` and `+0`.
#[inline(always)]
fn put<T: Float, const FIRST: bool>(old: T, g: T, won: bool) -> T {
    match (FIRST, won) {
        (false, true) => old + g,
        (false, false) => old,
        (true, true) => g,
        (true, false) => T::ZERO,
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

    #[test]
    fn fixed_windows_keep_the_first_maximum_and_its_nan_rule() {
        // widths with no whole group of windows, one group and a rest, and two groups
        fixed_windows_match_the_general_form::<6>();
        fixed_windows_match_the_general_form::<11>();
        fixed_windows_match_the_general_form::<19>();
    }

    /// Ties (of equal values and of signed zeros), a leading NaN and a later NaN, stride 1 and 2, against the
    /// general form, on 2 channels of 4 × `W`.
    fn fixed_windows_match_the_general_form<const W: usize>() {
        let mut x = [0.0f32; 2 * 4 * 19];
        for (i, v) in x.iter_mut().enumerate() {
            *v = match i % 11 {
                0 => f32::NAN,
                3 | 4 => 2.0,
                5 => -0.0,
                6 => 0.0,
                7 => f32::NAN,
                _ => (i % 5) as f32 - 2.0,
            };
        }
        // a window whose first maximum is a -0 tied with a later +0
        [x[2], x[3], x[W + 2], x[W + 3]] = [-0.0, -1.0, -1.0, 0.0];
        let x = &x[..2 * 4 * W];
        for (k, stride) in [(2u16, 2u16), (2, 1), (3, 1), (3, 2)] {
            let d = Pool2dDims {
                c: 2,
                k,
                stride,
                h_in: 4,
                w_in: W as u16,
                h_out: (4 - k) / stride + 1,
                w_out: (W as u16 - k) / stride + 1,
            };
            let n = 2 * usize::from(d.h_out * d.w_out);
            let (mut fast, mut general) = ([0.0f32; 2 * 4 * 19], [0.0f32; 2 * 4 * 19]);
            forward(&d, x, &mut fast[..n]);
            each_window::<f32, 0>(&d, x, |w, _, v| general[w] = v);
            let same = fast[..n]
                .iter()
                .zip(&general[..n])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "W {W} k {k} stride {stride}: {:?} vs {:?}",
                &fast[..n],
                &general[..n]
            );
            assert!(fast[..n].iter().any(|v| v.is_nan()) && fast[..n].iter().any(|v| !v.is_nan()));
            // the gradient goes to the same element
            let gy: [f32; 2 * 4 * 19] = core::array::from_fn(|i| i as f32 + 1.0);
            let (mut gf, mut gg) = ([0.5f32; 2 * 4 * 19], [0.5f32; 2 * 4 * 19]);
            backward(&d, x, &gy[..n], &mut gf[..x.len()]);
            each_window::<f32, 0>(&d, x, |w, at, _| gg[at] += gy[w]);
            assert_eq!(gf, gg, "W {W} k {k} stride {stride}");
            // onto a cleared gradient, where the windows cover the input
            let covered = backward_first(&d, x, &gy[..n], &mut gf[..x.len()]);
            assert_eq!(covered, k == 2 && stride == 2 && W.is_multiple_of(2));
            if covered {
                let mut cleared = [0.0f32; 2 * 4 * 19];
                each_window::<f32, 0>(&d, x, |w, at, _| cleared[at] += gy[w]);
                assert_eq!(gf[..x.len()], cleared[..x.len()], "W {W} first");
            }
        }
    }
}
