//! Misuse that must not compile: each case in `tests/compile_fail/` sits
//! beside the `.stderr` the compiler gives for it (regenerate with
//! `TRYBUILD=overwrite cargo test --test compile_fail`, then read each one to
//! check that it reports the shape mismatch, not a typo).
//!
//! The size rules that stable Rust cannot put in a type (`Conv1d`'s and
//! `MaxPool1d`'s output length, `Flatten`'s size, a non-zero batch) are
//! `const { assert!(..) }`s, which only fire when the code is monomorphised:
//! `cargo check` accepts them. The pass case below makes trybuild run
//! `cargo build` for every case, and shows the same layers with the right
//! sizes do compile (so each failure is the size, not the wiring).
//!
//! The cases build in a target folder outside the workspace, so that the
//! workspace's host flags (`.cargo/config.toml`) do not reach them: one of
//! those, a tuning flag of the code generator, makes rustc print a warning
//! that the `.stderr` files would otherwise have to hold.

#[test]
fn shape_mismatches_do_not_compile() {
    let dir = std::env::temp_dir().join("flambeau-trybuild");
    // SAFETY: this is the only test of its binary, so no other thread reads
    // or writes the environment meanwhile.
    unsafe { std::env::set_var("CARGO_TARGET_DIR", &dir) };
    let t = trybuild::TestCases::new();
    t.pass("tests/compile_pass/*.rs");
    t.compile_fail("tests/compile_fail/*.rs");
}
