//! The std side of flambeau: data loading, experiments, plots and reports.
//!
//! The binary `flambeau` ([`cli`]) runs each experiment of the old report as
//! a subcommand and `flambeau report` runs them all into a Markdown report.
//! Everything here talks and touches files; the core computes.
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod affinity;
pub mod cli;
pub mod console;
pub mod data;
pub mod error;
pub mod experiments;
pub mod export;
pub mod metrics;
pub mod model;
pub mod output;
pub mod parallel;
pub mod pca;
pub mod plot;
pub mod quantize;
pub mod report;
pub mod search;
pub mod train;
