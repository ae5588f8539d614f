//! What every run shares: the context, the result record, the summary
//! printed for people and the folder written for machines.

use std::fmt;
use std::path::PathBuf;

use flambeau::{Describe, Loss, Model, Trainer};
use serde::Serialize;

use super::{Recipe, RunArgs, Settings};
use crate::console::Console;
use crate::error::{CoreContext, Error, Result};
use crate::metrics::Metric;
use crate::output::{Artifacts, check_target, final_path};
use crate::train::{Evaluation, History, Shift, TrainConfig, diverge};

/// Where an experiment reads and writes, and how it talks.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The data folder.
    pub data: PathBuf,
    /// Console for results and progress.
    pub console: Console,
    /// Cap on every run's epochs (the report's quick mode).
    pub max_epochs: Option<usize>,
    /// Folder under which default output folders go.
    pub out_root: PathBuf,
}

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

/// What names a run, besides its numbers.
#[derive(Debug, Clone)]
pub struct Head<'a> {
    /// The experiment (subcommand).
    pub experiment: &'a str,
    /// The variant, or empty.
    pub variant: String,
    /// The flags the run was started with.
    pub args: &'a RunArgs,
    /// Its settings.
    pub settings: &'a Settings,
    /// The model's description.
    pub model: String,
    /// The old report's figure.
    pub report: &'a str,
    /// The reproducing command.
    pub command: String,
}

/// The training configuration of a run.
pub fn config(name: String, settings: &Settings, seed: u64, metric: Metric, shift: Option<Shift>) -> TrainConfig {
    TrainConfig {
        name,
        epochs: settings.epochs,
        lr: settings.lr,
        batch: settings.batch,
        seed,
        optim: settings.optim,
        schedule: settings.schedule,
        shift: shift.filter(|s| s.max > 0),
        frozen: None,
        metric,
    }
}

/// A model described in the report's notation (`Linear(256,128) -> Tanh`).
pub fn describe(model: &impl Describe) -> String {
    struct Show<'a, M>(&'a M);
    impl<M: Describe> fmt::Display for Show<'_, M> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.describe(f)
        }
    }
    Show(model).to_string()
}

/// Everything one experiment writes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One result per trained model.
    pub runs: Vec<RunResult>,
    /// Pictures, curves and models.
    pub artifacts: Artifacts,
    /// Remarks for people (e.g. the PCA figures).
    pub notes: Vec<String>,
}

/// Results of an experiment as written to its folder.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// The experiment.
    pub experiment: String,
    /// The output folder.
    pub dir: PathBuf,
    /// Its runs.
    pub runs: Vec<RunResult>,
    /// Its remarks.
    pub notes: Vec<String>,
}

/// The folder a run of `experiment` writes: `--out`, else
/// `<out root>/<experiment>/<recipe>`.
pub fn out_dir(ctx: &Ctx, experiment: &str, args: &RunArgs) -> PathBuf {
    args.out
        .clone()
        .unwrap_or_else(|| ctx.out_root.join(experiment).join(args.recipe.name()))
}

/// Checks, before any data is read or any training starts, that the run's
/// folder can be written (see [`check_target`]).
///
/// # Errors
/// [`Error::Output`] or [`Error::Write`] naming the folder.
pub fn check_out(ctx: &Ctx, experiment: &str, args: &RunArgs) -> Result<()> {
    check_target(&out_dir(ctx, experiment, args)).map(drop)
}

/// Prints the outcome's summary and writes its folder whole (see
/// [`crate::output`]).
///
/// # Errors
/// [`Error::Write`] or [`Error::Output`]; [`Error::DivergedRuns`] after the
/// folder is written when a run diverged.
pub fn finish(ctx: &Ctx, experiment: &str, args: &RunArgs, mut outcome: Outcome) -> Result<Written> {
    let dir = out_dir(ctx, experiment, args);
    let written = Written {
        experiment: experiment.to_owned(),
        dir: final_path(&dir),
        runs: outcome.runs,
        notes: outcome.notes,
    };
    outcome.artifacts.add_json("results.json", &written)?;
    let names = outcome.artifacts.names();
    outcome.artifacts.commit(&dir)?;
    for run in &written.runs {
        run.summary().iter().for_each(|l| ctx.console.say(l));
    }
    written.notes.iter().for_each(|n| ctx.console.say(&format!("  {n}")));
    ctx.console
        .say(&format!("  wrote {} files into {}", names.len(), written.dir.display()));
    let reasons: Vec<String> = written
        .runs
        .iter()
        .filter_map(|r| {
            let variant = if r.variant.is_empty() {
                String::new()
            } else {
                format!(" [{}]", r.variant)
            };
            let why = r.divergence.as_ref()?;
            Some(format!(
                "{}{variant}: training diverged ({why}); lower the learning rate (\"diverged\": true in {})",
                r.experiment,
                written.dir.join("results.json").display()
            ))
        })
        .collect();
    if reasons.is_empty() {
        Ok(written)
    } else {
        Err(Error::DivergedRuns { reasons })
    }
}

/// The command that reproduces a run of `experiment` with `extra` flags.
pub fn command(experiment: &str, extra: &str, args: &RunArgs) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(" {extra}")
    };
    format!("flambeau {experiment}{extra} {}", args.flags())
}

/// The trained parameters as a safetensors file (PyTorch's state_dict names).
///
/// # Errors
/// [`crate::error::Error::Core`] (a buffer-size bug).
pub fn safetensors<M: Model, L: Loss<M::Output>, const B: usize>(net: &Trainer<'_, f32, M, L, B>) -> Result<Vec<u8>> {
    let mut bytes = vec![0u8; net.graph().safetensors_len()];
    let n = net
        .graph()
        .save_safetensors(&mut bytes)
        .context(|| "saving the model".to_owned())?;
    bytes.truncate(n);
    Ok(bytes)
}
