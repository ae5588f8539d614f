//! Errors that name their cause, through the `flambeau` binary: flags out
//! of range, data too small to split, unknown category levels and missing
//! columns, NUL bytes, and a closed standard output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn flambeau(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .arg("--quiet")
        .arg("--data")
        .arg(data)
        .args(args)
        .args(["--out"])
        .arg(data.join("out"))
        .env_remove("FLAMBEAU_DATA")
        .output()
        .unwrap()
}

/// Expects exit status `code`, every needle in standard error, no panic
/// and nothing written.
fn fails(data: &Path, args: &[&str], code: i32, needles: &[&str]) {
    let out = flambeau(data, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{args:?}: {needle:?} not in {stderr}");
    }
    assert!(!data.join("out").exists());
}

fn insurance(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join("insurance")).unwrap();
    std::fs::write(dir.join("insurance/insurance.csv"), text).unwrap();
}

/// `n` rows of the public table's form.
fn rows(n: usize) -> String {
    let regions = ["northeast", "northwest", "southeast", "southwest"];
    let mut text = "age,sex,bmi,children,smoker,region,charges\n".to_owned();
    for i in 0..n {
        let sex = ["female", "male"][i % 2];
        let smoker = ["no", "yes"][i / 2 % 2];
        text.push_str(&format!(
            "{},{sex},{}.5,{},{smoker},{},{}.25\n",
            18 + i % 40,
            20 + i % 15,
            i % 4,
            regions[i % 4],
            1000 + 37 * i
        ));
    }
    text
}

#[test]
fn flags_out_of_range_are_range_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fails(
        d,
        &["gaussians", "--lr", "-1"],
        1,
        &["learning rate: -1 is not a positive number"],
    );
    fails(
        d,
        &["gaussians", "--lr", "1e39"],
        1,
        &["learning rate: 1e39 is above the largest f32"],
    );
    fails(
        d,
        &["gaussians", "--epochs", "-3"],
        2,
        &["'--epochs <EPOCHS>': \"-3\" is negative; give a whole number"],
    );
    fails(
        d,
        &["gaussians", "--batch-size", "2.5"],
        2,
        &["\"2.5\" is not a whole number"],
    );
    fails(
        d,
        &["gaussians", "--seed", "99999999999999999999999"],
        2,
        &["is too large"],
    );
    fails(
        d,
        &["report", "--jobs", "0"],
        1,
        &["--jobs: 0 experiments at a time cannot run anything"],
    );
    fails(
        d,
        &["report", "--max-epochs", "0"],
        1,
        &["--max-epochs: must be at least 1"],
    );
}

#[test]
fn a_data_path_that_is_a_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.csv");
    std::fs::write(&file, "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(["--quiet", "--data"])
        .arg(&file)
        .args(["linreg", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("data.csv is a file, not a folder (check --data)"),
        "{stderr}"
    );
}

#[test]
fn a_table_too_small_to_split_says_how_many_are_needed() {
    let dir = tempfile::tempdir().unwrap();
    insurance(dir.path(), &rows(3));
    fails(
        dir.path(),
        &["linreg"],
        1,
        &[
            "insurance.csv: 3 records are too few to split (training 1, validation 0, test 2): the validation split is empty; at least 5 records are needed",
        ],
    );
}

#[test]
fn unknown_levels_missing_columns_and_nul_bytes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = rows(40);
    insurance(d, &good.replacen("northwest", "mars", 1));
    fails(d, &["linreg"], 1, &["unknown column or category level region=mars"]);
    let no_region: String = good
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            format!("{}\n", [&cells[..5], &cells[6..]].concat().join(","))
        })
        .collect();
    insurance(d, &no_region);
    fails(d, &["linreg"], 1, &["missing column region (expected age, sex=male"]);
    insurance(d, &good.replacen("\n18,", "\nnine\0teen,", 1));
    fails(
        d,
        &["linreg"],
        1,
        &["row 1 (line 2), column \"age\": \"nine\\0teen\" is not a number"],
    );
}

#[test]
fn a_closed_standard_output_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(["--quiet", "gaussians", "--out"])
        .arg(dir.path().join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(dir.path().join("out/results.json").is_file());
    let _ = std::io::stderr().flush();
}

/// A USPS folder of `n` training and 10 test images, IDX and gzip.
fn usps(dir: &Path, n: u32) {
    use flate2::{Compression, write::GzEncoder};
    let gz = |bytes: Vec<u8>| {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(&bytes).unwrap();
        enc.finish().unwrap()
    };
    let images = |n: u32| {
        let mut out = 0x0803u32.to_be_bytes().to_vec();
        [n, 16, 16].iter().for_each(|d| out.extend(d.to_be_bytes()));
        out.extend((0..n * 256).map(|i| (i * 7 % 256) as u8));
        out
    };
    let labels = |n: u32| {
        let mut out = 0x0801u32.to_be_bytes().to_vec();
        out.extend(n.to_be_bytes());
        out.extend((0..n).map(|i| (i % 10) as u8));
        out
    };
    let usps = dir.join("usps");
    std::fs::create_dir_all(&usps).unwrap();
    for (split, count) in [("train", n), ("t10k", 10)] {
        std::fs::write(
            usps.join(format!("usps-{split}-images-idx3-ubyte.gz")),
            gz(images(count)),
        )
        .unwrap();
        std::fs::write(
            usps.join(format!("usps-{split}-labels-idx1-ubyte.gz")),
            gz(labels(count)),
        )
        .unwrap();
    }
}

#[test]
fn usps_sets_too_small_for_a_split_or_a_train_size_say_so() {
    let dir = tempfile::tempdir().unwrap();
    usps(dir.path(), 3);
    fails(
        dir.path(),
        &["usps-mlp", "--epochs", "1"],
        1,
        &[
            "3 records are too few to split (training 3, validation 0): the validation split is empty; at least 10 records are needed",
        ],
    );
    usps(dir.path(), 40);
    fails(
        dir.path(),
        &["usps-mlp", "--epochs", "1", "--train-size", "100"],
        1,
        &[
            "--train-size: 100 training images asked for, but the training split holds 36 (40 images in the training file, 4 held out",
        ],
    );
}

#[test]
fn the_auto_encoder_lists_every_file_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    usps(dir.path(), 40);
    let out = flambeau(dir.path(), &["autoencoder", "--epochs", "1", "--codes", "16"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/results.json")).unwrap()).unwrap();
    let mut listed: Vec<String> = results["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_owned())
        })
        .collect();
    listed.push("results.json".to_owned());
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    present.sort();
    assert_eq!(listed, present);
    assert!(present.contains(&"model-16.safetensors".to_owned()));
}
