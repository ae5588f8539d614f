//! The running training scores of an epoch: the loss and outputs of each
//! batch as it was trained on, gathered instead of a pass over the
//! training split after the epoch.

use flambeau::{Loss, Model, Shape, Trainer};

use super::Evaluation;
use crate::metrics::Metric;

/// The outputs, targets and summed loss of the batches of one epoch, as trained on.
#[derive(Debug, Default)]
pub(super) struct Seen {
    outputs: Vec<f32>,
    targets: Vec<f32>,
    loss: f64,
    rows: usize,
}

impl Seen {
    /// Adds the batch of `rows` rows the trainer just stepped on (its outputs before the step).
    pub(super) fn add<M: Model, L: Loss<M::Output>, const B: usize>(
        &mut self,
        net: &mut Trainer<'_, f32, M, L, B>,
        loss: f32,
        rows: usize,
    ) {
        let out = <M::Output as Shape>::SIZE;
        let outputs = net.graph().value(net.output());
        self.outputs
            .extend_from_slice(outputs.get(..rows * out).unwrap_or(outputs));
        let targets = net.target_mut();
        self.targets
            .extend_from_slice(targets.get(..rows * out).unwrap_or(targets));
        self.loss += f64::from(loss) * rows as f64;
        self.rows += rows;
    }

    /// The mean loss and the score of the batches seen.
    pub(super) fn evaluation<M: Model>(self, metric: Metric) -> Evaluation {
        let out = <M::Output as Shape>::SIZE;
        Evaluation {
            loss: self.loss / self.rows.max(1) as f64,
            score: metric.score(&self.outputs, &self.targets, out),
            outputs: Vec::new(),
        }
    }
}
