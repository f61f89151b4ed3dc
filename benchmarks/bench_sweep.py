"""Speed and memory of ``xorsweep.sweep``: workers, overhead over bare ``train``, peak memory.

Three measurements, side by side in one run:

(a) scaling: the same sweep (``--points`` x ``--runs`` runs of ``--epochs`` epochs,
    written to a fresh store) with 1 worker (computed in the calling process)
    and with 2 worker processes; the ratio of their wall times (target >= 1.8);
(b) overhead: the 1-worker sweep, with its store and progress bar, against bare
    ``xorsweep.train`` of as many runs drawn by one ``init_population`` call
    (target <= 5%); the per-run seeding is timed on its own as part of it;
(c) peak memory: fresh processes sweep ``--memory-points`` x R runs (R from
    ``--memory-runs``) of one epoch into a store with 2 workers, ``load=False``;
    the peak resident set of the calling process and of the largest worker
    (``resource.getrusage``) (target < 1 GiB, whatever R).

(a) and (b) run in turns, ``--repeats`` times, and report medians. Set the
thread variables before NumPy loads, as the sweep's workers do.

Run from the repository root::

    python benchmarks/bench_sweep.py            # about 3 minutes on 2 cores
    python benchmarks/bench_sweep.py --quick    # about 1 minute
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import xorsweep as xs  # noqa: E402
from xorsweep.sweep import ARTICLE_OUTPUT_STD, BlockTask, block_population  # noqa: E402


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def time_sweep(grid: np.ndarray, runs: int, epochs: int, workers: int, scratch: Path) -> float:
    """Wall time of a sweep into a fresh store, with its progress bar (sent to /dev/null)."""
    store = scratch / f"w{workers}.zarr"
    shutil.rmtree(store, ignore_errors=True)
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):
        start = time.perf_counter()
        xs.sweep(grid, runs, epochs=epochs, store=store, workers=workers, load=False)
        seconds = time.perf_counter() - start
    shutil.rmtree(store)
    return seconds


def time_bare_train(grid: np.ndarray, runs: int, epochs: int) -> float:
    """Wall time of init_population + train on the same number of runs, in this process."""
    start = time.perf_counter()
    pop = xs.init_population(len(grid) * runs, np.repeat(grid, runs), ARTICLE_OUTPUT_STD, seed=0)
    xs.train(pop, epochs)
    return time.perf_counter() - start


def time_seeding(grid: np.ndarray, runs: int) -> float:
    """Wall time of drawing every run's initial network from its own SeedSequence."""
    n = len(grid)
    task = BlockTask(
        hidden_std=np.asarray(grid, dtype=float),
        output_std=np.full(n, ARTICLE_OUTPUT_STD),
        lr=np.full(n, 0.1),
        lo=np.zeros(n, dtype=np.int64),
        hi=np.full(n, runs, dtype=np.int64),
        seed=0,
        epochs=1,
        update="article",
        data="xor",
        hidden=2,
    )
    start = time.perf_counter()
    block_population(task)
    return time.perf_counter() - start


_MEMORY_CHILD = """
import json, resource, sys, time
import xorsweep as xs
points, runs, store = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
start = time.perf_counter()
xs.sweep(xs.article_grid(points), runs, epochs=1, store=store, workers=2, progress=False,
         load=False)
seconds = time.perf_counter() - start
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"parent_kib": me, "worker_kib": kids, "seconds": seconds}))
"""


def peak_memory(points: int, runs: int, scratch: Path) -> dict:
    """Peak RSS (KiB) of a fresh process sweeping into a store, and of its largest worker."""
    store = scratch / "memory.zarr"
    shutil.rmtree(store, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(points), str(runs), str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(store)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=8, help="grid points of (a), (b)")
    parser.add_argument("--runs", type=int, default=2048, help="runs per point of (a), (b)")
    parser.add_argument("--epochs", type=int, default=10_000, help="epochs of (a), (b)")
    parser.add_argument("--repeats", type=int, default=3, help="turns of (a), (b)")
    parser.add_argument("--memory-points", type=int, default=400, help="grid points of (c)")
    parser.add_argument(
        "--memory-runs",
        type=int,
        nargs="+",
        default=[1000, 10_000],
        help="runs per point of (c), one fresh process each",
    )
    parser.add_argument("--quick", action="store_true", help="smaller: 2,000 epochs, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.repeats, args.memory_runs = 2000, 1, [1000]

    grid = xs.article_grid(args.points, 0.2, 5.0)
    n_runs = args.points * args.runs
    print(f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"machine: {_cpu_name()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, NumPy {np.__version__}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"command: python benchmarks/bench_sweep.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"(a), (b): {args.points} points x {args.runs} runs = {n_runs} runs, "
        f"{args.epochs} epochs, {args.repeats} turns\n"
    )

    times: dict[str, list[float]] = {"bare": [], "sweep1": [], "sweep2": [], "seeding": []}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for turn in range(args.repeats):
            times["bare"].append(time_bare_train(grid, args.runs, args.epochs))
            times["sweep1"].append(time_sweep(grid, args.runs, args.epochs, 1, scratch))
            times["sweep2"].append(time_sweep(grid, args.runs, args.epochs, 2, scratch))
            times["seeding"].append(time_seeding(grid, args.runs))
            print(f"turn {turn + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
        memory = [(r, peak_memory(args.memory_points, r, scratch)) for r in args.memory_runs]

    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: n_runs * args.epochs / med[k] / 1e6 for k in ("bare", "sweep1", "sweep2")}
    print("\n(a), (b): medians")
    print(f"{'':34} {'seconds':>8} {'M net-epochs/s':>15}")
    print(f"{'bare train, this process':34} {med['bare']:8.2f} {rate['bare']:15.2f}")
    print(f"{'sweep, 1 worker (store, progress)':34} {med['sweep1']:8.2f} {rate['sweep1']:15.2f}")
    print(f"{'sweep, 2 workers (store, progress)':34} {med['sweep2']:8.2f} {rate['sweep2']:15.2f}")
    print(
        f"{'per-run seeding alone':34} {med['seeding']:8.2f} "
        f"{med['seeding'] / n_runs * 1e6:12.1f} us/run"
    )
    print(f"\n(a) 2 workers vs 1: {med['sweep1'] / med['sweep2']:.2f}x (target >= 1.8)")
    print(
        f"(b) sweep overhead over bare train: {100 * (med['sweep1'] / med['bare'] - 1):+.1f}% "
        f"(target <= 5%), of which seeding {100 * med['seeding'] / med['bare']:.1f}%"
    )
    print("\n(c) peak memory, sweep of one epoch into a store, 2 workers, load=False")
    print(f"{'runs':>10} {'parent MiB':>11} {'worker MiB':>11} {'seconds':>8}")
    for r, m in memory:
        total = args.memory_points * r
        print(
            f"{total:10,d} {m['parent_kib'] / 1024:11.0f} {m['worker_kib'] / 1024:11.0f} "
            f"{m['seconds']:8.1f}"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
