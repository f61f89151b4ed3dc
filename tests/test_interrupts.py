"""Ctrl-C, SIGTERM and SIGKILL at any moment: one line, a resumable store or none, no debris."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import cli
from xorsweep._core.interrupts import deferred
from xorsweep.sweeps.store import read_header

# the command line, with a store whose every write takes 20 ms longer (a slow disk): an
# interrupt then lands inside Zarr's writes, where it used to leave them running
SLOW_CLI = """
import asyncio, signal, sys
import zarr.storage

signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
write = zarr.storage.LocalStore.set


async def slow_write(self, *args, **kwargs):
    await asyncio.sleep(0.02)
    await write(self, *args, **kwargs)


zarr.storage.LocalStore.set = slow_write
from xorsweep.cli import main

sys.exit(main(sys.argv[1:]))
"""

SWEEP = ["--points", "4", "--std-min", "0.25", "--std-max", "4", "--runs", "64"]
SWEEP += ["--epochs", "300", "--block-size", "16", "--workers", "2", "--no-progress"]


def _python(runs=64):
    return xs.sweep(xs.article_grid(4, 0.25, 4.0), runs, epochs=300, workers=1, progress=False)


def _debris(root: Path) -> list[Path]:
    """Temporary directories and files of a store being made or written."""
    made = list(root.glob(".*.creating"))
    return made + [p for p in root.rglob("*") if p.name.endswith(".partial")]


def _finished_markers(store: Path) -> int:
    markers = store / "_filled" / "c"
    if not markers.is_dir():
        return 0
    return sum(1 for p in markers.rglob("*") if p.is_file() and not p.name.endswith(".partial"))


def _wait_for(child, ready, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None and not ready():
        time.sleep(0.001)
    assert child.poll() is None, "the sweep ended before the moment came"


@pytest.mark.parametrize("moment", ["creating the store", "mid-sweep"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_prints_one_line_and_leaves_no_store_or_a_resumable_one(
    tmp_path, signum, moment
):
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), *SWEEP]
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        if moment == "creating the store":
            _wait_for(child, lambda: any(tmp_path.glob(".r.zarr.*.creating")))
        else:
            _wait_for(child, lambda: _finished_markers(store) >= 2)
        workers = psutil.Process(child.pid).children(recursive=True)
        os.kill(child.pid, signum)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 130
    said = out.decode().splitlines()  # only the estimate, printed before any work
    assert len(said) == 1 and said[0].startswith(f"{store}: "), out.decode()
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted: "), err.decode()
    assert not _debris(tmp_path)
    _, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive
    if moment == "creating the store":
        assert lines[0] == f"interrupted: no store was made at {store}"
        assert not store.exists()
    else:
        assert "run the same command again to resume" in lines[0]
        partial = xs.open_results(store)
        present = partial.total_loss.notnull()
        assert 32 <= int(present.sum()) < 256 and int(present.sum()) % 16 == 0
        xr.testing.assert_identical(partial.where(present), _python().where(present))
        assert read_header(store).attrs["compute_seconds"] > 0
    assert cli.main(argv) == 0  # the same command again
    xr.testing.assert_identical(xs.open_results(store), _python())
    assert not _debris(tmp_path)


def test_sigkill_then_resume_leaves_no_warning_and_the_same_results(tmp_path):
    """kill -9 mid-sweep: the workers leave, nothing warns of leaked resources (the
    killed process's stderr is read once every process it started has ended), and the
    same command resumes to the numbers of one uninterrupted sweep."""
    store = tmp_path / "r.zarr"
    argv = [sys.executable, "-m", "xorsweep.cli", "sweep", "--store", str(store), *SWEEP]
    with open(tmp_path / "stderr.txt", "wb") as stderr:
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            _wait_for(child, lambda: _finished_markers(store) >= 1)
            started = psutil.Process(child.pid).children(recursive=True)
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
    _, alive = psutil.wait_procs(started, timeout=20)
    assert not alive
    assert (tmp_path / "stderr.txt").read_text() == ""
    resumed = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0 and resumed.stderr == "", resumed.stderr
    xr.testing.assert_identical(xs.open_results(store), _python())
    assert not _debris(tmp_path)


def test_the_next_sweep_removes_what_killed_store_makings_left(tmp_path):
    """Temporary directories of makings of this store by processes that are gone go;
    those of a live process and of other stores stay."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    tag = "0123456789abcdef" * 2
    left = [f".r.zarr.{gone}.{tag}.creating", f".r.zarr.{tag}.creating"]  # the older name too
    kept = [f".r.zarr.{os.getppid()}.{tag}.creating", f".other.zarr.{gone}.{tag}.creating"]

    def leave(names):
        for name in names:
            (tmp_path / name / "run" / "c").mkdir(parents=True, exist_ok=True)
            (tmp_path / name / "run" / "c" / "0").write_bytes(b"\0" * 64)

    leave(left + kept)
    first = _python(3)
    store = tmp_path / "r.zarr"
    kw = dict(epochs=300, workers=1, progress=False, store=store)
    xr.testing.assert_identical(xs.sweep(xs.article_grid(4, 0.25, 4.0), 3, **kw), first)
    assert [name for name in left + kept if (tmp_path / name).exists()] == kept
    leave(left)  # and when a store is resumed
    xs.sweep(xs.article_grid(4, 0.25, 4.0), 5, **kw)
    assert [name for name in left + kept if (tmp_path / name).exists()] == kept


def test_a_signal_inside_deferred_is_delivered_at_its_end():
    # a process started in the background by a shell ignores SIGINT, which deferred leaves
    # alone: this test is about a SIGINT handled in Python, so it sets Python's handler
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    reached = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with deferred() as pending:
                os.kill(os.getpid(), signal.SIGINT)
                # Python runs the handler in the main thread at its next check: wait for it
                deadline = time.monotonic() + 5.0
                while not pending.signals and time.monotonic() < deadline:
                    time.sleep(0.001)
                assert pending.signals == [signal.SIGINT]
                reached.append(True)
        assert reached and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def _sentinel(signum, frame):  # a handler of the caller's, to find again afterwards
    raise AssertionError("not to be called")


def test_sigterm_raises_keyboard_interrupt_inside_the_block_only():
    from xorsweep._core.interrupts import sigterm_as_interrupt

    saved = signal.signal(signal.SIGTERM, _sentinel)
    try:
        with sigterm_as_interrupt():
            assert signal.getsignal(signal.SIGTERM) is not _sentinel
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is _sentinel
        with pytest.raises(RuntimeError), sigterm_as_interrupt():
            raise RuntimeError("the block fails")
        assert signal.getsignal(signal.SIGTERM) is _sentinel
    finally:
        signal.signal(signal.SIGTERM, saved)


def test_a_sweep_leaves_the_callers_sigterm_handler_in_place(tmp_path):
    saved = signal.signal(signal.SIGTERM, _sentinel)
    try:
        store = tmp_path / "s.zarr"
        args = ["sweep", "--store", str(store), "--points", "2", "--runs", "8"]
        args += ["--epochs", "10", "--workers", "1", "--engine", "numpy", "--no-progress"]
        assert cli.main(args) == 0
        assert signal.getsignal(signal.SIGTERM) is _sentinel
    finally:
        signal.signal(signal.SIGTERM, saved)
