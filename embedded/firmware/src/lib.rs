//! What every firmware demo shares: the reference results in flash, exit
//! codes, the [`Bench`] of the chip (the region markers an
//! instruction-counting QEMU plugin watches) and the verdict with the
//! painted-stack check. The board (memory map, output, exit, fault
//! handlers) is `flambeau-board`'s, chosen by `FLAMBEAU_BOARD`.
#![no_std]

use flambeau_board::{bench, println, stack_reserve};
use flambeau_demos::{Bench, Region};

pub use flambeau_board::{BOARD, CHIP, exit, init, stack_used};

/// The host's reference results and, with the `usps` feature, the exported USPS weights and images.
pub mod data {
    include!(concat!(env!("OUT_DIR"), "/fw_data.rs"));
}

/// Exit statuses (QEMU's own exit status is the firmware's).
pub mod code {
    /// Every check passed.
    pub const PASS: u32 = 0;
    /// A panic or a HardFault.
    pub const FAULT: u32 = flambeau_board::FAULT;
    /// The accuracy is below the demo's bar.
    pub const ACCURACY: u32 = 2;
    /// A prediction differs from the host's.
    pub const MISMATCH: u32 = 3;
    /// The trained weights' hash differs from the host's.
    pub const PARITY: u32 = 4;
    /// The stack outgrew the reserve of the memory map.
    pub const BUDGET: u32 = 5;
    /// The core returned an error.
    pub const CORE_ERROR: u32 = 6;
}

/// How many of the fused multiply-adds of [`fused_cases`] the core computes
/// on this chip ([`Float::fused_mul_add`](flambeau::Float::fused_mul_add):
/// `VFMA.F32` on a Cortex-M4F, M7F or M33F, `libm` elsewhere) to the bits
/// of `libm::fmaf`, the correctly rounded reference (any NaN matches any
/// NaN), and how many cases there are.
#[cfg(feature = "fma")]
pub fn fused_agreement() -> (usize, usize) {
    use flambeau::Float;
    let (mut agree, mut total) = (0, 0);
    let cases = fused_cases();
    for &a in &cases {
        for &b in &cases {
            for &c in &cases {
                let (got, want) = (a.fused_mul_add(b, c), libm::fmaf(a, b, c));
                total += 1;
                if got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()) {
                    agree += 1;
                }
            }
        }
    }
    (agree, total)
}

/// Operands for [`fused_agreement`]: zeros, subnormals, the range's ends,
/// infinities, NaN, values whose product needs the single rounding (a
/// multiply then an add would round twice) and a pseudo-random walk.
#[cfg(feature = "fma")]
fn fused_cases() -> [f32; 24] {
    let edges = [
        0u32,
        0x8000_0000,
        1,
        0x807f_ffff,
        0x0080_0000,
        0x3f80_0000,
        0xbf80_0001,
        0x3f80_0001,
        0x7f7f_ffff,
        0xff7f_ffff,
        0x7f80_0000,
        0x7fc0_0000,
        0x3380_0000,
        0xb380_0000,
        0x4b80_0000,
        0x1f80_0000,
    ];
    let mut cases = [0.0f32; 24];
    let mut s = 0x9e37_79b9u32;
    for (i, v) in cases.iter_mut().enumerate() {
        let bits = if let Some(&e) = edges.get(i) {
            e
        } else {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        };
        *v = f32::from_bits(bits);
    }
    cases
}

/// The [`Bench`] of the firmware: calls the marker symbols.
pub struct Markers;

impl Bench for Markers {
    fn start(&mut self, region: Region) {
        match region {
            Region::Train => bench::bench_train_start(),
            Region::Infer => bench::bench_infer_start(),
        }
    }
    fn stop(&mut self, region: Region) {
        match region {
            Region::Train => bench::bench_train_stop(),
            Region::Infer => bench::bench_infer_stop(),
        }
    }
}

/// Prints the stack figures and the verdict, then exits with `status`, or
/// with [`code::BUDGET`] when the stack outgrew its reserve.
pub fn finish(status: u32) -> ! {
    let (used, reserve) = (stack_used(), stack_reserve());
    println!("stack_bytes = {}", used);
    println!("stack_reserve = {}", reserve);
    let status = if status == code::PASS && used > reserve {
        println!(
            "FAIL: the stack used {} bytes, more than the {} reserved",
            used, reserve
        );
        code::BUDGET
    } else {
        status
    };
    println!("result = {}", if status == code::PASS { "PASS" } else { "FAIL" });
    exit(status)
}

/// The value of `r`, or: prints the core's error and exits with [`code::CORE_ERROR`].
pub fn check<T>(what: &str, r: Result<T, flambeau::Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            println!("FAIL: {}: {}", what, e);
            finish(code::CORE_ERROR)
        }
    }
}

/// As [`check`], but the error is printed as its kind and the buffer or
/// parameter it names, static strings only: without the full `Display` of
/// the core's errors (numbers, tensor names, JSON offsets) and the
/// formatting code it needs, for the demos whose flash is full of data.
pub fn check_brief<T>(what: &str, r: Result<T, flambeau::Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            let (kind, detail) = error_summary(&e);
            println!("FAIL: {}: {} ({})", what, kind, detail);
            finish(code::CORE_ERROR)
        }
    }
}

/// The kind of `e` and the buffer, parameter or file part it names.
pub fn error_summary(e: &flambeau::Error) -> (&'static str, &'static str) {
    use flambeau::{Error as E, SafetensorsError as S};
    match e {
        E::BufferTooSmall { what, .. } => ("buffer too small", what),
        E::LengthMismatch { what, .. } => ("length mismatch", what),
        E::NonFinite { what, .. } => ("non-finite value", what),
        E::InvalidScale { what, .. } => ("invalid scale", what),
        E::QuantParamOutOfRange { what, .. } => ("quantisation parameter out of range", what),
        E::Safetensors(s) => (
            "invalid safetensors file",
            match s {
                S::Truncated { .. } => "truncated",
                S::HeaderTooLarge { .. } => "header too large",
                S::InvalidHeader { .. } => "malformed JSON header",
                S::InvalidEntry { .. } => "malformed tensor entry",
                S::UnknownDtype { .. } => "unknown dtype",
                S::DuplicateName { .. } => "duplicate tensor name",
                S::SizeMismatch { .. } => "data_offsets disagree with shape and dtype",
                S::OutOfBounds { .. } => "tensor beyond the data section",
                S::Overlap { .. } => "overlapping tensors",
                S::Hole { .. } => "unused bytes in the data section",
                S::Missing { .. } => "missing tensor",
                S::Unexpected { .. } => "unexpected tensor",
                S::ShapeMismatch { .. } => "tensor shape mismatch",
                S::NonFinite { .. } => "non-finite tensor value",
                S::NotAFloat { .. } => "tensor not a float",
                S::DtypeMismatch { .. } => "tensor dtype mismatch",
                S::BadName { .. } => "bad tensor name",
                _ => "other",
            },
        ),
        _ => ("core error", "see flambeau::Error"),
    }
}

/// Prints `name = value` with 6 decimals, without float formatting (which costs flash).
pub fn print_fixed(name: &str, value: f32) {
    /// Decimals printed.
    const SCALE: f32 = 1e6;
    let micro = (value * SCALE) as i64; // saturates; the values printed are losses and are finite
    let sign = if micro < 0 { "-" } else { "" };
    let m = micro.unsigned_abs();
    println!("{} = {}{}.{:06}", name, sign, m / 1_000_000, m % 1_000_000);
}

/// Prints `name = whole.fraction%` from a per-mille value, without float formatting.
pub fn print_percent(name: &str, per_mille: usize) {
    println!("{} = {}.{}%", name, per_mille / 10, per_mille % 10);
}
