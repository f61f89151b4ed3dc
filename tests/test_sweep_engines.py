"""A sweep's training engine: chosen once, recorded, kept by its store, warmed by its workers."""

import dataclasses
import json
import re

import numpy as np
import psutil
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import cli
from xorsweep.sweeps.config import SweepConfig
from xorsweep.sweeps.tasks import warm_up_task
from xorsweep.sweeps.workers import LocalWorkers

STDS = [0.05, 0.7071, 3.0, 50.0]
VARS = ("total_loss", "final_loss", "converged_epoch")


def _sweep(**kw):
    args = dict(hidden_std=STDS, runs=6, epochs=150, workers=1, progress=False)
    return xs.sweep(**{**args, **kw})


def test_each_engine_is_bit_identical_for_any_block_size_and_workers(engine):
    one = _sweep(engine=engine)
    assert one.attrs["engine"] == engine
    xr.testing.assert_identical(_sweep(engine=engine, block_size=1), one)
    xr.testing.assert_identical(_sweep(engine=engine, block_size=7), one)
    xr.testing.assert_identical(_sweep(engine=engine, workers=2, block_size=5), one)


def test_the_engines_agree_in_a_sweep():
    numba = _sweep(engine="numba", epochs=3000, runs=20)
    numpy = _sweep(engine="numpy", epochs=3000, runs=20)
    rel = np.abs(numba.total_loss - numpy.total_loss) / numpy.total_loss
    assert float(rel.max()) < 1e-10
    xr.testing.assert_equal(numba.converged_epoch, numpy.converged_epoch)
    assert numba.converged_epoch.notnull().any() and numba.converged_epoch.isnull().any()


def test_auto_is_settled_into_the_engine_that_computes():
    cfg = SweepConfig(hidden_std=STDS, epochs=10)
    assert cfg.engine == "auto" and cfg.identity()["engine"] == "auto"
    assert cfg.settled().engine == "numba"
    assert dataclasses.replace(cfg, engine="numpy").settled().engine == "numpy"
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'numpy', 'numba'"):
        SweepConfig(hidden_std=STDS, engine="fast")
    assert _sweep(runs=2).attrs["engine"] == "numba"


def _finished(path):
    return xs.open_results(path).total_loss.notnull().sum().item()


def test_a_store_keeps_its_engine(tmp_path):
    """auto resumes a store with its own engine; another engine is refused, naming both."""
    path = tmp_path / "r.zarr"
    _sweep(runs=3, engine="numpy", store=path)
    more = _sweep(runs=6, store=path)  # auto: NumPy's, as the store's
    assert more.attrs["engine"] == "numpy"
    xr.testing.assert_identical(more, _sweep(runs=6, engine="numpy", store=tmp_path / "n.zarr"))
    message = f"the store {path} was computed with engine 'numpy', and engine='numba' was asked for"
    with pytest.raises(ValueError, match=re.escape(message)):
        _sweep(runs=9, engine="numba", store=path)
    assert _finished(path) == 24  # untouched
    numba = tmp_path / "m.zarr"
    _sweep(runs=2, store=numba)
    assert _sweep(runs=4, store=numba).attrs["engine"] == "numba"
    with pytest.raises(ValueError, match="computed with engine 'numba', and engine='numpy'"):
        _sweep(runs=5, engine="numpy", store=numba)


def test_a_store_made_before_engines_is_numpys(tmp_path):
    path = tmp_path / "old.zarr"
    _sweep(runs=3, engine="numpy", store=path)
    meta = json.loads((path / "zarr.json").read_text())
    # as the stores written before engines existed: every setting an attribute of its own
    meta["attributes"].update(json.loads(meta["attributes"].pop("config")))
    del meta["attributes"]["engine"]
    (path / "zarr.json").write_text(json.dumps(meta))
    assert "engine" not in xs.open_results(path).attrs
    with pytest.raises(ValueError, match="computed with engine 'numpy', and engine='numba'"):
        _sweep(runs=6, engine="numba", store=path)
    resumed = _sweep(runs=6, store=path)
    expected = _sweep(runs=6, engine="numpy")
    for name in VARS:
        xr.testing.assert_identical(resumed[name], expected[name])


def test_the_command_line_takes_engine_and_refuses_another_on_a_store(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    small = ["--points", "3", "--epochs", "50", "--no-progress", "--workers", "1"]
    argv = ["sweep", "--store", str(store), "--runs", "2", *small]
    assert cli.main([*argv, "--engine", "numpy"]) == 0
    assert xs.open_results(store).attrs["engine"] == "numpy"
    capsys.readouterr()
    assert cli.main([*argv[:4], "4", *argv[5:], "--engine", "numba"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("xorsweep sweep: error: the store")
    assert "computed with engine 'numpy', and engine='numba' was asked for" in err
    assert cli.main([*argv[:4], "4", *argv[5:]]) == 0  # auto: the store's own
    assert _finished(store) == 12
    args = cli.build_parser().parse_args(["reproduce", "--out", "x", "--engine", "numpy"])
    assert args.engine == "numpy"


def _llvm_loaded(process):
    """Whether numba's compiler (llvmlite's library) is loaded in ``process``."""
    return any("llvmlite" in m.path for m in process.memory_maps())


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_workers_warm_up_the_sweeps_engine_before_they_are_ready(engine):
    config = SweepConfig(hidden_std=STDS, output_std=(0.5, 1.0), epochs=150, engine=engine)
    task = warm_up_task(config)
    assert (task.runs, task.config.epochs, task.config.engine) == (1, 1, engine)
    assert (task.hidden_std.tolist(), task.output_std.tolist()) == ([0.05], [0.5])
    with LocalWorkers(2, task) as pool:
        assert pool.ready()
        workers = [
            p for p in psutil.Process().children() if "sweeps.workers" in " ".join(p.cmdline())
        ]
        assert len(workers) == 2
        assert [_llvm_loaded(w) for w in workers] == [engine == "numba"] * 2
