//! The 2-D point problems (two Gaussians, checkerboard): a seeded 60/20/20
//! split, a one-output classifier, and its decision boundary.

use flambeau::{Loss, Model};

use super::Ctx;
use super::classify::run_name;
use super::run::{Head, Outcome, RunResult, config, describe, safetensors};
use crate::data::{Dataset, split_60_20_20};
use crate::error::Result;
use crate::metrics::Metric;
use crate::model::meta;
use crate::plot::{self, Boundary};
use crate::train::{self, Buffers, Split, evaluate, predict};

/// Cells per side of the decision-boundary grid.
const GRID: usize = 160;

/// Points, targets and labels of one split.
#[derive(Debug, Clone, Default)]
pub struct Part {
    /// Points, `(x, y)` pairs.
    pub x: Vec<f32>,
    /// One target per point.
    pub y: Vec<f32>,
    /// Labels (0 or 1).
    pub labels: Vec<u8>,
}

impl Part {
    fn split(&self) -> Split<'_> {
        Split { x: &self.x, y: &self.y }
    }
}

/// A 2-D data set split 60/20/20 (seeded), with targets from `target(label)`.
///
/// # Errors
/// [`crate::data::DataError::IndexOutOfRange`] (a bug).
pub fn split(set: &Dataset, seed: u64, target: fn(u8) -> f32) -> Result<[Part; 3]> {
    let (a, b, c) = split_60_20_20(set.n, seed);
    let part = |idx: &[usize]| -> Result<Part> {
        let s = set.gather(idx)?;
        Ok(Part {
            y: s.labels.iter().map(|&l| target(l)).collect(),
            x: s.features,
            labels: s.labels,
        })
    };
    Ok([part(&a)?, part(&b)?, part(&c)?])
}

/// How a point experiment scores and draws its model.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// The score.
    pub metric: Metric,
    /// Maps the model's output to the probability of class 1.
    pub probability: fn(f32) -> f32,
}

/// Trains a one-output classifier and adds its result, curves and decision boundary.
///
/// # Errors
/// Training, core and plotting errors.
pub fn run<M: Model, L: Loss<M::Output>, const B: usize>(
    ctx: &Ctx,
    (model, loss): (M, L),
    [train, valid, test]: &[Part; 3],
    head: Head<'_>,
    reading: Reading,
    outcome: &mut Outcome,
) -> Result<()> {
    let name = run_name(&head);
    let seed = head.args.seed;
    let mut cfg = config(name.clone(), head.settings, head.args.seed, reading.metric, None);
    cfg.checkpoint = super::run::checkpointing(head.args, "model.safetensors")?;
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<M, L, B>(model, loss, head.args.seed)?;
    super::run::init_from(&mut net, head.args)?;
    let bar = ctx.console.bar(0, &name);
    let history = train::fit(&mut net, (train.split(), valid.split()), &cfg, &bar);
    ctx.console.finish(&bar);
    let history = history?;
    let evals = [train, valid, test].map(|p| evaluate(&mut net, &p.split(), cfg.metric));
    let [t, v, s] = evals;
    let (t, v, s) = (t?, v?, s?);
    let all: Vec<f32> = [train, valid, test].iter().flat_map(|p| p.x.iter().copied()).collect();
    let (x_range, y_range) = (Boundary::extent(&all, 0), Boundary::extent(&all, 1));
    let centres = Boundary::cell_centres(x_range, y_range, GRID);
    let grid: Vec<f32> = predict(&mut net, &centres)?
        .into_iter()
        .map(reading.probability)
        .collect();
    let boundary = Boundary {
        x_range,
        y_range,
        resolution: GRID,
        grid: &grid,
        points: &test.x,
        labels: &test.labels,
    };
    let title = format!("{name}: test {} {}", cfg.metric.name(), cfg.metric.format(s.score));
    let mut result = RunResult::new(head, &history, [&t, &v, &s]);
    if let Some(first) = history.first_best_score() {
        let shown = format!("epoch {} ({})", first.epoch, cfg.metric.format(first.valid_score));
        result.add_reference_shown("first epoch at the best validation score", first.epoch as f64, shown);
    }
    let a = &mut outcome.artifacts;
    a.add("curves.csv", history.csv().into_bytes());
    plot::curves("curves.png", &title, &history)?.save(a, "curves.png")?;
    plot::boundary(
        "boundary.png",
        &format!("{name}: decision boundary, test points"),
        &boundary,
    )?
    .save(a, "boundary.png")?;
    let output = if describe(net.model()).ends_with("Sigmoid") {
        meta::Output::Probability
    } else {
        meta::Output::Score
    };
    a.add(
        "model.safetensors",
        safetensors(&net, &result, seed, (meta::Input::Points, output))?,
    );
    result.files = ["curves.png", "boundary.png", "curves.csv", "model.safetensors"]
        .map(String::from)
        .to_vec();
    outcome.runs.push(result);
    Ok(())
}
