"""Training on from a state against training the same epochs from scratch, side by side.

One core (the process pins itself to one CPU and asks BLAS for one thread),
CPU time of this process (``time.process_time``: the machine is shared), the
median of ``--repeats`` turns in which each way is timed in turn. For each
engine, ``--runs`` networks (std 1, XOR) and ``--epochs`` epochs, timed:

* ``train``: ``train_arrays(population, epochs)``, from epoch 0;
* ``train_on``: ``train_on_arrays(state, start + epochs)`` from a state at
  epoch ``start`` (``--start``): the same number of epochs;
* ``train_on x10``: the same epochs in 10 calls of ``train_on_arrays``;
* ``continue_runs``: ``continue_runs(continued, ...)`` of every run of earlier
  continued results (no recomputation): selection, state, training, Dataset;
* ``continue_runs from a sweep``: from a sweep's results at ``start`` epochs,
  which recomputes those epochs once; against ``train`` of ``start + epochs``.

Ratios are time over the time of ``train`` of as many epochs: 1 means the
continuation costs what its epochs cost. With ``--kernel-against FILE``, also
the fused kernel (``train_block``, 1,000 epochs) against another version of
``xorsweep/training/fused.py`` (another checkout's), both loaded into this process and
called in 16 alternating turns. Run from the repository root::

    python benchmarks/bench_continue.py            # 10,000 runs, 2,000 epochs, 5 turns
    python benchmarks/bench_continue.py --quick    # 2,000 runs, 1,000 epochs, 3 turns
    python benchmarks/bench_continue.py --engines numba --kernel-against ../main/xorsweep/fused.py
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from _machine import describe_cpu, pin_to_one_core  # noqa: E402

import xorsweep as xs  # noqa: E402
from xorsweep.sweeps.continuation import continue_runs  # noqa: E402
from xorsweep.training.state import TrainingState, train_on_arrays  # noqa: E402
from xorsweep.training.trainer import train_arrays  # noqa: E402


def cpu_seconds(fn, *args, **kwargs) -> float:
    start = time.process_time()
    fn(*args, **kwargs)
    return time.process_time() - start


def in_pieces(state: TrainingState, stop: int, pieces: int) -> None:
    for k in range(1, pieces + 1):
        _, state = train_on_arrays(state, state.epoch + (stop - state.epoch) // (pieces - k + 1))


def time_engine(engine: str, runs: int, start: int, epochs: int, repeats: int) -> dict:
    pop = xs.init_population(runs, hidden_std=1.0, seed=0)
    _, state = train_on_arrays(TrainingState.start(pop, 0.1, engine=engine), start)
    sweep = xs.sweep([1.0], runs=runs, epochs=start, engine=engine, workers=1, progress=False)
    continued = continue_runs(sweep, start + 1, select="all", engine=engine)
    _, later = train_on_arrays(state, start + 1)
    stop = start + 1 + epochs
    turns: dict[str, list[float]] = {}
    for _ in range(repeats):
        timed = {
            "train": cpu_seconds(train_arrays, pop, epochs, engine=engine),
            "train_on": cpu_seconds(train_on_arrays, later, stop),
            "train_on x10": cpu_seconds(in_pieces, later, stop, 10),
            "continue_runs": cpu_seconds(continue_runs, continued, stop, select="all"),
            "train, sweep's epochs too": cpu_seconds(
                train_arrays, pop, start + epochs, engine=engine
            ),
            "continue_runs from a sweep": cpu_seconds(
                continue_runs, sweep, start + epochs, select="all", engine=engine
            ),
        }
        for name, seconds in timed.items():
            turns.setdefault(name, []).append(seconds)
    return {name: statistics.median(values) for name, values in turns.items()}


def _block_args(module, pop, table, lr, epochs: int) -> tuple:
    """``train_block``'s arguments for the article's training, in the module's version's form
    (one settings value since the optimisers, positional settings before)."""
    if "settings" in inspect.signature(module.train_block).parameters:
        from xorsweep.training.settings import TrainingSettings

        return pop, table, (lr, lr), TrainingSettings(epochs)
    return pop, table, lr, epochs, "article", None


def kernel_against(path: str, runs: int, turns: int = 16) -> str:
    """This checkout's fused kernel against the one in ``path``, alternating in one process."""
    from xorsweep.training import fused

    spec = importlib.util.spec_from_file_location("xorsweep.fused_other", path)
    other = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = other  # numba's cache finds its functions by module name
    spec.loader.exec_module(other)
    pop, table, lr = xs.init_population(runs, hidden_std=1.0, seed=0), xs.xor(), np.full(runs, 0.1)
    times: dict[object, list[float]] = {fused: [], other: []}
    for module in times:
        module.train_block(*_block_args(module, pop[:64], table, lr[:64], 2))  # compile or load
    for turn in range(turns):
        for module in (fused, other) if turn % 2 else (other, fused):
            args = _block_args(module, pop, table, lr, 1000)
            times[module].append(cpu_seconds(module.train_block, *args))
    ours, theirs = statistics.median(times[fused]), statistics.median(times[other])
    rate = runs * 1000 / 1e6
    return (
        f"fused kernel, {runs:,} runs, 1,000 epochs, {turns} alternating turns: this checkout "
        f"{rate / ours:.1f} M net-epochs/s, {path} {rate / theirs:.1f} M "
        f"(time ratio {ours / theirs:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000, help="networks")
    parser.add_argument("--start", type=int, default=1_000, help="epochs of the state")
    parser.add_argument("--epochs", type=int, default=2_000, help="epochs trained on")
    parser.add_argument("--repeats", type=int, default=5, help="turns (median)")
    parser.add_argument("--engines", nargs="+", default=["numba", "numpy"])
    parser.add_argument("--quick", action="store_true", help="2,000 runs, 1,000 epochs, 3 turns")
    parser.add_argument("--kernel-against", metavar="FILE", help="another fused.py to time against")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.epochs, args.repeats = 2_000, 1_000, 3
    cpu = pin_to_one_core()
    print(f"# xorsweep {xs.__version__}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# pinned to CPU {cpu}, load average {os.getloadavg()[0]:.2f}, CPU time per call")
    print("\n".join(describe_cpu()))
    print(
        f"# {args.runs:,} runs, state at {args.start:,} epochs, {args.epochs:,} epochs on; "
        f"medians of {args.repeats}\n"
    )
    print(
        "| engine | train (s) | M net-epochs/s | train_on | train_on x10 | continue_runs "
        "| continue_runs from a sweep |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for engine in args.engines:
        t = time_engine(engine, args.runs, args.start, args.epochs, args.repeats)
        base, whole = t["train"], t["train, sweep's epochs too"]
        rate = args.runs * args.epochs / base / 1e6
        print(
            f"| {engine} | {base:.3f} | {rate:.1f} | {t['train_on'] / base:.3f} "
            f"| {t['train_on x10'] / base:.3f} | {t['continue_runs'] / base:.3f} "
            f"| {t['continue_runs from a sweep'] / whole:.3f} |"
        )
    print(
        "\nRatios: time over train's time for as many epochs (continue_runs from a sweep: "
        "over train of the sweep's epochs plus those trained on)."
    )
    if args.kernel_against:
        print(kernel_against(args.kernel_against, args.runs))


if __name__ == "__main__":
    main()
