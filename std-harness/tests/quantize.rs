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
