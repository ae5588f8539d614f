//! `LinearT`: a linear map through the transpose of a stored weight, for a
//! tied decoder: `y = x W + b` with `W` stored `[inp][out]` (the encoder's
//! `[out][in]` weight read the other way round), so the encoder and the
//! decoder share one weight on the tape and its gradient collects both uses.
//!
//! Derivatives: `∂x = ∂y Wᵀ`, `∂W = xᵀ ∂y`, `∂b = Σ_rows ∂y`.
//!
//! Summation: each output's sum starts from zero and the bias is added last;
//! the products run through the matrix kernels ([`gemm::nn_acc`] and
//! [`gemm::tn_acc`]) and [`dot`].
//!
//! Numerics: as [`linear`](super::linear): the tape saturates the sums.

use super::Src;
use super::gemm;
use super::kernel::{axpy, dot, madd_to};
use crate::float::Float;

/// `y[r][o] = b[o] + Σ_i x[r][i] w[i][o]` for every row `r`.
pub(crate) fn forward<T: Float>(x: &[T], w: Src<'_, T>, b: Src<'_, T>, y: &mut [T], inp: usize, out: usize) {
    y.fill(T::ZERO);
    if let Src::Vals(wv) = w {
        // y[r][o] += Σ_i x[r][i] w[i][o]: the input-gradient form, with x as the "gradient"
        gemm::nn_acc(x, wv, y, out, inp);
    } else {
        for (xr, yr) in x.chunks_exact(inp).zip(y.chunks_exact_mut(out)) {
            for (i, &xi) in xr.iter().enumerate() {
                for (o, yo) in yr.iter_mut().enumerate() {
                    madd_to(yo, xi, w.get(i * out + o));
                }
            }
        }
    }
    for yr in y.chunks_exact_mut(out) {
        for (o, yo) in yr.iter_mut().enumerate() {
            *yo += b.get(o);
        }
    }
}

/// Gradient for input `k`: 0 is `x`, 1 is `W`, 2 is `b`.
pub(crate) fn backward<T: Float>(k: usize, x: &[T], w: &[T], gy: &[T], gx: &mut [T], inp: usize, out: usize) {
    match k {
        0 => {
            for (gyr, gxr) in gy.chunks_exact(out).zip(gx.chunks_exact_mut(inp)) {
                for (g, wi) in gxr.iter_mut().zip(w.chunks_exact(out)) {
                    *g += dot(gyr, wi);
                }
            }
        }
        // gw[i][o] += Σ_r x[r][i] gy[r][o]: the weight-gradient form with x as the "gradient"
        1 => gemm::tn_acc(x, gy, gx, out, inp),
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
    fn known_value_and_gradients() {
        // W = [[1, 2, 3], [4, 5, 6]] (2 × 3), x = [1, -1]: x W = [-3, -3, -3]
        let w = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut y = [0.0; 3];
        forward(&[1.0, -1.0], Src::Vals(&w), Src::Vals(&[0.5, 0.0, -0.5]), &mut y, 2, 3);
        assert_eq!(y, [-2.5, -3.0, -3.5]);
        let mut gx = [0.0; 2];
        backward(0, &[1.0, -1.0], &w, &[1.0, 0.0, 1.0], &mut gx, 2, 3);
        assert_eq!(gx, [4.0, 10.0]);
        let mut gw = [0.0; 6];
        backward(1, &[1.0, -1.0], &w, &[1.0, 0.0, 1.0], &mut gw, 2, 3);
        assert_eq!(gw, [1.0, 0.0, 1.0, -1.0, 0.0, -1.0]);
    }
}
