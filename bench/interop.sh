#!/usr/bin/env bash
# Round trip of trained models between flambeau and PyTorch (bench/interop.py):
# flambeau trains each kind of model briefly, PyTorch loads every file with
# load_state_dict(strict=True) and compares outputs on the USPS test set; then
# PyTorch trains the MLP and LeNet, saves F32/F16/BF16 copies with an int64
# buffer, and `flambeau evaluate` runs them. Prints one Markdown table.
# Not part of CI (it needs torch). See bench/README.md.
#
# Usage: bench/interop.sh [--epochs N]
# Environment:
#   FLAMBEAU_DATA  data folder holding usps/ (default: ../shared/data beside the repo)
#   PYTHON         interpreter that creates the venv (default: python3)
#   VENV           virtual environment with torch, numpy, safetensors
#                  (default: bench/.venv, created when missing)
#   FLAMBEAU       the flambeau binary (default: built with cargo build --release)
#   OUT            working folder (default: target/interop)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DATA=${FLAMBEAU_DATA:-$ROOT/../shared/data}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/bench/.venv}
OUT=${OUT:-$ROOT/target/interop}

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV (torch, numpy, safetensors)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet torch numpy safetensors
fi
if [ -z "${FLAMBEAU:-}" ]; then
  cargo build --release -p flambeau-harness
  FLAMBEAU=$ROOT/target/release/flambeau
fi
rm -rf "$OUT"
mkdir -p "$OUT"
exec "$VENV/bin/python" "$ROOT/bench/interop.py" --flambeau "$FLAMBEAU" --data "$DATA" --work "$OUT" "$@"
