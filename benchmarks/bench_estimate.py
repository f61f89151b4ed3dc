"""How close the command line's time estimates come to the time taken, on this machine.

Two measurements:

(a) the probe (:func:`xorsweep.sweeps.budget.probe_speed`) against one block timed on its own:
    a block of width-2 networks, and a block of width-24 networks predicted from a
    probe of widths 2 and 24 (the probe's exponent); the ratio taken / predicted;
(b) ``xorsweep reproduce`` end to end, a fresh process with an empty numba cache (so
    its first compilation is counted): the estimate it prints before it starts
    ("about ... in all") against its wall time from start to exit. The target is a
    ratio within 1/1.5 and 1.5.

Run from the repository root::

    python benchmarks/bench_estimate.py                # (a) and the quick reproduce: ~2 min
    python benchmarks/bench_estimate.py --points 20 --runs 500   # a smaller reproduce
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def probe_against_blocks() -> None:
    """(a): the probe's prediction of a block against the block's time."""
    from xorsweep.sweeps import budget
    from xorsweep.sweeps.config import SweepConfig
    from xorsweep.sweeps.tasks import compute_block, task_of_points

    for widths, engine in (([2], "auto"), ([2, 24], "numpy")):
        config = SweepConfig(hidden_std=[1.0], epochs=400, hidden=widths, engine=engine)
        speed = budget.probe_speed(config, runs=1024, epochs=64)
        width = max(widths)
        one = np.ones(1)
        lo, hi = np.zeros(1, dtype=np.int64), np.full(1, 2048)
        task = task_of_points(one, one, np.full(1, 0.1), lo, hi, epochs=400, hidden=width,
                              engine=engine)  # fmt: skip
        start = time.perf_counter()
        compute_block(task)
        took = time.perf_counter() - start
        present = np.zeros(config.grid_shape, dtype=np.int64)
        if len(widths) > 1:
            present[0, 0] = 2048  # only the widest networks are left to compute
        cost = budget.sweep_cost(config, 2048, present, 2048 if len(widths) > 1 else 0)
        predicted = speed.seconds(cost, 1)
        print(
            f"block of 2,048 width-{width} networks x 400 epochs ({engine}): predicted "
            f"{predicted:.3f} s, took {took:.3f} s, ratio {took / predicted:.2f}"
        )


def reproduce(points: int | None, runs: int | None) -> None:
    """(b): ``xorsweep reproduce``'s printed estimate against its wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp, "cache"))}
        env.pop("NUMBA_CACHE_DIR", None)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        argv = [sys.executable, "-m", "xorsweep", "reproduce", "--out", str(Path(tmp, "out"))]
        argv += ["--no-progress"]
        argv += ["--points", str(points)] if points else []
        argv += ["--runs", str(runs)] if runs else []
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
        took = time.perf_counter() - start
    line = next(line for line in done.stdout.splitlines() if line.startswith("stages:"))
    print(line)
    match = re.search(r"about ([\d.,]+) (s|min|hours) in all", line)
    unit = {"s": 1, "min": 60, "hours": 3600}[match.group(2)]
    said = float(match.group(1).replace(",", "")) * unit
    print(f"reproduce {' '.join(argv[4:])}: said about {said:.0f} s, took {took:.1f} s, "
          f"ratio {took / said:.2f} (load average before: {os.getloadavg()[0]:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, help="reproduce's --points (default: quick's)")
    parser.add_argument("--runs", type=int, help="reproduce's --runs (default: quick's)")
    args = parser.parse_args()
    probe_against_blocks()
    reproduce(args.points, args.runs)


if __name__ == "__main__":
    main()
