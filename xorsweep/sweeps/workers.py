"""A sweep's local worker processes: fresh Pythons that train blocks sent over pipes.

A worker is ``sys.executable`` running :func:`serve` with the caller's import
path. It imports only what a block's computation needs
(:mod:`xorsweep.sweeps.tasks`: NumPy, numba and the core modules; not SciPy,
which numba would load, see :data:`KEPT_OUT`), trains the
warm-up block it is sent first (one network of the sweep for one epoch, which
compiles or loads the sweep's engine once), says it is ready, then reads blocks
(:class:`~xorsweep.sweeps.tasks.BlockTask`) from its standard input and
writes their results to its standard output, each message a pickle after its
length. It never imports the caller's main module:
a sweep runs the same from a script with or without ``if __name__ ==
"__main__":``, from ``python -c``, from code on standard input, from IPython or
Jupyter. It has one BLAS thread, ignores Ctrl-C (the sweep's process stops
it) and leaves as soon as its input closes: when the sweep is over, and when
the sweep's process ends, however it ends.

Only the standard library's public interfaces are used (``subprocess``,
``pickle``, ``threading``): no ``multiprocessing``, whose start methods
re-run the main module in every worker and whose semaphores outlive a killed
process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, BinaryIO

__all__ = ["LocalWorkers", "serve"]

#: Environment variables that make BLAS and OpenMP single-threaded in worker processes.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: What a worker runs, with the caller's ``sys.path`` as its arguments.
_BOOT = "import sys; sys.path[:] = sys.argv[1:]; from xorsweep.sweeps.workers import serve; serve()"

#: Packages a worker keeps out while it starts (their imports fail): numba imports SciPy
#: where it can, to check its version and (``scipy.linalg``) for BLAS that only its
#: ``np.correlate`` and ``np.convolve`` would use, none of which the kernels call: 157 modules,
#: about 0.2 s and 10 MiB of each worker's own memory (BENCHMARKS.md). Later imports load them.
KEPT_OUT = ("scipy",)

#: Seconds the workers may take to be ready before the sweep computes in its own process.
START_TIMEOUT = 60.0

#: Blocks sent ahead to each worker, so that it never waits for its next one.
_AHEAD = 2

#: A message's length, before its pickle.
_HEADER = struct.Struct("<Q")

#: Said when a worker process ends in the middle of a sweep.
ENDED = (
    "a worker process of the sweep ended abruptly ({how}; killed, or out of memory). With a "
    "store, the blocks already finished are kept: the same call resumes."
)


def _send(stream: BinaryIO, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    """The next message of ``stream``; EOFError where it ends."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` with the worker's traceback as a note, or a RuntimeError if it cannot be pickled."""
    where = "in a worker process of the sweep:\n" + "".join(traceback.format_exception(exc))
    exc.add_note(where.rstrip())
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(where)
    return exc


# ---------------------------------------------------------------------------
# In the worker
# ---------------------------------------------------------------------------


def _warm_up(task: Any = None) -> None:
    """Compute ``task``, a block of one network for one epoch (by default an article's
    network): a worker is then ready in milliseconds for a block of the same sweep."""
    import numpy as np

    from .tasks import compute_block, task_of_points

    if task is None:
        one, start = np.ones(1), np.zeros(1, dtype=np.int64)
        task = task_of_points(one, one, one / 10, start, start + 1, epochs=1)
    compute_block(task)


@contextlib.contextmanager
def _kept_out(names: Iterable[str]) -> Iterator[None]:
    """Within the block, importing any of ``names`` not yet imported raises ImportError."""
    absent = [name for name in names if name not in sys.modules]
    sys.modules.update(dict.fromkeys(absent))  # None: "not importable", to the import system
    try:
        yield
    finally:
        for name in absent:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def _start_up(stream: BinaryIO) -> None:
    """What a worker does before it is ready: import a block's computation (without
    :data:`KEPT_OUT`), then compute the warm-up block read from ``stream`` (see
    :func:`_warm_up`)."""
    with _kept_out(KEPT_OUT):
        from . import tasks  # noqa: F401

        _warm_up(_receive(stream))


def _read_until_closed(stream: BinaryIO, tasks: queue.SimpleQueue) -> None:
    """Queue the blocks received; end the process when the input closes."""
    while True:
        try:
            tasks.put(_receive(stream))
        except Exception:  # closed (the sweep is over, or its process ended), or broken
            os._exit(0)


def serve() -> None:
    """A worker's life: warm up, say so, then compute each block received until the input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the sweep's process
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints: stderr, not the results
    try:
        _start_up(sys.stdin.buffer)
        from .tasks import compute_block

        _send(results, ("ready", os.getpid()))
        tasks: queue.SimpleQueue = queue.SimpleQueue()
        reader = threading.Thread(target=_read_until_closed, args=(sys.stdin.buffer, tasks))
        reader.daemon = True
        reader.start()
        while True:
            task = tasks.get()
            try:
                message = ("done", compute_block(task))
            except Exception as exc:
                message = ("error", _portable(exc))
            _send(results, message)
    except OSError:  # the sweep's process is gone
        os._exit(1)
    except Exception as exc:  # could not start: the sweep says why and computes itself
        with contextlib.suppress(OSError):
            _send(results, ("error", _portable(exc)))


# ---------------------------------------------------------------------------
# In the sweep's process
# ---------------------------------------------------------------------------


class LocalWorkers:
    """``processes`` worker processes for a sweep; a context manager that stops them.

    :meth:`start` starts them without waiting (they get ready while the caller
    does something else: each computes ``warm_up``, a one-network
    :class:`~xorsweep.sweeps.tasks.BlockTask`, or by default an article's
    network), :meth:`ready` waits for them, :meth:`results` has them compute.
    If they cannot start, a RuntimeWarning says why, once, before any block
    is computed, and :meth:`ready` is False: the caller then computes in its
    own process.
    """

    def __init__(self, processes: int, warm_up: Any = None):
        self.processes = processes
        self.warm_up = warm_up
        self.failure: str | None = None  # why the workers could not start
        self._procs: list[subprocess.Popen] = []
        self._listeners: list[threading.Thread] = []
        self._events: queue.SimpleQueue = queue.SimpleQueue()  # (worker, message or None)
        self._state = "new"  # then "starting", "ready", "failed" or "closed"

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> None:
        """Start the processes (once), without waiting for them."""
        if self._state != "new":
            return
        self._state = "starting"
        if not sys.executable:
            self._fail("this Python does not know its executable: sys.executable is empty")
            return
        env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, "1")}
        command = [sys.executable, "-c", _BOOT, *map(str, sys.path)]
        for index in range(self.processes):
            try:
                proc = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
                )
            except OSError as exc:
                self._fail(f"{sys.executable}: {exc.strerror or exc}")
                return
            self._procs.append(proc)
            with contextlib.suppress(OSError):  # if it ended already, ready() says how
                _send(proc.stdin, self.warm_up)
            listener = threading.Thread(target=self._listen, args=(index, proc.stdout))
            listener.daemon = True
            listener.start()
            self._listeners.append(listener)

    def _listen(self, index: int, stream: BinaryIO) -> None:
        with stream:
            while True:
                try:
                    message = _receive(stream)
                except Exception:  # the process ended (or garbled its output)
                    message = None
                self._events.put((index, message))
                if message is None:
                    return

    def ready(self) -> bool:
        """Start the workers if need be and wait until each is ready (or could not start)."""
        self.start()
        waiting = set(range(len(self._procs)))
        deadline = time.monotonic() + START_TIMEOUT
        while self._state == "starting" and waiting:
            try:
                index, message = self._events.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                self._fail(f"none was ready after {START_TIMEOUT:g} s")
                break
            if message is None:
                self._fail(f"one ended before it was ready, {self._how_ended(index)}")
            elif message[0] == "error":
                self._fail(f"{type(message[1]).__name__}: {message[1]}")
            else:
                waiting.discard(index)
        if self._state == "starting":
            self._state = "ready"
        return self._state == "ready"

    def _fail(self, reason: str) -> None:
        self.close(kill=True)
        self._state = "failed"
        self.failure = reason
        warnings.warn(
            f"the sweep's local worker processes could not start ({reason}); computing in "
            "this process instead, as with workers=1",
            RuntimeWarning,
            stacklevel=1,
        )

    def _how_ended(self, index: int) -> str:
        try:
            code = self._procs[index].wait(timeout=10)
        except subprocess.TimeoutExpired:
            return "its output closed"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def results(self, jobs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, dict]]:
        """Compute ``(key, task)`` jobs on the ready workers; yields ``(key, result)`` as
        they finish (see :func:`xorsweep.sweeps.tasks.compute_block`).

        Raises RuntimeError if a worker ends, or what a block's computation
        raised; then, and if the caller stops early, every worker is killed.
        """
        if self._state != "ready":
            raise RuntimeError("the workers are not ready: call ready() first")
        todo = iter(jobs)
        sent: list[deque] = [deque() for _ in self._procs]

        def send(index: int) -> None:
            for key, task in islice(todo, 1):
                try:
                    _send(self._procs[index].stdin, task)
                except OSError:
                    raise RuntimeError(ENDED.format(how=self._how_ended(index))) from None
                sent[index].append(key)

        try:
            for index in range(len(self._procs)):
                for _ in range(_AHEAD):
                    send(index)
            while any(sent):
                index, message = self._events.get()
                if message is None:
                    raise RuntimeError(ENDED.format(how=self._how_ended(index)))
                if message[0] == "error":
                    raise message[1]
                key = sent[index].popleft()
                send(index)
                yield key, message[1]
        except BaseException:
            self.close(kill=True)
            raise

    def close(self, kill: bool = False) -> None:
        """Stop the workers: close their input (they leave at once) or kill them, and wait.

        Workers not yet ready are killed: they would finish warming up first.
        """
        kill = kill or self._state == "starting"
        procs, self._procs = self._procs, []
        for proc in procs:
            if kill:
                proc.kill()
            with contextlib.suppress(OSError):
                proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a worker that hangs
                proc.kill()
                proc.wait()
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.join(timeout=10)
        if self._state in ("starting", "ready"):
            self._state = "closed"
