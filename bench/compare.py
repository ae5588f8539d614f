#!/usr/bin/env python3
"""Merges the JSON files of flambeau's speed benchmark, bench/pytorch_bench.py
and (optionally) the Rust peers' results.json into one Markdown table.

Usage: python bench/compare.py --flambeau FILE --pytorch FILE [--peers FILE]

Ratio columns: how many times faster flambeau is than the reference on that
row (reference time / flambeau time; for GFLOP/s rows flambeau GFLOP/s /
reference GFLOP/s), so > 1 means flambeau is faster. Standard library only.
"""

import argparse
import json
import os
import sys

PEER_LIBS = ["dfdx", "candle", "burn-ndarray", "burn-flex"]
MLP_TRAIN = "MLP 256-128-64-10 train b{}"
MLP_INFER = "MLP infer b{}"


def load(path, what):
    if not os.path.exists(path):
        sys.exit(f"error: {what} results {path} not found")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"error: cannot read {what} results {path}: {e}")


def fmt(v):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def speedup(unit, ours, ref):
    if ours is None or ref is None or ours <= 0 or ref <= 0:
        return None
    return ours / ref if unit == "GFLOP/s" else ref / ours


def peer_values(results):
    """{library: {row name: value}} from the peers' results.json (default build, 1 thread)."""
    out = {}
    for r in results.get("train", []):
        if r.get("variant") == "default" and r.get("threads") == 1:
            out.setdefault(r["library"], {})[MLP_TRAIN.format(r["batch"])] = r["median_epoch_s"]
    for r in results.get("infer", []):
        if r.get("variant") == "default" and r.get("threads") == 1:
            out.setdefault(r["library"], {})[MLP_INFER.format(r["batch"])] = r["median_us_per_sample"]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flambeau", required=True)
    ap.add_argument("--pytorch", required=True)
    ap.add_argument("--peers", default=None)
    a = ap.parse_args()

    ours = {r["name"]: r for r in load(a.flambeau, "flambeau")}
    order = list(ours)
    ref = {"pytorch": {}, "numpy": {}}
    units = {n: r["unit"] for n, r in ours.items()}
    for r in load(a.pytorch, "PyTorch/NumPy"):
        ref.setdefault(r["impl"], {})[r["name"]] = r["value"]
        if r["name"] not in units:
            units[r["name"]] = r["unit"]
            order.append(r["name"])
        elif units[r["name"]] != r["unit"]:
            sys.exit(f"error: unit mismatch for '{r['name']}': {units[r['name']]} vs {r['unit']}")
    peers = peer_values(load(a.peers, "Rust peers")) if a.peers else {}
    libs = [lib for lib in PEER_LIBS if lib in peers]

    head = ["workload", "unit", "flambeau", "PyTorch", "NumPy"] + libs + ["speed-up vs PyTorch", "speed-up vs NumPy"]
    print("| " + " | ".join(head) + " |")
    print("| --- | --- | " + " | ".join(["---:"] * (len(head) - 2)) + " |")
    for name in order:
        unit = units[name]
        f = ours.get(name, {}).get("value")
        pt, npy = ref["pytorch"].get(name), ref["numpy"].get(name)
        cells = [name, unit, fmt(f), fmt(pt), fmt(npy)] + [fmt(peers[lib].get(name)) for lib in libs]
        for r in (pt, npy):
            s = speedup(unit, f, r)
            cells.append("–" if s is None else f"{s:.2f}×")
        print("| " + " | ".join(cells) + " |")

    print()
    print("Units: s/epoch = seconds per training epoch over the 7291 USPS training images (median of 5 after "
          "1 warm-up, shuffle and batch gathering included); µs/sample = inference, forward only; GFLOP/s = "
          "higher is better. Speed-up = reference time / flambeau time (GFLOP/s rows: flambeau / reference): "
          "> 1 means flambeau is faster. FP32, one thread except the \"2 threads\" rows (flambeau: data-parallel "
          "over two half batches; PyTorch: torch.set_num_threads(2), same batch).")
    sg = ref["numpy"].get("SGEMM 256x256x256")
    fw = ours.get("dense 256x256, batch 256, forward", {}).get("value")
    bw = ours.get("dense 256x256, batch 256, backward", {}).get("value")
    if sg and fw and bw:
        print()
        print(f"flambeau's dense kernel vs OpenBLAS (NumPy) SGEMM at n=256: forward {100 * fw / sg:.0f} %, "
              f"backward {100 * bw / sg:.0f} % of {fmt(sg)} GFLOP/s.")
    if libs:
        print()
        print("Rust peers (default release build, 1 thread): MLP rows only; their harness times the shuffle "
              "outside the epoch and copies the logits to a host Vec at inference.")


if __name__ == "__main__":
    main()
