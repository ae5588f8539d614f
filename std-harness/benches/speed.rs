//! Speed benchmark: the protocol of the Rust peers' and PyTorch's scripts
//! (USPS, same model shapes, PyTorch's default initialisation scheme, plain
//! SGD lr 0.05, a fresh shuffle every epoch, batches gathered into the
//! model's input; one warm-up epoch then the median of 5 timed epochs;
//! inference at batch 1 and 256, one warm-up pass then the median of 31),
//! single-threaded but for the rows marked "2 threads".
//!
//! `cargo bench -p flambeau-harness --bench speed -- [--quick] [--json FILE]`
//! (data folder: `FLAMBEAU_DATA`, default `../shared/data`).

use flambeau::{
    Conv1d, CrossEntropyLoss, Flatten, Footprint, Graph, Layout, Linear, Loss, MaxPool1d, Model, MseLoss, Node, Rank1,
    Rank2, Rng, Sequential, Sgd, Shape, Sigmoid, Tanh, Trainer,
};
use flambeau_harness::data::{Dataset, load_usps, usps_dir};
use std::path::PathBuf;

use flambeau_harness::parallel;
use std::time::Instant;

type Mlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
type Cnn = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 10>,
)>;
type CnnReport = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 100>,
    flambeau::ReLU,
    Linear<100, 10>,
)>;
type Ae = Sequential<(Linear<256, 64>, Tanh, Linear<64, 256>, Sigmoid)>;

const LR: f32 = 0.05;

struct Opts {
    epochs: usize,
    reps: usize,
    json: Option<PathBuf>,
}

/// One result row.
struct Row {
    name: String,
    unit: &'static str,
    value: f64,
    detail: String,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn one_hot(labels: &[u8]) -> Vec<f32> {
    let mut t = vec![0.0; labels.len() * 10];
    for (row, &l) in t.chunks_exact_mut(10).zip(labels) {
        row[usize::from(l)] = 1.0;
    }
    t
}

/// Trains `model` for `1 + epochs` epochs; returns the timed epochs' seconds,
/// the final mean loss and the parameters.
fn train<M: Model + Clone, L: Loss<M::Output>, const B: usize>(
    model: M,
    loss: L,
    x: &[f32],
    t: &[f32],
    epochs: usize,
) -> (Vec<f64>, f32, Vec<f32>) {
    let (n_in, n_out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
    let n = x.len() / n_in;
    let mut tape = vec![Node::EMPTY; Footprint::<M, L, B>::NODES];
    let mut arena = vec![0.0f32; Footprint::<M, L, B>::ARENA];
    let mut net = Trainer::<f32, M, L, B>::new(model, loss, &mut tape, &mut arena).expect("arena sized by Footprint");
    net.init(&mut Rng::new(42));
    let mut rng = Rng::new(7);
    let mut order: Vec<usize> = (0..n).collect();
    let mut sgd = Sgd::new(LR);
    let (mut times, mut last) = (Vec::new(), 0.0);
    for epoch in 0..=epochs {
        let start = Instant::now();
        rng.shuffle(&mut order);
        let mut total = 0.0;
        for batch in order.chunks(B) {
            for (r, &i) in batch.iter().enumerate() {
                net.input_mut()[r * n_in..(r + 1) * n_in].copy_from_slice(&x[i * n_in..(i + 1) * n_in]);
                net.target_mut()[r * n_out..(r + 1) * n_out].copy_from_slice(&t[i * n_out..(i + 1) * n_out]);
            }
            net.set_rows(batch.len()).expect("1..=B rows");
            total += net.step(&mut sgd).expect("training step") * batch.len() as f32;
        }
        if epoch > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
        last = total / n as f32;
    }
    (times, last, net.graph().params().to_vec())
}

/// As [`train`] with two replicas of batch `H` on two threads (batches of `2·H`).
fn train_parallel<M: Model + Clone + Send + Sync, L: Loss<M::Output> + Clone + Send + Sync, const H: usize>(
    model: M,
    loss: L,
    x: &[f32],
    t: &[f32],
    epochs: usize,
) -> (Vec<f64>, f32) {
    let n = x.len() / <M::Input as Shape>::SIZE;
    let (mut tape0, mut tape1) = (
        vec![Node::EMPTY; Footprint::<M, L, H>::NODES],
        vec![Node::EMPTY; Footprint::<M, L, H>::NODES],
    );
    let (mut arena0, mut arena1) = (
        vec![0.0f32; Footprint::<M, L, H>::ARENA],
        vec![0.0f32; Footprint::<M, L, H>::ARENA],
    );
    let first = Trainer::<f32, M, L, H>::new(model.clone(), loss.clone(), &mut tape0, &mut arena0).expect("sized");
    let second = Trainer::<f32, M, L, H>::new(model, loss, &mut tape1, &mut arena1).expect("sized");
    let mut dp = parallel::DataParallel::new(first, second);
    dp.trainer_mut().init(&mut Rng::new(42));
    dp.sync();
    let mut rng = Rng::new(7);
    let mut order: Vec<usize> = (0..n).collect();
    let mut sgd = Sgd::new(LR);
    let (mut times, mut last) = (Vec::new(), 0.0);
    dp.session(x, t, &mut sgd, |dp| {
        for epoch in 0..=epochs {
            let start = Instant::now();
            rng.shuffle(&mut order);
            let mut total = 0.0;
            for batch in order.chunks(2 * H) {
                // each replica gathers its half of the batch from the data set
                total += dp.step(batch).expect("step") * batch.len() as f32;
            }
            if epoch > 0 {
                times.push(start.elapsed().as_secs_f64());
            }
            last = total / n as f32;
        }
    })
    .expect("finite data set");
    (times, last)
}

fn parallel_row<M: Model + Clone + Send + Sync, L: Loss<M::Output> + Clone + Send + Sync, const H: usize>(
    name: &str,
    m: M,
    l: L,
    x: &[f32],
    t: &[f32],
    o: &Opts,
) -> Row {
    let (times, loss) = train_parallel::<M, L, H>(m, l, x, t, o.epochs);
    let batch = (2 * H).min(x.len() / <M::Input as Shape>::SIZE);
    let detail = format!("batch {batch}, 2 threads, final loss {loss:.4}");
    Row {
        name: format!("{name} train b{batch} 2 threads"),
        unit: "s/epoch",
        value: median(times),
        detail,
    }
}

/// Inference µs per sample at batch `B` over `count` samples, median of `reps`.
fn infer<M: Model + Clone, const B: usize>(model: &M, params: &[f32], x: &[f32], count: usize, reps: usize) -> f64 {
    let n_in = <M::Input as Shape>::SIZE;
    let mut tape = vec![Node::EMPTY; flambeau::InferenceFootprint::<M, B>::NODES];
    let mut arena = vec![0.0f32; flambeau::InferenceFootprint::<M, B>::ARENA];
    let mut net = flambeau::Network::<f32, M, B>::new(model, &mut tape, &mut arena).expect("sized arena");
    net.graph_mut().params_mut().copy_from_slice(params);
    let mut sink = 0.0f32;
    let mut times = Vec::new();
    for rep in 0..=reps {
        let start = Instant::now();
        for chunk in x[..count * n_in].chunks(B * n_in) {
            sink += net.predict(chunk).expect("finite input")[0];
        }
        if rep > 0 {
            times.push(start.elapsed().as_secs_f64() * 1e6 / count as f64);
        }
    }
    std::hint::black_box(sink);
    median(times)
}

/// GFLOP/s of one dense layer `x Wᵀ + b` (forward) and of its backward.
fn dense_gflops<const B: usize, const N: usize>(reps: usize) -> (f64, f64) {
    let mut tape = vec![Node::EMPTY; 8];
    let mut arena = vec![0.0f32; 2 * (N * N + N + 2 * B * N + 1)];
    let layout = Layout {
        params: N * N + N,
        values: 2 * B * N + 1,
        grads: true,
    };
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
    let flops = 2.0 * (B * N * N) as f64;
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let s = Instant::now();
        g.forward();
        fwd.push(flops / s.elapsed().as_secs_f64() / 1e9);
        let s = Instant::now();
        g.backward(loss).expect("grads");
        bwd.push(2.0 * flops / s.elapsed().as_secs_f64() / 1e9);
    }
    (median(fwd), median(bwd))
}

fn data() -> (Dataset, Dataset) {
    let dir = std::env::var_os("FLAMBEAU_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    load_usps(&usps_dir(&dir)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    })
}

fn train_row<M: Model + Clone, L: Loss<M::Output>, const B: usize>(
    name: &str,
    m: M,
    l: L,
    x: &[f32],
    t: &[f32],
    o: &Opts,
) -> (Row, Vec<f32>) {
    let (times, loss, params) = train::<M, L, B>(m, l, x, t, o.epochs);
    let detail = format!(
        "batch {B}, final loss {loss:.4}, min {:.4} s",
        times.iter().cloned().fold(f64::MAX, f64::min)
    );
    (
        Row {
            name: format!("{name} train b{B}"),
            unit: "s/epoch",
            value: median(times),
            detail,
        },
        params,
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let json = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let o = Opts {
        epochs: if quick { 1 } else { 5 },
        reps: if quick { 1 } else { 31 },
        json,
    };
    let (train_set, test_set) = data();
    let (x, t) = (&train_set.features, one_hot(&train_set.labels));
    let mlp = || Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()));
    let mut rows = Vec::new();
    let (r, params) = train_row::<Mlp, _, 1>("MLP 256-128-64-10", mlp(), CrossEntropyLoss, x, &t, &o);
    rows.push(r);
    rows.push(train_row::<Mlp, _, 32>("MLP 256-128-64-10", mlp(), CrossEntropyLoss, x, &t, &o).0);
    rows.push(train_row::<Mlp, _, 256>("MLP 256-128-64-10", mlp(), CrossEntropyLoss, x, &t, &o).0);
    rows.push(train_row::<Mlp, _, 7291>("MLP 256-128-64-10", mlp(), CrossEntropyLoss, x, &t, &o).0);
    rows.push(parallel_row::<Mlp, _, 128>(
        "MLP 256-128-64-10",
        mlp(),
        CrossEntropyLoss,
        x,
        &t,
        &o,
    ));
    rows.push(parallel_row::<Mlp, _, 3646>(
        "MLP 256-128-64-10",
        mlp(),
        CrossEntropyLoss,
        x,
        &t,
        &o,
    ));
    let tx = &test_set.features;
    rows.push(Row {
        name: "MLP infer b1".into(),
        unit: "µs/sample",
        value: infer::<Mlp, 1>(&mlp(), &params, tx, 1024, o.reps),
        detail: "1024 test images".into(),
    });
    rows.push(Row {
        name: "MLP infer b256".into(),
        unit: "µs/sample",
        value: infer::<Mlp, 256>(&mlp(), &params, tx, 1792, o.reps),
        detail: "7 batches".into(),
    });
    let cnn = || Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()));
    let (r, cparams) = train_row::<Cnn, _, 32>("CNN1D small", cnn(), CrossEntropyLoss, x, &t, &o);
    rows.push(r);
    let report = Sequential::new((
        Conv1d::new(),
        MaxPool1d,
        Flatten,
        Linear::new(),
        flambeau::ReLU,
        Linear::new(),
    ));
    rows.push(train_row::<CnnReport, _, 32>("CNN1D report", report, CrossEntropyLoss, x, &t, &o).0);
    rows.push(Row {
        name: "CNN1D small infer b1".into(),
        unit: "µs/sample",
        value: infer::<Cnn, 1>(&cnn(), &cparams, tx, 1024, o.reps),
        detail: "1024 test images".into(),
    });
    rows.push(Row {
        name: "CNN1D small infer b256".into(),
        unit: "µs/sample",
        value: infer::<Cnn, 256>(&cnn(), &cparams, tx, 1792, o.reps),
        detail: "7 batches".into(),
    });
    let ae = Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid));
    rows.push(train_row::<Ae, _, 32>("AE 256-64-256", ae, MseLoss, x, x, &o).0);
    let (fwd, bwd) = dense_gflops::<256, 256>(if quick { 3 } else { 21 });
    rows.push(Row {
        name: "dense 256x256, batch 256, forward".into(),
        unit: "GFLOP/s",
        value: fwd,
        detail: String::new(),
    });
    rows.push(Row {
        name: "dense 256x256, batch 256, backward".into(),
        unit: "GFLOP/s",
        value: bwd,
        detail: String::new(),
    });
    println!("| workload | value | unit | detail |");
    println!("| --- | ---: | --- | --- |");
    for r in &rows {
        println!("| {} | {:.4} | {} | {} |", r.name, r.value, r.unit, r.detail);
    }
    if let Some(path) = &o.json {
        let body: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "  {{\"name\": \"{}\", \"unit\": \"{}\", \"value\": {}}}",
                    r.name, r.unit, r.value
                )
            })
            .collect();
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, format!("[\n{}\n]\n", body.join(",\n")))
            .and_then(|_| std::fs::rename(&tmp, path))
            .unwrap_or_else(|e| {
                eprintln!("error: cannot write {}: {e}", path.display());
                std::process::exit(2)
            });
    }
}
