//! Recipe files: an experiment's settings as JSON, written by `flambeau
//! search` for its best trial and read back with `--recipe-file FILE`.
//!
//! ```json
//! { "experiment": "checkerboard", "recipe": "best", "epochs": 27,
//!   "lr": 0.0153, "batch_size": 16, "weight_decay": 0.0001, "decay": "l2" }
//! ```
//!
//! The file names the experiment it is for, so settings searched for one
//! experiment are never silently applied to another. Flags given on the
//! command line win over the file's values.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Decay, Recipe, RunArgs};
use crate::error::{Result, setting};

/// Largest recipe file read: a handful of settings.
const FILE_MAX: u64 = 64 << 10;

/// Settings of one experiment, as a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeFile {
    /// The experiment (and variant) the settings are for: `checkerboard`, `usps-mlp-ce`.
    pub experiment: String,
    /// The built-in recipe the other values override.
    pub recipe: Recipe,
    /// Passes over the training split.
    #[serde(default)]
    pub epochs: Option<usize>,
    /// Base learning rate.
    #[serde(default)]
    pub lr: Option<f64>,
    /// Rows per batch.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// Weight-decay strength.
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// How the weight decay acts.
    #[serde(default)]
    pub decay: Option<Decay>,
    /// Where the settings come from, for people.
    #[serde(default)]
    pub note: String,
}

impl RecipeFile {
    /// The settings `args` chose for `experiment`.
    pub fn of(experiment: &str, args: &RunArgs, note: String) -> Self {
        Self {
            experiment: experiment.to_owned(),
            recipe: args.recipe,
            epochs: args.epochs,
            lr: args.lr,
            batch_size: args.batch_size,
            weight_decay: args.weight_decay,
            decay: args.decay,
            note,
        }
    }

    /// Reads and checks a recipe file.
    ///
    /// # Errors
    /// [`crate::error::Error::Setting`] naming the file when it cannot be
    /// read, is not a regular file, is too large, or is not a recipe.
    pub fn read(path: &Path) -> Result<Self> {
        let fail = |problem: String| setting("--recipe-file", format!("{}: {problem}", path.display()));
        // A folder, FIFO or device is named as such (a FIFO would block the read).
        crate::data::source::check_file(path, "check the path").map_err(|e| setting("--recipe-file", e.to_string()))?;
        let size = std::fs::metadata(path)
            .map_err(|e| fail(format!("cannot read: {e}")))?
            .len();
        if size > FILE_MAX {
            return Err(fail(format!("{size} bytes, above the {FILE_MAX} a recipe may have")));
        }
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        serde_json::from_str(&text).map_err(|e| fail(format!("not a recipe file: {e}")))
    }

    /// `args` with every setting the command line left out taken from the file.
    pub fn apply(&self, args: &RunArgs) -> RunArgs {
        RunArgs {
            recipe: self.recipe,
            epochs: args.epochs.or(self.epochs),
            lr: args.lr.or(self.lr),
            batch_size: args.batch_size.or(self.batch_size),
            weight_decay: args.weight_decay.or(self.weight_decay),
            decay: args.decay.or(self.decay),
            recipe_file: None,
            ..args.clone()
        }
    }
}

/// `args` with its `--recipe-file` (if any) applied, for a run of `experiment`.
///
/// # Errors
/// As [`RecipeFile::read`]; a file made for another experiment.
pub fn resolve(args: &RunArgs, experiment: &str) -> Result<RunArgs> {
    let Some(path) = &args.recipe_file else {
        return Ok(args.clone());
    };
    let file = RecipeFile::read(path)?;
    if file.experiment != experiment {
        return Err(setting(
            "--recipe-file",
            format!(
                "{}: holds settings for `{}`, not `{experiment}`",
                path.display(),
                file.experiment
            ),
        ));
    }
    Ok(file.apply(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recipe.json");
        let chosen = RunArgs {
            epochs: Some(9),
            lr: Some(0.02),
            batch_size: Some(16),
            weight_decay: Some(1e-4),
            decay: Some(Decay::Adamw),
            ..RunArgs::of(Recipe::Best)
        };
        let file = RecipeFile::of("checkerboard", &chosen, "test".into());
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        let given = RunArgs {
            lr: Some(0.5),
            recipe_file: Some(path.clone()),
            ..RunArgs::of(Recipe::Report)
        };
        let got = resolve(&given, "checkerboard").unwrap();
        assert_eq!(got.recipe, Recipe::Best);
        assert_eq!((got.epochs, got.lr, got.batch_size), (Some(9), Some(0.5), Some(16)));
        assert_eq!(
            (got.weight_decay, got.decay, got.recipe_file),
            (Some(1e-4), Some(Decay::Adamw), None)
        );
        let err = resolve(&given, "gaussians").unwrap_err().to_string();
        assert!(
            err.contains("holds settings for `checkerboard`, not `gaussians`"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recipe.json");
        std::fs::write(
            &path,
            r#"{"experiment": "gaussians", "recipe": "best", "learning_rate": 1}"#,
        )
        .unwrap();
        let args = RunArgs {
            recipe_file: Some(path),
            ..RunArgs::of(Recipe::Report)
        };
        let err = resolve(&args, "gaussians").unwrap_err().to_string();
        assert!(
            err.contains("not a recipe file") && err.contains("learning_rate"),
            "{err}"
        );
        let missing = RunArgs {
            recipe_file: Some(dir.path().join("none.json")),
            ..RunArgs::of(Recipe::Report)
        };
        assert!(
            resolve(&missing, "gaussians")
                .unwrap_err()
                .to_string()
                .contains("none.json: not found in")
        );
    }
}
