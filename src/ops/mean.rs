//! Reductions to a scalar: `Mean` (over every valid element, as PyTorch's
//! `reduction="mean"`) and `MeanRows` (sum over the valid rows' elements
//! divided by the number of rows, as PyTorch's `"batchmean"`).
//!
//! The tape hands these ops only the valid rows of a batch, so a partial last
//! batch is averaged over its real rows, without padding bias.
//!
//! Derivative: `∂x_i = ∂y / count`.
//!
//! Numerics: the sum of saturated terms is bounded by `count · SATURATION`,
//! finite for any batch that fits in memory; the tape saturates the result.

use crate::float::{Float, added_to_zero};

/// `y = Σ x / len(x)` (0 for an empty `x`).
pub(crate) fn forward<T: Float>(x: &[T], y: &mut [T]) {
    if let Some(y0) = y.first_mut() {
        *y0 = sum(x) / T::from_usize(x.len().max(1));
    }
}

/// `∂x_i += ∂y / len(x)`.
pub(crate) fn backward<T: Float>(gy: &[T], gx: &mut [T]) {
    let g = share(gy, gx.len());
    for v in gx {
        *v += g;
    }
}

/// [`backward`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_first<T: Float>(gy: &[T], gx: &mut [T]) {
    gx.fill(added_to_zero(share(gy, gx.len())));
}

/// `∂y / count`: each of `count` elements' share of the mean's gradient.
fn share<T: Float>(gy: &[T], count: usize) -> T {
    gy.first().copied().unwrap_or(T::ZERO) / T::from_usize(count.max(1))
}

/// `y = Σ x / rows` with rows of `n` elements.
pub(crate) fn forward_rows<T: Float>(x: &[T], y: &mut [T], n: usize) {
    if let Some(y0) = y.first_mut() {
        *y0 = sum(x) / T::from_usize((x.len() / n.max(1)).max(1));
    }
}

/// `∂x_i += ∂y / rows`.
pub(crate) fn backward_rows<T: Float>(gy: &[T], gx: &mut [T], n: usize) {
    let g = share(gy, gx.len() / n.max(1));
    for v in gx {
        *v += g;
    }
}

/// [`backward_rows`] onto a cleared `gx`, saturated, without reading `gx`.
pub(crate) fn backward_rows_first<T: Float>(gy: &[T], gx: &mut [T], n: usize) {
    gx.fill(added_to_zero(share(gy, gx.len() / n.max(1))));
}

fn sum<T: Float>(x: &[T]) -> T {
    x.iter().fold(T::ZERO, |s, &v| s + v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means() {
        let mut y = [0.0f64];
        forward(&[1.0, 2.0, 3.0, 6.0], &mut y);
        assert_eq!(y[0], 3.0);
        forward_rows(&[1.0, 2.0, 3.0, 6.0], &mut y, 2);
        assert_eq!(y[0], 6.0);
        let mut g = [0.0f64; 4];
        backward_rows(&[1.0], &mut g, 2);
        assert_eq!(g, [0.5; 4]);
    }
}
