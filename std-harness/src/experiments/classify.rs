//! A USPS classifier's whole run: training, scores on the three splits, the
//! confusion matrix on the test set, curves and pictures.

use flambeau::{Loss, Model};

use super::run::{Head, Outcome, RunResult, config, describe, safetensors};
use super::usps::{self, CLASSES, Usps};
use super::{Ctx, Settings};
use crate::error::Result;
use crate::metrics::{Metric, argmax_rows, confusion};
use crate::model::meta;
use crate::plot;
use crate::train::{self, Buffers, Shift, evaluate};

/// Trains `model` with `loss` on USPS and adds its result and files to `outcome`.
///
/// # Errors
/// Training, core and plotting errors.
pub fn run<M: Model, L: Loss<M::Output>, const B: usize>(
    ctx: &Ctx,
    (model, loss): (M, L),
    data: &Usps,
    head: Head<'_>,
    outcome: &mut Outcome,
) -> Result<()> {
    let settings: &Settings = head.settings;
    let shift = usps::shift(settings.shift, false, settings.centre);
    run_augmented::<M, L, B>(ctx, (model, loss), data, head, shift, outcome)
}

/// [`run`] with the given augmentation of the training images (shifts, rotations).
///
/// # Errors
/// Training, core and plotting errors.
pub fn run_augmented<M: Model, L: Loss<M::Output>, const B: usize>(
    ctx: &Ctx,
    (model, loss): (M, L),
    data: &Usps,
    head: Head<'_>,
    shift: Shift,
    outcome: &mut Outcome,
) -> Result<()> {
    let settings: &Settings = head.settings;
    let head_seed = head.args.seed;
    let name = run_name(&head);
    let mut cfg = config(name.clone(), settings, head.args.seed, Metric::Accuracy, Some(shift));
    if shift.degrees > 0.0 {
        cfg.shift = Some(shift);
    }
    cfg.checkpoint = super::run::checkpointing(head.args, "model.safetensors")?;
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<M, L, B>(model, loss, head.args.seed)?;
    super::run::init_from(&mut net, head.args)?;
    let bar = ctx.console.bar(0, &name);
    let history = train::fit(&mut net, (data.train.split(), data.valid.split()), &cfg, &bar);
    ctx.console.finish(&bar);
    let history = history?;
    let train = evaluate(&mut net, &data.train.split(), cfg.metric)?;
    let valid = evaluate(&mut net, &data.valid.split(), cfg.metric)?;
    let test = evaluate(&mut net, &data.test.split(), cfg.metric)?;
    let truth: Vec<usize> = data.test.labels.iter().map(|&l| usize::from(l)).collect();
    let matrix = confusion(&argmax_rows(&test.outputs, CLASSES), &truth, CLASSES);
    let title = format!("{name}: test accuracy {}", cfg.metric.format(test.score));
    let mut result = RunResult::new(head, &history, [&train, &valid, &test]);
    let a = &mut outcome.artifacts;
    a.add("curves.csv", history.csv().into_bytes());
    plot::curves("curves.png", &title, &history)?.save(a, "curves.png")?;
    plot::confusion("confusion.png", &format!("{name}: test confusion matrix"), &matrix)?.save(a, "confusion.png")?;
    let io = (
        meta::Input::Usps {
            centred: settings.centre,
        },
        meta::Output::of_classifier(&describe(net.model())),
    );
    a.add("model.safetensors", safetensors(&net, &result, head_seed, io)?);
    result.files = ["curves.png", "confusion.png", "curves.csv", "model.safetensors"]
        .map(String::from)
        .to_vec();
    outcome.runs.push(result);
    Ok(())
}

/// "experiment variant recipe", the label of bars and titles.
pub fn run_name(head: &Head<'_>) -> String {
    let mut name = head.experiment.to_owned();
    if !head.variant.is_empty() {
        name = format!("{name} {}", head.variant);
    }
    format!("{name} ({})", head.args.recipe.name())
}
