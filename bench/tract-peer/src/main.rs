//! tract's side of flambeau's speed comparison: MLP inference from the ONNX
//! file that `bench/py_cell.py export` writes, with the sampling rules of
//! every cell (bench/README.md), printed as one JSON object.
//!
//! `flambeau-tract-peer MODEL.onnx INPUTS.f32 BATCH [--min-time S]`
//!
//! INPUTS.f32 holds the first 1792 USPS test images, 256 little-endian f32
//! each. A sample is 1024 images at batch 1, else 7 batches.

use std::time::Instant;
use tract_onnx::prelude::*;

fn schedstat() -> (u64, u64) {
    let (mut run, mut wait) = (0, 0);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for t in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) {
                let mut f = s.split_whitespace().map(|v| v.parse::<u64>().unwrap_or(0));
                run += f.next().unwrap_or(0);
                wait += f.next().unwrap_or(0);
            }
        }
    }
    (run, wait)
}

fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        fail("usage: flambeau-tract-peer MODEL.onnx INPUTS.f32 BATCH [--min-time S]".into());
    }
    let batch: usize = args[2]
        .parse()
        .ok()
        .filter(|&b| b > 0)
        .unwrap_or_else(|| fail(format!("BATCH '{}' is not a positive whole number", args[2])));
    let min_time: f64 = match args.iter().position(|a| a == "--min-time") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .unwrap_or_else(|| fail("--min-time takes a number of seconds".into())),
        None => 1.0,
    };
    let raw = std::fs::read(&args[1]).unwrap_or_else(|e| fail(format!("cannot read {}: {e}", args[1])));
    if raw.len() != 1792 * 256 * 4 {
        fail(format!("{}: {} bytes, expected 1792 images of 256 f32", args[1], raw.len()));
    }
    let x: Vec<f32> = raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let count = if batch == 1 { 1024 } else { 7 * batch };
    if count > 1792 {
        fail(format!("batch {batch}: at most 256"));
    }
    let model = tract_onnx::onnx()
        .model_for_path(&args[0])
        .and_then(|m| m.with_input_fact(0, f32::fact([batch, 256]).into()))
        .and_then(|m| m.into_optimized())
        .and_then(|m| m.into_runnable())
        .unwrap_or_else(|e| fail(format!("cannot load {}: {e}", args[0])));
    let inputs: Vec<TValue> = x[..count * 256]
        .chunks(batch * 256)
        .map(|c| {
            tract_ndarray::Array2::from_shape_vec((batch, 256), c.to_vec())
                .map(|a| Tensor::from(a).into())
                .unwrap_or_else(|e| fail(format!("input: {e}")))
        })
        .collect();
    let rss_base = status_kb("VmRSS");
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let mut sink = 0.0f32;
    let mut pass = || {
        for input in &inputs {
            let out = model.run(tvec!(input.clone())).unwrap_or_else(|e| fail(format!("run: {e}")));
            sink += out[0].as_slice::<f32>().map(|s| s[0]).unwrap_or(0.0);
        }
    };
    pass(); // warm-up
    let mut samples = Vec::new();
    let mut total = 0.0;
    let (c0, _) = schedstat();
    let start = Instant::now();
    while (total < min_time || samples.len() < 5) && samples.len() < 5000 {
        let (_, q0) = schedstat();
        let t0 = Instant::now();
        pass();
        let dt = t0.elapsed().as_secs_f64();
        let (_, q1) = schedstat();
        samples.push(format!("[{dt:e}, {:e}]", q1.saturating_sub(q0) as f64 / 1e9));
        total += dt;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = schedstat().0.saturating_sub(c0) as f64 / 1e9;
    std::hint::black_box(sink);
    let kb = |v: Option<u64>| v.map_or("null".to_string(), |v| v.to_string());
    let peak = if peak_reset { status_kb("VmHWM") } else { None };
    println!(
        "{{\"system\": \"tract\", \"workload\": \"mlp-infer-b{batch}\", \"threads\": 1, \"work\": {count}, \
         \"samples\": [{}], \"cpu_s\": {cpu}, \"wall_s\": {wall}, \"rss_base_kb\": {}, \"rss_peak_kb\": {}, \
         \"env\": {{\"tract_onnx\": \"0.21\"}}}}",
        samples.join(", "),
        kb(rss_base),
        kb(peak)
    );
}
