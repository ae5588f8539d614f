#!/usr/bin/env bash
# Cargo's runner for flambeau firmware: runs an ELF on the board it was built
# for. The board's name is in the ELF (the banner "flambeau firmware for
# board NAME (CHIP)"); its file boards/NAME.x says how to run it:
#   qemu: ARGS       under qemu-system-arm ARGS, output and exit through semihosting
#   probe-rs: CHIP   flashed and run by `probe-rs run --chip CHIP` (RTT output)
# Usage: run.sh ELF [ARGS...]   (cargo run passes the ELF)
set -euo pipefail
elf=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
board=$(grep -a -o -m 1 'flambeau firmware for board [A-Za-z0-9_.-]*' "$elf" | head -n 1 | sed 's/.* board //')
if [ -z "$board" ]; then
  echo "run.sh: $elf names no board (is it built with flambeau-board?)" >&2
  exit 64
fi
file=${FLAMBEAU_BOARDS_DIR:-$here/boards}/$board.x
[ -f "$file" ] || { echo "run.sh: $elf was built for board $board, but $file is missing" >&2; exit 64; }
qemu=$(sed -n 's/^ *qemu: *//p' "$file" | head -n 1)
probe=$(sed -n 's/^ *probe-rs: *//p' "$file" | head -n 1)
if [ -n "$qemu" ]; then
  # shellcheck disable=SC2086 # the board's QEMU arguments are words
  exec qemu-system-arm $qemu -nographic -semihosting-config enable=on,target=native -kernel "$elf" "$@"
elif [ -n "$probe" ]; then
  exec probe-rs run --chip "$probe" "$elf" "$@"
fi
echo "run.sh: $file has neither a \`qemu:\` nor a \`probe-rs:\` line" >&2
exit 64
