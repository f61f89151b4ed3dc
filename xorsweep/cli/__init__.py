"""The ``xorsweep`` command line: the only place that prints.

Each subcommand is a module of this package (:mod:`.sweep`, :mod:`.figures`,
:mod:`.fit`, :mod:`.reproduce`) with an ``add(subparsers)`` function that
declares its options and sets ``func`` to its ``run(args)``; options that
several share live in :mod:`.options`, the study axes' values in
:mod:`.axes` and :mod:`.tables` (``--data``), and the text of fits over a
grid in :mod:`.grid_fits`. Output paths are checked writable
(:mod:`xorsweep.outputs`) and a sweep's cost estimated and checked
(:mod:`xorsweep.budget`) before any work starts; a command reads a store
through ``args.read_store`` (:func:`_open`, the one reader); every error is
one line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .._version import VERSION
from . import figures, fit, reproduce, sweep

__all__ = ["build_parser", "main"]

#: The subcommands, in the order ``--help`` lists them.
_SUBCOMMANDS = (sweep, figures, fit, reproduce)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="xorsweep",
        description="Train populations of XOR networks and study the initial weights' std.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    parser.set_defaults(read_store=_open)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for subcommand in _SUBCOMMANDS:
        subcommand.add(subparsers)
    return parser


def _open(path: str, selections: list[str], keep: tuple[str, ...] | None = ()) -> Any:
    """The results at ``path``, the slice ``selections`` chose (dimensions in ``keep``,
    or all if None, may stay); refused if they cannot be read and fitted in memory."""
    from .. import budget
    from ..selection import select_slice
    from ..store import open_results

    budget.check_readable(path, budget.available_memory())
    return select_slice(open_results(path), selections, keep)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as exc:
        message = str(exc)
    except OSError as exc:
        from ..outputs import os_error_line

        message = os_error_line(exc)
    except MemoryError as exc:
        message = f"out of memory: {exc}" if str(exc) else "out of memory"
    except KeyboardInterrupt:  # a sweep says what it kept; elsewhere nothing was written yet
        print(f"xorsweep {args.command}: interrupted", file=sys.stderr)
        return 130
    print(f"xorsweep {args.command}: error: {message}", file=sys.stderr)
    return 2
