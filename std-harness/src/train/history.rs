//! The curves of a run: one record per epoch, and the best epoch on validation.

use std::fmt::Write;

use serde::Serialize;

use crate::metrics::{Metric, pearson};

/// Losses and scores after one epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Learning rate used during the epoch.
    pub lr: f64,
    /// Mean loss on the training split (no augmentation), or on the
    /// epoch's batches as trained on with `running_train_scores`.
    pub train_loss: f64,
    /// Mean loss on the validation split.
    pub valid_loss: f64,
    /// Score on the training split (or on the epoch's batches, as the loss).
    pub train_score: f64,
    /// Score on the validation split.
    pub valid_score: f64,
}

/// Every epoch's record, and which one was best on validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    /// How the epochs were scored.
    pub metric: Metric,
    /// One record per epoch.
    pub records: Vec<EpochRecord>,
    /// The epoch (from 1) with the lowest validation loss (the first of equals).
    pub best_epoch: usize,
    /// Wall-clock seconds of training and scoring.
    pub seconds: f64,
    /// Why training stopped as diverged (see [`super::diverge`]), if it did.
    pub diverged: Option<String>,
}

impl History {
    /// An empty history.
    pub fn new(metric: Metric) -> Self {
        Self {
            metric,
            records: Vec::new(),
            best_epoch: 0,
            seconds: 0.0,
            diverged: None,
        }
    }

    /// Appends a record; returns whether it is the new best on validation,
    /// that is, of the lowest validation loss so far. The loss is the
    /// criterion because it is continuous: an accuracy over a few hundred
    /// validation images moves in steps and ties often, and picking among
    /// ties (or on a lucky step) is noise.
    pub fn push(&mut self, record: EpochRecord) -> bool {
        let better = self.best().is_none_or(|best| record.valid_loss < best.valid_loss);
        if better {
            self.best_epoch = record.epoch;
        }
        self.records.push(record);
        better
    }

    /// The record of the best epoch.
    pub fn best(&self) -> Option<&EpochRecord> {
        self.records.iter().find(|r| r.epoch == self.best_epoch)
    }

    /// The first epoch whose validation score is the best of the run.
    pub fn first_best_score(&self) -> Option<&EpochRecord> {
        let m = self.metric;
        let best = self
            .records
            .iter()
            .map(|r| r.valid_score)
            .reduce(|a, b| if m.better(b, a) { b } else { a })?;
        self.records.iter().find(|r| r.valid_score == best)
    }

    /// Pearson's correlation of the training and validation loss curves.
    pub fn pearson_loss(&self) -> Option<f64> {
        pearson(&self.column(|r| r.train_loss), &self.column(|r| r.valid_loss))
    }

    /// Pearson's correlation of the training and validation score curves.
    pub fn pearson_score(&self) -> Option<f64> {
        pearson(&self.column(|r| r.train_score), &self.column(|r| r.valid_score))
    }

    /// One value per epoch.
    pub fn column(&self, f: impl Fn(&EpochRecord) -> f64) -> Vec<f64> {
        self.records.iter().map(f).collect()
    }

    /// The curves as CSV, one row per epoch.
    pub fn csv(&self) -> String {
        let mut out = String::from("epoch,lr,train_loss,valid_loss,train_score,valid_score\n");
        for r in &self.records {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                r.epoch, r.lr, r.train_loss, r.valid_loss, r.train_score, r.valid_score
            );
        }
        out
    }

    /// The progress bar's message after `record`.
    pub fn message(&self, record: &EpochRecord, epochs: usize) -> String {
        format!(
            "epoch {}/{epochs} loss {:.4} valid {}",
            record.epoch,
            record.train_loss,
            self.metric.format(record.valid_score)
        )
    }
}
