//! USPS digits with the report's MLP, 256-128-Tanh-64-Tanh-10, trained with
//! MSE on sigmoid outputs or with cross-entropy on logits (log-softmax).

use flambeau::{CrossEntropyLoss, Dropout, Init, Linear, MseLoss, Sequential, Sigmoid, Tanh};

use super::run::{Head, Outcome, Written, check_out, command, describe, finish};
use super::{Ctx, Recipe, RunArgs, Settings, classify, usps};
use crate::error::{Result, setting};

/// The MLP with sigmoid outputs, for MSE against one-hot targets.
pub type MseNet = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>, Sigmoid)>;
/// The MLP with logit outputs, for cross-entropy.
pub type CeNet = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;

/// The cross-entropy MLP with dropout after each hidden layer (PyTorch's
/// names: `0.weight`, `3.weight`, `6.weight`).
pub type DropNet = Sequential<(
    Linear<256, 128>,
    Tanh,
    Dropout,
    Linear<128, 64>,
    Tanh,
    Dropout,
    Linear<64, 10>,
)>;

/// Largest batch the trainer is built for (and the evaluation chunk).
const MAX_BATCH: usize = 256;

/// The loss the MLP is trained with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MlpLoss {
    /// Mean squared error on sigmoid outputs against one-hot targets.
    Mse,
    /// Cross-entropy on logits (log-softmax and negative log-likelihood).
    Ce,
}

impl MlpLoss {
    /// The loss's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            MlpLoss::Mse => "mse",
            MlpLoss::Ce => "ce",
        }
    }

    /// The old report's figure.
    pub fn report(self) -> &'static str {
        match self {
            MlpLoss::Mse => "65-75 % test",
            MlpLoss::Ce => "83.5 % test (88.0 % train, 85.8 % validation)",
        }
    }
}

/// The recipe's settings.
pub fn settings(recipe: Recipe, loss: MlpLoss) -> Settings {
    match (recipe, loss) {
        (Recipe::Report, MlpLoss::Mse) => Settings {
            train_size: Some(REPORT_TRAIN_SIZE),
            ..Settings::sgd(30, 1.0, 32)
        },
        (Recipe::Report, MlpLoss::Ce) => Settings {
            train_size: Some(REPORT_TRAIN_SIZE),
            ..Settings::sgd(30, 0.03, 32)
        },
        (Recipe::Best, MlpLoss::Mse) => Settings {
            shift: 1,
            centre: true,
            ..Settings::adam_cosine(60, 0.002, 32, Init::XavierUniform)
        },
        (Recipe::Best, MlpLoss::Ce) => Settings {
            shift: 1,
            centre: true,
            ..Settings::adam_cosine(60, 0.001, 32, Init::XavierUniform)
        },
    }
}

/// Training images of the report's USPS runs.
pub const REPORT_TRAIN_SIZE: usize = 500;

fn mlp_body(init: Init) -> (Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>) {
    (
        Linear::with_init(init),
        Tanh,
        Linear::with_init(init),
        Tanh,
        Linear::with_init(init),
    )
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, training, plotting and writing errors.
pub fn run(ctx: &Ctx, args: &RunArgs, loss: MlpLoss) -> Result<Written> {
    run_dropout(ctx, args, loss, None)
}

/// [`run`], with dropout of probability `dropout` after each hidden layer
/// (cross-entropy only), written to `usps-mlp-ce-dropout`.
///
/// # Errors
/// As [`run`]; a dropout probability outside `[0, 0.99]` or with MSE.
pub fn run_dropout(ctx: &Ctx, args: &RunArgs, loss: MlpLoss, dropout: Option<f32>) -> Result<Written> {
    let settings = settings(args.recipe, loss).overridden(args, ctx.max_epochs)?;
    let drop = match (dropout, loss) {
        (None, _) => None,
        (Some(_), MlpLoss::Mse) => return Err(setting("--dropout", "is for the cross-entropy MLP (--loss ce)")),
        (Some(p), MlpLoss::Ce) => {
            Some(Dropout::new(p).map_err(|_| setting("--dropout", format!("{p} is not a probability in [0, 0.99]")))?)
        }
    };
    let suffix = if drop.is_some() { "-dropout" } else { "" };
    let experiment = format!("usps-mlp-{}{suffix}", loss.name());
    let args = &check_out(ctx, &experiment, args)?;
    let data = usps::load(ctx, settings.train_size, settings.centre)?;
    let (a, b, c, d, e) = mlp_body(settings.init);
    let mut outcome = Outcome::default();
    let dropout_flag = drop.map_or_else(String::new, |d| format!(" --dropout {}", d.p()));
    let head = |model: String| Head {
        experiment: "usps-mlp",
        variant: format!(
            "{}{}",
            loss.name(),
            drop.map_or_else(String::new, |d| format!(", dropout {}", d.p()))
        ),
        args,
        settings: &settings,
        model,
        report: loss.report(),
        command: command("usps-mlp", &format!("--loss {}{dropout_flag}", loss.name()), args),
    };
    if let Some(p) = drop {
        let net: DropNet = Sequential::new((a, b, p, c, d, p, e));
        let h = head(format!("{} with cross-entropy (log-softmax)", describe(&net)));
        classify::run::<_, _, MAX_BATCH>(ctx, (net, CrossEntropyLoss), &data, h, &mut outcome)?;
        return finish(ctx, &experiment, args, outcome);
    }
    match loss {
        MlpLoss::Mse => {
            let net: MseNet = Sequential::new((a, b, c, d, e, Sigmoid));
            let h = head(format!("{} with MSE", describe(&net)));
            classify::run::<_, _, MAX_BATCH>(ctx, (net, MseLoss), &data, h, &mut outcome)?;
        }
        MlpLoss::Ce => {
            let net: CeNet = Sequential::new((a, b, c, d, e));
            let h = head(format!("{} with cross-entropy (log-softmax)", describe(&net)));
            classify::run::<_, _, MAX_BATCH>(ctx, (net, CrossEntropyLoss), &data, h, &mut outcome)?;
        }
    }
    finish(ctx, &experiment, args, outcome)
}
