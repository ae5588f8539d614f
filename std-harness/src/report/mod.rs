//! `flambeau report`: every experiment, under each recipe asked for, into
//! one folder with a Markdown report that sets each result beside the old
//! report's figure and the targets.
//!
//! Experiments run on `--jobs` threads (each is single-threaded). One that
//! cannot run (its data is missing) is skipped and the report says why;
//! one that fails is reported too, and the command then exits with an error.

mod markdown;
mod targets;

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::data::DataError;
use crate::error::{Error, Result, setting};
use crate::experiments::conv1d::Arch;
use crate::experiments::usps_mlp::MlpLoss;
use crate::experiments::whole_number;
use crate::experiments::{
    Ctx, Recipe, RunArgs, Written, ae_vs_pca, autoencoder, checkerboard, conv1d, gaussians, linreg, usps_mlp,
};
use crate::output::{Artifacts, Kind, Staging};
use crate::search::SearchArgs;

pub use targets::{Target, targets};

/// Which recipes the report runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Recipes {
    /// Only the old report's settings.
    Report,
    /// Only the improved recipes.
    Best,
    /// Both, side by side.
    Both,
}

/// Flags of `flambeau report`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct ReportArgs {
    /// Output folder of the report.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// Recipes to run.
    #[arg(long, value_enum, default_value = "both")]
    pub recipes: Recipes,
    /// Cap on every run's epochs (a quick check of the whole pipeline).
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub max_epochs: Option<usize>,
    /// Experiments run at the same time [default: the number of cores, at most 2].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub jobs: Option<usize>,
    /// Replace a previous report even when experiments were skipped for missing data.
    #[arg(long)]
    pub force: bool,
}

/// One experiment under one recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// `linreg`.
    Linreg(Recipe),
    /// `gaussians`.
    Gaussians(Recipe),
    /// `checkerboard`.
    Checkerboard(Recipe),
    /// `usps-mlp --loss`.
    UspsMlp(Recipe, MlpLoss),
    /// `autoencoder`.
    Autoencoder(Recipe),
    /// `ae-vs-pca`.
    AeVsPca(Recipe),
    /// `conv1d --arch`.
    Conv1d(Recipe, Arch),
    /// `conv2d`.
    Conv2d(Recipe),
    /// `search checkerboard` on a small budget.
    Search(Recipe),
}

/// The report's search: draws, first and largest budgets, halving factor.
const REPORT_SEARCH: (usize, usize, usize, usize) = (6, 2, 18, 3);

impl Job {
    /// Every job of the recipes, in the report's order.
    pub fn all(recipes: Recipes) -> Vec<Job> {
        let chosen: &[Recipe] = match recipes {
            Recipes::Report => &[Recipe::Report],
            Recipes::Best => &[Recipe::Best],
            Recipes::Both => &[Recipe::Report, Recipe::Best],
        };
        let mut jobs = Vec::new();
        for &r in chosen {
            jobs.extend([Job::Linreg(r), Job::Gaussians(r), Job::Checkerboard(r)]);
            jobs.extend([Job::UspsMlp(r, MlpLoss::Mse), Job::UspsMlp(r, MlpLoss::Ce)]);
            jobs.extend([Job::Autoencoder(r), Job::AeVsPca(r)]);
            match r {
                Recipe::Report => jobs.extend([Job::Conv1d(r, Arch::Report), Job::Conv1d(r, Arch::Small)]),
                Recipe::Best => jobs.push(Job::Conv1d(r, Arch::Deep)),
            }
            jobs.push(Job::Conv2d(r));
            if r == Recipe::Best {
                jobs.push(Job::Search(r));
            }
        }
        jobs
    }

    /// The job's recipe.
    pub fn recipe(self) -> Recipe {
        match self {
            Job::Linreg(r) | Job::Gaussians(r) | Job::Checkerboard(r) | Job::Autoencoder(r) | Job::AeVsPca(r) => r,
            Job::UspsMlp(r, _) | Job::Conv1d(r, _) => r,
            Job::Conv2d(r) | Job::Search(r) => r,
        }
    }

    /// The job's name: `usps-mlp-ce (best)`.
    pub fn name(self) -> String {
        format!("{} ({})", self.experiment(), self.recipe().name())
    }

    /// The job's folder inside the report: `usps-mlp-ce/best`.
    pub fn folder(self) -> String {
        format!("{}/{}", self.experiment(), self.recipe().name())
    }

    /// The experiment and variant: `usps-mlp-ce`, `conv1d-small`.
    pub fn experiment(self) -> String {
        match self {
            Job::Linreg(_) => "linreg".to_owned(),
            Job::Gaussians(_) => "gaussians".to_owned(),
            Job::Checkerboard(_) => "checkerboard".to_owned(),
            Job::UspsMlp(_, MlpLoss::Mse) => "usps-mlp-mse".to_owned(),
            Job::UspsMlp(_, MlpLoss::Ce) => "usps-mlp-ce".to_owned(),
            Job::Autoencoder(_) => "autoencoder".to_owned(),
            Job::AeVsPca(_) => "ae-vs-pca".to_owned(),
            Job::Conv1d(_, arch) => format!("conv1d-{}", format!("{arch:?}").to_lowercase()),
            Job::Conv2d(_) => "conv2d".to_owned(),
            Job::Search(_) => "search-checkerboard".to_owned(),
        }
    }

    /// Rough relative cost, to start the longest jobs first.
    fn cost(self) -> u32 {
        match self {
            Job::Conv1d(Recipe::Best, _) | Job::Conv2d(_) => 100,
            Job::AeVsPca(_) | Job::Autoencoder(_) => 20,
            Job::UspsMlp(Recipe::Best, _) | Job::Conv1d(..) => 10,
            Job::Search(_) => 5,
            _ => 1,
        }
    }

    fn run(self, ctx: &Ctx, dir: PathBuf) -> Result<Written> {
        let args = RunArgs {
            out: Some(dir),
            ..RunArgs::of(self.recipe())
        };
        match self {
            Job::Linreg(_) => linreg::run(ctx, &args),
            Job::Gaussians(_) => gaussians::run(ctx, &args),
            Job::Checkerboard(_) => checkerboard::run(ctx, &args),
            Job::UspsMlp(_, loss) => usps_mlp::run(ctx, &args, loss),
            Job::Autoencoder(_) => autoencoder::run(ctx, &args, None),
            Job::AeVsPca(_) => ae_vs_pca::run(ctx, &args, None),
            Job::Conv1d(_, arch) => conv1d::run(ctx, &args, Some(arch)),
            Job::Conv2d(_) => crate::experiments::conv2d::run(ctx, &args, Default::default()),
            Job::Search(r) => {
                let (trials, min_epochs, max_epochs, eta) = REPORT_SEARCH;
                let search = SearchArgs {
                    recipe: r,
                    trials,
                    min_epochs,
                    max_epochs: Some(max_epochs),
                    eta,
                    jobs: Some(1),
                    ..SearchArgs::of(crate::search::Target::Checkerboard, args.out)
                };
                crate::search::run(ctx, &search)
            }
        }
    }
}

/// How a job ended.
#[derive(Debug)]
pub enum Ended {
    /// It ran and wrote its folder.
    Done(Written),
    /// Its data is missing: the reason.
    Skipped(String),
    /// It failed: the error.
    Failed(String),
}

/// Runs the report.
///
/// The whole report folder is written into a staging folder beside
/// `--out` and swapped into place at the end (see [`crate::output`]), so it
/// is one report, whole, or the previous one. When experiments were skipped
/// for missing data, a previous report is kept unless `--force`.
///
/// # Errors
/// [`Error::Output`] before any work when `--out` cannot be written;
/// [`Error::Write`] for the report itself; [`Error::Setting`] for `--jobs 0`,
/// when a job failed (after the report is written), or when a previous
/// report was kept.
pub fn run(ctx: &Ctx, args: &ReportArgs) -> Result<()> {
    let start = Instant::now();
    let ctx = Ctx {
        max_epochs: args.max_epochs,
        ..ctx.clone()
    };
    if args.jobs == Some(0) {
        return Err(setting(
            "--jobs",
            "0 experiments at a time cannot run anything; give 1 or more",
        ));
    }
    if args.max_epochs == Some(0) {
        return Err(setting("--max-epochs", "must be at least 1"));
    }
    let staging = Staging::begin(&args.out, Kind::Report)?;
    let jobs = Job::all(args.recipes);
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(2)));
    let ended = run_jobs(&ctx, &jobs, staging.path(), threads);
    let skipped = ended.iter().filter(|(_, e)| matches!(e, Ended::Skipped(_))).count();
    if skipped > 0 && !args.force && args.out.join("report.md").is_file() {
        for (why, names) in not_run(&ended) {
            ctx.console.say(&format!("  {}: {why}", names.join(", ")));
        }
        return Err(setting(
            "report",
            format!(
                "{skipped} of {} experiments were skipped (above); the previous report in {} is kept; \
                 --force replaces it by this partial one",
                jobs.len(),
                args.out.display()
            ),
        ));
    }
    let failed: Vec<String> = ended
        .iter()
        .filter(|(_, e)| matches!(e, Ended::Failed(_)))
        .map(|(job, _)| job.name())
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    let mut artifacts = Artifacts::new();
    let text = markdown::render(&ended, args, seconds);
    artifacts.add("report.md", text.into_bytes());
    let runs: Vec<&Written> = ended
        .iter()
        .filter_map(|(_, e)| if let Ended::Done(w) = e { Some(w) } else { None })
        .collect();
    artifacts.add_json("results.json", &runs)?;
    artifacts.write_into(staging.path())?;
    staging.commit()?;
    ctx.console.say(&format!(
        "report: wrote {} ({} runs in {seconds:.0} s)",
        args.out.join("report.md").display(),
        runs.iter().map(|w| w.runs.len()).sum::<usize>()
    ));
    for (why, names) in not_run(&ended) {
        ctx.console.say(&format!("  {}: {why}", names.join(", ")));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(setting(
            "report",
            format!("these experiments failed: {}", failed.join(", ")),
        ))
    }
}

/// The jobs that did not run, grouped by reason: `(reason, job names)`.
pub fn not_run(ended: &[(Job, Ended)]) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (job, e) in ended {
        let (Ended::Skipped(why) | Ended::Failed(why)) = e else {
            continue;
        };
        match groups.iter_mut().find(|(w, _)| w == why) {
            Some((_, names)) => names.push(job.name()),
            None => groups.push((why.clone(), vec![job.name()])),
        }
    }
    groups
}

/// Runs `jobs` on `threads` threads, longest first; returns them in order.
fn run_jobs(ctx: &Ctx, jobs: &[Job], out: &std::path::Path, threads: usize) -> Vec<(Job, Ended)> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs.get(i).map_or(0, |j| j.cost())));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.min(jobs.len()) {
            s.spawn(|| {
                while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let Some(&job) = jobs.get(i) else { continue };
                    let ended = match job.run(ctx, out.join(job.folder())) {
                        Ok(w) => Ended::Done(w),
                        Err(Error::Data(e @ DataError::NotFound { .. })) => Ended::Skipped(format!("skipped: {e}")),
                        Err(e) => Ended::Failed(format!("failed: {e}")),
                    };
                    if let Ok(mut d) = done.lock() {
                        d.push((i, job, ended));
                    }
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(i, _, _)| *i);
    done.into_iter().map(|(_, job, e)| (job, e)).collect()
}
