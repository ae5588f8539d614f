use super::*;
use flambeau::{BceLoss, CrossEntropyLoss, Linear, Sequential, Sigmoid, Tanh};

type Xor = Sequential<(Linear<2, 8>, Tanh, Linear<8, 1>, Sigmoid)>;

fn xor() -> (Vec<f32>, Vec<f32>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..40 {
        let (a, b) = ((i & 1) as f32, ((i >> 1) & 1) as f32);
        x.extend([a, b]);
        y.push(if (a > 0.5) != (b > 0.5) { 1.0 } else { 0.0 });
    }
    (x, y)
}

fn cfg(epochs: usize, batch: usize) -> TrainConfig {
    TrainConfig {
        name: "test".into(),
        epochs,
        lr: 0.05,
        batch,
        seed: 3,
        optim: Optim::Adam,
        schedule: Schedule::Constant,
        shift: None,
        frozen: None,
        metric: Metric::BinaryAccuracy,
        checkpoint: None,
        decay: WeightDecay::default(),
        running_train_scores: false,
    }
}

fn model() -> Xor {
    Sequential::new((Linear::new(), Tanh, Linear::new(), Sigmoid))
}

#[test]
fn learns_xor_with_a_partial_last_batch() {
    let (x, y) = xor();
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<Xor, BceLoss, 16>(model(), BceLoss, 3).unwrap();
    let split = Split { x: &x, y: &y };
    // 40 rows in batches of 16: the last batch has 8 rows.
    let history = fit(&mut net, (split, split), &cfg(150, 16), &ProgressBar::hidden()).unwrap();
    assert_eq!(history.records.len(), 150);
    let best = history.best().unwrap();
    assert_eq!(best.valid_score, 1.0, "{best:?}");
    // The selected parameters are the best epoch's: re-scoring gives its score.
    let again = evaluate(&mut net, &split, Metric::BinaryAccuracy).unwrap();
    assert_eq!(again.score, best.valid_score);
    assert!((again.loss - best.valid_loss).abs() < 1e-6);
}

#[test]
fn running_train_scores_keep_the_parameters_and_track_the_batches() {
    let (x, y) = xor();
    let split = Split { x: &x, y: &y };
    let mut runs = Vec::new();
    for running in [false, true] {
        let mut buffers = Buffers::new();
        let mut net = buffers.trainer::<Xor, BceLoss, 16>(model(), BceLoss, 3).unwrap();
        let config = TrainConfig {
            running_train_scores: running,
            ..cfg(40, 16)
        };
        let history = fit(&mut net, (split, split), &config, &ProgressBar::hidden()).unwrap();
        runs.push((net.graph().params().to_vec(), history));
    }
    let [(p0, h0), (p1, h1)] = &runs[..] else {
        unreachable!()
    };
    assert_eq!(p0, p1, "the same training whichever way it is scored");
    assert_eq!(h0.best_epoch, h1.best_epoch);
    let (first, last) = (&h1.records[0], &h1.records[39]);
    // the first epoch's batches are scored before their steps: worse than after the epoch
    assert!(first.train_loss > h0.records[0].train_loss, "{first:?}");
    assert!(last.train_loss < first.train_loss, "{last:?}");
    assert!((0.0..=1.0).contains(&last.train_score));
    assert!(
        h1.records
            .iter()
            .zip(&h0.records)
            .all(|(a, b)| a.valid_loss == b.valid_loss)
    );
}

#[test]
fn frozen_parameters_do_not_move() {
    let (x, y) = xor();
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<Xor, BceLoss, 8>(model(), BceLoss, 3).unwrap();
    let before = net.graph().params().to_vec();
    let frozen = 0..16; // the first layer's weight
    let config = TrainConfig {
        frozen: Some(frozen.clone()),
        ..cfg(5, 8)
    };
    fit(
        &mut net,
        (Split { x: &x, y: &y }, Split { x: &x, y: &y }),
        &config,
        &ProgressBar::hidden(),
    )
    .unwrap();
    let after = net.graph().params();
    assert_eq!(&after[frozen.clone()], &before[frozen]);
    assert_ne!(&after[16..], &before[16..]);
}

#[test]
fn weight_decay_shrinks_the_weights_and_leaves_biases_alone() {
    let (x, y) = xor();
    let split = Split { x: &x, y: &y };
    let norms = |decay: WeightDecay| {
        let mut buffers = Buffers::new();
        let mut net = buffers.trainer::<Xor, BceLoss, 8>(model(), BceLoss, 3).unwrap();
        let config = TrainConfig { decay, ..cfg(30, 8) };
        fit(&mut net, (split, split), &config, &ProgressBar::hidden()).unwrap();
        let p = net.graph().params();
        // Layer 0: weight 0..16, bias 16..24; layer 2: weight 24..32, bias 32.
        let weights: f32 = p[..16].iter().chain(&p[24..32]).map(|w| w * w).sum();
        (weights, p[16..24].to_vec())
    };
    let (free, _) = norms(WeightDecay::default());
    for decay in [WeightDecay::l2(0.1), WeightDecay::decoupled(0.5), WeightDecay::l1(0.05)] {
        let (held, _) = norms(decay);
        assert!(held < 0.8 * free, "{decay:?}: |w|² {held} against {free} without decay");
    }
}

#[test]
fn batch_larger_than_the_trainer_is_an_error() {
    let (x, y) = xor();
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<Xor, BceLoss, 8>(model(), BceLoss, 3).unwrap();
    let split = Split { x: &x, y: &y };
    let err = fit(&mut net, (split, split), &cfg(1, 9), &ProgressBar::hidden()).unwrap_err();
    assert!(err.to_string().contains("batch size: 9 is not in 1..=8"), "{err}");
    let empty = Split { x: &[], y: &[] };
    assert!(fit(&mut net, (split, empty), &cfg(1, 8), &ProgressBar::hidden()).is_err());
}

#[test]
fn shift_moves_pixels_and_fills_the_border() {
    let src: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let mut dst = vec![0.0; 9];
    shift_image(&mut dst, &src, (3, 3), (1, -1), 0.0);
    assert_eq!(dst, [0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 5.0, 6.0, 0.0]);
    shift_image(&mut dst, &src, (3, 3), (0, 0), 0.0);
    assert_eq!(dst, src);
}

#[test]
fn augmented_auto_encoder_targets_follow_their_inputs() {
    type Ae = Sequential<(Linear<4, 4>,)>;
    let x: Vec<f32> = (0..8).map(|v| v as f32).collect();
    let mut buffers = Buffers::new();
    let mut net = buffers
        .trainer::<Ae, CrossEntropyLoss, 2>(Sequential::new((Linear::new(),)), CrossEntropyLoss, 1)
        .unwrap();
    let shift = Shift {
        rows: 2,
        cols: 2,
        max: 1,
        fill: -1.0,
        targets_too: true,
        degrees: 0.0,
        scale: 0.0,
    };
    let split = Split { x: &x, y: &x };
    let mut rng = Rng::new(5);
    for _ in 0..20 {
        batch::load(&mut net, &split, &[0, 1], Some(&shift), &mut rng).unwrap();
        let inputs = net.input_mut().to_vec();
        assert_eq!(net.target_mut(), &inputs[..]);
    }
}

#[test]
fn cosine_schedule_ends_at_its_floor() {
    let s = Schedule::Cosine { floor: 0.1 };
    assert!((s.lr(1.0, 0, 11) - 1.0).abs() < 1e-12);
    assert!((s.lr(1.0, 10, 11) - 0.1).abs() < 1e-12);
    assert_eq!(Schedule::Constant.lr(0.3, 5, 10), 0.3);
}

/// Trains XOR with `optim` for 8 epochs, stopping after `stop` epochs and
/// resuming when given; returns the selected parameters' bits and the history.
fn xor_run(optim: Optim, dir: &std::path::Path, stop: Option<usize>, resume: bool) -> Result<(Vec<u32>, History)> {
    let (x, y) = xor();
    let mut buffers = Buffers::new();
    let mut net = buffers.trainer::<Xor, BceLoss, 16>(model(), BceLoss, 3)?;
    let split = Split { x: &x, y: &y };
    let file = dir.join(checkpoint::DIR).join("model.safetensors");
    let config = TrainConfig {
        optim,
        schedule: Schedule::Cosine { floor: 0.1 },
        checkpoint: Some(Checkpointing {
            file: file.clone(),
            resume: resume.then_some(file),
            stop_after: stop,
        }),
        ..cfg(8, 16)
    };
    let history = fit(&mut net, (split, split), &config, &ProgressBar::hidden())?;
    Ok((net.graph().params().iter().map(|p| p.to_bits()).collect(), history))
}

#[test]
fn a_resumed_run_ends_as_an_uninterrupted_one_with_each_optimiser() {
    for optim in [Optim::Sgd, Optim::Momentum { momentum: 0.9 }, Optim::Adam] {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (whole, whole_history) = xor_run(optim, a.path(), None, false).unwrap();
        let err = xor_run(optim, b.path(), Some(3), false).unwrap_err();
        assert!(err.to_string().contains("stopped after epoch 3"), "{err}");
        let (resumed, mut history) = xor_run(optim, b.path(), None, true).unwrap();
        assert_eq!(whole, resumed, "{optim:?}");
        history.seconds = whole_history.seconds;
        assert_eq!(whole_history, history, "{optim:?}");
        assert_eq!(history.records.len(), 8);
    }
}

#[test]
fn a_checkpoint_of_other_settings_is_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    xor_run(Optim::Sgd, dir.path(), Some(2), false).unwrap_err();
    let err = xor_run(Optim::Adam, dir.path(), None, true).unwrap_err().to_string();
    assert!(err.contains("optimizer Sgd, this run has Adam"), "{err}");
    assert!(err.contains("resume with the settings it was made with"), "{err}");
}
