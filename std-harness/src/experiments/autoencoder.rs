//! A USPS auto-encoder, scored by its test reconstruction error (MSE per
//! pixel, pixels in `[0, 1]`) against PCA with as many components.
//!
//! The report's network is 256-K(Tanh)-256(Sigmoid); the best recipe uses a
//! deeper one, 256-256(ReLU)-K-256(ReLU)-256(Sigmoid), with a linear code.
//! With `--tied` the decoder is the encoder's weight transposed: a Tanh code
//! and a Sigmoid output in the report recipe; in the best one a linear code
//! and a ReLU output, started at PCA's reconstruction (see [`pca_start`]),
//! on training images that are not shifted.

use std::ops::Range;

use flambeau::{Init, Linear, MseLoss, ReLU, Sequential, Sigmoid, Tanh, TiedAutoEncoder, TiedLinearReluAutoEncoder};

use super::ae::{self, Splits};
use super::run::{Head, Outcome, Written, check_out, command, describe, finish};
use super::usps::{self, PIXELS, Usps};
use super::{Ctx, Recipe, RunArgs, Settings};
use crate::error::{Result, setting};
use crate::metrics::mse;
use crate::pca::Pca;

/// The report's auto-encoder with a code of `K`.
pub type Shallow<const K: usize> = Sequential<(Linear<256, K>, Tanh, Linear<K, 256>, Sigmoid)>;
/// The deeper auto-encoder of the best recipe.
pub type Deep<const K: usize> = Sequential<(
    Linear<256, 256>,
    ReLU,
    Linear<256, K>,
    Linear<K, 256>,
    ReLU,
    Linear<256, 256>,
    Sigmoid,
)>;

/// The old report's figure.
pub const REPORT: &str = "blurry but recognisable digits (no number given)";
/// Largest batch the trainer is built for.
const MAX_BATCH: usize = 256;

/// The recipe's settings and code sizes.
pub fn settings(recipe: Recipe) -> (Settings, Vec<usize>) {
    match recipe {
        Recipe::Report => (Settings::sgd(30, 1.0, 32), vec![64]),
        Recipe::Best => (
            Settings {
                shift: 1,
                ..Settings::adam_cosine(60, 0.003, 32, Init::HeUniform)
            },
            vec![16, 64],
        ),
    }
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, training, plotting and writing errors; an unsupported code size.
pub fn run(ctx: &Ctx, args: &RunArgs, codes: Option<&[usize]>) -> Result<Written> {
    run_tied(ctx, args, codes, false)
}

/// [`run`], with `tied`: the report's shallow auto-encoder whose decoder is
/// the transpose of its encoder (one weight matrix, two biases), written to
/// `autoencoder-tied`.
///
/// # Errors
/// As [`run`].
pub fn run_tied(ctx: &Ctx, args: &RunArgs, codes: Option<&[usize]>, tied: bool) -> Result<Written> {
    let (mut settings, default_codes) = settings(args.recipe);
    if tied {
        // shifted digits are harder to reconstruct through one weight: the
        // tied network trains on the images as they are
        settings.shift = 0;
    }
    let settings = settings.overridden(args, ctx.max_epochs)?;
    let args = &check_out(ctx, "autoencoder", args)?;
    let codes = codes.unwrap_or(&default_codes);
    ae::check_codes(codes)?;
    let data = usps::load(ctx, settings.train_size, settings.centre)?;
    let pca = Pca::fit(&data.train.x, PIXELS)?;
    let mut outcome = Outcome::default();
    let flag = codes_flag(codes);
    ae::over_codes(codes, &pca, &mut outcome, |pca| Job {
        ctx,
        args,
        settings: &settings,
        data: &data,
        pca,
        codes_flag: flag.clone(),
        tied,
    })?;
    finish(
        ctx,
        if tied { "autoencoder-tied" } else { "autoencoder" },
        args,
        outcome,
    )
}

/// The deeper auto-encoder, every layer initialised with `init`.
pub fn deep<const K: usize>(init: Init) -> Deep<K> {
    let (a, b, c, d) = (
        Linear::with_init(init),
        Linear::with_init(init),
        Linear::with_init(init),
        Linear::with_init(init),
    );
    Sequential::new((a, ReLU, b, c, ReLU, d, Sigmoid))
}

/// The `--codes` flag listing `codes`.
pub fn codes_flag(codes: &[usize]) -> String {
    let list: Vec<String> = codes.iter().map(ToString::to_string).collect();
    format!("--codes {}", list.join(","))
}

/// One code size's run.
struct Job<'a> {
    ctx: &'a Ctx,
    args: &'a RunArgs,
    settings: &'a Settings,
    data: &'a Usps,
    pca: Pca,
    codes_flag: String,
    tied: bool,
}

impl ae::CodeSizeRun for Job<'_> {
    fn run<const K: usize>(&self, outcome: &mut Outcome) -> Result<()> {
        let test = &self.data.test;
        let pca_test = self.pca.reconstruct(&test.x);
        let splits = Splits {
            train: self.data.train.identity(),
            valid: self.data.valid.identity(),
            test: test.identity(),
        };
        let tag = K.to_string();
        let init = self.settings.init;
        let a = &mut outcome.artifacts;
        let trained = match self.args.recipe {
            Recipe::Best if self.tied => {
                let net = TiedLinearReluAutoEncoder::<256, K>::with_init(init);
                let start = |p: &mut [f32], r: &[Range<usize>]| pca_start(&self.pca, p, r);
                // a model file given to start from wins over PCA's start
                let prepare: Option<ae::Prepare<'_>> = self.args.init_from.is_none().then_some(&start);
                let head = self.head(&net, "MSE, started at PCA's reconstruction");
                ae::train::<_, _, MAX_BATCH>(self.ctx, (net, MseLoss), splits, (head, &tag), prepare, a)?
            }
            _ if self.tied => {
                let net = TiedAutoEncoder::<256, K>::with_init(init);
                let head = self.head(&net, "MSE");
                ae::train::<_, _, MAX_BATCH>(self.ctx, (net, MseLoss), splits, (head, &tag), None, a)?
            }
            Recipe::Report => {
                let net: Shallow<K> =
                    Sequential::new((Linear::with_init(init), Tanh, Linear::with_init(init), Sigmoid));
                let head = self.head(&net, "MSE");
                ae::train::<_, _, MAX_BATCH>(self.ctx, (net, MseLoss), splits, (head, &tag), None, a)?
            }
            Recipe::Best => {
                let net: Deep<K> = deep(init);
                let head = self.head(&net, "MSE");
                ae::train::<_, _, MAX_BATCH>(self.ctx, (net, MseLoss), splits, (head, &tag), None, a)?
            }
        };
        let mut result = trained.result;
        let pca_mse = mse(&pca_test, &test.x);
        result.add_reference(format!("PCA ({K} components), test MSE per pixel"), pca_mse);
        let name = format!("reconstructions-{K}.png");
        let title = format!(
            "test digits, code size {K}: auto-encoder MSE {:.5}, PCA MSE {pca_mse:.5}",
            result.score.test
        );
        let rows = [
            (format!("auto-encoder ({K})"), &trained.test_outputs[..]),
            (format!("PCA ({K})"), &pca_test[..]),
        ];
        ae::reconstructions(&name, &title, &test.x, &rows, &mut outcome.artifacts)?;
        result.files.insert(0, name);
        outcome.runs.push(result);
        Ok(())
    }
}

impl Job<'_> {
    fn head(&self, net: &impl flambeau::Describe, loss: &str) -> Head<'_> {
        Head {
            experiment: if self.tied { "autoencoder-tied" } else { "autoencoder" },
            variant: format!("code {}", self.pca.k()),
            args: self.args,
            settings: self.settings,
            model: format!("{} with {loss}", describe(net)),
            report: REPORT,
            command: if self.tied {
                command("autoencoder", &format!("--tied {}", self.codes_flag), self.args)
            } else {
                command("autoencoder", &self.codes_flag, self.args)
            },
        }
    }
}

/// Sets a [`TiedLinearReluAutoEncoder`] (parameters `W` `[K][IN]`, `b₀`,
/// `b₁`, in tape order) to PCA's reconstruction: `W = U` (the top-`K`
/// components), `b₀ = −U mean`, `b₁ = mean`, so the code is PCA's and the
/// output is `ReLU(mean + (x − mean) UᵀU)`, PCA's reconstruction with its
/// negative pixels clipped to 0. Nothing is frozen.
///
/// # Errors
/// [`crate::error::Error::Setting`] if the parameters are not a tied
/// `d`-`k` auto-encoder's, `d` and `k` PCA's.
pub fn pca_start(pca: &Pca, params: &mut [f32], ranges: &[Range<usize>]) -> Result<Option<Range<usize>>> {
    let (k, d) = (pca.k(), pca.d);
    let fits = |[w, b0, b1]: &[Range<usize>; 3]| {
        w.len() == k * d && b0.len() == k && b1.len() == d && b1.end.max(w.end).max(b0.end) <= params.len()
    };
    let [w, b0, b1] = match ranges {
        [w, b0, b1] if fits(&[w.clone(), b0.clone(), b1.clone()]) => [w.clone(), b0.clone(), b1.clone()],
        _ => {
            return Err(setting(
                "PCA start",
                format!("parameter tensors {ranges:?} are not a tied {d}-{k} auto-encoder's"),
            ));
        }
    };
    params[w].copy_from_slice(&pca.components);
    for (b, u) in params[b0].iter_mut().zip(pca.components.chunks_exact(d)) {
        *b = -u.iter().zip(&pca.mean).map(|(ui, m)| ui * m).sum::<f32>();
    }
    params[b1].copy_from_slice(&pca.mean);
    Ok(None)
}

#[cfg(test)]
mod tests;
