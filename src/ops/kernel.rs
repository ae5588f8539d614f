//! Inner-loop helpers shared by the dense ops, written so the compiler can
//! vectorise them: fixed-width lanes, no index arithmetic, no bounds checks.

use super::gemm::TILED;
use crate::float::Float;

/// Lanes of independent partial sums in [`dot`]: term `k` of every f32 and
/// f64 product goes to lane `k mod LANES`, the lanes are combined in
/// [`reduce_lanes`]' fixed tree, and the terms past the last whole group of
/// `LANES` (the tail) are summed in order and added last.
///
/// This order is the crate's contract, the same on every target, so that a
/// model trains to the same bits on a desktop and on a chip. Eight lanes
/// fill one 256-bit vector of f32 (AVX) and give a scalar FPU independent
/// sums it can keep in registers (a Cortex-M4F has 32 single-precision
/// registers: eight sums plus the operands of a group fit). Wider vectors do
/// not need more lanes: the desktop kernels in [`gemm`](super::gemm)
/// vectorise across outputs and rows (AVX-512 included), never across `k`,
/// so they keep this order. Changing `LANES` or the tree changes the bits of
/// every trained model; it would have to change at once in [`dot`],
/// [`reduce_lanes`], every tile and panel of `gemm`, the microcontroller
/// kernels of [`regs`](super::regs), and the reference bits the firmware
/// demos compare against.
pub(crate) const LANES: usize = 8;

/// `s + p · q`, the one step of every product sum in the kernels: a
/// multiply then an add by default (each rounded, the bits every target
/// computes with its plain instructions), or with the `fma` feature
/// [`Float::fused_mul_add`] (rounded once: the same bits on every target
/// too, fast where the core fuses them in hardware).
///
/// The lane order of [`LANES`] is the same either way: only the rounding of
/// each step differs, so a model trained with the feature is reproducible
/// across machines built with it, and differs from the default in the last
/// bits.
#[cfg(not(feature = "fma"))]
#[inline(always)]
pub(crate) fn madd<T: Float>(s: T, p: T, q: T) -> T {
    s + p * q
}

/// [`madd`] of the `fma` feature: one rounding.
#[cfg(feature = "fma")]
#[inline(always)]
pub(crate) fn madd<T: Float>(s: T, p: T, q: T) -> T {
    p.fused_mul_add(q, s)
}

/// [`madd`] in place (`*s = madd(*s, p, q)`), written `*s += p * q` by default so that the
/// product is formed before the sum is read (what soft-float code keeps in
/// fewer registers across its library calls).
#[cfg(not(feature = "fma"))]
#[inline(always)]
pub(crate) fn madd_to<T: Float>(s: &mut T, p: T, q: T) {
    *s += p * q;
}

/// [`madd_to`] of the `fma` feature.
#[cfg(feature = "fma")]
#[inline(always)]
pub(crate) fn madd_to<T: Float>(s: &mut T, p: T, q: T) {
    *s = p.fused_mul_add(q, *s);
}

/// `Σ a[i] b[i]` over the shorter of the two slices.
#[inline]
pub(crate) fn dot<T: Float>(a: &[T], b: &[T]) -> T {
    if TILED {
        dot_vector(a, b)
    } else {
        super::regs::dot(a, b)
    }
}

/// [`dot`] with its lanes as one array, which vector targets keep in a register.
#[inline]
fn dot_vector<T: Float>(a: &[T], b: &[T]) -> T {
    let n = a.len().min(b.len());
    let (a, b) = (a.get(..n).unwrap_or(&[]), b.get(..n).unwrap_or(&[]));
    let mut acc = [T::ZERO; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for ((s, &p), &q) in acc.iter_mut().zip(xa).zip(xb) {
            madd_to(s, p, q);
        }
    }
    let mut tail = T::ZERO;
    for (&p, &q) in ra.iter().zip(rb) {
        madd_to(&mut tail, p, q);
    }
    reduce_lanes(acc, tail)
}

/// The fixed summation order of [`dot`]'s lanes (shared by every dot
/// product, so weights read from bytes give bit-identical results).
#[inline]
pub(crate) fn reduce_lanes<T: Float>(acc: [T; LANES], tail: T) -> T {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = acc;
    ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) + tail
}

/// `Σ x[i]`, in [`dot`]'s lane order.
#[inline]
pub(crate) fn sum<T: Float>(x: &[T]) -> T {
    let (chunks, rest) = x.as_chunks::<LANES>();
    let mut acc = [T::ZERO; LANES];
    for c in chunks {
        for (s, &v) in acc.iter_mut().zip(c) {
            *s += v;
        }
    }
    reduce_lanes(acc, rest.iter().fold(T::ZERO, |s, &v| s + v))
}

/// `y[i] += alpha * x[i]`.
#[inline]
pub(crate) fn axpy<T: Float>(y: &mut [T], alpha: T, x: &[T]) {
    // Hard-float microcontrollers: groups of eight (soft float gains nothing there and spends flash).
    if !TILED && !super::regs::SOFT_FLOAT {
        super::regs::axpy(y, alpha, x);
        return;
    }
    for (yi, &xi) in y.iter_mut().zip(x) {
        madd_to(yi, alpha, xi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_for_every_tail() {
        for n in 0..20 {
            let a: [f64; 20] = core::array::from_fn(|i| i as f64 + 1.0);
            let b: [f64; 20] = core::array::from_fn(|i| 2.0 - i as f64);
            let naive: f64 = a[..n].iter().zip(&b[..n]).map(|(x, y)| x * y).sum();
            assert_eq!(dot(&a[..n], &b[..n]), naive);
        }
    }

    #[test]
    fn sum_matches_naive() {
        let a: [f64; 21] = core::array::from_fn(|i| i as f64 * 0.5);
        assert_eq!(sum(&a), 105.0);
        assert_eq!(sum::<f32>(&[]), 0.0);
    }

    #[test]
    fn axpy_adds_scaled() {
        let mut y = [1.0f32, 2.0, 3.0];
        axpy(&mut y, 2.0, &[1.0, 1.0, -1.0]);
        assert_eq!(y, [3.0, 4.0, 1.0]);
    }
}
