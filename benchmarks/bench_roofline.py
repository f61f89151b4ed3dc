"""The 2-2-1 kernel's roofline in float64 and float32: operations, cycles, the share reached.

Operations per network-epoch are counted in the compiled code of the 2-2-1
epoch (:func:`compiled_counts`, in vector-lane operations: one SIMD instruction
does one per lane, and one pass of its loops trains one network-epoch per
lane). The clock is measured with a chain of dependent one-cycle integer
operations (no hardware counters under this VM: ``perf stat`` reports them
"not supported"). The kernel's speed is the median of ``--repeats`` timings
of ``train_arrays(..., engine="numba")`` in each precision, in turns, on one
core. The limit is the arithmetic alone on the two 512-bit ports (16 float64
or 32 float32 lane-operations a cycle); the divisions' unit works beside them
(its cost measured by ``bench_engines.py``: 2.0 cycles a float64 lane).

Instructions executed per network-epoch (AVX2 build; valgrind does not run
AVX-512) can be had from callgrind, the difference of two runs::

    for e in 0 400; do NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES="" valgrind \\
      --tool=callgrind python benchmarks/bench_roofline.py --count $e float64; done

Run from the repository root::

    python benchmarks/bench_roofline.py        # under a minute
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

import xorsweep as xs
from xorsweep.training import fused  # noqa: F401 - its first njit chooses numba's vectors
from xorsweep.training.trainer import train_arrays

RUNS = 16_384


_ARITHMETIC = re.compile(
    r"^\s+v(fn?m(add|sub)\d+[ps][ds]|mul[ps][ds]|add[ps][ds]|sub[ps][ds]|div[ps][ds]|max[ps][ds]"
    r"|min[ps][ds]|xorp[ds]|andp[ds]|orp[ds]|p\w+|cmp\w+|blendm\w+)\s"
)


def counts(precision: str) -> dict[str, float]:
    """:func:`compiled_counts` in a fresh process with an empty numba cache (numba shows no
    assembly of cached code)."""
    with tempfile.TemporaryDirectory() as cache:
        done = subprocess.run(
            [sys.executable, __file__, "--asm", precision],
            env={**os.environ, "NUMBA_CACHE_DIR": cache},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(done.stdout.splitlines()[-1])


def compiled_counts(precision: str) -> dict[str, float]:
    """Lane-operations of one 2-2-1 network-epoch over XOR's 4 samples (gd), counted in the
    compiled code of :func:`xorsweep.training._fused_small.epoch_in_registers`.

    Its three loops over the lanes are found in the assembly (the loops whose
    body uses vector registers and jumps back to a label without another loop
    inside), and their vector arithmetic instructions (multiplications,
    additions, FMAs, min and max, comparisons, integer and logical operations,
    divisions) counted: each does one operation per lane, and an iteration
    trains one network-epoch per lane. Loads, stores and register moves are
    counted apart. ``divisions`` are division lane-operations per network-epoch.
    """
    from xorsweep.training import _fused_small

    dtype = np.dtype(precision)
    st = np.zeros((_fused_small._PROB + 4) * _fused_small.LANES, dtype)
    x, sign = np.zeros((4, 2), dtype), np.zeros((4, 1), dtype)
    _fused_small.epoch_in_registers(st, x, sign, 0, True, (), st[:0])
    asm = next(iter(_fused_small.epoch_in_registers.inspect_asm().values()))
    lines = asm.split("_ZN7cpython")[0].splitlines()  # the function, not its wrapper
    labels = {
        line.split(":")[0]: i for i, line in enumerate(lines) if re.match(r"^\.?[\w.]+:", line)
    }
    ends = {}  # first line of a loop -> its first jump back there
    for i, line in enumerate(lines):
        jump = re.match(r"^\s+j\w+\s+(\S+)", line)
        if jump and labels.get(jump.group(1), i) < i:
            ends.setdefault(labels[jump.group(1)], i)
    inner = [
        lines[start : end + 1]
        for start, end in ends.items()
        if not any(start < s and e <= end for s, e in ends.items())  # no loop inside
        and any(re.search("[yz]mm", line) for line in lines[start : end + 1])
    ]
    ops = sum(1 for body in inner for b in body if _ARITHMETIC.match(b) and re.search("[yz]mm", b))
    divisions = sum(1 for body in inner for b in body if "vdiv" in b)
    memory = sum(1 for body in inner for b in body if re.match(r"^\s+v(mov|broadcast)\w*\s.*\(", b))
    return {"ops": ops, "divisions": divisions, "loops": len(inner), "memory": memory}


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
    parser.add_argument("--asm", metavar="PRECISION", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.asm:
        print(json.dumps(compiled_counts(args.asm)))
        return
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
