#!/usr/bin/env python3
"""Turns the JSON files of one or more runs of bench/driver.py into the
Markdown report: one table per run (medians over rounds, min, spread,
median of per-round ratios, rejected samples, CPU/wall, peak memory) and
the targets' verdicts taken over all the runs given.

Usage: python3 bench/compare.py [--quiet-wait F] RUN.json [RUN.json ...]

Standard library only. bench/README.md explains every column.
"""

import argparse
import json
import os
import re
import statistics
import sys

import ceiling

N_TRAIN = 7291
UNITS = {"train": "s/epoch", "infer": "µs/sample", "fwd": "GFLOP/s", "bwd": "GFLOP/s", "256": "GFLOP/s"}
TORCH = ("torch", "torch-foreach", "torch-fused", "torch-compile")
NUMPY_TORCH = ("numpy",) + TORCH
INFER_PEERS = ("torch-script", "onnxruntime", "tract")
SYSTEM_ORDER = ("flambeau", "flambeau-fma", "numpy", "torch", "torch-foreach", "torch-fused", "torch-compile", "torch-script",
                "torch-nomkldnn", "onnxruntime", "tract", "jax", "dfdx", "candle", "burn-ndarray", "burn-flex")
SYSTEM_NAMES = {
    "flambeau": "flambeau", "flambeau-fma": "flambeau, opt-in fma", "numpy": "NumPy", "torch": "PyTorch eager", "torch-foreach": "PyTorch SGD foreach",
    "torch-fused": "PyTorch SGD fused", "torch-compile": "PyTorch torch.compile",
    "torch-script": "TorchScript frozen", "torch-nomkldnn": "PyTorch, oneDNN off", "onnxruntime": "ONNX Runtime",
    "tract": "tract", "jax": "JAX jit", "dfdx": "dfdx", "candle": "candle", "burn-ndarray": "burn ndarray",
    "burn-flex": "burn flex",
}


def unit(workload):
    return UNITS[workload.split("-")[1]]


def higher_better(workload):
    return unit(workload) == "GFLOP/s"


def to_unit(workload, t, work):
    u = unit(workload)
    if u == "s/epoch":
        return t * N_TRAIN / work
    if u == "µs/sample":
        return t * 1e6 / work
    return work / t / 1e9


def cell_value(cell, quiet_wait):
    """(value, samples, rejected, noisy) of one cell: the median over its quiet
    samples (run-queue wait at most `quiet_wait` of the sample's wall time),
    or over all of them, flagged noisy, when fewer than 3 are quiet."""
    s = cell["samples"]
    if not s:
        return None
    has_wait = all(w is not None for _, w in s)
    if has_wait:
        quiet = [(t, w) for t, w in s if w <= quiet_wait * t * cell.get("threads", 1)]
    else:
        # whole-process figure only (the Rust peers' binaries)
        frac = cell.get("proc_wait_s", 0) / max(cell.get("proc_wall_s", 1), 1e-9)
        quiet = s if frac <= quiet_wait else []
    noisy = len(quiet) < 3
    use = s if noisy else quiet
    vals = [to_unit(cell["workload"], t, cell["work"]) for t, _ in use]
    return statistics.median(vals), len(s), len(s) - len(quiet), noisy


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


class Run:
    def __init__(self, path, quiet_wait):
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"error: cannot read {path}: {e}")
        if "meta" not in d or "cells" not in d:
            sys.exit(f"error: {path} is not a bench/driver.py output")
        self.path, self.meta, self.quiet_wait = path, d["meta"], quiet_wait
        self.errors = [c for c in d["cells"] if "error" in c]
        # (system, workload) -> {round: (value, n, rejected, noisy, cell)}
        self.v = {}
        for c in d["cells"]:
            if "error" in c:
                continue
            r = cell_value(c, quiet_wait)
            if r:
                self.v.setdefault((c["system"], c["workload"]), {})[c["round"]] = r + (c,)
        self.rounds = sorted({r for per in self.v.values() for r in per})

    def value(self, system, workload, rnd):
        r = self.v.get((system, workload), {}).get(rnd)
        return r[0] if r else None

    def best(self, systems, workload, rnd):
        vals = [self.value(s, workload, rnd) for s in systems]
        vals = [v for v in vals if v is not None]
        if not vals:
            return None
        return max(vals) if higher_better(workload) else min(vals)

    def ratio(self, workload, ref_systems, rnd, ours="flambeau", ours_workload=None):
        """How many times faster `ours` is than the best of `ref_systems` in one round."""
        f = self.value(ours, ours_workload or workload, rnd)
        ref = self.best(ref_systems, workload, rnd)
        if f is None or ref is None or f <= 0 or ref <= 0:
            return None
        return f / ref if higher_better(workload) else ref / f

    def ratios(self, *a, **k):
        return [x for x in (self.ratio(*a, rnd=r, **k) for r in self.rounds) if x is not None]

    def memory(self, system, workload):
        """Median over rounds of (peak - post-import baseline) in MB, and flambeau's arena bytes."""
        out, arena = [], None
        base = self.meta.get("peer_base_kb", {}).get(system)
        for rec in self.v.get((system, workload), {}).values():
            c = rec[4]
            if c.get("rss_peak_kb") is not None and c.get("rss_base_kb") is not None:
                out.append((c["rss_peak_kb"] - c["rss_base_kb"]) / 1024)
            elif base is not None and c.get("proc_maxrss_kb"):
                out.append((c["proc_maxrss_kb"] - base) / 1024)
            arena = c.get("arena_bytes", arena)
        return (statistics.median(out) if out else None), arena


def table(run):
    lines = []
    ws = []
    for (s, w) in run.v:
        if w not in ws:
            ws.append(w)
    order = ["mlp-train-b1", "mlp-train-b32", "mlp-train-b256", "mlp-train-b7291", "mlp-train-b256-t2",
             "mlp-train-b7291-t2", "mlp-infer-b1", "mlp-infer-b256", "cnn1d-train-b32", "conv2d-train-b32",
             "dense-fwd", "dense-bwd", "sgemm-256", ceiling.WORKLOAD]
    ws.sort(key=lambda w: order.index(w) if w in order else len(order))
    lines.append("| workload | system | unit | median | best | spread | × flambeau | rejected | CPU/wall "
                 "| peak MB | flambeau arena |")
    lines.append("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for w in ws:
        systems = sorted({s for (s, ww) in run.v if ww == w},
                         key=lambda s: SYSTEM_ORDER.index(s) if s in SYSTEM_ORDER else 99)
        for s in systems:
            per = run.v[(s, w)]
            vals = [rec[0] for rec in per.values()]
            med = statistics.median(vals)
            best = max(vals) if higher_better(w) else min(vals)
            spread = (max(vals) - min(vals)) / med * 100 if med else 0
            n = sum(rec[1] for rec in per.values())
            rej = sum(rec[2] for rec in per.values())
            noisy = sum(1 for rec in per.values() if rec[3])
            cw = [rec[4]["cpu_s"] / rec[4]["wall_s"] for rec in per.values()
                  if rec[4].get("cpu_s") and rec[4].get("wall_s")]
            cpu_wall = f"{statistics.median(cw):.2f}" if cw else "–"
            t = int(w.endswith("-t2")) + 1
            if cw and ((t == 1 and statistics.median(cw) > 1.3) or (t == 2 and statistics.median(cw) < 1.5)):
                cpu_wall += " ⚠"
            if s == "flambeau" or w == "sgemm-256":
                rat = "–"
            else:
                rr = run.ratios(w, (s,))
                rat = f"{statistics.median(rr):.2f}×" if rr else "–"
            mem, arena = run.memory(s, w)
            rej_s = f"{rej}/{n}" + (f" ({noisy} noisy)" if noisy else "")
            lines.append(f"| {w} | {SYSTEM_NAMES.get(s, s)} | {unit(w)} | {fmt(med)} | {fmt(best)} | {spread:.0f} % "
                         f"| {rat} | {rej_s} | {cpu_wall} | {fmt(mem)} | "
                         f"{'–' if arena is None else f'{arena / 1024:.0f} KiB'} |")
    return lines


def targets(ours="flambeau"):
    """(label, function(run) -> list of per-round figures, threshold, unit of the figure) for the
    system `ours`: flambeau's default build, or "flambeau-fma" (the opt-in fused order)."""
    t = []
    for b, x in ((256, 1.2), (7291, 1.2), (32, 3.0), (1, 10.0)):
        t.append((f"MLP training b{b}: ≥ {x}× the best of NumPy and PyTorch (any configuration)",
                  lambda run, b=b: run.ratios(f"mlp-train-b{b}", NUMPY_TORCH, ours=ours), x))
    t.append(("MLP inference b1: ≥ 3× TorchScript frozen",
              lambda run: run.ratios("mlp-infer-b1", ("torch-script",), ours=ours), 3.0))
    t.append(("MLP inference b1: ≥ 2× ONNX Runtime",
              lambda run: run.ratios("mlp-infer-b1", ("onnxruntime",), ours=ours), 2.0))
    t.append(("MLP inference b1: ≥ 2× tract", lambda run: run.ratios("mlp-infer-b1", ("tract",), ours=ours), 2.0))
    t.append(("MLP inference b256: ≥ 1.3× the best of TorchScript frozen, ONNX Runtime, tract",
              lambda run: run.ratios("mlp-infer-b256", INFER_PEERS, ours=ours), 1.3))

    def mem(run):
        out = []
        for r in run.rounds:
            f = run.v.get((ours, "mlp-train-b256"), {}).get(r)
            p = run.v.get(("torch", "mlp-train-b256"), {}).get(r)
            if f and p and None not in (f[4].get("rss_peak_kb"), p[4].get("rss_peak_kb")):
                fm = f[4]["rss_peak_kb"] - f[4]["rss_base_kb"]
                pm = p[4]["rss_peak_kb"] - p[4]["rss_base_kb"]
                out.append(pm / max(fm, 1))
        return out
    t.append(("peak memory, MLP training b256: ≤ 1/5 of PyTorch's (PyTorch ÷ flambeau ≥ 5)", mem, 5.0))
    for w in ("dense-fwd", "dense-bwd"):
        t.append((f"{w.replace('dense-', 'dense 256x256 b256 ').replace('fwd', 'forward').replace('bwd', 'backward')}:"
                  " ≥ 80 % of the best single-thread SGEMM 256 (NumPy/OpenBLAS, PyTorch)",
                  lambda run, w=w: [x for x in (
                      (run.value(ours, w, r) or 0) / (run.best(("numpy", "torch"), "sgemm-256", r) or 1e99)
                      for r in run.rounds) if x > 0], 0.8))
    for b in (256, 7291):
        t.append((f"flambeau 2 threads vs 1 thread, MLP training b{b}: ≥ 1.8×",
                  lambda run, b=b: run.ratios(f"mlp-train-b{b}", (ours,), ours=ours,
                                              ours_workload=f"mlp-train-b{b}-t2"),
                  1.8))
    if ours == "flambeau":
        t.append((ceiling.LABEL, ceiling.figures, None))
    t.append(("Conv2d LeNet training b32: ≥ 2× PyTorch (best of eager, fused SGD, oneDNN off)",
              lambda run: run.ratios("conv2d-train-b32", ("torch", "torch-fused", "torch-nomkldnn"), ours=ours),
              2.0))
    return [(label, f, x, involved(label)) for label, f, x in t]


def involved(label):
    """The workloads a target's figures come from (noise is counted over every system's cells of them)."""
    if label.startswith("MLP training b"):
        return [f"mlp-train-b{label.split('b')[1].split(':')[0]}"]
    if label.startswith("MLP inference b"):
        return [f"mlp-infer-b{label.split('b')[1].split(':')[0]}"]
    if label.startswith("peak memory"):
        return []  # memory does not depend on waiting for a CPU
    if label.startswith("dense"):
        return ["dense-fwd" if "forward" in label else "dense-bwd", "sgemm-256"]
    if label == ceiling.LABEL:
        return [ceiling.WORKLOAD]
    if label.startswith("flambeau 2 threads"):
        b = label.split("training b")[1].split(":")[0]
        return [f"mlp-train-b{b}", f"mlp-train-b{b}-t2"]
    return ["conv2d-train-b32"]


def noisy_share(run, workloads):
    """(noisy cells, cells) of a run among `workloads`."""
    recs = [rec for (s, w), per in run.v.items() if w in workloads for rec in per.values()]
    return sum(1 for rec in recs if rec[3]), len(recs)


def judge(figures, x, min_runs, n_noisy=0, n_cells=0):
    """(per-run texts, verdict) of a target of threshold `x` (None: context,
    no verdict) from each run's per-round figures: met when each run's median
    clears `x`, not met when none does, mixed otherwise; too few runs when
    fewer than `min_runs` runs or a run with fewer than 3 rounds."""
    per_run, ok = [], []
    enough = len(figures) >= min_runs
    for v in figures:
        if not v:
            per_run.append("–")
            enough = False
            continue
        m = statistics.median(v)
        ok.append(x is not None and m >= x)
        per_run.append(f"{m:.2f} [{min(v):.2f}–{max(v):.2f}]")
        enough = enough and len(v) >= 3
    if not ok:
        verdict = "not measured"
    elif x is None:
        verdict = "context (no target)"
    elif all(ok):
        verdict = "met" if enough else "met (too few runs)"
    elif not any(ok):
        verdict = "not met" if enough else "not met (too few runs)"
    else:
        verdict = f"mixed: met in {sum(ok)} of {len(ok)} runs"
    if ok and 2 * n_noisy > n_cells:
        verdict += ", from mostly noisy cells"
    return per_run, verdict


def verdicts(out, runs, ours, min_runs):
    """Appends the verdict table of system `ours` to the lines `out`."""
    out.append("| target | per run: median [min–max over rounds] | noisy cells | verdict |")
    out.append("| --- | --- | --- | --- |")
    for label, f, x, ws in targets(ours):
        noisy = [noisy_share(run, ws) for run in runs]
        n_noisy, n_cells = sum(k for k, _ in noisy), sum(n for _, n in noisy)
        per_run, verdict = judge([f(run) for run in runs], x, min_runs, n_noisy, n_cells)
        out.append(f"| {label} | {'; '.join(per_run)} | {n_noisy}/{n_cells} | {verdict} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--quiet-wait", type=float, default=0.05,
                    help="a sample is quiet when its threads waited for a CPU at most this share of its time")
    ap.add_argument("--min-runs", type=int, default=3, help="runs a verdict needs (default 3)")
    a = ap.parse_args()
    runs = [Run(p, a.quiet_wait) for p in a.runs]
    out = []
    out.append(f"## Verdicts over {len(runs)} run(s)")
    out.append("")
    out.append("Per run: the median over its rounds of the per-round figure (flambeau's speed-up, or the share "
               "named); **met** when it clears the target in every run, **not met** when in none, **mixed** "
               f"otherwise; fewer than {a.min_runs} runs or 3 rounds give **too few runs**; \"noisy cells\" counts the "
               "cells behind the figures that had fewer than 3 quiet samples, and a verdict drawn mostly from them "
               "says so.")
    out.append("")
    verdicts(out, runs, "flambeau", a.min_runs)
    if any(s == "flambeau-fma" for run in runs for (s, _) in run.v):
        out.append("")
        out.append("### The opt-in fused order (`--features fma`), apart")
        out.append("")
        out.append("The same targets for the speed bench built with the core's `fma` feature: every product "
                   "summed with fused multiply-adds in the same lane order (reproducible across machines built "
                   "with it, but not the default's bits).")
        out.append("")
        verdicts(out, runs, "flambeau-fma", a.min_runs)
    for i, run in enumerate(runs, 1):
        m = run.meta
        out.append("")
        out.append(f"## Run {i}: {m['date_utc']} ({os.path.basename(run.path)})")
        out.append("")
        out.append(f"- CPU: {m['cpu']}, {m['nproc']} logical CPUs, flags {' '.join(m['cpu_flags'])}")
        out.append(f"- rounds: {m['rounds_done']} of {m['rounds_asked']} asked, ≥ {m['min_time_s']} s of samples "
                   f"per cell, round times {', '.join(f'{x:.0f}' for x in m['round_s'])} s, whole run "
                   f"{m['wall_s']:.0f} s" + (f" (budget {m['budget_s']:.0f} s)" if m.get("budget_s") else ""))
        out.append(f"- load average (1, 5, 15 min): {m['loadavg_start']} at the start, {m['loadavg_end']} at the end")
        tot = sum(rec[1] for per in run.v.values() for rec in per.values())
        rej = sum(rec[2] for per in run.v.values() for rec in per.values())
        noisy = sum(1 for per in run.v.values() for rec in per.values() if rec[3])
        cells = sum(len(per) for per in run.v.values())
        out.append(f"- quiet-sample guard (a sample's threads waited for a CPU ≤ {a.quiet_wait:.0%} of its time): "
                   f"{rej} of {tot} samples rejected; {noisy} of {cells} cells had fewer than 3 quiet samples and "
                   "use all their samples (\"noisy\")")
        envs = [rec[4].get("env", {}) for per in run.v.values() for rec in per.values()]
        blas = sorted({f"{p['internal_api']} {p.get('version')} {p.get('architecture')} ({p.get('num_threads')} "
                       f"thread{'s' if p.get('num_threads') != 1 else ''})"
                       for e in envs if isinstance(e.get("threadpools"), list) for p in e["threadpools"]})
        caps = sorted({e["torch_cpu_capability"] for e in envs if e.get("torch_cpu_capability")})
        out.append(f"- thread pools seen by threadpoolctl in the Python cells: {'; '.join(blas) or '–'}")
        out.append(f"- PyTorch CPU capability: {', '.join(caps) or '–'}; Python cells ran with "
                   f"{' and '.join(m['unset_for_python'])} unset (outside: "
                   f"{', '.join(f'{k}={v}' for k, v in m['env_outside_python'].items())})")
        pins = sorted({(rec[4].get("threads", 1), len(rec[4]["cpus"])) for per in run.v.values()
                       for rec in per.values() if rec[4].get("cpus")})
        out.append("- Python cells pinned to CPUs (sched_setaffinity, before any import): "
                   + (", ".join(f"{t}-thread cells on {n} CPU{'s' if n != 1 else ''}" for t, n in pins) or "–"))
        line = ceiling.run_line(run)
        if line:
            out.append(line)
        for s in m.get("skipped", []):
            # a path of the machine that ran it says nothing to the reader: its last part does
            out.append("- skipped: " + re.sub(r"/(?:[^/\s]+/)+([^/\s]+)", r"\1", s))
        for c in run.errors:
            out.append(f"- failed cell: {c['system']} {c['workload']} round {c['round']}: {c['error']}")
        if m.get("quick"):
            out.append("- **--quick run: a smoke test, not for quoting**")
        out.append("")
        out.extend(table(run))
    print("\n".join(out))


if __name__ == "__main__":
    main()
