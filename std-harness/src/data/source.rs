//! Reading files into memory, decompressing gzip when the bytes say so.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::DataError;

/// The two bytes every gzip stream starts with (RFC 1952, section 2.3.1).
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Largest decompressed size accepted, in bytes.
///
/// Fashion-MNIST's training images, the largest set the harness reads, are
/// 47 MB decompressed; 1 GiB leaves room for larger IDX sets while keeping a
/// corrupt or hostile gzip stream from exhausting memory.
pub const MAX_DECOMPRESSED_BYTES: u64 = 1 << 30;

/// Hint given when a file named directly by the caller is missing.
const DIRECT_PATH_HINT: &str = "check the path";

/// Whether `bytes` start with the gzip magic bytes.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Returns `bytes` decompressed if they are gzip, unchanged otherwise.
///
/// # Errors
/// [`DataError::Gzip`] for a corrupt stream, [`DataError::TooLarge`] past
/// [`MAX_DECOMPRESSED_BYTES`].
pub fn decompress<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, [u8]>, DataError> {
    if !is_gzip(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip {
            file: name.to_owned(),
            source,
        })?;
    if out.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(DataError::TooLarge {
            file: name.to_owned(),
            limit: MAX_DECOMPRESSED_BYTES,
        });
    }
    Ok(Cow::Owned(out))
}

/// The name used for `path` in error messages.
pub fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a whole file; a missing file becomes [`DataError::NotFound`] with `hint`.
///
/// # Errors
/// [`DataError::NotFound`] or [`DataError::Io`].
pub fn read_file(path: &Path, hint: &'static str) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            not_found(path, Vec::new(), hint)
        } else {
            DataError::Io {
                file: display_name(path),
                source,
            }
        }
    })
}

/// Reads a file named directly by the caller (no data-set hint).
///
/// # Errors
/// As [`read_file`].
pub fn read_direct(path: &Path) -> Result<Vec<u8>, DataError> {
    read_file(path, DIRECT_PATH_HINT)
}

/// A [`DataError::NotFound`] for `path`.
pub fn not_found(path: &Path, alternatives: Vec<String>, hint: &'static str) -> DataError {
    let file = path
        .file_name()
        .map_or_else(|| display_name(path), |f| f.to_string_lossy().into_owned());
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    DataError::NotFound {
        file,
        dir,
        alternatives,
        hint,
    }
}

/// The first of `names` that exists in `dir`.
pub fn find_first(dir: &Path, names: &[&str]) -> Option<std::path::PathBuf> {
    names.iter().map(|name| dir.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn plain_bytes_pass_through() {
        let out = decompress(b"abc", "x").unwrap();
        assert!(matches!(out, Cow::Borrowed(b"abc")));
    }

    #[test]
    fn gzip_is_detected_by_magic() {
        let packed = gzip(b"hello");
        let out = decompress(&packed, "x").unwrap();
        assert_eq!(&*out, b"hello");
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut bad = gzip(b"hello world");
        bad.truncate(12);
        let err = decompress(&bad, "f.gz").unwrap_err();
        assert!(err.to_string().starts_with("f.gz: bad gzip data"), "{err}");
    }
}
