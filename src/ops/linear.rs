//! `Linear`: `y = x Wᵀ + b`, with `W` stored `[out][in]` as PyTorch does.
//!
//! Derivatives: `∂x = ∂y W`, `∂W = ∂yᵀ x`, `∂b = Σ_rows ∂y`.
//!
//! Numerics: a product of saturated values can overflow; the tape saturates
//! the result (an `∞ − ∞` sum becomes 0, see [`crate::float`]).

use super::Src;
use super::gemm;
use super::kernel::axpy;
use super::{TILED, regs};
use crate::float::Float;

/// `y[r][o] = b[o] + Σ_i x[r][i] w[o][i]` for every row `r`.
pub(crate) fn forward<T: Float>(x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T], inp: usize, out: usize) {
    if !TILED {
        // Microcontrollers: the register kernel, for weights in RAM and in flash alike.
        regs::nt(x, w, b, y, inp, out);
        return;
    }
    if let (Src::Vals(w), Src::Vals(b)) = (w, b) {
        gemm::nt(x, w, b, y, inp, out);
        return;
    }
    for (xr, yr) in x.chunks_exact(inp).zip(y.chunks_exact_mut(out)) {
        for (o, yo) in yr.iter_mut().enumerate() {
            *yo = b.get(o) + w.row(o, inp).dot(xr);
        }
    }
}

/// Gradient for input `k`: 0 is `x`, 1 is `W`, 2 is `b`.
pub(crate) fn backward<T: Float>(k: usize, x: &[T], w: &[T], gy: &[T], gx: &mut [T], inp: usize, out: usize) {
    match k {
        0 => gemm::nn_acc(gy, w, gx, inp, out),
        1 => gemm::tn_acc(gy, x, gx, inp, out),
        _ => {
            for gyr in gy.chunks_exact(out) {
                axpy(gx, T::ONE, gyr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value() {
        // x = [1, 2], W = [[1, 0], [0.5, -1], [2, 2]], b = [0, 1, -1]
        let w = [1.0, 0.0, 0.5, -1.0, 2.0, 2.0];
        let mut y = [0.0f64; 3];
        forward(&[1.0, 2.0], Src::Vals(&w), Src::Vals(&[0.0, 1.0, -1.0]), &mut y, 2, 3);
        assert_eq!(y, [1.0, -0.5, 5.0]);
        let mut wb = [0u8; 48];
        wb.chunks_exact_mut(8)
            .zip(w)
            .for_each(|(c, v)| c.copy_from_slice(&f64::to_le_bytes(v)));
        let mut bb = [0u8; 24];
        bb.chunks_exact_mut(8)
            .zip([0.0f64, 1.0, -1.0])
            .for_each(|(c, v)| c.copy_from_slice(&v.to_le_bytes()));
        forward(&[1.0, 2.0], Src::Bytes(&wb), Src::Bytes(&bb), &mut y, 2, 3);
        assert_eq!(y, [1.0, -0.5, 5.0]);
    }

    #[test]
    fn bias_gradient_sums_rows() {
        let mut gb = [0.0f64; 2];
        backward(2, &[], &[], &[1.0, 2.0, 3.0, 4.0], &mut gb, 1, 2);
        assert_eq!(gb, [4.0, 6.0]);
    }
}
