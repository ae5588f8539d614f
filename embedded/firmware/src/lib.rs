//! What every firmware demo shares: the data in flash, the region markers
//! the instruction-counting QEMU plugin watches, the painted-stack
//! measurement, exit codes through semihosting and a HardFault handler that
//! exits instead of hanging.
#![no_std]

use cortex_m_rt::{ExceptionFrame, exception};
use cortex_m_semihosting::hprintln;
use flambeau_demos::{Bench, Region};
use panic_semihosting as _; // a panic prints its message, then exits with status 1

/// The exported USPS weights and images, and the host's reference results.
pub mod data {
    include!(concat!(env!("OUT_DIR"), "/fw_data.rs"));
}

/// Exit statuses (QEMU's own exit status is the firmware's).
pub mod code {
    /// Every check passed.
    pub const PASS: u32 = 0;
    /// A panic or a HardFault.
    pub const FAULT: u32 = 1;
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

/// Exits QEMU with `status` (semihosting `SYS_EXIT_EXTENDED`).
pub fn exit(status: u32) -> ! {
    /// `ADP_Stopped_ApplicationExit`: a normal exit whose status follows.
    const APPLICATION_EXIT: usize = 0x20026;
    /// `SYS_EXIT_EXTENDED`.
    const SYS_EXIT_EXTENDED: usize = 0x20;
    let block = [APPLICATION_EXIT, status as usize];
    // SAFETY: a semihosting call with a valid parameter block; it does not return under QEMU.
    unsafe { cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block) };
    loop {
        cortex_m::asm::bkpt();
    }
}

/// Written by the markers so that each has a distinct body (LTO would merge identical ones).
static mut BENCH_MARK: u32 = 0;

macro_rules! marker {
    ($name:ident, $value:expr) => {
        /// A region marker: the QEMU plugin counts instructions between the entries of the
        /// `_start` and `_stop` symbols of a region.
        #[unsafe(no_mangle)]
        #[inline(never)]
        pub extern "C" fn $name() {
            // SAFETY: a volatile write to a private static; single core, no interrupts touch it.
            unsafe { core::ptr::write_volatile(&raw mut BENCH_MARK, $value) };
        }
    };
}
marker!(bench_train_start, 1);
marker!(bench_train_stop, 2);
marker!(bench_infer_start, 3);
marker!(bench_infer_stop, 4);

/// The [`Bench`] of the firmware: calls the marker symbols.
pub struct Markers;

impl Bench for Markers {
    fn start(&mut self, region: Region) {
        match region {
            Region::Train => bench_train_start(),
            Region::Infer => bench_infer_start(),
        }
    }
    fn stop(&mut self, region: Region) {
        match region {
            Region::Train => bench_train_stop(),
            Region::Infer => bench_infer_stop(),
        }
    }
}

unsafe extern "C" {
    static _stack_start: u32; // top of the stack (highest address)
    static _stack_end: u32; // lowest address it may reach: the end of the statics
    static _stack_reserve: u8; // its address is the reserve set in memory.x
}

/// Peak stack in bytes: cortex-m-rt (`paint-stack`) paints the free RAM with
/// `0xCCCC_CCCC` at reset; the lowest word changed since marks the peak.
pub fn stack_used() -> usize {
    let top = &raw const _stack_start as usize;
    let mut p = &raw const _stack_end as usize;
    // SAFETY: reads of RAM words between the end of the statics and the top of the stack.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == cortex_m_rt::STACK_PAINT_VALUE {
        p += 4;
    }
    top - p
}

/// The stack reserve of the memory map (`_stack_reserve` in memory.x).
pub fn stack_reserve() -> usize {
    &raw const _stack_reserve as usize
}

/// Prints the stack figures and the verdict, then exits with `status`, or
/// with [`code::BUDGET`] when the stack outgrew its reserve.
pub fn finish(status: u32) -> ! {
    let (used, reserve) = (stack_used(), stack_reserve());
    hprintln!("stack_bytes = {}", used);
    hprintln!("stack_reserve = {}", reserve);
    let status = if status == code::PASS && used > reserve {
        hprintln!(
            "FAIL: the stack used {} bytes, more than the {} reserved",
            used,
            reserve
        );
        code::BUDGET
    } else {
        status
    };
    hprintln!("result = {}", if status == code::PASS { "PASS" } else { "FAIL" });
    exit(status)
}

/// The value of `r`, or: prints the core's error and exits with [`code::CORE_ERROR`].
pub fn check<T>(what: &str, r: Result<T, flambeau::Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            hprintln!("FAIL: {}: {}", what, e);
            finish(code::CORE_ERROR)
        }
    }
}

/// The chip the firmware is built for.
#[cfg(armv6m)]
pub const CHIP: &str = "cortex-m0";
/// The chip the firmware is built for.
#[cfg(not(armv6m))]
pub const CHIP: &str = "cortex-m4f";

/// Prints `name = value` with 6 decimals, without float formatting (which costs flash).
pub fn print_fixed(name: &str, value: f32) {
    /// Decimals printed.
    const SCALE: f32 = 1e6;
    let micro = (value * SCALE) as i64; // saturates; the values printed are losses and are finite
    let sign = if micro < 0 { "-" } else { "" };
    let m = micro.unsigned_abs();
    hprintln!("{} = {}{}.{:06}", name, sign, m / 1_000_000, m % 1_000_000);
}

/// Prints `name = whole.fraction%` from a per-mille value, without float formatting.
pub fn print_percent(name: &str, per_mille: usize) {
    hprintln!("{} = {}.{}%", name, per_mille / 10, per_mille % 10);
}

/// cortex-m-rt's default HardFault handler spins forever; exit so that CI cannot hang.
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HardFault at pc={:#010x}", frame.pc());
    exit(code::FAULT)
}
