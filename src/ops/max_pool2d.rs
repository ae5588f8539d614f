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
            let rows = x0.chunks_exact(2).zip(x1.chunks_exact(2));
            let grads = g0.chunks_exact_mut(2).zip(g1.chunks_exact_mut(2));
            for (((a, c), (ga, gc)), &g) in rows.zip(grads).zip(gyr) {
                let (sel_b, best) = (a[1] > a[0], if a[1] > a[0] { a[1] } else { a[0] });
                let (sel_c, best) = (c[0] > best, if c[0] > best { c[0] } else { best });
                let sel_d = c[1] > best;
                // (`|` and `&`, not `||` and `&&`: no branches)
                let won = [!(sel_b | sel_c | sel_d), sel_b & !sel_c & !sel_d, sel_c & !sel_d, sel_d];
                // (when `FIRST`, onto a cleared `∂x`, saturated, without reading
                // it: the winner takes `0 + g` saturated, the others `+0`)
                let first = if FIRST { added_to_zero(g) } else { g };
                let add = |v: T, w: bool| match (FIRST, w) {
                    (false, true) => v + g,
                    (false, false) => v,
                    (true, true) => first,
                    (true, false) => T::ZERO,
                };
                ga[0] = add(ga[0], won[0]);
                ga[1] = add(ga[1], won[1]);
                gc[0] = add(gc[0], won[2]);
                gc[1] = add(gc[1], won[3]);
            }
        }
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
        // ties, a leading NaN and a later NaN, stride 1 and 2, against the general form
        let x: [f32; 2 * 5 * 6] = core::array::from_fn(|i| match i % 11 {
            0 => f32::NAN,
            3 | 4 => 2.0,
            7 => f32::NAN,
            _ => (i % 5) as f32 - 2.0,
        });
        for (k, stride) in [(2u16, 2u16), (2, 1), (3, 1), (3, 2)] {
            let d = Pool2dDims {
                c: 2,
                k,
                stride,
                h_in: 5,
                w_in: 6,
                h_out: (5 - k) / stride + 1,
                w_out: (6 - k) / stride + 1,
            };
            let n = 2 * usize::from(d.h_out * d.w_out);
            let (mut fast, mut general) = ([0.0f32; 2 * 5 * 6], [0.0f32; 2 * 5 * 6]);
            forward(&d, &x, &mut fast[..n]);
            each_window::<f32, 0>(&d, &x, |w, _, v| general[w] = v);
            let same = fast[..n]
                .iter()
                .zip(&general[..n])
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "k {k} stride {stride}: {:?} vs {:?}", &fast[..n], &general[..n]);
            assert!(fast[..n].iter().any(|v| v.is_nan()) && fast[..n].iter().any(|v| !v.is_nan()));
            // the gradient goes to the same element
            let gy: [f32; 2 * 5 * 6] = core::array::from_fn(|i| i as f32 + 1.0);
            let (mut gf, mut gg) = ([0.5f32; 2 * 5 * 6], [0.5f32; 2 * 5 * 6]);
            backward(&d, &x, &gy[..n], &mut gf);
            each_window::<f32, 0>(&d, &x, |w, at, _| gg[at] += gy[w]);
            assert_eq!(gf, gg, "k {k} stride {stride}");
        }
    }
}
