"""The ``xorsweep`` command line: the only place that prints.

Each subcommand is a module of this package (:mod:`.sweep`, :mod:`.figures`,
:mod:`.fit`, :mod:`.reproduce`, :mod:`.continuation`) with an ``add(subparsers)`` function that
declares its options and sets ``func`` to its ``run(args)``; options that
several share live in :mod:`.options`, the study axes' values in
:mod:`.axes` and :mod:`.tables` (``--data``), and the text of fits over a
grid in :mod:`.grid_fits`. Output paths are checked writable
(:mod:`xorsweep._core.outputs`) and a sweep's cost estimated and checked
(:mod:`xorsweep.sweeps.budget`) before any work starts; a command reads a store
through ``args.read_store`` (:func:`_open`, the one reader); every error,
a bad option's too, is one line on standard error and exit status 2. A
closed standard output (``xorsweep ... | head -1``) ends the command
quietly with status 141, as a program stopped by SIGPIPE; the first
compilation of the numba kernel is announced on standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from .._version import VERSION
from . import continuation, figures, fit, reproduce, sweep

__all__ = ["BROKEN_PIPE", "build_parser", "main"]

#: Exit status of a command whose standard output was closed (128 + SIGPIPE).
BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (the usage is ``--help``'s)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


#: The subcommands, in the order ``--help`` lists them.
_SUBCOMMANDS = (sweep, figures, fit, reproduce, continuation)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
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
    from ..analysis.selection import select_slice
    from ..sweeps import budget
    from ..sweeps.store import open_results

    budget.check_readable(path, budget.available_memory())
    return select_slice(open_results(path), selections, keep)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        try:
            return _main(argv)
        finally:  # what is still buffered goes now, while a closed pipe can be caught
            sys.stdout.flush()
    except BrokenPipeError:  # the reader left (`| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)  # so that the exit's flush finds no pipe
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE


def _announce(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _main(argv: Sequence[str] | None) -> int:
    from ..training import engines

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    saved, engines.on_compile = engines.on_compile, _announce  # a first compile says so
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        raise
    except (ValueError, TypeError) as exc:
        message = str(exc)
    except OSError as exc:
        from .._core.outputs import os_error_line

        message = os_error_line(exc)
    except MemoryError as exc:
        message = f"out of memory: {exc}" if str(exc) else "out of memory"
    except KeyboardInterrupt:  # a sweep says what it kept; elsewhere nothing was written yet
        print(f"xorsweep {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        engines.on_compile = saved
    print(f"xorsweep {args.command}: error: {message}", file=sys.stderr)
    return 2
