//! `KlDivLoss`: PyTorch's `KLDivLoss(reduction="batchmean")`; the input holds
//! log-probabilities (after a `LogSoftmax`), the target probabilities.

use super::Loss;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Scalar, Shape, Var};
use core::fmt;

/// Kullback–Leibler divergence `Σ t (ln t − x)` per sample, averaged over rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KlDivLoss;

impl<S: Shape> Loss<S> for KlDivLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let l = g.kl_div(x, t)?;
        g.mean_rows(l)
    }
}

impl fmt::Display for KlDivLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KLDivLoss")
    }
}
