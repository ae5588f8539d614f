//! Checks the model folder and runs the model on the host.
//!
//! `model/` holds `model.rs` (the architecture as a type), the weights
//! (`weights.safetensors`) and the test vectors (`test_vectors.safetensors`:
//! `inputs` `[N, INPUTS]` and, optionally, reference `outputs`
//! `[N, OUTPUTS]`). Before anything is built for the chip, this checks that
//! the type prints the architecture the folder names, that the weights are
//! the ones that type needs, and that the reference outputs (if any) agree
//! with the host within `TOLERANCE`; then it writes the host's outputs,
//! which the chip must reproduce bit for bit, to `$OUT_DIR/host_outputs.bin`.
//!
//! An int8 model (`model.rs` made by `flambeau export` from a file of
//! `flambeau quantize`: `model()` returns `PhantomData<Model>`, the weights'
//! metadata names the int8 scheme) takes the same checks with int8 codes
//! (`inputs` and `outputs` I8), the reference outputs matched exactly, and
//! sets `cfg(flambeau_int8)` for the firmware.

use flambeau::{
    Dtype, InferenceFootprint, Model, Network, Node, QChainLoad, QFootprint, QNetwork, QUANTIZATION_SCHEME,
    SafeTensors, Sequential,
};
use std::fmt::Display;
use std::marker::PhantomData;
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
    println!("cargo::rustc-check-cfg=cfg(flambeau_int8)");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        // cortex-m-rt's linker script, which includes the board's memory map
        // (flambeau-board): for every bare-metal target, never an empty ELF.
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
    let net = model::model();
    let weights: &'static [u8] = read("weights.safetensors")?.leak();
    let vectors = read("test_vectors.safetensors")?;
    let st = SafeTensors::parse(&vectors).map_err(|e| format!("test_vectors.safetensors: {e}"))?;
    let int8 = st_is_int8(weights)?;
    if int8 != net.int8() {
        return Err(if int8 {
            "weights.safetensors is an int8 model (its `quantization` metadata), but model.rs declares an f32 \
             `Model`: write model/ again with `flambeau export --model <the int8 file> --out model`"
                .into()
        } else {
            "weights.safetensors is an f32 model, but model.rs declares an int8 `Model`: write model/ again \
             with `flambeau export --model <the model file> --out model`"
                .into()
        });
    }
    let host = net.host_outputs(weights, &st)?;
    if net.int8() {
        // The firmware takes the int8 path (src/main.rs).
        println!("cargo:rustc-cfg=flambeau_int8");
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    fs::write(out.join("host_outputs.bin"), host).map_err(|e| format!("host_outputs.bin: {e}"))
}

/// Whether the weights' `__metadata__` names the core's int8 scheme.
fn st_is_int8(weights: &[u8]) -> Result<bool, String> {
    let st = SafeTensors::parse(weights).map_err(|e| format!("weights.safetensors: {e}"))?;
    Ok(st
        .metadata_value("quantization")
        .is_some_and(|v| v.eq_str(QUANTIZATION_SCHEME)))
}

/// What `model()` returns: an f32 network (`Sequential<…>`) or an int8 one
/// (`PhantomData<Model>`, its layers a tuple of `QLinear`, `QLut`, …). Each
/// runs the test inputs on the host and returns its outputs as bytes.
trait HostModel {
    /// Whether the model is int8.
    const INT8: bool;
    /// [`HostModel::INT8`] of a value's type.
    fn int8(&self) -> bool {
        Self::INT8
    }
    /// The host's outputs for the test inputs (little-endian f32, or int8
    /// codes), checked against the reference outputs, if any.
    fn host_outputs(&self, weights: &'static [u8], vectors: &SafeTensors<'_>) -> Result<Vec<u8>, String>;
}

/// The architecture check: `Model` must print `ARCHITECTURE`.
fn check_printed(printed: String) -> Result<(), String> {
    if printed != model::ARCHITECTURE {
        return Err(format!(
            "model.rs: the type `Model` prints {printed:?}, but ARCHITECTURE says {:?}",
            model::ARCHITECTURE
        ));
    }
    Ok(())
}

impl<L> HostModel for Sequential<L>
where
    Sequential<L>: Model + Display,
{
    const INT8: bool = false;

    fn host_outputs(&self, weights: &'static [u8], st: &SafeTensors<'_>) -> Result<Vec<u8>, String> {
        check_printed(self.to_string())?;
        let inputs: Vec<f32> =
            tensor(st, "inputs", model::INPUTS)?.ok_or("test_vectors.safetensors: no `inputs` tensor")?;
        let reference = tensor(st, "outputs", model::OUTPUTS)?;
        let rows = inputs.len() / model::INPUTS;
        if rows == 0 {
            return Err("test_vectors.safetensors: `inputs` holds no row".into());
        }
        let mut tape = vec![Node::EMPTY; InferenceFootprint::<Self, 1>::NODES];
        let mut arena = vec![0.0f32; InferenceFootprint::<Self, 1>::FLASH_ARENA];
        let mut network =
            Network::<f32, Self, 1>::from_safetensors(self, &mut tape, &mut arena, weights).map_err(|e| {
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
        Ok(outputs.iter().flat_map(|v| v.to_le_bytes()).collect())
    }
}

impl<L: QChainLoad<'static>> HostModel for PhantomData<L> {
    const INT8: bool = true;

    fn host_outputs(&self, weights: &'static [u8], st: &SafeTensors<'_>) -> Result<Vec<u8>, String> {
        let codes = |name: &str, width: usize| -> Result<Option<Vec<u8>>, String> {
            let Some(view) = st.get(name) else {
                return Ok(None);
            };
            match (view.dtype, view.shape()) {
                (Dtype::I8, [_, w]) if *w == width => Ok(Some(view.data.to_vec())),
                (dtype, shape) => Err(format!(
                    "test_vectors.safetensors: `{name}` is {dtype:?} {shape:?}, expected I8 [N, {width}]"
                )),
            }
        };
        let inputs = codes("inputs", model::INPUTS)?.ok_or("test_vectors.safetensors: no `inputs` tensor")?;
        let reference = codes("outputs", model::OUTPUTS)?;
        let rows = inputs.len() / model::INPUTS;
        if rows == 0 {
            return Err("test_vectors.safetensors: `inputs` holds no row".into());
        }
        let (mut act, mut wide) = (vec![0i8; QFootprint::<L>::ACT], vec![0i16; QFootprint::<L>::WIDE]);
        let mut network = QNetwork::<L>::from_safetensors(weights, &mut act, &mut wide).map_err(|e| {
            format!(
                "weights.safetensors does not fit `Model` ({}): {e}",
                model::ARCHITECTURE
            )
        })?;
        check_printed(network.to_string())?;
        let mut outputs = Vec::with_capacity(rows * model::OUTPUTS);
        let mut row = vec![0i8; model::INPUTS];
        for bytes in inputs.chunks_exact(model::INPUTS) {
            row.iter_mut().zip(bytes).for_each(|(x, &b)| *x = b as i8);
            let out = network
                .predict(&row)
                .map_err(|e| format!("the host's inference: {e}"))?;
            outputs.extend(out.iter().map(|&v| v as u8));
        }
        if let Some(reference) = reference {
            if reference.len() != outputs.len() {
                return Err(format!(
                    "test_vectors.safetensors: {} reference outputs for {rows} inputs of {} outputs each",
                    reference.len(),
                    model::OUTPUTS
                ));
            }
            let differ = outputs.iter().zip(&reference).filter(|(a, b)| a != b).count();
            if differ > 0 {
                return Err(format!(
                    "the host's int8 outputs differ from the reference outputs in {differ} places: \
                     the int8 file and the reference come from different code or files"
                ));
            }
        }
        Ok(outputs)
    }
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
