//! Plain stochastic gradient descent: `p ← p − lr ∂p`.

use super::Optimizer;
use crate::error::Error;
use crate::float::Float;

/// The SGD update of a slice of parameters from their gradients, `p − lr g`
/// saturated: the one loop of [`Sgd::step`] and of the updates a training
/// step applies in and after the backward walk
/// ([`Graph::backward_sgd`](crate::Graph::backward_sgd)).
#[inline(always)]
pub(crate) fn sgd_update<T: Float>(params: &mut [T], grads: &[T], lr: T) {
    for (p, &g) in params.iter_mut().zip(grads) {
        *p = sgd_one(*p, g, lr);
    }
}

/// One parameter's SGD update, `p − lr g` saturated: [`sgd_update`]'s
/// element, and that of a dense weight updated as its gradient is written.
#[inline(always)]
pub(crate) fn sgd_one<T: Float>(p: T, g: T, lr: T) -> T {
    (p - lr * g).saturate()
}

/// SGD without momentum; no state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd<T> {
    /// Learning rate.
    pub lr: T,
}

impl<T: Float> Sgd<T> {
    /// SGD with learning rate `lr`.
    pub const fn new(lr: T) -> Self {
        Sgd { lr }
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    const STATE_PER_PARAM: usize = 0;

    fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<(), Error> {
        sgd_update(params, grads, self.lr);
        Ok(())
    }

    fn plain_sgd(&self) -> Option<T> {
        Some(self.lr)
    }

    fn lr(&self) -> T {
        self.lr
    }

    fn set_lr(&mut self, lr: T) {
        self.lr = lr;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descends() {
        let mut p = [1.0f64, -1.0];
        Sgd::new(0.5).step(&mut p, &[2.0, -4.0]).unwrap();
        assert_eq!(p, [0.0, 1.0]);
    }
}
