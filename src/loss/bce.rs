//! Binary cross-entropy, mean over every element of the valid rows, as
//! PyTorch's `BCELoss` (on probabilities) and `BCEWithLogitsLoss` (on logits,
//! fused: see the op's docs for the stable rewrite).

use super::Loss;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Scalar, Shape, Var};
use core::fmt;

/// BCE on probabilities (after a `Sigmoid`), with clamped logarithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BceLoss;

/// BCE on logits, fused with the sigmoid for stability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BceWithLogitsLoss;

impl<S: Shape> Loss<S> for BceLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        p: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let l = g.bce(p, t)?;
        g.mean(l)
    }
}

impl<S: Shape> Loss<S> for BceWithLogitsLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        z: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let l = g.bce_logits(z, t)?;
        g.mean(l)
    }
}

impl fmt::Display for BceLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BCELoss")
    }
}
impl fmt::Display for BceWithLogitsLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BCEWithLogitsLoss")
    }
}
