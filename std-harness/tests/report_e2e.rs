//! `flambeau report` end to end, at two epochs per run: on the real data
//! (`../shared/data`, or `FLAMBEAU_DATA`), and on an empty data folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Lowest test accuracy accepted for the best MLP recipe after two epochs
/// (it reaches about 90 %; the full recipe passes 95 %).
const MLP_FLOOR: f64 = 0.85;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FLAMBEAU_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    dir.join("usps").is_dir().then_some(dir)
}

fn report(data: &Path, out: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(["--quiet", "--data"])
        .arg(data)
        .args(["report", "--max-epochs", "2", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "report failed:\n{stderr}\n{stdout}");
    stdout
}

/// Every picture the report links to exists and is a PNG.
fn check_pictures(out: &Path, md: &str) -> usize {
    let links: Vec<&str> = md.split("](").skip(1).filter_map(|s| s.split(')').next()).collect();
    for link in &links {
        let bytes = std::fs::read(out.join(link)).unwrap_or_else(|e| panic!("{link}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{link} is not a PNG");
    }
    links.len()
}

/// No temporary file was left anywhere under `dir`.
fn no_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "temporary file left: {}", path.display());
        if path.is_dir() {
            no_temporaries(&path);
        }
    }
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn report_on_the_real_data() {
    let Some(data) = data_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have the data in ../shared/data"
        );
        eprintln!("skipped: no USPS data in ../shared/data (set FLAMBEAU_DATA)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    report(&data, &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for section in [
        "## Results",
        "## Targets",
        "linreg",
        "gaussians",
        "checkerboard",
        "usps-mlp-mse",
        "usps-mlp-ce",
    ] {
        assert!(md.contains(section), "report.md lacks {section}");
    }
    for section in [
        "autoencoder",
        "ae-vs-pca",
        "conv1d-report",
        "conv1d-small",
        "conv1d-deep",
    ] {
        assert!(md.contains(section), "report.md lacks {section}");
    }
    assert!(!md.contains("## Not run"), "something was skipped:\n{md}");
    // Curves and confusion matrices for USPS, boundaries, reconstructions.
    assert!(check_pictures(&out, &md) >= 40);
    for file in [
        "usps-mlp-ce/best/confusion.png",
        "checkerboard/report/boundary.png",
        "gaussians/best/boundary.png",
        "autoencoder/best/reconstructions-16.png",
        "ae-vs-pca/report/reconstructions-32.png",
        "linreg/best/curves.csv",
        "conv1d-deep/best/model.safetensors",
        "conv2d/best/confusion.png",
        "search-checkerboard/best/search.png",
        "search-checkerboard/best/recipe.json",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    no_temporaries(&out);
    let mlp = json(&out.join("usps-mlp-ce/best/results.json"));
    let run = &mlp["runs"][0];
    let test = run["score"]["test"].as_f64().unwrap();
    assert!(test >= MLP_FLOOR, "MLP test accuracy {test} below {MLP_FLOOR}");
    assert_eq!(run["epochs"], 2);
    let csv = std::fs::read_to_string(out.join("usps-mlp-ce/best/curves.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(run["pearson_loss"].is_number() || run["pearson_loss"].is_null());
    let all = json(&out.join("results.json"));
    assert_eq!(
        all.as_array().unwrap().len(),
        20,
        "one entry per experiment and recipe, and the search"
    );
}

#[test]
fn report_without_data_runs_what_it_can_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, out) = (tmp.path().join("data"), tmp.path().join("report"));
    std::fs::create_dir_all(&data).unwrap();
    let stdout = report(&data, &out);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("## Not run"), "{md}");
    assert!(md.contains("usps-train-images-idx3-ubyte.gz: not found"), "{md}");
    assert!(md.contains("insurance.csv: not found"), "{md}");
    assert!(stdout.contains("skipped"), "{stdout}");
    for dir in [
        "gaussians/report",
        "gaussians/best",
        "checkerboard/report",
        "checkerboard/best",
    ] {
        assert!(out.join(dir).join("boundary.png").is_file(), "{dir}");
        assert!(out.join(dir).join("results.json").is_file(), "{dir}");
    }
    assert!(out.join("search-checkerboard/best/trials.csv").is_file());
    assert!(!out.join("usps-mlp-ce").exists());
    check_pictures(&out, &md);
    no_temporaries(&out);
}
