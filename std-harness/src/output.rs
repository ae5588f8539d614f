//! Output files, written whole or not at all.
//!
//! An experiment renders everything it writes (JSON, CSV, PNG) in memory
//! first, into [`Artifacts`]; only when all of it exists does
//! [`Artifacts::commit`] write each file under a temporary name in the
//! target folder and rename it into place. A failure (bad data, divergence,
//! a full disk) therefore never leaves a half-written file behind, and the
//! results file, written last, appears only when every picture did.

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

    /// Writes every file into `dir` (created if needed), each atomically;
    /// returns their paths.
    ///
    /// # Errors
    /// [`Error::Write`] naming the file or folder.
    pub fn commit(self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths = Vec::with_capacity(self.files.len());
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            write_atomic(&path, bytes)?;
            paths.push(path);
        }
        Ok(paths)
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
mod tests {
    use super::*;

    #[test]
    fn commit_writes_every_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Artifacts::new();
        a.add("a.csv", b"x\n1\n".to_vec());
        a.add_png("p.png", (2, 1), &[0, 0, 0, 255, 255, 255]).unwrap();
        a.commit(dir.path()).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "p.png"]);
        assert!(std::fs::read(dir.path().join("p.png")).unwrap().starts_with(b"\x89PNG"));
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing-folder").join("f.txt");
        let err = write_atomic(&target, b"data").unwrap_err();
        assert!(err.to_string().contains("f.txt: cannot write"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_wrong_pixel_count_is_an_error() {
        let mut a = Artifacts::new();
        let err = a.add_png("bad.png", (2, 2), &[0; 5]).unwrap_err();
        assert!(err.to_string().starts_with("bad.png: cannot draw"), "{err}");
    }
}
