"""Options and checks that several subcommands share.

A subcommand's module declares its own options; those that more than one
command takes (how a sweep runs, the slice of a store, the fit's window) and
the parsing of integers and stds live here, once.
"""

from __future__ import annotations

import argparse
import math
import sys

from ..model.network import ARTICLE_OUTPUT_STD
from ..training.engines import ENGINES
from ..training.settings import PRECISIONS
from ..training.trainer import ARTICLE_EPOCHS, ARTICLE_LR

__all__ = [
    "ARTICLE",
    "DPI",
    "EXIT",
    "MAX_HOURS",
    "MAX_STD",
    "SATURATED_STD",
    "add_execution",
    "add_level",
    "add_max_hours",
    "add_select",
    "check_std",
    "command",
    "confirm",
    "integer",
    "stages_line",
]

#: A larger std can draw initial weights that overflow float64 (from about 1e307 on).
MAX_STD = 1e300
#: From about this std up the sigmoids start saturated, and results stop changing with the
#: std (512 networks trained 2,000 epochs at stds 1e6 to 1e19 score as at 1e300, bit for bit).
SATURATED_STD = 1e6
#: ``--max-hours``'s default: the longest sweep run without asking for more.
MAX_HOURS = 24.0
#: A command estimated to take longer asks before it starts, on a terminal (``--yes``: not).
CONFIRM_HOURS = 1.0
#: Said in the description of every command that computes.
EXIT = "Exit status 2, with one line why: bad input, unwritable path, too little memory or disk."
#: What ``--engine`` chooses (:mod:`xorsweep.training.engines`).
_ENGINE = (
    "training engine: numba (a fused compiled kernel, several times faster), numpy (the "
    "exactness anchor; they agree to about 1e-12), or auto: numba where it compiles, else numpy "
    "with a warning. A store is resumed with the engine that made it; another is refused"
)
#: Resolution of PNG figures, dots per inch (``figures --dpi``, and ``reproduce``).
DPI = 150
#: The article's training, as the descriptions say it.
ARTICLE = f"output std {ARTICLE_OUTPUT_STD:g}, lr {ARTICLE_LR:g}, {ARTICLE_EPOCHS:,} epochs"


def command(
    subparsers: argparse._SubParsersAction, name: str, **text: str
) -> argparse.ArgumentParser:
    """A subcommand's parser (``text``: its help and description), showing every default."""
    formatter = argparse.ArgumentDefaultsHelpFormatter
    return subparsers.add_parser(name, formatter_class=formatter, **text)


def integer(text: str) -> int:
    """An integer option, written as 10000, 10_000 or 1e4 (a whole number)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"invalid integer: {text!r}")
    return int(value)


def add_execution(parser: argparse.ArgumentParser, max_hours: float | str = MAX_HOURS) -> None:
    """Where, how and how long a sweep runs: options of ``sweep`` and ``reproduce``
    (``max_hours``: ``--max-hours``'s default; ``argparse.SUPPRESS`` to tell it given)."""
    parser.add_argument("--engine", default="auto", choices=ENGINES, help=_ENGINE)
    parser.add_argument(
        "--precision",
        default="float64",
        choices=PRECISIONS,
        help="the numba engine's arithmetic: float64 (the article's) or float32 (about twice as "
        "fast, within float32's rounding; not with --engine numpy). A store keeps its own",
    )
    parser.add_argument(
        "--workers",
        type=integer,
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
    add_max_hours(parser, "sweep", max_hours)
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    add_yes(parser)


def add_max_hours(
    parser: argparse.ArgumentParser, what: str, default: float | str = MAX_HOURS
) -> None:
    """``--max-hours``: refuse a ``what`` ("sweep", "continuation") estimated longer."""
    parser.add_argument(
        "--max-hours",
        type=float,
        default=default,
        metavar="H",
        help=f"refuse a {what} whose estimated compute time is longer (the estimate, from a "
        f"short timed training, is printed before the {what} starts; 'inf' for no limit)",
    )


def add_yes(parser: argparse.ArgumentParser) -> None:
    """``--yes``: start a run estimated over :data:`CONFIRM_HOURS` without asking."""
    parser.add_argument(
        "--yes",
        action="store_true",
        help=f"start a run estimated over {CONFIRM_HOURS:g} hour without asking (it asks only "
        "when standard input is a terminal; elsewhere, as in a batch job, it starts and says so)",
    )


def stages_line(seconds: dict[str, float]) -> str:
    """The stages of a long command and their estimated times, in one line."""
    from ..sweeps.budget import format_hours

    each = ", ".join(f"{name} ~{format_hours(s)}" for name, s in seconds.items())
    return f"stages: {each}; about {format_hours(sum(seconds.values()))} in all"


def confirm(seconds: float, args: argparse.Namespace) -> bool:
    """Whether to start a run estimated at ``seconds``: yes up to :data:`CONFIRM_HOURS`,
    with ``--yes``, or when standard input is not a terminal (said on standard error);
    else the answer to a question on the terminal."""
    from ..sweeps.budget import format_hours

    if seconds <= CONFIRM_HOURS * 3600 or getattr(args, "yes", False):
        return True
    long = f"this run takes about {format_hours(seconds)}"
    if not sys.stdin.isatty():
        print(f"note: {long}; starting without asking (no terminal)", file=sys.stderr)
        return True
    print(f"{long} (estimated just now); start it? [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def add_select(parser: argparse.ArgumentParser, what: str) -> None:
    """``--select DIM=VALUE``: the slice of a store with extra dimensions to ``what``."""
    parser.add_argument(
        "--select",
        metavar="DIM=VALUE",
        action="append",
        default=argparse.SUPPRESS,
        help=f"for a store with output_std or lr dimensions: the slice to {what}, e.g. "
        f"--select output_std={ARTICLE_OUTPUT_STD:g} (repeat for each dimension; the nearest "
        "stored value, which must agree to 1e-6) (default: none)",
    )


def add_level(parser: argparse.ArgumentParser, default: float | str | None = None) -> None:
    """``--level``: the fit's window, as a fraction of the minimum (``default``: the
    analysis's, or ``argparse.SUPPRESS`` to tell it given)."""
    from ..studies.article.plan import ANALYSIS_DEFAULTS

    parser.add_argument(
        "--level",
        type=float,
        default=ANALYSIS_DEFAULTS["level"] if default is None else default,
        help="fit window: points whose smoothed mean is within this fraction of the minimum "
        "(a failed fit may suggest a larger or smaller one)"
        + (f" (default: {ANALYSIS_DEFAULTS['level']:g})" if default == argparse.SUPPRESS else ""),
    )


def check_std(value: float, option: str) -> None:
    """Refuse a std that can overflow; say so when it is past saturation."""
    if value > MAX_STD:
        raise ValueError(
            f"{option} must be at most {MAX_STD:g} (a larger std can draw initial weights "
            f"that overflow float64), got {value:g}"
        )
    if value >= SATURATED_STD:
        print(
            f"note: {option} {value:g}: from a std of about {SATURATED_STD:g} up the sigmoids "
            "start saturated, and the results no longer change with the std"
        )
