"""``xorsweep sweep``: train a grid of stds into a results store.

:func:`sweep_into` runs any sweep configuration into a store with the
command line's checks, estimate and messages (:func:`announced`), through which
``reproduce`` runs the article's study too.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model.network import ARTICLE_OUTPUT_STD
from ..training.trainer import ARTICLE_EPOCHS, ARTICLE_LR
from . import axes
from .axes import LIST_HELP, RANGE_HELP
from .options import (
    ARTICLE,
    EXIT,
    SATURATED_STD,
    add_execution,
    check_std,
    command,
    confirm,
    integer,
    stages_line,
)
from .tables import DATA_HELP, read_table

__all__ = ["add", "announced", "budgets", "run", "sweep_into"]


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``sweep`` and its options."""
    from ..training.trainer import DEFAULT_BLOCK, UPDATES

    parser = command(
        subparsers,
        "sweep",
        help="train many networks at every point of a grid of stds into a results store",
        description=(
            "Train RUNS networks at each of POINTS hidden-layer stds, log-spaced from STD_MIN "
            "to STD_MAX, and write their losses into the Zarr store STORE. The defaults are the "
            f"article's sweep (its 400 points exp(linspace(-3, 4, 400)), {ARTICLE}), with 10 "
            "runs per point (--runs 10000 is the article's 4 million runs). Re-running the "
            "same command resumes an interrupted sweep; a larger --runs adds runs to the "
            "store. A store of another configuration is refused. Before starting, the sweep "
            "prints its work in network-epochs and about how long it takes, and refuses what "
            "would take longer than --max-hours, what would not fit on the disk, and what this "
            "machine could not hold in memory or read back to fit (xorsweep fit reads the "
            "whole store into memory). Stds are at most 1e300 (larger "
            f"ones can overflow); from about {SATURATED_STD:g} up, results no longer change "
            f"with the std (the sigmoids start saturated). {EXIT}"
        ),
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        required=True,
        default=argparse.SUPPRESS,
        help="results directory (created if missing)",
    )
    parser.add_argument("--runs", type=integer, default=10, help="runs per grid point")
    parser.add_argument("--points", type=integer, default=400, help="number of hidden-layer stds")
    parser.add_argument(
        "--std-min", type=float, default=math.exp(-3.0), help="smallest hidden std (e^-3)"
    )
    parser.add_argument(
        "--std-max", type=float, default=math.exp(4.0), help="largest hidden std (e^4)"
    )
    _add_axes(parser)
    parser.add_argument(
        "--epochs", type=integer, default=ARTICLE_EPOCHS, help="gradient steps per run"
    )
    parser.add_argument(
        "--budgets",
        metavar="EPOCHS",
        default=None,
        help="also score every run as if trained for each of these epochs, a comma-separated "
        "list rising from 1 to --epochs (e.g. 1000,2000,5000; xorsweep.at_budget reads them)",
    )
    parser.add_argument("--seed", type=integer, default=0, help="root seed of every run")
    parser.add_argument(
        "--update", default="article", choices=UPDATES, help="order of the layers' updates"
    )
    parser.add_argument(
        "--total-runs",
        type=integer,
        metavar="T",
        default=argparse.SUPPRESS,
        help="then add runs where the relative error of the mean loss is largest "
        "(xorsweep.allocate) until the store holds T runs (default: no such runs)",
    )
    parser.add_argument(
        "--block-size", type=integer, default=DEFAULT_BLOCK, help="target runs per block"
    )
    add_execution(parser)
    parser.set_defaults(func=run)


def _add_axes(parser: argparse.ArgumentParser) -> None:
    """The study's options besides the hidden std: each one value, or a list (a dimension)."""
    from ..model.activations import ACTIVATIONS, GRADIENTS
    from ..model.network import BIASES, MAX_HIDDEN
    from ..training.optimizers import OPTIMIZERS

    def listed(example: str) -> str:
        return LIST_HELP.format(example=example)

    parser.add_argument(
        "--output-std",
        metavar="STD",
        default=ARTICLE_OUTPUT_STD,
        help=f"output-layer std: {listed('0.5,0.8165,1')}, {RANGE_HELP} (e.g. 0.05:50:30), "
        "or glorot: sqrt(2 / (hidden + outputs)) for each width",
    )
    parser.add_argument(
        "--lr",
        default=ARTICLE_LR,
        help=f"learning rate: {listed('0.05,0.1,0.2')}, or {RANGE_HELP}",
    )
    parser.add_argument(
        "--hidden",
        metavar="WIDTH",
        default="2",
        help=f"hidden units, 1 to {MAX_HIDDEN}: {listed('2,4,8')}",
    )
    for option, allowed, what in (
        ("--activation", ACTIVATIONS, "the hidden layer's activation"),
        ("--gradient", GRADIENTS, "the output error summed or averaged over the samples"),
        ("--bias", BIASES, "initial biases drawn like their layer's weights, or zero"),
        ("--optimizer", OPTIMIZERS, "the optimiser, with PyTorch's defaults"),
    ):
        example = ",".join(allowed)
        help_text = f"{what}, {' or '.join(allowed)}: {listed(example)}"
        parser.add_argument(option, default=allowed[0], help=help_text)
    parser.add_argument("--data", metavar="TABLE", default="xor", help=DATA_HELP)


def _grid(args: argparse.Namespace) -> dict[str, Any]:
    """The sweep's study settings from their options, each checked (one line naming it)."""
    from ..model.activations import ACTIVATIONS, GRADIENTS
    from ..model.network import BIASES
    from ..training.optimizers import OPTIMIZERS
    from ..training.trainer import MAX_LR

    return {
        "output_std": axes.numbers(args.output_std, "--output-std", glorot=True),
        "lr": axes.numbers(args.lr, "--lr", upper=MAX_LR),
        "hidden": axes.widths(args.hidden),
        "activation": axes.names(args.activation, "--activation", ACTIVATIONS),
        "gradient": axes.names(args.gradient, "--gradient", GRADIENTS),
        "bias": axes.names(args.bias, "--bias", BIASES),
        "optimizer": axes.names(args.optimizer, "--optimizer", OPTIMIZERS),
        "data": read_table(args.data),
    }


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep sweep``; returns the exit status."""
    from ..sweeps import budget
    from ..sweeps.config import SweepConfig, article_grid

    grid = _grid(args)
    budget.check_grid(args.points * axes.size(*grid.values()), budget.available_memory())
    for option in ("std_min", "std_max"):
        check_std(getattr(args, option), f"--{option.replace('_', '-')}")
    output_std = grid["output_std"]
    for value in output_std if isinstance(output_std, tuple) else (output_std,):
        if value != axes.GLOROT:
            check_std(value, "--output-std")
    config = SweepConfig(
        hidden_std=article_grid(args.points, args.std_min, args.std_max),
        epochs=args.epochs,
        seed=args.seed,
        update=args.update,
        budgets=budgets(args.budgets, args.epochs),
        **grid,
    )
    return sweep_into(config, args.runs, Path(args.store), args)


def budgets(text: str | None, epochs: int) -> tuple[int, ...] | None:
    """``--budgets``: epochs rising from 1 to ``epochs``, comma-separated; None stays.

    >>> budgets("1000,2000", 5000)
    (1000, 2000)
    >>> budgets("2000,1000", 5000)
    Traceback (most recent call last):
    ...
    ValueError: --budgets must be whole numbers rising from 1 to --epochs 5000, got '2000,1000'
    """
    if text is None:
        return None
    from ..training.settings import check_budgets

    try:
        return check_budgets(tuple(int(item) for item in text.split(",")), epochs)
    except ValueError:
        raise ValueError(
            f"--budgets must be whole numbers rising from 1 to --epochs {epochs}, got {text!r}"
        ) from None


def sweep_into(config: Any, runs: int, path: Path, args: argparse.Namespace) -> int:
    """Run ``config``'s sweep to ``runs`` runs per point into the store ``path`` with the
    command line's estimate, confirmation and messages (:func:`announced`); the exit status."""
    from ..sweeps.run import run_sweep, settle
    from ..training.trainer import DEFAULT_BLOCK

    precision = getattr(args, "precision", config.precision)
    # a store keeps its own engine and precision
    config = settle(replace(config, engine=args.engine, precision=precision), path)

    def work(**execution: Any) -> tuple[Any, None]:
        block_size = getattr(args, "block_size", DEFAULT_BLOCK)
        total_runs = getattr(args, "total_runs", None)
        _, report = run_sweep(
            config, runs, store=path, block_size=block_size, total_runs=total_runs, **execution
        )
        return report, None

    return announced(config, runs, path, args, work)[0]


@contextlib.contextmanager
def _execution(args: argparse.Namespace) -> Iterator[tuple[int | None, Any, int]]:
    """``--workers``, the ``--scheduler``'s client (closed at the end) and how many
    workers they make, each checked."""
    from .._core.checks import check_count
    from ..sweeps.execution import default_workers

    if not args.max_hours > 0:
        raise ValueError(f"--max-hours must be a number > 0, got {args.max_hours}")
    workers = getattr(args, "workers", None)
    scheduler = getattr(args, "scheduler", None)
    if scheduler is None:
        n_workers = default_workers() if workers is None else check_count(workers, "workers")
        yield workers, None, n_workers
        return
    if workers is not None:
        raise ValueError("give --workers (local processes) or --scheduler (Dask), not both")
    from distributed import Client

    try:
        client = Client(scheduler, timeout=30)
    except OSError as exc:
        raise ValueError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        yield None, client, max(1, sum(client.nthreads().values()))
    finally:
        client.close()


def announced(
    config: Any,
    runs: int,
    path: Path,
    args: argparse.Namespace,
    work: Callable[..., tuple[Any, Any]],
    after: dict[str, float] | None = None,
) -> tuple[int, Any]:
    """Say the size and estimate of ``config``'s sweep (settled) to ``runs`` runs per point
    into the store ``path`` (and of the stages ``after`` it, name: seconds), ask before a
    long one (:func:`.options.confirm`), then call ``work(workers=, client=, progress=)``,
    which returns the sweep's report and a value; the exit status and that value."""
    from .._core.checks import check_count
    from .._core.interrupts import sigterm_as_interrupt
    from ..sweeps import budget
    from ..training.trainer import DEFAULT_BLOCK

    runs = check_count(runs, "runs")
    try:
        with _execution(args) as (workers, client, n_workers):
            block = getattr(args, "block_size", DEFAULT_BLOCK)
            total = getattr(args, "total_runs", None)
            said = budget.plan(config, runs, path, n_workers, block, total, args.max_hours)
            seconds = {"sweep": said[1]} if said else {}
            if said:
                print(f"{path}: {said[0]}")
            seconds.update(after or {})
            if after:
                print(stages_line(seconds))
            if not confirm(sum(seconds.values()), args):
                print(f"not started; {path} is as it was", file=sys.stderr)
                return 1, None
            with sigterm_as_interrupt():  # SIGTERM cleans up as Ctrl-C does
                report, value = work(workers=workers, client=client, progress=not args.no_progress)
    except KeyboardInterrupt:
        if Path(path, "zarr.json").is_file():
            said = f"the finished blocks are in {path}; run the same command again to resume"
        else:
            said = f"no store was made at {path}"
        print(f"interrupted: {said}", file=sys.stderr)
        return 130, None
    if report.runs:
        print(
            f"{path}: computed {report.runs:,} runs in {report.blocks:,} blocks in "
            f"{report.seconds:.1f} s ({report.net_epochs_per_second:.3g} net-epochs/s); "
            f"the store holds {report.present:,} runs"
        )
    else:
        print(f"{path}: nothing to compute; the store holds {report.present:,} runs")
    return 0, value
