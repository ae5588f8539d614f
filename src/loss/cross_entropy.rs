//! Cross-entropy against probability (e.g. one-hot) targets, summed over the
//! classes of a sample and averaged over the valid rows.
//!
//! `CrossEntropyLoss` takes logits, as PyTorch's, through a fused, stable
//! log-softmax; `CrossEntropyProbLoss` takes probabilities (after a
//! `Softmax`), with clamped logarithms.

use super::Loss;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Rank1, Scalar, Shape, Var};
use core::fmt;

/// Cross-entropy on logits (fused log-softmax).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossEntropyLoss;

/// Cross-entropy on probabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrossEntropyProbLoss;

impl<const N: usize> Loss<Rank1<N>> for CrossEntropyLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = 1;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        z: Var<B, Rank1<N>>,
        t: Var<B, Rank1<N>>,
    ) -> Result<Scalar, Error> {
        let l = g.cross_entropy_logits(z, t)?;
        g.mean_rows(l)
    }
}

impl<S: Shape> Loss<S> for CrossEntropyProbLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        p: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let l = g.cross_entropy_prob(p, t)?;
        g.mean_rows(l)
    }
}

impl fmt::Display for CrossEntropyLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CrossEntropyLoss")
    }
}
impl fmt::Display for CrossEntropyProbLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CrossEntropyProbLoss")
    }
}
