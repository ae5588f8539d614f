//! USPS digits with a LeNet-like 2-D convolutional network over the 16×16
//! image, trained with cross-entropy:
//! Conv2d(1,16,k=5,padding=2)-ReLU-MaxPool2d(2,2)-Conv2d(16,32,k=5,padding=2)-ReLU-MaxPool2d(2,2)-Flatten-Linear(512,128)-ReLU-Linear(128,10).
//!
//! - `report`: the old report's way of training (plain SGD, constant rate, no augmentation);
//! - `best`: Adam with cosine decay, He initialisation, and each training
//!   image shifted by up to one pixel and rotated by up to `ROTATION`
//!   degrees, drawn afresh every epoch from the run's seed.

use flambeau::{Conv2d, CrossEntropyLoss, Flatten, Init, Linear, MaxPool2d, ReLU, Sequential};

use super::run::{Head, Outcome, Written, command, describe, finish};
use super::{Ctx, Recipe, RunArgs, Settings, classify, usps};
use crate::error::Result;
use crate::train::Shift;

/// The network.
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

/// Largest batch the trainer is built for.
const MAX_BATCH: usize = 256;
/// Largest random rotation of the best recipe's training images, in degrees.
pub const ROTATION: f32 = 10.0;

/// The recipe's settings.
pub fn settings(recipe: Recipe) -> Settings {
    match recipe {
        Recipe::Report => Settings::sgd(20, 0.05, 32),
        Recipe::Best => Settings {
            shift: 1,
            ..Settings::adam_cosine(20, 0.002, 32, Init::HeUniform)
        },
    }
}

/// The rotation a recipe draws (none for the report's).
fn rotation(recipe: Recipe) -> f32 {
    match recipe {
        Recipe::Report => 0.0,
        Recipe::Best => ROTATION,
    }
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, training, plotting and writing errors.
pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<Written> {
    let settings = settings(args.recipe).overridden(args, ctx.max_epochs)?;
    let args = &super::run::check_out(ctx, "conv2d", args)?;
    let data = usps::load(ctx, settings.train_size, settings.centre)?;
    let init = settings.init;
    let mut outcome = Outcome::default();
    let net: LeNet = Sequential::new((
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
    ));
    let degrees = rotation(args.recipe);
    let mut model = format!("{} with cross-entropy", describe(&net));
    if degrees > 0.0 {
        model.push_str(&format!(", training images rotated by up to ±{degrees}°"));
    }
    let head = Head {
        experiment: "conv2d",
        variant: String::new(),
        args,
        settings: &settings,
        model,
        report: "none (the report wished for 2-D convolutions; LeCun et al. 1989: 95.0 %, humans ≈ 97.5 %)",
        command: command("conv2d", "", args),
    };
    let shift = Shift {
        degrees,
        ..usps::shift(settings.shift, false, settings.centre)
    };
    classify::run_augmented::<_, _, MAX_BATCH>(ctx, (net, CrossEntropyLoss), &data, head, shift, &mut outcome)?;
    finish(ctx, "conv2d", args, outcome)
}
