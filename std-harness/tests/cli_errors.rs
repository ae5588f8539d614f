//! Bad input through the `flambeau` binary: each case ends with a clear
//! error naming the file, the record and the problem, exit code 1 (not a
//! panic's 101), and no output written.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use flate2::{Compression, write::GzEncoder};

fn flambeau(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(args)
        .env_remove("FLAMBEAU_DATA")
        .output()
        .unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn images(n: u32, side: u32) -> Vec<u8> {
    let mut out = 0x0803u32.to_be_bytes().to_vec();
    for d in [n, side, side] {
        out.extend(d.to_be_bytes());
    }
    out.extend((0..n * side * side).map(|i| (i % 251) as u8));
    out
}

fn labels(values: &[u8]) -> Vec<u8> {
    let mut out = 0x0801u32.to_be_bytes().to_vec();
    out.extend((values.len() as u32).to_be_bytes());
    out.extend(values);
    out
}

/// A USPS folder of 20 training and 10 test images, with `edit` applied to
/// the named file's bytes before writing.
fn usps(dir: &Path, edit: (&str, &dyn Fn(Vec<u8>) -> Vec<u8>)) {
    let usps = dir.join("usps");
    std::fs::create_dir_all(&usps).unwrap();
    let digits: Vec<u8> = (0..20).map(|i| i % 10).collect();
    let files = [
        ("usps-train-images-idx3-ubyte.gz", images(20, 16)),
        ("usps-train-labels-idx1-ubyte.gz", labels(&digits)),
        ("usps-t10k-images-idx3-ubyte.gz", images(10, 16)),
        ("usps-t10k-labels-idx1-ubyte.gz", labels(&digits[..10])),
    ];
    for (name, bytes) in files {
        let bytes = if name == edit.0 { edit.1(bytes) } else { bytes };
        std::fs::write(usps.join(name), gzip(&bytes)).unwrap();
    }
}

/// Runs `args` on `data`, expects a clean failure whose message contains
/// every one of `needles`, and checks that nothing was written.
fn fails(data: &Path, args: &[&str], needles: &[&str]) {
    let out_dir = data.join("out");
    let out_str = out_dir.to_str().unwrap();
    let mut all = vec!["--quiet", "--data", data.to_str().unwrap()];
    all.extend(args);
    all.extend(["--out", out_str]);
    let out = flambeau(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{args:?}: {needle:?} not in {stderr}");
    }
    assert!(!out_dir.exists(), "{args:?} wrote {}", out_dir.display());
}

#[test]
fn missing_data_path_names_the_file_and_where_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("no-such-folder");
    std::fs::create_dir_all(&data).unwrap();
    fails(
        &data,
        &["usps-mlp"],
        &["usps-train-images-idx3-ubyte.gz: not found", "FLAMBEAU_DATA"],
    );
    fails(&data, &["linreg"], &["insurance.csv: not found", "Medical Cost"]);
}

#[test]
fn truncated_images_file() {
    let dir = tempfile::tempdir().unwrap();
    usps(
        dir.path(),
        ("usps-train-images-idx3-ubyte.gz", &|mut b| {
            b.truncate(b.len() - 100);
            b
        }),
    );
    fails(
        dir.path(),
        &["usps-mlp"],
        &["usps-train-images-idx3-ubyte.gz", "truncated"],
    );
}

#[test]
fn wrong_magic_number() {
    let dir = tempfile::tempdir().unwrap();
    usps(
        dir.path(),
        ("usps-t10k-labels-idx1-ubyte.gz", &|mut b| {
            b[3] = 0x03;
            b
        }),
    );
    fails(
        dir.path(),
        &["conv1d"],
        &["usps-t10k-labels-idx1-ubyte.gz", "wrong magic number 0x00000803"],
    );
}

#[test]
fn wrong_image_size() {
    let dir = tempfile::tempdir().unwrap();
    usps(dir.path(), ("usps-train-images-idx3-ubyte.gz", &|_| images(20, 28)));
    fails(
        dir.path(),
        &["autoencoder"],
        &["usps-train-images-idx3-ubyte.gz", "images are 28x28, expected 16x16"],
    );
}

#[test]
fn label_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    usps(
        dir.path(),
        ("usps-train-labels-idx1-ubyte.gz", &|mut b| {
            b[8 + 7] = 12;
            b
        }),
    );
    fails(
        dir.path(),
        &["ae-vs-pca"],
        &[
            "usps-train-labels-idx1-ubyte.gz",
            "record 7: label 12 out of range for 10 classes",
        ],
    );
}

#[test]
fn corrupt_gzip() {
    let dir = tempfile::tempdir().unwrap();
    usps(dir.path(), ("usps-train-images-idx3-ubyte.gz", &|b| b));
    let path = dir.path().join("usps/usps-train-images-idx3-ubyte.gz");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(40);
    std::fs::write(&path, bytes).unwrap();
    fails(
        dir.path(),
        &["usps-mlp"],
        &["usps-train-images-idx3-ubyte.gz", "bad gzip data"],
    );
}

const HEADER: &str = "age,sex,bmi,children,smoker,region,charges\n";

fn insurance(dir: &Path, rows: &[&str]) {
    let folder = dir.join("insurance");
    std::fs::create_dir_all(&folder).unwrap();
    let good = "19,female,27.9,0,yes,southwest,16884.924\n18,male,33.77,1,no,southeast,1725.5523\n";
    let text = format!("{HEADER}{}{}", good.repeat(4), rows.join("\n"));
    std::fs::write(folder.join("insurance.csv"), text).unwrap();
}

#[test]
fn nan_and_non_numeric_csv_cells() {
    let dir = tempfile::tempdir().unwrap();
    insurance(dir.path(), &["33,male,NaN,3,no,northwest,4449.46"]);
    fails(dir.path(), &["linreg"], &["insurance.csv", "row 9", "\"bmi\"", "NaN"]);
    insurance(dir.path(), &["33,male,22.7,three,no,northwest,4449.46"]);
    fails(dir.path(), &["linreg"], &["insurance.csv", "row 9", "\"children\""]);
}

#[test]
fn truncated_csv_row() {
    let dir = tempfile::tempdir().unwrap();
    insurance(dir.path(), &["33,male,22.7"]);
    fails(
        dir.path(),
        &["linreg"],
        &["insurance.csv", "row 9", "3 cells, expected 7"],
    );
}

#[test]
fn out_of_range_settings_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        dir.path(),
        &["checkerboard", "--batch-size", "100000"],
        &["batch size: 100000 is not in 1..=128"],
    );
    fails(dir.path(), &["checkerboard", "--batch-size", "0"], &["batch size: 0"]);
    usps(dir.path(), ("none", &|b| b));
    fails(
        dir.path(),
        &["autoencoder", "--codes", "17"],
        &["code size: 17 is not one of"],
    );
}

/// A path with a newline and an escape character in its name is shown with
/// both escaped: the error stays one line, and no control byte reaches the
/// terminal.
#[test]
fn control_characters_in_a_path_are_escaped_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("two\nlines\u{1b}[31m.safetensors");
    let o = flambeau(&["inspect", model.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("two\\nlines\\u{1b}[31m.safetensors"), "{stderr}");
    assert!(!stderr.trim_end().contains(['\u{1b}', '\n']), "{stderr}");
}
