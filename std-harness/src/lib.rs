//! The std side of flambeau: data loading, experiments, plots and reports.
#![deny(missing_docs)]

pub mod data;
