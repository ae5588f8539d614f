//! `Src`: what an op reads, either values in RAM or parameters left in
//! their little-endian bytes (a safetensors buffer in flash), so that a
//! model can run without copying its weights to RAM.

use super::kernel::{LANES, dot, madd_to, reduce_lanes};
use super::{TILED, regs};
use crate::float::Float;

/// An op's input: values, or raw little-endian bytes of `T`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Src<'s, T> {
    /// Values in memory.
    Vals(&'s [T]),
    /// Little-endian bytes, `size_of::<T>()` per element.
    Bytes(&'s [u8]),
}

impl<'s, T: Float> Src<'s, T> {
    /// The values (empty for bytes: only parameters are ever bytes, and only
    /// ops that read parameters through `Src` accept them).
    pub(crate) fn vals(self) -> &'s [T] {
        match self {
            Src::Vals(v) => v,
            Src::Bytes(_) => &[],
        }
    }

    /// Element `i` (0 when out of range).
    pub(crate) fn get(self, i: usize) -> T {
        match self {
            Src::Vals(v) => v.get(i).copied().unwrap_or(T::ZERO),
            Src::Bytes(b) => {
                let n = T::DTYPE.size();
                b.get(i * n..(i + 1) * n).map_or(T::ZERO, T::from_le_slice)
            }
        }
    }

    /// Elements `i·n .. (i+1)·n` (empty when out of range).
    pub(crate) fn row(self, i: usize, n: usize) -> Src<'s, T> {
        match self {
            Src::Vals(v) => Src::Vals(v.get(i * n..(i + 1) * n).unwrap_or(&[])),
            Src::Bytes(b) => {
                let s = T::DTYPE.size();
                Src::Bytes(b.get(i * n * s..(i + 1) * n * s).unwrap_or(&[]))
            }
        }
    }

    /// `Σ self[i] x[i]`.
    pub(crate) fn dot(self, x: &[T]) -> T {
        match self {
            Src::Vals(v) => dot(v, x),
            // Soft float: eight inlined reads of unaligned bytes cost more flash than they save.
            Src::Bytes(b) if TILED || regs::SOFT_FLOAT => dot_bytes(b, x),
            Src::Bytes(b) => regs::dot_bytes(b, x),
        }
    }
}

/// [`dot`] with one side in little-endian bytes, in the same summation order
/// (so a model gives bit-identical outputs from RAM and from flash).
fn dot_bytes<T: Float>(b: &[u8], x: &[T]) -> T {
    let size = T::DTYPE.size();
    let mut acc = [T::ZERO; LANES];
    let (cb, cx) = (b.chunks_exact(LANES * size), x.chunks_exact(LANES));
    let (rb, rx) = (cb.remainder(), cx.remainder());
    for (wb, xs) in cb.zip(cx) {
        for ((s, w), &xv) in acc.iter_mut().zip(wb.chunks_exact(size)).zip(xs) {
            madd_to(s, T::from_le_slice(w), xv);
        }
    }
    let mut tail = T::ZERO;
    for (w, &xv) in rb.chunks_exact(size).zip(rx) {
        madd_to(&mut tail, T::from_le_slice(w), xv);
    }
    reduce_lanes(acc, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_match_values_bit_for_bit() {
        for n in 0..20 {
            let w: [f32; 20] = core::array::from_fn(|i| 0.1 * i as f32 - 0.7);
            let x: [f32; 20] = core::array::from_fn(|i| 1.0 / (i as f32 + 1.0));
            let mut bytes = [0u8; 80];
            bytes
                .chunks_exact_mut(4)
                .zip(w)
                .for_each(|(c, v)| c.copy_from_slice(&v.to_le_bytes()));
            let a = Src::Vals(&w[..n]).dot(&x[..n]);
            let b = Src::<f32>::Bytes(&bytes[..4 * n]).dot(&x[..n]);
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }
}
