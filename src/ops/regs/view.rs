//! Little-endian float bytes seen in place as floats, when they are aligned.
//!
//! `unsafe`: weights read in place from flash are a byte slice, and safe
//! Rust can only read a float out of bytes one copy at a time. On a
//! Cortex-M4F that copy is an integer `ldr` and a `vmov` to the FPU per
//! weight, where an aligned `&[f32]` is one `vldr`: the USPS MLP's f32
//! inference from flash took 5.1 instructions per multiply-accumulate the
//! first way and 4.0 the second (`Linear(256,128)` alone: 3.56, the
//! `f32_linear` firmware demo). The safetensors writer pads the header so that the data
//! start 8-byte aligned, and the firmware embeds its files at 8-byte
//! aligned addresses, so the view applies there; anything else (an odd
//! offset, a big-endian target, a float type other than `f32` and `f64`)
//! gets `None` and the byte path, which sums in the same order.

#![allow(unsafe_code)]

use crate::float::Float;
use core::any::TypeId;

/// `bytes` as `&[T]` when `T` is `f32` or `f64`, the target little-endian,
/// and `bytes` starts at an address aligned for `T` and holds whole elements.
#[inline]
pub(crate) fn floats<T: Float>(bytes: &[u8]) -> Option<&[T]> {
    let plain = TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>();
    if !plain || cfg!(target_endian = "big") {
        return None;
    }
    // SAFETY: `T` is `f32` or `f64` (checked above): no padding, and every
    // bit pattern is a valid value, so any aligned run of its bytes is one.
    // `align_to` returns in `mid` only the elements that are aligned and
    // whole within `bytes`, borrowed for `bytes`' lifetime; the view is used
    // only when nothing lies outside it. The target is little-endian, so
    // each element reads as `from_le_bytes` would.
    let (pre, mid, post) = unsafe { bytes.align_to::<T>() };
    (pre.is_empty() && post.is_empty()).then_some(mid)
}
