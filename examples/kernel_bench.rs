//! Quick timing of the core's kernels on synthetic data (no data files):
//! dense layers forward and backward, and training epochs of the report's
//! networks. The full benchmark against PyTorch and the Rust libraries is
//! `cargo bench -p flambeau-harness --bench speed`.
//!
//! `cargo run --release --example kernel_bench [dense|peak|tiles|train1|train32|train256|train7291|infer1|infer256|cnn] (a prefix picks several)`
//! (CPU time of the benchmarking thread, so a busy machine skews it less).

use flambeau::{
    Conv1d, CrossEntropyLoss, Flatten, Footprint, Graph, Init, Layout, Linear, Loss, MaxPool1d, Model, Network, Node,
    ParamKind, Rank1, Rank2, Rng, Sequential, Sgd, Shape, Tanh, Trainer,
};

type Mlp = Sequential<(Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>)>;
type Cnn = Sequential<(
    Conv1d<1, 32, 3, 256, 254>,
    MaxPool1d<2, 2, 127>,
    Flatten<4064>,
    Linear<4064, 10>,
)>;

const N: usize = 7291;

/// This thread's CPU time, so that other processes on a busy machine do not
/// count (POSIX `CLOCK_THREAD_CPUTIME_ID`).
struct Instant(f64);

impl Instant {
    fn now() -> Self {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec for the call's duration.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime");
        Instant(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9)
    }

    fn elapsed(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(Instant::now().0 - self.0)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn epoch_seconds<M: Model, L: Loss<M::Output>, const B: usize>(model: M, loss: L, x: &[f32], t: &[f32]) -> f64 {
    let (n_in, n_out) = (<M::Input as Shape>::SIZE, <M::Output as Shape>::SIZE);
    let mut tape = vec![Node::EMPTY; Footprint::<M, L, B>::NODES];
    let mut arena = vec![0.0f32; Footprint::<M, L, B>::ARENA];
    let mut net = Trainer::<f32, M, L, B>::new(model, loss, &mut tape, &mut arena).unwrap();
    net.init(&mut Rng::new(1));
    let mut order: Vec<usize> = (0..N).collect();
    let mut rng = Rng::new(2);
    let mut times = vec![];
    for _ in 0..4 {
        let s = Instant::now();
        rng.shuffle(&mut order);
        for batch in order.chunks(B) {
            for (r, &i) in batch.iter().enumerate() {
                net.input_mut()[r * n_in..(r + 1) * n_in].copy_from_slice(&x[i * n_in..(i + 1) * n_in]);
                net.target_mut()[r * n_out..(r + 1) * n_out].copy_from_slice(&t[i * n_out..(i + 1) * n_out]);
            }
            net.set_rows(batch.len()).unwrap();
            net.step(&mut Sgd::new(0.05)).unwrap();
        }
        times.push(s.elapsed().as_secs_f64());
    }
    median(times[1..].to_vec())
}

fn infer_us<M: Model, const B: usize>(model: &M, x: &[f32], count: usize) -> f64 {
    let mut tape = vec![Node::EMPTY; flambeau::InferenceFootprint::<M, B>::NODES];
    let mut arena = vec![0.0f32; flambeau::InferenceFootprint::<M, B>::ARENA];
    let mut net = Network::<f32, M, B>::new(model, &mut tape, &mut arena).unwrap();
    net.graph_mut().init_params(&mut Rng::new(3));
    let n_in = <M::Input as Shape>::SIZE;
    let mut times = vec![];
    for _ in 0..7 {
        let s = Instant::now();
        for chunk in x[..count * n_in].chunks(B * n_in) {
            std::hint::black_box(net.predict(chunk).unwrap());
        }
        times.push(s.elapsed().as_secs_f64() * 1e6 / count as f64);
    }
    median(times)
}

fn dense<const B: usize, const I: usize, const O: usize>() -> (f64, f64) {
    let mut tape = vec![Node::EMPTY; 8];
    let layout = Layout {
        params: O * I + O,
        values: B * (I + O) + 1,
        grads: true,
    };
    let mut arena = vec![0.0f32; layout.arena_len()];
    let mut g = Graph::new(&mut tape, &mut arena, layout).unwrap();
    let x = g.input_with_grad::<B, Rank1<I>>().unwrap();
    let w = g
        .param::<Rank2<O, I>>(ParamKind::Weight, Init::TorchDefault, I, O)
        .unwrap();
    let b = g.param::<Rank1<O>>(ParamKind::Bias, Init::TorchDefault, I, O).unwrap();
    let y = g.linear(x, w, b).unwrap();
    let loss = g.mean(y).unwrap();
    g.init_params(&mut Rng::new(1));
    let flops = 2.0 * (B * I * O) as f64;
    let (mut f, mut bw) = (vec![], vec![]);
    for _ in 0..21 {
        let s = Instant::now();
        g.forward();
        f.push(flops / s.elapsed().as_secs_f64() / 1e9);
        let s = Instant::now();
        g.backward(loss).unwrap();
        bw.push(2.0 * flops / s.elapsed().as_secs_f64() / 1e9);
    }
    (median(f), median(bw))
}

/// 12 independent chains of 16 lanes, each step `c ← c·b + a` computed by
/// `step`, `n` steps: GFLOP/s (two per lane and step).
fn chains(n: usize, step: impl Fn(f32) -> f32) -> f64 {
    let mut c = [[1.0f32; 16]; 12];
    let s = Instant::now();
    for _ in 0..n {
        for ch in &mut c {
            *ch = ch.map(&step);
        }
    }
    std::hint::black_box(&c);
    (n * 12 * 16 * 2) as f64 / s.elapsed().as_secs_f64() / 1e9
}

/// The core's vector peak in the kernels' form, a multiply then an add
/// (two instructions), and in SGEMM's, a fused multiply-add (one): on a
/// core whose multiplies and adds share the same pipes the first is half
/// the second.
fn peak() -> (f64, f64) {
    let (a, b) = (std::hint::black_box(1e-7f32), std::hint::black_box(0.999_999_9f32));
    let n = 20_000_000;
    (chains(n, |v| v * b + a), chains(n, |v| v.mul_add(b, a)))
}

/// A wide gradient tile's step (4 rows × 64 columns: each value of `a`
/// serves 4 vectors, so it is broadcast into a register) against a
/// broadcast tile's (16 rows × 16 columns: each value serves one vector and
/// the multiply reads it from memory), both over operands in the L1 cache
/// (48 steps of 64 columns): GFLOP/s of each, in the default order.
fn tiles() -> (f64, f64) {
    const K: usize = 48;
    const N: usize = 64;
    let a: Vec<f32> = (0..K * N).map(|i| (i % 11) as f32 * 0.01).collect();
    let b: Vec<f32> = (0..K * N).map(|i| (i % 13) as f32 * 0.01).collect();
    let reps = 60_000;
    let flops = 2.0 * (reps * K * N * N) as f64;
    let s = Instant::now();
    for _ in 0..reps {
        for o in (0..N).step_by(4) {
            for c in (0..N).step_by(64) {
                std::hint::black_box(wide_tile(&a[o..], &b[c..], N));
            }
        }
    }
    let wide = flops / s.elapsed().as_secs_f64() / 1e9;
    let s = Instant::now();
    for _ in 0..reps {
        for o in (0..N).step_by(16) {
            for c in (0..N).step_by(16) {
                std::hint::black_box(bcast_tile(&a[o..], &b[c..], N));
            }
        }
    }
    (wide, flops / s.elapsed().as_secs_f64() / 1e9)
}

#[inline(always)]
fn tile_row<const W: usize>(acc: &mut [f32; W], a: f32, b: &[f32; W]) {
    for j in 0..W {
        acc[j] += a * b[j];
    }
}

#[inline(never)]
fn wide_tile(a: &[f32], b: &[f32], n: usize) -> [[f32; 64]; 4] {
    let z = [0.0f32; 64];
    let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
    for (ar, br) in a.chunks(n).zip(b.chunks(n)) {
        let (Some(av), Some(bv)) = (ar.first_chunk::<4>(), br.first_chunk::<64>()) else {
            break;
        };
        tile_row(&mut s0, av[0], bv);
        tile_row(&mut s1, av[1], bv);
        tile_row(&mut s2, av[2], bv);
        tile_row(&mut s3, av[3], bv);
    }
    [s0, s1, s2, s3]
}

#[inline(never)]
fn bcast_tile(a: &[f32], b: &[f32], n: usize) -> [[f32; 16]; 16] {
    let z = [0.0f32; 16];
    let (mut s0, mut s1, mut s2, mut s3, mut s4, mut s5, mut s6, mut s7) = (z, z, z, z, z, z, z, z);
    let (mut s8, mut s9, mut s10, mut s11, mut s12, mut s13, mut s14, mut s15) = (z, z, z, z, z, z, z, z);
    for (ar, br) in a.chunks(n).zip(b.chunks(n)) {
        let (Some(av), Some(bv)) = (ar.first_chunk::<16>(), br.first_chunk::<16>()) else {
            break;
        };
        tile_row(&mut s0, av[0], bv);
        tile_row(&mut s1, av[1], bv);
        tile_row(&mut s2, av[2], bv);
        tile_row(&mut s3, av[3], bv);
        tile_row(&mut s4, av[4], bv);
        tile_row(&mut s5, av[5], bv);
        tile_row(&mut s6, av[6], bv);
        tile_row(&mut s7, av[7], bv);
        tile_row(&mut s8, av[8], bv);
        tile_row(&mut s9, av[9], bv);
        tile_row(&mut s10, av[10], bv);
        tile_row(&mut s11, av[11], bv);
        tile_row(&mut s12, av[12], bv);
        tile_row(&mut s13, av[13], bv);
        tile_row(&mut s14, av[14], bv);
        tile_row(&mut s15, av[15], bv);
    }
    [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15]
}

fn main() {
    let only = std::env::args().nth(1).unwrap_or_default();
    let run = |name: &str| only.is_empty() || name.starts_with(&only);
    let mut r = Rng::new(9);
    let x: Vec<f32> = (0..N * 256).map(|_| r.uniform() as f32).collect();
    let t: Vec<f32> = (0..N * 10)
        .map(|i| f32::from(u8::from(i % 10 == (i / 10) % 10)))
        .collect();
    let mlp = || Sequential::new((Linear::new(), Tanh, Linear::new(), Tanh, Linear::new()));
    if run("dense") {
        println!("dense 256→256 b256 GFLOP/s fwd/bwd: {:?}", dense::<256, 256, 256>());
        println!("dense 256→128 b32  GFLOP/s fwd/bwd: {:?}", dense::<32, 256, 128>());
        println!("dense 4064→10 b32  GFLOP/s fwd/bwd: {:?}", dense::<32, 4064, 10>());
        println!("dense 256→128 b8   GFLOP/s fwd/bwd: {:?}", dense::<8, 256, 128>());
        println!("dense 256→128 b16  GFLOP/s fwd/bwd: {:?}", dense::<16, 256, 128>());
        println!("dense 256→128 b24  GFLOP/s fwd/bwd: {:?}", dense::<24, 256, 128>());
        println!("dense 128→64 b16   GFLOP/s fwd/bwd: {:?}", dense::<16, 128, 64>());
        println!("dense 64→10 b256   GFLOP/s fwd/bwd: {:?}", dense::<256, 64, 10>());
        println!("dense 256→128 b2048 GFLOP/s fwd/bwd: {:?}", dense::<2048, 256, 128>());
    }
    if run("peak") {
        for _ in 0..3 {
            let (separate, fused) = peak();
            println!("vector peak GFLOP/s, multiply then add: {separate:.1}, fused multiply-add: {fused:.1}");
        }
    }
    if run("tiles") {
        for _ in 0..3 {
            let (wide, bcast) = tiles();
            println!(
                "gradient tile GFLOP/s from L1, 4 rows × 64 (broadcast registers): {wide:.1}, 16 rows × 16 (broadcast operands): {bcast:.1}"
            );
        }
    }
    if run("train1") {
        println!(
            "MLP train b1    s/epoch: {:.4}",
            epoch_seconds::<Mlp, _, 1>(mlp(), CrossEntropyLoss, &x, &t)
        );
    }
    if run("train32") {
        println!(
            "MLP train b32   s/epoch: {:.4}",
            epoch_seconds::<Mlp, _, 32>(mlp(), CrossEntropyLoss, &x, &t)
        );
    }
    if run("train256") {
        println!(
            "MLP train b256  s/epoch: {:.4}",
            epoch_seconds::<Mlp, _, 256>(mlp(), CrossEntropyLoss, &x, &t)
        );
    }
    if run("train7291") {
        println!(
            "MLP train b7291 s/epoch: {:.4}",
            epoch_seconds::<Mlp, _, 7291>(mlp(), CrossEntropyLoss, &x, &t)
        );
    }
    if only == "b1loop" {
        for _ in 0..20 {
            std::hint::black_box(infer_us::<Mlp, 1>(&mlp(), &x, 1024));
        }
    }
    if run("infer1") {
        println!("MLP infer b1   µs/sample: {:.3}", infer_us::<Mlp, 1>(&mlp(), &x, 1024));
    }
    if run("infer256") {
        println!(
            "MLP infer b256 µs/sample: {:.3}",
            infer_us::<Mlp, 256>(&mlp(), &x, 1792)
        );
    }
    if run("cnn") {
        let cnn = Sequential::new((Conv1d::new(), MaxPool1d, Flatten, Linear::new()));
        println!(
            "CNN small train b32 s/epoch: {:.4}",
            epoch_seconds::<Cnn, _, 32>(cnn, CrossEntropyLoss, &x, &t)
        );
        println!("CNN small infer b1 µs/sample: {:.3}", infer_us::<Cnn, 1>(&cnn, &x, 256));
    }
}
