"""The machine's own two-thread speed-up, for bench/compare.py's report.

flambeau's `ceiling-fwd-t2` cell (std-harness/benches/speed/ceiling.rs)
times pairs of passes of dense 256x256 forwards: one thread alone, then two
threads at once, each on its own layer with nothing shared. A pair's
speed-up is 2 x (one-thread time) / (two-thread time): about 2 when the
machine gives two threads two cores, about 1 when its two CPUs are one
core's two hardware threads (or one CPU). Context for the two-thread
targets, never a target itself. Standard library only.
"""

import statistics

WORKLOAD = "ceiling-fwd-t2"
LABEL = ("context, not a target: the machine's own two-thread speed-up (two independent threads running dense "
         f"forwards vs one, `{WORKLOAD}`)")


def speedup(cell, quiet_wait):
    """(median speed-up, pairs, noisy) of one cell: over the pairs whose two
    passes were both quiet (run-queue wait at most `quiet_wait` of the pass's
    wall time, x its threads), or over all pairs, flagged noisy, when fewer
    than 3 were quiet. None when the cell has no pair."""
    pairs = [(a, b) for a, b in zip(cell.get("one_thread_samples") or [], cell.get("samples") or [])
             if a[0] > 0 and b[0] > 0]
    if not pairs:
        return None
    quiet = [(a, b) for a, b in pairs if a[1] <= quiet_wait * a[0] and b[1] <= quiet_wait * b[0] * 2]
    noisy = len(quiet) < 3
    use = pairs if noisy else quiet
    return statistics.median(2 * a[0] / b[0] for a, b in use), len(pairs), noisy


def per_round(run):
    """{round: (speed-up, pairs, noisy)} of a compare.Run."""
    out = {}
    for rnd, rec in run.v.get(("flambeau", WORKLOAD), {}).items():
        r = speedup(rec[4], run.quiet_wait)
        if r:
            out[rnd] = r
    return out


def figures(run):
    """The per-round speed-ups of a run, in round order."""
    per = per_round(run)
    return [per[r][0] for r in sorted(per)]


def run_line(run):
    """The run section's line: per round, the machine's speed-up beside flambeau's two-thread ones."""
    per = per_round(run)
    if not per:
        return None
    parts = [f"machine {', '.join(f'{per[r][0]:.2f}' + (' (noisy)' if per[r][2] else '') for r in sorted(per))}"]
    for b in (256, 7291):
        rr = [run.ratio(f"mlp-train-b{b}", ("flambeau",), r, ours_workload=f"mlp-train-b{b}-t2") for r in sorted(per)]
        if any(x is not None for x in rr):
            parts.append(f"flambeau MLP b{b} {', '.join('–' if x is None else f'{x:.2f}' for x in rr)}")
    return (f"- two threads vs one, per round ({', '.join(str(r) for r in sorted(per))}): " + "; ".join(parts)
            + f" (`{WORKLOAD}`: context for the two-thread targets)")
