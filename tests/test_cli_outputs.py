"""Output paths are checked before any work; OS and memory errors are one line, exit 2.

Unwritable paths: a read-only directory made here (mode 0o555; as the superuser,
whom permission bits do not bind, also immutable with ``chattr +i``), a path
under a regular file, and a directory given as a file.
"""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import xorsweep as xs
from xorsweep import cli
from xorsweep._core import outputs

SMALL = ["--points", "4", "--std-min", "0.25", "--std-max", "4", "--epochs", "80", "--no-progress"]


def _can_write(directory: Path) -> bool:
    try:
        (directory / "probe").write_text("")
    except OSError:
        return False
    (directory / "probe").unlink()
    return True


@pytest.fixture
def read_only(tmp_path):
    """A directory that this process cannot write in, even as the superuser."""
    path = tmp_path / "read-only"
    path.mkdir()
    path.chmod(0o555)
    immutable = False
    if _can_write(path):  # the superuser ignores the mode: make it immutable
        subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
        immutable = True
    assert not _can_write(path), "could not make a read-only directory"
    yield path
    if immutable:
        subprocess.run(["chattr", "-i", str(path)], check=True, capture_output=True)
    path.chmod(0o755)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("out") / "s.zarr"
    xs.sweep(xs.article_grid(4, 0.25, 4.0), 6, epochs=80, store=path, progress=False, workers=1)
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Counts the calls of the computations that an output check must come before."""
    calls = []
    for module, name in (
        ("xorsweep.analysis.fit", "fit_optimum"),
        ("xorsweep.analysis.figure_data", "figure_data"),
        ("xorsweep.sweeps.run", "run_sweep"),
    ):
        module = importlib.import_module(module)
        real = getattr(module, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def _one_error_line(capsys, command: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"xorsweep {command}: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def test_an_unwritable_store_is_refused_before_training(read_only, no_work, capsys):
    store = read_only / "r.zarr"
    assert cli.main(["sweep", "--store", str(store), "--workers", "1", *SMALL]) == 2
    line = _one_error_line(capsys, "sweep")
    assert f"--store {store}: cannot write in {read_only}" in line
    assert no_work == [] and not store.exists()


def test_a_store_under_a_regular_file_is_refused(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert cli.main(["sweep", "--store", str(a_file / "r.zarr"), *SMALL]) == 2
    line = _one_error_line(capsys, "sweep")
    assert f"{a_file} is a file, not a directory" in line and a_file.read_text() == "x"


def test_figures_refuses_an_unwritable_out_before_drawing(store, read_only, no_work, capsys):
    out = read_only / "figs"
    assert cli.main(["figures", str(store), "--out", str(out)]) == 2
    assert f"--out {out}: cannot write in {read_only}" in _one_error_line(capsys, "figures")
    assert no_work == []


def test_fit_refuses_an_unwritable_json_before_fitting(store, read_only, no_work, capsys):
    path = read_only / "fit.json"
    assert cli.main(["fit", str(store), "--json", str(path), "--n-boot", "50"]) == 2
    assert f"--json {path}: cannot write in {read_only}" in _one_error_line(capsys, "fit")
    assert no_work == []


@pytest.mark.parametrize(
    "where, message",
    [
        ("directory", "is a directory; give a file name"),
        ("missing", "does not exist"),
        ("under a file", "is a file"),
    ],
)
def test_fit_refuses_a_json_path_that_is_no_file(store, tmp_path, no_work, capsys, where, message):
    (tmp_path / "file").write_text("x")
    path = {"directory": tmp_path, "missing": tmp_path / "no" / "f.json"}.get(
        where, tmp_path / "file" / "f.json"
    )
    assert cli.main(["fit", str(store), "--json", str(path)]) == 2
    line = _one_error_line(capsys, "fit")
    assert f"--json {path}" in line and message in line
    assert no_work == []


def test_reproduce_refuses_an_unwritable_out_before_the_sweep(read_only, no_work, capsys):
    out = read_only / "report"
    argv = ["reproduce", "--out", str(out), "--points", "6", "--runs", "4", "--epochs", "50"]
    assert cli.main(argv) == 2
    assert f"--out {out}: cannot write in {read_only}" in _one_error_line(capsys, "reproduce")
    assert no_work == [] and not out.exists()


def test_an_os_error_during_the_work_is_one_line(store, read_only, monkeypatch, capsys):
    """Writing fails after the check (as when a disk fills): the error, the path, exit 2."""
    monkeypatch.setattr(outputs, "writable_file", lambda path, option: Path(path))
    path = read_only / "fit.json"
    assert cli.main(["fit", str(store), "--json", str(path), "--n-boot", "50"]) == 2
    line = _one_error_line(capsys, "fit")
    expected = (os.strerror(1), os.strerror(13))  # immutable as superuser; read-only otherwise
    assert line.endswith(f": {path}") and any(e in line for e in expected), line


def test_a_memory_error_is_one_line_with_the_size(store, monkeypatch, capsys):
    def too_big(*args, **kwargs):
        return np.empty(1 << 50)  # NumPy refuses: "Unable to allocate 8.00 PiB ..."

    monkeypatch.setattr(importlib.import_module("xorsweep.analysis.fit"), "fit_optimum", too_big)
    assert cli.main(["fit", str(store)]) == 2
    line = _one_error_line(capsys, "fit")
    assert "out of memory: Unable to allocate 8.00 PiB for an array" in line


def test_a_checked_path_is_left_as_it_was(tmp_path):
    existing = tmp_path / "keep.json"
    existing.write_text("precious")
    assert outputs.writable_file(existing, "--json") == existing
    assert existing.read_text() == "precious" and sorted(os.listdir(tmp_path)) == ["keep.json"]
    new = tmp_path / "a" / "b"
    assert outputs.writable_directory(new, "--out") == new
    assert not (tmp_path / "a").exists() and outputs.free_space(new) > 0


def test_ctrl_c_in_fit_is_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    """Ctrl-C outside a sweep (here while fit reads the store) ends without a traceback."""
    path = tmp_path / "r.zarr"
    xs.sweep(xs.article_grid(3), 4, epochs=20, store=path, workers=1, progress=False)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_open", interrupted)
    assert cli.main(["fit", str(path)]) == 130
    err = capsys.readouterr().err
    assert err.splitlines() == ["xorsweep fit: interrupted"]
