//! Losses (Torch's criteria). Each composes a few tape ops; only the
//! numerically delicate ones (BCE on logits, cross-entropy on logits) are
//! fused. Every loss averages over the valid rows of a batch, so the last,
//! partial batch of an epoch carries no padding bias.

mod bce;
mod cross_entropy;
mod hinge;
mod huber;
mod kl_div;
mod mse;

pub use bce::{BceLoss, BceWithLogitsLoss};
pub use cross_entropy::{CrossEntropyLoss, CrossEntropyProbLoss};
pub use hinge::MultiMarginLoss;
pub use huber::{HuberLoss, SmoothL1Loss};
pub use kl_div::KlDivLoss;
pub use mse::MseLoss;

use crate::error::Error;
use crate::float::Float;
use crate::graph::Graph;
use crate::shape::{Scalar, Shape, Var};

/// A loss comparing a batch of outputs of shape `S` with targets of the same shape.
pub trait Loss<S: Shape>: core::fmt::Display {
    /// Activation scalars the loss records per sample (targets not counted).
    const ACTIVATIONS_PER_SAMPLE: usize;
    /// Activation scalars the loss records once (its scalar result).
    const ACTIVATIONS: usize;
    /// Tape nodes the loss records.
    const NODES: usize;

    /// Records the loss of `y` against `t` and returns the scalar node.
    ///
    /// # Errors
    /// Capacity errors from the graph.
    fn build<T: Float, const B: usize>(
        &self,
        g: &mut Graph<'_, T>,
        y: Var<B, S>,
        t: Var<B, S>,
    ) -> Result<Scalar, Error>;
}
