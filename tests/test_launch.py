"""Local workers however Python is started: scripts, stdin, -c, IPython; and where they cannot."""

import dataclasses
import importlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.sweeps.tasks import task_of_points
from xorsweep.sweeps.workers import LocalWorkers

sweep_module = importlib.import_module("xorsweep.sweeps.execution")  # where blocks are run
VARS = ("total_loss", "final_loss", "converged_epoch")
KW = dict(hidden_std=xs.article_grid(4, 0.25, 4.0), runs=8, epochs=80, progress=False)

# the README's kind of script, without `if __name__ == "__main__":`
TOUR = f"""
import os
import numpy as np
import xorsweep as xs
print("top-level print")
ds = xs.sweep(xs.article_grid(4, 0.25, 4.0), 8, epochs=80, workers=2, block_size=8,
              progress=False)
np.save(os.environ["XORSWEEP_TEST_OUT"], np.stack([ds[v].values for v in {VARS}]))
"""


@pytest.fixture(scope="module")
def reference():
    return xs.sweep(**KW, workers=1)


def _command(how, tmp_path):
    """The command that runs TOUR in the way ``how``, and its standard input."""
    if how == "script":
        script = tmp_path / "tour.py"
        script.write_text(TOUR)
        return [sys.executable, str(script)], None
    if how == "stdin":
        return [sys.executable, "-"], TOUR
    if how == "-c":
        return [sys.executable, "-c", TOUR], None
    ipython = ["-m", "IPython", "--quick", "--no-banner", "--colors=NoColor"]
    return [sys.executable, *ipython, "--HistoryManager.enabled=False", "-c", TOUR], None


@pytest.mark.parametrize("how", ["script", "stdin", "-c", "ipython"])
def test_a_sweep_on_workers_runs_however_python_is_started(how, tmp_path, reference):
    """Workers never re-run the main module: top-level prints appear once, no warning or
    error, and the numbers are those of workers=1."""
    if how == "ipython":
        pytest.importorskip("IPython")
    out = tmp_path / "results.npy"
    command, stdin = _command(how, tmp_path)
    env = {**os.environ, "XORSWEEP_TEST_OUT": str(out), "IPYTHONDIR": str(tmp_path / "ipy")}
    done = subprocess.run(
        command, input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("top-level print") == 1, done.stdout
    assert done.stderr == ""
    expected = np.stack([reference[v].values for v in VARS])
    np.testing.assert_array_equal(np.load(out), expected)


def test_a_sweep_on_workers_runs_in_a_jupyter_kernel(tmp_path, reference, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    out = tmp_path / "results.npy"
    monkeypatch.setenv("XORSWEEP_TEST_OUT", str(out))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TOUR)])
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = nb.cells[0].outputs
    assert {o.output_type for o in outputs} == {"stream"}  # no error
    stdout = "".join(o.text for o in outputs if o.name == "stdout")
    stderr = "".join(o.text for o in outputs if o.name == "stderr")
    assert stdout == "top-level print\n"
    assert "could not start" not in stderr  # (tqdm.auto may warn that ipywidgets is missing)
    expected = np.stack([reference[v].values for v in VARS])
    np.testing.assert_array_equal(np.load(out), expected)


@pytest.mark.parametrize("executable", ["/nonexistent/python", shutil.which("false")])
def test_workers_that_cannot_start_are_said_once_before_any_training(
    executable, monkeypatch, reference
):
    """A Python that cannot start workers (missing, or one that exits at once): one
    RuntimeWarning, before the first block is trained, then the numbers of workers=1."""
    monkeypatch.setattr(sys, "executable", executable)
    compute_block = sweep_module.compute_block
    warned_before_block = []

    def watched(task):
        warned_before_block.append(len(record))
        return compute_block(task)

    monkeypatch.setattr(sweep_module, "compute_block", watched)
    with pytest.warns(RuntimeWarning, match="local worker processes could not start") as record:
        ds = xs.sweep(**KW, workers=2, block_size=8)
    assert len(record) == 1
    assert len(warned_before_block) == 4 and set(warned_before_block) == {1}
    xr.testing.assert_identical(ds, reference)


def test_an_error_in_a_worker_is_raised_here_with_the_workers_traceback():
    one, start = np.ones(1), np.zeros(1, dtype=np.int64)
    good = task_of_points(one, one, one / 10, start, start + 2, epochs=5)
    config = dataclasses.replace(good.config)  # a copy, given a table no sweep would accept:
    object.__setattr__(config, "data", "nand")  # the worker is the first to look it up
    bad = dataclasses.replace(good, config=config)
    with LocalWorkers(2) as pool:
        assert pool.ready()
        results = dict(pool.results([("good", good)]))
        assert results["good"]["total_loss"].shape == (2,)
        with pytest.raises(ValueError, match="unknown truth table 'nand'") as info:
            dict(pool.results([("good", good), ("bad", bad)]))
        assert "in a worker process of the sweep" in "\n".join(info.value.__notes__)
        assert not pool.ready()  # stopped after the error
