#!/usr/bin/env bash
# The firmware demos on emulated microcontrollers, end to end:
#   tools -> data export (host) -> host parity test -> firmware builds for the
#   Cortex-M4F (QEMU mps2-an386) and the Cortex-M0 (QEMU microbit, 16 KiB RAM)
#   -> runs under QEMU with an instruction-counting plugin -> no-allocator
#   proofs -> largest trainable network on the Cortex-M0 -> figures table.
# Run from anywhere: `bash embedded/ci.sh`. USPS is read from $FLAMBEAU_DATA,
# else from ../shared/data beside the repository. Exits 1 if anything failed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EMB=$ROOT/embedded
DATA=${FLAMBEAU_DATA:-$ROOT/../shared/data}
export FLAMBEAU_FW_DATA=$EMB/target/fw-data # read by firmware/build.rs
FIGURES=$ROOT/target/embedded-figures.md
LOGS=$EMB/target/ci
M4=thumbv7em-none-eabihf
M0=thumbv6m-none-eabi
export CARGO_TERM_COLOR=never
mkdir -p "$LOGS" "$ROOT/target"
START=$SECONDS
PASSED=0
FAILED=0
ROWS=()
trap 'echo "ci.sh aborted at line $LINENO"; echo "$PASSED passed, $((FAILED + 1)) failed"' ERR

step() { echo; echo "=== $* ==="; }
timed() { local s=$SECONDS; "$@"; echo "[time] $((SECONDS - s)) s: $*"; }
pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }
# The value of `key = value` in a firmware's output.
field() { sed -n "s/^$1 = //p" "$2" | head -n 1; }
# Bytes of a memory.x length such as `256K`, and of its stack reserve.
mem_len() { sed -n "s/^ *$2 *: *ORIGIN.*LENGTH = \([0-9]*\)K.*/\1/p" "$1" | awk '{ print $1 * 1024 }'; }
stack_reserve() { sed -n 's/^_stack_reserve = \([0-9]*\)K;.*/\1/p' "$1" | awk '{ print $1 * 1024 }'; }

step "tools"
if ! command -v qemu-system-arm >/dev/null; then
  timed apt-get update -qq
  timed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null
fi
timed rustup target add "$M4" "$M0"
timed rustup component add llvm-tools
if rustup toolchain list | grep -q '^nightly'; then
  timed rustup component add rust-src --toolchain nightly
else
  timed rustup toolchain install nightly --profile minimal --component rust-src
fi
LLVM_BIN="$(rustc --print target-libdir)/../bin"
QEMU_MAJOR=$(qemu-system-arm --version | sed -n '1s/.*version \([0-9]*\)\..*/\1/p')
PLUGIN_API=1
[ "$QEMU_MAJOR" -ge 9 ] && PLUGIN_API=2
# The instruction-count plugin is a measuring tool kept beside the repository.
PLUGIN_SRC=${FLAMBEAU_INSNCOUNT_SRC:-$ROOT/../shared/tools/qemu-insncount/insncount.c}
[ -f "$PLUGIN_SRC" ] || { echo "error: the QEMU instruction-count plugin source is missing: $PLUGIN_SRC (set FLAMBEAU_INSNCOUNT_SRC)" >&2; exit 1; }
PLUGIN=$EMB/target/libinsncount.so
timed gcc -O2 -Wall -shared -fPIC -DQEMU_API=$PLUGIN_API -o "$PLUGIN" "$PLUGIN_SRC"
echo "qemu-system-arm $(qemu-system-arm --version | head -n 1), plugin API $PLUGIN_API"

step "export the USPS model and images (host, from $DATA)"
(cd "$ROOT" && timed cargo run --quiet --release -p flambeau-harness --example export_firmware -- \
  --data "$DATA" --out "$FLAMBEAU_FW_DATA") | tee "$LOGS/export.log"
HOST_ACC=$(sed -n 's/^host USPS MLP: test accuracy .* = //p' "$LOGS/export.log")

step "host parity test (the firmware's training routine on the host)"
if ! (cd "$ROOT" && timed cargo test --quiet --release -p flambeau-harness --test firmware_parity -- --nocapture) \
  2>&1 | tee "$LOGS/parity.log"; then
  echo "the host parity test failed"
fi
HOST_HASH=$(sed -n 's/^checkerboard host hash = //p' "$LOGS/parity.log")
if [ -n "$HOST_HASH" ] && grep -q "test result: ok" "$LOGS/parity.log"; then
  pass "host parity test, checkerboard hash $HOST_HASH"
else
  fail "host parity test"
fi

step "firmware builds"
cd "$EMB"
HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
if timed cargo test --quiet --target "$HOST_TRIPLE" -p flambeau-demos >"$LOGS/demos-tests.log" 2>&1; then
  pass "flambeau-demos unit and doc tests on the host"
else
  cat "$LOGS/demos-tests.log"
  fail "flambeau-demos unit and doc tests on the host"
fi
timed cargo build --quiet --release --target "$M4" --bin checkerboard --bin usps_infer --bin usps_train
timed cargo build --quiet --release --target "$M0" --bin checkerboard --bin fault
cargo build --quiet --release --target "$M4" --bin fault
# The Cortex-M0 classifies as many test images as its flash holds: measure the
# flash one image takes, then fill what the memory map leaves.
M0_FLASH=$(mem_len firmware/memory-microbit.x FLASH)
M0_RAM=$(mem_len firmware/memory-microbit.x RAM)
FLAMBEAU_FW_M0_TEST_IMAGES=1 cargo build --quiet --release --target "$M0" --bin usps_infer
read -r text data _ < <("$LLVM_BIN/llvm-size" "target/$M0/release/usps_infer" | awk 'NR == 2')
export FLAMBEAU_FW_M0_TEST_IMAGES=$((1 + (M0_FLASH - text - data) / (256 + 2)))
until cargo build --quiet --release --target "$M0" --bin usps_infer 2>"$LOGS/m0-infer-build.log"; do
  grep -q "will not fit in region" "$LOGS/m0-infer-build.log" || { cat "$LOGS/m0-infer-build.log"; exit 1; }
  FLAMBEAU_FW_M0_TEST_IMAGES=$((FLAMBEAU_FW_M0_TEST_IMAGES - 1))
done
echo "Cortex-M0: $FLAMBEAU_FW_M0_TEST_IMAGES test images fill its flash"

# The int8 USPS MLP (`flambeau quantize` on the exported f32 model): every test image
# on the Cortex-M4F, as many as its flash holds on the Cortex-M0 (images as int8 bytes).
int8_export() { (cd "$ROOT" && cargo run --quiet --release -p flambeau-harness --example export_int8 -- \
  --data "$DATA" --fw-data "$FLAMBEAU_FW_DATA" --m0-images "$1"); }
int8_export 1 | tee "$LOGS/export-int8.log"
timed cargo build --quiet --release --target "$M4" --bin usps_int8 --bin int8_linear
cargo build --quiet --release --target "$M0" --bin int8_linear
cargo build --quiet --release --target "$M0" --bin usps_int8
read -r text data _ < <("$LLVM_BIN/llvm-size" "target/$M0/release/usps_int8" | awk 'NR == 2')
INT8_M0_IMAGES=$((1 + (M0_FLASH - text - data) / (256 + 2)))
until int8_export "$INT8_M0_IMAGES" >/dev/null && cargo build --quiet --release --target "$M0" --bin usps_int8 2>"$LOGS/m0-int8-build.log"; do
  grep -q "will not fit in region" "$LOGS/m0-int8-build.log" || { cat "$LOGS/m0-int8-build.log"; exit 1; }
  INT8_M0_IMAGES=$((INT8_M0_IMAGES - 1))
done
echo "Cortex-M0: $INT8_M0_IMAGES int8 test images fill its flash"

# Runs one firmware under QEMU with the instruction-count plugin, checks its
# exit status and adds its row to the figures.
run_demo() {
  local bin=$1 tgt=$2 note_keys=$3
  local elf=target/$tgt/release/$bin log=$LOGS/$bin-$tgt
  local machine=(-machine mps2-an386 -cpu cortex-m4) chip="Cortex-M4F (mps2-an386)"
  [ "$tgt" = "$M0" ] && machine=(-machine microbit) chip="Cortex-M0 (microbit)"
  local status=0
  # One run per counted region: the plugin counts from bench_<region>_start to bench_<region>_stop.
  timeout 600 qemu-system-arm "${machine[@]}" -nographic -semihosting-config enable=on,target=native \
    -kernel "$elf" -plugin "$PLUGIN,start=bench_train_start,stop=bench_train_stop" -d plugin -D "$log.train.insns" \
    </dev/null >"$log.out" 2>&1 || status=$?
  if [ "$status" = 0 ]; then
    timeout 600 qemu-system-arm "${machine[@]}" -nographic -semihosting-config enable=on,target=native \
      -kernel "$elf" -plugin "$PLUGIN,start=bench_infer_start,stop=bench_infer_stop" -d plugin -D "$log.infer.insns" \
      </dev/null >/dev/null 2>&1 || status=$?
  fi
  sed 's/^/  | /' "$log.out"
  case $status in
    0) pass "$bin on $chip" ;;
    2) fail "$bin on $chip: accuracy below the bar (exit 2)" ;;
    3) fail "$bin on $chip: predictions differ from the host's (exit 3)" ;;
    4) fail "$bin on $chip: weights differ from the host's (exit 4)" ;;
    5) fail "$bin on $chip: stack over its reserve (exit 5)" ;;
    6) fail "$bin on $chip: core error (exit 6)" ;;
    124) fail "$bin on $chip: timed out" ;;
    *) fail "$bin on $chip: panic, HardFault or QEMU error (exit $status)" ;;
  esac
  local text data bss stack per_step="-" per_infer="-" notes=""
  read -r text data bss _ < <("$LLVM_BIN/llvm-size" "$elf" | awk 'NR == 2')
  stack=$(field stack_bytes "$log.out")
  per_region() { awk '/^region_insns=/ { split($1, i, "="); split($2, c, "=");
    if (c[2] > 0) printf "%d", i[2] / c[2]; else printf "-" }' "$log.$1.insns"; }
  per_step=$(per_region train)
  per_infer=$(per_region infer)
  for k in $note_keys; do notes+="$k $(field "$k" "$log.out"); "; done
  ROWS+=("| $bin | $chip | $((text + data)) | $((data + bss)) | ${stack:--} | $((data + bss + ${stack:-0})) | $per_step | $per_infer | ${notes%; } |")
}

step "runs under QEMU"
run_demo checkerboard "$M4" "accuracy parity"
run_demo checkerboard "$M0" "accuracy parity"
run_demo usps_infer "$M4" "images chip_accuracy host_accuracy prediction_mismatches"
run_demo usps_infer "$M0" "images chip_accuracy host_accuracy prediction_mismatches"
run_demo usps_train "$M4" "eval_accuracy parity"
run_demo usps_int8 "$M4" "images chip_accuracy host_accuracy prediction_mismatches"
run_demo usps_int8 "$M0" "images chip_accuracy host_accuracy prediction_mismatches"
run_demo int8_linear "$M4" "macs checksum odd_size_mismatches"
run_demo int8_linear "$M0" "macs checksum odd_size_mismatches"

step "a fault exits instead of hanging"
for tgt in "$M4" "$M0"; do
  machine=(-machine mps2-an386); [ "$tgt" = "$M0" ] && machine=(-machine microbit)
  status=0
  timeout 30 qemu-system-arm "${machine[@]}" -nographic -semihosting-config enable=on,target=native \
    -kernel "target/$tgt/release/fault" </dev/null >"$LOGS/fault-$tgt.out" 2>&1 || status=$?
  sed 's/^/  | /' "$LOGS/fault-$tgt.out"
  if [ $status = 1 ] && grep -q "^HardFault at pc=" "$LOGS/fault-$tgt.out"; then
    pass "HardFault on $tgt exits through semihosting with status 1"
  else
    fail "HardFault on $tgt: exit $status"
  fi
done

step "host-device parity of the checkerboard weights"
for tgt in "$M4" "$M0"; do
  chip_hash=$(field hash "$LOGS/checkerboard-$tgt.out")
  if [ -n "$HOST_HASH" ] && [ "$chip_hash" = "$HOST_HASH" ]; then
    pass "checkerboard weights on $tgt are bit-identical to the host test's ($chip_hash)"
  else
    fail "checkerboard weights on $tgt: hash ${chip_hash:-none}, host test ${HOST_HASH:-none}"
  fi
done

step "no allocator"
alloc_free=1
for elf in target/$M4/release/{checkerboard,usps_infer,usps_train,usps_int8} target/$M0/release/{checkerboard,usps_infer,usps_int8}; do
  if "$LLVM_BIN/llvm-nm" "$elf" | grep -qE '__rust_alloc|__rg_alloc|__rdl_alloc|__rust_no_alloc_shim'; then
    echo "allocator symbols in $elf"
    alloc_free=0
  fi
done
[ $alloc_free = 1 ] && pass "no allocator symbols in any firmware (and none links a #[global_allocator])" \
  || fail "allocator symbols found"
if timed cargo +nightly build --quiet --release -Z build-std=core --target "$M4" \
  -p flambeau-firmware --bin checkerboard --target-dir target/build-std; then
  pass "core, demos and firmware build against a core-only sysroot (nightly -Z build-std=core)"
else
  fail "nightly -Z build-std=core build"
fi

# Whether the probe `$1` links with `$2=$3`; aborts on any error but a budget overflow.
links() {
  if env "$2=$3" cargo build --quiet --release --target "$M0" --bin "$1" 2>"$LOGS/probe-build.log"; then
    return 0
  fi
  grep -qE "will not fit in region|leaves less than" "$LOGS/probe-build.log" || { cat "$LOGS/probe-build.log" >&2; exit 1; }
  return 1
}

# Largest hidden width whose training state links within the memory map next
# to the stack reserve (the linker enforces both): doubling from $3, then bisection.
largest_linking() {
  local bin=$1 var=$2 lo=0 hi=$3 mid
  while links "$bin" "$var" "$hi"; do lo=$hi hi=$((2 * hi)); done
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if links "$bin" "$var" "$mid"; then lo=$mid; else hi=$mid; fi
  done
  echo "$lo"
}

step "largest network the Cortex-M0 trains ($((M0_RAM / 1024)) KiB RAM)"
PROBE_CB=$(largest_linking probe_checkerboard FLAMBEAU_FW_PROBE_CB_HIDDEN 64)
PROBE_USPS=$(largest_linking probe_usps FLAMBEAU_FW_PROBE_USPS_HIDDEN 16)
echo "largest widths that link: 2-$PROBE_CB-1 (checkerboard, Adam, batch 16), 256-$PROBE_USPS-10 (USPS, SGD, batch 1)"
export FLAMBEAU_FW_PROBE_CB_HIDDEN=$PROBE_CB FLAMBEAU_FW_PROBE_USPS_HIDDEN=$PROBE_USPS
cargo build --quiet --release --target "$M0" --bin probe_checkerboard --bin probe_usps
run_demo probe_checkerboard "$M0" "demo parameters accuracy"
run_demo probe_usps "$M0" "demo parameters eval_accuracy"

step "figures"
{
  echo "| demo | chip | flash (text+data, B) | static RAM (data+bss, B) | peak stack (B) | RAM total (B) | insns / training step | insns / inference | result |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Budgets (memory.x): Cortex-M4F $(mem_len firmware/memory-mps2.x FLASH) B flash / $(mem_len firmware/memory-mps2.x RAM) B RAM;" \
    "Cortex-M0 $M0_FLASH B flash / $M0_RAM B RAM; stack reserves (the link fails if the statics leave less):" \
    "$(stack_reserve firmware/memory-mps2.x) B and $(stack_reserve firmware/memory-microbit.x) B. Host USPS MLP test accuracy: $HOST_ACC." \
    "Cortex-M0 classifies $FLAMBEAU_FW_M0_TEST_IMAGES test images (as many as its flash holds)." \
    "Int8 (usps_int8): Cortex-M0 classifies $INT8_M0_IMAGES test images; 41 600 multiply-accumulates per image." \
    "Largest nets the Cortex-M0 trains: 2-$PROBE_CB-1 (checkerboard recipe) and 256-$PROBE_USPS-10 (USPS, SGD, batch 1)." \
    "Instructions: QEMU TCG plugin, per bench_*_start..stop region, averaged over its calls; qemu $QEMU_MAJOR.x."
} >"$FIGURES"
cat "$FIGURES"
echo "figures written to $FIGURES"
echo "[time] embedded/ci.sh took $((SECONDS - START)) s"
trap - ERR
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
