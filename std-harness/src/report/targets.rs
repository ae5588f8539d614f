//! The improvement targets, checked against the best recipe's results.

use super::Ended;
use crate::experiments::{Recipe, RunResult};
use crate::report::Job;

/// One target and what this run measured for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The goal, for people.
    pub goal: String,
    /// The measured figure, or why there is none.
    pub measured: String,
    /// Whether it is met (`None`: not run, or a figure to report rather than a threshold).
    pub met: Option<bool>,
}

/// The targets, checked against the best recipe's runs in `ended`.
pub fn targets(ended: &[(Job, Ended)]) -> Vec<Target> {
    let runs: Vec<&RunResult> = ended
        .iter()
        .filter_map(|(_, e)| if let Ended::Done(w) = e { Some(w) } else { None })
        .flat_map(|w| &w.runs)
        .filter(|r| r.recipe == Recipe::Best)
        .collect();
    let find = |experiment: &str, variant: &str| {
        runs.iter()
            .find(|r| r.experiment == experiment && r.variant == variant)
            .copied()
    };
    let pct = |r: &RunResult| format!("{:.2} % test", 100.0 * r.score.test);
    let floor = |goal: &str, run: Option<&RunResult>, min: f64| Target {
        goal: goal.to_owned(),
        measured: run.map_or_else(not_run, pct),
        met: run.map(|r| r.score.test >= min),
    };
    let mut out = vec![
        floor(
            "MLP 256-128-64-10, cross-entropy: ≥ 95 % test",
            find("usps-mlp", "ce"),
            0.95,
        ),
        floor("MLP 256-128-64-10, MSE: ≥ 92 % test", find("usps-mlp", "mse"), 0.92),
        floor("1-D CNN: ≥ 95 % test", find("conv1d", "deep"), 0.95),
        floor("2-D CNN: ≥ 97.5 % test (human level)", find("conv2d", ""), 0.975),
        floor("checkerboard: ≥ 99 % test", find("checkerboard", ""), 0.99),
    ];
    out.push(linreg_target(find("linreg", "")));
    out.push(ae_target(find("autoencoder", "code 16"), 16, true));
    out.push(ae_target(find("autoencoder", "code 64"), 64, false));
    out
}

fn not_run() -> String {
    "not run".to_owned()
}

fn linreg_target(run: Option<&RunResult>) -> Target {
    let goal = "insurance linear regression: test R² within 0.01 of the closed-form least squares".to_owned();
    match run.and_then(|r| Some((r, r.reference("test R²")?))) {
        Some((r, exact)) => Target {
            goal,
            measured: format!(
                "test R² {:.4}, closed form {exact:.4} (gap {:.4})",
                r.score.test,
                (r.score.test - exact).abs()
            ),
            met: Some((r.score.test - exact).abs() <= 0.01),
        },
        None => Target {
            goal,
            measured: not_run(),
            met: None,
        },
    }
}

fn ae_target(run: Option<&RunResult>, k: usize, must_beat: bool) -> Target {
    let goal = if must_beat {
        format!("auto-encoder below PCA's test MSE at code size {k}")
    } else {
        format!("auto-encoder at code size {k}: the measured gap to PCA")
    };
    let pca = run.and_then(|r| r.reference("PCA"));
    match (run, pca) {
        (Some(r), Some(pca)) => Target {
            goal,
            measured: format!(
                "AE {:.5}, PCA {pca:.5} test MSE per pixel (AE − PCA = {:+.5}, ratio {:.2})",
                r.score.test,
                r.score.test - pca,
                r.score.test / pca
            ),
            met: must_beat.then_some(r.score.test < pca),
        },
        _ => Target {
            goal,
            measured: not_run(),
            met: None,
        },
    }
}
