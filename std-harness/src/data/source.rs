//! Reading files into memory, decompressing gzip when the bytes say so.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::DataError;

/// The two bytes every gzip stream starts with (RFC 1952, section 2.3.1).
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Largest plain file the loaders open, in bytes, checked on the file's
/// size before reading (so a sparse multi-gigabyte file costs nothing).
///
/// Plain Fashion-MNIST training images, the largest file the harness reads,
/// are 47 MB; USPS needs under 2 MB.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Largest text (USPS text form, CSV) accepted after decompression, in
/// bytes. The text form of USPS's training set is about 13 MB and the
/// insurance table 54 KB; the whole text is held in memory while parsed.
pub const MAX_TEXT_BYTES: u64 = 64 << 20;

/// Bytes read from a file at a time when it is streamed.
const CHUNK: usize = 64 << 10;

/// Hint given when a file named directly by the caller is missing.
const DIRECT_PATH_HINT: &str = "check the path";

/// Whether `bytes` start with the gzip magic bytes.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// A reader of `bytes`, decompressing them if they start as gzip does.
pub fn reader(bytes: &[u8]) -> Box<dyn Read + '_> {
    if is_gzip(bytes) {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}

/// Returns `bytes` decompressed if they are gzip, unchanged otherwise;
/// decompression stops past [`MAX_TEXT_BYTES`].
///
/// # Errors
/// [`DataError::Gzip`] for a corrupt stream, [`DataError::TooLarge`] past
/// [`MAX_TEXT_BYTES`], [`DataError::OutOfMemory`].
pub fn decompress<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, [u8]>, DataError> {
    if !is_gzip(bytes) {
        return Ok(Cow::Borrowed(bytes));
    }
    read_capped(MultiGzDecoder::new(bytes), name, MAX_TEXT_BYTES, "decompressed text").map(Cow::Owned)
}

/// Reads `reader` to its end into memory, refusing more than `cap` bytes
/// (`what` names the cap in the error) and growing the buffer without
/// aborting on allocation failure.
///
/// # Errors
/// [`DataError::TooLarge`], [`DataError::OutOfMemory`], or the reader's
/// error as [`DataError::Gzip`].
pub fn read_capped(mut reader: impl Read, name: &str, cap: u64, what: &'static str) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let got = match reader.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(got) => got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(DataError::Gzip {
                    file: name.to_owned(),
                    source,
                });
            }
        };
        if (out.len() + got) as u64 > cap {
            return Err(DataError::TooLarge {
                file: name.to_owned(),
                limit: cap,
                what,
            });
        }
        reserve(&mut out, got, name)?;
        out.extend_from_slice(chunk.get(..got).unwrap_or_default());
    }
}

/// Reserves room for `more` items, or says how much memory was refused.
///
/// # Errors
/// [`DataError::OutOfMemory`].
pub fn reserve<T>(buffer: &mut Vec<T>, more: usize, name: &str) -> Result<(), DataError> {
    buffer.try_reserve(more).map_err(|_| DataError::OutOfMemory {
        file: name.to_owned(),
        bytes: (buffer.len().saturating_add(more) as u64).saturating_mul(std::mem::size_of::<T>() as u64),
    })
}

/// Opens `path` for streaming, decompressing it if it starts as gzip does.
///
/// # Errors
/// As [`check_file`]; [`DataError::Io`] if it cannot be opened.
pub fn open(path: &Path, hint: &'static str) -> Result<Box<dyn Read>, DataError> {
    check_file(path, hint)?;
    let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
    let mut buffered = std::io::BufReader::with_capacity(CHUNK, file.take(MAX_FILE_BYTES));
    let head = buffered.fill_buf().map_err(|source| io_error(path, source))?;
    if is_gzip(head) {
        Ok(Box::new(MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

/// Checks that `path` is a regular file of at most [`MAX_FILE_BYTES`].
///
/// # Errors
/// [`DataError::NotFound`] (with `hint`) only when nothing is there;
/// [`DataError::NotAFile`] for a folder, FIFO, socket or device;
/// [`DataError::FileTooLarge`]; [`DataError::Io`].
pub fn check_file(path: &Path, hint: &'static str) -> Result<(), DataError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Err(not_found(path, Vec::new(), hint));
        }
        Err(source) => return Err(io_error(path, source)),
    };
    if !meta.is_file() {
        return Err(DataError::NotAFile {
            file: display_name(path),
            kind: kind_of(&meta.file_type()),
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(DataError::FileTooLarge {
            file: display_name(path),
            size: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(())
}

/// What a non-regular file is, for messages.
pub fn kind_of(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn io_error(path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        file: display_name(path),
        source,
    }
}

/// The name used for `path` in error messages.
pub fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a whole file after checking it ([`check_file`]); a missing file
/// becomes [`DataError::NotFound`] with `hint`.
///
/// # Errors
/// As [`check_file`] and [`read_capped`].
pub fn read_file(path: &Path, hint: &'static str) -> Result<Vec<u8>, DataError> {
    check_file(path, hint)?;
    let file = std::fs::File::open(path).map_err(|source| io_error(path, source))?;
    read_capped(file, &display_name(path), MAX_FILE_BYTES, "plain files").map_err(|e| match e {
        DataError::Gzip { file, source } => DataError::Io { file, source },
        other => other,
    })
}

/// Reads a file named directly by the caller (no data-set hint).
///
/// # Errors
/// As [`read_file`].
pub fn read_direct(path: &Path) -> Result<Vec<u8>, DataError> {
    read_file(path, DIRECT_PATH_HINT)
}

/// A [`DataError::NotFound`] for `path`, or [`DataError::UnderAFile`] when
/// a folder on its path is a file.
pub fn not_found(path: &Path, alternatives: Vec<String>, hint: &'static str) -> DataError {
    if let Some(file) = path.ancestors().skip(1).find(|a| a.is_file()) {
        return DataError::UnderAFile {
            path: display_name(path),
            file: display_name(file),
        };
    }
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

/// The first of `names` that is in `dir` (whatever it is: a folder under
/// that name is reported as such when read, not as missing).
pub fn find_first(dir: &Path, names: &[&str]) -> Option<std::path::PathBuf> {
    names.iter().map(|name| dir.join(name)).find(|p| p.exists())
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
