"""The ``xorsweep`` command line: the only place that prints.

Each subcommand has an ``_add_<name>(subparsers)`` function that declares its
options and sets ``func`` to the function that runs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="xorsweep",
        description="Train populations of XOR networks and study the initial weights' std.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


_SUBCOMMANDS: list = []


def _add_sweep(subparsers: argparse._SubParsersAction) -> None:
    import math

    from .training import DEFAULT_BLOCK, UPDATES

    parser = subparsers.add_parser(
        "sweep",
        help="train many networks at every point of a grid of stds into a results store",
        description=(
            "Train RUNS networks at each of POINTS hidden-layer stds, log-spaced from STD_MIN "
            "to STD_MAX, and write their losses into the Zarr store STORE. The defaults are the "
            "article's sweep (its 400 points exp(linspace(-3, 4, 400)), output std 0.8165, "
            "lr 0.1, 10,000 epochs), with 10 runs per point (--runs 10000 is the article's "
            "4 million runs). Re-running the same command resumes an interrupted sweep; a "
            "larger --runs adds runs to the store. A store of another configuration is refused."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        required=True,
        default=argparse.SUPPRESS,
        help="results directory (created if missing)",
    )
    parser.add_argument("--runs", type=int, default=10, help="runs per grid point")
    parser.add_argument("--points", type=int, default=400, help="number of hidden-layer stds")
    parser.add_argument(
        "--std-min", type=float, default=math.exp(-3.0), help="smallest hidden std (e^-3)"
    )
    parser.add_argument(
        "--std-max", type=float, default=math.exp(4.0), help="largest hidden std (e^4)"
    )
    parser.add_argument("--output-std", type=float, default=0.8165, help="output-layer std")
    parser.add_argument("--epochs", type=int, default=10_000, help="gradient steps per run")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="root seed of every run")
    parser.add_argument(
        "--update", default="article", choices=UPDATES, help="order of the layers' updates"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=argparse.SUPPRESS,
        help="local worker processes (default: every CPU this process may use)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=argparse.SUPPRESS,
        help="run the blocks on this Dask scheduler, e.g. tcp://10.0.0.1:8786, instead of "
        "local processes (default: local)",
    )
    parser.add_argument(
        "--total-runs",
        type=int,
        metavar="T",
        default=argparse.SUPPRESS,
        help="then add runs where the relative error of the mean loss is largest "
        "(xorsweep.allocate) until the store holds T runs (default: no such runs)",
    )
    parser.add_argument(
        "--block-size", type=int, default=DEFAULT_BLOCK, help="runs per block at most"
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.set_defaults(func=_run_sweep)


def _run_sweep(args: argparse.Namespace) -> int:
    from .sweep import SweepConfig, article_grid, run_sweep

    config = SweepConfig(
        hidden_std=article_grid(args.points, args.std_min, args.std_max),
        output_std=args.output_std,
        lr=args.lr,
        epochs=args.epochs,
        seed=args.seed,
        update=args.update,
    )
    workers = getattr(args, "workers", None)
    scheduler = getattr(args, "scheduler", None)
    client = None
    if scheduler is not None:
        if workers is not None:
            raise ValueError("give --workers (local processes) or --scheduler (Dask), not both")
        from distributed import Client

        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise ValueError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        _, report = run_sweep(
            config,
            args.runs,
            store=args.store,
            workers=workers,
            client=client,
            progress=not args.no_progress,
            block_size=args.block_size,
            total_runs=getattr(args, "total_runs", None),
        )
    except KeyboardInterrupt:
        print(
            f"interrupted: the finished blocks are in {args.store}; run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 130
    finally:
        if client is not None:
            client.close()
    if report.runs:
        print(
            f"{args.store}: computed {report.runs:,} runs in {report.blocks:,} blocks in "
            f"{report.seconds:.1f} s ({report.net_epochs_per_second:.3g} net-epochs/s); "
            f"the store holds {report.present:,} runs"
        )
    else:
        print(f"{args.store}: nothing to compute; the store holds {report.present:,} runs")
    return 0


_SUBCOMMANDS.append(_add_sweep)


#: Formats of ``xorsweep figures``; the same as ``xorsweep.plots.FORMATS`` (kept here so
#: that building the parser does not import matplotlib).
_FIGURE_FORMATS = ("png", "svg", "pdf")


def _add_figures(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "figures",
        help="draw the article's eight figures and two more from a sweep's results",
        description=(
            "Draw the ten figures from the results in STORE and write them into DIR as "
            "fig01_xor_boundaries ... fig10_converged_epoch. Figures 1 to 7 train a few "
            "example networks (seeded); figures 8 to 10 summarise the sweep."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("store", metavar="STORE", help="results written by `xorsweep sweep`")
    parser.add_argument(
        "--out", metavar="DIR", required=True, help="directory for the figures (created if missing)"
    )
    parser.add_argument(
        "--format", default="png", choices=_FIGURE_FORMATS, help="file format of the figures"
    )
    parser.add_argument(
        "--dpi", type=int, default=150, help="resolution of PNG files, dots per inch"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the example networks of figures 1 and 5 to 7"
    )
    parser.set_defaults(func=_run_figures)


def _run_figures(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import plots
    from .store import open_results

    fmt = plots.check_format(args.format)
    if args.dpi < 10:
        raise ValueError(f"--dpi must be an integer >= 10, got {args.dpi}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} exists and is not a directory")
    data = plots.figure_data(open_results(args.store), seed=args.seed)
    for note in data.notes:
        print(f"note: {note}")
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in plots.article_figures(data).items():
        path = out / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, dpi=args.dpi)
        print(f"wrote {path}")
    return 0


_SUBCOMMANDS.append(_add_figures)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileExistsError, FileNotFoundError) as exc:
        print(f"xorsweep {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
