//! The machine's own two-thread ceiling (workload `ceiling-fwd-t2`): what two
//! threads get from the machine at this moment, whatever the library. Each
//! thread owns one dense 256×256 layer at batch 256 and runs its forwards
//! alone: no shared data and no synchronisation inside a pass, only a
//! barrier at its start and end. Passes alternate: one thread alone (the
//! other asleep on the barrier), then both at once (in the other order
//! every second pair). Two vCPUs that are one physical core's two
//! hardware threads give an aggregate speed-up near 1; two cores near 2.

use flambeau::{Graph, Init, Layout, Node, ParamKind, Rank1, Rank2, Rng};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const B: usize = 256;
const N: usize = 256;
/// Dense forwards per thread per pass (about 10 ms at 60 GFLOP/s).
const FORWARDS: usize = 20;
/// Flops of one thread's pass.
pub const PASS_FLOPS: f64 = FORWARDS as f64 * 2.0 * (B * N * N) as f64;

/// What the cell measured.
pub struct Ceiling {
    /// (wall s, run-queue wait s) of each pass of two threads.
    pub two: Vec<(f64, f64)>,
    /// (wall s, run-queue wait s) of each pass of one thread.
    pub one: Vec<(f64, f64)>,
    /// CPU time and wall time over the two-thread passes.
    pub cpu_s: f64,
    pub wall_s: f64,
    /// Bytes of one thread's arena and tape.
    pub bytes: usize,
}

fn layout() -> Layout {
    Layout {
        params: N * N + N,
        values: B * N + B * N,
        grads: false,
    }
}

/// Builds one dense layer on this thread's own buffers and hands `body` a
/// function that runs one pass of forwards on it.
fn with_dense<R>(body: impl FnOnce(&mut dyn FnMut()) -> R) -> R {
    let mut tape = vec![Node::EMPTY; 8];
    let mut arena = vec![0.0f32; layout().arena_len()];
    let mut g = Graph::new(&mut tape, &mut arena, layout()).expect("sized by layout()");
    let x = g.input::<B, Rank1<N>>().expect("room");
    let w = g
        .param::<Rank2<N, N>>(ParamKind::Weight, Init::TorchDefault, N, N)
        .expect("room");
    let b = g
        .param::<Rank1<N>>(ParamKind::Bias, Init::TorchDefault, N, N)
        .expect("room");
    let y = g.linear(x, w, b).expect("room");
    g.init_params(&mut Rng::new(1));
    g.input_mut(x)
        .iter_mut()
        .enumerate()
        .for_each(|(i, v)| *v = (i % 7) as f32 * 0.1);
    let mut pass = || {
        for _ in 0..FORWARDS {
            g.forward();
        }
        std::hint::black_box(g.value(y)[0]);
    };
    body(&mut pass)
}

/// Pairs of passes (after one warm-up pair) until the two-thread passes add
/// up to `min_time` seconds and there are at least `min_n` pairs.
/// `schedstat` gives the process's (run ns, wait ns) summed over threads.
pub fn measure(min_time: f64, min_n: usize, schedstat: fn() -> (u64, u64)) -> Ceiling {
    let (start, done, stop) = (Barrier::new(2), Barrier::new(2), AtomicBool::new(false));
    std::thread::scope(|s| {
        s.spawn(|| {
            with_dense(|pass| {
                loop {
                    start.wait();
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    pass();
                    done.wait();
                }
            })
        });
        let c = with_dense(|pass| {
            let mut c = Ceiling {
                two: Vec::new(),
                one: Vec::new(),
                cpu_s: 0.0,
                wall_s: 0.0,
                bytes: layout().arena_len() * 4 + 8 * size_of::<Node>(),
            };
            let mut timed = |both: bool, keep: bool, c: &mut Ceiling| {
                let (r0, q0) = schedstat();
                let t0 = Instant::now();
                if both {
                    start.wait();
                }
                pass();
                if both {
                    done.wait();
                }
                let dt = t0.elapsed().as_secs_f64();
                let (r1, q1) = schedstat();
                let rec = (dt, q1.saturating_sub(q0) as f64 / 1e9);
                if keep && both {
                    c.two.push(rec);
                    c.cpu_s += r1.saturating_sub(r0) as f64 / 1e9;
                    c.wall_s += dt;
                } else if keep {
                    c.one.push(rec);
                }
            };
            timed(false, false, &mut c); // warm-up
            timed(true, false, &mut c);
            while (c.wall_s < min_time || c.two.len() < min_n) && c.two.len() < 5000 {
                let two_first = c.two.len() % 2 == 1;
                timed(two_first, true, &mut c);
                timed(!two_first, true, &mut c);
            }
            c
        });
        stop.store(true, Ordering::Release);
        start.wait();
        c
    })
}
