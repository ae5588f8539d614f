# Sourced by ci.sh: builds and runs the demos on each board, the RTT checks,
# the Cortex-M0 probes and the figures.

# The demos of the matrix (binaries of flambeau-firmware), then the template.
DEMOS=(checkerboard usps_infer usps_train usps_int8 int8_linear fault cnn_int8 f32_linear)
NOTES_checkerboard="accuracy parity"
NOTES_usps_infer="images chip_accuracy host_accuracy prediction_mismatches"
NOTES_usps_int8="images chip_accuracy host_accuracy prediction_mismatches"
NOTES_int8_linear="macs checksum odd_size_mismatches"
NOTES_cnn_int8="images chip_accuracy host_accuracy output_mismatches"
NOTES_f32_linear="macs parity"
NOTES_usps_train="eval_accuracy parity"
NOTES_template="vectors max_abs_error parity"
NOTES_template_int8="vectors parity"

# Boards the template runs the int8 USPS MLP on (the Cortex-M0 and the M4F).
TEMPLATE_INT8_BOARDS="microbit mps2-an386"
# A copy of the template whose model/ is the int8 USPS MLP, as `flambeau
# export` writes it: made by template_int8_folder, built as the template.
TEMPLATE_INT8=$EMB/target/template-int8

# Exports the int8 USPS MLP with `flambeau export` into a copy of the
# template, its two path dependencies pointed at this checkout (as the
# template's README says to do for a copy kept elsewhere).
template_int8_folder() {
  rm -rf "$TEMPLATE_INT8"
  mkdir -p "$TEMPLATE_INT8"
  cp -r "$EMB/template/Cargo.toml" "$EMB/template/Cargo.lock" "$EMB/template/build.rs" "$EMB/template/src" "$TEMPLATE_INT8/"
  # Its own package and binary name: cargo tells packages apart by name and
  # workspace-relative path, so an unrenamed copy would pass for the template.
  sed -i -e "s|path = \"\.\./\.\.\"|path = \"$ROOT\"|" -e "s|path = \"\.\./board\"|path = \"$EMB/board\"|" \
    -e 's|^name = "flambeau-template"|name = "flambeau-template-int8"|' -e 's|^name = "model"|name = "model_int8"|' \
    "$TEMPLATE_INT8/Cargo.toml"
  grep -q '^name = "model_int8"' "$TEMPLATE_INT8/Cargo.toml" || { echo "template-int8: renaming failed" >&2; exit 1; }
  (cd "$ROOT" && timed cargo run --quiet "${HOST_PROFILE[@]}" -p flambeau-harness --bin flambeau -- \
    export --model "$FLAMBEAU_FW_DATA/int8/usps_mlp_int8.safetensors" --out "$TEMPLATE_INT8/model")
}

# Boards the template runs the exported 1-D CNN on, f32 and int8 (the Cortex-M4F).
TEMPLATE_CNN_BOARDS="mps2-an386"
NOTES_template_cnn="vectors max_abs_error parity"
NOTES_template_cnn_int8="vectors parity"
# Copies of the template whose model/ is the conv1d experiment's small CNN,
# f32 and int8, as `flambeau export` writes them (template_cnn_folders).
TEMPLATE_CNN=$EMB/target/template-cnn
TEMPLATE_CNN_INT8=$EMB/target/template-cnn-int8

# A copy of the template in folder $1, its package named $2 and its binary
# $3, its two path dependencies pointed at this checkout.
template_copy() {
  rm -rf "$1"
  mkdir -p "$1"
  cp -r "$EMB/template/Cargo.toml" "$EMB/template/Cargo.lock" "$EMB/template/build.rs" "$EMB/template/src" "$1/"
  sed -i -e "s|path = \"\.\./\.\.\"|path = \"$ROOT\"|" -e "s|path = \"\.\./board\"|path = \"$EMB/board\"|" \
    -e "s|^name = \"flambeau-template\"|name = \"$2\"|" -e "s|^name = \"model\"|name = \"$3\"|" "$1/Cargo.toml"
  grep -q "^name = \"$3\"" "$1/Cargo.toml" || { echo "$1: renaming failed" >&2; exit 1; }
}

# Trains the conv1d experiment's small CNN for one epoch, quantises it to
# int8, and exports both into copies of the template, as a user does.
template_cnn_folders() {
  local run=$EMB/target/cnn-run
  local flambeau=(cargo run --quiet "${HOST_PROFILE[@]}" -p flambeau-harness --bin flambeau --)
  rm -rf "$run"
  template_copy "$TEMPLATE_CNN" flambeau-template-cnn model_cnn
  template_copy "$TEMPLATE_CNN_INT8" flambeau-template-cnn-int8 model_cnn_int8
  (cd "$ROOT" && timed "${flambeau[@]}" conv1d --data "$DATA" --arch small --epochs 1 --quiet --out "$run" &&
    timed "${flambeau[@]}" quantize --data "$DATA" --model "$run/model.safetensors" --out "$run/int8.safetensors" --quiet &&
    "${flambeau[@]}" export --model "$run/model.safetensors" --out "$TEMPLATE_CNN/model" &&
    "${flambeau[@]}" export --model "$run/int8.safetensors" --out "$TEMPLATE_CNN_INT8/model")
}

# Test images usps_infer classifies in CI on a chip without an FPU.
SOFT_FLOAT_IMAGES=300

# The int8 dot product board $1's target compiles (the core's build.rs sets
# cfg(flambeau_dsp) for thumbv7em, ARMv7E-M: SXTB16 and SMLAD).
dot_path() { [[ $(board_field "$1" target) == thumbv7em* ]] && echo "SMLAD" || echo "plain loop"; }

# Whether board $1's chip has an FPU (its name ends in f, as cortex-m4f).
has_fpu() { [[ $(board_field "$1" chip) == *f ]]; }

# Records why $2 does not fit board $1, from the link errors in $3.
not_fit() {
  local why
  why=$(grep -oE "will not fit in region .?[A-Z]+.?(: overflowed by [0-9]+ bytes)?|region .?[A-Z]+.? overflowed by [0-9]+ bytes|leaves less than _stack_reserve bytes for the stack" "$3" |
    sed -e "s/will not fit in region '\([A-Z]*\)'/\1/" -e 's/leaves less than _stack_reserve bytes for the stack/statics leave the stack too little RAM/' |
    awk -F: '!seen[$1]++' | paste -sd ';' - | sed 's/;/; /g')
  mkdir -p "$LOGS/rows/$1"
  echo "| $2 | $1 ($(board_field "$1" chip)) | – | – | – | – | – | – | does not fit: ${why} (linker) |" >"$LOGS/rows/$1/$2.row"
  echo "does not fit ($(sed 's/: overflowed by [0-9]* bytes//g' <<<"$why"))" >"$LOGS/rows/$1/$2.cell"
  echo "$2 does not fit $1: $why"
}

# Builds binary $3 for board $1 (target $2) and keeps its ELF; a link that
# fails on the memory map is reported as not fitting, anything else fails.
build_bin() {
  local board=$1 target=$2 bin=$3 log=$LOGS/build-$1-$3.log
  if cargo build --quiet --release --target "$target" --features usps --bin "$bin" 2>"$log"; then
    cp "target/$target/release/$bin" "$ELFS/$board/$bin"
  elif grep -qE "will not fit in region|overflowed by|leaves less than" "$log"; then
    not_fit "$board" "$bin" "$log"
  else
    cat "$log"
    fail "build of $bin for $board"
  fi
}

# Flash of the usps_infer and usps_int8 code, for the first guess of whether every image fits.
F32_CODE=$((32 * 1024))
INT8_CODE=$((40 * 1024))

# Sets the image counts of usps_infer (FLAMBEAU_FW_TEST_IMAGES) and usps_int8
# (FLAMBEAU_FW_INT8_IMAGES) for board $1 (target $2), once, before its builds
# (a changed count rebuilds every binary): every exported image when the
# flash holds them, else as many as fit, from the flash one image takes
# (258 B: pixels, label, host prediction) and the size with one image.
set_image_counts() {
  local board=$1 target=$2 flash f32_n int8_n f32_w int8_w fill=() bin var text data
  flash=$(mem_len "$board" FLASH)
  f32_n=$(sed -n 's/^usps_test_images *= *//p' "$FLAMBEAU_FW_DATA/manifest.txt")
  f32_w=$(stat -c %s "$FLAMBEAU_FW_DATA/usps_mlp.safetensors")
  int8_n=$(stat -c %s "$FLAMBEAU_FW_DATA/int8/test_labels.u8")
  int8_w=$(stat -c %s "$FLAMBEAU_FW_DATA/int8/usps_mlp_int8.safetensors")
  unset FLAMBEAU_FW_TEST_IMAGES FLAMBEAU_FW_INT8_IMAGES
  if [ $((f32_w + F32_CODE + f32_n * 258)) -gt "$flash" ]; then
    fill+=(usps_infer) && export FLAMBEAU_FW_TEST_IMAGES=1
  elif ! has_fpu "$board" && [ -z "${FLAMBEAU_CI_FULL:-}" ]; then
    # Without an FPU an image takes ten times the instructions: a subset keeps CI short.
    export FLAMBEAU_FW_TEST_IMAGES=$SOFT_FLOAT_IMAGES
  fi
  if [ $((int8_w + INT8_CODE + int8_n * 258)) -gt "$flash" ]; then
    fill+=(usps_int8) && export FLAMBEAU_FW_INT8_IMAGES=1
  fi
  [ ${#fill[@]} -gt 0 ] || return 0
  # shellcheck disable=SC2046 # one --bin a binary
  cargo build --quiet --release --target "$target" --features usps $(printf -- '--bin %s ' "${fill[@]}")
  for bin in "${fill[@]}"; do
    var=FLAMBEAU_FW_TEST_IMAGES
    [ "$bin" = usps_int8 ] && var=FLAMBEAU_FW_INT8_IMAGES
    read -r text data _ < <("$LLVM_BIN/llvm-size" "target/$target/release/$bin" | awk 'NR == 2')
    export "$var=$((1 + (flash - text - data) / 258))"
  done
  # The estimate is exact unless padding moves: step down until both link.
  for bin in "${fill[@]}"; do
    var=FLAMBEAU_FW_TEST_IMAGES
    [ "$bin" = usps_int8 ] && var=FLAMBEAU_FW_INT8_IMAGES
    until cargo build --quiet --release --target "$target" --features usps --bin "$bin" 2>"$LOGS/fill.log"; do
      grep -q "will not fit in region\|overflowed by" "$LOGS/fill.log" || { cat "$LOGS/fill.log"; exit 1; }
      export "$var=$((${!var} - 1))"
    done
    echo "$board: ${!var} test images fill its flash ($bin)"
  done
}

# Builds binaries $3... for board $1 (target $2): all in one cargo run
# (their links run in parallel), or one by one if any fails, to report it.
build_bins() {
  local board=$1 target=$2 bin
  shift 2
  # shellcheck disable=SC2046 # one --bin a binary
  if cargo build --quiet --release --target "$target" --features usps $(printf -- '--bin %s ' "$@") \
    2>"$LOGS/build-$board.log"; then
    for bin in "$@"; do cp "target/$target/release/$bin" "$ELFS/$board/$bin"; done
  else
    for bin in "$@"; do build_bin "$board" "$target" "$bin"; done
  fi
}

# Builds the template crate in folder $4 (its binary $5) for board $1 (target $2) as demo $3.
build_template() {
  local board=$1 target=$2 name=$3 dir=$4 bin=$5 log=$LOGS/build-$1-$3.log
  if (cd "$dir" && CARGO_TARGET_DIR=$EMB/target cargo build --quiet --release --target "$target") 2>"$log"; then
    cp "$EMB/target/$target/release/$bin" "$ELFS/$board/$name"
  elif grep -qE "will not fit in region|overflowed by|leaves less than" "$log"; then
    not_fit "$board" "$name" "$log"
  else
    cat "$log"
    fail "build of $name for $board"
  fi
}

# Builds every demo and the template for board $1.
build_board() {
  local board=$1 target s=$SECONDS
  target=$(board_field "$board" target)
  export FLAMBEAU_BOARD=$board
  mkdir -p "$ELFS/$board" "$LOGS/rows/$board"
  set_image_counts "$board" "$target"
  build_bins "$board" "$target" checkerboard fault usps_infer usps_int8 int8_linear usps_train cnn_int8 f32_linear
  unset FLAMBEAU_FW_TEST_IMAGES FLAMBEAU_FW_INT8_IMAGES
  if [ -f "$ELFS/$board/usps_train" ] && ! has_fpu "$board" && [ -z "${FLAMBEAU_CI_FULL:-}" ]; then
    # It links (the linker's verdict stands), but soft-float training takes too long for CI.
    rm "$ELFS/$board/usps_train"
    echo "| usps_train | $board ($(board_field "$board" chip)) | – | – | – | – | – | – | fits; not run by CI: 512 soft-float steps take about ten times the Cortex-M4F's 4.3 G instructions (FLAMBEAU_CI_FULL=1 runs it) |" \
      >"$LOGS/rows/$board/usps_train.row"
    echo "fits, not run (soft-float, slow)" >"$LOGS/rows/$board/usps_train.cell"
  fi
  build_template "$board" "$target" template "$EMB/template" model
  if [[ " $TEMPLATE_INT8_BOARDS " == *" $board "* ]]; then
    build_template "$board" "$target" template_int8 "$TEMPLATE_INT8" model_int8
  else
    echo "not run by CI (runs on: $TEMPLATE_INT8_BOARDS)" >"$LOGS/rows/$board/template_int8.cell"
  fi
  if [[ " $TEMPLATE_CNN_BOARDS " == *" $board "* ]]; then
    build_template "$board" "$target" template_cnn "$TEMPLATE_CNN" model_cnn
    build_template "$board" "$target" template_cnn_int8 "$TEMPLATE_CNN_INT8" model_cnn_int8
  else
    for bin in template_cnn template_cnn_int8; do
      echo "not run by CI (runs on: $TEMPLATE_CNN_BOARDS)" >"$LOGS/rows/$board/$bin.cell"
    done
  fi
  unset FLAMBEAU_BOARD
  echo "[time] $((SECONDS - s)) s: builds for $board ($target)"
}

# Runs demo $2 on board $1 and writes its figures row.
run_demo() {
  local board=$1 bin=$2 elf=$ELFS/$1/$2 log=$LOGS/$2-$1 chip status=0 notes="" keys
  chip=$(board_field "$board" chip)
  qemu_counted "$elf" "$board" "$log" || status=$?
  sed 's/^/  | /' "$log.out"
  case $status in
    0) pass "$bin on $board ($chip)" ;;
    2) fail "$bin on $board: accuracy below the bar (exit 2)" ;;
    3) fail "$bin on $board: predictions differ from the host's (exit 3)" ;;
    4) fail "$bin on $board: weights differ from the host's (exit 4)" ;;
    5) fail "$bin on $board: stack over its reserve (exit 5)" ;;
    6) fail "$bin on $board: core error (exit 6)" ;;
    124) fail "$bin on $board: timed out" ;;
    *) fail "$bin on $board: panic, HardFault or QEMU error (exit $status)" ;;
  esac
  local text data bss stack step infer
  read -r text data bss _ < <("$LLVM_BIN/llvm-size" "$elf" | awk 'NR == 2')
  stack=$(field stack_bytes "$log.out")
  step=$(per_region "$log" train)
  infer=$(per_region "$log" infer)
  keys=NOTES_$bin
  for k in ${!keys}; do notes+="$k $(field "$k" "$log.out"); "; done
  local per_mac=""
  if [ "$bin" = int8_linear ] && [ "${infer:--}" != - ]; then
    per_mac=$(awk -v i="$infer" -v m="$(field macs "$log.out")" 'BEGIN { printf "%.2f", i / m }')
    notes+="insns/MAC $per_mac; $(dot_path "$board"); "
  elif [ "$bin" = f32_linear ] && [ "${infer:--}" != - ]; then
    per_mac=$(awk -v i="$infer" -v m="$(field macs "$log.out")" 'BEGIN { printf "%.2f", i / m }')
    notes+="insns/MAC $per_mac; "
  fi
  echo "| $bin | $board ($chip) | $((text + data)) | $((data + bss)) | ${stack:--} | $((data + bss + ${stack:-0})) | ${step:--} | ${infer:--} | ${notes%; } |" \
    >"$LOGS/rows/$board/$bin.row"
  local verdict=PASS
  [ "$status" = 0 ] || verdict="FAIL (exit $status)"
  if [ "${step:--}" != - ]; then
    verdict+=", $step insns/step"
  elif [ -n "$per_mac" ]; then
    verdict+=", $infer insns/call, $per_mac/MAC"
    if [ "$bin" = int8_linear ]; then verdict+=" ($(dot_path "$board"))"; fi
  elif [ "$bin" = usps_int8 ] || [ "$bin" = cnn_int8 ]; then
    verdict+=", $infer insns/image, $(field images "$log.out" | cut -d' ' -f1) images"
  elif [ "${infer:--}" != - ]; then
    verdict+=", $infer insns/inference"
  fi
  echo "$verdict" >"$LOGS/rows/$board/$bin.cell"
}

# Runs everything built for board $1 (in the background of the next build).
run_board() {
  local board=$1 status=0 calls steps bin jobs=()
  # Two QEMU runs at a time, each printing to its own log, shown in order.
  for bin in checkerboard usps_infer usps_train usps_int8 int8_linear template template_int8 template_cnn template_cnn_int8 cnn_int8 f32_linear; do
    [ -f "$ELFS/$board/$bin" ] || continue
    run_demo "$board" "$bin" >"$LOGS/run-$board-$bin.log" 2>&1 &
    jobs+=("$bin:$!")
    if [ ${#jobs[@]} -ge 2 ]; then
      wait "${jobs[0]#*:}" || true
      cat "$LOGS/run-$board-${jobs[0]%%:*}.log"
      jobs=("${jobs[@]:1}")
    fi
  done
  for j in "${jobs[@]}"; do
    wait "${j#*:}" || true
    cat "$LOGS/run-$board-${j%%:*}.log"
  done
  if [ -f "$ELFS/$board/template_int8" ] && ! grep -q "^int8 weights = " "$LOGS/template_int8-$board.out"; then
    fail "template_int8 on $board did not run the int8 model"
  fi
  if [ -f "$ELFS/$board/template_cnn_int8" ] && ! grep -q "^int8 weights = " "$LOGS/template_cnn_int8-$board.out"; then
    fail "template_cnn_int8 on $board did not run the int8 model"
  fi
  # The plugins' reports come last-loaded first: check on the checkerboard's 200 steps.
  calls=$(region_calls "$LOGS/checkerboard-$board" train)
  steps=$(field steps "$LOGS/checkerboard-$board.out" | cut -d' ' -f1)
  [ "$calls" = "$steps" ] || fail "instruction counts on $board: $calls training regions counted, $steps steps run"
  timeout 30 "$EMB/board/run.sh" "$ELFS/$board/fault" </dev/null >"$LOGS/fault-$board.out" 2>&1 || status=$?
  sed 's/^/  | /' "$LOGS/fault-$board.out"
  if [ $status = 1 ] && grep -q "^HardFault at pc=" "$LOGS/fault-$board.out"; then
    pass "HardFault on $board exits with status 1"
  else
    fail "HardFault on $board: exit $status"
  fi
}

# The text the firmware wrote to its RTT buffer, read from the RAM of an
# emulator it runs on with semihosting off (so no debugger to print to):
# $1 ELF, $2 board. Reads the RAM (through the CPU's view: `memsave`) once a
# second until the firmware has printed `exit = `, for up to 30 s.
rtt_text() {
  local elf=$1 board=$2 qemu origin len cb fifo=$LOGS/rtt-monitor dump=$LOGS/rtt-ram.bin text="" qpid
  qemu=$(board_field "$board" qemu)
  origin=$(($(mem_origin "$board" RAM)))
  len=$(mem_len "$board" RAM)
  cb=$((0x$("$LLVM_BIN/llvm-nm" "$elf" | awk '/ _SEGGER_RTT$/ { print $1 }')))
  rm -f "$fifo" "$dump"
  mkfifo "$fifo"
  # shellcheck disable=SC2086 # the board's QEMU arguments are words
  timeout 60 qemu-system-arm $qemu -display none -serial none -monitor stdio -kernel "$elf" <"$fifo" >/dev/null 2>&1 &
  qpid=$!
  exec 7>"$fifo"
  for _ in $(seq 30); do
    sleep 1
    echo "memsave $origin $len \"$dump\"" >&7
    sleep 0.5
    text=$(rtt_extract "$dump" "$origin" "$cb")
    grep -q "^exit = " <<<"$text" && break
  done
  echo quit >&7
  exec 7>&-
  wait "$qpid" || true
  rm -f "$fifo"
  echo "$text"
}

# The up channel 0 of the RTT control block at address $3 in the RAM dump $1
# (which starts at address $2): 16-byte id, two counts, then name, buffer,
# size, write offset.
rtt_extract() {
  local off=$(($3 - $2)) buf wr
  [ -f "$1" ] || return 0
  buf=$(od -An -tu4 -j $((off + 28)) -N 4 "$1" | tr -d ' ')
  wr=$(od -An -tu4 -j $((off + 36)) -N 4 "$1" | tr -d ' ')
  if [ "${buf:-0}" -ge "$2" ] && [ "${wr:-0}" -gt 0 ]; then
    dd if="$1" bs=1 skip=$((buf - $2)) count="$wr" 2>/dev/null
  fi
}

# The firmware built with `rtt` prints through RTT and exits without a
# debugger; its HardFault handler too.
rtt_checks() {
  local board target out
  for board in mps2-an386 microbit; do
    target=$(board_field "$board" target)
    FLAMBEAU_BOARD=$board cargo build --quiet --release --target "$target" --features rtt --bin checkerboard --bin fault
    for bin in checkerboard fault; do
      cp "target/$target/release/$bin" "$LOGS/rtt-$bin-$board"
      out=$(rtt_text "$LOGS/rtt-$bin-$board" "$board")
      sed 's/^/  | /' <<<"$out"
      if [ "$bin" = checkerboard ] && grep -q "^result = PASS$" <<<"$out" && grep -q "^exit = 0$" <<<"$out"; then
        pass "checkerboard built with rtt on $board: passes, printed through RTT with no debugger"
      elif [ "$bin" = fault ] && grep -q "^HardFault at pc=" <<<"$out" && grep -q "^exit = 1$" <<<"$out"; then
        pass "HardFault built with rtt on $board: reported through RTT with no debugger"
      else
        fail "$bin built with rtt on $board: no verdict in the RTT buffer"
      fi
    done
  done
}

# Whether the probe $1 links for the Cortex-M0 with $2=$3; aborts on any error but a budget overflow.
links() {
  if env "$2=$3" FLAMBEAU_BOARD=microbit cargo build --quiet --release --target thumbv6m-none-eabi --features usps \
    --bin "$1" 2>"$LOGS/probe-build.log"; then
    return 0
  fi
  grep -qE "will not fit in region|overflowed by|leaves less than" "$LOGS/probe-build.log" || { cat "$LOGS/probe-build.log" >&2; exit 1; }
  return 1
}

# Largest hidden width whose training state links within the memory map next
# to the stack reserve (the linker enforces both). The last measured width
# $3 first: when it links and one more does not, two builds settle it;
# otherwise doubling, then bisection.
largest_linking() {
  local bin=$1 var=$2 hint=$3 lo=0 hi mid
  if links "$bin" "$var" "$hint"; then
    if ! links "$bin" "$var" $((hint + 1)); then
      echo "$hint"
      return 0
    fi
    lo=$((hint + 1)) hi=$((2 * hint + 2))
    while links "$bin" "$var" "$hi"; do lo=$hi hi=$((2 * hi)); done
  else
    hi=$hint
  fi
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if links "$bin" "$var" "$mid"; then lo=$mid; else hi=$mid; fi
  done
  echo "$lo"
}

# The widths last measured (the search confirms or corrects them).
PROBE_CB_LAST=33
PROBE_USPS_LAST=4

probe_m0() {
  PROBE_CB=$(largest_linking probe_checkerboard FLAMBEAU_FW_PROBE_CB_HIDDEN $PROBE_CB_LAST)
  PROBE_USPS=$(largest_linking probe_usps FLAMBEAU_FW_PROBE_USPS_HIDDEN $PROBE_USPS_LAST)
  echo "largest widths that link: 2-$PROBE_CB-1 (checkerboard, Adam, batch 16), 256-$PROBE_USPS-10 (USPS, SGD, batch 1)"
  FLAMBEAU_FW_PROBE_CB_HIDDEN=$PROBE_CB FLAMBEAU_FW_PROBE_USPS_HIDDEN=$PROBE_USPS FLAMBEAU_BOARD=microbit \
    cargo build --quiet --release --target thumbv6m-none-eabi --features usps --bin probe_checkerboard --bin probe_usps
  for bin in probe_checkerboard probe_usps; do cp "target/thumbv6m-none-eabi/release/$bin" "$ELFS/microbit/$bin"; done
  NOTES_probe_checkerboard="demo parameters accuracy"
  NOTES_probe_usps="demo parameters eval_accuracy"
  run_demo microbit probe_checkerboard
  run_demo microbit probe_usps
}

write_figures() {
  local board bin
  echo "| demo | board (chip) | flash (text+data, B) | static RAM (data+bss, B) | peak stack (B) | RAM total (B) | insns / training step | insns / inference | result |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  for bin in checkerboard usps_infer usps_train usps_int8 int8_linear template template_int8 template_cnn template_cnn_int8 cnn_int8 f32_linear probe_checkerboard probe_usps; do
    for board in "${BOARDS[@]}"; do
      if [ -f "$LOGS/rows/$board/$bin.row" ]; then cat "$LOGS/rows/$board/$bin.row"; fi
    done
  done
  echo
  printf '| demo |'; for board in "${BOARDS[@]}"; do printf ' %s (%s) |' "$(board_field "$board" chip)" "$board"; done; echo
  printf '|---|'; for _ in "${BOARDS[@]}"; do printf -- '---|'; done; echo
  for bin in checkerboard usps_infer usps_train usps_int8 int8_linear template template_int8 template_cnn template_cnn_int8 cnn_int8 f32_linear; do
    printf '| %s |' "$bin"
    for board in "${BOARDS[@]}"; do printf ' %s |' "$(cat "$LOGS/rows/$board/$bin.cell" 2>/dev/null || echo "not built")"; done
    echo
  done
  echo
  echo "Budgets (board files): $(for b in "${BOARDS[@]}"; do printf '%s %s B flash / %s B RAM (stack reserve %s B); ' \
    "$b" "$(mem_len "$b" FLASH)" "$(mem_len "$b" RAM)" "$(stack_reserve "$b")"; done)" \
    "Host USPS MLP test accuracy: $HOST_ACC; int8 ($INT8_HOST)." \
    "Host int8 USPS 1-D CNN: ${CNN_HOST:-not exported}." \
    "Int8 dot product: $(for b in "${BOARDS[@]}"; do printf '%s %s; ' "$b" "$(dot_path "$b")"; done)" \
    "Largest nets the Cortex-M0 trains: 2-$PROBE_CB-1 (checkerboard recipe) and 256-$PROBE_USPS-10 (USPS, SGD, batch 1)." \
    "Instructions: QEMU TCG plugin, per bench_*_start..stop region, averaged over its calls; qemu $QEMU_VERSION."
}
