//! The result record of one trained model, as written to `results.json`
//! and summarised for people.

use serde::Serialize;

use super::Recipe;
use super::run::Head;
use crate::metrics::Metric;
use crate::train::{Evaluation, History, diverge};

/// A value on the training, validation and test splits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Triple {
    /// On the training split.
    pub train: f64,
    /// On the validation split.
    pub valid: f64,
    /// On the test split.
    pub test: f64,
}

/// The outcome of one trained model, as written to `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    /// The experiment (subcommand).
    pub experiment: String,
    /// The variant within it (loss, architecture, code size), or empty.
    pub variant: String,
    /// The recipe.
    pub recipe: Recipe,
    /// The settings, for people.
    pub settings: String,
    /// The model in the report's notation.
    pub model: String,
    /// How scores are measured.
    pub metric: Metric,
    /// Scores of the selected model.
    pub score: Triple,
    /// Mean losses of the selected model.
    pub loss: Triple,
    /// The epoch selected on validation (from 1).
    pub best_epoch: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Pearson correlation of the training and validation loss curves.
    pub pearson_loss: Option<f64>,
    /// Pearson correlation of the training and validation score curves.
    pub pearson_score: Option<f64>,
    /// Seconds of training.
    pub seconds: f64,
    /// Reference figures measured alongside (closed-form fit, PCA).
    pub reference: Vec<Reference>,
    /// The old report's figure for this run.
    pub report: String,
    /// The command that reproduces the run.
    pub command: String,
    /// This run's files in the output folder.
    pub files: Vec<String>,
    /// Whether training diverged (see `train::diverge`): the scores are then meaningless.
    pub diverged: bool,
    /// The sign of divergence, e.g. "epoch 1: parameter 3 is 1.000e30, beyond the bound 1e24".
    pub divergence: Option<String>,
}

impl RunResult {
    /// A result from a history and the evaluations of the selected model on
    /// the training, validation and test splits.
    pub fn new(head: Head<'_>, history: &History, [train, valid, test]: [&Evaluation; 3]) -> Self {
        Self {
            experiment: head.experiment.to_owned(),
            variant: head.variant,
            recipe: head.args.recipe,
            settings: head.settings.describe(),
            model: head.model,
            metric: history.metric,
            score: Triple {
                train: train.score,
                valid: valid.score,
                test: test.score,
            },
            loss: Triple {
                train: train.loss,
                valid: valid.loss,
                test: test.loss,
            },
            best_epoch: history.best_epoch,
            epochs: history.records.len(),
            pearson_loss: history.pearson_loss(),
            pearson_score: history.pearson_score(),
            seconds: history.seconds,
            reference: Vec::new(),
            report: head.report.to_owned(),
            command: head.command,
            files: Vec::new(),
            diverged: false,
            divergence: None,
        }
        .with_divergence(history)
    }

    /// Marks the run diverged when its history says so, or its losses or
    /// R² cross a bound of [`diverge`].
    fn with_divergence(mut self, history: &History) -> Self {
        let Triple { train, valid, test } = self.loss;
        let scores = [self.score.train, self.score.valid, self.score.test];
        self.divergence = history
            .diverged
            .clone()
            .or_else(|| diverge::losses(&[train, valid, test]))
            .or_else(|| diverge::scores(self.metric, &scores));
        self.diverged = self.divergence.is_some();
        self
    }

    /// Adds a reference figure, shown as the run's metric shows its scores.
    pub fn add_reference(&mut self, name: impl Into<String>, value: f64) {
        let shown = self.metric.format(value);
        self.add_reference_shown(name, value, shown);
    }

    /// Adds a reference figure with its own text for people.
    pub fn add_reference_shown(&mut self, name: impl Into<String>, value: f64, shown: String) {
        self.reference.push(Reference {
            name: name.into(),
            value,
            shown,
        });
    }

    /// The reference figure whose name contains `part`.
    pub fn reference(&self, part: &str) -> Option<f64> {
        self.reference.iter().find(|r| r.name.contains(part)).map(|r| r.value)
    }

    /// The lines printed for people.
    pub fn summary(&self) -> Vec<String> {
        let m = self.metric;
        let variant = if self.variant.is_empty() {
            String::new()
        } else {
            format!(" [{}]", self.variant)
        };
        let corr = |c: Option<f64>| c.map_or_else(|| "n/a".to_owned(), |c| format!("{c:.3}"));
        let mut lines = vec![
            format!(
                "{}{variant} ({} recipe): {}",
                self.experiment,
                self.recipe.name(),
                self.model
            ),
            format!("  settings: {}", self.settings),
            format!(
                "  {}: train {}, validation {}, test {}",
                m.name(),
                m.format(self.score.train),
                m.format(self.score.valid),
                m.format(self.score.test)
            ),
            format!(
                "  best epoch on validation: {} of {}; Pearson(train, validation): loss {}, score {}; {:.1} s",
                self.best_epoch,
                self.epochs,
                corr(self.pearson_loss),
                corr(self.pearson_score),
                self.seconds
            ),
        ];
        for r in &self.reference {
            lines.push(format!("  {}: {}", r.name, r.shown));
        }
        if let Some(why) = &self.divergence {
            lines.push(format!(
                "  DIVERGED ({why}): these scores are meaningless; lower the learning rate"
            ));
        }
        lines.push(format!("  old report: {}", self.report));
        lines
    }
}

/// A figure measured alongside a run, to compare it with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// What it is.
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its value for people.
    pub shown: String,
}
