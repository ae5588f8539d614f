//! Finding the data folder and loading the named data sets from it:
//! USPS, MNIST, Fashion-MNIST and the insurance table.

use std::path::{Path, PathBuf};

use super::source::{find_first, not_found, read_file};
use super::table::{TableSpec, parse_table};
use super::usps_text::USPS_SIDE;
use super::{DataError, Dataset, Table, idx, usps_text};

/// Environment variable naming the data folder when no `--data` flag is given.
pub const DATA_ENV: &str = "FLAMBEAU_DATA";
/// Data folder used when neither the flag nor [`DATA_ENV`] is set, relative
/// to the current directory.
pub const DEFAULT_DATA_DIR: &str = "data";
/// Sub-folder of the data folder holding USPS.
pub const USPS_SUBDIR: &str = "usps";
/// Path of the insurance table inside the data folder.
pub const INSURANCE_FILE: &str = "insurance/insurance.csv";
/// The regression target of the insurance table.
pub const INSURANCE_TARGET: &str = "charges";
/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
pub const FASHION_MNIST_SYSTEM_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// Classes of USPS, MNIST and Fashion-MNIST alike.
const IDX_CLASSES: usize = 10;
/// Side of an MNIST or Fashion-MNIST image in pixels.
pub const MNIST_SIDE: usize = 28;

const USPS_HINT: &str = "USPS digits: put the four IDX files usps-{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz \
     in <data>/usps/, or the public text files zip.train.gz and zip.test.gz from the data page of \
     The Elements of Statistical Learning (Hastie, Tibshirani, Friedman); choose <data> with --data DIR \
     or the FLAMBEAU_DATA environment variable (default ./data)";
const FASHION_HINT: &str = "Fashion-MNIST: `apt-get install dataset-fashion-mnist` puts the files in \
     /usr/share/datasets/fashion-mnist (pass that folder), or download the four IDX .gz files \
     from the zalandoresearch/fashion-mnist repository on GitHub";
const MNIST_HINT: &str = "MNIST: download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
     t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from the MNIST database or a mirror";
const INSURANCE_HINT: &str = "insurance: get insurance.csv, the public \"Medical Cost Personal Datasets\" \
     table (columns age, sex, bmi, children, smoker, region, charges), and put it at \
     <data>/insurance/insurance.csv; choose <data> with --data DIR or the FLAMBEAU_DATA \
     environment variable (default ./data)";

/// File names of one split of an IDX data set; the first name of each list is preferred.
struct IdxNames {
    images: &'static [&'static str],
    labels: &'static [&'static str],
}

const USPS_TRAIN: IdxNames = IdxNames {
    images: &["usps-train-images-idx3-ubyte.gz", "usps-train-images-idx3-ubyte"],
    labels: &["usps-train-labels-idx1-ubyte.gz", "usps-train-labels-idx1-ubyte"],
};
const USPS_TEST: IdxNames = IdxNames {
    images: &["usps-t10k-images-idx3-ubyte.gz", "usps-t10k-images-idx3-ubyte"],
    labels: &["usps-t10k-labels-idx1-ubyte.gz", "usps-t10k-labels-idx1-ubyte"],
};
const USPS_TRAIN_TEXT: &[&str] = &["zip.train.gz", "zip.train"];
const USPS_TEST_TEXT: &[&str] = &["zip.test.gz", "zip.test"];
const MNIST_TRAIN: IdxNames = IdxNames {
    images: &["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"],
    labels: &["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"],
};
const MNIST_TEST: IdxNames = IdxNames {
    images: &["t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"],
    labels: &["t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"],
};

/// The data folder: `flag` if given, else `$FLAMBEAU_DATA` if set and not
/// empty, else [`DEFAULT_DATA_DIR`].
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
}

/// The USPS folder inside the data folder.
pub fn usps_dir(data: &Path) -> PathBuf {
    data.join(USPS_SUBDIR)
}

/// The insurance table's path inside the data folder.
pub fn insurance_path(data: &Path) -> PathBuf {
    data.join(INSURANCE_FILE)
}

/// Loads USPS `(train, test)` from `dir`, 7291 and 2007 images of 16x16.
///
/// Each split is read from the IDX files if present, else from the text
/// file `zip.train(.gz)` / `zip.test(.gz)`.
///
/// # Errors
/// [`DataError::NotFound`] saying where to get the files, or any parse error.
pub fn load_usps(dir: &Path) -> Result<(Dataset, Dataset), DataError> {
    let train = load_usps_split(dir, &USPS_TRAIN, USPS_TRAIN_TEXT)?;
    let test = load_usps_split(dir, &USPS_TEST, USPS_TEST_TEXT)?;
    Ok((train, test))
}

/// Loads Fashion-MNIST `(train, test)` from `dir`, images of 28x28.
///
/// # Errors
/// [`DataError::NotFound`] saying where to get the files, or any parse error.
pub fn load_fashion_mnist(dir: &Path) -> Result<(Dataset, Dataset), DataError> {
    load_mnist_like(dir, FASHION_HINT)
}

/// Loads MNIST `(train, test)` from `dir`, images of 28x28.
///
/// # Errors
/// [`DataError::NotFound`] saying where to get the files, or any parse error.
pub fn load_mnist(dir: &Path) -> Result<(Dataset, Dataset), DataError> {
    load_mnist_like(dir, MNIST_HINT)
}

/// Loads the insurance table from `path`, with target `charges`.
///
/// # Errors
/// [`DataError::NotFound`] saying where to get the file, or any table error.
pub fn load_insurance(path: &Path) -> Result<Table, DataError> {
    let bytes = read_file(path, INSURANCE_HINT)?;
    parse_table(&bytes, &path.display().to_string(), &TableSpec::new(INSURANCE_TARGET))
}

fn load_mnist_like(dir: &Path, hint: &'static str) -> Result<(Dataset, Dataset), DataError> {
    let size = (MNIST_SIDE, MNIST_SIDE);
    let train = load_idx_split(dir, &MNIST_TRAIN, size, hint)?;
    let test = load_idx_split(dir, &MNIST_TEST, size, hint)?;
    Ok((train, test))
}

fn load_usps_split(dir: &Path, names: &IdxNames, text: &[&str]) -> Result<Dataset, DataError> {
    let has_idx = find_first(dir, names.images).is_some();
    match find_first(dir, text) {
        Some(path) if !has_idx => usps_text::read(&path),
        _ => {
            let mut alternatives: Vec<&str> = names.images.iter().skip(1).copied().collect();
            alternatives.extend(text);
            load_idx_split_or(dir, names, (USPS_SIDE, USPS_SIDE), USPS_HINT, &alternatives)
        }
    }
}

fn load_idx_split(
    dir: &Path,
    names: &IdxNames,
    size: (usize, usize),
    hint: &'static str,
) -> Result<Dataset, DataError> {
    let alternatives: Vec<&str> = names.images.iter().skip(1).copied().collect();
    load_idx_split_or(dir, names, size, hint, &alternatives)
}

/// Reads one IDX split; a missing images file lists `alternatives` in the error.
fn load_idx_split_or(
    dir: &Path,
    names: &IdxNames,
    size: (usize, usize),
    hint: &'static str,
    alternatives: &[&str],
) -> Result<Dataset, DataError> {
    let missing = |list: &[&str], others: Vec<String>| {
        not_found(&dir.join(list.first().copied().unwrap_or_default()), others, hint)
    };
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    let images = find_first(dir, names.images).ok_or_else(|| missing(names.images, owned(alternatives)))?;
    let labels = find_first(dir, names.labels)
        .ok_or_else(|| missing(names.labels, owned(names.labels.get(1..).unwrap_or_default())))?;
    idx::read_pair(&images, &labels, Some(size), IDX_CLASSES)
}
