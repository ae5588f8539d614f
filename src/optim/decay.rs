//! Regularisation of the parameters, chosen per parameter kind: L2 weight
//! decay added to the gradient (coupled, as PyTorch's `weight_decay` in
//! `SGD` and `Adam`), AdamW's decoupled decay of the parameters themselves,
//! and L1. By default only weights are regularised, never biases.
//!
//! Penalty (what the coupled terms are the gradient of):
//! `R(p) = ½ l2 Σ p² + l1 Σ |p|`, so `∂R/∂p = l2 p + l1 sign(p)` (0 at
//! `p = 0`, the subgradient the lasso's soft threshold picks).
//! Decoupled: `p ← p (1 − lr · decoupled)` before the optimiser's step
//! (Loshchilov & Hutter's AdamW, as PyTorch's).
//!
//! Numerics: the added gradients and the decayed parameters are saturated
//! like every other update.

use crate::init::ParamKind;

/// Which regularisers apply, with what strength, to which parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightDecay {
    /// Coupled L2 coefficient: `∂p += l2 · p`.
    pub l2: f64,
    /// L1 coefficient: `∂p += l1 · sign(p)`.
    pub l1: f64,
    /// Decoupled (AdamW) coefficient: `p ← p (1 − lr · decoupled)` before each step.
    pub decoupled: f64,
    /// Whether biases are regularised too (weights always are).
    pub biases: bool,
}

impl Default for WeightDecay {
    /// No regularisation.
    fn default() -> Self {
        WeightDecay {
            l2: 0.0,
            l1: 0.0,
            decoupled: 0.0,
            biases: false,
        }
    }
}

impl WeightDecay {
    /// Coupled L2 weight decay of `l2` on the weights.
    pub fn l2(l2: f64) -> Self {
        WeightDecay { l2, ..Self::default() }
    }

    /// L1 of `l1` on the weights.
    pub fn l1(l1: f64) -> Self {
        WeightDecay { l1, ..Self::default() }
    }

    /// AdamW's decoupled decay of `decoupled` on the weights.
    pub fn decoupled(decoupled: f64) -> Self {
        WeightDecay {
            decoupled,
            ..Self::default()
        }
    }

    /// Whether a parameter of this kind is regularised.
    pub fn applies_to(&self, kind: ParamKind) -> bool {
        matches!(kind, ParamKind::Weight) || self.biases
    }

    /// Whether anything is regularised at all.
    pub fn is_active(&self) -> bool {
        self.l2 != 0.0 || self.l1 != 0.0 || self.decoupled != 0.0
    }
}
