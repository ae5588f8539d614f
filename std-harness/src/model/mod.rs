//! Trained models as files: one format (safetensors with PyTorch's
//! `state_dict` names and self-describing `__metadata__`) and one code path
//! for every consumer (`inspect`, `predict`, `evaluate`, `--init-from`).
//!
//! A file is read whole (with a size cap), parsed by the core's strict
//! reader (tensors tile the data, names are unique), and its architecture,
//! from the metadata or from `--arch`, is matched against the networks this
//! harness builds ([`zoo`]) before any weight is touched.

pub mod commands;
pub mod input;
pub mod meta;
pub mod zoo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flambeau::SafeTensors;

use crate::error::{Error, Result};

/// Largest model file read (the largest network here is under 2 MB).
pub const FILE_MAX: u64 = 256 << 20;

/// A model file, read and checked.
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its `__metadata__`.
    pub meta: BTreeMap<String, String>,
}

/// An error about a model file.
pub fn model_error(path: &Path, problem: impl Into<String>) -> Error {
    Error::Model {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

impl ModelFile {
    /// Reads and parses `path`.
    ///
    /// # Errors
    /// [`Error::Model`] naming the file when it is missing, not a regular
    /// file, larger than [`FILE_MAX`], or not a valid safetensors file.
    pub fn open(path: &Path) -> Result<Self> {
        let info = std::fs::metadata(path).map_err(|e| model_error(path, format!("cannot read: {e}")))?;
        if !info.is_file() {
            let kind = crate::data::source::kind_of(&info.file_type());
            return Err(model_error(path, format!("is {kind}, not a regular file")));
        }
        if info.len() > FILE_MAX {
            return Err(model_error(
                path,
                format!(
                    "{} bytes, above the {} MiB a model file may have",
                    info.len(),
                    FILE_MAX >> 20
                ),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| model_error(path, format!("cannot read: {e}")))?;
        let st = SafeTensors::parse(&bytes).map_err(|e| model_error(path, e.to_string()))?;
        let meta = st.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            meta,
        })
    }

    /// The parsed tensors (the bytes were checked by [`ModelFile::open`]).
    ///
    /// # Errors
    /// Never in practice; [`Error::Model`] if the bytes changed.
    pub fn tensors(&self) -> Result<SafeTensors<'_>> {
        SafeTensors::parse(&self.bytes).map_err(|e| model_error(&self.path, e.to_string()))
    }

    /// The architecture: `given` when set (for files without metadata, such
    /// as a PyTorch `state_dict`), else the metadata's.
    ///
    /// # Errors
    /// [`Error::Model`] when neither says.
    pub fn architecture<'s>(&'s self, given: Option<&'s str>) -> Result<&'s str> {
        given
            .or(self.meta.get(meta::key::ARCHITECTURE).map(String::as_str))
            .ok_or_else(|| {
                model_error(
                    &self.path,
                    "no architecture in its metadata (a PyTorch state_dict?): give it with --arch, \
                     e.g. --arch \"Linear(256,128) -> Tanh -> Linear(128,64) -> Tanh -> Linear(64,10)\"",
                )
            })
    }

    /// `(scale, offset)` mapping a pixel byte to the model's input, from the
    /// metadata (`[0, 1]` when absent).
    ///
    /// # Errors
    /// [`Error::Model`] for a value that is not a finite number, or a map
    /// that takes pixel 255 to no finite number.
    pub fn pixel_map(&self) -> Result<(f32, f32)> {
        let get = |k: &str, default: f32| -> Result<f32> {
            match self.meta.get(k) {
                None => Ok(default),
                Some(v) => v
                    .parse::<f32>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| model_error(&self.path, format!("metadata {k}: '{v}' is not a finite number"))),
            }
        };
        let (scale, offset) = (
            get(meta::key::INPUT_SCALE, 1.0 / 255.0)?,
            get(meta::key::INPUT_OFFSET, 0.0)?,
        );
        if !(255.0 * scale + offset).is_finite() {
            return Err(model_error(
                &self.path,
                format!("metadata input_scale {scale:e} and input_offset {offset:e} map pixel 255 to no finite number"),
            ));
        }
        Ok((scale, offset))
    }
}
