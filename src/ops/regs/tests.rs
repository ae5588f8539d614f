//! The register kernels against the plain forms, bit for bit.

use super::*;
use crate::ops::kernel;

/// Elements in the largest operand of the cases below.
const MAX: usize = 4096;

/// The first `n` of `buf`, filled with values that keep every mantissa bit
/// busy, so that a change of summation order shows.
fn values<T: Float>(buf: &mut [T; MAX], n: usize, seed: u64) -> &[T] {
    let mut s = seed;
    let part = &mut buf[..n];
    for v in part.iter_mut() {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *v = T::from_f64(2.0 * ((s >> 11) as f64 / (1u64 << 53) as f64) - 1.0);
    }
    part
}

/// The bits of a value, for exact comparisons of `f32` and `f64` alike.
fn bits<T: Float>(v: T) -> u64 {
    v.to_f64().to_bits()
}

fn dot_matches_kernel<T: Float>() {
    let (mut ab, mut bb) = ([T::ZERO; MAX], [T::ZERO; MAX]);
    let (a, b) = (values(&mut ab, 300, 1), values(&mut bb, 300, 2));
    for n in (0..40).chain([255, 256, 257, 300]) {
        let (want, got) = (kernel::dot(&a[..n], &b[..n]), dot(&a[..n], &b[..n]));
        assert_eq!(bits(got), bits(want), "dot of length {n}");
        let mut bytes = [0u8; 8 * 300];
        let size = T::DTYPE.size();
        for (c, &v) in bytes.chunks_exact_mut(size).zip(a) {
            v.write_le(c);
        }
        let from_bytes = dot_bytes(&bytes[..n * size], &b[..n]);
        assert_eq!(bits(from_bytes), bits(want), "dot from bytes of length {n}");
    }
    // The shorter slice sets the length.
    assert_eq!(bits(dot(&a[..20], &b[..13])), bits(kernel::dot(&a[..13], &b[..13])));
}

#[test]
fn dot_matches_kernel_f32() {
    dot_matches_kernel::<f32>();
}

#[test]
fn dot_matches_kernel_f64() {
    dot_matches_kernel::<f64>();
}

/// Bytes of a length that is not a whole number of elements read no partial element.
#[test]
fn dot_bytes_ignores_a_partial_element() {
    let w: [f32; 9] = core::array::from_fn(|i| i as f32 + 0.5);
    let x = [1.0f32; 9];
    let mut bytes = [0u8; 36];
    for (c, v) in bytes.chunks_exact_mut(4).zip(w) {
        c.copy_from_slice(&v.to_le_bytes());
    }
    assert_eq!(dot_bytes(&bytes[..35], &x), kernel::dot(&w[..8], &x[..8]));
    assert_eq!(dot_bytes::<f32>(&[], &x), 0.0);
}

/// The gradient products give the bits of the plain loops of `axpy`s,
/// starting from non-zero gradients (the register tiles start from them too).
fn gradients_match_axpy_loops<T: Float>() {
    for &(rows, inp, out) in &[(1, 9, 7), (3, 8, 1), (5, 40, 20), (8, 17, 3), (2, 1, 5), (4, 64, 10)] {
        let (mut xb, mut gyb, mut wb, mut cb) = ([T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX]);
        let (x, gy, w) = (
            values(&mut xb, rows * inp, 3),
            values(&mut gyb, rows * out, 4),
            values(&mut wb, out * inp, 5),
        );
        let start = values(&mut cb, rows.max(out) * inp, 6);
        let (mut plain, mut regs) = ([T::ZERO; MAX], [T::ZERO; MAX]);
        let n = out * inp;
        plain[..n].copy_from_slice(&start[..n]);
        regs[..n].copy_from_slice(&start[..n]);
        for (xr, gyr) in x.chunks_exact(inp).zip(gy.chunks_exact(out)) {
            for (&g, gwo) in gyr.iter().zip(plain[..n].chunks_exact_mut(inp)) {
                kernel::axpy(gwo, g, xr);
            }
        }
        tn_acc(gy, x, &mut regs[..n], inp, out);
        let same = plain[..n].iter().zip(&regs[..n]).all(|(&p, &q)| bits(p) == bits(q));
        assert!(same, "tn_acc rows {rows} inp {inp} out {out}");

        let n = rows * inp;
        plain[..n].copy_from_slice(&start[..n]);
        regs[..n].copy_from_slice(&start[..n]);
        for (gxr, gyr) in plain[..n].chunks_exact_mut(inp).zip(gy.chunks_exact(out)) {
            for (&g, wo) in gyr.iter().zip(w.chunks_exact(inp)) {
                kernel::axpy(gxr, g, wo);
            }
        }
        nn_acc(gy, w, &mut regs[..n], inp, out);
        let same = plain[..n].iter().zip(&regs[..n]).all(|(&p, &q)| bits(p) == bits(q));
        assert!(same, "nn_acc rows {rows} inp {inp} out {out}");
    }
}

#[test]
fn gradients_match_axpy_loops_f32() {
    gradients_match_axpy_loops::<f32>();
}

#[test]
fn gradients_match_axpy_loops_f64() {
    gradients_match_axpy_loops::<f64>();
}

/// Bytes at an 8-byte aligned address, as the firmware embeds its files.
#[repr(C, align(8))]
struct Aligned<const N: usize>([u8; N]);

/// The forward product, weights in RAM and in bytes, gives the bits of
/// `b[o] + dot(x[r], w[o])` for every output, whole groups and the rest.
/// The bytes are read at an aligned offset (seen in place as floats) and at
/// an odd one (read element by element): both give the same bits.
fn nt_matches_dot<T: Float>() {
    let size = T::DTYPE.size();
    for &(rows, inp, out) in &[(1, 256, 13), (1, 64, 10), (2, 17, 4), (3, 8, 5), (1, 3, 2), (2, 40, 9)] {
        let (mut xb, mut wb, mut bb) = ([T::ZERO; MAX], [T::ZERO; MAX], [T::ZERO; MAX]);
        let (x, w, b) = (
            values(&mut xb, rows * inp, 7),
            values(&mut wb, out * inp, 8),
            values(&mut bb, out, 9),
        );
        for shift in [0, 1] {
            let mut w_bytes = Aligned([0u8; 8 * MAX + 8]);
            let mut b_bytes = Aligned([0u8; 8 * 128 + 8]);
            for (c, &v) in w_bytes.0[shift..].chunks_exact_mut(size).zip(w) {
                v.write_le(c);
            }
            for (c, &v) in b_bytes.0[shift..].chunks_exact_mut(size).zip(b) {
                v.write_le(c);
            }
            let (wsrc, bsrc) = (
                &w_bytes.0[shift..shift + out * inp * size],
                &b_bytes.0[shift..shift + out * size],
            );
            assert_eq!(
                view::floats::<T>(wsrc).is_some(),
                shift == 0,
                "aligned view at offset {shift}"
            );
            let (mut from_vals, mut from_bytes) = ([T::ZERO; 256], [T::ZERO; 256]);
            let n = rows * out;
            nt(x, Src::Vals(w), Src::Vals(b), &mut from_vals[..n], inp, out);
            nt(x, Src::Bytes(wsrc), Src::Bytes(bsrc), &mut from_bytes[..n], inp, out);
            for (r, xr) in x.chunks_exact(inp).enumerate() {
                for (o, wo) in w.chunks_exact(inp).enumerate() {
                    let want = bits(b[o] + kernel::dot(xr, wo));
                    let i = r * out + o;
                    assert_eq!(bits(from_vals[i]), want, "rows {rows} inp {inp} out {out}: y[{r}][{o}]");
                    assert_eq!(
                        bits(from_bytes[i]),
                        want,
                        "from bytes at offset {shift}, rows {rows} inp {inp} out {out}: y[{r}][{o}]"
                    );
                }
            }
        }
    }
}

/// The aligned view reads each element as `from_le_bytes` does, and refuses
/// a misaligned start or a partial element.
#[test]
fn aligned_view_reads_le_values_or_refuses() {
    let mut buf = Aligned([0u8; 40]);
    for (c, i) in buf.0.chunks_exact_mut(4).zip(0..) {
        c.copy_from_slice(&(i as f32 * 1.5 - 3.0).to_le_bytes());
    }
    let view = view::floats::<f32>(&buf.0[..40]).unwrap();
    assert_eq!(view.len(), 10);
    for (v, c) in view.iter().zip(buf.0.chunks_exact(4)) {
        assert_eq!(v.to_bits(), f32::from_le_slice(c).to_bits());
    }
    assert!(view::floats::<f32>(&buf.0[1..33]).is_none(), "misaligned start");
    assert!(view::floats::<f32>(&buf.0[..39]).is_none(), "partial element");
    assert_eq!(view::floats::<f64>(&buf.0[..40]).map(<[f64]>::len), Some(5));
    assert!(
        view::floats::<f64>(&buf.0[4..36]).is_none(),
        "f64 needs 8-byte alignment"
    );
}

#[test]
fn nt_matches_dot_f32() {
    nt_matches_dot::<f32>();
}

#[test]
fn nt_matches_dot_f64() {
    nt_matches_dot::<f64>();
}

/// `axpy` in groups of eight gives the element-wise bits ([`kernel::madd`]), for every tail length.
#[test]
fn axpy_matches_plain() {
    let (mut xb, mut yb) = ([0.0f32; MAX], [0.0f32; MAX]);
    values(&mut xb, 40, 10);
    values(&mut yb, 40, 11);
    let (x, y0) = (&xb[..40], &yb[..40]);
    for n in 0..40 {
        let mut y = [0.0f32; 40];
        y.copy_from_slice(y0);
        super::axpy(&mut y[..n], 0.3, &x[..n]);
        for i in 0..40 {
            let want = if i < n { kernel::madd(y0[i], 0.3, x[i]) } else { y0[i] };
            assert_eq!(y[i].to_bits(), want.to_bits(), "n {n}, element {i}");
        }
    }
}
