"""The command line at its edges: bad choices, closed pipes, failures, long runs, first compiles."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import xorsweep
from xorsweep import cli
from xorsweep.sweeps import budget

ROOT = Path(xorsweep.__file__).resolve().parents[1]
TINY_SWEEP = ["--points", "3", "--runs", "8", "--epochs", "20", "--workers", "1", "--no-progress"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return {**env, **extra}


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["sweep", "--store", "s.zarr", "--engine", "bogus"], "'auto', 'numpy', 'numba'"),
        (["sweep", "--store", "s.zarr", "--update", "x"], "'article', 'simultaneous'"),
        (["reproduce", "--out", "o", "--scale", "x"], "'quick', 'full'"),
        (["reproduce", "--out", "o", "--study", "x"], "'article', 'beyond', 'failures'"),
        (["reproduce", "--out", "o", "--engine", "x"], "'auto', 'numpy', 'numba'"),
        (["figures", "s.zarr", "--out", "o", "--format", "x"], "'png'"),
        (["bogus"], "'sweep', 'figures', 'fit', 'reproduce'"),
    ],
)
def test_an_unknown_choice_is_one_line_naming_the_allowed_values(argv, allowed, tmp_path, capsys):
    os.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "invalid choice: 'x'" in captured.err or "invalid choice: 'bogus'" in captured.err
    assert allowed in captured.err and "usage:" not in captured.err
    assert list(tmp_path.iterdir()) == []


def test_python_m_xorsweep_is_the_xorsweep_command():
    run = [sys.executable, "-m", "xorsweep"]
    shown = subprocess.run([*run, "--version"], env=_env(), capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout == f"xorsweep {xorsweep.__version__}\n"
    bare = subprocess.run(run, env=_env(), capture_output=True, text=True)
    assert bare.returncode == 2 and bare.stdout.startswith("usage: xorsweep")


def test_a_closed_pipe_ends_the_command_quietly(tmp_path):
    argv = [sys.executable, "-m", "xorsweep", "sweep", "--store", str(tmp_path / "s.zarr")]
    argv += [*TINY_SWEEP, "--engine", "numpy"]
    child = subprocess.Popen(argv, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # as `| head -0` would: the first line printed finds no reader
    with child.stderr:
        err = child.stderr.read().decode()
    assert child.wait(timeout=120) == cli.BROKEN_PIPE
    assert "Traceback" not in err and "error" not in err.lower() and "Exception" not in err


def test_a_failed_figures_command_leaves_no_folder_or_file(tmp_path, capsys, monkeypatch):
    store = tmp_path / "s.zarr"
    assert cli.main(["sweep", "--store", str(store), *TINY_SWEEP, "--engine", "numpy"]) == 0
    figures = importlib.import_module("xorsweep.cli.figures")

    def half_then_fail(data, directory, fmt, dpi):
        (directory / f"fig01.{fmt}").write_bytes(b"half")
        yield directory / f"fig01.{fmt}"
        raise OSError(28, "No space left on device", str(directory / f"fig02.{fmt}"))

    monkeypatch.setattr(figures, "save_figures", half_then_fail)
    out = tmp_path / "new" / "figs"
    assert cli.main(["figures", str(store), "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]
    old = tmp_path / "old"
    old.mkdir()
    (old / "fig01.png").write_bytes(b"before")
    assert cli.main(["figures", str(store), "--out", str(old)]) == 2
    assert [p.name for p in old.iterdir()] == ["fig01.png"]
    assert (old / "fig01.png").read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old", "s.zarr"]


def test_a_sweep_says_its_size_and_estimate_before_it_starts(tmp_path, capsys):
    assert cli.main(["sweep", "--store", str(tmp_path / "s.zarr"), *TINY_SWEEP]) == 0
    first, second = capsys.readouterr().out.splitlines()[:2]
    assert "24 runs x 20 epochs = 480 network-epochs to compute" in first
    assert "computed 24 runs" in second


@pytest.mark.parametrize("study", ["beyond", "failures"])
def test_a_study_says_its_size_estimate_and_stages_before_it_starts(study, tmp_path, monkeypatch):
    module = importlib.import_module(f"xorsweep.studies.{study}.run")
    printed: list[str] = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))

    def started(out, scale, **options):
        printed.append("started")
        return out / "report.md"

    monkeypatch.setattr(module, f"run_{study}", started)
    argv = ["reproduce", "--study", study, "--out", str(tmp_path / "o"), "--workers", "1"]
    assert cli.main([*argv, "--engine", "numpy"]) == 0
    size, stages, began, wrote = printed
    assert f"the {study} study at the quick scale: about" in size and "network-epochs" in size
    assert stages.startswith("stages: ") and "in all" in stages
    names = ["sweep: map", "sweep: widths", "sweep: settings"]
    for name in names if study == "beyond" else ["article", "follow", "basin maps"]:
        assert f"{name} ~" in stages
    assert began == "started" and wrote.startswith("wrote ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stdin", "extra", "status", "asked"),
    [
        (_Terminal("n\n"), [], 1, True),
        (_Terminal("y\n"), [], 0, True),
        (_Terminal(""), ["--yes"], 0, False),
        (io.StringIO(""), [], 0, False),
    ],
    ids=["declined", "accepted", "--yes", "no terminal"],
)
def test_a_run_over_an_hour_asks_on_a_terminal(stdin, extra, status, asked, tmp_path, capsys,
                                               monkeypatch):  # fmt: skip
    monkeypatch.setattr(budget, "plan", lambda *args: ("a long sweep", 2 * 3600.0))
    monkeypatch.setattr(sys, "stdin", stdin)
    store = tmp_path / "s.zarr"
    assert cli.main(["sweep", "--store", str(store), *TINY_SWEEP, *extra]) == status
    err = capsys.readouterr().err
    assert ("about 2 hours (estimated just now); start it? [y/N]" in err) == asked
    assert store.exists() == (status == 0)
    if not asked and not extra:
        assert "starting without asking (no terminal)" in err


def test_the_first_compile_says_so_once(tmp_path):
    argv = [sys.executable, "-m", "xorsweep", "sweep", *TINY_SWEEP, "--store"]
    env = _env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    said = []
    for name in ("a.zarr", "b.zarr"):
        command = [*argv, str(tmp_path / name)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        said.append(done.stderr)
    assert said[0].count("compiling the numba kernel for 2-2-1 sigmoid networks (first use") == 1
    assert "cached afterwards in" in said[0] and str(tmp_path / "cache") in said[0]
    assert "compiling" not in said[1]
