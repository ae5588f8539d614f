//! Recipes (an experiment's default settings) and the flags that override them.

use std::path::PathBuf;

use flambeau::{Init, WeightDecay};
use serde::{Deserialize, Serialize};

use crate::error::{Result, setting};
use crate::train::{Optim, Schedule};

/// Shifts must stay below half a USPS image, or a digit could leave the frame.
const MAX_SHIFT: usize = 8;

/// Parses a whole number for a flag, saying what is wrong with a negative,
/// fractional or oversized one.
///
/// # Errors
/// A message for clap to print with the flag's name.
pub fn whole_number<T: std::str::FromStr>(text: &str) -> std::result::Result<T, String> {
    text.parse().map_err(|_| {
        let what = if text.trim_start().starts_with('-') {
            "is negative"
        } else if text
            .parse::<f64>()
            .is_ok_and(|v| v.is_finite() && v.fract() == 0.0 && v > 0.0)
        {
            "is too large"
        } else {
            "is not a whole number"
        };
        format!("{text:?} {what}; give a whole number: 0, 1, 2, ...")
    })
}

/// Which set of default settings a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Recipe {
    /// The old report's setting.
    Report,
    /// The improved recipe.
    Best,
}

impl Recipe {
    /// The recipe's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Recipe::Report => "report",
            Recipe::Best => "best",
        }
    }
}

/// How `--weight-decay` regularises the weights (biases never).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Decay {
    /// L2 added to the gradient (coupled, PyTorch's `weight_decay`).
    #[default]
    L2,
    /// AdamW's decoupled decay of the weights themselves.
    Adamw,
    /// L1 (lasso): `sign(w)` added to the gradient.
    L1,
}

impl Decay {
    /// The kind's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Decay::L2 => "l2",
            Decay::Adamw => "adamw",
            Decay::L1 => "l1",
        }
    }

    /// The core's regulariser of this kind with `strength`, on the weights only.
    pub fn of(self, strength: f64) -> WeightDecay {
        match self {
            Decay::L2 => WeightDecay::l2(strength),
            Decay::Adamw => WeightDecay::decoupled(strength),
            Decay::L1 => WeightDecay::l1(strength),
        }
    }
}

/// Flags every experiment takes; each one left out keeps the recipe's value.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct RunArgs {
    /// Default settings: the old report's (`report`) or the improved ones (`best`).
    #[arg(long, value_enum, default_value = "report")]
    pub recipe: Recipe,
    /// Passes over the training split [default: the recipe's].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub epochs: Option<usize>,
    /// Base learning rate [default: the recipe's].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Rows per batch [default: the recipe's].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub batch_size: Option<usize>,
    /// USPS training images to use, from the training split [default: the recipe's].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub train_size: Option<usize>,
    /// Largest random translation of USPS training images, in pixels (0: none) [default: the recipe's].
    #[arg(long, allow_negative_numbers = true, value_parser = whole_number::<usize>)]
    pub shift: Option<usize>,
    /// Seed of data generation, initialisation, shuffling and augmentation.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = whole_number::<u64>)]
    pub seed: u64,
    /// Output folder [default: out/<experiment>/<recipe>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Start from the weights of this model file (same architecture) instead of a random initialisation.
    #[arg(long, value_name = "FILE")]
    pub init_from: Option<PathBuf>,
    /// Continue an interrupted run from the checkpoint in its folder (DIR/checkpoint/, written after every epoch), with the same settings; writes into DIR unless --out says otherwise.
    #[arg(long, value_name = "DIR", conflicts_with = "init_from")]
    pub resume: Option<PathBuf>,
    /// Weight-decay strength on the weights, biases left alone (0: none) [default: the recipe's].
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,
    /// How `--weight-decay` acts [default: the recipe's, else l2].
    #[arg(long, value_enum)]
    pub decay: Option<Decay>,
    /// Settings from a recipe file (as `flambeau search` writes); flags given as well win.
    #[arg(long, value_name = "FILE")]
    pub recipe_file: Option<PathBuf>,
}

impl RunArgs {
    /// The flags of `recipe` with nothing overridden.
    pub fn of(recipe: Recipe) -> Self {
        Self {
            recipe,
            epochs: None,
            lr: None,
            batch_size: None,
            train_size: None,
            shift: None,
            seed: 1,
            out: None,
            init_from: None,
            resume: None,
            weight_decay: None,
            decay: None,
            recipe_file: None,
        }
    }

    /// The flags that differ from the recipe's defaults, as typed on a command line.
    /// `--resume` is left out: a resumed run ends as the uninterrupted one.
    pub fn flags(&self) -> String {
        let mut out = format!("--recipe {}", self.recipe.name());
        let mut push = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                out.push_str(&format!(" --{name} {v}"));
            }
        };
        push("epochs", self.epochs.map(|v| v.to_string()));
        push("lr", self.lr.map(|v| v.to_string()));
        push("batch-size", self.batch_size.map(|v| v.to_string()));
        push("train-size", self.train_size.map(|v| v.to_string()));
        push("shift", self.shift.map(|v| v.to_string()));
        push("seed", (self.seed != 1).then(|| self.seed.to_string()));
        push("init-from", self.init_from.as_ref().map(|p| p.display().to_string()));
        push("weight-decay", self.weight_decay.map(|v| v.to_string()));
        push("decay", self.decay.map(|d| d.name().to_owned()));
        out
    }
}

/// The settings of one training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Passes over the training split.
    pub epochs: usize,
    /// Base learning rate.
    pub lr: f64,
    /// Rows per batch (0: the whole training split, where the experiment allows it).
    pub batch: usize,
    /// The optimiser.
    pub optim: Optim,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// Largest random translation of training images, in pixels (0: none).
    pub shift: usize,
    /// Whether USPS pixels are mapped from `[0, 1]` to `[-1, 1]` (zero-mean-ish inputs suit tanh layers).
    pub centre: bool,
    /// Weight initialisation.
    #[serde(skip)]
    pub init: Init,
    /// Training images used (`None`: the whole training split).
    pub train_size: Option<usize>,
    /// Weight-decay strength (0: none).
    pub weight_decay: f64,
    /// How the weight decay acts.
    pub decay: Decay,
}

impl Settings {
    /// Plain SGD at `lr` with a constant rate, the layers' default init and no augmentation.
    pub fn sgd(epochs: usize, lr: f64, batch: usize) -> Self {
        Self {
            epochs,
            lr,
            batch,
            optim: Optim::Sgd,
            schedule: Schedule::Constant,
            shift: 0,
            centre: false,
            init: Init::TorchDefault,
            train_size: None,
            weight_decay: 0.0,
            decay: Decay::L2,
        }
    }

    /// Adam at `lr` with cosine decay to 1/20 and the given init.
    pub fn adam_cosine(epochs: usize, lr: f64, batch: usize, init: Init) -> Self {
        Self {
            optim: Optim::Adam,
            schedule: Schedule::Cosine { floor: 0.05 },
            init,
            ..Self::sgd(epochs, lr, batch)
        }
    }

    /// The core's regulariser for these settings.
    pub fn regularizer(&self) -> WeightDecay {
        self.decay.of(self.weight_decay)
    }

    /// The settings with the flags' overrides applied, epochs capped at `max_epochs`.
    ///
    /// # Errors
    /// [`crate::error::Error::Setting`] for no epochs, a learning rate that
    /// is not a positive number, no training images, or a shift of half an
    /// image or more.
    pub fn overridden(mut self, args: &RunArgs, max_epochs: Option<usize>) -> Result<Self> {
        self.epochs = args.epochs.unwrap_or(self.epochs);
        if let Some(cap) = max_epochs {
            self.epochs = self.epochs.min(cap);
        }
        self.lr = args.lr.unwrap_or(self.lr);
        self.batch = args.batch_size.unwrap_or(self.batch);
        self.train_size = args.train_size.or(self.train_size);
        self.shift = args.shift.unwrap_or(self.shift);
        self.weight_decay = args.weight_decay.unwrap_or(self.weight_decay);
        self.decay = args.decay.unwrap_or(self.decay);
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(setting(
                "weight decay",
                format!("{} is not a number of 0 or more", self.weight_decay),
            ));
        }
        if self.epochs == 0 {
            return Err(setting("epochs", "must be at least 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(setting(
                "learning rate",
                format!("{} is not a positive number", self.lr),
            ));
        }
        if self.lr > f64::from(f32::MAX) {
            return Err(setting(
                "learning rate",
                format!(
                    "{:e} is above the largest f32, {:e}, the type training runs in",
                    self.lr,
                    f32::MAX
                ),
            ));
        }
        if self.train_size == Some(0) {
            return Err(setting("training size", "must be at least 1"));
        }
        if self.shift >= MAX_SHIFT {
            return Err(setting(
                "shift",
                format!("{} pixels is not below {MAX_SHIFT}", self.shift),
            ));
        }
        Ok(self)
    }

    /// One line for people, e.g. "Adam lr 0.001, batch 32, 60 epochs, cosine to 0.05×, ±1 px shifts".
    pub fn describe(&self) -> String {
        let optim = match self.optim {
            Optim::Sgd => "SGD".to_owned(),
            Optim::Momentum { momentum } => format!("SGD momentum {momentum}"),
            Optim::Adam => "Adam".to_owned(),
        };
        let batch = if self.batch == 0 {
            "full batch".to_owned()
        } else {
            format!("batch {}", self.batch)
        };
        let mut text = format!("{optim} lr {}, {batch}, {} epochs", self.lr, self.epochs);
        if let Schedule::Cosine { floor } = self.schedule {
            text.push_str(&format!(", cosine decay to {floor}×"));
        }
        if self.init != Init::TorchDefault {
            text.push_str(&format!(", {:?} init", self.init));
        }
        if self.centre {
            text.push_str(", pixels centred to [-1, 1]");
        }
        if self.shift > 0 {
            text.push_str(&format!(", random shifts of up to ±{} px", self.shift));
        }
        if let Some(n) = self.train_size {
            text.push_str(&format!(", {n} training images"));
        }
        if self.weight_decay > 0.0 {
            text.push_str(&format!(", {} weight decay {}", self.decay.name(), self.weight_decay));
        }
        text
    }
}
