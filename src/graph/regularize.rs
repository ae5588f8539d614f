//! Applying a [`WeightDecay`] to the parameters a graph holds, kind by
//! kind (the tape knows which parameter is a weight and which a bias).

use super::Graph;
use crate::float::Float;
use crate::ops::Op;
use crate::optim::WeightDecay;

impl<T: Float> Graph<'_, T> {
    /// The parameter ranges `decay` applies to, in tape order.
    fn decayed_ranges(&self, decay: WeightDecay) -> impl Iterator<Item = core::ops::Range<usize>> + '_ {
        self.nodes().iter().filter_map(move |n| match n.op {
            Op::Param(p) if decay.applies_to(p.kind) => Some(n.range()),
            _ => None,
        })
    }

    /// The coupled penalty `½ l2 Σ p² + l1 Σ |p|` over the parameters `decay` applies to.
    pub fn penalty(&self, decay: &WeightDecay) -> T {
        let (l2, l1) = (T::from_f64(decay.l2), T::from_f64(decay.l1));
        let half = T::from_f64(0.5);
        let mut total = T::ZERO;
        for range in self.decayed_ranges(*decay) {
            for &p in self.params.get(range).unwrap_or(&[]) {
                total += half * l2 * p * p + l1 * p.abs();
            }
        }
        total.saturate()
    }

    /// Adds the penalty's gradient `l2 p + l1 sign(p)` to the parameter
    /// gradients (after [`Graph::backward`], before the optimiser's step).
    pub fn add_penalty_grads(&mut self, decay: &WeightDecay) {
        if decay.l2 == 0.0 && decay.l1 == 0.0 {
            return;
        }
        let (l2, l1) = (T::from_f64(decay.l2), T::from_f64(decay.l1));
        let Graph {
            tape,
            nodes,
            params,
            param_grads,
            ..
        } = self;
        for n in tape.iter().take(*nodes) {
            let Op::Param(info) = n.op else { continue };
            if !decay.applies_to(info.kind) {
                continue;
            }
            let (Some(p), Some(g)) = (params.get(n.range()), param_grads.get_mut(n.range())) else {
                continue;
            };
            for (gv, &pv) in g.iter_mut().zip(p) {
                let sign = if pv > T::ZERO {
                    T::ONE
                } else if pv < T::ZERO {
                    -T::ONE
                } else {
                    T::ZERO
                };
                *gv = (*gv + l2 * pv + l1 * sign).saturate();
            }
        }
    }

    /// Scales the parameters `decay` applies to by `1 − lr · decoupled`
    /// (AdamW's decoupled decay, before the optimiser's step).
    pub fn decay_params(&mut self, decay: &WeightDecay, lr: T) {
        if decay.decoupled == 0.0 {
            return;
        }
        let factor = T::ONE - lr * T::from_f64(decay.decoupled);
        let Graph {
            tape, nodes, params, ..
        } = self;
        for n in tape.iter().take(*nodes) {
            let Op::Param(info) = n.op else { continue };
            if !decay.applies_to(info.kind) {
                continue;
            }
            for p in params.get_mut(n.range()).unwrap_or(&mut []) {
                *p = (*p * factor).saturate();
            }
        }
    }
}
