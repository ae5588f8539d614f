//! Data: loading files, preprocessing them and generating synthetic sets.
//!
//! - files: IDX images and labels ([`idx`]), the USPS text form
//!   ([`usps_text`]), CSV tables with categorical columns ([`table`]), and the
//!   named data sets ([`load_usps`], [`load_mnist`], [`load_fashion_mnist`],
//!   [`load_insurance`]) found under the data folder ([`data_dir`]);
//! - preprocessing ([`prep`]): standardisation, one-hot labels, seeded
//!   shuffles and splits;
//! - synthetic sets ([`synth`]).
//!
//! Nothing here panics on bad input: every problem is a [`DataError`] that
//! names the file, the record and the numbers.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod dataset;
mod error;
pub mod idx;
pub mod prep;
pub mod source;
mod stream;
pub mod synth;
pub mod table;
mod usps;
pub mod usps_text;

pub use dataset::{Dataset, Table};
pub use error::{CellProblem, DataError};
pub use prep::{Standardizer, check_splits, one_hot, permutation, shuffle, split_60_20_20, split_train_valid};
pub use table::{ColumnKind, TableSpec, parse_table, read_table};
pub use usps::{
    DATA_ENV, DEFAULT_DATA_DIR, FASHION_MNIST_SYSTEM_DIR, INSURANCE_FILE, INSURANCE_TARGET, MNIST_SIDE, USPS_SUBDIR,
    data_dir, insurance_path, load_fashion_mnist, load_insurance, load_mnist, load_usps, usps_dir,
};
