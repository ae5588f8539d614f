//! Two-thread data-parallel training equals one thread's at the full batch
//! size, up to the order of float summation.

use flambeau::{CrossEntropyLoss, Footprint, Linear, Node, Rng, Sequential, Sgd, Tanh, Trainer};
use flambeau_harness::parallel::DataParallel;

type Mlp = Sequential<(Linear<16, 8>, Tanh, Linear<8, 4>)>;
const MLP: Mlp = Sequential((Linear::new(), Tanh, Linear::new()));

fn batches(seed: u64, rows: usize) -> (Vec<f32>, Vec<f32>) {
    let mut r = Rng::new(seed);
    let x = (0..rows * 16).map(|_| r.uniform() as f32).collect();
    let t = (0..rows * 4)
        .map(|i| if i % 4 == (i / 4) % 4 { 1.0 } else { 0.0 })
        .collect();
    (x, t)
}

#[test]
fn two_threads_match_one_thread() {
    type Full = Footprint<Mlp, CrossEntropyLoss, 8>;
    type Half = Footprint<Mlp, CrossEntropyLoss, 4>;
    let (mut tape, mut arena) = (vec![Node::EMPTY; Full::NODES], vec![0.0f32; Full::ARENA]);
    let mut one = Trainer::<f32, Mlp, CrossEntropyLoss, 8>::new(MLP, CrossEntropyLoss, &mut tape, &mut arena).unwrap();
    one.init(&mut Rng::new(1));
    let (mut t0, mut a0) = (vec![Node::EMPTY; Half::NODES], vec![0.0f32; Half::ARENA]);
    let (mut t1, mut a1) = (vec![Node::EMPTY; Half::NODES], vec![0.0f32; Half::ARENA]);
    let first = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut t0, &mut a0).unwrap();
    let second = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut t1, &mut a1).unwrap();
    let mut two = DataParallel::new(first, second);
    two.trainer_mut()
        .graph_mut()
        .params_mut()
        .copy_from_slice(one.graph().params());
    two.sync();
    // full batches of 8, a partial batch of 5 (4 + 1 rows) and one of 3 (this thread only);
    // the first steps start a thread each, the last ones share a session's worker
    let steps = [8, 8, 8, 5, 8, 3, 8, 5, 8];
    let mut one_step = |step: usize, two_step: &mut dyn FnMut(&[f32], &[f32]) -> f32| {
        let (x, t) = batches(step as u64, steps[step]);
        one.set_batch(&x, &t).unwrap();
        let l1 = one.step(&mut Sgd::new(0.5)).unwrap();
        let l2 = two_step(&x, &t);
        assert!((l1 - l2).abs() < 1e-6, "step {step}: loss {l1} vs {l2}");
    };
    for step in 0..4 {
        one_step(step, &mut |x, t| two.step(x, t, &mut Sgd::new(0.5)).unwrap());
    }
    two.session(|s| {
        for step in 4..steps.len() {
            one_step(step, &mut |x, t| s.step(x, t, &mut Sgd::new(0.5)).unwrap());
        }
    });
    let diff = one
        .graph()
        .params()
        .iter()
        .zip(two.trainer().graph().params())
        .map(|(a, b)| (a - b).abs());
    let max = diff.fold(0.0f32, f32::max);
    assert!(max < 1e-5, "largest parameter difference {max}");
}

#[test]
fn a_panicking_session_stops_its_worker() {
    type Half = Footprint<Mlp, CrossEntropyLoss, 4>;
    let (mut t0, mut a0) = (vec![Node::EMPTY; Half::NODES], vec![0.0f32; Half::ARENA]);
    let (mut t1, mut a1) = (vec![Node::EMPTY; Half::NODES], vec![0.0f32; Half::ARENA]);
    let first = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut t0, &mut a0).unwrap();
    let second = Trainer::<f32, Mlp, CrossEntropyLoss, 4>::new(MLP, CrossEntropyLoss, &mut t1, &mut a1).unwrap();
    let mut two = DataParallel::new(first, second);
    let (x, t) = batches(1, 8);
    // the scope would wait forever for a worker that was never told to stop
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        two.session(|s| {
            s.step(&x, &t, &mut Sgd::new(0.1)).unwrap();
            panic!("training loop failed");
        })
    }));
    assert!(outcome.is_err());
    // and the replicas are still usable afterwards
    let loss = two.step(&x, &t, &mut Sgd::new(0.1)).unwrap();
    assert!(loss.is_finite());
}
