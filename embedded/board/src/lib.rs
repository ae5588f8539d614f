//! # flambeau-board
//!
//! What a flambeau firmware needs from its board, chosen by name at build
//! time (`FLAMBEAU_BOARD`, see `build.rs` and `boards/`):
//!
//! - the memory map, handed to cortex-m-rt's `link.x` (the link fails when
//!   the firmware outgrows the board's flash or leaves its stack too little RAM;
//!   `FLAMBEAU_STACK_RESERVE` sets the stack reserve for one build);
//! - [`BOARD`] and [`CHIP`], the names it was built for, printed by [`init`];
//! - output lines through [`println!`]: semihosting (feature `semihosting`,
//!   the default: QEMU, or a board under a debugger) or RTT (feature `rtt`:
//!   a real board, read by probe-rs, running with or without a debugger);
//! - [`exit`] with a status; a HardFault handler and a panic handler that
//!   print what happened and exit with [`FAULT`] instead of hanging;
//! - the painted-stack measurement ([`stack_used`], [`stack_reserve`]) and
//!   the region markers an instruction-counting emulator plugin watches
//!   ([`bench`]).
//!
//! ```ignore
//! #[cortex_m_rt::entry]
//! fn main() -> ! {
//!     flambeau_board::init(); // prints "flambeau firmware for board mps2-an386 (cortex-m4f)"
//!     flambeau_board::println!("hello from {}", flambeau_board::CHIP);
//!     flambeau_board::exit(0)
//! }
//! ```
#![no_std]
#![deny(missing_docs)]

pub mod bench;
mod output;

pub use output::{exit, write_line};

/// The board the firmware was built for (`FLAMBEAU_BOARD`).
pub const BOARD: &str = env!("FLAMBEAU_BOARD_NAME");
/// The chip of that board, e.g. `cortex-m4f` (`f`: with a floating-point unit).
pub const CHIP: &str = env!("FLAMBEAU_BOARD_CHIP");
/// The first line every firmware prints; the runner (`run.sh`) finds the
/// board in the ELF by this text.
pub const BANNER: &str = concat!(
    "flambeau firmware for board ",
    env!("FLAMBEAU_BOARD_NAME"),
    " (",
    env!("FLAMBEAU_BOARD_CHIP"),
    ")"
);
/// The exit status of a panic or a HardFault.
pub const FAULT: u32 = 1;

/// Prints a line (a `format!` string and its arguments) on the firmware's
/// output: semihosting or RTT, as built.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::write_line(format_args!($($arg)*))
    };
}

/// Sets up the output (RTT's control block when built with `rtt`) and
/// prints [`BANNER`]. Call it first.
pub fn init() {
    output::init();
    write_line(format_args!("{}", BANNER));
}

unsafe extern "C" {
    static _stack_start: u32; // top of the stack (highest address)
    static _stack_end: u32; // lowest address it may reach: the end of the statics
    static _stack_reserve: u8; // its address is the reserve set in the board's memory file
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

/// The stack reserve of the board's memory map (`_stack_reserve`).
pub fn stack_reserve() -> usize {
    &raw const _stack_reserve as usize
}

/// cortex-m-rt's default HardFault handler spins forever; print the faulting
/// address and exit, through nothing that needs a debugger when built with `rtt`.
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    write_line(format_args!("HardFault at pc={:#010x}", frame.pc()));
    exit(FAULT)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    write_line(format_args!("panicked: {}", info));
    exit(FAULT)
}
