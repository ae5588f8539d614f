//! Optimisers: each updates the parameter arena from the gradient arena.
//! Their state is a caller-owned slice of `STATE_PER_PARAM × params`
//! scalars, sized at compile time like the rest of the training state.

mod adam;
mod decay;
mod momentum;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use decay::WeightDecay;
pub use momentum::Momentum;
pub use sgd::Sgd;
pub(crate) use sgd::{sgd_one, sgd_update};

use crate::error::Error;
use crate::float::Float;

/// Updates parameters from their gradients (Torch's `optim`).
pub trait Optimizer<T: Float> {
    /// State scalars the optimiser keeps per parameter.
    const STATE_PER_PARAM: usize;

    /// One update of `params` from `grads` (same length).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when the state holds fewer than
    /// `STATE_PER_PARAM × params.len()` scalars.
    fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<(), Error>;

    /// The learning rate.
    fn lr(&self) -> T;

    /// Changes the learning rate (for schedules).
    fn set_lr(&mut self, lr: T);

    /// `Some(lr)` when one update is plain SGD, `p ← p − lr ∂p` saturated
    /// with no state, so that a training step may apply it to each
    /// parameter inside the backward walk as soon as its gradient is
    /// complete ([`Graph::backward_sgd`](crate::Graph::backward_sgd)), to
    /// the bits of [`Optimizer::step`] after the walk. `None` (the default)
    /// for every other optimiser.
    fn plain_sgd(&self) -> Option<T> {
        None
    }
}

/// Checks that a state slice has room for `per_param × params` scalars.
pub(crate) fn check_state(state_len: usize, per_param: usize, params: usize) -> Result<(), Error> {
    let needed = per_param * params;
    if state_len < needed {
        return Err(Error::BufferTooSmall {
            what: "optimizer state",
            needed,
            got: state_len,
        });
    }
    Ok(())
}
