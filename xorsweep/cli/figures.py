"""``xorsweep figures``: draw the ten figures from a results store.

The figures are drawn into a folder beside ``--out`` and moved into it once all
are drawn (:func:`xorsweep._core.outputs.staged`): a failure leaves ``--out`` as it was.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..analysis.figure_data import FIGURE_NAMES, FORMATS
from .options import DPI, EXIT, add_select, command, integer

__all__ = ["add", "run", "save_figures"]


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``figures`` and its options."""
    parser = command(
        subparsers,
        "figures",
        help="draw the article's eight figures and two more from a sweep's results",
        description=(
            "Draw the ten figures from the results in STORE and write them into DIR as "
            f"{FIGURE_NAMES[0]} ... {FIGURE_NAMES[-1]}. Figures 1 to 7 train a few "
            "example networks (seeded); figures 8 to 10 summarise the sweep. " + EXIT
        ),
    )
    parser.add_argument("store", metavar="STORE", help="results written by `xorsweep sweep`")
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        default=argparse.SUPPRESS,
        help="directory for the figures (created if missing)",
    )
    add_select(parser, "draw")
    parser.add_argument(
        "--format", default="png", choices=FORMATS, help="file format of the figures"
    )
    parser.add_argument(
        "--dpi", type=integer, default=DPI, help="resolution of PNG files, dots per inch"
    )
    parser.add_argument(
        "--seed",
        type=integer,
        default=0,
        help="seed of the example networks of figures 1 and 5 to 7",
    )
    parser.set_defaults(func=run)


def save_figures(data: Any, directory: Path, fmt: str, dpi: int) -> Iterator[Path]:
    """Draw the ten figures of ``data`` (FigureData) into ``directory`` (made if missing)
    as NAME.fmt, yielding each path once it is written."""
    from .._core.outputs import save_figures as save
    from ..plots import article_figures

    yield from save(article_figures(data), directory, fmt, dpi)


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep figures``; returns the exit status."""
    from .._core import outputs
    from .._core.checks import check_count
    from ..analysis.axis import swept_axis
    from ..analysis.figure_data import check_format, figure_data

    fmt = check_format(args.format)
    dpi = check_count(args.dpi, "--dpi", minimum=10)
    out = outputs.writable_directory(args.out, "--out")
    ds = args.read_store(args.store, getattr(args, "select", []))
    output_std = float(ds["output_std"]) if "output_std" in ds.coords else None
    data = figure_data(ds, seed=args.seed, output_std=output_std)
    axis = swept_axis(ds)
    if axis.rule is not None:
        print(
            f"note: figures 8 to 10 are drawn against the {axis.words}; 1 to 7 show the "
            "article's 2-2-1 networks"
        )
    for note in data.notes:
        print(f"note: {note}")
    with outputs.staged(out) as temp:
        names = [path.name for path in save_figures(data, temp, fmt, dpi)]
    for name in names:
        print(f"wrote {out / name}")
    return 0
