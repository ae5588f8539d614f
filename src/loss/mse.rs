//! `MseLoss`: mean of `(y − t)²` over every element of the valid rows, as
//! PyTorch's `MSELoss`. Composed as sub → square → mean; no backward of its own.

use super::Loss;
use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Scalar, Shape, Var};
use core::fmt;

/// Mean squared error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MseLoss;

impl<S: Shape> Loss<S> for MseLoss {
    const ACTIVATIONS_PER_SAMPLE: usize = 2 * S::SIZE;
    const ACTIVATIONS: usize = 1;
    const NODES: usize = 3;

    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        y: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error> {
        let d = g.sub(y, t)?;
        let d2 = g.square(d)?;
        g.mean(d2)
    }
}

impl fmt::Display for MseLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MSELoss")
    }
}
