//! Checks the model folder and runs the model on the host.
//!
//! `model/` holds `model.rs` (the architecture as a type), the weights
//! (`weights.safetensors`) and the test vectors (`test_vectors.safetensors`:
//! `inputs` `[N, INPUTS]` and, optionally, reference `outputs`
//! `[N, OUTPUTS]`). Before anything is built for the chip, this checks that
//! the type prints the architecture the folder names, that the weights are
//! the ones that type needs, and that the reference outputs (if any) agree
//! with the host within `TOLERANCE`; then it writes the host's outputs,
//! which the chip must reproduce bit for bit, to `$OUT_DIR/host_outputs.f32`.

use flambeau::{InferenceFootprint, Network, Node, SafeTensors};
use std::path::PathBuf;
use std::{env, fs};

#[allow(dead_code)] // the firmware uses what the host check does not
mod model {
    include!("model/model.rs");
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: model/: {e}");
        std::process::exit(1);
    }
}

fn read(name: &str) -> Result<Vec<u8>, String> {
    println!("cargo:rerun-if-changed=model/{name}");
    fs::read(format!("model/{name}")).map_err(|e| format!("{name}: {e}"))
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=model/model.rs");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        // cortex-m-rt's linker script, which includes the board's memory map
        // (flambeau-board): for every bare-metal target, never an empty ELF.
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
    let net = model::model();
    let printed = net.to_string();
    if printed != model::ARCHITECTURE {
        return Err(format!(
            "model.rs: the type `Model` prints {printed:?}, but ARCHITECTURE says {:?}",
            model::ARCHITECTURE
        ));
    }
    let weights = read("weights.safetensors")?;
    let vectors = read("test_vectors.safetensors")?;
    let st = SafeTensors::parse(&vectors).map_err(|e| format!("test_vectors.safetensors: {e}"))?;
    let inputs: Vec<f32> =
        tensor(&st, "inputs", model::INPUTS)?.ok_or("test_vectors.safetensors: no `inputs` tensor")?;
    let reference = tensor(&st, "outputs", model::OUTPUTS)?;
    let rows = inputs.len() / model::INPUTS;
    if rows == 0 {
        return Err("test_vectors.safetensors: `inputs` holds no row".into());
    }

    type Fp = InferenceFootprint<model::Model, 1>;
    let mut tape = vec![Node::EMPTY; Fp::NODES];
    let mut arena = vec![0.0f32; Fp::FLASH_ARENA];
    let mut network = Network::<f32, model::Model, 1>::from_safetensors(&net, &mut tape, &mut arena, &weights)
        .map_err(|e| {
            format!(
                "weights.safetensors does not fit `Model` ({}): {e}",
                model::ARCHITECTURE
            )
        })?;
    let mut outputs = Vec::with_capacity(rows * model::OUTPUTS);
    for row in inputs.chunks_exact(model::INPUTS) {
        let out = network.predict(row).map_err(|e| format!("the host's inference: {e}"))?;
        outputs.extend_from_slice(out);
    }
    if let Some(reference) = &reference {
        if reference.len() != outputs.len() {
            return Err(format!(
                "test_vectors.safetensors: {} reference outputs for {rows} inputs of {} outputs each",
                reference.len(),
                model::OUTPUTS
            ));
        }
        let worst = outputs
            .iter()
            .zip(reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        if worst.is_nan() || worst > model::TOLERANCE {
            return Err(format!(
                "the host's outputs differ from the reference outputs by up to {worst:e}, over TOLERANCE = {:e}",
                model::TOLERANCE
            ));
        }
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let bytes: Vec<u8> = outputs.iter().flat_map(|v| v.to_le_bytes()).collect();
    fs::write(out.join("host_outputs.f32"), bytes).map_err(|e| format!("host_outputs.f32: {e}"))
}

/// The f32 tensor `name` of `[N, width]`, if present.
fn tensor(st: &SafeTensors<'_>, name: &str, width: usize) -> Result<Option<Vec<f32>>, String> {
    let Some(view) = st.get(name) else {
        return Ok(None);
    };
    match view.shape() {
        [_, w] if *w == width => Ok(Some(view.values::<f32>().collect())),
        shape => Err(format!(
            "test_vectors.safetensors: `{name}` has shape {shape:?}, expected [N, {width}]"
        )),
    }
}
