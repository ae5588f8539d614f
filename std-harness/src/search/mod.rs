//! `flambeau search`: automatic hyper-parameter search for an experiment.
//!
//! Random search with successive halving ([`halving`]): trials draw a
//! learning rate (log-uniform), a batch size, a weight decay (log-uniform)
//! and its kind from a seeded generator ([`space`]); every rung trains its
//! trials for its budget of epochs (two at a time by default, each on one
//! thread) and keeps the best `1/η` on **validation** for the next, larger
//! budget. The best trial of the last rung is the chosen setting: its test
//! score is read once, at the end, and never compared with any other.
//!
//! Trials are whole runs of the experiment into a scratch folder that is
//! removed at the end; the search folder receives the chosen trial's files
//! (results, curves, weights), the table of every trial (`trials.md`,
//! `trials.csv`), the plot of validation score against each
//! hyper-parameter (`search.png`) and the chosen setting as a recipe file
//! (`recipe.json`) that `--recipe-file` reads.

pub mod halving;
pub mod space;
mod table;
mod trials;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Result, setting};
use crate::experiments::{Ctx, Decay, Recipe, RecipeFile, RunResult, Written, whole_number};
use crate::output::{Artifacts, Kind, check_target, final_path};
use crate::plot;
use halving::Rung;
use space::{LogRange, Space};
pub use table::Trial;
pub use trials::Target;

/// Flags of `flambeau search`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct SearchArgs {
    /// The experiment to tune.
    #[arg(value_enum)]
    pub experiment: Target,
    /// The built-in recipe the drawn settings override (optimiser, schedule, init, augmentation).
    #[arg(long, value_enum, default_value = "best")]
    pub recipe: Recipe,
    /// Settings drawn for the first rung.
    #[arg(long, default_value_t = 9, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub trials: usize,
    /// Epochs of the first rung.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub min_epochs: usize,
    /// Largest epochs a trial trains [default: the recipe's epochs].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub max_epochs: Option<usize>,
    /// Each rung keeps the best 1/ETA of the trials and gives them ETA times the epochs.
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub eta: usize,
    /// Learning rates, drawn log-uniformly: LO..HI, or one value.
    #[arg(long, default_value = "1e-4..1e-1", allow_hyphen_values = true)]
    pub lr: String,
    /// Batch sizes, drawn uniformly.
    #[arg(long, value_delimiter = ',', default_value = "8,16,32,64", value_parser = whole_number::<usize>)]
    pub batch_sizes: Vec<usize>,
    /// Weight decays, drawn log-uniformly: LO..HI, one value, or 0 for none.
    #[arg(long, default_value = "1e-6..1e-2", allow_hyphen_values = true)]
    pub weight_decay: String,
    /// Kinds of weight decay, drawn uniformly.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "l2")]
    pub decays: Vec<Decay>,
    /// USPS training images each trial uses [default: the recipe's].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub train_size: Option<usize>,
    /// Seed of the draws, and of every trial's data, initialisation and shuffling.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = whole_number::<u64>)]
    pub seed: u64,
    /// Trials trained at the same time, each on one thread [default: the number of cores, at most 2].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub jobs: Option<usize>,
    /// Output folder [default: out/search/<experiment>].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl SearchArgs {
    /// The flags for `experiment` with the defaults, writing into `out`.
    pub fn of(experiment: Target, out: Option<PathBuf>) -> Self {
        Self {
            experiment,
            recipe: Recipe::Best,
            trials: 9,
            min_epochs: 3,
            max_epochs: None,
            eta: 3,
            lr: "1e-4..1e-1".to_owned(),
            batch_sizes: vec![8, 16, 32, 64],
            weight_decay: "1e-6..1e-2".to_owned(),
            decays: vec![Decay::L2],
            train_size: None,
            seed: 1,
            jobs: None,
            out,
        }
    }

    /// The command that reproduces the search.
    pub fn command(&self) -> String {
        let decays: Vec<&str> = self.decays.iter().map(|d| d.name()).collect();
        let batches: Vec<String> = self.batch_sizes.iter().map(usize::to_string).collect();
        let mut text = format!(
            "flambeau search {} --recipe {} --trials {} --min-epochs {} --eta {} --lr {} --batch-sizes {} \
             --weight-decay {} --decays {} --seed {}",
            self.experiment.name(),
            self.recipe.name(),
            self.trials,
            self.min_epochs,
            self.eta,
            self.lr,
            batches.join(","),
            self.weight_decay,
            decays.join(","),
            self.seed
        );
        if let Some(m) = self.max_epochs {
            text.push_str(&format!(" --max-epochs {m}"));
        }
        if let Some(n) = self.train_size {
            text.push_str(&format!(" --train-size {n}"));
        }
        text
    }
}

/// What `results.json` of a search holds: the chosen trial's run, as every
/// experiment writes, and the search around it.
#[derive(Debug, Clone, Serialize)]
struct SearchResult<'a> {
    #[serde(flatten)]
    written: &'a Written,
    command: String,
    space: &'a Space,
    rungs: Vec<(usize, usize)>,
    trials: &'a [Trial],
    chosen: &'a RecipeFile,
}

/// Runs the search and writes its folder; returns it as an experiment's.
///
/// # Errors
/// [`crate::error::Error::Setting`] for a bad search space or schedule
/// (before anything runs); the experiment's errors, except divergence,
/// which only ranks a trial last.
pub fn run(ctx: &Ctx, args: &SearchArgs) -> Result<Written> {
    let target = args.experiment;
    let space = Space {
        lr: LogRange::parse("--lr", &args.lr, false)?,
        batch_sizes: args.batch_sizes.clone(),
        weight_decay: LogRange::parse("--weight-decay", &args.weight_decay, true)?,
        decays: args.decays.clone(),
    };
    space.check(target.max_batch())?;
    let max_epochs = args.max_epochs.unwrap_or_else(|| target.epochs(args.recipe));
    let max_epochs = ctx.max_epochs.map_or(max_epochs, |cap| max_epochs.min(cap));
    let rungs = halving::schedule(args.trials, args.min_epochs.min(max_epochs), max_epochs, args.eta)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)));
    if jobs == 0 {
        return Err(setting(
            "--jobs",
            "0 trials at a time cannot run anything; give 1 or more",
        ));
    }
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| ctx.out_root.join("search").join(target.name()));
    check_target(&dir, Kind::Search)?;
    ctx.console.say(&format!(
        "search {}: {} trials, rungs {}, {} epochs in all, {jobs} at a time",
        target.name(),
        args.trials,
        rungs
            .iter()
            .map(|r| format!("{}x{}", r.trials, r.epochs))
            .collect::<Vec<_>>()
            .join(" -> "),
        halving::total_epochs(&rungs)
    ));
    let points = space.draw(args.trials, args.seed);
    let searched = trials::run_rungs(ctx, args, &points, &rungs, jobs)?;
    let best = searched.best;
    let chosen = RecipeFile::of(
        target.name(),
        &best.args,
        format!(
            "chosen by `{}` on validation {} {}",
            args.command(),
            best.run.metric.name(),
            best.run.metric.format(best.run.score.valid)
        ),
    );
    let mut artifacts = Artifacts::new();
    for (name, bytes) in searched.files {
        artifacts.add(name, bytes);
    }
    artifacts.add_json("recipe.json", &chosen)?;
    let trials = &searched.trials;
    artifacts.add("trials.md", table::markdown(trials, best.run.metric).into_bytes());
    artifacts.add("trials.csv", table::csv(trials)?);
    let title = format!(
        "search {}: validation {} of every trial",
        target.name(),
        best.run.metric.name()
    );
    plot::search("search.png", &title, trials, best.run.metric)?.save(&mut artifacts, "search.png")?;
    let mut run: RunResult = best.run.clone();
    run.experiment = format!("search-{}", target.name());
    run.report = "none (tuned here)".to_owned();
    run.files
        .extend(["recipe.json", "trials.md", "trials.csv", "search.png"].map(String::from));
    let written = Written {
        written_by: Kind::Search.name(),
        experiment: format!("search-{}", target.name()),
        summation: crate::experiments::SUMMATION,
        dir: final_path(&dir),
        runs: vec![run],
        notes: vec![
            format!("{} draws, {} runs: {}", args.trials, trials.len(), rung_text(&rungs)),
            format!("chosen on validation: {}", best.run.settings),
            format!(
                "its test {} (read once, after the choice): {}",
                best.run.metric.name(),
                best.run.metric.format(best.run.score.test)
            ),
            format!(
                "reuse it: {} --recipe-file {}",
                target.command(),
                shell_word(&final_path(&dir).join("recipe.json"))
            ),
        ],
    };
    let result = SearchResult {
        written: &written,
        command: args.command(),
        space: &space,
        rungs: rungs.iter().map(|r| (r.trials, r.epochs)).collect(),
        trials,
        chosen: &chosen,
    };
    artifacts.add_json("results.json", &result)?;
    let names = artifacts.names();
    artifacts.commit(&dir, Kind::Search)?;
    for line in table::summary(trials, best.run.metric) {
        ctx.console.say(&line);
    }
    written.notes.iter().for_each(|n| ctx.console.say(&format!("  {n}")));
    ctx.console
        .say(&format!("  wrote {} files into {}", names.len(), written.dir.display()));
    Ok(written)
}

/// `path` as one word a shell reads back unchanged: as it is when made of
/// letters, digits and `/._-+,:=@%` only, else in single quotes.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:=@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn rung_text(rungs: &[Rung]) -> String {
    rungs
        .iter()
        .map(|r| format!("{} x {} epochs", r.trials, r.epochs))
        .collect::<Vec<_>>()
        .join(", then ")
}
