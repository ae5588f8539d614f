//! Exports what the int8 1-D CNN firmware demo (`cnn_int8`) embeds in
//! flash: the `conv1d` experiment's small network
//! (`Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)`)
//! trained on the host, quantised to int8 by `flambeau quantize` (minmax
//! calibration on the training images), the test images as int8 codes, and
//! the host's int8 output codes and class for each.
//!
//! ```text
//! cargo run --release -p flambeau-harness --example export_cnn_int8 -- --data ../shared/data --fw-data embedded/target/fw-data
//! ```
//!
//! Writes into `FW/cnn/`: `f32/` (the training run's folder, with
//! `model.safetensors`), `usps_cnn_int8.safetensors`, `test_images.i8`
//! (2007 images, 256 codes each), `test_labels.u8`, `test_predictions.u8`
//! and `test_outputs.i8` (the 10 output codes of each image), all by the
//! core's `QNetwork` reading the written file, the code the firmware runs.

use std::error::Error;
use std::path::PathBuf;

use flambeau_harness::console::Console;
use flambeau_harness::experiments::conv1d::{self, Arch};
use flambeau_harness::experiments::{Ctx, Recipe, RunArgs};
use flambeau_harness::quantize::{self, Calibration, Cnn, QuantizeArgs};

/// The training run: the `best` recipe (Adam, pixels in `[0, 1]`), this many epochs, this seed.
const EPOCHS: usize = 3;
const SEED: u64 = 1;

type Res<T> = Result<T, Box<dyn Error>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("export_cnn_int8: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let (data, fw) = parse_args()?;
    let out = fw.join("cnn");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let ctx = Ctx {
        data,
        console: Console::new(true),
        max_epochs: None,
        out_root: out.clone(),
    };
    let train = RunArgs {
        epochs: Some(EPOCHS),
        seed: SEED,
        out: Some(out.join("f32")),
        ..RunArgs::of(Recipe::Best)
    };
    conv1d::run(&ctx, &train, Some(Arch::Small))?;
    let model = out.join("usps_cnn_int8.safetensors");
    let args = QuantizeArgs {
        model: out.join("f32/model.safetensors"),
        out: model.clone(),
        calibration: Calibration::Minmax,
        percentile: 99.99,
        arch: None,
        unit_pixels: false,
    };
    let q = quantize::run(&ctx, &args)?;
    let bytes = std::fs::read(&model)?;
    let (_, test_x, labels) = quantize::pixels(&ctx, false)?;
    let run = Cnn::Small.int8_classes(&bytes, &test_x)?;
    let pred: Vec<u8> = run.classes.iter().map(|&c| c as u8).collect();
    let codes: Vec<u8> = run.codes.iter().map(|&c| c as u8).collect();
    let outputs: Vec<u8> = run.outputs.iter().map(|&c| c as u8).collect();
    let correct = pred.iter().zip(&labels).filter(|(p, l)| p == l).count();
    println!(
        "host int8 USPS 1-D CNN: {correct}/{} correct; f32 {:.2} %, int8 {:.2} %",
        labels.len(),
        q.f32_accuracy,
        q.int8_accuracy
    );
    let files: [(&str, &[u8]); 4] = [
        ("test_images.i8", &codes),
        ("test_labels.u8", &labels),
        ("test_predictions.u8", &pred),
        ("test_outputs.i8", &outputs),
    ];
    for (name, bytes) in files {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("wrote {}", out.display());
    Ok(())
}

fn parse_args() -> Res<(PathBuf, PathBuf)> {
    let (mut data, mut fw) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--fw-data" => fw = args.next().map(PathBuf::from),
            other => {
                return Err(format!("unknown argument {other:?}; usage: --data DIR --fw-data DIR").into());
            }
        }
    }
    match (data, fw) {
        (Some(d), Some(f)) => Ok((d, f)),
        _ => Err("usage: export_cnn_int8 --data DIR --fw-data DIR".into()),
    }
}
