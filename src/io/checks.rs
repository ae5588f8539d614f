//! The whole-buffer checks of a safetensors header, without allocation:
//! the tensors tile the data section exactly, and no two share a name.
//!
//! Both work on windows of [`WINDOW`] tensors kept on the stack: each walk
//! of the header takes the next window (the next tensors by offset, or the
//! next names by header order), so a model of this crate takes one walk and
//! a checkpoint of `n` tensors `n / WINDOW + 1`.

use super::errors::{SafetensorsError, TensorName};
use super::json::JsonStr;
use super::safetensors::{Res, SafeTensors};

/// Tensors per window: small where stacks are small.
#[cfg(target_pointer_width = "64")]
const WINDOW: usize = 256;
#[cfg(not(target_pointer_width = "64"))]
const WINDOW: usize = 16;

/// A tensor's place in the data section; sorting these orders tensors by
/// offset (the index makes every key distinct).
type Span = (u64, u64, usize);

/// Checks that the tensors, taken in the order of their offsets, each start
/// where the previous one ended, the first at 0 and the last ending at the
/// end of the data section.
pub(crate) fn tiling(st: &SafeTensors<'_>) -> Res<()> {
    let data_len = st.data().len() as u64;
    let (mut pos, mut prev): (u64, Option<Span>) = (0, None);
    let mut cursor: Option<Span> = None;
    let mut done = 0;
    while done < st.len() {
        let mut win = [(0u64, 0u64, 0usize); WINDOW];
        let mut n = 0;
        for e in st.entries() {
            let key = (e.begin, e.end, e.index);
            if cursor.is_none_or(|c| key > c) {
                n = insert_sorted(&mut win, n, key);
            }
        }
        let spans = win.get(..n).unwrap_or(&[]);
        for &span @ (begin, end, index) in spans {
            if begin > pos {
                return Err(SafetensorsError::Hole { range: (pos, begin) });
            }
            if let Some((pb, pe, pi)) = prev.filter(|_| begin < pos) {
                return Err(SafetensorsError::Overlap {
                    first: st.name_at(pi),
                    first_range: (pb, pe),
                    second: st.name_at(index),
                    second_range: (begin, end),
                });
            }
            pos = end;
            prev = Some(span);
        }
        cursor = spans.last().copied();
        done += n.max(1);
    }
    if pos != data_len {
        return Err(SafetensorsError::Hole { range: (pos, data_len) });
    }
    Ok(())
}

/// Inserts `key` into the sorted first `n` slots of `win`, dropping the
/// largest when full; returns the new count.
fn insert_sorted(win: &mut [Span; WINDOW], n: usize, key: Span) -> usize {
    if n == WINDOW && win.last().is_some_and(|&last| key >= last) {
        return n;
    }
    let at = win.get(..n).unwrap_or(&[]).partition_point(|&k| k < key);
    let end = n.min(WINDOW - 1);
    if let Some(tail) = win.get_mut(at..=end) {
        tail.rotate_right(1);
        tail[0] = key;
    }
    (n + 1).min(WINDOW)
}

/// Checks that no two tensors share a name (compared decoded, so `"a"` and
/// `"\u0061"` are the same name).
pub(crate) fn unique_names(st: &SafeTensors<'_>) -> Res<()> {
    let mut first = 0;
    while first < st.len() {
        let mut win: [(u64, usize, Option<JsonStr<'_>>); WINDOW] = [(0, 0, None); WINDOW];
        let mut n = 0;
        for e in st.entries().skip(first).take(WINDOW) {
            if let Some(slot) = win.get_mut(n) {
                *slot = (hash(e.name), e.index, Some(e.name));
                n += 1;
            }
        }
        let win = win.get_mut(..n).unwrap_or(&mut []);
        win.sort_unstable_by_key(|&(h, i, _)| (h, i));
        for e in st.entries().skip(first + 1) {
            let h = hash(e.name);
            let from = win.partition_point(|&(wh, _, _)| wh < h);
            let same = win.get(from..).unwrap_or(&[]).iter().take_while(|&&(wh, _, _)| wh == h);
            for &(_, i, name) in same {
                if i < e.index && name.is_some_and(|w| w.chars().eq(e.name.chars())) {
                    return Err(SafetensorsError::DuplicateName {
                        name: TensorName::from_json(e.name),
                    });
                }
            }
        }
        first += WINDOW;
    }
    Ok(())
}

/// FNV-1a over the decoded characters.
fn hash(name: JsonStr<'_>) -> u64 {
    name.chars().fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ u64::from(u32::from(c))).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
