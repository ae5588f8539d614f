//! The firmware's output and exit: semihosting, or RTT for real boards.
//!
//! Semihosting asks the debugger (or QEMU) to print: on a board with no
//! debugger attached, the first request faults. RTT writes into a ring
//! buffer in RAM that a probe (probe-rs) reads when one is attached, and
//! costs nothing when none is; with `rtt`, the firmware uses semihosting only
//! to report its exit status to a debugger it can see attached.

use core::fmt::Arguments;

#[cfg(feature = "rtt")]
/// Bytes of the RTT buffer: the longest output of the demos, with room to spare.
const RTT_BUFFER: usize = 2048;

/// Sets up the output channel.
pub(crate) fn init() {
    #[cfg(feature = "rtt")]
    rtt_target::rtt_init_print!(rtt_target::ChannelMode::NoBlockSkip, RTT_BUFFER);
}

/// Writes `args` and a newline; [`crate::println!`] calls this.
#[cfg(feature = "rtt")]
pub fn write_line(args: Arguments) {
    rtt_target::rprintln!("{}", args);
}

/// Writes `args` and a newline; [`crate::println!`] calls this.
#[cfg(not(feature = "rtt"))]
pub fn write_line(args: Arguments) {
    cortex_m_semihosting::hprintln!("{}", args);
}

/// Ends the firmware with `status` (0: success).
///
/// Under semihosting, QEMU (or the debugger) exits with that status. With
/// `rtt`, it prints `exit = status`, then reports the status through
/// semihosting only if a debugger is attached (probe-rs ends its run with
/// it); otherwise, and always on a Cortex-M0 (which cannot tell), it sleeps.
pub fn exit(status: u32) -> ! {
    #[cfg(feature = "rtt")]
    {
        write_line(format_args!("exit = {}", status));
        if debugger_attached() {
            semihosting_exit(status);
        }
        loop {
            cortex_m::asm::wfi();
        }
    }
    #[cfg(not(feature = "rtt"))]
    semihosting_exit(status)
}

/// Whether a debugger holds the core (DHCSR.C_DEBUGEN); ARMv6-M gives
/// software no access to that bit.
#[cfg(feature = "rtt")]
fn debugger_attached() -> bool {
    #[cfg(armv6m)]
    return false;
    #[cfg(not(armv6m))]
    return cortex_m::peripheral::DCB::is_debugger_attached();
}

/// Semihosting `SYS_EXIT_EXTENDED` with `status`.
fn semihosting_exit(status: u32) -> ! {
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
