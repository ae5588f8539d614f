//! Picks the memory map of the target chip and turns the exported firmware
//! data (`FLAMBEAU_FW_DATA`, written by the harness example
//! `export_firmware`) into flash-resident statics: `$OUT_DIR/fw_data.rs`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// Folder written by `export_firmware` (absolute, or relative to `embedded/`).
const DATA_ENV: &str = "FLAMBEAU_FW_DATA";
/// Test images the Cortex-M0 classifies (default: as many as [`M0_CODE_RESERVE`] leaves room for).
const M0_IMAGES_ENV: &str = "FLAMBEAU_FW_M0_TEST_IMAGES";
/// Hidden widths of the two probes of the largest trainable network.
const PROBE_CB_ENV: &str = "FLAMBEAU_FW_PROBE_CB_HIDDEN";
const PROBE_USPS_ENV: &str = "FLAMBEAU_FW_PROBE_USPS_HIDDEN";
/// The Cortex-M0's flash, from memory-microbit.x.
const M0_FLASH: usize = 256 * 1024;
/// Flash the usps_infer code takes on the Cortex-M0 (measured, rounded up), for the default image count.
const M0_CODE_RESERVE: usize = 31 * 1024;
/// Bytes an image takes in flash: pixels, label, host prediction.
const IMAGE_BYTES: usize = 256 + 2;
/// Training images (from the start of the exported subset) the USPS probe trains on.
const PROBE_TRAIN_IMAGES: usize = 200;

type Res<T> = Result<T, String>;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let target = env::var("TARGET").map_err(|e| format!("TARGET: {e}"))?;
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let m0 = target.starts_with("thumbv6m");
    // cortex-m-rt's link.x INCLUDEs memory.x; keep no file of that name in the package root,
    // where the linker would find it first whatever the target.
    let memory = if m0 { "memory-microbit.x" } else { "memory-mps2.x" };
    fs::copy(memory, out.join("memory.x")).map_err(|e| format!("{memory}: {e}"))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo::rustc-check-cfg=cfg(armv6m)");
    if m0 {
        println!("cargo:rustc-cfg=armv6m");
    }
    for f in ["build.rs", "memory-microbit.x", "memory-mps2.x"] {
        println!("cargo:rerun-if-changed={f}");
    }
    for v in [DATA_ENV, M0_IMAGES_ENV, PROBE_CB_ENV, PROBE_USPS_ENV] {
        println!("cargo:rerun-if-env-changed={v}");
    }
    let data = data_dir()?;
    let code = generate(&data, &out, m0)?;
    fs::write(out.join("fw_data.rs"), code).map_err(|e| format!("fw_data.rs: {e}"))
}

/// The data folder named by [`DATA_ENV`], checked to hold the manifest.
fn data_dir() -> Res<PathBuf> {
    let missing = || {
        format!(
            "{DATA_ENV} is not set: the firmware embeds USPS weights and images derived from the data set, \
             which are never committed. Export them first, from the repository root:\n  \
             cargo run --release -p flambeau-harness --example export_firmware -- --data ../shared/data --out embedded/target/fw-data\n\
             then build with {DATA_ENV}=target/fw-data (absolute, or relative to embedded/), or run embedded/ci.sh."
        )
    };
    let dir = PathBuf::from(env::var_os(DATA_ENV).filter(|v| !v.is_empty()).ok_or_else(missing)?);
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?);
    let dir = if dir.is_absolute() {
        dir
    } else {
        manifest_dir.join("..").join(dir)
    };
    if !dir.join("manifest.txt").is_file() {
        return Err(format!(
            "{DATA_ENV}={}: no manifest.txt there. {}",
            dir.display(),
            missing()
        ));
    }
    Ok(dir)
}

/// Reads `name` from the data folder, checking its length when `len` is given.
fn read(dir: &Path, name: &str, len: Option<usize>) -> Res<Vec<u8>> {
    let path = dir.join(name);
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = fs::read(&path).map_err(|e| format!("{}: {e} (rerun export_firmware)", path.display()))?;
    match len {
        Some(n) if bytes.len() != n => Err(format!("{}: {} bytes, expected {n}", path.display(), bytes.len())),
        _ => Ok(bytes),
    }
}

fn parse_manifest(text: &str) -> Res<HashMap<String, String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .ok_or_else(|| format!("manifest.txt: bad line {l:?}"))?;
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

fn number(m: &HashMap<String, String>, key: &str) -> Res<u64> {
    let v = m
        .get(key)
        .ok_or_else(|| format!("manifest.txt: no {key} (rerun export_firmware)"))?;
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    parsed.map_err(|e| format!("manifest.txt: {key}={v}: {e}"))
}

fn env_usize(name: &str, default: usize) -> Res<usize> {
    match env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| format!("{name}={v}: {e}")),
        _ => Ok(default),
    }
}

/// Writes the first `len` bytes of `bytes` to `$OUT_DIR/name` and returns a static including them.
fn embed(out: &Path, name: &str, doc: &str, bytes: &[u8], len: usize) -> Res<String> {
    let path = out.join(name);
    fs::write(&path, &bytes[..len.min(bytes.len())]).map_err(|e| format!("{}: {e}", path.display()))?;
    let ident = name.replace('.', "_").to_uppercase();
    Ok(format!(
        "/// {doc}\npub static {ident}: &[u8] = include_bytes!({:?});\n",
        path.display().to_string()
    ))
}

fn generate(dir: &Path, out: &Path, m0: bool) -> Res<String> {
    let m = parse_manifest(&String::from_utf8_lossy(&read(dir, "manifest.txt", None)?))?;
    let n_test = number(&m, "usps_test_images")? as usize;
    let n_train = number(&m, "usps_train_images")? as usize;
    let n_eval = number(&m, "usps_train_eval_images")? as usize;
    let weights = read(dir, "usps_mlp.safetensors", None)?;
    let test_px = read(dir, "test_images.u8", Some(n_test * 256))?;
    let test_labels = read(dir, "test_labels.u8", Some(n_test))?;
    let predictions = read(dir, "test_predictions.u8", Some(n_test))?;
    let train_px = read(dir, "train_images.u8", Some(n_train * 256))?;
    let train_labels = read(dir, "train_labels.u8", Some(n_train))?;

    let m0_default = M0_FLASH.saturating_sub(weights.len() + M0_CODE_RESERVE) / IMAGE_BYTES;
    let images = if m0 {
        env_usize(M0_IMAGES_ENV, m0_default)?.min(n_test)
    } else {
        n_test
    };
    let host_correct_subset = predictions
        .iter()
        .zip(&test_labels)
        .take(images)
        .filter(|(p, l)| p == l)
        .count();
    let probe_images = PROBE_TRAIN_IMAGES.min(n_train);

    let mut code = String::from("// Generated by build.rs from the folder named by FLAMBEAU_FW_DATA: do not edit.\n\n");
    code += &embed(
        out,
        "usps_mlp.safetensors",
        "The USPS MLP's f32 weights, safetensors, trained on the host.",
        &weights,
        weights.len(),
    )?;
    code += &embed(
        out,
        "test_images.u8",
        "USPS test images, 256 bytes each.",
        &test_px,
        images * 256,
    )?;
    code += &embed(out, "test_labels.u8", "Their labels.", &test_labels, images)?;
    code += &embed(
        out,
        "host_predictions.u8",
        "The host's predictions for them.",
        &predictions,
        images,
    )?;
    code += &embed(
        out,
        "train_images.u8",
        "USPS training images the chip trains on.",
        &train_px,
        n_train * 256,
    )?;
    code += &embed(out, "train_labels.u8", "Their labels.", &train_labels, n_train)?;
    code += &embed(
        out,
        "eval_images.u8",
        "The first test images, evaluated after on-chip training.",
        &test_px,
        n_eval * 256,
    )?;
    code += &embed(out, "eval_labels.u8", "Their labels.", &test_labels, n_eval)?;
    code += &embed(
        out,
        "probe_images.u8",
        "Training images of the USPS probe.",
        &train_px,
        probe_images * 256,
    )?;
    code += &embed(out, "probe_labels.u8", "Their labels.", &train_labels, probe_images)?;
    let consts = [
        (
            "TEST_IMAGES_EXPORTED",
            "Test images the host exported (and scored).",
            n_test as u64,
            "usize",
        ),
        (
            "HOST_CORRECT_EXPORTED",
            "Host predictions equal to the label, over all exported test images.",
            number(&m, "usps_host_correct")?,
            "usize",
        ),
        (
            "HOST_CORRECT",
            "Host predictions equal to the label, over the embedded test images.",
            host_correct_subset as u64,
            "usize",
        ),
        (
            "CHECKERBOARD_HASH",
            "The host's checkerboard weight hash (same seed, same code).",
            number(&m, "checkerboard_hash")?,
            "u64",
        ),
        (
            "CHECKERBOARD_CORRECT",
            "The host's checkerboard held-out points classified correctly.",
            number(&m, "checkerboard_correct")?,
            "usize",
        ),
        (
            "USPS_TRAIN_HASH",
            "The host's hash of the USPS weights trained as on the chip.",
            number(&m, "usps_train_hash")?,
            "u64",
        ),
        (
            "USPS_TRAIN_CORRECT",
            "The host's evaluation of that training.",
            number(&m, "usps_train_correct")?,
            "usize",
        ),
        (
            "PROBE_CB_HIDDEN",
            "Hidden width of the checkerboard probe.",
            env_usize(PROBE_CB_ENV, 16)? as u64,
            "usize",
        ),
        (
            "PROBE_USPS_HIDDEN",
            "Hidden width of the USPS probe.",
            env_usize(PROBE_USPS_ENV, 4)? as u64,
            "usize",
        ),
    ];
    for (name, doc, value, ty) in consts {
        let _ = writeln!(code, "/// {doc}\npub const {name}: {ty} = {value};");
    }
    Ok(code)
}
