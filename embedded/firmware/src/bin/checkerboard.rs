//! On-device training: the checkerboard net `2-16-1` learns four Gaussian
//! clusters (label = XOR of the signs) from points it draws from a seed, then
//! classifies held-out points. It passes when the accuracy reaches 99 % and
//! the trained weights are bit-identical to the host's (same seed, same code).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::Node;
use flambeau_board::println;
use flambeau_demos::checkerboard::{self as cb, Checkerboard, Config};
use flambeau_firmware::{CHIP, Markers, check, code, data, finish, print_fixed, print_percent};

// The whole training state, sized by the core's compile-time footprint.
static mut TAPE: [Node; cb::NODES] = [Node::EMPTY; cb::NODES];
static mut ARENA: [f32; cb::ARENA] = [0.0; cb::ARENA];
static mut STATE: [f32; cb::STATE] = [0.0; cb::STATE];

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
    println!("demo = checkerboard on {}", CHIP);
    println!(
        "footprint: {} tape nodes, {} arena + {} Adam scalars = {} bytes",
        cb::NODES,
        cb::ARENA,
        cb::STATE,
        cb::Fp::<{ cb::HIDDEN }>::training_bytes(4, 2)
    );
    let config = Config::default();
    let mut demo = check(
        "building the net",
        Checkerboard::<{ cb::HIDDEN }>::new(config, tape, arena, state),
    );
    let outcome = check("training", demo.run(&mut Markers));
    println!("steps = {} (batch {})", outcome.steps, cb::BATCH);
    print_fixed("loss_first", outcome.first_loss);
    print_fixed("loss_last", outcome.last_loss);
    println!("held_out_correct = {}/{}", outcome.correct, outcome.total);
    print_percent("accuracy", outcome.accuracy_per_mille());
    println!("hash = {:#018x}", outcome.hash);
    println!("host_hash = {:#018x}", data::CHECKERBOARD_HASH);
    let parity = outcome.hash == data::CHECKERBOARD_HASH;
    println!("parity = {}", if parity { "bit-identical" } else { "MISMATCH" });
    #[cfg(feature = "fma")]
    let fused = {
        let (agree, total) = flambeau_firmware::fused_agreement();
        println!("fused_agreement = {agree}/{total}");
        agree == total
    };
    #[cfg(not(feature = "fma"))]
    let fused = true;
    let status = if !outcome.passes() {
        println!("FAIL: accuracy below {} per-mille", cb::ACCURACY_BAR_PER_MILLE);
        code::ACCURACY
    } else if !parity {
        println!("FAIL: the weights differ from the host's");
        code::PARITY
    } else if !fused {
        println!("FAIL: the chip's fused multiply-add differs from libm's");
        code::MISMATCH
    } else {
        code::PASS
    };
    finish(status)
}
