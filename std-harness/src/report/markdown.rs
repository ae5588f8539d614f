//! The report as Markdown: a summary table against the old report, the
//! targets, what was skipped, then one section per run with its pictures.

use std::fmt::Write;

use super::{Ended, Job, ReportArgs, not_run, targets};
use crate::experiments::{Recipe, RunResult, SPLIT_SEED, VALID_FRAC, Written};

/// The whole report.
pub fn render(ended: &[(Job, Ended)], args: &ReportArgs, seconds: f64) -> String {
    let mut md = String::new();
    header(&mut md, args, seconds);
    summary(&mut md, ended);
    target_table(&mut md, ended);
    skipped(&mut md, ended);
    for (job, e) in ended {
        if let Ended::Done(w) = e {
            section(&mut md, *job, w);
        }
    }
    md
}

fn header(md: &mut String, args: &ReportArgs, seconds: f64) {
    let _ = writeln!(md, "# flambeau: experiments report\n");
    let cap = args
        .max_epochs
        .map_or_else(String::new, |n| format!(" --max-epochs {n}"));
    let _ = writeln!(
        md,
        "Written by `flambeau report --recipes {}{cap}` in {:.0} s. Every figure below was measured by that run; \
         the *old report* column quotes the report this one replaces. Each model is the one of its best epoch \
         on the validation split (the lowest validation loss); the test set is never used to choose anything. \
         Products summed by {}.\n",
        format!("{:?}", args.recipes).to_lowercase(),
        seconds,
        crate::experiments::SUMMATION
    );
    let _ = writeln!(
        md,
        "USPS: the canonical split, 7291 training and 2007 test images, pixels in [0, 1]; {:.0} % of the training \
         file is held out for validation (fixed seed {SPLIT_SEED}). Commands are run from the repository root as \
         `cargo run --release -p flambeau-harness -- --data ../shared/data <command>`.\n",
        100.0 * VALID_FRAC
    );
}

fn runs_of(ended: &[(Job, Ended)]) -> Vec<&RunResult> {
    ended
        .iter()
        .filter_map(|(_, e)| if let Ended::Done(w) = e { Some(w) } else { None })
        .flat_map(|w| &w.runs)
        .collect()
}

fn summary(md: &mut String, ended: &[(Job, Ended)]) {
    let runs = runs_of(ended);
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in &runs {
        let key = (r.experiment.as_str(), r.variant.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    // Each experiment's rows together, in the order experiments first appear.
    let first = |e: &str| keys.iter().position(|(k, _)| *k == e).unwrap_or(usize::MAX);
    let mut keys: Vec<(usize, (&str, &str))> = keys.iter().map(|&k| (first(k.0), k)).collect();
    keys.sort_by_key(|(f, _)| *f);
    let keys: Vec<(&str, &str)> = keys.into_iter().map(|(_, k)| k).collect();
    let _ = writeln!(md, "## Results\n");
    let _ = writeln!(
        md,
        "| experiment | old report | ours, report recipe | ours, best recipe |"
    );
    let _ = writeln!(md, "| --- | --- | --- | --- |");
    for (experiment, variant) in keys {
        let cell = |recipe: Recipe| {
            runs.iter()
                .find(|r| r.experiment == experiment && r.variant == variant && r.recipe == recipe)
                .map_or_else(|| "—".to_owned(), |r| brief(r))
        };
        let old = runs
            .iter()
            .find(|r| r.experiment == experiment && r.variant == variant)
            .map_or("", |r| r.report.as_str());
        let name = if variant.is_empty() {
            experiment.to_owned()
        } else {
            format!("{experiment} ({variant})")
        };
        let _ = writeln!(
            md,
            "| {name} | {old} | {} | {} |",
            cell(Recipe::Report),
            cell(Recipe::Best)
        );
    }
    let _ = writeln!(md);
}

/// "96.01 % test (train 99.10 %, valid 96.40 %), epoch 41/60", and when
/// the run has one, the epoch its validation score first peaked.
fn brief(r: &RunResult) -> String {
    let m = r.metric;
    let mut text = format!(
        "{} test (train {}, valid {}), epoch {}/{}",
        m.format(r.score.test),
        m.format(r.score.train),
        m.format(r.score.valid),
        r.best_epoch,
        r.epochs
    );
    if let Some(first) = r.reference.iter().find(|x| x.name.starts_with("first epoch")) {
        text.push_str(&format!("; best validation score first at {}", first.shown));
    }
    text
}

fn target_table(md: &mut String, ended: &[(Job, Ended)]) {
    let _ = writeln!(md, "## Targets (best recipe)\n");
    let _ = writeln!(md, "| target | measured | met |");
    let _ = writeln!(md, "| --- | --- | --- |");
    for t in targets(ended) {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "—",
        };
        let _ = writeln!(md, "| {} | {} | {met} |", t.goal, t.measured);
    }
    let _ = writeln!(md);
}

fn skipped(md: &mut String, ended: &[(Job, Ended)]) {
    let groups = not_run(ended);
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Not run\n");
    for (why, names) in groups {
        let _ = writeln!(md, "- {}: {why}", names.join(", "));
    }
    let _ = writeln!(md);
}

fn section(md: &mut String, job: Job, w: &Written) {
    let _ = writeln!(md, "## {}\n", job.name());
    let folder = job.folder();
    for note in &w.notes {
        let _ = writeln!(md, "{note}\n");
    }
    for r in &w.runs {
        run_section(md, r, &folder);
    }
}

fn run_section(md: &mut String, r: &RunResult, folder: &str) {
    let m = r.metric;
    if !r.variant.is_empty() {
        let _ = writeln!(md, "### {}\n", r.variant);
    }
    let _ = writeln!(md, "- model: {}", r.model);
    let _ = writeln!(md, "- recipe: {}", r.settings);
    let _ = writeln!(md, "- command: `{}`", r.command);
    let _ = writeln!(md, "- old report: {}", r.report);
    let corr = |c: Option<f64>| c.map_or_else(|| "n/a".to_owned(), |c| format!("{c:.3}"));
    let _ = writeln!(
        md,
        "- best epoch on validation: {} of {}; Pearson correlation of train and validation curves: loss {}, {} {}; training time {:.1} s\n",
        r.best_epoch,
        r.epochs,
        corr(r.pearson_loss),
        m.name(),
        corr(r.pearson_score),
        r.seconds
    );
    let _ = writeln!(md, "| | train | validation | test |\n| --- | --- | --- | --- |");
    let (s, l) = (&r.score, &r.loss);
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} |",
        m.name(),
        m.format(s.train),
        m.format(s.valid),
        m.format(s.test)
    );
    let _ = writeln!(md, "| loss | {:.5} | {:.5} | {:.5} |\n", l.train, l.valid, l.test);
    for reference in &r.reference {
        let _ = writeln!(md, "- {}: {}", reference.name, reference.shown);
    }
    if !r.reference.is_empty() {
        let _ = writeln!(md);
    }
    for file in r.files.iter().filter(|f| f.ends_with(".png")) {
        let _ = writeln!(md, "![{file}]({folder}/{file})\n");
    }
}
