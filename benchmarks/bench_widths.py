"""Training speed against the hidden width, numba and NumPy engines side by side.

The study beyond the article (``xorsweep.studies.beyond.run``) trains widths 2 to
32; its cost depends on how the speed falls with the width. For each width a
population of ``--runs`` networks (output std Glorot's, hidden std 1) is
trained for ``--epochs`` epochs with each engine, in turns, ``--repeats``
times, on one core (the process pins itself to one CPU), after one untimed
call that compiles or loads the numba kernel. Reported: the medians in
net-epochs per second and their ratio.

Run from the repository root::

    python benchmarks/bench_widths.py             # about a minute
    python benchmarks/bench_widths.py --widths 2 32 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import xorsweep as xs

WIDTHS = (2, 3, 4, 6, 8, 12, 16, 32)


def net_epochs_per_second(pop: xs.Population, epochs: int, engine: str) -> float:
    start = time.perf_counter()
    xs.train(pop, epochs, engine=engine)
    return pop.runs * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    parser.add_argument("--runs", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    print(
        f"one core (CPU {cpu}), {args.runs} runs x {args.epochs} epochs, medians of "
        f"{args.repeats}; load average before: {os.getloadavg()[0]:.1f}"
    )
    print("| width | numba | numpy | numba / numpy |")
    print("|---:|---:|---:|---:|")
    for width in args.widths:
        pop = xs.init_population(args.runs, 1.0, "glorot", hidden=width, seed=0)
        speeds: dict[str, list[float]] = {"numba": [], "numpy": []}
        for engine in speeds:
            xs.train(pop[:64], 2, engine=engine)  # compile or load the kernel: not timed
        for _ in range(args.repeats):
            for engine, values in speeds.items():
                values.append(net_epochs_per_second(pop, args.epochs, engine))
        numba, numpy = (statistics.median(v) for v in speeds.values())
        print(f"| {width} | {numba:.3g} | {numpy:.3g} | {numba / numpy:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
