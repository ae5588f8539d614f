//! The experiments, one module each, and what they share: the command-line
//! settings, the recipes, the run summary and how a run is written out.
//!
//! Each experiment has two recipes: `report` reproduces the old report's
//! setting, `best` is the improved one. Flags override single settings.

pub mod ae_vs_pca;
pub mod autoencoder;
pub mod checkerboard;
pub mod conv1d;
pub mod conv2d;
pub mod gaussians;
pub mod linreg;
pub mod usps_mlp;

mod ae;
mod classify;
mod points;
mod recipe;
mod recipe_file;
mod result;
mod run;
mod usps;

pub use recipe::{Decay, Recipe, RunArgs, Settings, whole_number};
pub use recipe_file::{RecipeFile, resolve};
pub use run::{Ctx, RunResult, SUMMATION, Triple, Written};
pub use usps::{SPLIT_SEED, VALID_FRAC};
