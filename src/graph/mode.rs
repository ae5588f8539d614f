//! Training and evaluation modes, and the dropout nodes they drive.
//!
//! A graph with gradients starts in training mode (as PyTorch's modules
//! do): each forward replay draws a fresh mask for every dropout node from
//! the graph's seeded generator. In evaluation mode the masks are ones and
//! dropout is the identity. An inference-only graph records no dropout
//! node at all, so a deployed model neither computes nor stores one.

use super::Graph;
use crate::error::Error;
use crate::float::Float;
use crate::ops::{Op, dropout};
use crate::rng::Rng;
use crate::shape::{Shape, Var};

/// Seed of the dropout masks until [`Graph::seed_dropout`] sets one.
pub(super) const DROPOUT_SEED: u64 = 0xD20F_0A75;

impl<T: Float> Graph<'_, T> {
    /// Switches between training (dropout masks drawn at each forward
    /// pass) and evaluation (dropout is the identity).
    pub fn set_training(&mut self, training: bool) {
        self.training = training;
    }

    /// Whether the graph is in training mode.
    pub fn is_training(&self) -> bool {
        self.training
    }

    /// Restarts the dropout masks' generator from `seed`: the next forward
    /// passes draw the same masks as after any other call with that seed.
    pub fn seed_dropout(&mut self, seed: u64) {
        self.dropout_rng = Rng::new(seed);
    }

    /// The generator of the dropout masks, as it stands (to save a run's state).
    pub fn dropout_rng(&self) -> &Rng {
        &self.dropout_rng
    }

    /// Replaces the generator of the dropout masks (to resume a run's state).
    pub fn set_dropout_rng(&mut self, rng: Rng) {
        self.dropout_rng = rng;
    }

    /// Inverted dropout of probability `p` (checked by the layer): records
    /// a mask node and the product, or nothing in an inference-only graph.
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`].
    pub(crate) fn dropout<const B: usize, S: Shape>(&mut self, x: Var<B, S>, p: f32) -> Result<Var<B, S>, Error> {
        if !self.keeps_grads {
            return Ok(x);
        }
        let mask = self.push_op::<S>(Op::DropoutMask, [0; 3], B)?;
        let op = Op::Dropout { p_bits: p.to_bits() };
        self.push_op::<S>(op, [x.id, mask, 0], B).map(Var::new)
    }

    /// Writes the mask of a dropout node before the forward replay computes it.
    pub(super) fn fill_dropout_mask(
        values: &mut [T],
        mask_range: core::ops::Range<usize>,
        p_bits: u32,
        rng: Option<&mut Rng>,
    ) {
        if let Some(mask) = values.get_mut(mask_range) {
            dropout::fill_mask(f32::from_bits(p_bits), rng, mask);
        }
    }
}
