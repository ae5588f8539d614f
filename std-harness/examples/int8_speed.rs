//! Host inference speed at batch 1, f32 against int8, on the USPS test images
//! (wall time, best of five passes over the 2007 images).
//!
//! ```text
//! cargo run --release -p flambeau-harness -- --data ../shared/data quantize --model M.safetensors --out Q.safetensors
//! cargo run --release -p flambeau-harness --example int8_speed -- --data ../shared/data --model M.safetensors --int8 Q.safetensors
//! ```

use std::error::Error;
use std::path::PathBuf;

use flambeau::{Linear, Network, Node, QFootprint, QNetwork, Sequential, Tanh};
use flambeau_harness::console::Console;
use flambeau_harness::experiments::Ctx;
use flambeau_harness::quantize::{self, Mlp, QMlp};

/// Best time of five passes of `f`, in µs per image.
fn best(images: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut checksum = 0;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        checksum = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best * 1e6 / images as f64, checksum)
}

fn main() -> Result<(), Box<dyn Error>> {
    let (mut data, mut model, mut int8) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--model" => model = args.next().map(PathBuf::from),
            "--int8" => int8 = args.next().map(PathBuf::from),
            other => {
                return Err(format!("unknown argument {other:?}; usage: --data DIR --model F32 --int8 INT8").into());
            }
        }
    }
    let (Some(data), Some(model), Some(int8)) = (data, model, int8) else {
        return Err("usage: int8_speed --data DIR --model F32 --int8 INT8".into());
    };
    let ctx = Ctx {
        data,
        console: Console::new(true),
        max_epochs: None,
        out_root: PathBuf::from("."),
    };
    let (_, test_x, _) = quantize::pixels(&ctx, true)?;
    let (f32_bytes, int8_bytes) = (std::fs::read(model)?, std::fs::read(int8)?);
    let n = test_x.len() / 256;

    type Fp = flambeau::InferenceFootprint<Mlp, 1>;
    let mut tape = vec![Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::FLASH_ARENA];
    let mlp = Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()));
    let mut net = Network::<f32, Mlp, 1>::from_safetensors(&mlp, &mut tape, &mut arena, &f32_bytes)?;
    let mut class = [0usize];
    let (f32_us, a) = best(n, || {
        test_x
            .chunks_exact(256)
            .map(|x| net.classify(x, &mut class).map(|()| class[0]).unwrap_or(99))
            .sum()
    });

    let (mut act, mut wide) = ([0i8; QFootprint::<QMlp>::ACT], [0i16; QFootprint::<QMlp>::WIDE]);
    let mut qnet = QNetwork::<QMlp>::from_safetensors(&int8_bytes, &mut act, &mut wide)?;
    let p = qnet.input_params();
    let codes: Vec<i8> = test_x.iter().map(|&v| p.quantize(v)).collect();
    let (int8_us, b) = best(n, || {
        codes.chunks_exact(256).map(|x| qnet.classify(x).unwrap_or(99)).sum()
    });
    println!(
        "USPS MLP inference, batch 1, {n} images: f32 {f32_us:.2} µs, int8 {int8_us:.2} µs per image ({:.2}× f32); class sums {a} / {b}",
        f32_us / int8_us
    );
    Ok(())
}
