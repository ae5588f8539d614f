//! USPS digits with 1-D convolutional networks over the image read as a
//! sequence of 256 pixels (row after row), trained with cross-entropy.
//!
//! - `report`: Conv1d(1,32,3)-MaxPool1d(2,2)-Flatten-Linear(4064,100)-ReLU-Linear(100,10);
//! - `small`: Conv1d(1,32,3)-MaxPool1d(2,2)-Flatten-Linear(4064,10);
//! - `deep` (best recipe): kernels spanning three image rows, so that each
//!   1-D filter sees a 2-D neighbourhood of the digit.

use flambeau::{Conv1d, CrossEntropyLoss, Flatten, Init, Linear, MaxPool1d, ReLU, Sequential};

use super::run::{Head, Outcome, Written, check_out, command, describe, finish};
use super::{Ctx, Recipe, RunArgs, Settings, classify, usps};
use crate::error::Result;

/// The report's network.
pub type ReportNet = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 100>,
    ReLU,
    Linear<100, 10>,
)>;
/// The report's smaller network.
pub type SmallNet = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 10>,
)>;
/// The best recipe's network: 35-tap kernels cover three image rows.
pub type DeepNet = Sequential<(
    Conv1d<1, 32, 35, 256, 222>,
    ReLU,
    MaxPool1d<2, 2, 111>,
    Flatten<3552>,
    Linear<3552, 100>,
    ReLU,
    Linear<100, 10>,
)>;

/// Largest batch the trainer is built for.
const MAX_BATCH: usize = 256;
/// Training images of the report's convolution runs.
pub const REPORT_TRAIN_SIZE: usize = 500;

/// The network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    /// Conv-Pool-Linear(4064,100)-ReLU-Linear(100,10).
    Report,
    /// Conv-Pool-Linear(4064,10).
    Small,
    /// Row-spanning kernels, ReLU, pooling, Linear(3552,100)-ReLU-Linear(100,10).
    Deep,
}

impl Arch {
    fn name(self) -> &'static str {
        match self {
            Arch::Report => "report",
            Arch::Small => "small",
            Arch::Deep => "deep",
        }
    }

    /// The old report's figure.
    pub fn report(self) -> &'static str {
        match self {
            Arch::Report => "overfits on 500 images, ≈ 70 % test",
            Arch::Deep => "report network: overfits on 500 images, ≈ 70 % test",
            Arch::Small => "78-84 % test (500 images)",
        }
    }

    /// The architecture a recipe uses when `--arch` is not given.
    pub fn default_for(recipe: Recipe) -> Self {
        match recipe {
            Recipe::Report => Arch::Report,
            Recipe::Best => Arch::Deep,
        }
    }
}

/// The recipe's settings.
pub fn settings(recipe: Recipe) -> Settings {
    match recipe {
        Recipe::Report => Settings {
            train_size: Some(REPORT_TRAIN_SIZE),
            ..Settings::sgd(30, 0.01, 32)
        },
        Recipe::Best => Settings {
            shift: 1,
            ..Settings::adam_cosine(30, 0.001, 32, Init::HeUniform)
        },
    }
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, training, plotting and writing errors.
pub fn run(ctx: &Ctx, args: &RunArgs, arch: Option<Arch>) -> Result<Written> {
    let arch = arch.unwrap_or_else(|| Arch::default_for(args.recipe));
    let settings = settings(args.recipe).overridden(args, ctx.max_epochs)?;
    let args = &check_out(ctx, &format!("conv1d-{}", arch.name()), args)?;
    let data = usps::load(ctx, settings.train_size, settings.centre)?;
    let init = settings.init;
    let mut outcome = Outcome::default();
    let head = |model: String| Head {
        experiment: "conv1d",
        variant: arch.name().to_owned(),
        args,
        settings: &settings,
        model: format!("{model} with cross-entropy"),
        report: arch.report(),
        command: command("conv1d", &format!("--arch {}", arch.name()), args),
    };
    let loss = CrossEntropyLoss;
    match arch {
        Arch::Report => {
            let net: ReportNet = Sequential::new((
                Conv1d::with_init(init),
                MaxPool1d,
                Flatten,
                Linear::with_init(init),
                ReLU,
                Linear::with_init(init),
            ));
            let h = head(describe(&net));
            classify::run::<_, _, MAX_BATCH>(ctx, (net, loss), &data, h, &mut outcome)?;
        }
        Arch::Small => {
            let net: SmallNet = Sequential::new((Conv1d::with_init(init), MaxPool1d, Flatten, Linear::with_init(init)));
            let h = head(describe(&net));
            classify::run::<_, _, MAX_BATCH>(ctx, (net, loss), &data, h, &mut outcome)?;
        }
        Arch::Deep => {
            let (c, l1, l2) = (
                Conv1d::with_init(init),
                Linear::with_init(init),
                Linear::with_init(init),
            );
            let net: DeepNet = Sequential::new((c, ReLU, MaxPool1d, Flatten, l1, ReLU, l2));
            let h = head(describe(&net));
            classify::run::<_, _, MAX_BATCH>(ctx, (net, loss), &data, h, &mut outcome)?;
        }
    }
    finish(ctx, &format!("conv1d-{}", arch.name()), args, outcome)
}
