//! Exports what the firmware demos embed in flash, derived from USPS (never
//! committed: the firmware build reads this folder from `FLAMBEAU_FW_DATA`).
//!
//! ```text
//! cargo run --release -p flambeau-harness --example export_firmware -- --data ../shared/data --out embedded/target/fw-data
//! ```
//!
//! It trains the USPS MLP 256-128-64-10 on the host with the core (seeded
//! Adam) and writes into `--out`:
//!
//! - `usps_mlp.safetensors`: the trained f32 weights;
//! - `test_images.u8`, `test_labels.u8`: the USPS test set, 256 bytes an image;
//! - `test_predictions.u8`: the host's predictions for those images, computed
//!   by `Network` reading the same safetensors bytes, with the firmware's code;
//! - `train_images.u8`, `train_labels.u8`: the training subset the Cortex-M4F
//!   trains on;
//! - `manifest.txt`: counts, host accuracies and the weight hashes the
//!   firmware must reproduce (checkerboard, and USPS trained on the chip).

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use flambeau::{Adam, AdamConfig, Network, Node, Sgd};
use flambeau_demos::usps::{self, Classifier, Images, InferFp, Mlp, PIXELS, TrainFp};
use flambeau_demos::{NoBench, bits_hash, checkerboard as cb, per_mille};
use flambeau_harness::data::{Dataset, load_usps, usps_dir};

/// Host training of the exported model: batch size, epochs, Adam's rate, seed.
const HOST_BATCH: usize = 32;
const HOST_EPOCHS: usize = 6;
const HOST_LR: f64 = 1e-3;
const HOST_SEED: u64 = 17;

type Res<T> = Result<T, Box<dyn Error>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("export_firmware: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let (data, out) = parse_args()?;
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let (train, test) = load_usps(&usps_dir(&data))?;
    let (train_px, test_px) = (to_bytes(&train)?, to_bytes(&test)?);
    let train_set = Images::new(&train_px, &train.labels)?;
    let test_set = Images::new(&test_px, &test.labels)?;
    let mut manifest = String::new();

    let weights = train_host_model(&train_set)?;
    let predictions = host_predictions(&weights, &test_set)?;
    let correct = predictions.iter().zip(&test.labels).filter(|(p, l)| p == l).count();
    let acc = per_mille(correct, test.n);
    println!(
        "host USPS MLP: test accuracy {correct}/{} = {}.{}%",
        test.n,
        acc / 10,
        acc % 10
    );
    if acc < usps::ACCURACY_BAR_PER_MILLE {
        let bar = usps::ACCURACY_BAR_PER_MILLE;
        return Err(format!("test accuracy {acc} per-mille is below the bar of {bar}").into());
    }
    manifest += &format!("usps_test_images={}\nusps_host_correct={correct}\n", test.n);

    let chip = usps::CHIP_TRAIN;
    let subset = chip.images.min(train.n);
    let chip_train = Images::new(&train_px[..subset * PIXELS], &train.labels[..subset])?;
    let chip_eval = Images::new(&test_px[..chip.eval_images * PIXELS], &test.labels[..chip.eval_images])?;
    let (hash, chip_correct) = chip_training_reference(&chip_train, &chip_eval)?;
    println!(
        "USPS trained as on the chip: {subset} images, hash {hash:#018x}, eval {chip_correct}/{}",
        chip.eval_images
    );
    manifest += &format!(
        "usps_train_images={subset}\nusps_train_eval_images={}\nusps_train_hash={hash:#018x}\nusps_train_correct={chip_correct}\n",
        chip.eval_images
    );

    let board = checkerboard_reference()?;
    println!(
        "checkerboard: hash {:#018x}, held-out {}/{}",
        board.hash, board.correct, board.total
    );
    manifest += &format!(
        "checkerboard_hash={:#018x}\ncheckerboard_correct={}\n",
        board.hash, board.correct
    );

    let files: [(&str, &[u8]); 7] = [
        ("usps_mlp.safetensors", &weights),
        ("test_images.u8", &test_px),
        ("test_labels.u8", &test.labels),
        ("test_predictions.u8", &predictions),
        ("train_images.u8", &train_px[..subset * PIXELS]),
        ("train_labels.u8", &train.labels[..subset]),
        ("manifest.txt", manifest.as_bytes()),
    ];
    for (name, bytes) in files {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("wrote {}", out.display());
    Ok(())
}

fn parse_args() -> Res<(PathBuf, PathBuf)> {
    let (mut data, mut out) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            other => return Err(format!("unknown argument {other:?}; usage: --data DIR --out DIR").into()),
        }
    }
    match (data, out) {
        (Some(d), Some(o)) => Ok((d, o)),
        _ => Err("usage: export_firmware --data DIR --out DIR".into()),
    }
}

/// The data set's pixels back as the bytes they were read from (`features` holds `byte / 255`).
fn to_bytes(set: &Dataset) -> Res<Vec<u8>> {
    if set.dim() != PIXELS {
        return Err(format!("USPS images have {} pixels, expected {PIXELS}", set.dim()).into());
    }
    Ok(set
        .features
        .iter()
        .map(|&f| (f * usps::PIXEL_MAX).round().clamp(0.0, 255.0) as u8)
        .collect())
}

/// Trains the exported MLP with Adam on every training image; returns its safetensors bytes.
fn train_host_model(train: &Images<'_>) -> Res<Vec<u8>> {
    let mut tape = vec![Node::EMPTY; TrainFp::<HOST_BATCH>::NODES];
    let mut arena = vec![0.0f32; TrainFp::<HOST_BATCH>::ARENA];
    let mut state = vec![0.0f32; TrainFp::<HOST_BATCH>::optimizer_state(2)];
    let adam = Adam::new(
        AdamConfig {
            lr: HOST_LR,
            ..AdamConfig::default()
        },
        &mut state,
    );
    let mut clf = Classifier::<Mlp, _, HOST_BATCH>::new(usps::mlp(), adam, HOST_SEED, &mut tape, &mut arena)?;
    for epoch in 1..=HOST_EPOCHS {
        let t = Instant::now();
        let stats = clf.epoch(train, &mut NoBench)?;
        println!(
            "host epoch {epoch}: mean loss {:.4} ({:.1} s)",
            stats.mean_loss,
            t.elapsed().as_secs_f32()
        );
    }
    let graph = clf.trainer().graph();
    let mut bytes = vec![0u8; graph.safetensors_len()];
    graph.save_safetensors(&mut bytes)?;
    Ok(bytes)
}

/// The host's predictions, by the firmware's code path: `Network` reading the safetensors bytes in place.
fn host_predictions(weights: &[u8], test: &Images<'_>) -> Res<Vec<u8>> {
    let mut tape = [Node::EMPTY; InferFp::NODES];
    let mut arena = vec![0.0f32; InferFp::FLASH_ARENA];
    let mut net = Network::<f32, Mlp, 1>::from_safetensors(&usps::mlp(), &mut tape, &mut arena, weights)?;
    let mut predictions = vec![0u8; test.len()];
    usps::classify_all(&mut net, test, &mut NoBench, |i, class| predictions[i] = class)?;
    Ok(predictions)
}

/// The USPS training the Cortex-M4F runs, on the host: the hash of its weights and its evaluation.
fn chip_training_reference(train: &Images<'_>, eval: &Images<'_>) -> Res<(u64, usize)> {
    const B: usize = usps::CHIP_BATCH;
    let chip = usps::CHIP_TRAIN;
    let mut tape = vec![Node::EMPTY; TrainFp::<B>::NODES];
    let mut arena = vec![0.0f32; TrainFp::<B>::ARENA];
    let sgd = Sgd::new(chip.lr);
    let mut clf = Classifier::<Mlp, _, B>::new(usps::mlp(), sgd, chip.seed, &mut tape, &mut arena)?;
    for _ in 0..chip.epochs {
        clf.epoch(train, &mut NoBench)?;
    }
    let correct = clf.evaluate(eval, &mut NoBench)?;
    Ok((bits_hash(clf.trainer().graph().params()), correct))
}

/// The checkerboard demo with its default configuration, on the host.
fn checkerboard_reference() -> Res<cb::Outcome> {
    let mut tape = [Node::EMPTY; cb::NODES];
    let mut arena = vec![0.0f32; cb::ARENA];
    let mut state = vec![0.0f32; cb::STATE];
    let mut demo = cb::Checkerboard::<{ cb::HIDDEN }>::new(cb::Config::default(), &mut tape, &mut arena, &mut state)?;
    Ok(demo.run(&mut NoBench)?)
}
