//! SGD with momentum, as PyTorch's `SGD(momentum=μ)`:
//! `v ← μ v + ∂p`, `p ← p − lr v`.

use super::{Optimizer, check_state};
use crate::error::Error;
use crate::float::Float;

/// SGD with momentum; state: one velocity per parameter.
#[derive(Debug)]
pub struct Momentum<'s, T> {
    /// Learning rate.
    pub lr: T,
    /// Momentum factor `μ`.
    pub momentum: T,
    velocity: &'s mut [T],
}

impl<'s, T: Float> Momentum<'s, T> {
    /// Momentum SGD over a zeroed `state` of one scalar per parameter.
    pub fn new(lr: T, momentum: T, state: &'s mut [T]) -> Self {
        state.fill(T::ZERO);
        Momentum {
            lr,
            momentum,
            velocity: state,
        }
    }

    /// Momentum SGD continuing from the velocities in `state` (saved from
    /// [`Momentum::velocity`]), e.g. when a training run is resumed.
    pub fn resume(lr: T, momentum: T, state: &'s mut [T]) -> Self {
        Momentum {
            lr,
            momentum,
            velocity: state,
        }
    }

    /// The velocities (PyTorch's `momentum_buffer`), one per parameter.
    pub fn velocity(&self) -> &[T] {
        self.velocity
    }
}

impl<T: Float> Optimizer<T> for Momentum<'_, T> {
    const STATE_PER_PARAM: usize = 1;

    fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<(), Error> {
        check_state(self.velocity.len(), 1, params.len())?;
        for ((p, &g), v) in params.iter_mut().zip(grads).zip(self.velocity.iter_mut()) {
            *v = (self.momentum * *v + g).saturate();
            *p = (*p - self.lr * *v).saturate();
        }
        Ok(())
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
    fn accumulates_velocity_and_checks_state() {
        let mut state = [0.0f64; 1];
        let mut opt = Momentum::new(1.0, 0.5, &mut state);
        let mut p = [0.0f64];
        opt.step(&mut p, &[1.0]).unwrap();
        opt.step(&mut p, &[1.0]).unwrap();
        assert_eq!(p, [-2.5]);
        let mut small: [f64; 0] = [];
        assert!(Momentum::new(1.0, 0.5, &mut small).step(&mut p, &[1.0]).is_err());
    }

    #[test]
    fn resuming_from_saved_velocities_continues_the_same_steps() {
        let (mut s1, mut p1) = ([0.0f64; 2], [1.0f64, -1.0]);
        let mut whole = Momentum::new(0.1, 0.9, &mut s1);
        for g in [[1.0, 2.0], [0.5, -1.0], [3.0, 0.25]] {
            whole.step(&mut p1, &g).unwrap();
        }
        let (mut s2, mut p2) = ([0.0f64; 2], [1.0f64, -1.0]);
        let mut first = Momentum::new(0.1, 0.9, &mut s2);
        first.step(&mut p2, &[1.0, 2.0]).unwrap();
        let mut saved = [0.0f64; 2];
        saved.copy_from_slice(first.velocity());
        let mut rest = Momentum::resume(0.1, 0.9, &mut saved);
        for g in [[0.5, -1.0], [3.0, 0.25]] {
            rest.step(&mut p2, &g).unwrap();
        }
        assert_eq!(p1, p2);
    }
}
