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
