"""The ``xorsweep sweep`` command."""

import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import cli

SMALL = ["--points", "4", "--std-min", "0.25", "--std-max", "4", "--epochs", "80", "--no-progress"]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode() + f.read_bytes())
    return h.hexdigest()


def _python(runs, **kw):
    return xs.sweep(xs.article_grid(4, 0.25, 4.0), runs, epochs=80, progress=False, workers=1, **kw)


def test_defaults_are_the_articles_sweep():
    args = cli.build_parser().parse_args(["sweep", "--store", "r.zarr"])
    assert (args.runs, args.points, args.output_std, args.lr, args.epochs, args.seed) == (
        10, 400, 0.8165, 0.1, 10_000, 0,
    )  # fmt: skip
    grid = xs.article_grid(args.points, args.std_min, args.std_max)
    np.testing.assert_array_equal(grid, np.exp(np.linspace(-3, 4, 400)))
    assert args.std_min == math.exp(-3) and args.update == "article" and not args.no_progress


def test_help_explains_every_option_with_its_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for option, default in [
        ("--runs", "(default: 10)"),
        ("--points", "(default: 400)"),
        ("--std-min", "(default: 0.049787068367863944)"),
        ("--std-max", "(default: 54.598150033144236)"),
        ("--output-std", "(default: 0.8165)"),
        ("--epochs", "(default: 10000)"),
        ("--lr", "(default: 0.1)"),
        ("--seed", "(default: 0)"),
        ("--update", "(default: article)"),
        ("--engine", "(default: auto)"),
        ("--workers", "(default: every CPU"),
        ("--scheduler", "(default: local)"),
        ("--total-runs", "(default: no such runs)"),
        ("--block-size", "(default: 8192)"),
        ("--no-progress", "(default: False)"),
    ]:
        assert option in out and default in out.split(option, 2)[-1], option
    assert "--store PATH" in out and "resumes" in out


def test_sweep_command_writes_the_python_results_and_resumes(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), "--runs", "5", "--workers", "1", *SMALL]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "computed 20 runs" in out and "the store holds 20 runs" in out
    xr.testing.assert_identical(xs.open_results(store), _python(5))
    before = _digest(store)
    assert cli.main(argv) == 0  # the same command again: nothing to do
    assert "nothing to compute; the store holds 20 runs" in capsys.readouterr().out
    assert _digest(store) == before
    assert cli.main([*argv[:4], "8", *argv[5:]]) == 0  # more runs
    xr.testing.assert_identical(xs.open_results(store), _python(8))


def test_total_runs_allocates_the_rest(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), "--runs", "4", "--total-runs", "30", *SMALL]
    assert cli.main(argv) == 0
    ds = xs.open_results(store)
    assert int(ds.total_loss.notnull().sum()) == 30
    xr.testing.assert_identical(ds, _python(4, total_runs=30))
    assert "the store holds 30 runs" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--epochs", "81"], "epochs is 80 in the store but 81 was requested"),
        (["--engine", "numpy"], "computed with engine 'numba', and engine='numpy' was asked"),
        (["--runs", "0"], "runs must be an integer >= 1, got 0"),
        (["--points", "0"], "points must be an integer >= 1, got 0"),
        (["--std-min", "-1"], "std_min must be finite and > 0"),
        (["--std-min", "nan"], "std_min must be finite and > 0, got nan"),
        (["--std-min", "5", "--std-max", "1"], "std_min must be < std_max"),
        (["--lr", "0"], "lr must be finite and > 0"),
        (["--workers", "0"], "workers must be an integer >= 1"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers .* or --scheduler"),
    ],
)
def test_bad_input_exits_2_with_the_reason_and_leaves_the_store(tmp_path, capsys, extra, message):
    store = tmp_path / "r.zarr"
    base = ["sweep", "--store", str(store), "--runs", "2", "--workers", "1", *SMALL]
    assert cli.main(base) == 0
    capsys.readouterr()
    before = _digest(store)
    assert cli.main([*base, *extra]) == 2  # a repeated option: the last one counts
    err = capsys.readouterr().err
    assert err.startswith("xorsweep sweep: error:")
    assert re.search(message, err), err
    assert _digest(store) == before


def test_a_file_is_not_a_store(tmp_path, capsys):
    path = tmp_path / "results.zarr"
    path.write_text("precious")
    assert cli.main(["sweep", "--store", str(path), *SMALL]) == 2
    assert "is a file, not a results store" in capsys.readouterr().err
    assert path.read_text() == "precious"
