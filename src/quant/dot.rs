//! The int8 dot products of `QLinear`, the one place of the crate that uses
//! `unsafe`: on Cortex-M4/M7 (`cfg(flambeau_dsp)`, set by `build.rs` for
//! `thumbv7em` targets) a short inline-assembly loop that multiplies eight
//! inputs by two rows a step with the DSP extension's `SXTB16` (two int8
//! to two int16) and `SMLAD` (two 16×16 products added to an accumulator).
//!
//! Why: the plain loop costs 6 instructions per multiply-accumulate on the
//! Cortex-M4F (`LDRSB`, `LDRSH`, `SMLABB`, index, compare, branch; LLVM
//! makes no `SMLAD` from int8 weights, and the DSP intrinsics of
//! `core::arch::arm` are unstable); the loop below costs 26 instructions
//! for 16 (1.625), and a whole `Linear(256,128)` 1.94 per MAC, measured
//! under QEMU (the `int8_linear` firmware; README, "Int8 networks").
//!
//! For `SMLAD` to pair weight `k` with input `k`, the widened input is
//! stored in groups of four as `x0, x2, x1, x3` (`SXTB16` takes bytes 0 and
//! 2 of a word, then with `ROR #8` bytes 1 and 3); a tail of fewer than
//! eight stays in order. Integer sums are exact, so every target gives the same
//! result whatever the order.

/// Writes `x[i] − zero_point` into `wide` in the order [`dot2`] and [`dot1`] expect.
#[inline]
pub(crate) fn widen_for_dot(x: &[i8], zero_point: i32, wide: &mut [i16]) {
    super::widen(x, zero_point, wide);
    #[cfg(flambeau_dsp)]
    {
        // only the part the assembly loop reads (whole groups of 8); the tail stays in order
        let n = x.len().min(wide.len()) / 8 * 8;
        for g in wide.get_mut(..n).unwrap_or(&mut []).chunks_exact_mut(4) {
            g.swap(1, 2);
        }
    }
}

/// `(Σ w0[i]·x[i], Σ w1[i]·x[i])` over `n = min(len)` terms, `x` from [`widen_for_dot`].
#[inline]
pub(crate) fn dot2(w0: &[u8], w1: &[u8], x: &[i16]) -> (i32, i32) {
    let n = w0.len().min(w1.len()).min(x.len());
    #[cfg(flambeau_dsp)]
    {
        let groups = n / 8;
        let (a0, a1) = dsp::dot2(w0, w1, x, groups);
        let tail = groups * 8..n;
        let (t0, t1) = (w0.get(tail.clone()).unwrap_or(&[]), w1.get(tail.clone()).unwrap_or(&[]));
        let xt = x.get(tail).unwrap_or(&[]);
        (a0.wrapping_add(plain(t0, xt)), a1.wrapping_add(plain(t1, xt)))
    }
    #[cfg(not(flambeau_dsp))]
    {
        // both rows in one pass: each input is loaded once for two products
        let term = |w: u8, x: i32| i32::from(w as i8) * x;
        let rows = w0.iter().zip(w1).zip(x.get(..n).unwrap_or(&[]));
        rows.fold((0i32, 0i32), |(a, b), ((&p, &q), &x)| {
            let x = i32::from(x);
            (a.wrapping_add(term(p, x)), b.wrapping_add(term(q, x)))
        })
    }
}

/// `Σ w[i]·x[i]`, `x` from [`widen_for_dot`].
#[inline]
pub(crate) fn dot1(w: &[u8], x: &[i16]) -> i32 {
    #[cfg(flambeau_dsp)]
    {
        let (a, _) = dot2(w, w, x);
        a
    }
    #[cfg(not(flambeau_dsp))]
    plain(w, x)
}

/// The portable loop of one row, four terms a step (the host's compiler
/// vectorises it).
#[inline]
fn plain(w: &[u8], x: &[i16]) -> i32 {
    let term = |w: u8, x: i16| i32::from(w as i8) * i32::from(x);
    let mut acc = 0i32;
    let (wc, xc) = (w.chunks_exact(4), x.chunks_exact(4));
    let (wr, xr) = (wc.remainder(), xc.remainder());
    for (w, x) in wc.zip(xc) {
        if let ([w0, w1, w2, w3], [x0, x1, x2, x3]) = (w, x) {
            let s = term(*w0, *x0) + term(*w1, *x1) + term(*w2, *x2) + term(*w3, *x3);
            acc = acc.wrapping_add(s);
        }
    }
    wr.iter().zip(xr).fold(acc, |a, (&w, &x)| a.wrapping_add(term(w, x)))
}

#[cfg(flambeau_dsp)]
#[allow(unsafe_code)]
mod dsp {
    use core::arch::asm;

    /// The first `8 · groups` terms of both rows, with `SXTB16` and `SMLAD`.
    #[inline]
    pub(super) fn dot2(w0: &[u8], w1: &[u8], x: &[i16], groups: usize) -> (i32, i32) {
        let (mut a0, mut a1) = (0i32, 0i32);
        if groups == 0 || w0.len() < 8 * groups || w1.len() < 8 * groups || x.len() < 8 * groups {
            return (0, 0);
        }
        // SAFETY: the loop reads `8 · groups` bytes from `w0` and from `w1` and
        // `8 · groups` `i16` from `x`, all within the slices (checked above);
        // it writes only registers. Unaligned word loads are allowed on
        // ARMv7E-M (the weights sit at any offset of the file).
        unsafe {
            asm!(
                "2:",
                "ldr {xa}, [{px}], #4",
                "ldr {xb}, [{px}], #4",
                "ldr {w}, [{p0}], #4",
                "sxtb16 {t}, {w}",
                "smlad {a0}, {t}, {xa}, {a0}",
                "sxtb16 {t}, {w}, ror #8",
                "smlad {a0}, {t}, {xb}, {a0}",
                "ldr {w}, [{p1}], #4",
                "sxtb16 {t}, {w}",
                "smlad {a1}, {t}, {xa}, {a1}",
                "sxtb16 {t}, {w}, ror #8",
                "smlad {a1}, {t}, {xb}, {a1}",
                "ldr {xa}, [{px}], #4",
                "ldr {xb}, [{px}], #4",
                "ldr {w}, [{p0}], #4",
                "sxtb16 {t}, {w}",
                "smlad {a0}, {t}, {xa}, {a0}",
                "sxtb16 {t}, {w}, ror #8",
                "smlad {a0}, {t}, {xb}, {a0}",
                "ldr {w}, [{p1}], #4",
                "sxtb16 {t}, {w}",
                "smlad {a1}, {t}, {xa}, {a1}",
                "sxtb16 {t}, {w}, ror #8",
                "smlad {a1}, {t}, {xb}, {a1}",
                "subs {n}, {n}, #1",
                "bne 2b",
                px = inout(reg) x.as_ptr() => _,
                p0 = inout(reg) w0.as_ptr() => _,
                p1 = inout(reg) w1.as_ptr() => _,
                n = inout(reg) groups => _,
                a0 = inout(reg) a0,
                a1 = inout(reg) a1,
                xa = out(reg) _,
                xb = out(reg) _,
                w = out(reg) _,
                t = out(reg) _,
                options(nostack, readonly),
            );
        }
        (a0, a1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_plain_sum_for_every_length() {
        let w: [u8; 23] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(200));
        let v: [u8; 23] = core::array::from_fn(|i| (i as u8).wrapping_mul(91).wrapping_add(3));
        let x: [i8; 23] = core::array::from_fn(|i| (i as i8).wrapping_mul(-53));
        for n in 0..=23 {
            let mut wide = [0i16; 23];
            widen_for_dot(&x[..n], -7, &mut wide[..n]);
            let exact = |w: &[u8]| {
                w.iter()
                    .zip(&x[..n])
                    .map(|(&w, &x)| i32::from(w as i8) * (i32::from(x) + 7))
                    .sum::<i32>()
            };
            assert_eq!(
                dot2(&w[..n], &v[..n], &wide[..n]),
                (exact(&w[..n]), exact(&v[..n])),
                "n = {n}"
            );
            assert_eq!(dot1(&w[..n], &wide[..n]), exact(&w[..n]));
        }
    }
}
