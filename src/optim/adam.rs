//! Adam (Kingma & Ba), as PyTorch's `Adam`:
//! `m ← β₁ m + (1 − β₁) ∂p`, `v ← β₂ v + (1 − β₂) ∂p²`,
//! `p ← p − lr m̂ / (√v̂ + ε)` with bias-corrected `m̂`, `v̂`.

use super::{Optimizer, check_state};
use crate::error::Error;
use crate::float::Float;

/// Adam's hyperparameters (PyTorch's defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate (default `1e-3`).
    pub lr: f64,
    /// First-moment decay (default `0.9`).
    pub beta1: f64,
    /// Second-moment decay (default `0.999`).
    pub beta2: f64,
    /// Denominator floor (default `1e-8`).
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam; state: two moments per parameter.
#[derive(Debug)]
pub struct Adam<'s, T> {
    config: AdamConfig,
    lr: T,
    steps: u32,
    /// `β₁ᵗ` and `β₂ᵗ`, kept as running products (no `pow` on a chip).
    beta_powers: (f64, f64),
    state: &'s mut [T],
}

impl<'s, T: Float> Adam<'s, T> {
    /// Adam over a zeroed `state` of two scalars per parameter.
    pub fn new(config: AdamConfig, state: &'s mut [T]) -> Self {
        state.fill(T::ZERO);
        Adam {
            config,
            lr: T::from_f64(config.lr),
            steps: 0,
            beta_powers: (1.0, 1.0),
            state,
        }
    }

    /// Adam continuing after `steps` updates from the moments in `state`
    /// (saved from [`Adam::moments`], first moments then second), e.g. when
    /// a training run is resumed. The bias corrections `β₁ᵗ`, `β₂ᵗ` are
    /// rebuilt by the same `steps` multiplications [`Optimizer::step`]
    /// makes, so the continuation is bit-identical to never stopping.
    pub fn resume(config: AdamConfig, state: &'s mut [T], steps: u32) -> Self {
        let mut beta_powers = (1.0, 1.0);
        for _ in 0..steps {
            beta_powers = (beta_powers.0 * config.beta1, beta_powers.1 * config.beta2);
        }
        Adam {
            config,
            lr: T::from_f64(config.lr),
            steps,
            beta_powers,
            state,
        }
    }

    /// The moments: first moments of every parameter, then second moments.
    pub fn moments(&self) -> &[T] {
        self.state
    }

    /// Steps taken so far.
    pub fn steps(&self) -> usize {
        self.steps as usize
    }
}

impl<T: Float> Optimizer<T> for Adam<'_, T> {
    const STATE_PER_PARAM: usize = 2;

    fn step(&mut self, params: &mut [T], grads: &[T]) -> Result<(), Error> {
        check_state(self.state.len(), 2, params.len())?;
        self.steps = self.steps.saturating_add(1);
        let AdamConfig { beta1, beta2, eps, .. } = self.config;
        self.beta_powers = (self.beta_powers.0 * beta1, self.beta_powers.1 * beta2);
        let (c1, c2) = (1.0 - self.beta_powers.0, 1.0 - self.beta_powers.1);
        // step = lr / c1 · m / (√(v / c2) + ε)
        let (lr_c, inv_c2) = (self.lr / T::from_f64(c1), T::from_f64(1.0 / c2));
        let (b1, b2, eps) = (T::from_f64(beta1), T::from_f64(beta2), T::from_f64(eps));
        let (m, v) = self.state.split_at_mut(params.len());
        for (((p, &g), m), v) in params.iter_mut().zip(grads).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = (b1 * *m + (T::ONE - b1) * g).saturate();
            *v = (b2 * *v + (T::ONE - b2) * g * g).saturate();
            *p = (*p - lr_c * *m / ((*v * inv_c2).sqrt() + eps)).saturate();
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
    fn first_step_moves_by_lr() {
        // with bias correction, the first step is lr · sign(g)
        let mut state = [0.0f64; 4];
        let mut opt = Adam::new(
            AdamConfig {
                lr: 0.1,
                ..AdamConfig::default()
            },
            &mut state,
        );
        let mut p = [1.0f64, 1.0];
        opt.step(&mut p, &[3.0, -0.5]).unwrap();
        assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] - 1.1).abs() < 1e-6);
    }

    #[test]
    fn resuming_from_saved_moments_continues_the_same_steps() {
        let grads = [[3.0, -0.5], [0.25, 1.0], [-2.0, 0.125], [1.5, 1.5]];
        let config = AdamConfig {
            lr: 0.05,
            ..AdamConfig::default()
        };
        let (mut s1, mut p1) = ([0.0f32; 4], [1.0f32, -1.0]);
        let mut whole = Adam::new(config, &mut s1);
        grads.iter().for_each(|g| whole.step(&mut p1, g).unwrap());
        let (mut s2, mut p2) = ([0.0f32; 4], [1.0f32, -1.0]);
        let mut first = Adam::new(config, &mut s2);
        grads[..2].iter().for_each(|g| first.step(&mut p2, g).unwrap());
        let mut saved = [0.0f32; 4];
        saved.copy_from_slice(first.moments());
        let steps = first.steps() as u32;
        let mut rest = Adam::resume(config, &mut saved, steps);
        grads[2..].iter().for_each(|g| rest.step(&mut p2, g).unwrap());
        assert_eq!(p1.map(f32::to_bits), p2.map(f32::to_bits));
        assert_eq!(rest.steps(), 4);
    }
}
