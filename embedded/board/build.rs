//! Chooses the board by name and hands its memory map to the linker.
//!
//! The board is named by `FLAMBEAU_BOARD` (a file `boards/<name>.x`, or the
//! absolute path of a memory file of one's own); unset, it is the board of
//! `boards/` marked `default: yes` for the target triple. The build fails,
//! naming the boards there, when the name is unknown or the board's chip
//! needs another target: never an empty ELF.

use std::path::{Path, PathBuf};
use std::{env, fs};

/// The environment variable naming the board.
const BOARD_ENV: &str = "FLAMBEAU_BOARD";

/// The environment variable that sets the stack reserve for one build
/// (`6K`, `6144`), in place of the board file's `_stack_reserve`.
const RESERVE_ENV: &str = "FLAMBEAU_STACK_RESERVE";

/// The board file with its `_stack_reserve = …;` line set to `value`: a
/// whole number of bytes, or of KiB with a `K`, at least 1 KiB (a vector
/// table and a fault handler need that much). The link still fails when the
/// statics leave less RAM than the reserve.
fn with_reserve(text: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    let (digits, unit) = match v.strip_suffix(['K', 'k']) {
        Some(d) => (d, 1024),
        None => (v, 1),
    };
    let bytes = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&b| (1024..=1 << 30).contains(&b))
        .ok_or_else(|| {
            format!("{RESERVE_ENV}={value}: the stack reserve is a number of bytes (6144) or KiB (6K), from 1K to 1G")
        })?;
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("_stack_reserve") && l.contains('=') {
                found = true;
                format!("_stack_reserve = {bytes}; /* {RESERVE_ENV}={v} */")
            } else {
                l.to_owned()
            }
        })
        .collect();
    if !found {
        return Err(format!("no `_stack_reserve = …;` line for {RESERVE_ENV} to set"));
    }
    Ok(lines.join("\n") + "\n")
}

/// What a board file's header comment declares.
struct Board {
    name: String,
    chip: String,
    target: String,
    default: bool,
    file: PathBuf,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed={BOARD_ENV}");
    println!("cargo:rerun-if-env-changed={RESERVE_ENV}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=boards");
    println!("cargo::rustc-check-cfg=cfg(armv6m)");
    let target = env::var("TARGET").map_err(|e| format!("TARGET: {e}"))?;
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        // A host build (documentation, lints): there is no board to link for.
        println!("cargo:rustc-env=FLAMBEAU_BOARD_NAME=host");
        println!("cargo:rustc-env=FLAMBEAU_BOARD_CHIP=host");
        return Ok(());
    }
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?).join("boards");
    let boards = known_boards(&dir)?;
    let listing = boards
        .iter()
        .map(|b| format!("  {:<14} {:<12} {}", b.name, b.chip, b.target))
        .collect::<Vec<_>>()
        .join("\n");
    let list = || listing.clone();
    let board = match env::var(BOARD_ENV).ok().filter(|v| !v.is_empty()) {
        Some(v) if v.ends_with(".x") => {
            let path = PathBuf::from(&v);
            if !path.is_absolute() {
                return Err(format!(
                    "{BOARD_ENV}={v}: a memory file of one's own must be given by its absolute path"
                ));
            }
            println!("cargo:rerun-if-changed={v}");
            parse(&path)?
        }
        Some(name) => boards.into_iter().find(|b| b.name == name).ok_or_else(|| {
            format!(
                "{BOARD_ENV}={name}: no such board; the boards are (name, chip, target):\n{}",
                list()
            )
        })?,
        None => boards
            .into_iter()
            .find(|b| b.default && b.target == target)
            .ok_or_else(|| {
                format!(
                    "no default board for target {target}: set {BOARD_ENV} to one of (name, chip, target):\n{}",
                    list()
                )
            })?,
    };
    if board.target != target {
        return Err(format!(
            "board {} ({}) needs --target {}, but this build is for {target}",
            board.name, board.chip, board.target
        ));
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    // cortex-m-rt's link.x INCLUDEs memory.x from the link search path.
    let text = fs::read_to_string(&board.file).map_err(|e| format!("{}: {e}", board.file.display()))?;
    let reserve = env::var(RESERVE_ENV).ok().filter(|v| !v.trim().is_empty());
    let text = match reserve {
        Some(v) => with_reserve(&text, &v).map_err(|e| format!("{}: {e}", board.file.display()))?,
        None => text,
    };
    fs::write(out.join("memory.x"), text).map_err(|e| format!("{}: {e}", out.join("memory.x").display()))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-env=FLAMBEAU_BOARD_NAME={}", board.name);
    println!("cargo:rustc-env=FLAMBEAU_BOARD_CHIP={}", board.chip);
    if target.starts_with("thumbv6m") {
        println!("cargo:rustc-cfg=armv6m");
    }
    // Read by the build scripts of crates that depend on this one (DEP_FLAMBEAU_BOARD_*).
    println!("cargo:name={}", board.name);
    println!("cargo:chip={}", board.chip);
    println!("cargo:memory={}", board.file.display());
    Ok(())
}

/// Every `*.x` file of `dir`, sorted by name.
fn known_boards(dir: &Path) -> Result<Vec<Board>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut boards = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|e| e == "x") {
            boards.push(parse(&path)?);
        }
    }
    boards.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(boards)
}

/// Reads the `key: value` lines of a board file's header comment.
fn parse(path: &Path) -> Result<Board, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let field = |key: &str| {
        text.lines()
            .map(|l| l.trim_start_matches(['/', '*', ' ']))
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
            .filter(|v| !v.is_empty())
    };
    let need = |key: &str| field(key).ok_or_else(|| format!("{}: no `{key}` line in its header", path.display()));
    Ok(Board {
        name: need("flambeau board:")?,
        chip: need("chip:")?,
        target: need("target:")?,
        default: field("default:").as_deref() == Some("yes"),
        file: path.to_path_buf(),
    })
}
