//! USPS digits with a 2-D convolutional network over the 16×16 image,
//! trained with cross-entropy. Two networks (`--arch`):
//!
//! - `lenet`: Conv2d(1,16,k=5,padding=2)-ReLU-MaxPool2d(2,2)-Conv2d(16,32,k=5,padding=2)-ReLU-MaxPool2d(2,2)-Flatten-Linear(512,128)-ReLU-Linear(128,10);
//! - `fast`: the same with a 3×3 second convolution (padding 1), which
//!   does a third of the multiply-adds of the 5×5 one.
//!
//! Recipes:
//! - `report`: `lenet` trained the old report's way (plain SGD, constant
//!   rate, no augmentation);
//! - `best`: an ensemble of `fast` networks (`--members`), each trained with
//!   Adam and cosine decay, He initialisation, and each training image
//!   shifted by up to one pixel, rotated by up to `--rotation` degrees and
//!   scaled by up to `--scale` (a fraction either way), drawn afresh every
//!   epoch from the member's seed. Member `k` (from 0)
//!   uses seed `--seed + k` and is a whole run of its own (its own model
//!   file, reproduced alone by `--members 1 --seed` that seed); the
//!   ensemble's prediction is the mean of the members' softmax
//!   probabilities. Members train on two threads at once.

use std::time::Instant;

use flambeau::{Conv2d, CrossEntropyLoss, Describe, Flatten, Init, Linear, Loss, MaxPool2d, Model, ReLU, Sequential};

use super::run::{Head, Outcome, RunResult, Written, command, config, describe, finish, safetensors};
use super::usps::{CLASSES, Usps};
use super::{Ctx, Recipe, RunArgs, Settings, classify, usps};
use crate::error::{Error, Result, setting};
use crate::metrics::{Metric, argmax_rows, confusion};
use crate::model::meta;
use crate::plot;
use crate::train::{self, Buffers, Evaluation, History, Shift, TrainConfig, evaluate};

/// The report's network (LeNet-like, two 5×5 convolutions).
pub type LeNet = Sequential<(
    Conv2d<1, 16, 5, 16, 16, 16, 16, 1, 2>,
    ReLU,
    MaxPool2d<2, 2, 8, 8>,
    Conv2d<16, 32, 5, 8, 8, 8, 8, 1, 2>,
    ReLU,
    MaxPool2d<2, 2, 4, 4>,
    Flatten<512>,
    Linear<512, 128>,
    ReLU,
    Linear<128, 10>,
)>;

/// The best recipe's network: a 3×3 second convolution.
pub type FastNet = Sequential<(
    Conv2d<1, 16, 5, 16, 16, 16, 16, 1, 2>,
    ReLU,
    MaxPool2d<2, 2, 8, 8>,
    Conv2d<16, 32, 3, 8, 8, 8, 8, 1, 1>,
    ReLU,
    MaxPool2d<2, 2, 4, 4>,
    Flatten<512>,
    Linear<512, 128>,
    ReLU,
    Linear<128, 10>,
)>;

/// The network of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    /// Two 5×5 convolutions (the report recipe's network).
    Lenet,
    /// A 5×5 then a 3×3 convolution (the best recipe's network).
    Fast,
}

impl Arch {
    fn name(self) -> &'static str {
        match self {
            Arch::Lenet => "lenet",
            Arch::Fast => "fast",
        }
    }
}

/// Flags of `conv2d` beyond the shared ones; each one left out keeps the recipe's value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Options {
    /// The network.
    pub arch: Option<Arch>,
    /// Networks averaged (1: a single network).
    pub members: Option<usize>,
    /// Largest random rotation of the training images, in degrees.
    pub rotation: Option<f32>,
    /// Largest random change of size of the training images, as a fraction.
    pub scale: Option<f32>,
}

/// Largest batch the trainer is built for.
const MAX_BATCH: usize = 256;
/// Largest random rotation of the best recipe's training images, in degrees.
pub const ROTATION: f32 = 10.0;
/// Largest random change of size of the best recipe's training images (a fraction either way).
pub const SCALE: f32 = 0.1;
/// Members of the best recipe's ensemble.
pub const MEMBERS: usize = 8;
/// Most members of an ensemble.
const MAX_MEMBERS: usize = 16;
/// Threads that train members at once.
const THREADS: usize = 2;

/// The recipe's settings.
pub fn settings(recipe: Recipe) -> Settings {
    match recipe {
        Recipe::Report => Settings::sgd(20, 0.05, 32),
        Recipe::Best => Settings {
            shift: 1,
            ..Settings::adam_cosine(14, 0.002, 32, Init::HeUniform)
        },
    }
}

/// The recipe's network and augmentation, with the flags' overrides.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Resolved {
    arch: Arch,
    members: usize,
    /// Largest rotation, in degrees.
    rotation: f32,
    /// Largest change of size, a fraction.
    scale: f32,
}

/// The recipe's network, members, rotation and scale, with the flags' overrides.
fn resolve(recipe: Recipe, options: Options) -> Result<Resolved> {
    let (arch, members, rotation, scale) = match recipe {
        Recipe::Report => (Arch::Lenet, 1, 0.0, 0.0),
        Recipe::Best => (Arch::Fast, MEMBERS, ROTATION, SCALE),
    };
    let arch = options.arch.unwrap_or(arch);
    let members = options.members.unwrap_or(members);
    let rotation = options.rotation.unwrap_or(rotation);
    let scale = options.scale.unwrap_or(scale);
    if !(1..=MAX_MEMBERS).contains(&members) {
        return Err(setting("members", format!("{members} is not in 1..={MAX_MEMBERS}")));
    }
    if !(rotation.is_finite() && (0.0..=45.0).contains(&rotation)) {
        return Err(setting("rotation", format!("{rotation} degrees is not in 0..=45")));
    }
    if !(scale.is_finite() && (0.0..=0.5).contains(&scale)) {
        return Err(setting("scale", format!("{scale} is not a fraction in 0..=0.5")));
    }
    Ok(Resolved {
        arch,
        members,
        rotation,
        scale,
    })
}

/// The flags beyond the shared ones that reproduce a run, as typed on a command line.
fn extra_flags(recipe: Recipe, options: Options, members: usize) -> String {
    let mut out = Vec::new();
    if let Some(arch) = options.arch {
        out.push(format!("--arch {}", arch.name()));
    }
    if options.members.is_some() || members != resolve(recipe, Options::default()).map_or(1, |r| r.members) {
        out.push(format!("--members {members}"));
    }
    if let Some(r) = options.rotation {
        out.push(format!("--rotation {r}"));
    }
    if let Some(s) = options.scale {
        out.push(format!("--scale {s}"));
    }
    out.join(" ")
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, training, plotting and writing errors; a setting error for
/// `--init-from` with more than one member.
pub fn run(ctx: &Ctx, args: &RunArgs, options: Options) -> Result<Written> {
    let settings = settings(args.recipe).overridden(args, ctx.max_epochs)?;
    let Resolved {
        arch,
        members,
        rotation: degrees,
        scale,
    } = resolve(args.recipe, options)?;
    if members > 1 && args.init_from.is_some() {
        return Err(setting("init-from", "starts a single network: give --members 1"));
    }
    let args = &super::run::check_out(ctx, "conv2d", args)?;
    let data = usps::load(ctx, settings.train_size, settings.centre)?;
    let init = settings.init;
    let plan = Plan {
        ctx,
        args,
        settings: &settings,
        data: &data,
        members,
        degrees,
        scale,
        extra: extra_flags(args.recipe, options, members),
    };
    let outcome = match arch {
        Arch::Lenet => plan.run(|| {
            LeNet::new((
                Conv2d::with_init(init),
                ReLU,
                MaxPool2d,
                Conv2d::with_init(init),
                ReLU,
                MaxPool2d,
                Flatten,
                Linear::with_init(init),
                ReLU,
                Linear::with_init(init),
            ))
        }),
        Arch::Fast => plan.run(|| {
            FastNet::new((
                Conv2d::with_init(init),
                ReLU,
                MaxPool2d,
                Conv2d::with_init(init),
                ReLU,
                MaxPool2d,
                Flatten,
                Linear::with_init(init),
                ReLU,
                Linear::with_init(init),
            ))
        }),
    }?;
    finish(ctx, "conv2d", args, outcome)
}

/// What every member of a run shares.
struct Plan<'a> {
    ctx: &'a Ctx,
    args: &'a RunArgs,
    settings: &'a Settings,
    data: &'a Usps,
    members: usize,
    degrees: f32,
    scale: f32,
    extra: String,
}

/// One trained member: its result, files and outputs on the three splits.
struct Member {
    result: RunResult,
    history: History,
    evals: [Evaluation; 3],
    files: Vec<(String, Vec<u8>)>,
    curves: plot::Picture,
}

impl Plan<'_> {
    /// The model's description in the results.
    fn model(&self, net: &impl Describe) -> String {
        let mut model = format!("{} with cross-entropy", describe(net));
        if self.degrees > 0.0 {
            model.push_str(&format!(", training images rotated by up to ±{}°", self.degrees));
        }
        if self.scale > 0.0 {
            model.push_str(&format!(", scaled by up to ±{} %", self.scale * 100.0));
        }
        model
    }

    /// Trains the members (on two threads when there are several) and
    /// gathers their results and the ensemble's.
    fn run<M: Model + Describe, F: Fn() -> M + Sync>(&self, make: F) -> Result<Outcome>
    where
        CrossEntropyLoss: Loss<M::Output>,
    {
        if self.members == 1 {
            let net = make();
            let model = self.model(&net);
            let head = self.head(self.args, String::new(), model);
            let mut outcome = Outcome::default();
            let shift = self.shift();
            classify::run_augmented::<_, _, MAX_BATCH>(
                self.ctx,
                (net, CrossEntropyLoss),
                self.data,
                head,
                shift,
                &mut outcome,
            )?;
            return Ok(outcome);
        }
        let start = Instant::now();
        let mut trained: Vec<(usize, Result<Member>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS.min(self.members))
                .map(|t| {
                    let make = &make;
                    s.spawn(move || {
                        (t..self.members)
                            .step_by(THREADS)
                            .map(|k| (k, self.member(k, make())))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![(
                            usize::MAX,
                            Err(Error::Setting {
                                what: "members",
                                problem: "a training thread panicked".to_owned(),
                            }),
                        )]
                    })
                })
                .collect()
        });
        let seconds = start.elapsed().as_secs_f64();
        trained.sort_by_key(|(k, _)| *k);
        let members = trained.into_iter().map(|(_, m)| m).collect::<Result<Vec<Member>>>()?;
        self.ensemble(&make(), members, seconds)
    }

    /// The head of member `k`'s run, or of the ensemble.
    fn head<'h>(&'h self, args: &'h RunArgs, variant: String, model: String) -> Head<'h> {
        Head {
            experiment: "conv2d",
            variant,
            args,
            settings: self.settings,
            model,
            report: "none (the report wished for 2-D convolutions; LeCun et al. 1989: 95.0 %, humans ≈ 97.5 %)",
            command: command("conv2d", &self.extra, args),
        }
    }

    fn shift(&self) -> Shift {
        Shift {
            degrees: self.degrees,
            scale: self.scale,
            ..usps::shift(self.settings.shift, false, self.settings.centre)
        }
    }

    /// Trains member `k` (seed `--seed + k`) and scores it on the three splits.
    fn member<M: Model + Describe>(&self, k: usize, net: M) -> Result<Member>
    where
        CrossEntropyLoss: Loss<M::Output>,
    {
        let args = RunArgs {
            seed: self.args.seed.wrapping_add(k as u64),
            ..self.args.clone()
        };
        let model = self.model(&net);
        let mut head = self.head(&args, format!("member {}", k + 1), model);
        head.command = command("conv2d", &member_flags(&self.extra), &args);
        let name = classify::run_name(&head);
        let cfg = TrainConfig {
            // the training split is scored once, after training
            running_train_scores: true,
            ..config(
                name.clone(),
                self.settings,
                args.seed,
                Metric::Accuracy,
                Some(self.shift()),
            )
        };
        let mut buffers = Buffers::new();
        let mut net = buffers.trainer::<M, CrossEntropyLoss, MAX_BATCH>(net, CrossEntropyLoss, args.seed)?;
        let bar = self.ctx.console.bar(0, &name);
        let history = train::fit(&mut net, (self.data.train.split(), self.data.valid.split()), &cfg, &bar);
        self.ctx.console.finish(&bar);
        let history = history?;
        let evals =
            [&self.data.train, &self.data.valid, &self.data.test].map(|s| evaluate(&mut net, &s.split(), cfg.metric));
        let [train, valid, test] = evals;
        let evals = [train?, valid?, test?];
        let [t, v, e] = &evals;
        let mut result = RunResult::new(head, &history, [t, v, e]);
        let title = format!("{name}: test accuracy {}", cfg.metric.format(e.score));
        let n = k + 1;
        let curves = plot::curves(&format!("curves-{n}.png"), &title, &history)?;
        let mut files = vec![(format!("curves-{n}.csv"), history.csv().into_bytes())];
        let io = (
            meta::Input::Usps {
                centred: self.settings.centre,
            },
            meta::Output::of_classifier(&describe(net.model())),
        );
        files.push((
            format!("model-{n}.safetensors"),
            safetensors(&net, &result, args.seed, io)?,
        ));
        result.files = files.iter().map(|(f, _)| f.clone()).collect();
        result.files.push(format!("curves-{n}.png"));
        Ok(Member {
            result,
            history,
            evals,
            files,
            curves,
        })
    }

    /// The ensemble's result (mean of the members' probabilities) followed by the members'.
    fn ensemble(&self, net: &impl Describe, members: Vec<Member>, seconds: f64) -> Result<Outcome> {
        let mut outcome = Outcome::default();
        let splits = [&self.data.train, &self.data.valid, &self.data.test];
        let evals: [Evaluation; 3] = std::array::from_fn(|i| {
            let outputs: Vec<&[f32]> = members.iter().map(|m| m.evals[i].outputs.as_slice()).collect();
            mean_probabilities(&outputs, &splits[i].y)
        });
        let model = format!("ensemble of {} networks, each {}", members.len(), self.model(net));
        let head = self.head(self.args, String::new(), model);
        let name = classify::run_name(&head);
        let Some(first) = members.first() else {
            return Err(setting("members", "none trained"));
        };
        let [t, v, e] = &evals;
        let mut result = RunResult::new(head, &first.history, [t, v, e]);
        result.seconds = seconds;
        result.best_epoch = 0;
        result.pearson_loss = None;
        result.pearson_score = None;
        for m in &members {
            result.add_reference(format!("{} test accuracy", m.result.variant), m.result.score.test);
        }
        let truth: Vec<usize> = self.data.test.labels.iter().map(|&l| usize::from(l)).collect();
        let matrix = confusion(&argmax_rows(&e.outputs, CLASSES), &truth, CLASSES);
        plot::confusion("confusion.png", &format!("{name}: test confusion matrix"), &matrix)?
            .save(&mut outcome.artifacts, "confusion.png")?;
        result.files = vec!["confusion.png".to_owned()];
        outcome.runs.push(result);
        for m in members {
            if let Some(name) = m.result.files.last() {
                m.curves.save(&mut outcome.artifacts, name)?;
            }
            for (file, bytes) in m.files {
                outcome.artifacts.add(&file, bytes);
            }
            outcome.runs.push(m.result);
        }
        outcome.notes.push(format!(
            "{} members trained on {THREADS} threads in {seconds:.1} s (wall)",
            outcome.runs.len() - 1
        ));
        Ok(outcome)
    }
}

/// A member's reproducing flags: the run's with `--members 1`.
fn member_flags(extra: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    let mut it = extra.split_whitespace();
    while let Some(w) = it.next() {
        if w == "--members" {
            it.next();
        } else {
            words.push(w);
        }
    }
    words.push("--members 1");
    words.join(" ")
}

/// The ensemble's outputs (the mean of the members' softmax probabilities),
/// with their mean cross-entropy and accuracy against the one-hot `targets`.
fn mean_probabilities(outputs: &[&[f32]], targets: &[f32]) -> Evaluation {
    let rows = targets.len() / CLASSES;
    let mut mean = vec![0.0f32; rows * CLASSES];
    for logits in outputs {
        for (m, z) in mean.chunks_exact_mut(CLASSES).zip(logits.chunks_exact(CLASSES)) {
            let top = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let total: f32 = z.iter().map(|&v| (v - top).exp()).sum();
            for (a, &v) in m.iter_mut().zip(z) {
                *a += (v - top).exp() / total / outputs.len() as f32;
            }
        }
    }
    let loss = mean
        .chunks_exact(CLASSES)
        .zip(targets.chunks_exact(CLASSES))
        .map(|(p, y)| {
            -p.iter()
                .zip(y)
                .map(|(&p, &y)| f64::from(y) * f64::from(p.max(1e-30)).ln())
                .sum::<f64>()
        })
        .sum::<f64>()
        / rows.max(1) as f64;
    Evaluation {
        loss,
        score: Metric::Accuracy.score(&mean, targets, CLASSES),
        outputs: mean,
    }
}

#[cfg(test)]
mod tests;
