#!/usr/bin/env bash
# The firmware on emulated microcontrollers, end to end:
#   tools -> USPS export (f32, then int8) and host parity test -> for each
#   QEMU board of board/boards/ (microbit Cortex-M0, mps2-an385 M3,
#   mps2-an386 M4F, mps2-an500 M7F, mps2-an505 M33F): build every demo
#   (f32 and int8) and the template (with the f32 example, on the M4F the
#   conv1d small CNN trained one epoch and exported in f32 and int8, and, on the
#   Cortex-M0 and M4F, the int8 USPS MLP exported by `flambeau export`),
#   report the ones the linker says do not fit, run the others under QEMU
#   with an instruction-counting plugin -> RTT output without a debugger ->
#   no-allocator proofs -> a stack reserve set for one build
#   (FLAMBEAU_STACK_RESERVE) -> largest trainable network on the Cortex-M0 ->
#   figures table (target/embedded-figures.md).
# Run from anywhere: `bash embedded/ci.sh`. USPS is read from $FLAMBEAU_DATA,
# else from ../shared/data beside the repository. Exits 1 if anything failed.
set -Eeuo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EMB=$ROOT/embedded
DATA=${FLAMBEAU_DATA:-$ROOT/../shared/data}
export FLAMBEAU_FW_DATA=$EMB/target/fw-data # read by firmware/build.rs
FIGURES=$ROOT/target/embedded-figures.md
LOGS=$EMB/target/ci
ELFS=$EMB/target/boards
BOARD_FILES=$EMB/board/boards
export CARGO_TERM_COLOR=never
rm -rf "$LOGS/rows" "$ELFS"
mkdir -p "$LOGS/rows" "$ELFS" "$ROOT/target"
START=$SECONDS
trap 'echo "ci.sh aborted at line $LINENO"; echo "$(passed) passed, $(($(failed) + 1)) failed"' ERR

step() { echo; echo "=== $* ==="; }
timed() { local s=$SECONDS; "$@"; echo "[time] $((SECONDS - s)) s: $*"; }
# Verdicts go to files, so that runs in background jobs count too.
pass() { echo "$*" >>"$LOGS/passed"; echo "PASS: $*"; }
fail() { echo "$*" >>"$LOGS/failed"; echo "FAIL: $*"; }
passed() { wc -l <"$LOGS/passed"; }
failed() { wc -l <"$LOGS/failed"; }
: >"$LOGS/passed"
: >"$LOGS/failed"
# The value of `key = value` in a firmware's output.
field() { sed -n "s/^$1 = //p" "$2" | head -n 1; }
# A `key: value` line of a board file's header.
board_field() { sed -n "s/^ *$2: *//p" "$BOARD_FILES/$1.x" | head -n 1; }
# Bytes of a memory region's length such as `256K`, and of the stack reserve.
mem_len() { sed -n "s/^ *$2 *: *ORIGIN.*LENGTH = \([0-9]*\)K.*/\1/p" "$BOARD_FILES/$1.x" | awk '{ print $1 * 1024 }'; }
mem_origin() { sed -n "s/^ *$2 *: *ORIGIN = \(0x[0-9a-fA-F]*\),.*/\1/p" "$BOARD_FILES/$1.x"; }
stack_reserve() { sed -n 's/^_stack_reserve = \([0-9]*\)K;.*/\1/p' "$BOARD_FILES/$1.x" | awk '{ print $1 * 1024 }'; }
# The boards QEMU emulates, in the order of the figures.
BOARDS=(microbit mps2-an385 mps2-an386 mps2-an500 mps2-an505)

step "tools"
source "$EMB/ci-tools.sh"
install_qemu
TARGETS=$(for b in "${BOARDS[@]}"; do board_field "$b" target; done | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086 # a list of targets
timed rustup target add $TARGETS
timed rustup component add llvm-tools
if rustup toolchain list | grep -q '^nightly'; then
  timed rustup component add rust-src --toolchain nightly
else
  timed rustup toolchain install nightly --profile minimal --component rust-src
fi
LLVM_BIN="$(rustc --print target-libdir)/../bin"
build_plugins

step "export the USPS model and images (host, from $DATA)"
# The host steps build in the profile ci-host (Cargo.toml): the core and the
# harness optimised, their other dependencies unoptimised (quick to build).
HOST_PROFILE=(--profile ci-host)
(cd "$ROOT" && timed cargo run --quiet "${HOST_PROFILE[@]}" -p flambeau-harness --example export_firmware -- \
  --data "$DATA" --out "$FLAMBEAU_FW_DATA") | tee "$LOGS/export.log"
HOST_ACC=$(sed -n 's/^host USPS MLP: test accuracy .* = //p' "$LOGS/export.log")

step "quantise the USPS model to int8 and export its images (host)"
(cd "$ROOT" && timed cargo run --quiet "${HOST_PROFILE[@]}" -p flambeau-harness --example export_int8 -- \
  --data "$DATA" --fw-data "$FLAMBEAU_FW_DATA") | tee "$LOGS/export-int8.log"
INT8_HOST=$(sed -n 's/^host int8 USPS MLP: //p' "$LOGS/export-int8.log")

source "$EMB/ci-matrix.sh"
step "the int8 USPS MLP exported for the template (flambeau export, as a user does)"
template_int8_folder | tee "$LOGS/export-template-int8.log"

step "train the 1-D CNN, quantise it to int8 and export its images (host)"
(cd "$ROOT" && timed cargo run --quiet "${HOST_PROFILE[@]}" -p flambeau-harness --example export_cnn_int8 -- \
  --data "$DATA" --fw-data "$FLAMBEAU_FW_DATA") | tee "$LOGS/export-cnn.log"
CNN_HOST=$(sed -n 's/^host int8 USPS 1-D CNN: //p' "$LOGS/export-cnn.log")

step "the conv1d experiment's small CNN (1 epoch), f32 and int8, exported for the template (flambeau export)"
template_cnn_folders | tee "$LOGS/export-template-cnn.log"

step "host parity test (the firmware's training routine on the host)"
if ! (cd "$ROOT" && timed cargo test --quiet "${HOST_PROFILE[@]}" -p flambeau-harness --test firmware_parity -- --nocapture) \
  2>&1 | tee "$LOGS/parity.log"; then
  echo "the host parity test failed"
fi
HOST_HASH=$(sed -n 's/^checkerboard host hash = //p' "$LOGS/parity.log")
if [ -n "$HOST_HASH" ] && grep -q "test result: ok" "$LOGS/parity.log"; then
  pass "host parity test, checkerboard hash $HOST_HASH"
else
  fail "host parity test"
fi

cd "$EMB"
HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
if timed cargo test --quiet --target "$HOST_TRIPLE" -p flambeau-demos >"$LOGS/demos-tests.log" 2>&1; then
  pass "flambeau-demos unit and doc tests on the host"
else
  cat "$LOGS/demos-tests.log"
  fail "flambeau-demos unit and doc tests on the host"
fi

if cargo fmt --all --check >/dev/null && (cd template && cargo fmt --check >/dev/null); then
  pass "embedded/ and the template are formatted (cargo fmt)"
else
  fail "cargo fmt --check in embedded/ or embedded/template/"
fi

step "the demos on every board (built for one board while QEMU runs the previous one's, two at a time)"
JOB=""
ORDER=0
for board in "${BOARDS[@]}"; do
  build_board "$board"
  [ -n "$JOB" ] && wait "$JOB"
  run_board "$board" >"$LOGS/run-$board.log" 2>&1 &
  JOB=$!
done
wait "$JOB"
for board in "${BOARDS[@]}"; do cat "$LOGS/run-$board.log"; done

step "host-device parity of the checkerboard weights"
for board in "${BOARDS[@]}"; do
  chip_hash=$(field hash "$LOGS/checkerboard-$board.out")
  if [ -n "$HOST_HASH" ] && [ "$chip_hash" = "$HOST_HASH" ]; then
    pass "checkerboard weights on $board are bit-identical to the host test's ($chip_hash)"
  else
    fail "checkerboard weights on $board: hash ${chip_hash:-none}, host test ${HOST_HASH:-none}"
  fi
done

step "the opt-in fused multiply-add order (the core's fma feature) on a hard-float and a soft-float chip"
# The checkerboard trained in the fused order on the chip against the same
# order on the host (the firmware's build script, on x86-64): bit-identical,
# and different from the default order's weights (so the feature took effect).
# The firmware also checks the chip's fused multiply-add (VFMA.F32 on the
# Cortex-M4F, libm's software fmaf on the M0) against libm's, bit for bit.
for board in mps2-an386 microbit; do
  target=$(board_field "$board" target)
  log="$LOGS/checkerboard-fma-$board"
  out="$log.out"
  if FLAMBEAU_BOARD=$board cargo build --quiet --release --target "$target" --features fma --bin checkerboard \
    && cp "target/$target/release/checkerboard" "$log" \
    && qemu_counted "$log" "$board" "$log"; then
    sed 's/^/  | /' "$out"
    fma_hash=$(field hash "$out")
    if [ "$(field parity "$out")" = bit-identical ] && [ -n "$fma_hash" ] && [ "$fma_hash" != "$HOST_HASH" ]; then
      pass "checkerboard in the fma order on $board: bit-identical to the host's fma order ($fma_hash), unlike the default's ($HOST_HASH); $(per_region "$log" train) instructions per training step"
    else
      fail "checkerboard in the fma order on $board: parity $(field parity "$out"), hash ${fma_hash:-none}, default ${HOST_HASH:-none}"
    fi
    agreement=$(field fused_agreement "$out")
    if [ -n "$agreement" ] && [ "${agreement%/*}" = "${agreement#*/}" ]; then
      pass "the fused multiply-add on $board equals libm's fmaf bit for bit ($agreement cases)"
    else
      fail "the fused multiply-add on $board against libm's fmaf: ${agreement:-no report}"
    fi
  else
    [ -f "$out" ] && sed 's/^/  | /' "$out"
    fail "checkerboard in the fma order on $board: did not build or did not pass"
  fi
done

step "output without a debugger: RTT, read from the emulated RAM"
rtt_checks

step "no allocator"
alloc_free=1
for elf in "$ELFS"/*/*; do
  [ -x "$elf" ] || continue
  if "$LLVM_BIN/llvm-nm" "$elf" | grep -qE '__rust_alloc|__rg_alloc|__rdl_alloc|__rust_no_alloc_shim'; then
    echo "allocator symbols in $elf"
    alloc_free=0
  fi
done
[ $alloc_free = 1 ] && pass "no allocator symbols in any firmware (and none links a #[global_allocator])" \
  || fail "allocator symbols found"
# Type-checking is the proof (without `alloc` in the sysroot, any use of it
# is a compile error): no need to generate code for it.
if FLAMBEAU_BOARD=mps2-an386 timed cargo +nightly check --quiet --release -Z build-std=core \
  --target thumbv7em-none-eabihf -p flambeau-firmware --features usps --bins --target-dir target/build-std; then
  pass "core, demos, board and every firmware binary type-check against a core-only sysroot (nightly -Z build-std=core)"
else
  fail "nightly -Z build-std=core build"
fi

step "the stack reserve set for one build (FLAMBEAU_STACK_RESERVE): the template on the Cortex-M0"
# Builds the template (its f32 example) for the microbit with reserve $1, logging to $2.
reserve_build() {
  (cd "$EMB/template" && FLAMBEAU_BOARD=microbit FLAMBEAU_STACK_RESERVE=$1 CARGO_TARGET_DIR=$EMB/target \
    cargo build --quiet --release --target thumbv6m-none-eabi) >"$2" 2>&1
}
status=0
if reserve_build 1K "$LOGS/reserve-1k.log"; then
  timeout 30 "$EMB/board/run.sh" "$EMB/target/thumbv6m-none-eabi/release/model" </dev/null \
    >"$LOGS/reserve-1k.out" 2>&1 || status=$?
  if [ $status = 5 ] && [ "$(field stack_reserve "$LOGS/reserve-1k.out")" = 1024 ]; then
    pass "a 1K reserve: the template runs, reports $(field stack_bytes "$LOGS/reserve-1k.out") B of stack against 1024 and fails with status 5"
  else
    cat "$LOGS/reserve-1k.out"
    fail "a 1K reserve on the microbit: exit $status"
  fi
else
  cat "$LOGS/reserve-1k.log"
  fail "the template with a 1K reserve did not build"
fi
if reserve_build 16K "$LOGS/reserve-16k.log"; then
  fail "the template linked with a 16K stack reserve in the microbit's 16 KiB of RAM"
elif grep -q "leaves less than _stack_reserve" "$LOGS/reserve-16k.log"; then
  pass "a 16K reserve in 16 KiB of RAM: the link refuses it by name"
else
  cat "$LOGS/reserve-16k.log"
  fail "a 16K reserve: the build failed for another reason"
fi
if reserve_build 6M "$LOGS/reserve-6m.log"; then
  fail "the template built with FLAMBEAU_STACK_RESERVE=6M"
elif grep -q "FLAMBEAU_STACK_RESERVE=6M" "$LOGS/reserve-6m.log"; then
  pass "FLAMBEAU_STACK_RESERVE=6M is refused by name"
else
  cat "$LOGS/reserve-6m.log"
  fail "FLAMBEAU_STACK_RESERVE=6M: the build failed for another reason"
fi

step "largest network the Cortex-M0 trains ($(($(mem_len microbit RAM) / 1024)) KiB RAM)"
probe_m0

step "figures"
write_figures >"$FIGURES"
cat "$FIGURES"
echo "figures written to $FIGURES"
echo "[time] embedded/ci.sh took $((SECONDS - START)) s"
trap - ERR
echo "$(passed) passed, $(failed) failed"
[ "$(failed)" -eq 0 ]
