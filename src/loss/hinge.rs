//! `MultiMarginLoss`: the multi-class hinge of PyTorch (`p = 1`, margin 1),
//! on scores and one-hot targets, averaged over the valid rows.

use super::Loss;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Rank1, Scalar, Var};
use core::fmt;

/// Multi-class hinge: per sample `Σ_{i≠c} max(0, 1 − x_c + x_i) / N`, with
/// `c` the class the target row names (its largest entry).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MultiMarginLoss;

impl<const N: usize> Loss<Rank1<N>> for MultiMarginLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = 1;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        x: Var<B, Rank1<N>>,
        t: Var<B, Rank1<N>>,
    ) -> Result<Scalar, Error> {
        let l = g.multi_margin(x, t)?;
        g.mean_rows(l)
    }
}

impl fmt::Display for MultiMarginLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MultiMarginLoss")
    }
}
