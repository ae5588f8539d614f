//! What the auto-encoder experiments share: training a model that outputs
//! images, PCA at the same code size, and the reconstruction pictures.

use std::ops::Range;

use flambeau::{Loss, Model, Trainer};

use super::Ctx;
use super::run::{Head, Outcome, RunResult, config, safetensors};
use super::usps::{self, SIDE};
use crate::error::{Result, setting};
use crate::metrics::Metric;
use crate::model::meta;
use crate::output::Artifacts;
use crate::pca::Pca;
use crate::plot;
use crate::train::{self, Buffers, Evaluation, Split, evaluate};

/// Test images shown in reconstruction pictures.
pub const SHOWN: usize = 12;

/// The three splits a model is trained and scored on (inputs may be codes).
#[derive(Debug, Clone, Copy)]
pub struct Splits<'a> {
    /// Training split.
    pub train: Split<'a>,
    /// Validation split.
    pub valid: Split<'a>,
    /// Test split.
    pub test: Split<'a>,
}

/// Sets parameters before training and names those to keep fixed.
pub type Prepare<'a> = &'a dyn Fn(&mut [f32], &[Range<usize>]) -> Result<Option<Range<usize>>>;

/// A trained image model: its result and its test reconstructions.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The result record (files not yet set).
    pub result: RunResult,
    /// Reconstructions of the test images.
    pub test_outputs: Vec<f32>,
    /// The model file written.
    pub model: Vec<u8>,
}

/// Trains `model` to output images (MSE per pixel), adds its curves under
/// `tag`, and returns its result. `prepare` may overwrite and freeze parameters.
///
/// # Errors
/// Training, core and plotting errors.
pub fn train<M: Model, L: Loss<M::Output>, const B: usize>(
    ctx: &Ctx,
    (model, loss): (M, L),
    splits: Splits<'_>,
    (head, tag): (Head<'_>, &str),
    prepare: Option<Prepare<'_>>,
    artifacts: &mut Artifacts,
) -> Result<Trained> {
    let name = super::classify::run_name(&head);
    let images_in = splits.train.x.len() == splits.train.y.len();
    let shift = images_in.then(|| usps::shift(head.settings.shift, true, false));
    let mut cfg = config(name.clone(), head.settings, head.args.seed, Metric::Mse, shift);
    cfg.checkpoint = super::run::checkpointing(head.args, &format!("model-{tag}.safetensors"))?;
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<M, L, B>(model, loss, head.args.seed)?;
    super::run::init_from(&mut net, head.args)?;
    if let Some(prepare) = prepare {
        let ranges = param_ranges(&net)?;
        cfg.frozen = prepare(net.graph_mut().params_mut(), &ranges)?;
    }
    let bar = ctx.console.bar(0, &name);
    let history = train::fit(&mut net, (splits.train, splits.valid), &cfg, &bar);
    ctx.console.finish(&bar);
    let history = history?;
    let evals: [Result<Evaluation>; 3] =
        [splits.train, splits.valid, splits.test].map(|s| evaluate(&mut net, &s, Metric::Mse));
    let [t, v, s] = evals;
    let (t, v, s) = (t?, v?, s?);
    let title = format!("{name}: test MSE per pixel {:.5}", s.score);
    artifacts.add(format!("curves-{tag}.csv"), history.csv().into_bytes());
    let picture = format!("curves-{tag}.png");
    plot::curves(&picture, &title, &history)?.save(artifacts, &picture)?;
    let seed = head.args.seed;
    let mut result = RunResult::new(head, &history, [&t, &v, &s]);
    let input = if images_in {
        meta::Input::Usps { centred: false }
    } else {
        meta::Input::Codes {
            len: splits.train.x.len() / (splits.train.y.len() / 256).max(1),
        }
    };
    let io = (input, meta::Output::Reconstruction);
    let file = safetensors(&net, &result, seed, io)?;
    artifacts.add(format!("model-{tag}.safetensors"), file.clone());
    result.files = ["curves-{tag}.png", "curves-{tag}.csv", "model-{tag}.safetensors"]
        .map(|f| f.replace("{tag}", tag))
        .to_vec();
    Ok(Trained {
        result,
        test_outputs: s.outputs,
        model: file,
    })
}

/// The range of each parameter tensor in the flat parameter buffer, in tape order.
///
/// # Errors
/// [`crate::error::Error::Setting`] if the tensors are not laid out one after the other.
fn param_ranges<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &Trainer<'_, f32, M, L, B>,
) -> Result<Vec<Range<usize>>> {
    let all = net.graph().params();
    let mut ranges = Vec::new();
    let mut start = 0;
    for (_, _, values) in net.graph().param_tensors() {
        let range = start..start + values.len();
        let same = all
            .get(range.clone())
            .is_some_and(|s| std::ptr::eq(s.as_ptr(), values.as_ptr()));
        if !same {
            return Err(setting(
                "parameter layout",
                "tensors are not stored in tape order".to_owned(),
            ));
        }
        start = range.end;
        ranges.push(range);
    }
    Ok(ranges)
}

/// A picture of test images: originals, then each row of reconstructions.
///
/// # Errors
/// [`crate::error::Error::Plot`].
pub fn reconstructions(
    name: &str,
    title: &str,
    original: &[f32],
    rows: &[(String, &[f32])],
    artifacts: &mut Artifacts,
) -> Result<()> {
    let mut all = vec![("original".to_owned(), original)];
    all.extend(rows.iter().cloned());
    plot::digit_rows(name, title, &all, SIDE, SHOWN)?.save(artifacts, name)
}

/// The code sizes the auto-encoders are compiled for.
pub const CODES: [usize; 5] = [8, 16, 32, 64, 128];

/// One code size's work in an auto-encoder experiment.
pub trait CodeSizeRun {
    /// Trains and records everything at code size `K`.
    ///
    /// # Errors
    /// Training, plotting and writing errors.
    fn run<const K: usize>(&self, outcome: &mut Outcome) -> Result<()>;
}

/// Runs the job `make` builds from PCA at each code size, dispatching each
/// size to the model compiled for it (sizes checked by [`check_codes`]).
///
/// # Errors
/// The first job's error.
pub fn over_codes<J: CodeSizeRun>(
    codes: &[usize],
    pca: &Pca,
    outcome: &mut Outcome,
    make: impl Fn(Pca) -> J,
) -> Result<()> {
    for &k in codes {
        let job = make(pca.truncated(k));
        match k {
            8 => job.run::<8>(outcome)?,
            16 => job.run::<16>(outcome)?,
            32 => job.run::<32>(outcome)?,
            64 => job.run::<64>(outcome)?,
            _ => job.run::<128>(outcome)?,
        }
    }
    Ok(())
}

/// Checks that every requested code size is compiled in.
///
/// # Errors
/// [`crate::error::Error::Setting`] naming the size.
pub fn check_codes(codes: &[usize]) -> Result<()> {
    match codes.iter().find(|k| !CODES.contains(k)) {
        Some(k) => Err(setting("code size", format!("{k} is not one of {CODES:?}"))),
        None if codes.is_empty() => Err(setting("code size", "give at least one".to_owned())),
        None => Ok(()),
    }
}
