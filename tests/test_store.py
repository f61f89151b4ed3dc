"""The results store: round trip, resume after SIGKILL, adding runs, refusals."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import xarray as xr
import zarr

import xorsweep as xs
from xorsweep.sweeps.store import SCHEMA, ResultsWriter, path_state

STDS = [0.3, 0.7071, 1.0, 2.5]
KW = dict(hidden_std=STDS, epochs=120, workers=1, progress=False)


def _sweep(**kw):
    return xs.sweep(**{**KW, **kw})


def _digest(path: Path) -> str:
    """Hash of every file's relative path and bytes under ``path`` (or of one file)."""
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(str(f.relative_to(path.parent)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def reference():
    return _sweep(runs=6)


# ---------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------


def test_store_round_trip_is_identical_to_memory(tmp_path, reference):
    path = tmp_path / "r.zarr"
    ds = _sweep(runs=6, store=path, block_size=5)
    xr.testing.assert_identical(ds, reference)
    xr.testing.assert_identical(xs.open_results(path), reference)
    assert ds.attrs["schema"] == SCHEMA and path_state(path) == "store"
    lazy = xs.open_results(path, chunks={})
    assert lazy.total_loss.chunks is not None  # Dask-backed
    xr.testing.assert_identical(lazy.compute(), reference)
    lazy_sweep = _sweep(runs=6, store=path, load=False)
    assert lazy_sweep.total_loss.chunks is not None
    xr.testing.assert_identical(lazy_sweep.compute(), reference)


def test_a_store_in_an_empty_directory(tmp_path, reference):
    path = tmp_path / "empty"
    path.mkdir()
    xr.testing.assert_identical(_sweep(runs=6, store=path), reference)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


# ---------------------------------------------------------------------------
# Resuming
# ---------------------------------------------------------------------------

_CHILD = """
import sys
import xorsweep as xs
xs.sweep({stds}, runs=64, epochs=1500, store=sys.argv[1], workers=2, progress=False,
         block_size=32)
"""


def _finished_markers(markers: Path) -> list[Path]:
    """The marker chunks written, without Zarr's temporary files of writes in progress."""
    if not markers.is_dir():
        return []
    return [p for p in markers.rglob("*") if p.is_file() and not p.name.endswith(".partial")]


def test_sigkill_mid_sweep_then_resume_equals_an_uninterrupted_sweep(tmp_path):
    path = tmp_path / "killed.zarr"
    stds = [0.2, 0.5, 0.7071, 1.0, 1.5, 3.0, 8.0, 20.0]
    code = textwrap.dedent(_CHILD.format(stds=stds))
    child = subprocess.Popen([sys.executable, "-c", code, str(path)])
    markers = path / "_filled" / "c"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if len(_finished_markers(markers)) >= 3:
                break
            time.sleep(0.002)
        assert child.poll() is None, "the sweep ended before it could be killed"
        workers = psutil.Process(child.pid).children(recursive=True)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(workers) >= 2
    _, alive = psutil.wait_procs(workers, timeout=20)  # the workers leave with their sweep
    for proc in alive:  # clean up before failing
        proc.kill()
    assert not alive, alive
    partial = xs.open_results(path)
    present = partial.total_loss.notnull()
    n_done = int(present.sum())
    assert 3 * 32 <= n_done < 8 * 64 and n_done % 32 == 0  # whole blocks only
    uninterrupted = xs.sweep(stds, runs=64, epochs=1500, workers=1, progress=False)
    for name in ("total_loss", "final_loss", "converged_epoch"):
        xr.testing.assert_identical(
            partial[name].where(present), uninterrupted[name].where(present)
        )
        assert partial[name].where(~present).isnull().all()
    resumed = xs.sweep(stds, runs=64, epochs=1500, store=path, workers=2, progress=False)
    xr.testing.assert_identical(resumed, uninterrupted)
    assert not list(path.rglob("*.partial"))


def test_data_without_its_marker_is_never_taken_for_finished_runs(tmp_path, reference):
    """A block killed between writing its data and its marker: the data stays invisible."""
    path = tmp_path / "r.zarr"
    _sweep(runs=np.array([6, 0, 6, 6]), store=path)
    for name in ("total_loss", "final_loss", "converged_epoch"):  # the killed block's data
        arr = zarr.open_array(path / name, mode="r+")
        arr[1, :] = 123.0
    shown = xs.open_results(path)
    assert shown.total_loss.notnull().sum("run").values.tolist() == [6, 0, 6, 6]
    assert shown.sel(hidden_std=0.7071).to_array().isnull().all()
    xr.testing.assert_identical(_sweep(runs=6, store=path), reference)


def test_interrupted_resize_is_reported_then_finished(tmp_path):
    path = tmp_path / "r.zarr"
    _sweep(runs=3, store=path)
    zarr.open_array(path / "total_loss", mode="r+").resize((4, 8))  # killed after one resize
    with pytest.raises(ValueError, match="interrupted while adding runs"):
        xs.open_results(path)
    xr.testing.assert_identical(_sweep(runs=8, store=path), _sweep(runs=8))


def test_leftover_temporary_chunk_files_are_removed(tmp_path, reference):
    path = tmp_path / "r.zarr"
    _sweep(runs=6, store=path)
    stray = path / "total_loss" / "c" / "0" / "0.3f2a.partial"
    stray.write_bytes(b"half a chunk")
    ResultsWriter(path)
    assert not stray.exists()
    xr.testing.assert_identical(xs.open_results(path), reference)


# ---------------------------------------------------------------------------
# Adding runs
# ---------------------------------------------------------------------------


def test_adding_runs_equals_asking_for_them_at_once(tmp_path, reference):
    path = tmp_path / "r.zarr"
    first = _sweep(runs=3, store=path)
    grown = _sweep(runs=6, store=path)
    xr.testing.assert_identical(grown, reference)
    xr.testing.assert_identical(grown.isel(run=slice(0, 3)), first)
    assert zarr.open_array(path / "total_loss").chunks[-1] == 3  # the layout made at first
    before = _digest(path)
    xr.testing.assert_identical(_sweep(runs=6, store=path), reference)  # nothing left to do
    assert _digest(path) == before


def test_adding_runs_to_some_points_leaves_the_others_missing(tmp_path, reference):
    path = tmp_path / "r.zarr"
    _sweep(runs=3, store=path)
    ds = _sweep(runs=np.array([3, 6, 3, 5]), store=path)
    present = ds.total_loss.notnull()
    assert present.sum("run").values.tolist() == [3, 6, 3, 5]
    for name in ("total_loss", "final_loss", "converged_epoch"):
        assert ds[name].where(~present).isnull().all()  # missing, never zeros
        xr.testing.assert_identical(ds[name].where(present), reference[name].where(present))
    smaller = _sweep(runs=2, store=path)  # asking for fewer keeps what is there
    xr.testing.assert_identical(smaller, ds)


def test_old_chunk_files_are_not_rewritten_when_runs_are_added(tmp_path):
    path = tmp_path / "r.zarr"
    _sweep(runs=3, store=path)
    # chunk files of the first run chunk: <variable>/c/<hidden chunk>/0
    before = {
        p.relative_to(path): p.read_bytes()
        for name in ("total_loss", "final_loss", "converged_epoch", "_filled")
        for p in (path / name / "c").glob("*/0")
    }
    stamps = {p: (path / p).stat().st_mtime_ns for p in before}
    assert before
    _sweep(runs=6, store=path)
    for rel, content in before.items():
        assert (path / rel).read_bytes() == content, rel
        assert (path / rel).stat().st_mtime_ns == stamps[rel], rel


def test_the_store_adds_up_the_compute_time_of_every_sweep_into_it(tmp_path, reference):
    """Root attribute compute_seconds: the sum of the sweeps' compute times, resumed ones
    included; not among the results' attributes (the results stay identical)."""
    from xorsweep.sweeps.config import SweepConfig
    from xorsweep.sweeps.run import run_sweep
    from xorsweep.sweeps.store import read_header

    path = tmp_path / "r.zarr"
    config = SweepConfig(hidden_std=STDS, epochs=120)
    totals, reports = [0.0], []
    for runs in (3, 6, 6):  # the last one has nothing to compute
        _, report = run_sweep(config, runs, store=path, workers=1, progress=False)
        totals.append(read_header(path).attrs.get("compute_seconds"))
        reports.append(report)
        assert report.total_seconds == totals[-1]
    for before, after, report in zip(totals[:2], totals[1:3], reports[:2], strict=True):
        assert 0 < after - before <= report.seconds  # up to the last block's write
    assert reports[2].runs == 0 and totals[3] == totals[2]
    ds = xs.open_results(path)
    assert "compute_seconds" not in ds.attrs
    xr.testing.assert_identical(ds, reference)


# ---------------------------------------------------------------------------
# Refusals: the store is left untouched
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    path = tmp_path_factory.mktemp("made") / "r.zarr"
    _sweep(runs=3, store=path)
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"epochs": 121}, "epochs is 120 in the store but 121 was requested"),
        ({"lr": 0.2}, "lr is 0.1 in the store but 0.2 was requested"),
        ({"seed": 1}, "seed is 0 in the store but 1 was requested"),
        ({"output_std": 0.7}, "output_std is 0.8165 in the store but 0.7 was requested"),
        ({"output_std": [0.8165]}, r"output_std is 0.8165 in the store but \[0.8165\]"),
        ({"update": "simultaneous"}, "update is 'article' in the store but 'simultaneous'"),
        ({"hidden_std": [0.3, 0.7071, 1.0, 2.6]}, "hidden_std differs at 1 of 4 values"),
        (
            {"hidden_std": [0.3, 0.7071, 1.0]},
            r"is \[0.3, 0.7071, 1, 2.5\] in the store but \[0.3, 0",
        ),
        ({"data": "xnor"}, "data is 'xor' in the store but 'xnor' was requested"),
        ({"hidden": 3}, "hidden is 2 in the store but 3 was requested"),
    ],
)
def test_a_different_configuration_is_refused_and_the_store_untouched(made, change, message):
    before = _digest(made)
    with pytest.raises(ValueError, match=message) as info:
        _sweep(runs=5, store=made, **change)
    assert "different configuration" in str(info.value)
    assert _digest(made) == before


def test_several_differences_are_all_named(made):
    before = _digest(made)
    with pytest.raises(ValueError, match="epochs is 120 .*; seed is 0 in the store but 4"):
        _sweep(runs=5, store=made, epochs=50, seed=4)
    assert _digest(made) == before


def _foreign_zarr(path):
    zarr.open_group(path, mode="w", zarr_format=3, attributes={"owner": "someone"})
    zarr.open_group(path, mode="r+").create_array("x", shape=(3,), dtype="f8")[:] = 1.0


def _other_schema(path):
    zarr.open_group(path, mode="w", zarr_format=3, attributes={"schema": "xorsweep.sweep/0"})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text("not a store"), "is a file, not a results store"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("hi")), "holds something else"),
        (_foreign_zarr, "Zarr store that was not made by xorsweep.sweep"),
        (_other_schema, "layout 'xorsweep.sweep/0'"),
        (lambda p: (p.mkdir(), (p / "zarr.json").write_text("{oops")), "unreadable zarr.json"),
        (lambda p: (p.mkdir(), (p / "zarr.json").write_text("[]")), "not made by xorsweep.sweep"),
        (lambda p: p.symlink_to(p.parent / "gone"), "is a broken symbolic link"),
    ],
)
def test_a_store_path_holding_something_else_is_refused_untouched(tmp_path, make, message):
    path = tmp_path / "thing"
    make(path)
    before = _digest(path)
    with pytest.raises(ValueError, match=message):
        _sweep(runs=2, store=path)
    with pytest.raises(ValueError, match=message):
        xs.open_results(path)
    assert _digest(path) == before


def test_bad_arguments_are_refused_before_the_store_is_touched(made):
    before = _digest(made)
    for kwargs in ({"runs": 0}, {"hidden_std": [np.nan]}, {"workers": 0}, {"total_runs": -1}):
        with pytest.raises((ValueError, TypeError)):
            _sweep(**{"runs": 5, **kwargs}, store=made)
    assert _digest(made) == before


def test_a_damaged_store_is_named_as_such(tmp_path):
    path = tmp_path / "r.zarr"
    _sweep(runs=2, store=path)
    for f in sorted((path / "final_loss").rglob("*"), reverse=True):
        f.rmdir() if f.is_dir() else f.unlink()
    (path / "final_loss").rmdir()
    before = _digest(path)
    with pytest.raises(ValueError, match="is damaged: it lacks the array.s. final_loss"):
        xs.open_results(path)
    with pytest.raises(ValueError, match="is damaged"):
        _sweep(runs=3, store=path)
    assert _digest(path) == before


def test_open_results_of_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results store at"):
        xs.open_results(tmp_path / "missing.zarr")


def test_a_metadata_write_killed_midway_leaves_a_store_that_opens_and_resumes(tmp_path):
    """kill -9 while Zarr rewrites zarr.json (the compute time is added after every block)
    leaves its temporary "zarr.<hex>.partial" beside it: the results still open without a
    warning, and the next sweep removes the leftover and finishes the store."""
    path = tmp_path / "r.zarr"
    stds = [0.5, 1.0, 2.0]
    xs.sweep(stds, runs=4, epochs=30, store=path, workers=1, progress=False)
    leftover = path / "zarr.0123456789abcdef0123456789abcdef.partial"
    leftover.write_bytes((path / "zarr.json").read_bytes()[:40])
    before = xs.open_results(path)  # filterwarnings=error: a Zarr warning fails here
    resumed = xs.sweep(stds, runs=6, epochs=30, store=path, workers=1, progress=False)
    assert not leftover.exists()
    xr.testing.assert_identical(resumed.isel(run=slice(0, 4)), before)
    expected = xs.sweep(stds, runs=6, epochs=30, workers=1, progress=False)
    xr.testing.assert_identical(resumed, expected)


def test_the_configuration_is_one_attribute_and_old_stores_still_open_and_resume(
    tmp_path, reference
):
    import json

    from xorsweep.sweeps.config import CONFIG_ATTR, SweepConfig

    path = tmp_path / "r.zarr"
    _sweep(runs=3, store=path)
    stored = json.loads((path / "zarr.json").read_text())["attributes"]
    settings = json.loads(stored[CONFIG_ATTR])
    config = SweepConfig(hidden_std=STDS, epochs=120).settled()
    assert settings == {k: v for k, v in config.attrs().items() if k in config.identity()}
    assert not set(settings) & (set(stored) - {CONFIG_ATTR})  # written once
    assert xs.open_results(path).attrs == {**reference.attrs, "schema": SCHEMA}
    # a store written with every setting an attribute of its own opens and resumes alike
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"].update(json.loads(meta["attributes"].pop(CONFIG_ATTR)))
    (path / "zarr.json").write_text(json.dumps(meta))
    xr.testing.assert_identical(_sweep(runs=6, store=path), reference)
