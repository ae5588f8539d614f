//! `flambeau quantize`: post-training int8 quantisation of a trained model.
//!
//! Reads an f32 safetensors model (the USPS MLP, or one of the `conv1d`
//! experiment's 1-D CNNs), calibrates the range of every activation
//! on the USPS training images (`minmax` or `percentile`), quantises it as
//! the core's int8 layers expect (per-channel symmetric int8 weights, int32
//! bias, fixed-point requantisation, tables for Tanh and Sigmoid; the file
//! layout is documented on `flambeau::QChainLoad`), writes the int8 file and
//! prints the test accuracy of both models. The int8 accuracy is measured by
//! the core's `QNetwork` reading the written file, the code the firmware runs.

pub mod arch;
pub mod calibrate;
pub mod cnn;
mod write;

use std::path::PathBuf;

use clap::Args;
use flambeau::{Linear, Network, Node, QLinear, QLut, QNetwork, Sequential, Strictness, Tanh};

use crate::data::{load_usps, split_train_valid, usps_dir};
use crate::error::{CoreContext, Result, setting};
use crate::experiments::{Ctx, SPLIT_SEED, VALID_FRAC};
use crate::metrics::argmax_rows;
use crate::model::meta::key;
use crate::model::{ModelFile, model_error, zoo};
use crate::output::{check_file_target, write_atomic};
use arch::{F32Model, USPS_MLP};
pub use calibrate::Calibration;
pub use cnn::Cnn;
pub use write::int8_file;

/// The USPS MLP in f32, as the experiments train it.
pub type Mlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
/// The USPS MLP in int8, as the int8 file stores it.
pub type QMlp<'a> = (
    QLinear<'a, 256, 128>,
    QLut<'a, 128>,
    QLinear<'a, 128, 64>,
    QLut<'a, 64>,
    QLinear<'a, 64, 10>,
);

/// The flags of `flambeau quantize`.
#[derive(Debug, Clone, Args)]
pub struct QuantizeArgs {
    /// The trained f32 model (safetensors).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Where to write the int8 model.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// How activation ranges are chosen on the training images.
    #[arg(long, value_enum, default_value = "minmax")]
    pub calibration: Calibration,
    /// The upper percentile of `--calibration percentile` (the lower is 100 minus it).
    #[arg(long, default_value_t = 99.99)]
    pub percentile: f64,
    /// The architecture [default: the file's `architecture` metadata, else the USPS MLP].
    #[arg(long)]
    pub arch: Option<String>,
    /// Pixels in [0, 1] instead of [-1, 1] (the `report` recipe's; `best` centres them)
    /// [default: the file's `input_scale` and `input_offset` metadata, as `predict` applies them,
    /// else its `preprocessing`, else centred].
    #[arg(long)]
    pub unit_pixels: bool,
}

/// What a run measured.
#[derive(Debug, Clone, Copy)]
pub struct Quantized {
    /// Test accuracy of the f32 model, in %.
    pub f32_accuracy: f64,
    /// Test accuracy of the int8 model, in %.
    pub int8_accuracy: f64,
    /// Test images on which both predict the same class.
    pub agree: usize,
    /// Test images.
    pub images: usize,
    /// Bytes of the int8 file.
    pub file_bytes: usize,
}

/// Runs `quantize`.
///
/// Every check comes before anything is written: the flags, `--out`, then
/// the model file through the loader `predict` and `evaluate` use (size cap,
/// regular file, strict names, shapes and dtypes, finite weights, valid
/// input scaling), then the data. The int8 file is written last, once both
/// models have been evaluated.
///
/// # Errors
/// Unreadable or malformed files, an unsupported architecture, data errors.
pub fn run(ctx: &Ctx, args: &QuantizeArgs) -> Result<Quantized> {
    if !(50.0..=100.0).contains(&args.percentile) {
        return Err(setting(
            "--percentile",
            format!("{} is not in 50..=100", args.percentile),
        ));
    }
    check_file_target(&args.out, &[&args.model])?;
    let file = ModelFile::open(&args.model)?;
    let (arch, from_file) = match (&args.arch, file.meta.get(key::ARCHITECTURE)) {
        (Some(given), _) => (given.clone(), false),
        (None, Some(named)) => (named.clone(), true),
        (None, None) => (USPS_MLP.to_owned(), false),
    };
    // An architecture error names where the architecture came from: the flag or the file.
    let arch_error = |problem: String| {
        if from_file {
            model_error(
                &file.path,
                format!("metadata architecture '{}': {problem}", arch.escape_debug()),
            )
        } else {
            setting("--arch", format!("'{}': {problem}", arch.escape_debug()))
        }
    };
    let cnn = Cnn::of(&arch);
    if cnn.is_none() && arch.replace(' ', "") != USPS_MLP.replace(' ', "") {
        return Err(arch_error(format!(
            "int8 evaluation supports the USPS MLP ({USPS_MLP}) and the conv1d experiment's networks"
        )));
    }
    let specs = arch::parse(&arch).map_err(|e| match e {
        crate::error::Error::Setting { problem, .. } => arch_error(problem),
        other => other,
    })?;
    if let Some(input) = file.meta.get(key::INPUT).filter(|i| *i != "usps") {
        return Err(model_error(
            &file.path,
            format!(
                "metadata input '{}': quantize calibrates and evaluates USPS models (input usps)",
                input.escape_debug()
            ),
        ));
    }
    // The pixel map the model was trained with, checked as `predict` checks it.
    let stated = file.pixel_map()?;
    let stated =
        (file.meta.contains_key(key::INPUT_SCALE) || file.meta.contains_key(key::INPUT_OFFSET)).then_some(stated);
    let map = match stated {
        _ if args.unit_pixels => UNIT_PIXELS,
        Some(map) => map,
        None if file.meta.get("preprocessing").is_some_and(|p| p.contains("[0, 1]")) => UNIT_PIXELS,
        None => CENTRED_PIXELS,
    };
    // Strict: every tensor by name, shape, dtype and value, as `predict` loads it.
    let f32_net = zoo::load(file.clone(), Some(&arch), Strictness::Strict)?;
    let model = F32Model::read(&file.tensors()?, specs).map_err(|e| model_error(&file.path, e.to_string()))?;

    // The two maps the experiments train with take the training pipeline's
    // own form (`v / 255`, then `2v - 1`), so that calibration sees the bits
    // training saw; any other map is applied to the pixel bytes as `predict` does.
    let (train, test_x, labels) = if map == UNIT_PIXELS {
        pixels(ctx, false)?
    } else if map == CENTRED_PIXELS {
        pixels(ctx, true)?
    } else {
        pixels_mapped(ctx, map)?
    };
    let ranges = calibrate::ranges(&model, &train, args.calibration, args.percentile);
    let how = match args.calibration {
        Calibration::Minmax => format!("minmax over {} training images", train.len() / 256),
        Calibration::Percentile => format!(
            "percentile {} over {} training images",
            args.percentile,
            train.len() / 256
        ),
    };
    let int8 = int8_file(&model, &ranges, &arch, &how).map_err(|e| model_error(&file.path, e.to_string()))?;

    let outputs = f32_net.predict(&test_x)?;
    let f32_pred = argmax_rows(&outputs, f32_net.output_len().max(1));
    let int8_pred = match cnn {
        Some(c) => c.int8_classes(&int8, &test_x)?.classes,
        None => int8_predictions(&int8, &test_x)?.0,
    };
    let accuracy = |pred: &[usize]| {
        let right = pred
            .iter()
            .zip(&labels)
            .filter(|(p, l)| **p == usize::from(**l))
            .count();
        100.0 * right as f64 / pred.len().max(1) as f64
    };
    let q = Quantized {
        f32_accuracy: accuracy(&f32_pred),
        int8_accuracy: accuracy(&int8_pred),
        agree: f32_pred.iter().zip(&int8_pred).filter(|(a, b)| a == b).count(),
        images: test_x.len() / 256,
        file_bytes: int8.len(),
    };
    write_atomic(&args.out, &int8)?;
    ctx.console.say(&format!("{arch}, calibration: {how}"));
    ctx.console.say(&format!(
        "f32 model:  test accuracy {:.2} % ({} images)",
        q.f32_accuracy, q.images
    ));
    ctx.console.say(&format!(
        "int8 model: test accuracy {:.2} % ({:+.2} points), same class as f32 on {} of {}",
        q.int8_accuracy,
        q.int8_accuracy - q.f32_accuracy,
        q.agree,
        q.images
    ));
    ctx.console
        .say(&format!("wrote {} ({} bytes)", args.out.display(), q.file_bytes));
    Ok(q)
}

/// `(scale, offset)` of a pixel byte for pixels in `[0, 1]`.
const UNIT_PIXELS: (f32, f32) = (1.0 / 255.0, 0.0);
/// `(scale, offset)` of a pixel byte for pixels in `[-1, 1]`.
const CENTRED_PIXELS: (f32, f32) = (2.0 / 255.0, -1.0);

/// The USPS training images (the training file less validation), the test
/// images, as f32 pixels in `[-1, 1]` when `centred` (else `[0, 1]`), and the test labels.
///
/// # Errors
/// The loader's errors.
pub fn pixels(ctx: &Ctx, centred: bool) -> Result<(Vec<f32>, Vec<f32>, Vec<u8>)> {
    let (all, test) = load_usps(&usps_dir(&ctx.data))?;
    let (train_idx, _) = split_train_valid(all.n, VALID_FRAC, SPLIT_SEED)?;
    let map = |mut x: Vec<f32>| {
        if centred {
            x.iter_mut().for_each(|v| *v = 2.0 * *v - 1.0);
        }
        x
    };
    Ok((map(all.gather(&train_idx)?.features), map(test.features), test.labels))
}

/// As [`pixels`], each pixel byte `p` entering as `p * scale + offset`
/// (`map`, as a model file's `input_scale` and `input_offset` state it and
/// `predict` and `evaluate` apply it).
///
/// # Errors
/// The loader's errors.
pub fn pixels_mapped(ctx: &Ctx, (scale, offset): (f32, f32)) -> Result<(Vec<f32>, Vec<f32>, Vec<u8>)> {
    let (train, test, labels) = pixels(ctx, false)?;
    let map = |mut x: Vec<f32>| {
        x.iter_mut().for_each(|v| *v = *v * 255.0 * scale + offset);
        x
    };
    Ok((map(train), map(test), labels))
}

/// The classes the f32 USPS MLP in `bytes` predicts for `images`.
///
/// # Errors
/// The core's errors reading the model.
pub fn f32_predictions(bytes: &[u8], images: &[f32]) -> Result<Vec<usize>> {
    type Fp = flambeau::InferenceFootprint<Mlp, 1>;
    let mut tape = vec![Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::FLASH_ARENA];
    let model = Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()));
    let mut net = Network::<f32, Mlp, 1>::from_safetensors(&model, &mut tape, &mut arena, bytes)
        .context(|| "reading the f32 model".to_owned())?;
    let mut class = [0usize];
    images
        .chunks_exact(256)
        .map(|x| net.classify(x, &mut class).map(|()| class[0]))
        .collect::<std::result::Result<_, _>>()
        .context(|| "f32 inference".to_owned())
}

/// The classes the int8 USPS MLP in `bytes` predicts for `images` (f32
/// pixels, quantised by the file's input params), and the int8 images.
///
/// # Errors
/// The core's errors reading the int8 file.
pub fn int8_predictions(bytes: &[u8], images: &[f32]) -> Result<(Vec<usize>, Vec<i8>)> {
    type Fp<'a> = flambeau::QFootprint<QMlp<'a>>;
    let (mut act, mut wide) = ([0i8; Fp::ACT], [0i16; Fp::WIDE]);
    let mut net = QNetwork::<QMlp>::from_safetensors(bytes, &mut act, &mut wide)
        .context(|| "reading the int8 model".to_owned())?;
    let p = net.input_params();
    let codes: Vec<i8> = images.iter().map(|&v| p.quantize(v)).collect();
    let pred = codes
        .chunks_exact(256)
        .map(|x| net.classify(x))
        .collect::<std::result::Result<_, _>>()
        .context(|| "int8 inference".to_owned())?;
    Ok((pred, codes))
}
