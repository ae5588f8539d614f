//! Two-thread data-parallel training equals one thread's at the full batch
//! size, up to the order of float summation, and keeps its two replicas
//! bit-identical.

use flambeau::{CrossEntropyLoss, Error, Footprint, Linear, Node, Rng, Sequential, Sgd, Tanh, Trainer};
use flambeau_harness::parallel::DataParallel;

type Mlp = Sequential<(Linear<16, 8>, Tanh, Linear<8, 4>)>;
const MLP: Mlp = Sequential((Linear::new(), Tanh, Linear::new()));
type Half = Footprint<Mlp, CrossEntropyLoss, 4>;

fn batches(seed: u64, rows: usize) -> (Vec<f32>, Vec<f32>) {
    let mut r = Rng::new(seed);
    let x = (0..rows * 16).map(|_| r.uniform() as f32).collect();
    let t = (0..rows * 4)
        .map(|i| if i % 4 == (i / 4) % 4 { 1.0 } else { 0.0 })
        .collect();
    (x, t)
}

/// Buffers for two half-batch replicas.
struct Buffers {
    tapes: [Vec<Node>; 2],
    arenas: [Vec<f32>; 2],
}

impl Buffers {
    fn new() -> Self {
        Buffers {
            tapes: [vec![Node::EMPTY; Half::NODES], vec![Node::EMPTY; Half::NODES]],
            arenas: [vec![0.0f32; Half::ARENA], vec![0.0f32; Half::ARENA]],
        }
    }

    fn replicas(&mut self) -> DataParallel<'_, f32, Mlp, CrossEntropyLoss, 4> {
        let [t0, t1] = &mut self.tapes;
        let [a0, a1] = &mut self.arenas;
        let first = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, t0, a0).unwrap();
        let second = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, t1, a1).unwrap();
        DataParallel::new(first, second)
    }
}

#[test]
fn two_threads_match_one_thread() {
    type Full = Footprint<Mlp, CrossEntropyLoss, 8>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; Full::NODES], vec![0.0f32; Full::ARENA]);
    let mut one = Trainer::<f32, Mlp, CrossEntropyLoss, 8>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    one.init(&mut Rng::new(1));
    let mut buffers = Buffers::new();
    let mut two = buffers.replicas();
    two.trainer_mut()
        .graph_mut()
        .params_mut()
        .copy_from_slice(one.graph().params());
    two.sync();
    // full batches of 8, a partial batch of 5 (4 + 1 rows) and one of 3 (this thread only);
    // the first steps start a thread each, the last ones share a session's worker
    let steps = [8, 8, 8, 5, 8, 3, 8, 5, 8];
    let data: Vec<(Vec<f32>, Vec<f32>)> = steps
        .iter()
        .enumerate()
        .map(|(step, &rows)| batches(step as u64, rows))
        .collect();
    let mut sgd = Sgd::new(0.5);
    let mut reference = |step: usize| {
        let (x, t) = &data[step];
        one.set_batch(x, t).unwrap();
        one.step(&mut Sgd::new(0.5)).unwrap()
    };
    for (step, (x, t)) in data.iter().enumerate().take(4) {
        let l1 = reference(step);
        let l2 = two.step(x, t, &mut sgd).unwrap();
        assert!((l1 - l2).abs() < 1e-6, "step {step}: loss {l1} vs {l2}");
    }
    // one data set holding the remaining batches, rows picked by index (in reverse, to
    // show that the indices are honoured)
    let (mut xs, mut ts, mut ranges) = (Vec::new(), Vec::new(), Vec::new());
    for (x, t) in &data[4..] {
        let start = xs.len() / 16;
        xs.extend(x.chunks_exact(16).rev().flatten());
        ts.extend(t.chunks_exact(4).rev().flatten());
        ranges.push((start..xs.len() / 16).rev().collect::<Vec<usize>>());
    }
    let seen = two
        .session(&xs, &ts, &mut sgd, |s| {
            assert_eq!(s.rows(), xs.len() / 16);
            for (k, rows) in ranges.iter().enumerate() {
                let l1 = reference(4 + k);
                let l2 = s.step(rows).unwrap();
                assert!((l1 - l2).abs() < 1e-6, "session step {k}: loss {l1} vs {l2}");
            }
            s.with_trainer(|t| t.graph().params().to_vec()).unwrap()
        })
        .unwrap();
    assert_eq!(
        seen,
        two.trainer().graph().params(),
        "the session shows the trained parameters"
    );
    let diff = one
        .graph()
        .params()
        .iter()
        .zip(two.trainer().graph().params())
        .map(|(a, b)| (a - b).abs());
    let max = diff.fold(0.0f32, f32::max);
    assert!(max < 1e-5, "largest parameter difference {max}");
    // the replicas were never copied into each other after the start, yet agree bit for bit
    let bits = |p: &[f32]| p.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let [a, b] = two.replicas();
    assert_eq!(bits(a.graph().params()), bits(b.graph().params()));
    assert_ne!(
        bits(a.graph().params()),
        bits(one.graph().params()),
        "the two-thread result rounds differently from one thread's, so the equality above is not trivial"
    );
}

#[test]
fn a_panicking_session_stops_its_worker() {
    let mut buffers = Buffers::new();
    let mut two = buffers.replicas();
    let (x, t) = batches(1, 8);
    let rows: Vec<usize> = (0..8).collect();
    // the scope would wait forever for a worker that was never told to stop
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        two.session(&x, &t, &mut Sgd::new(0.1), |s| {
            s.step(&rows).unwrap();
            panic!("training loop failed");
        })
    }));
    assert!(outcome.is_err());
    // and the replicas are still usable afterwards
    let loss = two.step(&x, &t, &mut Sgd::new(0.1)).unwrap();
    assert!(loss.is_finite());
}

#[test]
fn bad_data_and_rows_are_errors() {
    let mut buffers = Buffers::new();
    let mut two = buffers.replicas();
    let (mut x, t) = batches(2, 8);
    let sgd = &mut Sgd::new(0.1);
    let short = two.session(&x[..20], &t, sgd, |_| ()).unwrap_err();
    assert!(matches!(short, Error::LengthMismatch { what: "inputs", .. }), "{short}");
    let mismatch = two.session(&x, &t[..8], sgd, |_| ()).unwrap_err();
    assert!(
        matches!(mismatch, Error::LengthMismatch { what: "targets", .. }),
        "{mismatch}"
    );
    let errors = two
        .session(&x, &t, sgd, |s| {
            [
                s.step(&[]).unwrap_err(),
                s.step(&[0; 9]).unwrap_err(),
                s.step(&[0, 1, 8]).unwrap_err(),
            ]
        })
        .unwrap();
    assert_eq!(errors[0], Error::RowsOutOfRange { rows: 0, batch: 8 });
    assert_eq!(errors[1], Error::RowsOutOfRange { rows: 9, batch: 8 });
    assert_eq!(errors[2], Error::RowsOutOfRange { rows: 9, batch: 8 });
    x[37] = f32::NAN;
    let nan = two.session(&x, &t, sgd, |_| ()).unwrap_err();
    assert_eq!(
        nan,
        Error::NonFinite {
            what: "input",
            index: 37
        }
    );
}
