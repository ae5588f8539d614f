//! The fused multiply-add of the opt-in `fma` feature: `a · b + c` rounded
//! once, as IEEE 754 defines it, so the same bits on every target.
//!
//! With the feature, every product sum of the matrix and convolution kernels
//! takes this form instead of a multiply then an add (see
//! [`kernel::madd`](crate::ops::kernel::madd)). On an x86-64 build with the
//! `fma` target feature (`-C target-cpu=native` on any x86-64 core since
//! 2013) it is the scalar `vfmadd` intrinsic, which LLVM vectorises like a
//! multiply and an add: the kernels' 16-lane tiles become 512-bit fused
//! multiply-adds, twice the peak of the default order on a core whose
//! multiply and add share pipes (Intel's). On a Cortex-M4F, M7F or M33F
//! (`cfg(flambeau_vfma)`, from `build.rs`) the f32 step is the FPU's
//! `VFMA.F32`, in inline assembly. Elsewhere it is `libm`'s correctly
//! rounded `fmaf`/`fma`: the same bits, but a call per product (software on
//! a chip without a fused instruction, such as a Cortex-M0 or M3).
//!
//! With `src/ops/avx.rs` (the batch-1 rows of a dense layer) this is one of
//! the crate's two uses of `core::arch` for floats; the x86-64
//! intrinsic is tested against `libm` bit for bit (below, and in
//! `tests/fused.rs`), the Cortex-M instruction by the firmware under QEMU
//! (the `checkerboard` demo built with `fma` compares 13 824 cases against
//! `libm::fmaf` on the chip, `embedded/ci.sh`).
#![allow(unsafe_code)]

/// `a · b + c` for f32, rounded once.
#[cfg(all(target_arch = "x86_64", target_feature = "fma"))]
#[inline(always)]
pub(crate) fn fmaf(a: f32, b: f32, c: f32) -> f32 {
    use core::arch::x86_64::{_mm_cvtss_f32, _mm_fmadd_ss, _mm_set_ss};
    // SAFETY: the build enables the `fma` target feature (the cfg above), so
    // every core this code runs on has the instruction; the intrinsics only
    // move values between registers.
    unsafe { _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c))) }
}

/// `a · b + c` for f64, rounded once.
#[cfg(all(target_arch = "x86_64", target_feature = "fma"))]
#[inline(always)]
pub(crate) fn fma(a: f64, b: f64, c: f64) -> f64 {
    use core::arch::x86_64::{_mm_cvtsd_f64, _mm_fmadd_sd, _mm_set_sd};
    // SAFETY: as in `fmaf`.
    unsafe { _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(a), _mm_set_sd(b), _mm_set_sd(c))) }
}

/// `a · b + c` for f32, rounded once: `VFMA.F32` on a Cortex-M4F, M7F or
/// M33F (`cfg(flambeau_vfma)`, from `build.rs`).
///
/// Stable Rust takes no single-precision register as an operand on these
/// targets (its `sreg` class asks for the double-precision `vfp2` feature),
/// so the values come in and go out through core registers: five
/// instructions with the moves, against a few dozen for `libm`'s software
/// `fmaf`.
#[cfg(flambeau_vfma)]
#[inline(always)]
pub(crate) fn fmaf(a: f32, b: f32, c: f32) -> f32 {
    let sum: u32;
    // SAFETY: the target's FPU has the instruction (the cfg above); the
    // block reads three core registers, writes one and the three scratch
    // single-precision registers it declares clobbered, and touches no
    // memory. The FPU runs in its reset mode, IEEE 754 round to nearest with
    // subnormals kept (the firmware never sets flush-to-zero), the rounding
    // `libm::fmaf` gives.
    unsafe {
        core::arch::asm!(
            "vmov s13, {a}",
            "vmov s14, {b}",
            "vmov s15, {c}",
            "vfma.f32 s15, s13, s14",
            "vmov {sum}, s15",
            a = in(reg) a.to_bits(),
            b = in(reg) b.to_bits(),
            c = in(reg) c.to_bits(),
            sum = lateout(reg) sum,
            out("s13") _,
            out("s14") _,
            out("s15") _,
            options(pure, nomem, nostack),
        );
    }
    f32::from_bits(sum)
}

/// `a · b + c` for f32, rounded once.
#[cfg(not(any(all(target_arch = "x86_64", target_feature = "fma"), flambeau_vfma)))]
#[inline(always)]
pub(crate) fn fmaf(a: f32, b: f32, c: f32) -> f32 {
    libm::fmaf(a, b, c)
}

/// `a · b + c` for f64, rounded once.
#[cfg(not(all(target_arch = "x86_64", target_feature = "fma")))]
#[inline(always)]
pub(crate) fn fma(a: f64, b: f64, c: f64) -> f64 {
    libm::fma(a, b, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit patterns that reach every class: zeros, subnormals, normals near
    /// the ends of the range, infinities and NaN, plus a pseudo-random walk.
    fn f32_cases() -> impl Iterator<Item = f32> {
        let edges = [
            0u32,
            0x8000_0000,
            1,
            0x007f_ffff,
            0x0080_0000,
            0x3f80_0000,
            0xbf80_0001,
            0x7f7f_ffff,
            0xff7f_ffff,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0x3380_0000,
            0x4b80_0000,
        ];
        let mut s = 0x9e37_79b9u32;
        let walk = (0..400).map(move |_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        });
        edges.into_iter().chain(walk).map(f32::from_bits)
    }

    fn same32(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn fmaf_is_libm_bit_for_bit() {
        let v: [f32; 40] = {
            let mut it = f32_cases();
            core::array::from_fn(|_| it.next().unwrap_or(0.0))
        };
        for &a in &v {
            for &b in &v {
                for &c in &v {
                    let (got, want) = (fmaf(a, b, c), libm::fmaf(a, b, c));
                    assert!(same32(got, want), "fmaf({a:e}, {b:e}, {c:e}) = {got:e}, libm {want:e}");
                }
            }
        }
    }

    #[test]
    fn fmaf_rounds_once() {
        // (1 + 2^-12)² = 1 + 2^-11 + 2^-24: a separate multiply rounds the
        // 2^-24 away (a tie to even), a fused one keeps it for the sum.
        let a = 1.0 + f32::EPSILON * 2048.0;
        let c = -(1.0 + f32::EPSILON * 4096.0);
        assert_eq!(a * a + c, 0.0);
        assert_eq!(fmaf(a, a, c), f32::from_bits(0x3380_0000)); // 2^-24
    }

    #[test]
    fn fma_is_libm_bit_for_bit() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            f64::from_bits(s)
        };
        let specials = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            1.0,
        ];
        for i in 0..20_000 {
            let (a, b, c) = if i < 512 {
                (specials[i % 8], specials[(i / 8) % 8], specials[(i / 64) % 8])
            } else {
                (next(), next(), next())
            };
            let (got, want) = (fma(a, b, c), libm::fma(a, b, c));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "fma({a:e}, {b:e}, {c:e}) = {got:e}, libm {want:e}"
            );
        }
    }
}
