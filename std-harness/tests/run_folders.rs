//! Run folders through the `flambeau` binary: the output is checked before
//! training, a folder is one run's whole set, concurrent runs do not mix,
//! a diverged run says so, and a partial report does not replace a whole one.

use std::path::Path;
use std::process::{Command, Output};

fn flambeau(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .current_dir(dir)
        .arg("--quiet")
        .args(args)
        .env_remove("FLAMBEAU_DATA")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Fails at once (an epoch count that would take minutes is never started)
/// with a message containing `needle`, exit status 1, and writes nothing.
fn refused_at_start(out: &str, needle: &str) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("file"), "not a folder").unwrap();
    let docs = tmp.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("notes.txt"), "mine").unwrap();
    let before = listing(tmp.path());
    let start = std::time::Instant::now();
    let result = flambeau(tmp.path(), &["checkerboard", "--epochs", "1000000", "--out", out]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains(needle), "{needle:?} not in {err}");
    assert!(start.elapsed().as_secs() < 60, "the check came after training");
    assert_eq!(listing(tmp.path()), before);
    assert_eq!(listing(&docs), ["notes.txt"]);
}

#[test]
fn an_unusable_out_is_refused_before_training() {
    refused_at_start("file", "file: exists and is not a folder");
    refused_at_start("file/run", "file/run: is under file, which is a file, not a folder");
    refused_at_start("docs", "docs: is a folder that holds no results.json");
    refused_at_start(".", "name a folder of its own");
}

#[test]
fn a_diverged_run_is_written_flagged_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let result = flambeau(tmp.path(), &["gaussians", "--lr", "1e30", "--out", "g"]);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(
        err.contains("gaussians: training diverged (epoch 1: mean loss"),
        "{err}"
    );
    assert!(err.contains("lower the learning rate"), "{err}");
    let run = &json(&tmp.path().join("g/results.json"))["runs"][0];
    assert_eq!(run["diverged"], true);
    assert!(run["divergence"].as_str().unwrap().contains("above the bound"));
    let sane = flambeau(tmp.path(), &["gaussians", "--out", "g"]);
    assert!(sane.status.success(), "{}", stderr(&sane));
    let results = json(&tmp.path().join("g/results.json"));
    assert_eq!(results["runs"][0]["diverged"], false);
    // the summation order the binary was built with, so a reader knows which bits to expect
    let order = if cfg!(feature = "fma") {
        "fused multiply-add"
    } else {
        "multiply then add"
    };
    assert!(results["summation"].as_str().unwrap().starts_with(order), "{results}");
}

#[test]
fn a_rerun_replaces_the_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(flambeau(tmp.path(), &["gaussians", "--out", "run"]).status.success());
    std::fs::write(tmp.path().join("run/extra.txt"), "from an older version").unwrap();
    std::fs::write(tmp.path().join("run/.curves.csv.tmp-4242"), "left by a kill").unwrap();
    assert!(flambeau(tmp.path(), &["gaussians", "--out", "run"]).status.success());
    let results = json(&tmp.path().join("run/results.json"));
    let mut files: Vec<String> = results["runs"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    files.push("results.json".to_owned());
    files.sort();
    assert_eq!(listing(&tmp.path().join("run")), files);
    assert_eq!(listing(tmp.path()), ["run"]);
}

#[test]
fn concurrent_runs_into_one_out_leave_one_complete_set() {
    let tmp = tempfile::tempdir().unwrap();
    // Three processes at once:
    let spawned: Vec<_> = (1..=3)
        .map(|seed| {
            Command::new(env!("CARGO_BIN_EXE_flambeau"))
                .current_dir(tmp.path())
                .args(["--quiet", "checkerboard", "--epochs", "20", "--out", "same"])
                .args(["--seed", &seed.to_string()])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in spawned {
        assert!(child.wait().unwrap().success());
    }
    let dir = tmp.path().join("same");
    let results = json(&dir.join("results.json"));
    let command = results["runs"][0]["command"].as_str().unwrap().to_owned();
    let seed = command
        .split("--seed ")
        .nth(1)
        .map_or("1", |s| s.split(' ').next().unwrap());
    let csv = std::fs::read_to_string(dir.join("curves.csv")).unwrap();
    assert_eq!(csv.lines().count(), 21, "{csv}");
    // The curves are those of the run whose results.json is there.
    let alone = flambeau(
        tmp.path(),
        &["checkerboard", "--epochs", "20", "--seed", seed, "--out", "alone"],
    );
    assert!(alone.status.success());
    assert_eq!(
        std::fs::read(dir.join("model.safetensors")).unwrap(),
        std::fs::read(tmp.path().join("alone/model.safetensors")).unwrap()
    );
    assert_eq!(listing(tmp.path()), ["alone", "same"], "no temporaries left");
}

#[test]
fn a_partial_report_does_not_replace_a_previous_one_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let args = [
        "--data",
        "data",
        "report",
        "--recipes",
        "report",
        "--max-epochs",
        "1",
        "--out",
        "rep",
    ];
    let first = flambeau(tmp.path(), &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let dir = &json(&tmp.path().join("rep/gaussians/report/results.json"))["dir"];
    assert_eq!(dir, "rep/gaussians/report", "the final place, not the staging folder's");
    std::fs::write(tmp.path().join("rep/report.md"), "the previous, whole report").unwrap();
    let second = flambeau(tmp.path(), &args);
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("experiments were skipped (above); the previous report in rep is kept"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&second.stdout).contains("not found"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("rep/report.md")).unwrap(),
        "the previous, whole report"
    );
    let forced = flambeau(tmp.path(), &[&args[..], &["--force"]].concat());
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(
        std::fs::read_to_string(tmp.path().join("rep/report.md"))
            .unwrap()
            .contains("## Not run")
    );
    assert_eq!(listing(tmp.path()), ["data", "rep"], "no temporaries left");
}
