//! Tells the core whether the target has the Cortex-M DSP extension
//! (`cfg(flambeau_dsp)`: ARMv7E-M, i.e. Cortex-M4 and M7), where the int8
//! dot product uses `SXTB16` and `SMLAD` (`src/quant/dot.rs`), and whether
//! it has a single-precision FPU with the fused `VFMA.F32`
//! (`cfg(flambeau_vfma)`: the hard-float ARMv7E-M and ARMv8-M Mainline
//! targets, i.e. Cortex-M4F, M7F, M33F), which the `fma` feature uses
//! (`src/fma.rs`). Stable Rust exposes no `target_feature = "dsp"` or
//! `"vfp4"` to test instead.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(flambeau_dsp)");
    println!("cargo::rustc-check-cfg=cfg(flambeau_vfma)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=TARGET");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv7em") {
        println!("cargo::rustc-cfg=flambeau_dsp");
    }
    // The hard-float targets of these two families require an FPv4-SP or
    // FPv5 unit, both with VFMA.F32 (the ARMv7-R/A hard-float targets' VFPv3
    // has none, hence the explicit list).
    if (target.starts_with("thumbv7em") || target.starts_with("thumbv8m.main")) && target.ends_with("eabihf") {
        println!("cargo::rustc-cfg=flambeau_vfma");
    }
}
