//! Running the trials: each is a whole run of the experiment into a scratch
//! folder, rung after rung, two at a time (each on one thread).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::SearchArgs;
use super::halving::Rung;
use super::space::Point;
use super::table::Trial;
use crate::console::Console;
use crate::error::{Error, Result, setting};
use crate::experiments::usps_mlp::MlpLoss;
use crate::experiments::{
    Ctx, Recipe, RunArgs, RunResult, Written, autoencoder, checkerboard, conv1d, conv2d, gaussians, usps_mlp,
};

/// Code size of the auto-encoder a search tunes.
const AE_CODE: usize = 32;

/// The experiments a search can tune (linreg is left out: it trains with
/// its own full-batch loop against the closed form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Two Gaussian classes, a linear classifier.
    Gaussians,
    /// The checkerboard (XOR) with Linear(2,16)-Tanh-Linear(16,1)-Sigmoid.
    Checkerboard,
    /// USPS with the MLP and cross-entropy.
    UspsMlpCe,
    /// USPS with the MLP and MSE on sigmoid outputs.
    UspsMlpMse,
    /// The USPS auto-encoder with a code of 32.
    Autoencoder,
    /// USPS with the recipe's 1-D convolutional network.
    Conv1d,
    /// USPS with the LeNet-like 2-D convolutional network.
    Conv2d,
}

impl Target {
    /// The name a recipe file records (`usps-mlp-ce`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Gaussians => "gaussians",
            Target::Checkerboard => "checkerboard",
            Target::UspsMlpCe => "usps-mlp-ce",
            Target::UspsMlpMse => "usps-mlp-mse",
            Target::Autoencoder => "autoencoder",
            Target::Conv1d => "conv1d",
            Target::Conv2d => "conv2d",
        }
    }

    /// The command that runs the experiment as searched.
    pub fn command(self) -> String {
        match self {
            Target::UspsMlpCe => "flambeau usps-mlp --loss ce".to_owned(),
            Target::UspsMlpMse => "flambeau usps-mlp --loss mse".to_owned(),
            Target::Autoencoder => format!("flambeau autoencoder --codes {AE_CODE}"),
            other => format!("flambeau {}", other.name()),
        }
    }

    /// The largest batch the experiment's trainer is built for.
    pub fn max_batch(self) -> usize {
        match self {
            Target::Gaussians | Target::Checkerboard => 128,
            _ => 256,
        }
    }

    /// The recipe's epochs.
    pub fn epochs(self, recipe: Recipe) -> usize {
        match self {
            Target::Gaussians => gaussians::settings(recipe).epochs,
            Target::Checkerboard => checkerboard::settings(recipe).epochs,
            Target::UspsMlpCe => usps_mlp::settings(recipe, MlpLoss::Ce).epochs,
            Target::UspsMlpMse => usps_mlp::settings(recipe, MlpLoss::Mse).epochs,
            Target::Autoencoder => autoencoder::settings(recipe).0.epochs,
            Target::Conv1d => conv1d::settings(recipe).epochs,
            Target::Conv2d => conv2d::settings(recipe).epochs,
        }
    }

    fn run(self, ctx: &Ctx, args: &RunArgs) -> Result<Written> {
        match self {
            Target::Gaussians => gaussians::run(ctx, args),
            Target::Checkerboard => checkerboard::run(ctx, args),
            Target::UspsMlpCe => usps_mlp::run(ctx, args, MlpLoss::Ce),
            Target::UspsMlpMse => usps_mlp::run(ctx, args, MlpLoss::Mse),
            Target::Autoencoder => autoencoder::run(ctx, args, Some(&[AE_CODE])),
            Target::Conv1d => conv1d::run(ctx, args, None),
            Target::Conv2d => conv2d::run(ctx, args, Default::default()),
        }
    }
}

/// A trial that trained: its flags and its result.
#[derive(Debug, Clone)]
pub struct Done {
    /// The flags it ran with.
    pub args: RunArgs,
    /// Its result (the chosen trial's test score is read once, by the caller).
    pub run: RunResult,
}

/// Every trial, and the chosen one with its files.
#[derive(Debug)]
pub struct Searched {
    /// One row per trial and rung.
    pub trials: Vec<Trial>,
    /// The best trial of the last rung, on validation.
    pub best: Done,
    /// The chosen trial's files (curves, weights, pictures), without its `results.json`.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A scratch folder removed when dropped (also on errors).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("flambeau-search-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        Ok(Self(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The flags of a trial: the search's recipe with the point's settings.
fn trial_args(args: &SearchArgs, p: &Point, epochs: usize, out: PathBuf) -> RunArgs {
    RunArgs {
        epochs: Some(epochs),
        lr: Some(p.lr),
        batch_size: Some(p.batch),
        train_size: args.train_size,
        seed: args.seed,
        out: Some(out),
        weight_decay: Some(p.weight_decay),
        decay: Some(p.decay),
        ..RunArgs::of(args.recipe)
    }
}

/// The trial's validation score, `None` when it diverged.
fn valid_score(runs: &[RunResult]) -> Option<f64> {
    let scores: Vec<f64> = runs.iter().filter(|r| !r.diverged).map(|r| r.score.valid).collect();
    (scores.len() == runs.len() && !scores.is_empty() && scores.iter().all(|s| s.is_finite()))
        .then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

/// Trains each rung's trials and keeps the best on validation for the next.
///
/// # Errors
/// An experiment's error other than divergence; a setting error when every
/// trial of the last rung diverged.
pub fn run_rungs(ctx: &Ctx, args: &SearchArgs, points: &[Point], rungs: &[Rung], jobs: usize) -> Result<Searched> {
    let scratch = Scratch::new()?;
    let quiet = Ctx {
        console: Console::silent(),
        max_epochs: None,
        out_root: scratch.0.clone(),
        data: ctx.data.clone(),
    };
    let mut alive: Vec<usize> = (0..points.len()).collect();
    let mut rows: Vec<Trial> = Vec::new();
    let mut ranked: Vec<(usize, Option<f64>, Option<Done>)> = Vec::new();
    for (k, rung) in rungs.iter().enumerate() {
        alive.truncate(rung.trials);
        let work: Vec<(usize, RunArgs)> = alive
            .iter()
            .filter_map(|&i| {
                let p = points.get(i)?;
                Some((
                    i,
                    trial_args(args, p, rung.epochs, scratch.0.join(format!("r{k}-t{i}"))),
                ))
            })
            .collect();
        let outcomes = in_parallel(&quiet, args.experiment, &work, jobs)?;
        ranked = outcomes
            .into_iter()
            .map(|(i, done)| {
                let score = done.as_ref().and_then(|d| valid_score(std::slice::from_ref(&d.run)));
                (i, score, done)
            })
            .collect();
        let metric = ranked.iter().find_map(|(_, _, d)| d.as_ref().map(|d| d.run.metric));
        ranked.sort_by(|a, b| rank(metric, (a.0, a.1), (b.0, b.1)));
        for (i, score, done) in &ranked {
            let p = points.get(*i).copied();
            rows.push(Trial::new(*i, k, rung.epochs, p, *score, done.as_ref().map(|d| &d.run)));
            let line = match score {
                Some(s) => format!("{s:.4}"),
                None => "diverged".to_owned(),
            };
            ctx.console.say(&format!(
                "  rung {} ({} epochs) trial {i}: validation {line}",
                k + 1,
                rung.epochs
            ));
        }
        alive = ranked.iter().map(|(i, _, _)| *i).collect();
    }
    let next_rung: Vec<(usize, usize)> = rows.iter().map(|r| (r.trial, r.rung)).collect();
    for row in &mut rows {
        row.promoted = next_rung.contains(&(row.trial, row.rung + 1));
    }
    let Some((index, Some(_), Some(best))) = ranked.into_iter().next() else {
        return Err(setting(
            "search",
            "every trial of the last rung diverged; lower the learning rates (--lr)",
        ));
    };
    if let Some(row) = rows.iter_mut().rev().find(|r| r.trial == index) {
        row.chosen = true;
    }
    let last = rungs.len().saturating_sub(1);
    let files = read_files(&scratch.0.join(format!("r{last}-t{index}")))?;
    Ok(Searched {
        trials: rows,
        best,
        files,
    })
}

/// Orders trials best first on validation, diverged ones last, ties by draw.
fn rank(
    metric: Option<crate::metrics::Metric>,
    (ia, a): (usize, Option<f64>),
    (ib, b): (usize, Option<f64>),
) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let by_score = match (a, b) {
        (Some(a), Some(b)) => match metric {
            Some(m) if m.better(a, b) => Less,
            Some(m) if m.better(b, a) => Greater,
            _ => Equal,
        },
        (Some(_), None) => Less,
        (None, Some(_)) => Greater,
        (None, None) => Equal,
    };
    by_score.then(ia.cmp(&ib))
}

/// Runs `work` on `jobs` threads; returns `(draw, trial)` in the order given,
/// `None` for a trial that diverged.
fn in_parallel(
    ctx: &Ctx,
    target: Target,
    work: &[(usize, RunArgs)],
    jobs: usize,
) -> Result<Vec<(usize, Option<Done>)>> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Result<Option<Done>>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(work.len()) {
            s.spawn(|| {
                loop {
                    let pos = next.fetch_add(1, Ordering::Relaxed);
                    let Some((_, args)) = work.get(pos) else { break };
                    let outcome = match target.run(ctx, args) {
                        Ok(written) => Ok(written.runs.into_iter().next().map(|run| Done {
                            args: args.clone(),
                            run,
                        })),
                        Err(Error::DivergedRuns { .. }) => Ok(None),
                        Err(e) => Err(e),
                    };
                    if let Ok(mut d) = done.lock() {
                        d.push((pos, outcome));
                    }
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(pos, _)| *pos);
    let mut out = Vec::new();
    for ((i, _), (_, outcome)) in work.iter().zip(done) {
        out.push((*i, outcome?));
    }
    Ok(out)
}

/// The files of a trial's folder, but its `results.json`.
fn read_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let read_error = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "results.json" || !entry.path().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(read_error)?;
        files.push((name, bytes));
    }
    files.sort();
    Ok(files)
}
