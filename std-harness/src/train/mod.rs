//! The shared training loop.
//!
//! [`fit`] runs the epochs of one model: each epoch shuffles the training
//! rows with the core's [`Rng`], gathers batches into the trainer's input
//! buffer (shifting 16x16 images by a few pixels when augmentation is on),
//! declares a partial last batch with `set_rows`, steps the optimiser, then
//! scores the training split (or, with [`TrainConfig::running_train_scores`],
//! the batches as they were trained on) and the validation split (dropout switched off while
//! scoring, its masks seeded from the run's seed). The parameters of the best
//! epoch on validation are kept, and restored at the end: the returned
//! trainer holds the selected model, never the test set's favourite.
//!
//! With [`TrainConfig::checkpoint`] set, the whole state of the run is
//! saved at the end of every epoch ([`checkpoint`]), and a run given a
//! checkpoint to resume continues from it to the same end, bit for bit, as
//! if it had never stopped.

mod affine;
mod batch;
pub mod checkpoint;
pub mod diverge;
mod history;
mod seen;

pub use affine::rotate_shift_image;
pub use batch::{Evaluation, Shift, Split, evaluate, predict, shift_image};
pub use checkpoint::Checkpointing;
pub use history::{EpochRecord, History};

use seen::Seen;

use std::ops::Range;
use std::time::Instant;

use flambeau::{Adam, AdamConfig, Footprint, Loss, Model, Momentum, Node, Optimizer, Rng, Sgd, Trainer, WeightDecay};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::error::{CoreContext, Error, Result, setting};
use crate::metrics::Metric;

/// Stream offset between the initialisation and the shuffling generators.
const SHUFFLE_STREAM: u64 = 0x5EED_0F5A_FF1E;
/// Stream offset of the dropout masks.
const DROPOUT_STREAM: u64 = 0xD20F_0A75_5EED;

/// The optimiser of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Optim {
    /// Plain stochastic gradient descent.
    Sgd,
    /// SGD with (heavy-ball) momentum.
    Momentum {
        /// The momentum coefficient.
        momentum: f64,
    },
    /// Adam with the usual betas (0.9, 0.999).
    Adam,
}

/// How the learning rate changes over the epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// The base rate throughout.
    Constant,
    /// Cosine decay from the base rate to `floor` times it at the last epoch.
    Cosine {
        /// Final rate as a fraction of the base rate.
        floor: f64,
    },
}

impl Schedule {
    /// The rate at `epoch` (from 0) of `epochs`.
    pub fn lr(self, base: f64, epoch: usize, epochs: usize) -> f64 {
        match self {
            Schedule::Constant => base,
            Schedule::Cosine { floor } => {
                let t = epoch as f64 / (epochs.max(2) - 1) as f64;
                base * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()))
            }
        }
    }
}

/// Everything that defines a training run besides the model and the data.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Name of the run, for progress and errors.
    pub name: String,
    /// Number of passes over the training split.
    pub epochs: usize,
    /// Base learning rate.
    pub lr: f64,
    /// Rows per batch (at most the trainer's `B`).
    pub batch: usize,
    /// Seed of initialisation, shuffling and augmentation.
    pub seed: u64,
    /// The optimiser.
    pub optim: Optim,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Random translations of image inputs, if any.
    pub shift: Option<Shift>,
    /// Parameter indices kept fixed (their gradients are zeroed before each step).
    pub frozen: Option<Range<usize>>,
    /// How each epoch is scored.
    pub metric: Metric,
    /// Where to save the run's state after every epoch, and what to resume from.
    pub checkpoint: Option<Checkpointing>,
    /// Regularisation of the parameters at each step (none by default).
    pub decay: WeightDecay,
    /// Whether each epoch's training loss and score are those of the
    /// epoch's own batches (as trained on: augmented, each scored just
    /// before its step) instead of a pass over the training split after
    /// the epoch. It saves that pass; the parameters are the same.
    pub running_train_scores: bool,
}

/// Trainer buffers (tape and arena) on the heap, sized from the model's footprint.
#[derive(Debug, Default)]
pub struct Buffers {
    tape: Vec<Node>,
    arena: Vec<f32>,
}

impl Buffers {
    /// Empty buffers; [`Buffers::trainer`] sizes them.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `model` and `loss` at batch size `B` and initialises the
    /// parameters from `seed`.
    ///
    /// # Errors
    /// [`Error::Core`] if the graph cannot be recorded.
    pub fn trainer<M: Model, L: Loss<M::Output>, const B: usize>(
        &mut self,
        model: M,
        loss: L,
        seed: u64,
    ) -> Result<Trainer<'_, f32, M, L, B>> {
        self.tape = vec![Node::EMPTY; Footprint::<M, L, B>::NODES];
        self.arena = vec![0.0; Footprint::<M, L, B>::ARENA];
        let mut net =
            Trainer::new(model, loss, &mut self.tape, &mut self.arena).context(|| "recording the model".to_owned())?;
        net.init(&mut Rng::new(seed));
        Ok(net)
    }
}

/// Trains `net` on `train`, scoring `valid` after each epoch, and leaves it
/// holding the parameters of the best validation epoch.
///
/// # Errors
/// [`Error::Setting`] for a batch size of 0 or above `B`, or an empty split;
/// [`Error::Diverged`] for a loss that is not finite; [`Error::Core`].
/// A run that crosses a bound of [`diverge`] stops there and says why in
/// [`History::diverged`].
pub fn fit<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    (train, valid): (Split<'_>, Split<'_>),
    cfg: &TrainConfig,
    bar: &ProgressBar,
) -> Result<History> {
    if cfg.batch == 0 || cfg.batch > B {
        return Err(setting("batch size", format!("{} is not in 1..={B}", cfg.batch)));
    }
    train.check::<M>("training split")?;
    valid.check::<M>("validation split")?;
    let params = Footprint::<M, L, B>::PARAMS;
    let identity = checkpoint::identity(net, (&train, &valid), cfg);
    let names: &[&str] = match cfg.optim {
        Optim::Sgd => &[],
        Optim::Momentum { .. } => &checkpoint::MOMENTUM,
        Optim::Adam => &checkpoint::ADAM,
    };
    let resumed = match cfg.checkpoint.as_ref().and_then(|c| c.resume.as_ref()) {
        Some(file) if file.exists() => {
            let r = checkpoint::load(file, net, cfg, &identity, train.rows::<M>(), names)?;
            net.graph_mut().params_mut().copy_from_slice(&r.params);
            Some(r)
        }
        _ => None,
    };
    let state = |per: usize| match &resumed {
        Some(r) => r.optim.clone(),
        None => vec![0.0; per * params],
    };
    let run_with = Run {
        splits: (train, valid),
        cfg,
        bar,
        identity: &identity,
    };
    match cfg.optim {
        Optim::Sgd => run(net, Sgd::new(cfg.lr as f32), run_with, resumed.map(|r| r.progress)),
        Optim::Momentum { momentum } => {
            let mut state = state(1);
            let opt = if resumed.is_some() {
                Momentum::resume(cfg.lr as f32, momentum as f32, &mut state)
            } else {
                Momentum::new(cfg.lr as f32, momentum as f32, &mut state)
            };
            run(net, opt, run_with, resumed.map(|r| r.progress))
        }
        Optim::Adam => {
            let mut state = state(2);
            let config = AdamConfig {
                lr: cfg.lr,
                ..AdamConfig::default()
            };
            let opt = match &resumed {
                Some(r) => Adam::resume(config, &mut state, r.steps),
                None => Adam::new(config, &mut state),
            };
            run(net, opt, run_with, resumed.map(|r| r.progress))
        }
    }
}

/// What a run reads besides the network and the optimiser.
struct Run<'a, 'd> {
    splits: (Split<'d>, Split<'d>),
    cfg: &'a TrainConfig,
    bar: &'a ProgressBar,
    identity: &'a [(String, String)],
}

fn run<M: Model, L: Loss<M::Output>, O: checkpoint::Saved, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    mut opt: O,
    Run {
        splits: (train, valid),
        cfg,
        bar,
        identity,
    }: Run<'_, '_>,
    resumed: Option<checkpoint::Progress>,
) -> Result<History> {
    let start = Instant::now();
    let batches = train.rows::<M>().div_ceil(cfg.batch);
    bar.set_length((cfg.epochs * batches) as u64);
    let mut p = resumed.unwrap_or_else(|| checkpoint::Progress {
        epoch: 0,
        rng: Rng::new(cfg.seed ^ SHUFFLE_STREAM),
        order: (0..train.rows::<M>()).collect(),
        history: History::new(cfg.metric),
        best: net.graph().params().to_vec(),
        seconds: 0.0,
        dropout_rng: Rng::new(cfg.seed ^ DROPOUT_STREAM),
    });
    net.graph_mut().set_dropout_rng(p.dropout_rng.clone());
    bar.inc((p.epoch * batches) as u64);
    let done = p.history.diverged.is_some();
    for epoch in (p.epoch..cfg.epochs).take_while(|_| !done) {
        let lr = cfg.schedule.lr(cfg.lr, epoch, cfg.epochs);
        opt.set_lr(lr as f32);
        p.rng.shuffle(&mut p.order);
        // Dropout draws masks while training and is the identity while scoring.
        net.graph_mut().set_training(true);
        let mut seen = Seen::default();
        for rows in p.order.chunks(cfg.batch) {
            batch::load(net, &train, rows, cfg.shift.as_ref(), &mut p.rng)?;
            let loss = step(net, &mut opt, cfg).context(|| format!("{}: training step", cfg.name))?;
            if cfg.running_train_scores {
                seen.add(net, loss, rows.len());
            }
            bar.inc(1);
        }
        net.graph_mut().set_training(false);
        let seen = cfg.running_train_scores.then(|| seen.evaluation::<M>(cfg.metric));
        let record = score_epoch(net, (&train, &valid), seen, cfg, (epoch, lr))?;
        bar.set_message(p.history.message(&record, cfg.epochs));
        let why = diverge::losses(&[record.train_loss, record.valid_loss])
            .or_else(|| diverge::weights(net.graph().params()))
            .map(|why| format!("epoch {}: {why}", record.epoch));
        if p.history.push(record) {
            p.best.copy_from_slice(net.graph().params());
        }
        p.history.diverged = why;
        p.epoch = epoch + 1;
        p.dropout_rng = net.graph().dropout_rng().clone();
        if let Some(c) = &cfg.checkpoint {
            let seconds = p.seconds + start.elapsed().as_secs_f64();
            checkpoint::save(
                &c.file,
                net,
                &opt,
                &checkpoint::Progress { seconds, ..p.clone() },
                identity,
            )?;
            if c.stop_after == Some(p.epoch) && p.epoch < cfg.epochs {
                return Err(checkpoint::stopped(&c.file, p.epoch));
            }
        }
        if p.history.diverged.is_some() {
            break;
        }
    }
    net.graph_mut().set_training(false);
    net.graph_mut().params_mut().copy_from_slice(&p.best);
    let mut history = p.history;
    history.seconds = p.seconds + start.elapsed().as_secs_f64();
    Ok(history)
}

/// One update: gradients, the regulariser's terms, frozen ones zeroed, then the optimiser's step.
fn step<M: Model, L: Loss<M::Output>, O: Optimizer<f32>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    opt: &mut O,
    cfg: &TrainConfig,
) -> std::result::Result<f32, flambeau::Error> {
    let Some(frozen) = cfg.frozen.as_ref() else {
        return if cfg.decay.is_active() {
            net.step_with_decay(opt, &cfg.decay)
        } else {
            net.step(opt)
        };
    };
    let loss = net.compute_grads()?;
    net.graph_mut().add_penalty_grads(&cfg.decay);
    if let Some(g) = net.graph_mut().param_grads_mut().get_mut(frozen.clone()) {
        g.fill(0.0);
    }
    let kept: Vec<f32> = net.graph().params().get(frozen.clone()).unwrap_or(&[]).to_vec();
    net.graph_mut().decay_params(&cfg.decay, opt.lr());
    if let Some(p) = net.graph_mut().params_mut().get_mut(frozen.clone()) {
        p.copy_from_slice(&kept);
    }
    let (params, grads) = net.graph_mut().params_and_grads();
    opt.step(params, grads)?;
    Ok(loss)
}

fn score_epoch<M: Model, L: Loss<M::Output>, const B: usize>(
    net: &mut Trainer<'_, f32, M, L, B>,
    (train, valid): (&Split<'_>, &Split<'_>),
    seen: Option<Evaluation>,
    cfg: &TrainConfig,
    (epoch, lr): (usize, f64),
) -> Result<EpochRecord> {
    let t = match seen {
        Some(t) => t,
        None => evaluate(net, train, cfg.metric)?,
    };
    let v = evaluate(net, valid, cfg.metric)?;
    for (what, value) in [("training loss", t.loss), ("validation loss", v.loss)] {
        if !value.is_finite() {
            return Err(Error::Diverged {
                run: cfg.name.clone(),
                epoch: epoch + 1,
                what,
            });
        }
    }
    Ok(EpochRecord {
        epoch: epoch + 1,
        lr,
        train_loss: t.loss,
        valid_loss: v.loss,
        train_score: t.score,
        valid_score: v.score,
    })
}

#[cfg(test)]
mod tests;
