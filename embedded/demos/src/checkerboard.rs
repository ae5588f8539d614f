//! The checkerboard demo: `Linear(2,H) -> Tanh -> Linear(H,1) -> Sigmoid`
//! trained with BCE and Adam on points drawn from a seed.
//!
//! The points come from four Gaussian clusters centred at `(±c, ±c)`; a
//! point's label is the XOR of its cluster's signs (1 in the second and
//! fourth quadrants). Training draws a fresh batch every step from the
//! training stream, so no data set is stored; accuracy is measured on
//! held-out points from another stream of the same seed.

use crate::{Bench, Region, bits_hash, per_mille};
use flambeau::{
    Adam, AdamConfig, BceLoss, Error, Footprint, Linear, Node, Optimizer, Rng, Sequential, Sigmoid, Tanh, Trainer,
};

/// Hidden width of the demo's net.
pub const HIDDEN: usize = 16;
/// Points per training batch.
pub const BATCH: usize = 16;
/// The net with `H` hidden units.
pub type Net<const H: usize> = Sequential<(Linear<2, H>, Tanh, Linear<H, 1>, Sigmoid)>;
/// Its training footprint at [`BATCH`].
pub type Fp<const H: usize> = Footprint<Net<H>, BceLoss, BATCH>;
/// Tape nodes of the demo's net.
pub const NODES: usize = Fp::<HIDDEN>::NODES;
/// Arena scalars of the demo's net (values and gradients).
pub const ARENA: usize = Fp::<HIDDEN>::ARENA;
/// Adam's state scalars for the demo's net.
pub const STATE: usize = state_len::<HIDDEN>();
/// Accuracy the demo must reach on held-out points, in per-mille.
pub const ACCURACY_BAR_PER_MILLE: usize = 990;
/// XORed into the seed to give the held-out stream (any constant other than 0).
const HELD_OUT_STREAM: u64 = 0x4845_4c44_4f55_5421;
/// Probabilities above this are class 1.
const DECISION: f32 = 0.5;

/// Adam's state scalars for the net of width `H`.
pub const fn state_len<const H: usize>() -> usize {
    Fp::<H>::optimizer_state(<Adam<'static, f32> as Optimizer<f32>>::STATE_PER_PARAM)
}

/// The demo's hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Seed of the initial weights and of both point streams.
    pub seed: u64,
    /// Training steps (one fresh batch each).
    pub steps: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Cluster centres are at `(±centre, ±centre)`.
    pub centre: f64,
    /// Standard deviation of each cluster.
    pub spread: f64,
    /// Held-out points the accuracy is measured on.
    pub held_out: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 2024,
            steps: 200,
            lr: 0.03,
            centre: 1.0,
            spread: 0.25,
            held_out: 1000,
        }
    }
}

/// What a run reached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Training steps taken.
    pub steps: usize,
    /// Loss of the first batch, before any update.
    pub first_loss: f32,
    /// Loss of the last batch, before its update.
    pub last_loss: f32,
    /// Held-out points classified correctly.
    pub correct: usize,
    /// Held-out points.
    pub total: usize,
    /// [`bits_hash`] of every trained parameter, in tape order.
    pub hash: u64,
}

impl Outcome {
    /// Held-out accuracy in per-mille.
    pub fn accuracy_per_mille(&self) -> usize {
        per_mille(self.correct, self.total)
    }

    /// Whether the accuracy reaches [`ACCURACY_BAR_PER_MILLE`].
    pub fn passes(&self) -> bool {
        self.total > 0 && self.correct * 1000 >= ACCURACY_BAR_PER_MILLE * self.total
    }
}

/// One point and its label (0 or 1), drawn from `rng`.
pub fn draw(rng: &mut Rng, config: &Config) -> ([f32; 2], f32) {
    let quadrant = rng.below(4);
    let sx = if quadrant & 1 == 0 { 1.0 } else { -1.0 };
    let sy = if quadrant & 2 == 0 { 1.0 } else { -1.0 };
    let x = sx * config.centre + config.spread * rng.normal();
    let y = sy * config.centre + config.spread * rng.normal();
    let label = if (sx > 0.0) != (sy > 0.0) { 1.0 } else { 0.0 };
    ([x as f32, y as f32], label)
}

/// A training session of the net of width `H` over caller-owned buffers.
pub struct Checkerboard<'a, const H: usize> {
    trainer: Trainer<'a, f32, Net<H>, BceLoss, BATCH>,
    opt: Adam<'a, f32>,
    train: Rng,
    config: Config,
}

impl<'a, const H: usize> Checkerboard<'a, H> {
    /// Records the net on `tape` ([`Fp::NODES`]) and `arena` ([`Fp::ARENA`])
    /// and draws its initial weights; `state` holds Adam's moments
    /// ([`state_len`]).
    ///
    /// # Errors
    /// [`Error::TapeFull`] or [`Error::BufferTooSmall`] naming what is needed.
    pub fn new(
        config: Config,
        tape: &'a mut [Node],
        arena: &'a mut [f32],
        state: &'a mut [f32],
    ) -> Result<Self, Error> {
        let needed = state_len::<H>();
        if state.len() < needed {
            return Err(Error::BufferTooSmall {
                what: "optimizer state",
                needed,
                got: state.len(),
            });
        }
        let model = Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid));
        let mut trainer = Trainer::new(model, BceLoss, tape, arena)?;
        let mut rng = Rng::new(config.seed);
        trainer.init(&mut rng);
        let adam = AdamConfig {
            lr: config.lr,
            ..AdamConfig::default()
        };
        Ok(Checkerboard {
            trainer,
            opt: Adam::new(adam, state),
            train: rng,
            config,
        })
    }

    /// Draws the next training batch into the trainer's input and target buffers.
    ///
    /// # Errors
    /// [`Error::RowsOutOfRange`] only if the graph's batch were not [`BATCH`].
    pub fn next_batch(&mut self) -> Result<(), Error> {
        let (rng, config) = (&mut self.train, &self.config);
        let mut labels = [0.0f32; BATCH];
        for (row, label) in self.trainer.input_mut().chunks_exact_mut(2).zip(labels.iter_mut()) {
            let (point, l) = draw(rng, config);
            row.iter_mut().zip(point).for_each(|(x, p)| *x = p);
            *label = l;
        }
        let targets = self.trainer.target_mut();
        targets.iter_mut().zip(labels).for_each(|(t, l)| *t = l);
        self.trainer.set_rows(BATCH)
    }

    /// One Adam step on the current batch; returns the loss before the update.
    ///
    /// # Errors
    /// As [`Trainer::step`].
    pub fn step(&mut self) -> Result<f32, Error> {
        self.trainer.step(&mut self.opt)
    }

    /// The probability that `point` is of class 1.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for a NaN or infinite coordinate.
    pub fn predict(&mut self, point: [f32; 2]) -> Result<f32, Error> {
        Ok(self.trainer.predict(&point)?.first().copied().unwrap_or(0.0))
    }

    /// Every parameter, in tape order.
    pub fn params(&self) -> &[f32] {
        self.trainer.graph().params()
    }

    /// Trains for `config.steps` steps, then classifies `config.held_out`
    /// points one at a time, marking each step and each inference on `bench`.
    ///
    /// # Errors
    /// Whatever a step or a prediction returns.
    pub fn run(&mut self, bench: &mut impl Bench) -> Result<Outcome, Error> {
        let (mut first_loss, mut last_loss) = (0.0, 0.0);
        for step in 0..self.config.steps {
            self.next_batch()?;
            bench.start(Region::Train);
            let loss = self.step();
            bench.stop(Region::Train);
            last_loss = loss?;
            if step == 0 {
                first_loss = last_loss;
            }
        }
        let mut held_out = Rng::new(self.config.seed ^ HELD_OUT_STREAM);
        let mut correct = 0;
        for _ in 0..self.config.held_out {
            let (point, label) = draw(&mut held_out, &self.config);
            bench.start(Region::Infer);
            let p = self.predict(point);
            bench.stop(Region::Infer);
            correct += usize::from((p? > DECISION) == (label > DECISION));
        }
        Ok(Outcome {
            steps: self.config.steps,
            first_loss,
            last_loss,
            correct,
            total: self.config.held_out,
            hash: bits_hash(self.params()),
        })
    }
}
