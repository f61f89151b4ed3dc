"""Speed and memory of ``xorsweep.sweep``: workers, overhead over bare ``train``, peak memory.

Three measurements, side by side in one run:

(a) scaling: the same sweep (``--points`` x ``--runs`` runs of ``--epochs`` epochs,
    written to a fresh store, with its progress bar) with 1 worker (computed in
    the calling process) and with 2 worker processes; the ratio of their wall
    times (target >= 1.8). Again for a larger sweep of ``--points`` x
    ``--large-runs`` runs, and the ratio for the time the larger sweep takes
    beyond the smaller, which leaves out the fixed costs (starting the workers)
    as a long sweep does. For reference, the hardware's own ratio: one bare
    ``train`` of all the runs against two at once, each of half the runs;
(b) overhead: the 1-worker sweep against bare ``xorsweep.train`` of as many runs
    drawn by one ``init_population`` call (target <= 5%); the per-run seeding
    is timed on its own as part of it (as the sweep does it, and with one
    ``SeedSequence`` and ``default_rng`` per run, the rule it computes);
(c) peak memory: sweeps of ``--memory-points`` x R runs (R from ``--memory-runs``)
    of one epoch into a store with 2 workers and ``load=False``; the peak
    resident set of the calling process (``getrusage``) and of the largest
    worker (sampled every 20 ms with psutil, in this measurement only: the sampling
    takes about 1 ms of the calling process's time) (target < 1 GiB, whatever R).

Every timed run is a fresh process (the clock starts after its imports, so a
2-worker sweep pays for starting its workers), in turns, ``--repeats`` times;
the tables give medians. BLAS and OpenMP get one thread.

Run from the repository root::

    python benchmarks/bench_sweep.py            # about 5 minutes on 2 cores
    python benchmarks/bench_sweep.py --quick    # under a minute
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import cpu_model

_THREADS = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}

_CHILD = r"""
import json, resource, sys, threading, time
import numpy as np
import xorsweep as xs
from xorsweep.seeding import float_bits, standard_normals_by_numpy
from xorsweep.network import ARTICLE_OUTPUT_STD
from xorsweep.sweeps.tasks import block_population, task_of_points
import xorsweep.sweeps.run  # the sweep's module (xarray, pandas), loaded before any clock starts

mode, points, runs, epochs, store = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
engine = sys.argv[6]
grid = xs.article_grid(points) if mode == "memory" else xs.article_grid(points, 0.2, 5.0)
out = {}
if mode == "bare":  # init_population + train of the same runs, in this process
    start = time.perf_counter()
    pop = xs.init_population(points * runs, np.repeat(grid, runs), ARTICLE_OUTPUT_STD, seed=0)
    xs.train(pop, epochs, engine=engine)
elif mode in ("seeding", "seeding_numpy"):  # every run's initial network from its own seed
    n = len(grid)
    lo, hi = np.zeros(n, dtype=np.int64), np.full(n, runs, dtype=np.int64)
    task = task_of_points(grid, np.full(n, ARTICLE_OUTPUT_STD), np.full(n, 0.1), lo, hi)
    keys = [(float_bits(h), float_bits(ARTICLE_OUTPUT_STD), float_bits(0.1)) for h in grid]
    start = time.perf_counter()
    if mode == "seeding":  # as a sweep's block does it
        block_population(task)
    else:  # one SeedSequence and default_rng per run
        standard_normals_by_numpy(0, keys, lo, hi, 9)
else:  # a sweep into a fresh store: "sweep1", "sweep2" (progress bar on) or "memory"
    mode = mode.rstrip("L")  # "sweep1L", "sweep2L": the larger sweep
    import psutil
    me, peak, done = psutil.Process(), {"worker": 0}, threading.Event()

    def sample():
        while not done.wait(0.02):
            for child in me.children(recursive=True):
                try:
                    peak["worker"] = max(peak["worker"], child.memory_info().rss)
                except psutil.Error:
                    pass

    if mode == "memory":  # only there: scanning for children costs ~1 ms of this process's time
        threading.Thread(target=sample, daemon=True).start()
    start = time.perf_counter()
    xs.sweep(grid, runs, epochs=epochs, store=store, workers=1 if mode == "sweep1" else 2,
             progress=mode != "memory", load=False, engine=engine)
    done.set()
    out["worker_mib"] = peak["worker"] / 2**20
out["seconds"] = time.perf_counter() - start
out["parent_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _start(
    mode: str, points: int, runs: int, epochs: int, scratch: Path, engine: str
) -> subprocess.Popen:
    store = scratch / f"{mode}-{time.monotonic_ns()}.zarr"
    sizes = map(str, (points, runs, epochs))
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, mode, *sizes, str(store), engine],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # the progress bar
        text=True,
        env={**os.environ, **_THREADS},
    )


def _finish(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"a benchmark process failed with status {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def measure(mode: str, points: int, runs: int, epochs: int, scratch: Path, engine: str) -> dict:
    """One measurement in a fresh process; its store is deleted afterwards."""
    result = _finish(_start(mode, points, runs, epochs, scratch, engine))
    for path in scratch.glob("*.zarr"):
        shutil.rmtree(path)
    return result


def two_bare_at_once(points: int, runs: int, epochs: int, scratch: Path, engine: str) -> float:
    """Wall time of two bare trains at once, each of half the runs: the 2 cores' own ratio."""
    procs = [_start("bare", points, runs // 2, epochs, scratch, engine) for _ in range(2)]
    return max(_finish(p)["seconds"] for p in procs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=8, help="grid points of (a), (b)")
    parser.add_argument("--runs", type=int, default=2048, help="runs per point of (a), (b)")
    parser.add_argument("--epochs", type=int, default=10_000, help="epochs of (a), (b)")
    parser.add_argument("--repeats", type=int, default=3, help="turns of (a), (b)")
    parser.add_argument(
        "--large-runs", type=int, default=8192, help="runs per point of (a)'s larger sweep"
    )
    parser.add_argument("--memory-points", type=int, default=400, help="grid points of (c)")
    parser.add_argument(
        "--memory-runs",
        type=int,
        nargs="+",
        default=[1000, 10_000],
        help="runs per point of (c), one fresh process each",
    )
    parser.add_argument("--quick", action="store_true", help="2,000 epochs, 1 turn, (c) small")
    parser.add_argument(
        "--engine", default="auto", choices=("auto", "numpy", "numba"), help="training engine"
    )
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.repeats, args.memory_runs = 2000, 1, [1000]

    n_runs = args.points * args.runs
    print(f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}, engine: {args.engine}")
    print(f"command: python benchmarks/bench_sweep.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"(a), (b): {args.points} points x {args.runs} runs = {n_runs} runs, "
        f"{args.epochs} epochs, {args.repeats} turns\n"
    )

    modes = ("bare", "sweep1", "sweep2", "pair", "seeding", "seeding_numpy", "sweep1L", "sweep2L")
    times: dict[str, list[float]] = {k: [] for k in modes}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        size = (args.points, args.runs, args.epochs, scratch, args.engine)
        for turn in range(args.repeats):
            for mode in ("bare", "sweep1", "sweep2", "seeding", "seeding_numpy"):
                times[mode].append(measure(mode, *size)["seconds"])
            times["pair"].append(two_bare_at_once(*size))
            large = (args.points, args.large_runs, args.epochs, scratch, args.engine)
            for mode in ("sweep1L", "sweep2L"):
                times[mode].append(measure(mode, *large)["seconds"])
            print(f"turn {turn + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
        memory = [
            (r, measure("memory", args.memory_points, r, 1, scratch, args.engine))
            for r in args.memory_runs
        ]

    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: n_runs * args.epochs / med[k] / 1e6 for k in ("bare", "sweep1", "sweep2", "pair")}
    rows = [
        ("bare train, 1 process", "bare"),
        ("sweep, 1 worker (store, progress)", "sweep1"),
        ("sweep, 2 workers (store, progress)", "sweep2"),
        ("2 bare trains of half the runs", "pair"),
    ]
    print("\n(a), (b): medians")
    print(f"{'':36} {'seconds':>8} {'M net-epochs/s':>15}")
    for label, key in rows:
        print(f"{label:36} {med[key]:8.2f} {rate[key]:15.2f}")
    for label, key in (
        ("per-run seeding alone", "seeding"),
        ("  ... one Generator a run", "seeding_numpy"),
    ):
        print(f"{label:36} {med[key]:8.2f} {med[key] / n_runs * 1e6:12.1f} us/run")
    n_large = args.points * args.large_runs
    print(f"\nlarger sweep, {n_large} runs:")
    for label, key in (("sweep, 1 worker", "sweep1L"), ("sweep, 2 workers", "sweep2L")):
        print(f"{label:36} {med[key]:8.2f} {n_large * args.epochs / med[key] / 1e6:15.2f}")
    marginal = (med["sweep1L"] - med["sweep1"]) / (med["sweep2L"] - med["sweep2"])
    print(
        f"\n(a) 2 workers vs 1 (target >= 1.8): {med['sweep1'] / med['sweep2']:.2f}x for the "
        f"sweep of {n_runs} runs, {med['sweep1L'] / med['sweep2L']:.2f}x for {n_large} runs, "
        f"{marginal:.2f}x for the runs beyond the first {n_runs}; "
        f"the hardware, bare trains: {med['bare'] / med['pair']:.2f}x"
    )
    print(
        f"(b) sweep overhead over bare train: {100 * (med['sweep1'] / med['bare'] - 1):+.1f}% "
        f"(target <= 5%); seeding alone is {100 * med['seeding'] / med['bare']:.1f}% of it"
    )
    print("\n(c) peak memory, sweep of one epoch into a store, 2 workers, load=False")
    print(f"{'runs':>10} {'parent MiB':>11} {'worker MiB':>11} {'seconds':>8}")
    for r, m in memory:
        print(
            f"{args.memory_points * r:10,d} {m['parent_mib']:11.0f} {m['worker_mib']:11.0f} "
            f"{m['seconds']:8.1f}"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
