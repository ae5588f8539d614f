#!/usr/bin/env bash
# Runs flambeau's speed benchmark, then PyTorch + NumPy on the same workloads
# (bench/pytorch_bench.py, in a local virtual environment), optionally the Rust
# peers (dfdx, candle, burn), and prints one Markdown table with the ratios.
# Not part of CI: the PyPI torch wheel pulls its CUDA packages (~5 GB venv).
# See bench/README.md.
#
# Usage: bench/compare.sh [--peers] [--quick] [--save] [--setup-only] [--reinstall]
#   --peers       also build + run ../shared/bench/rust-peers (copied to PEERS_DIR)
#   --quick       1 timed epoch / 1 inference rep everywhere (smoke test, not for quoting)
#   --save        also write the printed report to bench/latest.md
#   --setup-only  create the virtual environment and stop
#   --reinstall   delete and recreate the virtual environment
# Environment:
#   FLAMBEAU_DATA  data folder holding usps/ (default: ../shared/data beside the repo)
#   PYTHON         interpreter that creates the venv (default: python3)
#   VENV           virtual environment folder (default: bench/.venv, git-ignored)
#   PEERS_SRC      Rust peers' benchmark (default: ../shared/bench/rust-peers beside the repo)
#   PEERS_DIR      writable copy of it; its target/ is kept between runs
#                  (default: ${TMPDIR:-/tmp}/flambeau-rust-peers)
#   OUT            folder for the JSON files and the report (default: target/bench)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PEERS=0
QUICK=0
SAVE=0
SETUP_ONLY=0
REINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) PEERS=1 ;;
    --quick) QUICK=1 ;;
    --save) SAVE=1 ;;
    --setup-only) SETUP_ONLY=1 ;;
    --reinstall) REINSTALL=1 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

DATA=${FLAMBEAU_DATA:-$ROOT/../shared/data}
USPS="$DATA/usps"
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/bench/.venv}
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/bench/rust-peers}
PEERS_DIR=${PEERS_DIR:-${TMPDIR:-/tmp}/flambeau-rust-peers}
OUT=${OUT:-$ROOT/target/bench}
case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac

die() { echo "error: $*" >&2; exit 2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

# ------------------------------------------------------------ checks ----
for f in usps-train-images-idx3-ubyte.gz usps-train-labels-idx1-ubyte.gz \
         usps-t10k-images-idx3-ubyte.gz usps-t10k-labels-idx1-ubyte.gz; do
  [ -f "$USPS/$f" ] || die "missing $USPS/$f: put the USPS IDX files there or set FLAMBEAU_DATA to the folder holding usps/"
done
command -v "$PYTHON" >/dev/null || die "'$PYTHON' not found: set PYTHON to a Python 3 interpreter"
command -v cargo >/dev/null || die "cargo not found"
if [ "$PEERS" = 1 ]; then
  [ -x "$PEERS_SRC/run.sh" ] || die "no Rust peers' benchmark at $PEERS_SRC (set PEERS_SRC, or drop --peers)"
fi
USPS=$(cd "$USPS" && pwd)
mkdir -p "$OUT"

# -------------------------------------------------------------- venv ----
T_START=$(now)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$REINSTALL" = 1 ]; then rm -rf "$VENV"; fi
if ! "$VENV/bin/python" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "== creating $VENV and installing torch + numpy from PyPI (several GB, a few minutes)" >&2
  t0=$(now)
  "$PYTHON" -m venv "$VENV" || die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet torch numpy
  t1=$(now)
  secs "$t0" "$t1" > "$VENV/.install-seconds"
  du -sh "$VENV" | cut -f1 > "$VENV/.install-size"
  echo "== venv ready in $(cat "$VENV/.install-seconds") s, $(cat "$VENV/.install-size")" >&2
fi
PY="$VENV/bin/python"
"$PY" -c 'import torch, numpy' || die "torch/numpy do not import from $VENV (try --reinstall)"
[ "$SETUP_ONLY" = 1 ] && exit 0

QUICK_ARG=()
[ "$QUICK" = 1 ] && QUICK_ARG=(--quick)

# --------------------------------------------------------- benchmarks ----
rm -f "$OUT/flambeau.json" "$OUT/pytorch.json" "$OUT/peers.json"
echo "== flambeau: cargo bench -p flambeau-harness --bench speed" >&2
t0=$(now)
FLAMBEAU_DATA="$DATA" cargo bench -p flambeau-harness --bench speed -- ${QUICK_ARG[@]+"${QUICK_ARG[@]}"} \
  --json "$OUT/flambeau.json" >&2
T_FLAMBEAU=$(secs "$t0" "$(now)")

echo "== PyTorch + NumPy: bench/pytorch_bench.py" >&2
t0=$(now)
"$PY" bench/pytorch_bench.py --data "$USPS" ${QUICK_ARG[@]+"${QUICK_ARG[@]}"} --json "$OUT/pytorch.json" >&2
T_PYTORCH=$(secs "$t0" "$(now)")

T_PEERS=""
if [ "$PEERS" = 1 ]; then
  echo "== Rust peers: $PEERS_SRC -> $PEERS_DIR (run.sh --no-native --threads 1 --rounds 1)" >&2
  t0=$(now)
  mkdir -p "$PEERS_DIR"
  # fresh copy of the sources; keep target/ (the build) from earlier runs
  find "$PEERS_DIR" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
  cp -R "$PEERS_SRC/." "$PEERS_DIR/"
  chmod -R u+w "$PEERS_DIR"
  rm -f "$PEERS_DIR/results.json" "$PEERS_DIR/results.md"
  PEERS_ARGS=(--no-native --threads 1 --rounds 1)
  [ "$QUICK" = 1 ] && PEERS_ARGS+=(--epochs 1)
  USPS_DIR="$USPS" "$PEERS_DIR/run.sh" "${PEERS_ARGS[@]}" >&2
  cp "$PEERS_DIR/results.json" "$OUT/peers.json"
  T_PEERS=$(secs "$t0" "$(now)")
fi
T_TOTAL=$(secs "$T_START" "$(now)")

# ------------------------------------------------------------- report ----
{
  echo "# flambeau vs PyTorch / NumPy$([ "$PEERS" = 1 ] && echo " / Rust peers") — speed"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), nproc $(nproc)," \
       "flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f)$' | tr '\n' ' ' | sed 's/ $//')"
  echo "- load average (1, 5, 15 min) at the start: ${LOAD_START}; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- $(rustc --version); $("$PY" -c 'import sys, torch, numpy; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}")')"
  echo "- wall time: flambeau ${T_FLAMBEAU} s, PyTorch + NumPy ${T_PYTORCH} s$([ -n "$T_PEERS" ] && echo ", Rust peers ${T_PEERS} s"), whole script ${T_TOTAL} s" \
       "$([ -f "$VENV/.install-seconds" ] && echo "(venv install, when it was created: $(cat "$VENV/.install-seconds") s, $(cat "$VENV/.install-size"))")"
  [ "$QUICK" = 1 ] && echo "- **--quick run: 1 timed epoch / 1 rep, not for quoting**"
  echo
  PEERS_JSON=()
  [ -f "$OUT/peers.json" ] && PEERS_JSON=(--peers "$OUT/peers.json")
  "$PY" bench/compare.py --flambeau "$OUT/flambeau.json" --pytorch "$OUT/pytorch.json" \
    ${PEERS_JSON[@]+"${PEERS_JSON[@]}"}
} > "$OUT/compare.md"
cat "$OUT/compare.md"
if [ "$SAVE" = 1 ]; then
  cp "$OUT/compare.md" bench/latest.md
  echo "== wrote bench/latest.md" >&2
fi
