//! Exports what the int8 firmware demo embeds in flash: the int8 USPS MLP
//! quantised from the f32 model `export_firmware` wrote, and the test images
//! as int8 codes with the host's int8 predictions.
//!
//! ```text
//! cargo run --release -p flambeau-harness --example export_int8 -- --data ../shared/data --fw-data embedded/target/fw-data
//! ```
//!
//! Reads `FW/usps_mlp.safetensors` (pixels in `[0, 1]`) and writes into `FW/int8/`:
//! `usps_mlp_int8.safetensors`; `test_images.i8` (2007 images, 256 codes
//! each), `test_labels.u8`, `test_predictions.u8` (the host's int8 classes,
//! by the core's `QNetwork` reading the same file). The firmware's build
//! embeds as many of the images as the board's flash holds
//! (`FLAMBEAU_FW_INT8_IMAGES`).

use std::error::Error;
use std::path::PathBuf;

use flambeau_harness::console::Console;
use flambeau_harness::experiments::Ctx;
use flambeau_harness::quantize::{self, Calibration, QuantizeArgs};

type Res<T> = Result<T, Box<dyn Error>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("export_int8: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let (data, fw) = parse_args()?;
    let out = fw.join("int8");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let ctx = Ctx {
        data,
        console: Console::new(true),
        max_epochs: None,
        out_root: out.clone(),
    };
    let model = out.join("usps_mlp_int8.safetensors");
    let args = QuantizeArgs {
        model: fw.join("usps_mlp.safetensors"),
        out: model.clone(),
        calibration: Calibration::Minmax,
        percentile: 99.99,
        arch: None,
        unit_pixels: true,
    };
    let q = quantize::run(&ctx, &args)?;
    let bytes = std::fs::read(&model)?;
    let (_, test_x, labels) = quantize::pixels(&ctx, false)?;
    let (pred, codes) = quantize::int8_predictions(&bytes, &test_x)?;
    let pred: Vec<u8> = pred.iter().map(|&c| c as u8).collect();
    let codes: Vec<u8> = codes.iter().map(|&c| c as u8).collect();
    let correct = |n: usize| pred[..n].iter().zip(&labels[..n]).filter(|(p, l)| p == l).count();
    println!(
        "host int8 USPS MLP: {}/{} correct; f32 {:.2} %, int8 {:.2} %",
        correct(labels.len()),
        labels.len(),
        q.f32_accuracy,
        q.int8_accuracy
    );
    let files: [(&str, &[u8]); 3] = [
        ("test_images.i8", &codes),
        ("test_labels.u8", &labels),
        ("test_predictions.u8", &pred),
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
        _ => Err("usage: export_int8 --data DIR --fw-data DIR".into()),
    }
}
