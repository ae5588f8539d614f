//! Probe of the largest trainable net: the checkerboard demo (Adam, batch
//! 16, same data and bar) with `FLAMBEAU_FW_PROBE_CB_HIDDEN` hidden units.
//! `embedded/ci.sh` searches the largest width whose training state links
//! within the Cortex-M0's 16 KiB next to the stack reserve, then runs it.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::Node;
use flambeau_board::println;
use flambeau_demos::checkerboard::{self as cb, Checkerboard, Config};
use flambeau_firmware::{CHIP, Markers, check, code, data, finish, print_percent};

const H: usize = data::PROBE_CB_HIDDEN;
static mut TAPE: [Node; cb::Fp::<H>::NODES] = [Node::EMPTY; cb::Fp::<H>::NODES];
static mut ARENA: [f32; cb::Fp::<H>::ARENA] = [0.0; cb::Fp::<H>::ARENA];
static mut STATE: [f32; cb::state_len::<H>()] = [0.0; cb::state_len::<H>()];

#[entry]
fn main() -> ! {
    flambeau_firmware::init();
    // SAFETY: `main` runs once and is the only code that touches these statics.
    let (tape, arena, state) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(TAPE),
            &mut *core::ptr::addr_of_mut!(ARENA),
            &mut *core::ptr::addr_of_mut!(STATE),
        )
    };
    println!(
        "demo = probe_checkerboard on {}: 2-{}-1, Adam, batch {}",
        CHIP,
        H,
        cb::BATCH
    );
    println!("parameters = {}", cb::Fp::<H>::PARAMS);
    println!("training_bytes = {}", cb::Fp::<H>::training_bytes(4, 2));
    let mut demo = check(
        "building the net",
        Checkerboard::<H>::new(Config::default(), tape, arena, state),
    );
    let outcome = check("training", demo.run(&mut Markers));
    println!("held_out_correct = {}/{}", outcome.correct, outcome.total);
    print_percent("accuracy", outcome.accuracy_per_mille());
    finish(if outcome.passes() { code::PASS } else { code::ACCURACY })
}
