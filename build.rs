//! Tells the core whether the target has the Cortex-M DSP extension
//! (`cfg(flambeau_dsp)`: ARMv7E-M, i.e. Cortex-M4 and M7), where the int8
//! dot product uses `SXTB16` and `SMLAD` (`src/quant/dot.rs`). Stable Rust
//! exposes no `target_feature = "dsp"` to test instead.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(flambeau_dsp)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TARGET");
    if std::env::var("TARGET").is_ok_and(|t| t.starts_with("thumbv7em")) {
        println!("cargo::rustc-cfg=flambeau_dsp");
    }
}
