//! `LinearRegression`: the report's estimator, `ŷ = x·w + b` fitted by
//! full-batch gradient descent on the mean squared error.
//!
//! Gradient: with `r = ŷ − y` over `n` rows, `∂w = (2/n) Xᵀ r`, `∂b = (2/n) Σ r`.

use crate::error::Error;
use crate::float::Float;

/// A linear model of `F` features with bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearRegression<T, const F: usize> {
    /// Weights, one per feature.
    pub weights: [T; F],
    /// Bias.
    pub bias: T,
}

impl<T: Float, const F: usize> Default for LinearRegression<T, F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float, const F: usize> LinearRegression<T, F> {
    /// All weights and the bias at zero.
    pub fn new() -> Self {
        LinearRegression {
            weights: [T::ZERO; F],
            bias: T::ZERO,
        }
    }

    /// Prediction for one row of `F` features.
    pub fn predict_row(&self, x: &[T; F]) -> T {
        self.bias + crate::ops::kernel::dot(&self.weights, x)
    }

    /// Predictions for rows of `F` features into `out` (one per row).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `x` is not `out.len()` rows.
    pub fn predict(&self, x: &[T], out: &mut [T]) -> Result<(), Error> {
        check_rows::<T, F>(x, out.len(), "predictions")?;
        for (row, o) in x.chunks_exact(F).zip(out.iter_mut()) {
            *o = (self.bias + crate::ops::kernel::dot(&self.weights, row)).saturate();
        }
        Ok(())
    }

    /// The mean squared error on `(x, y)`, and its gradient in `grad_w`, returned with `∂b`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] or [`Error::NonFinite`].
    pub fn gradient(&self, x: &[T], y: &[T], grad_w: &mut [T; F]) -> Result<(T, T), Error> {
        check_data::<T, F>(x, y)?;
        let n = T::from_usize(y.len());
        let two_over_n = (T::ONE + T::ONE) / n;
        grad_w.fill(T::ZERO);
        let (mut loss, mut grad_b) = (T::ZERO, T::ZERO);
        for (row, &target) in x.chunks_exact(F).zip(y) {
            let r = (self.bias + crate::ops::kernel::dot(&self.weights, row) - target).saturate();
            loss += r * r / n;
            grad_b += two_over_n * r;
            crate::ops::kernel::axpy(grad_w, two_over_n * r, row);
        }
        grad_w.iter_mut().for_each(|g| *g = g.saturate());
        Ok((loss.saturate(), grad_b.saturate()))
    }

    /// One gradient-descent step; returns the mean squared error before it.
    ///
    /// # Errors
    /// As [`LinearRegression::gradient`].
    pub fn fit_epoch(&mut self, x: &[T], y: &[T], lr: T) -> Result<T, Error> {
        let mut grad_w = [T::ZERO; F];
        let (loss, grad_b) = self.gradient(x, y, &mut grad_w)?;
        for (w, g) in self.weights.iter_mut().zip(grad_w) {
            *w = (*w - lr * g).saturate();
        }
        self.bias = (self.bias - lr * grad_b).saturate();
        Ok(loss)
    }

    /// `epochs` gradient-descent steps; returns the final mean squared error.
    ///
    /// # Errors
    /// As [`LinearRegression::gradient`].
    pub fn fit(&mut self, x: &[T], y: &[T], epochs: usize, lr: T) -> Result<T, Error> {
        for _ in 0..epochs {
            self.fit_epoch(x, y, lr)?;
        }
        let mut grad_w = [T::ZERO; F];
        self.gradient(x, y, &mut grad_w).map(|(loss, _)| loss)
    }

    /// The coefficient of determination `R² = 1 − SS_res / SS_tot` (0 when `y` is constant).
    ///
    /// # Errors
    /// As [`LinearRegression::gradient`].
    pub fn score(&self, x: &[T], y: &[T]) -> Result<T, Error> {
        check_data::<T, F>(x, y)?;
        let mean = y.iter().fold(T::ZERO, |s, &v| s + v) / T::from_usize(y.len());
        let (mut ss_res, mut ss_tot) = (T::ZERO, T::ZERO);
        for (row, &target) in x.chunks_exact(F).zip(y) {
            let r = self.bias + crate::ops::kernel::dot(&self.weights, row) - target;
            ss_res += r * r;
            ss_tot += (target - mean) * (target - mean);
        }
        Ok(if ss_tot > T::ZERO {
            (T::ONE - ss_res / ss_tot).saturate()
        } else {
            T::ZERO
        })
    }
}

fn check_rows<T, const F: usize>(x: &[T], rows: usize, what: &'static str) -> Result<(), Error> {
    if x.len() != rows * F {
        return Err(Error::LengthMismatch {
            what,
            expected: x.len() / F.max(1),
            got: rows,
        });
    }
    Ok(())
}

fn check_data<T: Float, const F: usize>(x: &[T], y: &[T]) -> Result<(), Error> {
    if y.is_empty() {
        return Err(Error::LengthMismatch {
            what: "targets",
            expected: 1,
            got: 0,
        });
    }
    check_rows::<T, F>(x, y.len(), "targets")?;
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "features",
            index,
        });
    }
    if let Some(index) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: "targets", index });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_line() {
        // y = 2 x0 − x1 + 0.5
        let x = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5, -1.0];
        let y: [f64; 5] = core::array::from_fn(|i| 2.0 * x[2 * i] - x[2 * i + 1] + 0.5);
        let mut m = LinearRegression::<f64, 2>::new();
        let loss = m.fit(&x, &y, 2000, 0.1).unwrap();
        assert!(loss < 1e-12);
        assert!((m.weights[0] - 2.0).abs() < 1e-5 && (m.bias - 0.5).abs() < 1e-5);
        assert!((m.score(&x, &y).unwrap() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_data() {
        let m = LinearRegression::<f32, 2>::new();
        let mut g = [0.0; 2];
        assert!(matches!(
            m.gradient(&[1.0; 3], &[1.0], &mut g),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            m.gradient(&[1.0, f32::NAN], &[1.0], &mut g),
            Err(Error::NonFinite { .. })
        ));
        assert!(m.gradient(&[], &[], &mut g).is_err());
    }
}
