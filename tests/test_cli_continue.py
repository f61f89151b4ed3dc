"""``xorsweep continue``: the command line of continue_runs."""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep import cli
from xorsweep.sweeps.continuation import continue_runs
from xorsweep.sweeps.continued_store import open_continued


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("continue") / "s.zarr"
    xs.sweep([0.3, 1.0, 4.0], runs=8, epochs=300, lr=0.5, workers=1, progress=False, store=path)
    return path


def test_continue_says_its_work_then_writes_what_continue_runs_gives(store, tmp_path, capsys):
    out = tmp_path / "longer.zarr"
    argv = ["continue", str(store), "--epochs", "900", "--store", str(out), "--block-size", "3"]
    assert cli.main(argv) == 0
    first, last = capsys.readouterr().out.strip().splitlines()
    expected = continue_runs(xs.open_results(store), 900)
    runs = expected.sizes["run"]
    assert f"{runs:,} runs from epoch 300 to 900 = {runs * 900:.3g} network-epochs" in first
    converged = int(expected.converged.sum())
    assert last.endswith(f"{runs:,} runs trained to epoch 900; {converged:,} of them converged")
    written = open_continued(out)
    np.testing.assert_array_equal(written.total_loss.values, expected.total_loss.values)
    # the same command again reads the store instead of computing it
    assert cli.main(argv) == 0
    np.testing.assert_array_equal(open_continued(out).total_loss.values, written.total_loss.values)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--epochs", "200"], "epochs must be more than the 300 epochs the results have trained"),
        (["--epochs", "900", "--runs-per-std", "0"], "runs_per_std must be an integer >= 1"),
        (["--epochs", "900", "--max-hours", "1e-9"], "more than --max-hours"),
    ],
)
def test_continue_refuses_in_one_line(store, tmp_path, capsys, options, message):
    out = tmp_path / "longer.zarr"
    assert cli.main(["continue", str(store), "--store", str(out), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not out.exists() or not any(out.iterdir())
