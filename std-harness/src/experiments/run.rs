//! What every run shares: the context, the result record, the summary
//! printed for people and the folder written for machines.

use std::fmt;
use std::path::{Path, PathBuf};

use flambeau::{Describe, Loss, Model, Trainer};
use serde::Serialize;

pub use super::result::{RunResult, Triple};
use super::{RunArgs, Settings};
use crate::console::Console;
use crate::error::{CoreContext, Error, Result};
use crate::metrics::Metric;
use crate::model::meta;
use crate::output::{Artifacts, Kind, check_target, final_path};
use crate::train::{Checkpointing, Shift, TrainConfig, checkpoint};

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
        checkpoint: None,
        decay: settings.regularizer(),
        running_train_scores: false,
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

/// How this binary's kernels sum their products: the core's default order,
/// or the opt-in fused multiply-adds (`--features fma`), whose trained bits
/// differ in the last places.
pub const SUMMATION: &str = if cfg!(feature = "fma") {
    "fused multiply-add (built with --features fma)"
} else {
    "multiply then add (the default order)"
};

/// Results of an experiment as written to its folder.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    /// The kind of command that wrote the folder (`training`, or `search`
    /// for a search's folder): a folder is replaced only by a run of the
    /// same kind (see [`crate::output::Kind`]).
    pub written_by: &'static str,
    /// The experiment.
    pub experiment: String,
    /// [`SUMMATION`] of the binary that wrote it.
    pub summation: &'static str,
    /// The output folder.
    pub dir: PathBuf,
    /// Its runs.
    pub runs: Vec<RunResult>,
    /// Its remarks.
    pub notes: Vec<String>,
}

/// The folder a run of `experiment` writes: `--out`, else the folder
/// `--resume` continues, else `<out root>/<experiment>/<recipe>`.
pub fn out_dir(ctx: &Ctx, experiment: &str, args: &RunArgs) -> PathBuf {
    args.out
        .clone()
        .or_else(|| args.resume.as_deref().map(resumed_run))
        .unwrap_or_else(|| ctx.out_root.join(experiment).join(args.recipe.name()))
}

/// The run folder `--resume DIR` names: `DIR`, or its parent when `DIR`
/// is the checkpoint folder itself.
fn resumed_run(dir: &Path) -> PathBuf {
    let is_ckpt = dir.file_name().is_some_and(|n| n == checkpoint::DIR) && !dir.join(checkpoint::DIR).is_dir();
    match dir.parent() {
        Some(parent) if is_ckpt => parent.to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

/// Checks, before any data is read or any training starts, that the run's
/// folder can be written (see [`check_target`]) and that `--resume` names
/// a folder holding a checkpoint; returns the flags with `--out` resolved,
/// which is where the run's checkpoints go.
///
/// # Errors
/// [`Error::Output`] or [`Error::Write`] naming the folder;
/// [`Error::Checkpoint`] when `--resume` finds no checkpoint.
pub fn check_out(ctx: &Ctx, experiment: &str, args: &RunArgs) -> Result<RunArgs> {
    let out = out_dir(ctx, experiment, args);
    check_target(&out, Kind::Training)?;
    let holds_checkpoint = |run: &Path| {
        std::fs::read_dir(run.join(checkpoint::DIR))
            .map(|d| {
                d.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "safetensors"))
            })
            .unwrap_or(false)
    };
    if args.resume.is_none() && holds_checkpoint(&out) {
        ctx.console.note(&format!(
            "note: {} holds the checkpoint of an interrupted run; this run starts afresh and replaces it \
             (to continue that run instead: --resume {})",
            out.display(),
            out.display()
        ));
    }
    if let Some(dir) = args.resume.as_ref().filter(|d| !holds_checkpoint(&resumed_run(d))) {
        let done = resumed_run(dir).join(crate::output::RESULTS).is_file();
        let why = if done {
            "no checkpoint: the run there completed (a run removes its checkpoints when it writes its results)"
        } else {
            "no checkpoint (a run writes DIR/checkpoint/ after every epoch); give the folder of an interrupted run"
        };
        return Err(Error::Checkpoint {
            path: dir.clone(),
            problem: why.to_owned(),
        });
    }
    Ok(RunArgs {
        out: Some(out),
        ..args.clone()
    })
}

/// Where a run saves its checkpoint `file` (`OUT/checkpoint/FILE`) and,
/// with `--resume DIR`, the one it continues from (`DIR/checkpoint/FILE`).
/// Runs whose `--out` was not resolved by [`check_out`] keep none.
///
/// # Errors
/// [`Error::Setting`] when [`checkpoint::STOP_AFTER_EPOCH`] is set but not a whole number.
pub fn checkpointing(args: &RunArgs, file: &str) -> Result<Option<Checkpointing>> {
    let Some(out) = args.out.as_ref() else {
        return Ok(None);
    };
    Ok(Some(Checkpointing {
        stop_after: checkpoint::stop_after()?,
        file: out.join(checkpoint::DIR).join(file),
        resume: args
            .resume
            .as_deref()
            .map(|d| resumed_run(d).join(checkpoint::DIR).join(file)),
    }))
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
        written_by: Kind::Training.name(),
        experiment: experiment.to_owned(),
        summation: SUMMATION,
        dir: final_path(&dir),
        runs: outcome.runs,
        notes: outcome.notes,
    };
    outcome.artifacts.add_json("results.json", &written)?;
    let names = outcome.artifacts.names();
    outcome.artifacts.commit(&dir, Kind::Training)?;
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

/// The trained parameters as a safetensors file (PyTorch's state_dict
/// names) whose `__metadata__` describes the model and its run (see
/// [`crate::model::meta`]).
///
/// # Errors
/// [`crate::error::Error::Core`] (a buffer-size bug).
pub fn safetensors<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &Trainer<'_, f32, M, L, B>,
    result: &RunResult,
    seed: u64,
    io: (meta::Input, meta::Output),
) -> Result<Vec<u8>> {
    let arch = describe(net.model());
    let pairs = meta::of_run(&arch, result, seed, io);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut bytes = vec![0u8; net.graph().safetensors_len_with(&pairs, &[])];
    let n = net
        .graph()
        .save_safetensors_with(&mut bytes, &pairs, &[])
        .context(|| "saving the model".to_owned())?;
    bytes.truncate(n);
    Ok(bytes)
}

/// Loads the weights of `--init-from` into `net`, when given: the file's
/// architecture (when it states one) must be the network's, and every
/// tensor must match by name and shape (strict loading).
///
/// # Errors
/// [`crate::error::Error::Model`] naming the file and the mismatch.
pub fn init_from<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    args: &RunArgs,
) -> Result<()> {
    let Some(path) = &args.init_from else {
        return Ok(());
    };
    let file = crate::model::ModelFile::open(path)?;
    let arch = describe(net.model());
    if let Some(theirs) = file.meta.get(meta::key::ARCHITECTURE)
        && theirs.split_whitespace().ne(arch.split_whitespace())
    {
        return Err(crate::model::model_error(
            path,
            format!("holds '{theirs}', this run trains '{arch}'"),
        ));
    }
    net.graph_mut()
        .load_safetensors(&file.bytes)
        .map_err(|e| crate::model::model_error(path, e.to_string()))
}
