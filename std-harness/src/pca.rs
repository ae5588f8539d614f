//! Principal component analysis: the eigenvectors of the training set's
//! covariance (in `f64`, by nalgebra's symmetric eigensolver), sorted by
//! decreasing variance.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::error::{Result, setting};

/// A fitted PCA: the mean and the leading components of `d`-dimensional rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of each input column.
    pub mean: Vec<f32>,
    /// Components, `k` rows of `d` values, unit length, by decreasing variance.
    pub components: Vec<f32>,
    /// Variance along each component.
    pub variances: Vec<f64>,
    /// Input dimension.
    pub d: usize,
}

impl Pca {
    /// Fits every component of the rows of `x` (`d` values each).
    ///
    /// # Errors
    /// [`crate::error::Error::Setting`] for an empty input or one that is not whole rows.
    pub fn fit(x: &[f32], d: usize) -> Result<Self> {
        if d == 0 || x.is_empty() || !x.len().is_multiple_of(d) {
            return Err(setting("PCA input", format!("{} values are not rows of {d}", x.len())));
        }
        let n = x.len() / d;
        let mut mean = vec![0.0f64; d];
        for row in x.chunks_exact(d) {
            mean.iter_mut().zip(row).for_each(|(m, &v)| *m += f64::from(v));
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let centred =
            DMatrix::from_row_iterator(n, d, x.iter().zip(mean.iter().cycle()).map(|(&v, &m)| f64::from(v) - m));
        let covariance = centred.tr_mul(&centred) / n as f64;
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let components = order
            .iter()
            .flat_map(|&c| {
                eigen
                    .eigenvectors
                    .column(c)
                    .iter()
                    .map(|&v| v as f32)
                    .collect::<Vec<_>>()
            })
            .collect();
        Ok(Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            components,
            variances: order.iter().map(|&c| eigen.eigenvalues[c].max(0.0)).collect(),
            d,
        })
    }

    /// Number of components kept.
    pub fn k(&self) -> usize {
        self.components.len() / self.d.max(1)
    }

    /// The same PCA keeping only the first `k` components.
    pub fn truncated(&self, k: usize) -> Self {
        let k = k.min(self.k());
        Self {
            mean: self.mean.clone(),
            components: self.components.get(..k * self.d).unwrap_or_default().to_vec(),
            variances: self.variances.get(..k).unwrap_or_default().to_vec(),
            d: self.d,
        }
    }

    /// Codes `(x − mean) Vᵀ`, `k` values a row.
    pub fn encode(&self, x: &[f32]) -> Vec<f32> {
        let mut centred = vec![0.0f32; self.d];
        let mut out = Vec::with_capacity(x.len() / self.d.max(1) * self.k());
        for row in x.chunks_exact(self.d.max(1)) {
            centred
                .iter_mut()
                .zip(row)
                .zip(&self.mean)
                .for_each(|((c, &v), &m)| *c = v - m);
            out.extend(self.components.chunks_exact(self.d).map(|v| dot(v, &centred)));
        }
        out
    }

    /// Reconstructions `mean + z V` of codes `z`, `d` values a row.
    pub fn decode(&self, z: &[f32]) -> Vec<f32> {
        let k = self.k().max(1);
        let mut out = Vec::with_capacity(z.len() / k * self.d);
        for code in z.chunks_exact(k) {
            let mut row = self.mean.clone();
            for (&c, v) in code.iter().zip(self.components.chunks_exact(self.d)) {
                row.iter_mut().zip(v).for_each(|(r, &vi)| *r += c * vi);
            }
            out.extend(row);
        }
        out
    }

    /// `decode(encode(x))`.
    pub fn reconstruct(&self, x: &[f32]) -> Vec<f32> {
        self.decode(&self.encode(x))
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_direction_of_largest_variance() {
        // Points along (1, 1), each with a twin on the other side along (1, -1).
        let x: Vec<f32> = (-5..=5)
            .flat_map(|t| {
                let (a, b) = (t as f32, 0.1);
                [a + b, a - b, a - b, a + b]
            })
            .collect();
        let pca = Pca::fit(&x, 2).unwrap();
        let v = &pca.components[..2];
        assert!((v[0].abs() - v[1].abs()).abs() < 1e-3 && v[0] * v[1] > 0.0, "{v:?}");
        assert!(pca.variances[0] > 100.0 * pca.variances[1]);
    }

    #[test]
    fn all_components_reconstruct_exactly() {
        let x = [1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 5.0, -2.0, 2.0, 2.0, 2.0, 2.0];
        let pca = Pca::fit(&x, 3).unwrap();
        let back = pca.reconstruct(&x);
        assert!(x.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-4), "{back:?}");
        assert_eq!(pca.truncated(1).encode(&x).len(), 4);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(Pca::fit(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(Pca::fit(&[], 2).is_err());
    }
}
