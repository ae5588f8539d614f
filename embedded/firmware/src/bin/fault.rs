//! Checks the HardFault handler: executes a permanently undefined
//! instruction; the handler prints the faulting address and exits QEMU with
//! status 1 instead of spinning forever. `embedded/ci.sh` expects exactly that.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau_board::println;
use flambeau_firmware::CHIP;

#[entry]
fn main() -> ! {
    flambeau_firmware::init();
    println!(
        "demo = fault on {}: executing UDF, expecting the HardFault handler to exit with 1",
        CHIP
    );
    cortex_m::asm::udf()
}
