//! Runs the network of `model/` on the chip: the weights are read in place
//! from flash (never copied to RAM), each test vector is classified one at a
//! time, and every output is compared with the host's (computed by build.rs
//! with the same code: they must be equal bit for bit) and with the
//! reference outputs of the test vectors, if any (within `TOLERANCE`).
//!
//! An f32 model runs as a `Network` on a tape; an int8 model (build.rs sets
//! `cfg(flambeau_int8)` when `model.rs` declares one) as a `QNetwork`,
//! integer-only.
//!
//! Exit status: 0 pass, 1 panic or HardFault, 2 an output is further than
//! `TOLERANCE` from the reference, 3 an output differs from the host's,
//! 5 the stack outgrew its reserve, 6 the core returned an error.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use flambeau::SafeTensors;
use flambeau_board::{bench, exit, println, stack_reserve, stack_used};

#[allow(dead_code)] // a generated file may declare more than this firmware uses
mod model {
    include!("../model/model.rs");
}

/// The weights, in flash.
static WEIGHTS: &[u8] = include_bytes!("../model/weights.safetensors");
/// The test vectors: inputs and, optionally, reference outputs.
static VECTORS: &[u8] = include_bytes!("../model/test_vectors.safetensors");
/// The host's outputs for the inputs: little-endian f32, or int8 codes (written by build.rs).
static HOST_OUTPUTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/host_outputs.bin"));

/// The value of `r`, or: prints the core's error and exits with 6.
fn check<T>(what: &str, r: Result<T, flambeau::Error>) -> T {
    r.unwrap_or_else(|e| {
        println!("FAIL: {}: {}", what, e);
        exit(6)
    })
}

/// Prints `name = value` with 6 decimals, without float formatting (which costs flash).
fn print_fixed(name: &str, value: f32) {
    let micro = (value * 1e6) as u64; // saturates; NaN gives 0 (the verdict checks NaN apart)
    println!("{} = {}.{:06}", name, micro / 1_000_000, micro % 1_000_000);
}

/// What a run over the test vectors found.
struct Tally {
    /// Test vectors run.
    rows: usize,
    /// Outputs not bit-identical to the host's.
    differ: usize,
    /// Largest |output − reference output| (in int8 codes for an int8 model).
    worst: f32,
}

/// The f32 network on a tape: activations in RAM, parameters in flash.
#[cfg(not(flambeau_int8))]
mod run {
    use super::{HOST_OUTPUTS, Tally, WEIGHTS, bench, check, model, println};
    use flambeau::{InferenceFootprint, Network, Node, TensorView};

    type Fp = InferenceFootprint<model::Model, 1>;
    static mut TAPE: [Node; Fp::NODES] = [Node::EMPTY; Fp::NODES];
    static mut ARENA: [f32; Fp::FLASH_ARENA] = [0.0; Fp::FLASH_ARENA];

    pub fn run(inputs: TensorView<'_>, reference: Option<TensorView<'_>>) -> Tally {
        // SAFETY: `run` is called once, and is the only code that touches these statics.
        let (tape, arena) = unsafe {
            (
                &mut *core::ptr::addr_of_mut!(TAPE),
                &mut *core::ptr::addr_of_mut!(ARENA),
            )
        };
        println!(
            "parameters = {} ({} bytes of weights in flash)",
            Fp::PARAMS,
            WEIGHTS.len()
        );
        println!(
            "footprint: {} tape nodes, {} activation scalars in RAM",
            Fp::NODES,
            Fp::FLASH_ARENA
        );
        let net = model::model();
        let mut network = check(
            "reading the weights",
            Network::<f32, model::Model, 1>::from_safetensors(&net, tape, arena, WEIGHTS),
        );
        let mut t = Tally {
            rows: 0,
            differ: 0,
            worst: 0.0,
        };
        let mut host = HOST_OUTPUTS
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let mut refs = reference.iter().flat_map(|t| t.values::<f32>());
        let mut values = inputs.values::<f32>();
        let mut row = [0.0f32; model::INPUTS];
        loop {
            let n = row.iter_mut().zip(&mut values).map(|(x, v)| *x = v).count();
            if n < model::INPUTS {
                break;
            }
            bench::bench_infer_start();
            let out = network.predict(&row);
            bench::bench_infer_stop();
            for &y in check("inference", out) {
                t.differ += usize::from(host.next().map(f32::to_bits) != Some(y.to_bits()));
                if let Some(r) = refs.next() {
                    t.worst = t.worst.max((y - r).abs());
                }
            }
            t.rows += 1;
        }
        t
    }
}

/// The int8 network: integer-only, its layers read in place from flash.
#[cfg(flambeau_int8)]
mod run {
    use super::{HOST_OUTPUTS, Tally, WEIGHTS, bench, check, model, println};
    use flambeau::{QFootprint, QNetwork, TensorView};

    type Fp = QFootprint<model::Model<'static>>;
    static mut ACT: [i8; Fp::ACT] = [0; Fp::ACT];
    static mut WIDE: [i16; Fp::WIDE] = [0; Fp::WIDE];

    pub fn run(inputs: TensorView<'_>, reference: Option<TensorView<'_>>) -> Tally {
        // SAFETY: `run` is called once, and is the only code that touches these statics.
        let (act, wide) = unsafe { (&mut *core::ptr::addr_of_mut!(ACT), &mut *core::ptr::addr_of_mut!(WIDE)) };
        println!("int8 weights = {} bytes in flash", WEIGHTS.len());
        println!(
            "footprint: {} int8 activations + {} int16 scratch = {} bytes of RAM",
            Fp::ACT,
            Fp::WIDE,
            Fp::RAM
        );
        let mut network = check(
            "reading the int8 weights",
            QNetwork::<model::Model<'static>>::from_safetensors(WEIGHTS, act, wide),
        );
        let mut t = Tally {
            rows: 0,
            differ: 0,
            worst: 0.0,
        };
        let mut host = HOST_OUTPUTS.iter();
        let mut refs = reference.iter().flat_map(|t| t.data.iter());
        let mut row = [0i8; model::INPUTS];
        for codes in inputs.data.chunks_exact(model::INPUTS) {
            row.iter_mut().zip(codes).for_each(|(x, &c)| *x = c as i8);
            bench::bench_infer_start();
            let out = network.predict(&row);
            bench::bench_infer_stop();
            for &y in check("inference", out) {
                t.differ += usize::from(host.next() != Some(&(y as u8)));
                if let Some(&r) = refs.next() {
                    t.worst = t.worst.max((i32::from(y) - i32::from(r as i8)).unsigned_abs() as f32);
                }
            }
            t.rows += 1;
        }
        t
    }
}

#[entry]
fn main() -> ! {
    flambeau_board::init();
    println!("model = {}", model::ARCHITECTURE);
    let vectors = check(
        "test vectors",
        SafeTensors::parse(VECTORS).map_err(flambeau::Error::from),
    );
    let Some(inputs) = vectors.get("inputs") else {
        println!("FAIL: test_vectors.safetensors holds no `inputs`");
        exit(6)
    };
    let reference = vectors.get("outputs");
    let Tally { rows, differ, worst } = run::run(inputs, reference);
    println!("vectors = {}", rows);
    println!("outputs_differing_from_host = {}", differ);
    println!("parity = {}", if differ == 0 { "bit-identical" } else { "MISMATCH" });
    if reference.is_some() {
        print_fixed("max_abs_error", worst);
        print_fixed("tolerance", model::TOLERANCE);
    }
    let (used, reserve) = (stack_used(), stack_reserve());
    println!("stack_bytes = {}", used);
    println!("stack_reserve = {}", reserve);
    let status = if differ > 0 || rows == 0 {
        3
    } else if worst.is_nan() || worst > model::TOLERANCE {
        2
    } else if used > reserve {
        5
    } else {
        0
    };
    println!("result = {}", if status == 0 { "PASS" } else { "FAIL" });
    exit(status)
}
