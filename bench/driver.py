#!/usr/bin/env python3
"""Runs flambeau's speed comparison: every (system, workload) cell as its own
short process, systems interleaved round by round, and writes every sample
of every cell to one JSON file (bench/compare.py turns one or more of them
into the report). Standard library only; started by bench/compare.sh, which
builds what it needs first.

Each round walks the workloads (in reverse order on even rounds) and, for
each workload, runs the systems that have it in a fresh shuffled order, so
that a slow moment of the machine does not always hit the same system. The
Python cells run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from
their environment (OpenBLAS then picks its kernels from the CPU itself) and
every thread-count variable set to the cell's thread count.
"""

import argparse
import datetime
import json
import math
import os
import platform
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
UNSET_FOR_PYTHON = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS",
               "MATMUL_NUM_THREADS", "FLAMBEAU_BENCH_THREADS")
PEER_LIBS = ("dfdx", "candle", "burn-ndarray", "burn-flex")
PEER_WORKLOADS = ("mlp-train-b32", "mlp-train-b256", "mlp-infer-b1", "mlp-infer-b256")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(v) for v in f.read().split()[:3]]
    except OSError:
        return None


def threads_of(workload):
    last = workload.split("-")[-1]
    return int(last[1:]) if last.startswith("t") and last[1:].isdigit() else 1


def proc_wait_ns(pid):
    """Run-queue wait of all threads of a running process, or None."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    except OSError:
        return None
    return total


def launch(cmd, env, timeout, cwd=None):
    """Runs `cmd`; returns (exit code, stdout, stderr tail, wall s, child CPU s,
    child peak RSS kB, whole-process run-queue wait s, polled)."""
    out_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"flambeau-bench-{os.getpid()}.out")
    err_path = out_path[:-4] + ".err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        except OSError as e:
            return {"code": None, "timed_out": False, "stdout": "", "stderr": f"cannot start {cmd[0]}: {e}",
                    "proc_wall_s": 0.0, "proc_cpu_s": 0.0, "proc_maxrss_kb": 0, "proc_wait_s": 0.0}
        wait = 0
        status = None
        while True:
            w = proc_wait_ns(p.pid)
            if w is not None:
                wait = max(wait, w)
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path, errors="replace") as f:
        stderr = f.read()[-2000:]
    os.unlink(out_path)
    os.unlink(err_path)
    timed_out = wall > timeout
    return {"code": p.returncode, "timed_out": timed_out, "stdout": stdout, "stderr": stderr, "proc_wall_s": wall,
            "proc_cpu_s": ru.ru_utime + ru.ru_stime, "proc_maxrss_kb": ru.ru_maxrss, "proc_wait_s": wait / 1e9}


class Plan:
    def __init__(self, a):
        self.a = a
        self.py = a.python
        env = dict(os.environ)
        self.base_env = env
        self.cells = {}  # workload -> [system]
        self.peer_calib = {}

    def add(self, system, workload):
        if self.a.only and workload not in self.a.only:
            return
        self.cells.setdefault(workload, []).append(system)

    def env_for(self, system, workload):
        env = dict(self.base_env)
        t = str(threads_of(workload))
        for v in THREAD_VARS:
            env[v] = t
        if system not in ("flambeau", "flambeau-fma", "tract") and system not in PEER_LIBS:
            for v in UNSET_FOR_PYTHON:
                env.pop(v, None)
        if system in PEER_LIBS:
            env["USPS_DIR"] = self.a.data  # else they look for the data beside their sources
        if system == "burn-ndarray":
            env["BURN_BENCH_BACKEND"] = "ndarray"
        elif system == "burn-flex":
            env["BURN_BENCH_BACKEND"] = "flex"
        return env

    def command(self, system, workload):
        a = self.a
        mt = str(a.min_time)
        if system == "flambeau":
            return [a.flambeau, workload, "--min-time", mt, "--data", a.data]
        if system == "flambeau-fma":
            return [a.flambeau_fma, workload, "--min-time", mt, "--data", a.data]
        if system == "tract":
            b = workload.split("-b")[-1]
            return [a.tract, os.path.join(a.onnx, f"mlp-b{b}.onnx"), os.path.join(a.onnx, "usps-test-1792.f32"), b,
                    "--min-time", mt]
        if system in PEER_LIBS:
            exe = os.path.join(a.peers, {"dfdx": "dfdx-bench", "candle": "candle-bench"}.get(system, "burn-bench"))
            kind = workload.split("-")[1]
            b = workload.split("-b")[-1]
            n = self.peer_calib.get((system, workload), 5)
            if kind == "train":
                return [exe, "--batches", b, "--infer", "", "--warmup", "1", "--epochs", str(n)]
            return [exe, "--batches", "", "--infer", b, "--infer-reps", str(n)]
        return [self.py, os.path.join(HERE, "py_cell.py"), "run", system, workload, "--min-time", mt, "--data",
                a.data, "--onnx", a.onnx]

    def parse_peer(self, system, workload, stdout):
        d = json.loads(stdout)
        if workload.split("-")[1] == "train":
            r = d["train"][0]
            samples = [(t, None) for t in r["epoch_s"]]
            work = 7291
        else:
            r = d["infer"][0]
            work = r["samples_per_rep"]
            samples = [(us * work / 1e6, None) for us in r["us_per_sample"]]
        return {"system": system, "workload": workload, "threads": 1, "work": work, "samples": samples,
                "cpu_s": None, "wall_s": None, "env": {"compiled_with_avx2_fma": d.get("compiled_with_avx2_fma"),
                                                         "version": d.get("version"), "backend": d.get("backend")}}

    def run_cell(self, system, workload, rnd):
        cmd = self.command(system, workload)
        la0 = loadavg()
        r = launch(cmd, self.env_for(system, workload), self.a.cell_timeout)
        cell = {"system": system, "workload": workload, "round": rnd, "loadavg_before": la0, "cmd": cmd[1:]}
        cell.update({k: r[k] for k in ("proc_wall_s", "proc_cpu_s", "proc_maxrss_kb", "proc_wait_s")})
        if r["code"] != 0 or r["timed_out"]:
            why = "timed out" if r["timed_out"] else f"exit {r['code']}"
            cell["error"] = f"{why}: {r['stderr'].strip().splitlines()[-1] if r['stderr'].strip() else ''}"
            print(f"   {system:14} {workload:20} FAILED ({cell['error']})", file=sys.stderr, flush=True)
            return cell
        try:
            d = self.parse_peer(system, workload, r["stdout"]) if system in PEER_LIBS else json.loads(r["stdout"])
        except (ValueError, KeyError, IndexError) as e:
            cell["error"] = f"unreadable output: {e}"
            print(f"   {system:14} {workload:20} FAILED ({cell['error']})", file=sys.stderr, flush=True)
            return cell
        cell.update(d)
        cell["round"] = rnd
        tot = sum(t for t, _ in d["samples"])
        if system in PEER_LIBS:
            # whole-process figures: the peers' binaries do not time their own waits
            cell["cpu_s"], cell["wall_s"] = r["proc_cpu_s"], r["proc_wall_s"]
            if tot < self.a.min_time or len(d["samples"]) < 3:
                per = tot / max(1, len(d["samples"]))
                self.peer_calib[(system, workload)] = max(3, math.ceil(1.2 * self.a.min_time / max(per, 1e-6)))
        print(f"   {system:14} {workload:20} {len(d['samples']):4} samples, {tot:6.2f} s sampled, "
              f"{r['proc_wall_s']:6.1f} s process", file=sys.stderr, flush=True)
        return cell


def save(path, meta, cells):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "cells": cells}, f)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--data", required=True, help="folder with the USPS IDX .gz files")
    ap.add_argument("--python", required=True, help="the virtual environment's python")
    ap.add_argument("--flambeau", required=True, help="the speed bench executable")
    ap.add_argument("--flambeau-fma", default=None,
                    help="the speed bench built with --features fma (the opt-in fused order), run as its own system")
    ap.add_argument("--tract", default=None, help="the tract peer's executable")
    ap.add_argument("--peers", default=None, help="release folder of the Rust peers' binaries")
    ap.add_argument("--onnx", required=True, help="folder for the exported ONNX files")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds of samples per cell (default 1)")
    ap.add_argument("--budget", type=float, default=None,
                    help="wall seconds: no round starts that would, at the pace so far, end later")
    ap.add_argument("--cell-timeout", type=float, default=600)
    ap.add_argument("--quick", action="store_true", help="marks the run a smoke test (compare.sh: 1 round, 0.2 s)")
    ap.add_argument("--only", nargs="*", default=None, help="workloads to run (default: all)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the shuffles (default: from the clock)")
    a = ap.parse_args()
    if a.rounds < 1 or a.min_time < 0:
        sys.exit("error: --rounds must be at least 1 and --min-time not negative")
    for exe in (a.python, a.flambeau) + ((a.flambeau_fma,) if a.flambeau_fma else ()):
        if not os.access(exe, os.X_OK):
            sys.exit(f"error: {exe} is not an executable")
    t_start = time.perf_counter()
    seed = a.seed if a.seed is not None else int(time.time())
    rng = random.Random(seed)

    # what each system runs
    plan = Plan(a)
    r = subprocess.run([a.flambeau, "list"], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"error: {a.flambeau} list failed: {r.stderr.strip()}")
    for w in r.stdout.split():
        plan.add("flambeau", w)
        if a.flambeau_fma and w != "ceiling-fwd-t2":  # the machine's ceiling is measured once
            plan.add("flambeau-fma", w)
    r = subprocess.run([a.python, os.path.join(HERE, "py_cell.py"), "list"], capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        sys.exit(f"error: py_cell.py list failed: {r.stderr.strip()}")
    for system, workloads in json.loads(r.stdout).items():
        for w in workloads:
            plan.add(system, w)
    skipped = []
    # ONNX files for ONNX Runtime and tract
    env = plan.env_for("onnxruntime", "mlp-infer-b1")
    r = subprocess.run([a.python, os.path.join(HERE, "py_cell.py"), "export", a.onnx, "--data", a.data], env=env,
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        skipped.append(f"ONNX export failed ({r.stderr.strip().splitlines()[-1:]}): no ONNX Runtime or tract cells")
        for w in plan.cells:
            plan.cells[w] = [s for s in plan.cells[w] if s != "onnxruntime"]
    elif a.tract and not os.access(a.tract, os.X_OK):
        skipped.append(f"tract: {os.path.basename(a.tract)} is not built")
    elif a.tract:
        for w in ("mlp-infer-b1", "mlp-infer-b256"):
            plan.add("tract", w)
    else:
        skipped.append("tract: not built (no --tract)")
    peer_base = {}
    if a.peers:
        for lib in PEER_LIBS:
            for w in PEER_WORKLOADS:
                plan.add(lib, w)
            # the peer's resident size after loading the data, to subtract from its peaks
            exe = plan.command(lib, "mlp-infer-b1")
            exe = exe[:1] + ["--batches", "", "--infer", ""]
            r = launch(exe, plan.env_for(lib, "mlp-infer-b1"), 120)
            peer_base[lib] = r["proc_maxrss_kb"] if r["code"] == 0 else None
    else:
        skipped.append("Rust peers: not run (no --peers)")

    workloads = [w for w in plan.cells if plan.cells[w]]
    unknown = [w for w in (a.only or []) if w not in workloads]
    if unknown:
        sys.exit(f"error: unknown workload(s) {', '.join(unknown)} (see bench/README.md)")
    meta = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
                    platform.processor()),
        "cpu_flags": sorted({f for ln in open("/proc/cpuinfo") if ln.startswith("flags")
                             for f in ln.split(":", 1)[1].split() if f in ("avx2", "fma", "avx512f", "avx512bw")}),
        "nproc": os.cpu_count(), "rounds_asked": a.rounds, "min_time_s": a.min_time, "seed": seed,
        "quick": a.quick, "budget_s": a.budget, "loadavg_start": loadavg(), "skipped": skipped,
        "peer_base_kb": peer_base, "unset_for_python": list(UNSET_FOR_PYTHON),
        "env_outside_python": {v: os.environ.get(v) for v in UNSET_FOR_PYTHON},
    }
    cells = []
    round_times = []
    for rnd in range(1, a.rounds + 1):
        elapsed = time.perf_counter() - t_start
        if a.budget and round_times and elapsed + max(round_times) > a.budget:
            print(f"== stopping before round {rnd}: {elapsed:.0f} s spent, a round takes up to "
                  f"{max(round_times):.0f} s, budget {a.budget:.0f} s", file=sys.stderr)
            break
        t0 = time.perf_counter()
        order = workloads if rnd % 2 else workloads[::-1]
        print(f"== round {rnd}/{a.rounds} (load {loadavg()})", file=sys.stderr, flush=True)
        for w in order:
            systems = list(plan.cells[w])
            rng.shuffle(systems)
            for s in systems:
                cells.append(plan.run_cell(s, w, rnd))
        round_times.append(time.perf_counter() - t0)
        # written after every round: a run cut short keeps its finished rounds
        meta.update({"rounds_done": len(round_times), "round_s": round_times, "loadavg_end": loadavg(),
                     "wall_s": time.perf_counter() - t_start})
        save(a.out, meta, cells)
    if not round_times:
        sys.exit("error: no round ran")
    print(f"== wrote {a.out} ({len(cells)} cells, {meta['wall_s']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
