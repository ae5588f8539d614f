//! `usps-mlp --dropout`: the model file keeps PyTorch's `nn.Sequential`
//! names with the dropout positions counted, loads for prediction (dropout
//! is the identity there), and bad probabilities are refused.

use std::path::Path;

use flambeau::Strictness;
use flambeau_harness::console::Console;
use flambeau_harness::experiments::usps_mlp::{self, MlpLoss};
use flambeau_harness::experiments::{Ctx, Recipe, RunArgs};
use flambeau_harness::model::commands::{self, ModelArgs};
use flambeau_harness::model::{ModelFile, zoo};

fn ctx(out: &Path) -> Ctx {
    Ctx {
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        console: Console::new(true),
        max_epochs: None,
        out_root: out.to_path_buf(),
    }
}

#[test]
fn a_dropout_mlp_trains_saves_pytorch_names_and_predicts() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let args = RunArgs {
        epochs: Some(2),
        train_size: Some(600),
        out: Some(dir.path().join("drop")),
        ..RunArgs::of(Recipe::Best)
    };
    let written = match usps_mlp::run_dropout(&ctx, &args, MlpLoss::Ce, Some(0.3)) {
        Err(flambeau_harness::error::Error::Data(e)) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {e}");
            return;
        }
        other => other.unwrap(),
    };
    let run = &written.runs[0];
    assert!(
        run.model.contains("Tanh -> Dropout(p=0.3) -> Linear(128,64)"),
        "{}",
        run.model
    );
    assert!(run.command.contains("--dropout 0.3"), "{}", run.command);
    assert!(run.score.valid > 0.5, "{:?}", run.score);
    let file = ModelFile::open(&dir.path().join("drop/model.safetensors")).unwrap();
    let mut names: Vec<String> = Vec::new();
    file.tensors().unwrap().for_each(|_, key, _| {
        names.push(key.raw().to_owned());
        true
    });
    names.sort();
    assert_eq!(
        names,
        ["0.bias", "0.weight", "3.bias", "3.weight", "6.bias", "6.weight"]
    );
    // Prediction runs without dropout: twice the same answer, the run's test accuracy.
    let net = zoo::load(file, None, Strictness::Strict).unwrap();
    let x = vec![0.25f32; 2 * 256];
    let (a, b) = (net.predict(&x).unwrap(), net.predict(&x).unwrap());
    assert_eq!(a, b);
    assert_eq!(a[..10], a[10..]);

    // The firmware leaves dropout out: a plain MLP type, tensors renumbered.
    let model = ModelArgs {
        model: dir.path().join("drop/model.safetensors"),
        arch: None,
        non_strict: false,
    };
    let firmware = dir.path().join("firmware");
    commands::export(&model, &firmware, 4, 1, None, &Console::new(true)).unwrap();
    let rs = std::fs::read_to_string(firmware.join("model.rs")).unwrap();
    assert!(!rs.contains("Dropout"), "{rs}");
    assert!(
        rs.contains("Linear<256, 128>, Tanh, Linear<128, 64>, Tanh, Linear<64, 10>"),
        "{rs}"
    );
    let bytes = std::fs::read(firmware.join("weights.safetensors")).unwrap();
    let st = flambeau::SafeTensors::parse(&bytes).unwrap();
    assert_eq!(st.get("2.weight").unwrap().shape(), [64, 128]);
    assert_eq!(st.get("4.bias").unwrap().shape(), [10]);
}

#[test]
fn bad_dropout_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let args = RunArgs {
        out: Some(dir.path().join("d")),
        ..RunArgs::of(Recipe::Report)
    };
    for (loss, p, needle) in [
        (MlpLoss::Ce, 1.0, "1 is not a probability in [0, 0.99]"),
        (MlpLoss::Ce, -0.5, "-0.5 is not a probability"),
        (MlpLoss::Mse, 0.2, "is for the cross-entropy MLP"),
    ] {
        let err = usps_mlp::run_dropout(&ctx, &args, loss, Some(p))
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err}");
    }
    assert!(!dir.path().join("d").exists());
}
