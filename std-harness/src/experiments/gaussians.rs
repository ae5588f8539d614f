//! Two Gaussian classes in 2-D, separated by a linear model `Linear(2,1)`
//! trained with MSE against ±1 targets (the report's setting).

use flambeau::{Linear, MseLoss, Sequential};

use super::points::{self, Reading};
use super::run::{Head, Outcome, Written, check_out, command, describe, finish};
use super::{Ctx, Recipe, RunArgs, Settings};
use crate::data::synth::TwoGaussians;
use crate::error::Result;
use crate::metrics::Metric;

/// The old report's figure.
pub const REPORT: &str = "maximal score in 4 epochs";
/// Largest batch the trainer is built for.
const MAX_BATCH: usize = 128;

/// The recipe's settings.
pub fn settings(recipe: Recipe) -> Settings {
    match recipe {
        Recipe::Report => Settings::sgd(20, 0.01, 10),
        Recipe::Best => Settings::sgd(20, 0.05, 4),
    }
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Training, plotting and writing errors.
pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<Written> {
    let settings = settings(args.recipe).overridden(args, ctx.max_epochs)?;
    let args = &check_out(ctx, "gaussians", args)?;
    let set = TwoGaussians::default().generate(args.seed)?;
    let parts = points::split(&set, args.seed, |l| if l == 0 { -1.0 } else { 1.0 })?;
    let net: Sequential<(Linear<2, 1>,)> = Sequential::new((Linear::with_init(settings.init),));
    let head = Head {
        experiment: "gaussians",
        variant: String::new(),
        args,
        settings: &settings,
        model: format!("{} with MSE on ±1 targets", describe(&net)),
        report: REPORT,
        command: command("gaussians", "", args),
    };
    let reading = Reading {
        metric: Metric::SignAccuracy,
        probability: |o| (0.5 * (o + 1.0)).clamp(0.0, 1.0),
    };
    let mut outcome = Outcome::default();
    points::run::<_, _, MAX_BATCH>(ctx, (net, MseLoss), &parts, head, reading, &mut outcome)?;
    finish(ctx, "gaussians", args, outcome)
}
