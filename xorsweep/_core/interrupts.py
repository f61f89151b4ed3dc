"""Interrupts (Ctrl-C, SIGTERM) that wait for the end of a store operation.

Zarr does its I/O on a thread of its own: a write interrupted in the calling
thread goes on without it, leaves temporary ``*.partial`` files behind and, at
exit, pending tasks that asyncio reports by the thousand. Inside
:func:`deferred`, SIGINT and SIGTERM are only noted, and delivered again to
the handlers in place before once the block ends; the store module runs each
of its operations so (each takes milliseconds). Signals reach only the main
thread, so elsewhere there is nothing to defer.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["Pending", "deferred", "sigterm_as_interrupt", "uninterrupted"]

#: The signals that ask a process to stop and that Python lets a program handle.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))

F = TypeVar("F", bound=Callable[..., Any])


class Pending:
    """The signals noted inside :func:`deferred`, in order; true if there is any."""

    def __init__(self) -> None:
        self.signals: list[int] = []

    def __bool__(self) -> bool:
        return bool(self.signals)

    def note(self, signum: int, frame: Any) -> None:
        if signum not in self.signals:
            self.signals.append(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def deferred() -> Iterator[Pending]:
    """Note SIGINT and SIGTERM inside the block; deliver them when it ends.

    Yields a :class:`Pending` that a long block checks between its steps to
    stop early. A signal ignored or handled outside Python is left alone.
    """
    pending = Pending()
    saved = {}
    if _in_main_thread():
        for signum in _SIGNALS:
            handler = signal.getsignal(signum)
            if handler is not None and handler is not signal.SIG_IGN:
                saved[signum] = signal.signal(signum, pending.note)
    try:
        yield pending
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        for signum in pending.signals:
            signal.raise_signal(signum)  # e.g. KeyboardInterrupt from here, or the end


def uninterrupted(func: F) -> F:
    """Decorator: ``func`` runs inside :func:`deferred`."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with deferred():
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block, SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so that
    the same clean-up runs (instead of the process ending on the spot)."""
    if (
        not _in_main_thread()
        or not hasattr(signal, "SIGTERM")
        or signal.getsignal(signal.SIGTERM) is None  # handled outside Python: leave it
    ):
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    saved = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, saved)
