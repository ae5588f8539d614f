//! `Conv1d`: PyTorch's layout, input `[batch][c_in][l_in]`, weight
//! `[c_out][c_in][k]`, output `[batch][c_out][l_out]` with
//! `l_out = (l_in − k) / stride + 1`:
//! `y[o][l] = b[o] + Σ_c Σ_j w[o][c][j] x[c][l·stride + j]`.
//!
//! Derivatives: `∂x[c][l·s + j] += Σ_o ∂y[o][l] w[o][c][j]`,
//! `∂w[o][c][j] += Σ_l ∂y[o][l] x[c][l·s + j]`, `∂b[o] += Σ_l ∂y[o][l]`.
//!
//! Numerics: as [`linear`](super::linear): the tape saturates the sums.

use super::Src;
use super::kernel::{axpy, dot, madd, madd_to, sum};
use crate::float::Float;

/// Sizes of a 1-D convolution (16 bits each, so that a tape node stays
/// 60 bytes; the graph checks the sizes fit at compile time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dDims {
    /// Input channels.
    pub c_in: u16,
    /// Output channels.
    pub c_out: u16,
    /// Kernel size.
    pub k: u16,
    /// Stride.
    pub stride: u16,
    /// Input length.
    pub l_in: u16,
    /// Output length.
    pub l_out: u16,
}

impl Conv1dDims {
    fn sizes(&self) -> [usize; 6] {
        [self.c_in, self.c_out, self.k, self.stride, self.l_in, self.l_out].map(usize::from)
    }
}

/// Forward over every sample of the batch.
pub(crate) fn forward<T: Float>(d: &Conv1dDims, x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T]) {
    let [c_in, c_out, k, s, l_in, l_out] = d.sizes();
    for (xs, ys) in x.chunks_exact(c_in * l_in).zip(y.chunks_exact_mut(c_out * l_out)) {
        for (o, yo) in ys.chunks_exact_mut(l_out).enumerate() {
            yo.fill(b.get(o));
            let wo = w.row(o, c_in * k);
            for (c, xc) in xs.chunks_exact(l_in).enumerate() {
                let wc = wo.row(c, k);
                for j in 0..k {
                    let wj = wc.get(j);
                    // y[l] += w[j] x[l·s + j]; with stride 1 a contiguous window
                    match xc.get(j..j + l_out).filter(|_| s == 1) {
                        Some(window) => axpy(yo, wj, window),
                        None => yo
                            .iter_mut()
                            .zip(xc.iter().skip(j).step_by(s))
                            .for_each(|(yl, &xv)| madd_to(yl, wj, xv)),
                    }
                }
            }
        }
    }
}

/// Gradient for input `k`: 0 is `x`, 1 is `w`, 2 is `b`.
pub(crate) fn backward<T: Float>(d: &Conv1dDims, which: usize, x: &[T], w: &[T], _b: &[T], gy: &[T], gx: &mut [T]) {
    let [c_in, c_out, k, s, l_in, l_out] = d.sizes();
    let samples = gy.chunks_exact(c_out * l_out);
    match which {
        0 => {
            for (gys, gxs) in samples.zip(gx.chunks_exact_mut(c_in * l_in)) {
                for (gyo, wo) in gys.chunks_exact(l_out).zip(w.chunks_exact(c_in * k)) {
                    for (gxc, wc) in gxs.chunks_exact_mut(l_in).zip(wo.chunks_exact(k)) {
                        for (j, &wj) in wc.iter().enumerate() {
                            if let Some(window) = gxc.get_mut(j..j + l_out).filter(|_| s == 1) {
                                axpy(window, wj, gyo);
                            } else {
                                let taps = gxc.iter_mut().skip(j).step_by(s).zip(gyo);
                                taps.for_each(|(gxv, &g)| madd_to(gxv, wj, g));
                            }
                        }
                    }
                }
            }
        }
        1 => {
            for (gys, xs) in samples.zip(x.chunks_exact(c_in * l_in)) {
                for (gyo, gwo) in gys.chunks_exact(l_out).zip(gx.chunks_exact_mut(c_in * k)) {
                    for (xc, gwc) in xs.chunks_exact(l_in).zip(gwo.chunks_exact_mut(k)) {
                        for (j, gwj) in gwc.iter_mut().enumerate() {
                            *gwj += match xc.get(j..j + l_out).filter(|_| s == 1) {
                                Some(window) => dot(gyo, window),
                                None => gyo
                                    .iter()
                                    .zip(xc.iter().skip(j).step_by(s))
                                    .fold(T::ZERO, |a, (&g, &xv)| madd(a, g, xv)),
                            };
                        }
                    }
                }
            }
        }
        _ => {
            for gys in samples {
                for (gyo, gbo) in gys.chunks_exact(l_out).zip(gx.iter_mut()) {
                    *gbo += sum(gyo);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_conv_known_value() {
        // one sample, 1 → 2 channels, k = 2, stride 1, x = [1, 2, 3]
        let d = Conv1dDims {
            c_in: 1,
            c_out: 2,
            k: 2,
            stride: 1,
            l_in: 3,
            l_out: 2,
        };
        let w = [1.0, -1.0, 0.5, 0.5];
        let mut y = [0.0f64; 4];
        forward(&d, &[1.0, 2.0, 3.0], Src::Vals(&w), Src::Vals(&[0.0, 1.0]), &mut y);
        assert_eq!(y, [-1.0, -1.0, 2.5, 3.5]);
    }

    #[test]
    fn stride_two() {
        let d = Conv1dDims {
            c_in: 1,
            c_out: 1,
            k: 1,
            stride: 2,
            l_in: 5,
            l_out: 3,
        };
        let mut y = [0.0f64; 3];
        forward(
            &d,
            &[1.0, 2.0, 3.0, 4.0, 5.0],
            Src::Vals(&[2.0]),
            Src::Vals(&[0.0]),
            &mut y,
        );
        assert_eq!(y, [2.0, 6.0, 10.0]);
    }
}
