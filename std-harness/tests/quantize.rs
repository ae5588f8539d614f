//! `flambeau quantize` end to end on USPS: a briefly trained MLP keeps its
//! test accuracy in int8, the file it writes is the documented layout, and
//! bad settings are refused with their reason.

use std::path::{Path, PathBuf};

use flambeau::{QNetwork, QUANTIZATION_SCHEME, SafeTensors};
use flambeau_harness::console::Console;
use flambeau_harness::experiments::usps_mlp::{self, MlpLoss};
use flambeau_harness::experiments::{Ctx, Recipe, RunArgs};
use flambeau_harness::quantize::{self, Calibration, QMlp, QuantizeArgs};

fn ctx(out: &Path) -> Ctx {
    Ctx {
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        console: Console::new(true),
        max_epochs: None,
        out_root: out.to_path_buf(),
    }
}

fn args(model: PathBuf, out: PathBuf, calibration: Calibration) -> QuantizeArgs {
    QuantizeArgs {
        model,
        out,
        calibration,
        percentile: 99.99,
        arch: None,
        unit_pixels: false,
    }
}

#[test]
fn a_trained_mlp_keeps_its_accuracy_in_int8() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let run = RunArgs {
        epochs: Some(3),
        train_size: Some(2000),
        out: Some(dir.path().join("mlp")),
        ..RunArgs::of(Recipe::Best)
    };
    usps_mlp::run(&ctx, &run, MlpLoss::Ce).unwrap();
    let model = dir.path().join("mlp/model.safetensors");
    for calibration in [Calibration::Minmax, Calibration::Percentile] {
        let out = dir.path().join("int8.safetensors");
        let q = quantize::run(&ctx, &args(model.clone(), out.clone(), calibration)).unwrap();
        assert_eq!(q.images, 2007);
        assert!(q.f32_accuracy > 80.0, "{q:?}");
        assert!((q.int8_accuracy - q.f32_accuracy).abs() <= 0.5, "{q:?}");
        assert!(q.agree >= 1967, "{q:?}"); // 98 % of the test images
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(bytes.len(), q.file_bytes);
        let file = SafeTensors::parse(&bytes).unwrap();
        assert!(file.metadata_value("quantization").unwrap().eq_str(QUANTIZATION_SCHEME));
        assert!(
            file.metadata_value("architecture")
                .unwrap()
                .eq_str(quantize::arch::USPS_MLP)
        );
        assert_eq!(file.get("0.weight").unwrap().shape(), &[128, 256]);
        let (mut act, mut wide) = ([0i8; 300], [0i16; 256]);
        let net = QNetwork::<QMlp>::from_safetensors(&bytes, &mut act, &mut wide).unwrap();
        assert_eq!(net.to_string(), quantize::arch::USPS_MLP);
    }
}

#[test]
fn architectures_parse_and_bad_ones_are_named() {
    use quantize::arch::{Spec, parse};
    assert_eq!(
        parse("Linear(4,3) -> ReLU -> Linear(3,2) -> Sigmoid").unwrap(),
        [
            Spec::Linear { inputs: 4, outputs: 3 },
            Spec::ReLU,
            Spec::Linear { inputs: 3, outputs: 2 },
            Spec::Sigmoid
        ]
    );
    let e = parse("Linear(4,3) -> Conv9d").unwrap_err().to_string();
    assert!(e.contains("Conv9d"), "{e}");
    let e = parse("Linear(4,3) -> Linear(5,2)").unwrap_err().to_string();
    assert!(e.contains("Linear(5,2) follows a layer of 3 outputs"), "{e}");
}

#[test]
fn bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let missing = args(
        dir.path().join("none.safetensors"),
        dir.path().join("o"),
        Calibration::Minmax,
    );
    let e = quantize::run(&ctx, &missing).unwrap_err().to_string();
    assert!(e.contains("none.safetensors"), "{e}");
    let bad = QuantizeArgs {
        percentile: 20.0,
        ..missing
    };
    let e = quantize::run(&ctx, &bad).unwrap_err().to_string();
    assert!(e.contains("--percentile"), "{e}");
}

#[test]
fn cnn_architectures_parse_and_bad_ones_are_named() {
    use quantize::arch::{Spec, parse};
    let specs = parse("Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)").unwrap();
    assert_eq!(
        specs,
        [
            Spec::Conv1d {
                cin: 1,
                cout: 32,
                k: 3,
                stride: 1,
                length: 256
            },
            Spec::MaxPool1d {
                k: 2,
                stride: 2,
                channels: 32,
                length: 254
            },
            Spec::Flatten,
            Spec::Linear {
                inputs: 4064,
                outputs: 10
            }
        ]
    );
    let e = parse("Conv1d(1,32,k=3) -> Flatten -> Linear(100,10)")
        .unwrap_err()
        .to_string();
    assert!(e.contains("Linear(100,10) follows a layer of 8128 outputs"), "{e}");
    let e = parse("MaxPool1d(2,2) -> Flatten").unwrap_err().to_string();
    assert!(e.contains("needs a Conv1d before it"), "{e}");
    let e = parse("Conv1d(1,4,k=300)").unwrap_err().to_string();
    assert!(e.contains("does not fit an input of 256 positions"), "{e}");
    let e = parse("Conv1d(1,4,k=3) -> Conv1d(2,4,k=3)").unwrap_err().to_string();
    assert!(e.contains("follows a layer of 4 channels"), "{e}");
}

/// The `conv1d` experiment's small network, briefly trained, quantised with
/// both calibrations: the int8 model stays within a point of the f32 one,
/// agrees with it on nearly every test image, and the file loads into the
/// int8 chain the firmware runs.
#[test]
fn a_trained_1d_cnn_keeps_its_accuracy_in_int8() {
    use flambeau_harness::experiments::conv1d::{self, Arch};
    use flambeau_harness::quantize::cnn::{Cnn, QSmallNet};
    use quantize::arch::{F32Model, parse};
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let run = RunArgs {
        epochs: Some(2),
        train_size: Some(3000),
        out: Some(dir.path().join("cnn")),
        ..RunArgs::of(Recipe::Best)
    };
    conv1d::run(&ctx, &run, Some(Arch::Small)).unwrap();
    let model = dir.path().join("cnn/model.safetensors");
    let f32_bytes = std::fs::read(&model).unwrap();
    let arch = "Conv1d(1,32,k=3) -> MaxPool1d(2,2) -> Flatten -> Linear(4064,10)";

    // The quantiser's own f32 forward (what calibration sees) classifies as the core does.
    let (_, test_x, _) = quantize::pixels(&ctx, false).unwrap();
    let some = &test_x[..300 * 256];
    let file = SafeTensors::parse(&f32_bytes).unwrap();
    let f32_model = F32Model::read(&file, parse(arch).unwrap()).unwrap();
    let core = Cnn::Small.f32_classes(&f32_bytes, some).unwrap();
    for (i, (x, &c)) in some.chunks_exact(256).zip(&core).enumerate() {
        let out = f32_model.forward(x).pop().unwrap();
        let best = (0..10).fold(0, |b, j| if out[j] > out[b] { j } else { b });
        assert_eq!(best, c, "image {i}: {out:?}");
    }

    for calibration in [Calibration::Minmax, Calibration::Percentile] {
        let out = dir.path().join("cnn-int8.safetensors");
        let q = quantize::run(&ctx, &args(model.clone(), out.clone(), calibration)).unwrap();
        assert_eq!(q.images, 2007);
        assert!(q.f32_accuracy > 80.0, "{q:?}");
        assert!(
            (q.int8_accuracy - q.f32_accuracy).abs() <= 1.0,
            "{calibration:?}: {q:?}"
        );
        assert!(q.agree >= 1947, "{calibration:?}: {q:?}"); // 97 % of the test images
        let bytes = std::fs::read(&out).unwrap();
        let file = SafeTensors::parse(&bytes).unwrap();
        assert!(file.metadata_value("architecture").unwrap().eq_str(arch));
        assert!(file.metadata_value("input_shape").unwrap().eq_str("[256]"));
        assert_eq!(file.get("0.weight").unwrap().shape(), &[32, 1, 3]);
        assert_eq!(file.get("3.weight").unwrap().shape(), &[10, 4064]);
        assert!(file.get("1.weight").is_none(), "MaxPool1d has no tensors");
        let (mut act, mut wide) = (vec![0i8; 2 * 8128 + 10], vec![0i16; 4064]);
        let net = QNetwork::<QSmallNet>::from_safetensors(&bytes, &mut act, &mut wide).unwrap();
        assert_eq!(net.to_string(), arch);
        // The outputs the firmware compares with: 10 codes an image, their argmax the class.
        let r = Cnn::Small.int8_classes(&bytes, some).unwrap();
        assert_eq!(
            (r.outputs.len(), r.codes.len(), r.classes.len()),
            (3000, 300 * 256, 300)
        );
        for (o, &c) in r.outputs.chunks_exact(10).zip(&r.classes) {
            assert!(o.iter().all(|&v| v <= o[c]));
        }
    }
}
