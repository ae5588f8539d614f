//! `HuberLoss` and `SmoothL1Loss`: mean over every element of the valid
//! rows of a term that is quadratic near zero and linear beyond a threshold,
//! as PyTorch's (one fused element-wise op, then the mean; see the op's docs).

use super::Loss;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Scalar, Shape, Var};
use core::fmt;

/// Huber: `½ d²` for `|d| < delta`, else `delta (|d| − ½ delta)`, `d = y − t`.
/// A negative or non-finite `delta` acts as 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HuberLoss {
    /// The threshold `δ` (PyTorch's default 1).
    pub delta: f32,
}

/// Smooth L1: `½ d² / beta` for `|d| < beta`, else `|d| − ½ beta`; L1 when `beta = 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothL1Loss {
    /// The threshold `β` (PyTorch's default 1).
    pub beta: f32,
}

impl Default for HuberLoss {
    fn default() -> Self {
        HuberLoss { delta: 1.0 }
    }
}

impl Default for SmoothL1Loss {
    fn default() -> Self {
        SmoothL1Loss { beta: 1.0 }
    }
}

impl<S: Shape> Loss<S> for HuberLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        y: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let l = g.huber(y, t, self.delta, false)?;
        g.mean(l)
    }
}

impl<S: Shape> Loss<S> for SmoothL1Loss {
    const ACTIVATIONS_PER_SAMPLE: usize = S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 2;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        y: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let l = g.huber(y, t, self.beta, true)?;
        g.mean(l)
    }
}

impl fmt::Display for HuberLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HuberLoss(delta={})", self.delta)
    }
}

impl fmt::Display for SmoothL1Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmoothL1Loss(beta={})", self.beta)
    }
}
