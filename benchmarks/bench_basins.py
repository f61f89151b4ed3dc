"""Wall time and memory of a basin map against bare ``train`` of the same networks.

On one core (the process pins itself to one CPU and asks BLAS for one thread):
an ``n x n`` slice through a Glorot-drawn network, mapped by
``xorsweep.basin_map`` at the given lengths (one training run, continued from
length to length), and, side by side in alternating turns, ``xorsweep.train``
of the same networks for the longest length (both after a warm-up that
imports xarray). The peak resident memory is
the process's after the first map, before any bare training.

Run from the repository root::

    python benchmarks/bench_basins.py                      # 512 x 512, 2,000 epochs
    python benchmarks/bench_basins.py --epochs 500 1000 2000 --repeats 2
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from _machine import pin_to_one_core  # noqa: E402

import xorsweep as xs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=512, help="grid points per axis")
    parser.add_argument("--epochs", type=int, nargs="+", default=[2000], help="lengths")
    parser.add_argument("--repeats", type=int, default=1, help="turns of each")
    args = parser.parse_args()
    cpu = pin_to_one_core()
    print(f"one core (cpu {cpu}), load average {os.getloadavg()[0]:.2f}")
    ref = xs.init_population(1, hidden_std=xs.glorot_std(2, 2), output_std=0.8165, seed=0)
    start = time.perf_counter()
    plane = xs.direction_slice(ref, args.side, extent=1.0, seed=0)
    print(f"direction_slice {args.side} x {args.side}: {time.perf_counter() - start:.2f} s")
    xs.basin_map(xs.direction_slice(ref, 2, seed=0), epochs=1)  # imports xarray: not timed
    lengths = args.epochs if len(args.epochs) > 1 else args.epochs[0]
    maps, bare, peak = [], [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        ds = xs.basin_map(plane, epochs=lengths, lr=0.1)
        maps.append(time.perf_counter() - start)
        peak = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        xs.train(plane.population, max(args.epochs), lr=0.1)
        bare.append(time.perf_counter() - start)
    net_epochs = plane.population.runs * max(args.epochs)
    m, b = statistics.median(maps), statistics.median(bare)
    print(f"basin_map at {args.epochs}: {m:.1f} s ({net_epochs / m:.3g} net-epochs/s)")
    print(f"bare train to {max(args.epochs)}: {b:.1f} s ({net_epochs / b:.3g} net-epochs/s)")
    print(f"map over train: {m / b - 1:+.1%}; peak RSS after the first map: {peak:.0f} MiB")
    summary = xs.basin_summary(ds)
    shares = summary.state_share.to_pandas()
    print(summary.drop_vars(["state_share", "state"]).to_pandas().to_string())
    print(shares.to_string() if shares.ndim > 1 else shares.to_frame("share").T.to_string())


if __name__ == "__main__":
    main()
