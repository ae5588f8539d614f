//! The int8 `Linear(256,128)` alone, for its instructions per
//! multiply-accumulate: 32 768 MACs per call, weights in flash, a fixed
//! pseudo-random pattern (the figures do not depend on the values).
//! Prints a checksum of the outputs (equal on every chip), and checks odd
//! sizes (`Linear(13,3)`: a tail and a single row) against a plain sum.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::{QLayer, QLinear};
use flambeau_board::println;
use flambeau_demos::{Bench, Region};
use flambeau_firmware::{CHIP, Markers, check, code, finish};

const IN: usize = 256;
const OUT: usize = 128;
/// Calls measured.
const CALLS: usize = 8;

const fn bytes<const N: usize>(seed: u32, word: Option<i32>) -> [u8; N] {
    let mut out = [0u8; N];
    let mut s = seed;
    let mut i = 0;
    while i < N {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        out[i] = (s >> 24) as u8;
        if let Some(w) = word {
            let b = w.to_le_bytes();
            out[i] = b[i % 4];
        }
        i += 1;
    }
    out
}

static WEIGHT: [u8; IN * OUT] = bytes(1, None);
static BIAS: [u8; 4 * OUT] = bytes(2, Some(1000));
static MULTIPLIER: [u8; 4 * OUT] = bytes(3, Some(1 << 30));
static SHIFT: [u8; 4 * OUT] = bytes(4, Some(-9));
static mut INPUT: [i8; IN] = [0; IN];
static mut OUTPUT: [i8; OUT] = [0; OUT];
static mut WIDE: [i16; IN] = [0; IN];

#[entry]
fn main() -> ! {
    flambeau_firmware::init();
    // SAFETY: `main` runs once and is the only code that touches these statics.
    let (input, output, wide) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(INPUT),
            &mut *core::ptr::addr_of_mut!(OUTPUT),
            &mut *core::ptr::addr_of_mut!(WIDE),
        )
    };
    for (i, x) in input.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(29) as i8;
    }
    let layer = check(
        "the layer",
        QLinear::<IN, OUT>::new(&WEIGHT, &BIAS, &MULTIPLIER, &SHIFT, -3, 5),
    );
    let mut sum = 0i32;
    for _ in 0..CALLS {
        Markers.start(Region::Infer);
        layer.forward(input, output, wide);
        Markers.stop(Region::Infer);
        sum = output
            .iter()
            .fold(sum, |s, &y| s.wrapping_mul(31).wrapping_add(i32::from(y)));
    }
    // Odd sizes against the plain sum: multiplier ½ · 2^-9, so `y = clamp(r(r(acc / 2) / 2^9) + 5)`
    // with TFLite's roundings (half up, then half away from zero).
    let small = check(
        "the small layer",
        QLinear::<13, 3>::new(&WEIGHT[..39], &BIAS[..12], &MULTIPLIER[..12], &SHIFT[..12], -3, 5),
    );
    let mut y = [0i8; 3];
    small.forward(&input[..13], &mut y, wide);
    let mut bad = 0;
    for (o, &yo) in y.iter().enumerate() {
        let acc = (0..13).fold(1000i32, |a, i| {
            a + i32::from(WEIGHT[o * 13 + i] as i8) * (i32::from(input[i]) + 3)
        });
        let half = (acc + 1) >> 1;
        let q = if half >= 0 {
            (half + 256) >> 9
        } else {
            -((-half + 256) >> 9)
        };
        let expected = (q + 5).clamp(-128, 127);
        bad += usize::from(i32::from(yo) != expected);
    }
    println!("demo = int8_linear on {}", CHIP);
    println!("odd_size_mismatches = {}", bad);
    println!("macs = {}", IN * OUT);
    println!("checksum = {}", sum);
    finish(if bad == 0 { code::PASS } else { code::MISMATCH })
}
