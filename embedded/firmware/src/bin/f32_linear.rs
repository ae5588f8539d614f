//! The f32 `Linear(256,128)` alone, weights read in place from flash, for
//! its instructions per multiply-accumulate: 32 768 MACs per call, 8 calls.
//! The weight file sits 8-byte aligned in flash, so the core reads the
//! weights as floats (one `vldr` each on a Cortex-M4F) instead of byte by
//! byte; either way the sums are the same. It passes when the outputs'
//! bit-pattern hash equals the host's (build.rs runs the same layer on the
//! same file and input).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{InferenceFootprint, Linear, Network, Node, Sequential};
use flambeau_board::println;
use flambeau_demos::{Bench, Region, bits_hash};
use flambeau_firmware::{CHIP, Markers, check, code, data, finish};

const IN: usize = 256;
const OUT: usize = 128;
/// Calls measured.
const CALLS: usize = 8;

type M = Sequential<(Linear<IN, OUT>,)>;
type Fp = InferenceFootprint<M, 1>;

static mut TAPE: [Node; Fp::NODES] = [Node::EMPTY; Fp::NODES];
static mut ARENA: [f32; Fp::FLASH_ARENA] = [0.0; Fp::FLASH_ARENA];
static mut INPUT: [f32; IN] = [0.0; IN];

#[entry]
fn main() -> ! {
    flambeau_firmware::init();
    // SAFETY: `main` runs once and is the only code that touches these statics.
    let (tape, arena, input) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(TAPE),
            &mut *core::ptr::addr_of_mut!(ARENA),
            &mut *core::ptr::addr_of_mut!(INPUT),
        )
    };
    for (x, b) in input.iter_mut().zip(data::F32_LINEAR_INPUT_F32.chunks_exact(4)) {
        *x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    let weights = data::F32_LINEAR_SAFETENSORS;
    let model = Sequential::new((Linear::new(),));
    let mut net = check(
        "reading the layer",
        Network::<f32, M, 1>::from_safetensors(&model, tape, arena, weights),
    );
    let mut same = true;
    for _ in 0..CALLS {
        Markers.start(Region::Infer);
        let y = net.predict(input);
        Markers.stop(Region::Infer);
        same &= bits_hash(check("the layer", y)) == data::F32_LINEAR_HASH;
    }
    println!("demo = f32_linear on {}", CHIP);
    println!(
        "weights at {:#010x} ({} bytes)",
        weights.as_ptr() as usize,
        weights.len()
    );
    println!("macs = {}", IN * OUT);
    println!("parity = {}", if same { "bit-identical" } else { "DIFFERS" });
    finish(if same { code::PASS } else { code::MISMATCH })
}
