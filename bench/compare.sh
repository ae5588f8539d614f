#!/usr/bin/env bash
# flambeau's speed comparison against NumPy, PyTorch (eager, SGD foreach and
# fused, torch.compile, TorchScript frozen, oneDNN off), ONNX Runtime, JAX,
# tract and, with --peers, the Rust libraries dfdx, candle and burn.
# Every (system, workload) cell runs as its own short process; systems are
# interleaved round by round (bench/driver.py); bench/compare.py prints the
# report with the targets' verdicts over every run kept in OUT/runs/.
# Not part of CI. See bench/README.md.
#
# Usage: bench/compare.sh [--peers] [--no-fma] [--quick] [--save] [--runs N] [--rounds N]
#                         [--budget SECONDS] [--min-time S] [--keep-runs]
#                         [--only "W ..."] [--setup-only] [--report-only] [--reinstall]
#   --peers          also the Rust peers (../shared/bench/rust-peers, built with flambeau's host flags)
#   --no-fma         leave out "flambeau-fma", the speed bench built with the core's opt-in
#                    `fma` feature (fused multiply-adds), whose verdicts are reported apart
#   --quick          smoke test: every workload, 1 round, 0.2 s per cell (not for quoting)
#   --save           also write the report to bench/latest.md
#   --runs N         run the whole comparison N times (default 1); verdicts use every kept run
#   --rounds N       rounds per run (default 3, at least 3 for a verdict)
#   --budget S       wall-time bound in seconds for the runs (default: none): no round
#                    starts that would end past it at the pace so far, no run starts
#                    when the last run would not fit in what is left
#   --min-time S     seconds of samples per cell (default 1)
#   --keep-runs      add to the runs kept in OUT/runs/ instead of starting afresh
#   --only "W ..."   only these workloads (names: bench/README.md)
#   --setup-only     create the virtual environment and build the executables, then stop
#   --report-only    no run: the report from the runs kept in OUT/runs/
#   --reinstall      delete and recreate the virtual environment
# Environment:
#   FLAMBEAU_DATA  data folder holding usps/ (default: ../shared/data beside the repo)
#   PYTHON         interpreter that creates the venv (default: python3)
#   VENV           virtual environment folder (default: bench/.venv, git-ignored)
#   PEERS_SRC      Rust peers' sources (default: ../shared/bench/rust-peers beside the repo)
#   PEERS_DIR      writable copy of them; its target/ is kept between runs
#                  (default: ${TMPDIR:-/tmp}/flambeau-rust-peers)
#   OUT            folder for runs, ONNX files, torch.compile's cache and the report (default: target/bench)
#   TORCHINDUCTOR_CACHE_DIR  torch.compile's cache (default: OUT/inductor-cache)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

FMA=1 PEERS=0 QUICK=0 SAVE=0 SETUP_ONLY=0 REINSTALL=0 KEEP=0 REPORT_ONLY=0
RUNS=1 ROUNDS=3 BUDGET="" MIN_TIME=1 ONLY=""
die() { echo "error: $*" >&2; exit 2; }
num() { [[ "$2" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$1 takes a number, got '$2'"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) PEERS=1 ;;
    --no-fma) FMA=0 ;;
    --quick) QUICK=1 ;;
    --save) SAVE=1 ;;
    --keep-runs) KEEP=1 ;;
    --setup-only) SETUP_ONLY=1 ;;
    --report-only) REPORT_ONLY=1 ;;
    --reinstall) REINSTALL=1 ;;
    --runs) [ $# -ge 2 ] || die "--runs needs a value"; [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--runs takes a whole number ≥ 1"; RUNS=$2; shift ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a value"; [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a whole number ≥ 1"; ROUNDS=$2; shift ;;
    --budget) [ $# -ge 2 ] || die "--budget needs a value"; num --budget "$2"; BUDGET=$2; shift ;;
    --min-time) [ $# -ge 2 ] || die "--min-time needs a value"; num --min-time "$2"; MIN_TIME=$2; shift ;;
    --only) [ $# -ge 2 ] || die "--only needs a list of workloads"; ONLY=$2; shift ;;
    -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then ROUNDS=1; MIN_TIME=0.2; fi

DATA=${FLAMBEAU_DATA:-$ROOT/../shared/data}
USPS="$DATA/usps"
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/bench/.venv}
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/bench/rust-peers}
PEERS_DIR=${PEERS_DIR:-${TMPDIR:-/tmp}/flambeau-rust-peers}
OUT=${OUT:-$ROOT/target/bench}
case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac
now() { date +%s; }
T_START=$(now)

# ------------------------------------------------------------ checks ----
for f in usps-train-images-idx3-ubyte.gz usps-train-labels-idx1-ubyte.gz \
         usps-t10k-images-idx3-ubyte.gz usps-t10k-labels-idx1-ubyte.gz; do
  [ -f "$USPS/$f" ] || die "missing $USPS/$f: put the USPS IDX files there or set FLAMBEAU_DATA to the folder holding usps/"
done
command -v "$PYTHON" >/dev/null || die "'$PYTHON' not found: set PYTHON to a Python 3 interpreter"
command -v cargo >/dev/null || die "cargo not found"
if [ "$PEERS" = 1 ]; then
  [ -f "$PEERS_SRC/Cargo.toml" ] || die "no Rust peers' sources at $PEERS_SRC (set PEERS_SRC, or drop --peers)"
fi
USPS=$(cd "$USPS" && pwd)
mkdir -p "$OUT/runs"
# torch.compile's caches (Inductor's FX graph cache, AOTAutograd's) in one
# kept folder: only the first torch.compile cell of a workload compiles
export TORCHINDUCTOR_CACHE_DIR=${TORCHINDUCTOR_CACHE_DIR:-$OUT/inductor-cache}

if [ "$REPORT_ONLY" = 1 ]; then
  shopt -s nullglob
  RUN_FILES=("$OUT"/runs/*.json)
  [ "${#RUN_FILES[@]}" -gt 0 ] || die "no runs kept in $OUT/runs/"
  python3 bench/compare.py "${RUN_FILES[@]}" > "$OUT/compare.md.tmp"
  mv "$OUT/compare.md.tmp" "$OUT/compare.md"
  cat "$OUT/compare.md"
  if [ "$SAVE" = 1 ]; then cp "$OUT/compare.md" bench/latest.md.tmp && mv bench/latest.md.tmp bench/latest.md; fi
  exit 0
fi

# -------------------------------------------------------------- venv ----
IMPORTS='import torch, numpy, onnx, onnxscript, onnxruntime, jax, threadpoolctl'
if [ "$REINSTALL" = 1 ]; then rm -rf "$VENV"; fi
if ! "$VENV/bin/python" -c "$IMPORTS" >/dev/null 2>&1; then
  echo "== creating $VENV from PyPI (torch pulls several GB; a few minutes)" >&2
  t0=$(now)
  "$PYTHON" -m venv "$VENV" || die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet torch numpy onnx onnxscript onnxruntime "jax[cpu]" threadpoolctl
  echo "$(( $(now) - t0 ))" > "$VENV/.install-seconds"
  du -sh "$VENV" | cut -f1 > "$VENV/.install-size"
  echo "== venv ready in $(cat "$VENV/.install-seconds") s, $(cat "$VENV/.install-size")" >&2
fi
PY="$VENV/bin/python"
"$PY" -c "$IMPORTS" || die "the packages do not all import from $VENV (try --reinstall)"

# ------------------------------------------------------------ builds ----
# The speed bench's executable, built with the extra cargo arguments "$@" (none: the default build).
speed_exe() {
  local exe
  exe=$(cargo bench -p flambeau-harness --bench speed --no-run --message-format=json "$@" 2>/dev/null |
    "$PY" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "speed" and m.get("executable"):
        print(m["executable"])') || true
  [ -n "$exe" ] && [ -x "$exe" ] ||
    die "could not build the speed bench: run 'cargo bench -p flambeau-harness --bench speed --no-run $*' to see why"
  echo "$exe"
}
echo "== building flambeau's speed bench (cargo bench --no-run)" >&2
FLAMBEAU_EXE=$(speed_exe)
FMA_ARGS=()
if [ "$FMA" = 1 ]; then
  echo "== building the speed bench with the opt-in fused order (--features fma)" >&2
  FMA_EXE=$(speed_exe --features fma)
  FMA_ARGS=(--flambeau-fma "$FMA_EXE")
fi

echo "== building the tract peer (bench/tract-peer, its own workspace)" >&2
TRACT_ARGS=()
if (cd bench/tract-peer && cargo build --release --locked --quiet) >&2; then
  TRACT_ARGS=(--tract "$ROOT/bench/tract-peer/target/release/flambeau-tract-peer")
else
  echo "warning: the tract peer did not build; its cells are skipped" >&2
fi

PEER_ARGS=()
if [ "$PEERS" = 1 ]; then
  echo "== building the Rust peers with -C target-cpu=native -C target-feature=-prefer-256-bit in $PEERS_DIR (the first build takes long)" >&2
  mkdir -p "$PEERS_DIR"
  # fresh copy of the sources; keep target/ (the build) from earlier runs
  find "$PEERS_DIR" -mindepth 1 -maxdepth 1 ! -name target -exec rm -rf {} +
  cp -R "$PEERS_SRC/." "$PEERS_DIR/"
  chmod -R u+w "$PEERS_DIR"
  (cd "$PEERS_DIR" && env -u CARGO_TARGET_DIR -u CARGO_BUILD_RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS \
     RUSTFLAGS="-C target-cpu=native -C target-feature=-prefer-256-bit" CARGO_TARGET_DIR="$PEERS_DIR/target/native" \
     cargo build --release --workspace --bins --quiet) >&2 || die "the Rust peers did not build (see above)"
  PEER_ARGS=(--peers "$PEERS_DIR/target/native/release")
fi
[ "$SETUP_ONLY" = 1 ] && exit 0

# -------------------------------------------------------------- runs ----
[ "$KEEP" = 1 ] || rm -f "$OUT"/runs/*.json
QUICK_ARG=()
[ "$QUICK" = 1 ] && QUICK_ARG=(--quick)
# shellcheck disable=SC2206  # a list of workload names, split on spaces
[ -n "$ONLY" ] && QUICK_ARG+=(--only $ONLY)
T_RUNS=$(now)
LAST_RUN=0
for i in $(seq 1 "$RUNS"); do
  BUDGET_ARG=()
  if [ -n "$BUDGET" ]; then
    # the time left goes to this run; a run is not started when the last one
    # would not fit in it (a run that starts finishes the round it is in)
    left=$(awk -v b="$BUDGET" -v s="$(( $(now) - T_RUNS ))" 'BEGIN { printf "%.0f", b - s }')
    if [ "$left" -le 0 ] || [ "$left" -lt "$LAST_RUN" ]; then
      echo "== budget: ${left} s left, the last run took ${LAST_RUN} s: run $i not started" >&2
      break
    fi
    BUDGET_ARG=(--budget "$left")
  fi
  echo "== run $i of $RUNS" >&2
  t0=$(now)
  "$PY" bench/driver.py --out "$OUT/runs/$(date -u +%Y%m%dT%H%M%SZ).json" --data "$USPS" --python "$PY" \
    --flambeau "$FLAMBEAU_EXE" --onnx "$OUT/onnx" --rounds "$ROUNDS" --min-time "$MIN_TIME" \
    ${FMA_ARGS[@]+"${FMA_ARGS[@]}"} ${TRACT_ARGS[@]+"${TRACT_ARGS[@]}"} ${PEER_ARGS[@]+"${PEER_ARGS[@]}"} ${QUICK_ARG[@]+"${QUICK_ARG[@]}"} \
    ${BUDGET_ARG[@]+"${BUDGET_ARG[@]}"}
  LAST_RUN=$(( $(now) - t0 ))
done
T_END=$(now)

# ------------------------------------------------------------ report ----
shopt -s nullglob
RUN_FILES=("$OUT"/runs/*.json)
[ "${#RUN_FILES[@]}" -gt 0 ] || die "no run finished"
{
  echo "# flambeau — speed against its peers"
  echo
  echo "- command: \`bench/compare.sh$([ "$PEERS" = 1 ] && echo " --peers")$([ "$FMA" = 0 ] && echo " --no-fma")$([ "$QUICK" = 1 ] && echo " --quick") --runs $RUNS --rounds $ROUNDS$([ -n "$BUDGET" ] && echo " --budget $BUDGET")$([ "$MIN_TIME" != 1 ] && echo " --min-time $MIN_TIME")$([ -n "$ONLY" ] && echo " --only \"$ONLY\"")\`;" \
       "runs $(( T_END - T_RUNS )) s, whole script $(( T_END - T_START )) s (builds included)"
  echo "- $(rustc --version); $("$PY" -c 'import sys, torch, numpy, onnxruntime, jax; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}, onnxruntime {onnxruntime.__version__}, jax {jax.__version__}")')"
  [ -f "$VENV/.install-seconds" ] && echo "- virtual environment, when it was created: $(cat "$VENV/.install-seconds") s, $(cat "$VENV/.install-size")"
  echo
  python3 bench/compare.py "${RUN_FILES[@]}"
} > "$OUT/compare.md.tmp"
mv "$OUT/compare.md.tmp" "$OUT/compare.md"
cat "$OUT/compare.md"
if [ "$SAVE" = 1 ]; then
  cp "$OUT/compare.md" bench/latest.md.tmp && mv bench/latest.md.tmp bench/latest.md
  echo "== wrote bench/latest.md" >&2
fi
