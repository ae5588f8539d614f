//! Output files and folders, written whole or not at all.
//!
//! An experiment renders everything it writes (JSON, CSV, PNG) in memory
//! first, into [`Artifacts`]; only when all of it exists does
//! [`Artifacts::commit`] write the files into a fresh staging folder beside
//! the target and swap that folder into place ([`Staging`]). A failure (bad
//! data, divergence, a full disk, a kill) therefore leaves the previous
//! folder or the new one, whole, and never a mix of two runs; staging
//! folders of killed runs are removed by the next run into the same place.
//! [`check_target`] checks a target before any training starts.

mod folder;

pub use folder::{RESULTS, Staging, check_target, final_path};

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// Files of one run, in memory until committed.
#[derive(Debug, Default)]
pub struct Artifacts {
    files: Vec<(String, Vec<u8>)>,
}

impl Artifacts {
    /// No files yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file (a later file of the same name replaces it).
    pub fn add(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        let name = name.into();
        self.files.retain(|(n, _)| *n != name);
        self.files.push((name, bytes));
    }

    /// Adds a value as pretty-printed JSON.
    ///
    /// # Errors
    /// [`Error::Setting`] if the value cannot be serialised (a bug).
    pub fn add_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let mut text =
            serde_json::to_string_pretty(value).map_err(|e| crate::error::setting("results JSON", e.to_string()))?;
        text.push('\n');
        self.add(name, text.into_bytes());
        Ok(())
    }

    /// Adds an RGB picture of `width x height` pixels, encoded as PNG.
    ///
    /// # Errors
    /// [`Error::Plot`] if the encoder fails or the buffer has the wrong size.
    pub fn add_png(&mut self, name: &str, (width, height): (u32, u32), rgb: &[u8]) -> Result<()> {
        let png = encode_png((width, height), rgb).map_err(|problem| Error::Plot {
            file: name.to_owned(),
            problem,
        })?;
        self.add(name, png);
        Ok(())
    }

    /// The file names, in order.
    pub fn names(&self) -> Vec<String> {
        self.files.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Whether a file of that name is held.
    pub fn contains(&self, name: &str) -> bool {
        self.files.iter().any(|(n, _)| n == name)
    }

    /// Writes every file into a staging folder beside `dir`, then swaps it
    /// in place of `dir` (see [`Staging`]); returns the files' final paths.
    ///
    /// # Errors
    /// [`Error::Write`] naming the file or folder; [`Error::Output`] when
    /// `dir` cannot be a run folder.
    pub fn commit(self, dir: &Path) -> Result<Vec<PathBuf>> {
        let staging = Staging::begin(dir)?;
        self.write_into(staging.path())?;
        staging.commit()?;
        Ok(self.files.iter().map(|(name, _)| dir.join(name)).collect())
    }

    /// Writes every file into the existing folder `dir`, each file whole
    /// (written, flushed to disk, then closed), with no temporary names.
    ///
    /// # Errors
    /// [`Error::Write`] naming the file.
    pub fn write_into(&self, dir: &Path) -> Result<()> {
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            std::fs::File::create(&path)
                .and_then(|mut file| {
                    file.write_all(bytes)?;
                    file.sync_all()
                })
                .map_err(|source| Error::Write { path, source })?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// renamed into place once complete, so a reader sees the old file or the
/// whole new one and never a part.
///
/// # Errors
/// [`Error::Write`] naming `path`; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Checks, before any data is read, that [`write_atomic`] can put a file
/// at `path`: it names a file, its folder exists (no file on the way), and
/// nothing other than a regular file is there already.
///
/// # Errors
/// [`Error::Output`] naming `path` and why.
pub fn check_file_target(path: &Path) -> Result<()> {
    let problem = |problem: String| Error::Output {
        path: path.to_path_buf(),
        problem,
    };
    if path.file_name().is_none() {
        return Err(problem(
            "names no file (it ends in `..` or `/`); give a file name, e.g. --out model-int8.safetensors".into(),
        ));
    }
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(problem(format!(
            "is {}, not a regular file; choose another --out",
            crate::data::source::kind_of(&meta.file_type())
        )));
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for ancestor in folder.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if ancestor.exists() && !ancestor.is_dir() {
            return Err(problem(format!(
                "is under {}, which is a file, not a folder",
                ancestor.display()
            )));
        }
    }
    if !folder.is_dir() {
        return Err(problem(format!("its folder {} does not exist", folder.display())));
    }
    Ok(())
}

fn encode_png((width, height): (u32, u32), rgb: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let expected = width as usize * height as usize * 3;
    if rgb.len() != expected {
        return Err(format!(
            "{} bytes of pixels for {width}x{height} RGB, expected {expected}",
            rgb.len()
        ));
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests;
