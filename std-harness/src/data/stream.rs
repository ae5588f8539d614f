//! Reading a fixed-size body from a stream: exactly the bytes a header
//! announces, in chunks, and then only far enough to say that more follow.

use std::io::Read;

use super::DataError;

/// Most values (images × rows × cols, or labels) one IDX file may declare:
/// 64 Mi, 256 MiB as `f32`. Fashion-MNIST's training set, the largest the
/// harness reads, has 47 M; USPS 1.9 M.
pub const MAX_VALUES: u64 = 1 << 26;
/// Bytes past the body read to count them before giving up (a gzip bomb
/// may inflate to gigabytes; counting them all would only cost time).
const MAX_TRAILING_SCAN: u64 = 1 << 20;
/// Bytes read at a time.
const CHUNK: usize = 64 << 10;

/// Reads exactly the `n * rows * cols` bytes of a body in chunks handed
/// to `take`, then checks that nothing follows.
pub(super) fn read_body(
    mut input: impl Read,
    name: &str,
    header: &str,
    dims: [u32; 3],
    mut take: impl FnMut(&[u8]) -> Result<(), DataError>,
) -> Result<(), DataError> {
    // Three 32-bit sizes multiply to at most 96 bits: u128 cannot overflow.
    let declared = dims.iter().map(|&d| u128::from(d)).product::<u128>();
    if declared > u128::from(MAX_VALUES) {
        return Err(DataError::TooManyValues {
            file: name.to_owned(),
            header: header.to_owned(),
            values: u64::try_from(declared).unwrap_or(u64::MAX),
            limit: MAX_VALUES,
        });
    }
    let need = declared as u64;
    let mut chunk = vec![0u8; CHUNK];
    let mut have = 0u64;
    while have < need {
        let want = usize::try_from(need - have).unwrap_or(CHUNK).min(CHUNK);
        let got = fill(&mut input, chunk.get_mut(..want).unwrap_or_default(), name)?;
        take(chunk.get(..got).unwrap_or_default())?;
        have += got as u64;
        if got < want {
            return Err(DataError::Truncated {
                file: name.to_owned(),
                header: header.to_owned(),
                need: u128::from(need),
                have: usize::try_from(have).unwrap_or(usize::MAX),
            });
        }
    }
    let extra = std::io::copy(&mut input.take(MAX_TRAILING_SCAN + 1), &mut std::io::sink()).map_err(|source| {
        DataError::Gzip {
            file: name.to_owned(),
            source,
        }
    })?;
    match extra {
        0 => Ok(()),
        e if e > MAX_TRAILING_SCAN => Err(DataError::TrailingData {
            file: name.to_owned(),
            header: header.to_owned(),
            need,
        }),
        e => Err(DataError::TrailingBytes {
            file: name.to_owned(),
            header: header.to_owned(),
            need: u128::from(need),
            extra: usize::try_from(e).unwrap_or(usize::MAX),
        }),
    }
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
pub(super) fn fill(input: &mut impl Read, buf: &mut [u8], name: &str) -> Result<usize, DataError> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(DataError::Gzip {
                    file: name.to_owned(),
                    source,
                });
            }
        }
    }
    Ok(got)
}
