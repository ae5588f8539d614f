#!/usr/bin/env python3
"""Tests of bench/compare.py and bench/ceiling.py on synthetic runs: the
quiet-sample guard, the verdict rule, the two-thread ceiling and the report
built from run files. Standard library only, well under a second:

    python3 bench/test_compare.py
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceiling  # noqa: E402
import compare  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PASS_FLOPS = 20 * 2.0 * 256 ** 3  # one thread's pass of the ceiling cell (speed/ceiling.rs)


def cell(system, workload, rnd, t, n=5, wait=0.0, threads=1, **extra):
    """A cell whose `n` samples of 2048 images each take `t` s and wait `wait` s."""
    c = {"system": system, "workload": workload, "round": rnd, "threads": threads, "work": 2048,
         "samples": [[t, wait]] * n, "cpu_s": threads * t * n, "wall_s": t * n}
    c.update(extra)
    return c


def ceiling_cell(rnd, one, two, n=5, wait=0.0):
    return cell("flambeau", ceiling.WORKLOAD, rnd, two, n, wait, threads=2, work=2.0 * PASS_FLOPS,
                one_thread_samples=[[one, 0.0]] * n, one_thread_work=PASS_FLOPS)


def run_file(folder, name, cells, rounds=3):
    meta = {"date_utc": "2026-01-01T00:00:00Z", "cpu": "test CPU", "nproc": 2, "cpu_flags": ["avx2"],
            "rounds_done": rounds, "rounds_asked": rounds, "min_time_s": 1.0, "round_s": [10.0] * rounds,
            "wall_s": 10.0 * rounds, "loadavg_start": [0, 0, 0], "loadavg_end": [0, 0, 0],
            "unset_for_python": ["OPENBLAS_CORETYPE"], "env_outside_python": {"OPENBLAS_CORETYPE": None}}
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "cells": cells}, f)
    return path


class Verdicts(unittest.TestCase):
    def test_met_in_every_run(self):
        per_run, v = compare.judge([[1.3, 1.4, 1.25]] * 3, 1.2, 3)
        self.assertEqual(v, "met")
        self.assertEqual(per_run[0], "1.30 [1.25–1.40]")

    def test_not_met_when_no_run_clears(self):
        self.assertEqual(compare.judge([[1.0, 1.1, 1.1]] * 3, 1.2, 3)[1], "not met")

    def test_mixed_counts_the_runs_that_cleared(self):
        self.assertEqual(compare.judge([[1.3] * 3, [1.0] * 3, [1.3] * 3], 1.2, 3)[1], "mixed: met in 2 of 3 runs")

    def test_too_few_runs_or_rounds(self):
        self.assertEqual(compare.judge([[1.3] * 3] * 2, 1.2, 3)[1], "met (too few runs)")
        self.assertEqual(compare.judge([[1.3] * 3, [1.3] * 3, [1.3] * 2], 1.2, 3)[1], "met (too few runs)")

    def test_the_median_not_the_best_round_decides(self):
        self.assertEqual(compare.judge([[1.0, 1.1, 5.0]] * 3, 1.2, 3)[1], "not met")

    def test_nothing_measured_and_context_rows(self):
        self.assertEqual(compare.judge([[], []], 1.2, 3)[1], "not measured")
        self.assertEqual(compare.judge([[1.8, 1.0, 1.9]], None, 3)[1], "context (no target)")

    def test_mostly_noisy_cells_are_flagged(self):
        self.assertTrue(compare.judge([[1.3] * 3] * 3, 1.2, 3, 5, 6)[1].endswith("from mostly noisy cells"))


class QuietGuard(unittest.TestCase):
    def test_busy_samples_are_rejected(self):
        c = cell("flambeau", "mlp-train-b256", 1, 0.01)
        c["samples"] = [[0.01, 0.0]] * 3 + [[0.05, 0.01]] * 4  # the slow ones waited 20 % of their time
        value, n, rejected, noisy = compare.cell_value(c, 0.05)
        self.assertAlmostEqual(value, 0.01 * 7291 / 2048)
        self.assertEqual((n, rejected, noisy), (7, 4, False))

    def test_fewer_than_three_quiet_samples_use_them_all(self):
        c = cell("flambeau", "mlp-train-b256", 1, 0.01)
        c["samples"] = [[0.01, 0.0]] * 2 + [[0.05, 0.01]] * 3
        value, _, rejected, noisy = compare.cell_value(c, 0.05)
        self.assertTrue(noisy)
        self.assertEqual(rejected, 3)
        self.assertAlmostEqual(value, 0.05 * 7291 / 2048)

    def test_two_thread_cells_may_wait_twice_as_long(self):
        c = cell("flambeau", "mlp-train-b256-t2", 1, 0.01, wait=0.0008, threads=2)
        self.assertEqual(compare.cell_value(c, 0.05)[2], 0)
        c["threads"] = 1
        self.assertEqual(compare.cell_value(c, 0.05)[2], 5)


class Ceiling(unittest.TestCase):
    def test_two_cores_give_two_and_one_core_gives_one(self):
        self.assertAlmostEqual(ceiling.speedup(ceiling_cell(1, 0.010, 0.010), 0.05)[0], 2.0)
        self.assertAlmostEqual(ceiling.speedup(ceiling_cell(1, 0.010, 0.020), 0.05)[0], 1.0)

    def test_pairs_with_a_busy_pass_are_left_out(self):
        c = ceiling_cell(1, 0.010, 0.0108, n=4)
        c["one_thread_samples"] += [[0.010, 0.005]] * 3  # busy one-thread passes
        c["samples"] += [[0.020, 0.0]] * 3
        r, pairs, noisy = ceiling.speedup(c, 0.05)
        self.assertEqual((pairs, noisy), (7, False))
        self.assertAlmostEqual(r, 2 * 0.010 / 0.0108)

    def test_a_cell_without_pairs_has_no_figure(self):
        self.assertIsNone(ceiling.speedup(cell("flambeau", ceiling.WORKLOAD, 1, 0.01), 0.05))


class Report(unittest.TestCase):
    def test_report_from_three_runs(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i in range(3):
                cells = []
                for r in (1, 2, 3):
                    cells += [cell("flambeau", "mlp-train-b256", r, 0.010), cell("numpy", "mlp-train-b256", r, 0.015),
                              cell("torch", "mlp-train-b256", r, 0.020),
                              cell("flambeau", "mlp-train-b256-t2", r, 0.0055, threads=2),
                              ceiling_cell(r, 0.010, 0.0108 if r != 2 else 0.020)]
                paths.append(run_file(d, f"run{i}.json", cells))
            out = subprocess.run([sys.executable, os.path.join(HERE, "compare.py")] + paths, capture_output=True,
                                 text=True, check=True).stdout
        rows = {ln.split(" | ")[0].lstrip("| "): ln for ln in out.splitlines() if ln.startswith("| ")}
        b256 = rows["MLP training b256: ≥ 1.2× the best of NumPy and PyTorch (any configuration)"]
        self.assertIn("1.50 [1.50–1.50]", b256)
        self.assertTrue(b256.endswith("| met |"), b256)
        t2 = rows["flambeau 2 threads vs 1 thread, MLP training b256: ≥ 1.8×"]
        self.assertIn("1.82 [1.82–1.82]", t2)
        ctx = rows[ceiling.LABEL]
        self.assertIn("1.85 [1.00–1.85]", ctx)
        self.assertTrue(ctx.endswith("| context (no target) |"), ctx)
        self.assertIn("two threads vs one, per round (1, 2, 3): machine 1.85, 1.00, 1.85; "
                      "flambeau MLP b256 1.82, 1.82, 1.82", out)
        self.assertNotIn("opt-in fused order", out)

    def test_the_fma_build_is_judged_apart(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i in range(3):
                cells = []
                for r in (1, 2, 3):
                    cells += [cell("flambeau", "mlp-train-b256", r, 0.016), cell("numpy", "mlp-train-b256", r, 0.015),
                              cell("flambeau-fma", "mlp-train-b256", r, 0.012)]
                paths.append(run_file(d, f"run{i}.json", cells))
            out = subprocess.run([sys.executable, os.path.join(HERE, "compare.py")] + paths, capture_output=True,
                                 text=True, check=True).stdout
        label = "| MLP training b256: ≥ 1.2× the best of NumPy and PyTorch (any configuration) |"
        default, fma = out.split("opt-in fused order", 1)
        row = next(ln for ln in default.splitlines() if ln.startswith(label))
        self.assertIn("0.94 [0.94–0.94]", row)
        self.assertTrue(row.endswith("| not met |"), row)
        row = next(ln for ln in fma.splitlines() if ln.startswith(label))
        self.assertIn("1.25 [1.25–1.25]", row)
        self.assertTrue(row.endswith("| met |"), row)
        # the table shows the fma build beside the default, as a ratio to it
        self.assertIn("| mlp-train-b256 | flambeau, opt-in fma | s/epoch |", out)
        self.assertNotIn(ceiling.LABEL, fma)


if __name__ == "__main__":
    unittest.main()
