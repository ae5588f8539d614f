//! `flambeau search` on a tiny budget: it is deterministic for a seed,
//! writes its whole folder, the recipe it writes reproduces the chosen
//! trial, and a bad search space is refused before anything runs.

use std::path::Path;
use std::process::Command;

use flambeau_harness::console::Console;
use flambeau_harness::experiments::{Ctx, Recipe, RunArgs, checkerboard, resolve};
use flambeau_harness::search::{self, SearchArgs, Target};

fn ctx(out: &Path) -> Ctx {
    Ctx {
        data: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
        console: Console::new(true),
        max_epochs: None,
        out_root: out.to_path_buf(),
    }
}

fn tiny(out: &Path) -> SearchArgs {
    SearchArgs {
        trials: 4,
        min_epochs: 1,
        max_epochs: Some(4),
        eta: 2,
        recipe: Recipe::Report,
        decays: vec![
            flambeau_harness::experiments::Decay::L2,
            flambeau_harness::experiments::Decay::L1,
        ],
        ..SearchArgs::of(Target::Checkerboard, Some(out.to_path_buf()))
    }
}

/// The trials table without its timing column.
fn table(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("trials.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let seconds = header.iter().position(|h| *h == "seconds").unwrap();
    text.lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(seconds);
            cells.join(",")
        })
        .collect()
}

#[test]
fn a_tiny_search_is_deterministic_and_writes_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let first = search::run(
        &ctx,
        &SearchArgs {
            jobs: Some(2),
            ..tiny(&a)
        },
    )
    .unwrap();
    let second = search::run(
        &ctx,
        &SearchArgs {
            jobs: Some(1),
            ..tiny(&b)
        },
    )
    .unwrap();
    // Rungs 4x1, 2x2, 1x4 epochs: seven runs, the same on one thread or two.
    let rows = table(&a);
    assert_eq!(rows.len(), 1 + 7, "{rows:?}");
    assert_eq!(rows, table(&b));
    assert_eq!(first.runs[0].score, second.runs[0].score);
    for file in [
        "results.json",
        "trials.md",
        "trials.csv",
        "search.png",
        "recipe.json",
        "model.safetensors",
        "curves.png",
    ] {
        assert!(a.join(file).is_file(), "{file} missing");
    }
    let chosen = rows.iter().filter(|r| r.ends_with(",true")).count();
    assert_eq!(chosen, 1, "{rows:?}");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["experiment"], "search-checkerboard");
    assert_eq!(results["trials"].as_array().unwrap().len(), 7);
    // The recipe's path as it can be pasted, with its folder.
    let reuse = first.notes.iter().find(|n| n.starts_with("reuse it:")).unwrap();
    let recipe = a.join("recipe.json");
    assert!(
        reuse.ends_with(&format!(" --recipe-file {}", recipe.display())),
        "{reuse}"
    );

    // The recipe file reproduces the chosen trial: same flags, same scores.
    let args = RunArgs {
        recipe_file: Some(a.join("recipe.json")),
        out: Some(dir.path().join("again")),
        ..RunArgs::of(Recipe::Report)
    };
    let again = checkerboard::run(&ctx, &resolve(&args, "checkerboard").unwrap()).unwrap();
    assert_eq!(again.runs[0].score, first.runs[0].score);
    assert!(resolve(&args, "gaussians").is_err());
}

#[test]
fn a_bad_search_space_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let ctx = ctx(dir.path());
    let cases: [(SearchArgs, &str); 5] = [
        (
            SearchArgs {
                lr: "0.1..0.001".into(),
                ..tiny(&out)
            },
            "is empty",
        ),
        (
            SearchArgs {
                lr: "fast".into(),
                ..tiny(&out)
            },
            "\"fast\" is not a number",
        ),
        (
            SearchArgs {
                batch_sizes: vec![16, 1000],
                ..tiny(&out)
            },
            "1000 is not in 1..=128",
        ),
        (
            SearchArgs {
                weight_decay: "-1".into(),
                ..tiny(&out)
            },
            "not a positive number",
        ),
        (SearchArgs { eta: 1, ..tiny(&out) }, "--eta"),
    ];
    for (args, needle) in cases {
        let err = search::run(&ctx, &args).unwrap_err().to_string();
        assert!(err.contains(needle), "{err} should say {needle}");
    }
    assert!(!out.exists());
}

#[test]
fn the_command_line_refuses_a_bad_range_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flambeau"))
        .args(["search", "gaussians", "--lr", "1..0.1", "--out"])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--lr") && stderr.contains("is empty"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
