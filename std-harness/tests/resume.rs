//! `--resume DIR`: a run stopped after an epoch (by the test setting
//! `FLAMBEAU_STOP_AFTER_EPOCH`, as a kill would stop it, but at a known
//! epoch) and resumed ends with the same files, byte for byte, as the run
//! that never stopped; a missing, completed, corrupt, foreign or
//! mismatched checkpoint is refused with a clear error and nothing written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STOP: &str = "FLAMBEAU_STOP_AFTER_EPOCH";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

fn flambeau(args: &[&str], stop: Option<usize>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flambeau"));
    cmd.arg("--quiet")
        .arg("--data")
        .arg(data())
        .args(args)
        .env_remove("FLAMBEAU_DATA")
        .env_remove(STOP);
    if let Some(k) = stop {
        cmd.env(STOP, k.to_string());
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn with_out<'a>(args: &[&'a str], out: &'a Path) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend(["--out", out.to_str().unwrap()]);
    v
}

/// Every file under `dir` (relative path → bytes).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// `results.json` without what differs between any two runs (wall-clock
/// seconds, the folder).
fn results(bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v.as_object_mut().unwrap().remove("dir");
    for run in v["runs"].as_array_mut().unwrap() {
        run.as_object_mut().unwrap().remove("seconds");
    }
    v
}

/// Runs `args` whole into one folder, and stopped after epoch `k` then
/// resumed into another; the two folders must hold the same files.
fn resumed_equals_uninterrupted(args: &[&str], k: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let o = flambeau(&with_out(args, &a), None);
    assert!(o.status.success(), "{}", text(&o));

    let o = flambeau(&with_out(args, &b), Some(k));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains(&format!("stopped after epoch {k}")), "{}", text(&o));
    assert!(!b.join("results.json").exists());
    let left = files(&b);
    assert!(
        !left.is_empty() && left.keys().all(|f| f.starts_with("checkpoint/")),
        "{:?}",
        left.keys()
    );

    let mut resume = args.to_vec();
    resume.extend(["--resume", b.to_str().unwrap()]);
    let o = flambeau(&resume, None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!b.join("checkpoint").exists(), "a completed run keeps no checkpoint");

    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        if name == "results.json" {
            assert_eq!(results(bytes), results(&fb[name]));
        } else {
            assert!(
                *bytes == fb[name],
                "{name} differs between the whole and the resumed run"
            );
        }
    }
    assert!(fa.keys().any(|f| f.ends_with(".safetensors")));
}

#[test]
fn checkerboard_sgd_resumes_bit_identically() {
    resumed_equals_uninterrupted(&["checkerboard", "--epochs", "6"], 2);
}

#[test]
fn usps_mlp_adam_with_augmentation_resumes_bit_identically() {
    resumed_equals_uninterrupted(
        &["usps-mlp", "--recipe", "best", "--epochs", "3", "--train-size", "300"],
        1,
    );
}

#[test]
fn usps_mlp_with_dropout_and_weight_decay_resumes_bit_identically() {
    // The dropout masks' generator and the decay are part of the state.
    resumed_equals_uninterrupted(
        &[
            "usps-mlp",
            "--recipe",
            "best",
            "--dropout",
            "0.2",
            "--weight-decay",
            "1e-2",
            "--decay",
            "adamw",
            "--epochs",
            "3",
            "--train-size",
            "300",
        ],
        1,
    );
}

#[test]
fn usps_mlp_sgd_mse_resumes_bit_identically() {
    resumed_equals_uninterrupted(
        &["usps-mlp", "--loss", "mse", "--epochs", "3", "--train-size", "200"],
        2,
    );
}

#[test]
fn conv1d_resumes_bit_identically() {
    resumed_equals_uninterrupted(
        &[
            "conv1d",
            "--recipe",
            "best",
            "--arch",
            "small",
            "--epochs",
            "2",
            "--train-size",
            "200",
        ],
        1,
    );
}

#[test]
fn autoencoder_of_two_code_sizes_resumes_bit_identically() {
    // The first model stops after epoch 1; the second has no checkpoint yet and starts afresh.
    resumed_equals_uninterrupted(
        &[
            "autoencoder",
            "--recipe",
            "best",
            "--epochs",
            "2",
            "--train-size",
            "200",
            "--codes",
            "8,16",
        ],
        1,
    );
}

/// Resuming `dir` with `extra` flags fails saying `needle` and leaves `dir` as it was.
fn refused(dir: &Path, extra: &[&str], needle: &str) {
    let before = dir.exists().then(|| files(dir));
    let mut args = vec!["checkerboard", "--epochs", "6", "--resume", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = flambeau(&args, None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains(needle), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    assert_eq!(dir.exists().then(|| files(dir)), before, "the folder changed");
}

#[test]
fn bad_checkpoints_are_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (done, stopped) = (tmp.path().join("done"), tmp.path().join("stopped"));
    refused(&tmp.path().join("nowhere"), &[], "no checkpoint");
    assert!(!tmp.path().join("nowhere").exists());

    let o = flambeau(&with_out(&["checkerboard", "--epochs", "6"], &done), None);
    assert!(o.status.success(), "{}", text(&o));
    refused(&done, &[], "the run there completed");

    let o = flambeau(&with_out(&["checkerboard", "--epochs", "6"], &stopped), Some(3));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    refused(&stopped, &["--lr", "0.2"], "lr 0.1, this run has 0.2");
    refused(&stopped, &["--seed", "5"], "seed 1, this run has 5");
    refused(&stopped, &["--weight-decay", "0.01"], "decay");
    let o = flambeau(&["checkerboard", "--resume", "x", "--init-from", "y.safetensors"], None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot be used with"), "{}", text(&o));
    refused_linreg(&stopped);

    let file = stopped.join("checkpoint/model.safetensors");
    let good = std::fs::read(&file).unwrap();
    std::fs::write(&file, &good[..good.len() / 2]).unwrap();
    refused(&stopped, &[], "not a whole checkpoint");
    std::fs::write(&file, std::fs::read(done.join("model.safetensors")).unwrap()).unwrap();
    refused(&stopped, &[], "not a flambeau checkpoint");

    // A fresh run into a folder holding only a checkpoint replaces it, and says so
    // on standard error, naming the folder and how to continue it instead.
    std::fs::write(&file, &good).unwrap();
    let o = flambeau(&with_out(&["checkerboard", "--epochs", "6"], &stopped), None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!stopped.join("checkpoint").exists());
    let err = String::from_utf8_lossy(&o.stderr);
    let shown = stopped.display().to_string();
    assert!(err.contains("holds the checkpoint of an interrupted run"), "{err}");
    assert!(err.contains(&format!("--resume {shown}")), "{err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("interrupted"));
    // A run into a folder without a checkpoint says nothing of the kind.
    let o = flambeau(&with_out(&["checkerboard", "--epochs", "6"], &stopped), None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("interrupted run"), "{}", text(&o));
}

fn refused_linreg(dir: &Path) {
    let o = flambeau(&["linreg", "--resume", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("keeps no checkpoint"), "{}", text(&o));
}
