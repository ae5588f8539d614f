//! Host side of the firmware demos (`embedded/`): the same routines the
//! Cortex-M firmware runs, from the shared `flambeau-demos` crate.
//!
//! The checkerboard test prints the hash of the trained weights' bit
//! patterns; `embedded/ci.sh` compares it with the hash the firmware prints
//! after training on the emulated Cortex-M4F and Cortex-M0 with the same seed.

use flambeau::{Adam, AdamConfig, Network, Node};
use flambeau_demos::checkerboard::{self as cb, Checkerboard, Config};
use flambeau_demos::usps::{self, Classifier, Images, InferFp, Mlp, PIXELS, TrainFp};
use flambeau_demos::{NoBench, bits_hash};

fn train_checkerboard(config: Config) -> cb::Outcome {
    let mut tape = [Node::EMPTY; cb::NODES];
    let mut arena = vec![0.0f32; cb::ARENA];
    let mut state = vec![0.0f32; cb::STATE];
    let mut demo = Checkerboard::<{ cb::HIDDEN }>::new(config, &mut tape, &mut arena, &mut state).unwrap();
    demo.run(&mut NoBench).unwrap()
}

#[test]
fn checkerboard_reaches_the_bar_and_prints_its_hash() {
    let outcome = train_checkerboard(Config::default());
    assert!(outcome.passes(), "{outcome:?}");
    assert!(outcome.last_loss < outcome.first_loss / 10.0, "{outcome:?}");
    // embedded/ci.sh reads this line and compares it with the firmware's `hash = ...`.
    println!("checkerboard host hash = {:#018x}", outcome.hash);
}

#[test]
fn checkerboard_training_is_deterministic() {
    let (a, b) = (
        train_checkerboard(Config::default()),
        train_checkerboard(Config::default()),
    );
    assert_eq!(a, b);
    let other = train_checkerboard(Config {
        seed: 1,
        ..Config::default()
    });
    assert_ne!(a.hash, other.hash);
}

#[test]
fn checkerboard_reaches_the_bar_for_other_seeds() {
    for seed in 1..=8 {
        let outcome = train_checkerboard(Config {
            seed,
            ..Config::default()
        });
        assert!(outcome.passes(), "seed {seed}: {outcome:?}");
    }
}

#[test]
fn checkerboard_state_fits_the_cortex_m0() {
    // 16 KiB of RAM hold the training state, the stack and the rest.
    let bytes = cb::Fp::<{ cb::HIDDEN }>::training_bytes(4, 2);
    assert!(bytes < 8 * 1024, "{bytes} bytes");
    assert_eq!(cb::STATE, 2 * cb::Fp::<{ cb::HIDDEN }>::PARAMS);
}

/// Synthetic digits: image `i` has label `i % 10` and a bright band whose place depends on it.
fn synthetic_images(n: usize) -> (Vec<u8>, Vec<u8>) {
    let labels: Vec<u8> = (0..n).map(|i| (i % usps::CLASSES) as u8).collect();
    let pixels = labels
        .iter()
        .enumerate()
        .flat_map(|(i, &l)| {
            (0..PIXELS).map(move |p| {
                let row = p / usps::SIDE;
                if row == usize::from(l) + 3 {
                    200 + (i % 50) as u8
                } else {
                    ((p * 7 + i) % 40) as u8
                }
            })
        })
        .collect();
    (pixels, labels)
}

#[test]
fn usps_predictions_from_flash_bytes_equal_those_from_ram() {
    const B: usize = 4;
    let (pixels, labels) = synthetic_images(40);
    let images = Images::new(&pixels, &labels).unwrap();
    let mut tape = vec![Node::EMPTY; TrainFp::<B>::NODES];
    let mut arena = vec![0.0f32; TrainFp::<B>::ARENA];
    let mut state = vec![0.0f32; TrainFp::<B>::optimizer_state(2)];
    let adam = Adam::new(AdamConfig::default(), &mut state);
    let mut clf = Classifier::<Mlp, _, B>::new(usps::mlp(), adam, 3, &mut tape, &mut arena).unwrap();
    for _ in 0..3 {
        clf.epoch(&images, &mut NoBench).unwrap();
    }
    let trained_correct = clf.evaluate(&images, &mut NoBench).unwrap();
    let graph = clf.trainer().graph();
    let mut bytes = vec![0u8; graph.safetensors_len()];
    graph.save_safetensors(&mut bytes).unwrap();
    let hash = bits_hash(graph.params());

    // The weights read in place from the bytes, as the firmware reads them from flash.
    let mut tape = [Node::EMPTY; InferFp::NODES];
    let mut arena = vec![0.0f32; InferFp::FLASH_ARENA];
    let mut net = Network::<f32, Mlp, 1>::from_safetensors(&usps::mlp(), &mut tape, &mut arena, &bytes).unwrap();
    let mut from_flash = vec![0u8; images.len()];
    let correct = usps::classify_all(&mut net, &images, &mut NoBench, |i, c| from_flash[i] = c).unwrap();
    assert_eq!(correct, trained_correct);
    assert!(correct > 30, "{correct}/40 after 3 epochs");

    // The same weights loaded into RAM give the same predictions.
    let mut tape = [Node::EMPTY; InferFp::NODES];
    let mut arena = vec![0.0f32; InferFp::ARENA];
    let mut net = Network::<f32, Mlp, 1>::new(&usps::mlp(), &mut tape, &mut arena).unwrap();
    net.graph_mut().load_safetensors(&bytes).unwrap();
    assert_eq!(bits_hash(net.graph().params()), hash);
    let mut from_ram = vec![0u8; images.len()];
    usps::classify_all(&mut net, &images, &mut NoBench, |i, c| from_ram[i] = c).unwrap();
    assert_eq!(from_flash, from_ram);
}

#[test]
fn usps_training_state_of_the_cortex_m4f_demo() {
    // What usps_train reports as the RAM it needs: arena and tape, no optimiser state (SGD).
    type Fp = TrainFp<{ usps::CHIP_BATCH }>;
    let bytes = Fp::training_bytes(4, 0);
    assert_eq!(Fp::ARENA, 2 * (Fp::PARAMS + Fp::VALUES));
    assert!(bytes < 512 * 1024 - 16 * 1024, "{bytes} bytes");
}
