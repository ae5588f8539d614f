//! flambeau's side of the speed comparison (`bench/compare.sh`): times one
//! workload with the sampling rules every system of the comparison follows
//! and prints one JSON object (the format of `bench/py_cell.py`).
//!
//! ```text
//! cargo bench -p flambeau-harness --bench speed -- WORKLOAD [--min-time S] [--data DIR]
//! cargo bench -p flambeau-harness --bench speed -- list
//! ```
//!
//! Rules (bench/README.md): USPS, pixels / 255; PyTorch's default
//! initialisation scheme, plain SGD lr 0.05; a training sample is a fresh
//! shuffle then batches covering 2048 images (one step at batch 7291),
//! gathered from the data set into the model's input; an inference sample is
//! 1024 test images at batch 1 or 7 batches of 256; a dense sample is ten
//! forwards (or ten backwards) of one 256×256 layer at batch 256. One warm-up
//! sample, then samples until at least `--min-time` seconds (default 1) and
//! 5 samples. Each sample records its wall time and the time the process's
//! threads spent waiting for a CPU (`/proc/self/task/*/schedstat`), which the
//! driver uses to reject samples taken while the machine was busy.
//! Single-threaded but for the `-t2` workloads (two replicas on two threads,
//! `flambeau_harness::parallel`; `ceiling-fwd-t2`: the machine's own
//! two-thread speed-up, `speed/ceiling.rs`).

#[path = "speed/ceiling.rs"]
mod ceiling;

use flambeau::{
    Conv1d, Conv2d, CrossEntropyLoss, Flatten, Footprint, Graph, InferenceFootprint, Layout, Linear, Loss, MaxPool1d,
    MaxPool2d, Model, Network, Node, Rank1, Rank2, ReLU, Rng, Sequential, Sgd, Shape, Tanh, Trainer,
};
use flambeau_harness::data::{load_usps, usps_dir};
use flambeau_harness::experiments::conv2d::LeNet;
use flambeau_harness::parallel;
use std::path::PathBuf;
use std::time::Instant;

type Mlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
type Cnn = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 10>,
)>;

const LR: f32 = 0.05;
const N_TRAIN: usize = 7291;
const SAMPLE_IMAGES: usize = 2048;
const WORKLOADS: &[&str] = &[
    "mlp-train-b1",
    "mlp-train-b32",
    "mlp-train-b256",
    "mlp-train-b7291",
    "mlp-train-b256-t2",
    "mlp-train-b7291-t2",
    "mlp-infer-b1",
    "mlp-infer-b256",
    "cnn1d-train-b32",
    "conv2d-train-b32",
    "dense-fwd",
    "dense-bwd",
    "ceiling-fwd-t2",
];

/// Sum over the process's threads of (run ns, run-queue wait ns).
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

/// Resets the peak resident size (`VmHWM`) to the current one; false when not allowed.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// What a cell measured.
struct Samples {
    /// (wall s, run-queue wait s) of each sample.
    samples: Vec<(f64, f64)>,
    cpu_s: f64,
    wall_s: f64,
}

fn sample(mut f: impl FnMut(), min_time: f64, min_n: usize) -> Samples {
    f(); // warm-up
    let mut samples = Vec::new();
    let mut total = 0.0;
    let (c0, _) = schedstat();
    let start = Instant::now();
    while (total < min_time || samples.len() < min_n) && samples.len() < 5000 {
        let (_, q0) = schedstat();
        let t0 = Instant::now();
        f();
        let dt = t0.elapsed().as_secs_f64();
        let (_, q1) = schedstat();
        samples.push((dt, q1.saturating_sub(q0) as f64 / 1e9));
        total += dt;
    }
    let wall_s = start.elapsed().as_secs_f64();
    Samples {
        samples,
        cpu_s: schedstat().0.saturating_sub(c0) as f64 / 1e9,
        wall_s,
    }
}

fn one_hot(labels: &[u8]) -> Vec<f32> {
    let mut t = vec![0.0; labels.len() * 10];
    for (row, &l) in t.chunks_exact_mut(10).zip(labels) {
        row[usize::from(l)] = 1.0;
    }
    t
}

/// Steps and images of one training sample at batch `b`.
fn plan(b: usize) -> (usize, usize) {
    let images = if b >= N_TRAIN { N_TRAIN } else { SAMPLE_IMAGES };
    let steps = (images / b).max(1);
    (steps, steps * b.min(N_TRAIN))
}

/// Training samples at batch `B` on one thread; returns the samples, the
/// images per sample and the bytes of the training state.
fn train<M: Model, L: Loss<M::Output>, const B: usize>(
    model: M,
    loss: L,
    x: &[f32],
    t: &[f32],
    min_time: f64,
) -> (Samples, usize, usize) {
    let (n_in, n_out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
    let mut tape = vec![Node::EMPTY; Footprint::<M, L, B>::NODES];
    let mut arena = vec![0.0f32; Footprint::<M, L, B>::ARENA];
    let mut net = Trainer::<f32, M, L, B>::new(model, loss, &mut tape, &mut arena).expect("arena sized by Footprint");
    net.init(&mut Rng::new(42));
    let (mut rng, mut sgd) = (Rng::new(7), Sgd::new(LR));
    let mut order: Vec<usize> = (0..N_TRAIN).collect();
    let (steps, images) = plan(B);
    let mut sink = 0.0;
    let s = sample(
        || {
            rng.shuffle(&mut order);
            for batch in order.chunks(B).take(steps) {
                for (r, &i) in batch.iter().enumerate() {
                    net.input_mut()[r * n_in..(r + 1) * n_in].copy_from_slice(&x[i * n_in..(i + 1) * n_in]);
                    net.target_mut()[r * n_out..(r + 1) * n_out].copy_from_slice(&t[i * n_out..(i + 1) * n_out]);
                }
                net.set_rows(batch.len()).expect("1..=B rows");
                sink += net.step(&mut sgd).expect("training step");
            }
        },
        min_time,
        5,
    );
    std::hint::black_box(sink);
    (s, images, Footprint::<M, L, B>::training_bytes(4, 0))
}

/// As [`train`] with two replicas of batch `H` on two threads (batches of `2·H`).
fn train_parallel<M, L, const H: usize>(
    model: M,
    loss: L,
    x: &[f32],
    t: &[f32],
    min_time: f64,
) -> (Samples, usize, usize)
where
    M: Model + Clone + Send + Sync,
    L: Loss<M::Output> + Clone + Send + Sync,
{
    let fp = || {
        (
            vec![Node::EMPTY; Footprint::<M, L, H>::NODES],
            vec![0.0f32; Footprint::<M, L, H>::ARENA],
        )
    };
    let ((mut tape0, mut arena0), (mut tape1, mut arena1)) = (fp(), fp());
    let first = Trainer::<f32, M, L, H>::new(model.clone(), loss.clone(), &mut tape0, &mut arena0).expect("sized");
    let second = Trainer::<f32, M, L, H>::new(model, loss, &mut tape1, &mut arena1).expect("sized");
    let mut dp = parallel::DataParallel::new(first, second);
    dp.trainer_mut().init(&mut Rng::new(42));
    dp.sync();
    let (mut rng, mut sgd) = (Rng::new(7), Sgd::new(LR));
    let mut order: Vec<usize> = (0..N_TRAIN).collect();
    let (steps, images) = plan(2 * H);
    let s = dp
        .session(x, t, &mut sgd, |dp| {
            let mut sink = 0.0;
            let s = sample(
                || {
                    rng.shuffle(&mut order);
                    for batch in order.chunks(2 * H).take(steps) {
                        sink += dp.step(batch).expect("step");
                    }
                },
                min_time,
                5,
            );
            std::hint::black_box(sink);
            s
        })
        .expect("finite data set");
    (s, images, 2 * Footprint::<M, L, H>::training_bytes(4, 0))
}

/// Inference samples at batch `B`: 1024 test images at batch 1, else 7 batches.
fn infer<M: Model, const B: usize>(model: &M, x: &[f32], min_time: f64) -> (Samples, usize, usize) {
    let n_in = <M::Input as Shape>::SIZE;
    let count = if B == 1 { 1024 } else { 7 * B };
    let mut tape = vec![Node::EMPTY; InferenceFootprint::<M, B>::NODES];
    let mut arena = vec![0.0f32; InferenceFootprint::<M, B>::ARENA];
    let mut net = Network::<f32, M, B>::new(model, &mut tape, &mut arena).expect("sized arena");
    net.graph_mut().init_params(&mut Rng::new(42));
    let mut sink = 0.0f32;
    let s = sample(
        || {
            for chunk in x[..count * n_in].chunks(B * n_in) {
                sink += net.predict(chunk).expect("finite input")[0];
            }
        },
        min_time,
        5,
    );
    std::hint::black_box(sink);
    let bytes = InferenceFootprint::<M, B>::ARENA * 4 + InferenceFootprint::<M, B>::NODES * size_of::<Node>();
    (s, count, bytes)
}

/// Ten forwards or ten backwards of one dense layer `x Wᵀ + b` (and the
/// mean that feeds the backward); returns the flops per sample.
fn dense(backward: bool, min_time: f64) -> (Samples, f64, usize) {
    const B: usize = 256;
    const N: usize = 256;
    let mut tape = vec![Node::EMPTY; 8];
    let layout = Layout {
        params: N * N + N,
        values: 2 * B * N + 1,
        grads: true,
    };
    let mut arena = vec![0.0f32; layout.arena_len()];
    let mut g = Graph::new(&mut tape, &mut arena, layout).expect("sized");
    let x = g.input_with_grad::<B, Rank1<N>>().expect("room");
    let w = g
        .param::<Rank2<N, N>>(flambeau::ParamKind::Weight, flambeau::Init::TorchDefault, N, N)
        .expect("room");
    let b = g
        .param::<Rank1<N>>(flambeau::ParamKind::Bias, flambeau::Init::TorchDefault, N, N)
        .expect("room");
    let y = g.linear(x, w, b).expect("room");
    let loss = g.mean(y).expect("room");
    g.init_params(&mut Rng::new(1));
    g.input_mut(x)
        .iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v = (i % 7) as f32 * 0.1);
    g.forward();
    let flops = 2.0 * (B * N * N) as f64;
    let s = if backward {
        sample(|| (0..10).for_each(|_| g.backward(loss).expect("grads")), min_time, 5)
    } else {
        sample(|| (0..10).for_each(|_| g.forward()), min_time, 5)
    };
    let bytes = layout.arena_len() * 4 + 8 * size_of::<Node>();
    (s, if backward { 20.0 * flops } else { 10.0 * flops }, bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let Some(workload) = args.first() else {
        eprintln!("usage: speed WORKLOAD [--min-time S] [--data DIR] | speed list");
        std::process::exit(2)
    };
    if workload == "list" {
        println!("{}", WORKLOADS.join("\n"));
        return;
    }
    if !WORKLOADS.contains(&workload.as_str()) {
        eprintln!("error: unknown workload '{workload}' (known: {})", WORKLOADS.join(", "));
        std::process::exit(2)
    }
    let min_time = match value("--min-time").map(|v| v.parse::<f64>()) {
        None => 1.0,
        Some(Ok(v)) if v.is_finite() && v >= 0.0 => v,
        Some(_) => {
            eprintln!("error: --min-time takes a number of seconds");
            std::process::exit(2)
        }
    };
    let dir = value("--data").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("FLAMBEAU_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"))
            .join("usps")
    });
    let dir = if dir.join("usps").is_dir() { usps_dir(&dir) } else { dir };
    let (train_set, test_set) = load_usps(&dir).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    if train_set.labels.len() != N_TRAIN || test_set.labels.len() < 1792 {
        eprintln!("error: expected {N_TRAIN} training and at least 1792 test images");
        std::process::exit(2)
    }
    let rss_base = status_kb("VmRSS");
    let peak_reset = reset_peak();
    let (x, t) = (&train_set.features, one_hot(&train_set.labels));
    let tx = &test_set.features;
    let mlp = || Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()));
    let ce = CrossEntropyLoss;
    let m = min_time;
    let (s, work, bytes) = match workload.as_str() {
        "mlp-train-b1" => train::<Mlp, _, 1>(mlp(), ce, x, &t, m),
        "mlp-train-b32" => train::<Mlp, _, 32>(mlp(), ce, x, &t, m),
        "mlp-train-b256" => train::<Mlp, _, 256>(mlp(), ce, x, &t, m),
        "mlp-train-b7291" => train::<Mlp, _, 7291>(mlp(), ce, x, &t, m),
        "mlp-train-b256-t2" => train_parallel::<Mlp, _, 128>(mlp(), ce, x, &t, m),
        "mlp-train-b7291-t2" => train_parallel::<Mlp, _, 3646>(mlp(), ce, x, &t, m),
        "mlp-infer-b1" => infer::<Mlp, 1>(&mlp(), tx, m),
        "mlp-infer-b256" => infer::<Mlp, 256>(&mlp(), tx, m),
        "cnn1d-train-b32" => {
            let cnn: Cnn = Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()));
            train::<Cnn, _, 32>(cnn, ce, x, &t, m)
        }
        "conv2d-train-b32" => {
            let net: LeNet = Sequential::new((
                Conv2d::new(),
                ReLU,
                MaxPool2d,
                Conv2d::new(),
                ReLU,
                MaxPool2d,
                Flatten,
                Linear::new(),
                ReLU,
                Linear::new(),
            ));
            train::<LeNet, _, 32>(net, ce, x, &t, m)
        }
        "dense-fwd" | "dense-bwd" => {
            let (s, flops, bytes) = dense(workload == "dense-bwd", m);
            let samples: Vec<String> = s.samples.iter().map(|(a, b)| format!("[{a:e}, {b:e}]")).collect();
            return print(workload, 1, flops, &samples, &s, rss_base, peak_reset, bytes, "");
        }
        "ceiling-fwd-t2" => {
            let c = ceiling::measure(m, 5, schedstat);
            let pairs = |v: &[(f64, f64)]| v.iter().map(|(a, b)| format!("[{a:e}, {b:e}]")).collect::<Vec<_>>();
            let s = Samples {
                samples: c.two,
                cpu_s: c.cpu_s,
                wall_s: c.wall_s,
            };
            let extra = format!(
                "\"one_thread_samples\": [{}], \"one_thread_work\": {}, ",
                pairs(&c.one).join(", "),
                ceiling::PASS_FLOPS
            );
            let two = pairs(&s.samples);
            let work = 2.0 * ceiling::PASS_FLOPS;
            return print(workload, 2, work, &two, &s, rss_base, peak_reset, 2 * c.bytes, &extra);
        }
        _ => unreachable!("checked against WORKLOADS"),
    };
    let threads = if workload.ends_with("-t2") { 2 } else { 1 };
    let samples: Vec<String> = s.samples.iter().map(|(a, b)| format!("[{a:e}, {b:e}]")).collect();
    print(
        workload,
        threads,
        work as f64,
        &samples,
        &s,
        rss_base,
        peak_reset,
        bytes,
        "",
    );
}

#[allow(clippy::too_many_arguments)]
fn print(
    workload: &str,
    threads: usize,
    work: f64,
    samples: &[String],
    s: &Samples,
    rss_base: Option<u64>,
    peak_reset: bool,
    arena_bytes: usize,
    extra: &str,
) {
    let kb = |v: Option<u64>| v.map_or("null".to_string(), |v| v.to_string());
    let peak = if peak_reset { status_kb("VmHWM") } else { None };
    // a build with the core's opt-in fused multiply-add order reports as its own system
    let system = if cfg!(feature = "fma") {
        "flambeau-fma"
    } else {
        "flambeau"
    };
    println!(
        "{{\"system\": \"{system}\", \"workload\": \"{workload}\", \"threads\": {threads}, \"work\": {work}, \
         \"samples\": [{}], \"cpu_s\": {}, \"wall_s\": {}, \"rss_base_kb\": {}, \"rss_peak_kb\": {}, \
         \"arena_bytes\": {arena_bytes}, {extra}\"env\": {{\"target_cpu_native\": {}}}}}",
        samples.join(", "),
        s.cpu_s,
        s.wall_s,
        kb(rss_base),
        kb(peak),
        cfg!(target_feature = "avx512f") || cfg!(target_feature = "avx2"),
    );
}
