//! Auto-encoder against PCA at several code sizes, in three variants:
//! the auto-encoder alone (256-K(Tanh)-256(Sigmoid)), PCA's encoder with a
//! learned decoder (K-256(Sigmoid) on PCA codes), and a learned linear
//! encoder with PCA's decoder (fixed: `x̂ = mean + z V`).

use std::ops::Range;

use flambeau::{InferenceFootprint, Init, Linear, MseLoss, Network, Node, SafeTensors, Sequential, Sigmoid, Tanh};

use super::ae::{self, Splits};
use super::autoencoder::{Shallow, codes_flag};
use super::run::{Head, Outcome, Written, check_out, command, describe, finish};
use super::usps::{self, PIXELS, Usps};
use super::{Ctx, Recipe, RunArgs, Settings};
use crate::error::{CoreContext, Result, setting};
use crate::metrics::mse;
use crate::model::meta;
use crate::pca::Pca;
use crate::train::Split;

/// A decoder learned on PCA codes.
pub type LearnedDecoder<const K: usize> = Sequential<(Linear<K, 256>, Sigmoid)>;
/// A learned linear encoder followed by PCA's decoder (a frozen `Linear`).
pub type PcaDecoder<const K: usize> = Sequential<(Linear<256, K>, Linear<K, 256>)>;

/// The old report's figure.
pub const REPORT: &str = "pictures only; the \"PCA decoder\" variant overfits";
/// Largest batch the trainer is built for.
const MAX_BATCH: usize = 256;

/// The recipe's settings and code sizes.
pub fn settings(recipe: Recipe) -> (Settings, Vec<usize>) {
    let codes = vec![16, 32, 64];
    match recipe {
        Recipe::Report => (super::autoencoder::settings(recipe).0, codes),
        Recipe::Best => (Settings::adam_cosine(60, 0.003, 32, Init::XavierUniform), codes),
    }
}

/// Runs the experiment and writes its folder.
///
/// # Errors
/// Data, training, plotting and writing errors; an unsupported code size.
pub fn run(ctx: &Ctx, args: &RunArgs, codes: Option<&[usize]>) -> Result<Written> {
    let (settings, default_codes) = settings(args.recipe);
    let settings = settings.overridden(args, ctx.max_epochs)?;
    let args = &check_out(ctx, "ae-vs-pca", args)?;
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
        flag: flag.clone(),
    })?;
    finish(ctx, "ae-vs-pca", args, outcome)
}

struct Job<'a> {
    ctx: &'a Ctx,
    args: &'a RunArgs,
    settings: &'a Settings,
    data: &'a Usps,
    pca: Pca,
    flag: String,
}

impl ae::CodeSizeRun for Job<'_> {
    fn run<const K: usize>(&self, outcome: &mut Outcome) -> Result<()> {
        let (d, pca) = (self.data, &self.pca);
        let init = self.settings.init;
        let images = Splits {
            train: d.train.identity(),
            valid: d.valid.identity(),
            test: d.test.identity(),
        };
        let codes = [&d.train, &d.valid, &d.test].map(|s| pca.encode(&s.x));
        let [ct, cv, cs] = &codes;
        let from_codes = Splits {
            train: Split { x: ct, y: &d.train.x },
            valid: Split { x: cv, y: &d.valid.x },
            test: Split { x: cs, y: &d.test.x },
        };
        let a = &mut outcome.artifacts;
        let ae_net: Shallow<K> = Sequential::new((Linear::with_init(init), Tanh, Linear::with_init(init), Sigmoid));
        let head = self.head(&ae_net, "AE");
        let ae =
            ae::train::<_, _, MAX_BATCH>(self.ctx, (ae_net, MseLoss), images, (head, &format!("{K}-ae")), None, a)?;
        let dec: LearnedDecoder<K> = Sequential::new((Linear::with_init(init), Sigmoid));
        let head = self.head(&dec, "PCA encoder + learned decoder");
        let tag = format!("{K}-pca-encoder");
        let learned_dec = ae::train::<_, _, MAX_BATCH>(self.ctx, (dec, MseLoss), from_codes, (head, &tag), None, a)?;
        let whole = pca_pipeline::<K>(pca, &learned_dec, self.args.seed, self.settings.centre)?;
        a.add(format!("model-{tag}.safetensors"), whole);
        let enc: PcaDecoder<K> = Sequential::new((Linear::with_init(init), Linear::new()));
        let head = self.head(&enc, "learned encoder + PCA decoder");
        let tag = format!("{K}-pca-decoder");
        let freeze = |p: &mut [f32], r: &[Range<usize>]| set_pca_decoder(pca, p, r);
        let learned_enc =
            ae::train::<_, _, MAX_BATCH>(self.ctx, (enc, MseLoss), images, (head, &tag), Some(&freeze), a)?;
        let pca_test = pca.reconstruct(&d.test.x);
        let pca_mse = mse(&pca_test, &d.test.x);
        let rows = [
            (format!("PCA ({K})"), &pca_test[..]),
            ("auto-encoder".to_owned(), &ae.test_outputs[..]),
            ("PCA enc. + learned dec.".to_owned(), &learned_dec.test_outputs[..]),
            ("learned enc. + PCA dec.".to_owned(), &learned_enc.test_outputs[..]),
        ];
        let name = format!("reconstructions-{K}.png");
        let title = format!("test digits, code size {K} (PCA test MSE {pca_mse:.5})");
        ae::reconstructions(&name, &title, &d.test.x, &rows, &mut outcome.artifacts)?;
        for (i, mut trained) in [ae, learned_dec, learned_enc].into_iter().enumerate() {
            let r = &mut trained.result;
            r.add_reference(format!("PCA ({K} components), test MSE per pixel"), pca_mse);
            if i == 0 {
                r.files.insert(0, name.clone());
            }
            outcome.runs.push(trained.result);
        }
        Ok(())
    }
}

impl Job<'_> {
    fn head(&self, net: &impl flambeau::Describe, variant: &str) -> Head<'_> {
        Head {
            experiment: "ae-vs-pca",
            variant: format!("code {}, {variant}", self.pca.k()),
            args: self.args,
            settings: self.settings,
            model: format!("{} with MSE", describe(net)),
            report: REPORT,
            command: command("ae-vs-pca", &self.flag, self.args),
        }
    }
}

/// PCA's encoder followed by the learned decoder, as one model of pixels to pixels.
pub type PcaPipeline<const K: usize> = Sequential<(Linear<256, K>, Linear<K, 256>, Sigmoid)>;

/// The model file of "PCA encoder + learned decoder" as one network of
/// pixels: PCA's encoder as its first layer (`weight = V`, `bias = -V mean`,
/// so `z = V (x - mean)`), then the decoder trained on PCA codes, so the
/// file holds the PCA components and runs on images alone.
///
/// # Errors
/// [`crate::error::Error::Core`] (a size bug) or a decoder file that does not parse.
fn pca_pipeline<const K: usize>(pca: &Pca, decoder: &ae::Trained, seed: u64, centred: bool) -> Result<Vec<u8>> {
    let st = SafeTensors::parse(&decoder.model)
        .map_err(flambeau::Error::from)
        .context(|| "reading the learned decoder".to_owned())?;
    let tensor = |name: &str| -> Vec<f32> { st.get(name).map(|v| v.values::<f32>().collect()).unwrap_or_default() };
    let d = pca.d;
    let bias: Vec<f32> = pca
        .components
        .chunks_exact(d.max(1))
        .map(|v| -v.iter().zip(&pca.mean).map(|(a, b)| a * b).sum::<f32>())
        .collect();
    let values = [pca.components.clone(), bias, tensor("0.weight"), tensor("0.bias")];
    let model = PcaPipeline::<K>::default();
    type Ifp<const K: usize> = InferenceFootprint<PcaPipeline<K>, 1>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; Ifp::<K>::NODES], vec![0.0f32; Ifp::<K>::ARENA]);
    let mut net = Network::<f32, PcaPipeline<K>, 1>::new(&model, &mut tape, &mut arena)
        .context(|| "recording the PCA pipeline".to_owned())?;
    let ranges: Vec<Range<usize>> = net.graph().param_tensors().map(|(n, _, _)| n.range()).collect();
    let params = net.graph_mut().params_mut();
    for (range, v) in ranges.into_iter().zip(&values) {
        let dst = params.get_mut(range).unwrap_or_default();
        if dst.len() != v.len() {
            return Err(setting(
                "PCA pipeline",
                format!("{} values for a tensor of {}", v.len(), dst.len()),
            ));
        }
        dst.copy_from_slice(v);
    }
    let io = (meta::Input::Usps { centred }, meta::Output::Reconstruction);
    let pairs = meta::of_run(&describe(&model), &decoder.result, seed, io);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut out = vec![0u8; net.graph().safetensors_len_with(&pairs, &[])];
    net.graph()
        .save_safetensors_with(&mut out, &pairs, &[])
        .context(|| "saving the PCA pipeline".to_owned())?;
    Ok(out)
}

/// Writes PCA's decoder into the second layer (`weight[o][i] = V[i][o]`,
/// `bias = mean`) and returns its parameters' range, to keep fixed.
fn set_pca_decoder(pca: &Pca, params: &mut [f32], ranges: &[Range<usize>]) -> Result<Option<Range<usize>>> {
    let [_, _, w, b] = ranges else {
        return Err(setting(
            "PCA decoder",
            format!("expected 4 parameter tensors, found {}", ranges.len()),
        ));
    };
    let (k, d) = (pca.k(), pca.d);
    let weight = params.get_mut(w.clone()).unwrap_or_default();
    for (o, row) in weight.chunks_exact_mut(k.max(1)).enumerate() {
        for (i, v) in row.iter_mut().enumerate() {
            *v = pca.components.get(i * d + o).copied().unwrap_or(0.0);
        }
    }
    let bias = params.get_mut(b.clone()).unwrap_or_default();
    bias.iter_mut().zip(&pca.mean).for_each(|(v, &m)| *v = m);
    Ok(Some(w.start..b.end))
}
