"""Training speed of each optimiser, numba and NumPy engines side by side.

A population of ``--runs`` networks (2-2-1, hidden std 1) is trained for
``--epochs`` epochs at learning rate 0.01 with each optimiser of
:data:`xorsweep.training.optimizers.OPTIMIZERS` and each engine, in turns,
``--repeats`` times, on one core, after one untimed call that compiles or
loads the numba kernel. Reported: the medians in net-epochs per second.

Run from the repository root::

    python benchmarks/bench_optimizers.py             # about a minute
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import xorsweep as xs
from xorsweep.training.optimizers import OPTIMIZERS


def net_epochs_per_second(pop: xs.Population, epochs: int, engine: str, optimizer: str) -> float:
    start = time.perf_counter()
    xs.train(pop, epochs, 0.01, engine=engine, optimizer=optimizer)
    return pop.runs * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    print(
        f"one core (CPU {cpu}), {args.runs} runs x {args.epochs} epochs, medians of "
        f"{args.repeats}; load average before: {os.getloadavg()[0]:.1f}"
    )
    print("| optimizer | numba | numpy | numba / numpy |")
    print("|---|---:|---:|---:|")
    pop = xs.init_population(args.runs, 1.0, seed=0)
    for optimizer in OPTIMIZERS:
        speeds: dict[str, list[float]] = {"numba": [], "numpy": []}
        for engine in speeds:
            xs.train(pop[:64], 2, engine=engine, optimizer=optimizer)  # compile: not timed
        for _ in range(args.repeats):
            for engine, values in speeds.items():
                values.append(net_epochs_per_second(pop, args.epochs, engine, optimizer))
        numba, numpy = (statistics.median(v) for v in speeds.values())
        print(f"| {optimizer} | {numba:.3g} | {numpy:.3g} | {numba / numpy:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
