"""The 2-2-1 kernel's roofline in float64 and float32: operations, cycles, the share reached.

Operations per network-epoch are counted by hand from the kernel's source
(:func:`counts`, in vector-lane operations: one SIMD instruction does one per
lane). The clock is measured with a chain of dependent one-cycle integer
operations (no hardware counters under this VM: ``perf stat`` reports them
"not supported"). The kernel's speed is the median of ``--repeats`` timings
of ``train_arrays(..., engine="numba")`` in each precision, in turns, on one
core. The limit is the arithmetic alone on the two 512-bit ports (16 float64
or 32 float32 lane-operations a cycle); the divisions' unit works beside them
(its cost measured by ``bench_engines.py``: 2.0 cycles a float64 lane).

Instructions executed per network-epoch (AVX2 build; valgrind does not run
AVX-512) come from callgrind, the difference of two runs::

    for e in 0 400; do NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES="" valgrind \\
      --tool=callgrind python benchmarks/bench_roofline.py --count $e float64; done

Run from the repository root::

    python benchmarks/bench_roofline.py        # under a minute
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numba

import xorsweep as xs
from xorsweep.training.trainer import train_arrays

RUNS = 16_384


def counts(precision: str) -> dict[str, int]:
    """Lane-operations of one 2-2-1 network-epoch over XOR's 4 samples (gd).

    Per sample: each hidden unit's logit 3 (a product, an FMA, the bias) and
    sigmoid 4 (negation, two clamps, 1 + e) besides its exp and division; the
    output logit 3; the loss 20 besides its sigmoid's exp and division
    (sign * z, the sigmoid's 4, the comparison and its and, the clip's 2, the
    error's 3, the product, the carry's 6 integer and float operations, the
    wrong-epoch select); the backward pass 15 (the bias sum, then per hidden
    unit an FMA, 3 for the delta, the bias sum and 2 FMAs). The step: 9. The
    exp is 22 in float64 (Cody-Waite 4, polynomial to r**13 by Estrin 14, the
    power of two 4) and 16 in float32 (to r**7); a float32 division is a seed
    and three Newton steps, 7.
    """
    per_sample = 2 * (3 + 4) + 3 + 20 + 15
    exps, divisions = 4 * 3, 4 * 3
    exp_ops = 22 if precision == "float64" else 16
    ops = 4 * per_sample + 9 + exps * exp_ops
    if precision == "float32":
        ops, divisions = ops + 7 * divisions, 0
    return {"ops": ops, "divisions": divisions}


@numba.njit
def _chain(n, x):
    for _ in range(n):
        x = x + (x >> 7)  # three dependent one-cycle integer operations an iteration
        x = x ^ 12345
    return x


def clock_ghz(repeats: int = 5) -> float:
    """The core's clock: median of ``repeats`` timings of a dependent chain."""
    _chain(10, 3)
    n, found = 100_000_000, []
    for _ in range(repeats):
        start = time.process_time()
        _chain(n, 3)
        found.append(3 * n / (time.process_time() - start) / 1e9)
    return statistics.median(found)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--count", nargs=2, metavar=("EPOCHS", "PRECISION"),
                        help="only train 2,048 runs for EPOCHS (for callgrind)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.count:
        pop = xs.init_population(2048, seed=0)
        train_arrays(pop[:64], 1, engine="numba", precision=args.count[1])
        train_arrays(pop, int(args.count[0]), engine="numba", precision=args.count[1])
        return
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pop = xs.init_population(RUNS, seed=0)
    rates = {p: [] for p in ("float64", "float32")}
    for p in rates:
        train_arrays(pop[:64], 1, engine="numba", precision=p)
    ghz = []
    for _ in range(args.repeats):
        ghz.append(clock_ghz(1))
        for p, found in rates.items():
            start = time.process_time()
            train_arrays(pop, args.epochs, engine="numba", precision=p)
            found.append(RUNS * args.epochs / (time.process_time() - start))
    clock = statistics.median(ghz)
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, load average {os.getloadavg()[0]:.2f}, "
          f"clock {clock:.2f} GHz (median of {args.repeats})")  # fmt: skip
    print("| precision | lane-ops | divisions | limit (cycles) | net-epochs/s | cycles "
          "| share of the limit |\n|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for p, found in rates.items():
        c, lanes = counts(p), 8 if p == "float64" else 16
        limit = max(c["ops"] / (2 * lanes), 2.0 * c["divisions"])
        rate = statistics.median(found)
        cycles = clock * 1e9 / rate
        print(f"| {p} | {c['ops']} | {c['divisions']} | {limit:.1f} | {rate:,.0f} "
              f"| {cycles:.1f} | {limit / cycles:.0%} |")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
