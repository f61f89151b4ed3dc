"""``xorsweep continue``: train chosen runs of a sweep on, much longer, into a store.

The options are :func:`xorsweep.continue_runs`'s. Before it starts, one line
says how many runs it trains over how many epochs and about how long that takes
on this machine (a probe timed just now); an interrupted continuation keeps its
finished blocks, and the same command goes on from them.
"""

from __future__ import annotations

import argparse
import sys

from .options import EXIT, add_max_hours, add_yes, command, confirm, integer

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``continue`` and its options."""
    from ..sweeps.continuation import SELECTIONS
    from ..training.settings import ENGINES
    from ..training.trainer import DEFAULT_BLOCK

    parser = command(
        subparsers,
        "continue",
        help="train chosen runs of a sweep on to a later epoch, into a store",
        description=(
            "Rebuild the runs of RESULTS (a store of `xorsweep sweep`, or of an earlier "
            "`xorsweep continue`, which goes on from the state it holds) chosen by --select, "
            "train them on to --epochs and write them into the store --store, with the "
            "state to go on from (xorsweep.continue_runs). Before starting, it says the work in "
            "network-epochs and about how long it takes, and refuses what would take longer "
            "than --max-hours. Interrupted, it keeps the blocks it finished: the same command "
            f"goes on from them, to the same numbers. {EXIT}"
        ),
    )
    parser.add_argument("results", metavar="RESULTS", help="a sweep's or a continuation's store")
    parser.add_argument(
        "--epochs",
        type=integer,
        required=True,
        default=argparse.SUPPRESS,
        help="the epoch to train to, more than RESULTS have trained",
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        required=True,
        default=argparse.SUPPRESS,
        help="the continued runs' store (a new or empty directory)",
    )
    parser.add_argument(
        "--select", default="unconverged", choices=SELECTIONS, help="which runs to train on"
    )
    parser.add_argument(
        "--runs-per-std",
        type=integer,
        default=None,
        help="at most this many of the selected runs per hidden std (and setting), drawn with "
        "--seed (default: all)",
    )
    parser.add_argument("--seed", type=integer, default=0, help="seed of that draw")
    parser.add_argument(
        "--engine",
        default="auto",
        choices=ENGINES,
        help="the training engine; auto: the one that computed RESULTS",
    )
    parser.add_argument("--block-size", type=integer, default=DEFAULT_BLOCK, help="runs per block")
    add_max_hours(parser, "continuation")
    add_yes(parser)
    parser.set_defaults(func=run)


def _estimate(work: dict, max_hours: float) -> float:
    """Seconds ``work`` (:func:`~xorsweep.sweeps.continuation.continuation_work`) takes on
    one core, by a probe timed now; refused over ``max_hours``."""
    from ..sweeps import budget
    from ..sweeps.config import SweepConfig

    if not max_hours > 0:
        raise ValueError(f"--max-hours must be a number > 0, got {max_hours}")
    speed = budget.probe_speed(SweepConfig(hidden_std=[1.0], engine=work["engine"]))
    seconds = work["network_epochs"] * speed.per_net_epoch
    if seconds > max_hours * 3600:
        raise ValueError(
            f"the continuation would take about {budget.format_hours(seconds)}, more than "
            f"--max-hours {max_hours:g}: choose fewer runs (--runs-per-std) or epochs, or raise "
            "--max-hours"
        )
    return seconds


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep continue``; returns the exit status."""
    from .._core import outputs
    from .._core.interrupts import sigterm_as_interrupt
    from ..sweeps.budget import format_hours
    from ..sweeps.continuation import continuation_work, continue_runs

    options = {
        "select": args.select,
        "runs_per_std": args.runs_per_std,
        "seed": args.seed,
        "engine": args.engine,
    }
    outputs.writable_directory(args.store, "--store")
    work = continuation_work(args.results, args.epochs, **options)
    seconds = _estimate(work, args.max_hours)
    print(
        f"{args.store}: {work['runs']:,} runs from epoch {work['first_epoch']:,} to "
        f"{work['epochs']:,} = {work['network_epochs']:.3g} network-epochs to compute "
        f"(the {work['engine']} engine), about {format_hours(seconds)} on one core"
    )
    if not confirm(seconds, args):
        print(f"not started; {args.store} is as it was", file=sys.stderr)
        return 1
    try:
        with sigterm_as_interrupt():  # SIGTERM keeps the finished blocks as Ctrl-C does
            out = continue_runs(
                args.results, args.epochs, store=args.store, block_size=args.block_size, **options
            )
    except KeyboardInterrupt:
        print(
            f"interrupted: the finished blocks wait beside {args.store}; run the same command "
            "again to go on from them",
            file=sys.stderr,
        )
        return 130
    converged = int(out.converged.sum())
    print(
        f"{args.store}: {out.sizes['run']:,} runs trained to epoch {out.attrs['epochs']:,}; "
        f"{converged:,} of them converged"
    )
    return 0
