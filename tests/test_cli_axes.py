"""``xorsweep sweep``'s study axes: --hidden, --activation, --gradient, --bias, --data,
and lists and log-spaced ranges for --output-std and --lr."""

import json
import math
import re

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import cli
from xorsweep.cli import axes, tables
from xorsweep.sweeps import budget

TINY = ["--points", "2", "--std-min", "0.5", "--std-max", "2", "--epochs", "30", "--runs", "3"]
QUIET = ["--workers", "1", "--no-progress", "--engine", "numpy"]


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("xorsweep sweep: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out and "usage:" not in captured.err
    return lines[0]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--hidden", "0"], "--hidden must be whole numbers from 1 to 256, got '0'"),
        (["--hidden", "2,257"], "--hidden must be whole numbers from 1 to 256, got '257'"),
        (["--hidden", "2.5"], "--hidden must be whole numbers from 1 to 256, got '2.5'"),
        (["--hidden", "2,,3"], "--hidden must be one value or a comma-separated list"),
        (["--hidden", "4,2,4"], "--hidden must hold distinct values, got 4 twice"),
        (["--activation", "gelu"], "--activation must be 'sigmoid' or 'tanh' or 'relu' .*'gelu'"),
        (["--activation", "tanh,Tanh"], "--activation must be 'sigmoid' or 'tanh' or 'relu'"),
        (["--optimizer", "sgd"], "--optimizer must be 'gd' or 'momentum' or .*got 'sgd'"),
        (["--gradient", "avg"], "--gradient must be 'sum' or 'mean' .*got 'avg'"),
        (["--bias", "sum,zero"], "--bias must be 'scaled' or 'zero' .*got 'sum'"),
        (["--bias", "zero,zero"], "--bias must hold distinct values, got 'zero' twice"),
        (["--output-std", "abc"], "--output-std must be a number, .*'glorot' or MIN:MAX:N"),
        (["--output-std", "glorot,1"], "--output-std must be a number"),
        (["--output-std", "0.5,-1"], r"--output-std must be finite and > 0, got -1 at position 1"),
        (["--output-std", "0.1:1"], r"--output-std MIN:MAX:N .*\(0 < MIN < MAX, N >= 2\)"),
        (["--output-std", "1:0.1:5"], r"--output-std MIN:MAX:N .*got '1:0.1:5'"),
        (["--output-std", "0.1:1:2.5"], r"--output-std MIN:MAX:N"),
        (["--output-std", "1e301"], r"--output-std must be at most 1e\+300"),
        (["--output-std", "0.1:1:1e13"], r"--output-std 0.1:1:1e13: a grid of 10,000,000,000,0"),
        (["--lr", "0.1:1:1"], r"--lr MIN:MAX:N .*N >= 2"),
        (["--lr", "0.1,1e7"], r"--lr must be finite and > 0 and <= 1e\+06, got 1e\+07"),
        (["--lr", "glorot"], r"--lr must be a number, a comma-separated list of them or MIN"),
        (["--data", "nand"], "--data: unknown truth table 'nand'; .*or rows like '00->0"),
        (["--data", "00->0,01->2"], "--data: data.targets must be exactly 0 or 1"),
        (["--data", "00->0,1->1"], "--data: every row must have as many inputs"),
        (["--data", "00->0,01"], "--data: row '01' is not INPUTS->TARGETS"),
        (["--data", "0x->1"], "--data: row '0x->1' holds something that is not a number"),
        (["--data", "missing.json"], "--data: cannot read missing.json as JSON"),
    ],
)
def test_bad_axes_are_one_line_exit_2_and_nothing_written(tmp_path, capsys, extra, message):
    store = tmp_path / "r.zarr"
    assert cli.main(["sweep", "--store", str(store), *TINY, *QUIET, *extra]) == 2
    line = _one_error_line(capsys)
    assert re.search(message, line), line
    assert not store.exists()


def test_a_json_table_without_inputs_is_refused(tmp_path, capsys):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"targets": [0, 1]}))
    store = tmp_path / "r.zarr"
    assert cli.main(["sweep", "--store", str(store), *TINY, *QUIET, "--data", str(path)]) == 2
    assert f"--data: {path} must hold an object with 'inputs' and 'targets'" in _one_error_line(
        capsys
    )
    assert not store.exists()


def test_values_lists_and_ranges():
    assert axes.numbers("0.8165", "--output-std") == 0.8165
    assert axes.numbers(" glorot ", "--output-std", glorot=True) == "glorot"
    assert axes.numbers("0.5, 1", "--lr") == (0.5, 1.0)
    # a range is spaced as the hidden stds are: article_grid's values, bit for bit
    grid = axes.numbers("0.05:50:30", "--output-std")
    assert grid == tuple(xs.article_grid(30, 0.05, 50).tolist()) and len(grid) == 30
    assert math.isclose(grid[0], 0.05) and math.isclose(grid[-1], 50.0)
    assert axes.widths("1,256") == (1, 256) and axes.widths("1e1") == 10
    assert axes.names("sum,mean", "--gradient", ("sum", "mean")) == ("sum", "mean")
    assert axes.size(grid, 0.1, (2, 3), "sigmoid") == 60 and axes.size(0.1, 2) == 1


def test_tables_by_name_file_and_rows(tmp_path):
    assert tables.read_table("XOR") == "xor" and tables.read_table("parity3") == "parity3"
    rows = tables.read_table("00->0; 01->1; 10->1; 11->1")
    assert rows.name == "custom" and rows.targets.ravel().tolist() == [0, 1, 1, 1]
    spaced = tables.read_table("0.5 0->1 0,0 0.5->0 1")
    assert spaced.inputs.tolist() == [[0.5, 0.0], [0.0, 0.5]]
    assert spaced.targets.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    path = tmp_path / "or3.json"
    inputs = xs.parity(3).inputs.tolist()
    path.write_text(json.dumps({"inputs": inputs, "targets": [int(any(r)) for r in inputs]}))
    table = tables.read_table(str(path))
    assert table.name == "or3" and table.n_in == 3 and table.targets.sum() == 7


def test_help_says_how_to_write_every_axis(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for option, said in [
        ("--output-std STD", "MIN:MAX:N for N values log-spaced from MIN to MAX"),
        ("--output-std STD", "glorot: sqrt(2 / (hidden + outputs)) for each width"),
        ("--lr LR", "(default: 0.1)"),
        ("--hidden WIDTH", "hidden units, 1 to 256: one value, or a comma"),
        ("--activation ACTIVATION", "sigmoid or tanh"),
        ("--gradient GRADIENT", "sum or mean"),
        ("--bias BIAS", "scaled or zero"),
        ("--data TABLE", "'00->0,01->1,10->1,11->0'"),
    ]:
        assert option in out and said in out.split(option, 2)[-1], (option, said)


def test_the_memory_check_counts_every_dimension(tmp_path, monkeypatch, capsys):
    # room for 100 grid points: 2 stds pass, 2 stds x 30 output stds x 2 widths do not
    monkeypatch.setattr(budget, "available_memory", lambda: 100 * 320)
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), *TINY, *QUIET]
    assert cli.main([*argv, "--output-std", "0.1:10:30", "--hidden", "2,3"]) == 2
    assert "a grid of 120 points needs about" in _one_error_line(capsys)
    assert not store.exists()


def test_the_time_limit_refuses_a_grid_over_the_new_axes(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), *TINY, *QUIET, "--epochs", "1e15"]
    argv += ["--hidden", "2,16", "--activation", "sigmoid,tanh", "--lr", "0.1:1:3"]
    assert cli.main(argv) == 2
    line = _one_error_line(capsys)
    assert re.search(r"would take about .* more than --max-hours 24", line), line
    assert not store.exists()


def _sweep(**kwargs):
    grid = xs.article_grid(2, 0.5, 2.0)
    return xs.sweep(grid, 3, epochs=30, progress=False, workers=1, engine="numpy", **kwargs)


def test_the_axes_reach_the_sweep(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), *TINY, *QUIET, "--output-std", "0.5:2:2"]
    argv += ["--lr", "0.1,0.5", "--hidden", "2,3", "--activation", "sigmoid,tanh"]
    argv += ["--gradient", "mean", "--bias", "scaled,zero"]
    assert cli.main(argv) == 0
    assert "computed 192 runs" in capsys.readouterr().out
    ds = xs.open_results(store)
    dims = ("hidden_std", "output_std", "lr", "hidden", "activation", "bias", "run")
    assert ds.total_loss.dims == dims and ds.attrs["gradient"] == "mean"
    expected = _sweep(
        output_std=[0.5, 2.0],
        lr=[0.1, 0.5],
        hidden=[2, 3],
        activation=["sigmoid", "tanh"],
        gradient="mean",
        bias=["scaled", "zero"],
    )
    np.testing.assert_array_equal(ds.coords["output_std"], xs.article_grid(2, 0.5, 2.0))
    xr.testing.assert_identical(ds, expected)


def test_glorot_output_std_and_a_custom_table_reach_the_sweep(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    rows = "00->1,01->1,10->1,11->0"  # NAND, a table of no name
    argv = ["sweep", "--store", str(store), *TINY, *QUIET, "--output-std", "glorot"]
    argv += ["--hidden", "4", "--data", rows]
    assert cli.main(argv) == 0
    nand = xs.TruthTable(xs.xor().inputs, [1, 1, 1, 0])
    expected = _sweep(output_std="glorot", hidden=4, data=nand)
    xr.testing.assert_identical(xs.open_results(store), expected)
    assert cli.main(argv) == 0  # the same table again resumes: nothing to compute
    assert "nothing to compute" in capsys.readouterr().out.splitlines()[-1]
    assert cli.main([*argv[:-1], "00->1,01->1,10->0,11->0"]) == 2  # another table: refused
    assert _one_error_line(capsys)
