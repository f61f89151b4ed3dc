"""The failure study's pipeline (xorsweep.studies.failures.run) at its tiny scale."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.studies.failures.report import DATASETS, check_out, open_study
from xorsweep.studies.failures.run import (
    FAILURE_SCALES,
    FailureScale,
    basin_stage,
    compute_failures,
    run_failures,
    train_stages,
)
from xorsweep.studies.report import markdown_table

TINY = FAILURE_SCALES["tiny"]
FIGURES = ("survival", "end_states", "examples", "basin_epochs", "basin_states")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A tiny study written once, and its Datasets read back from the files."""
    out = tmp_path_factory.mktemp("failures") / "report"
    path = run_failures(out, "tiny", workers=1, progress=False)
    return path, out, open_study(out)


def _cell(value, name="x"):
    """How the report's tables write ``value``."""
    return (
        markdown_table(pd.DataFrame({name: [value]})).splitlines()[-1].strip("| ").split(" | ")[1]
    )


def test_writes_every_file(written):
    path, out, data = written
    assert path == out / "report.md" and path.stat().st_size > 0
    for name in FIGURES:
        png = (out / "figures" / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert set(data) == set(DATASETS)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["study"] == "failures" and summary["scale"] == "tiny"
    assert set(summary["figures"]) == set(FIGURES)
    assert check_out(out) == out  # a report may be written again in its place


def test_the_answer_is_the_datasets(written):
    path, _, data = written
    report, summary = path.read_text(), json.loads((path.parent / "summary.json").read_text())
    failures, runs = data["failures"], data["runs"]
    n = failures.sizes["failure"]
    later = int(failures.converged_epoch_end.notnull().sum())
    assert n == int(runs.failed.sum()) == int(runs.converged_epoch.isnull().sum())
    assert f"**{n:,}** fail" in report
    assert f"**{later:,} ({100 * later / n:.1f}%)**" in report
    assert summary["answer"]["failures"] == n and summary["answer"]["converged_later"] == later
    still = failures.state_end.values[failures.converged_epoch_end.isnull().values]
    for state in ("stuck", "plateau", "symmetric", "slow", "other"):
        count = int(np.sum(still == state))
        assert summary["answer"]["still_failing"][state] == count
        if count:
            assert f"{count:,} {state} ({100 * count / n:.1f}%)" in report


def test_tables_are_the_datasets(written):
    path, _, data = written
    report, runs, failures = path.read_text(), data["runs"], data["failures"]
    between = data["between"]
    for std in runs.hidden_std.values:
        mine = failures.where(failures.hidden_std == std, drop=True)
        failed = int(runs.failed.sel(hidden_std=std).sum())
        later = int(mine.converged_epoch_end.notnull().sum())
        share = float(between.conditional.sel(hidden_std=std))
        assert share == pytest.approx(later / failed)
        row = f"| {std:.4g} | {runs.sizes['run']:,} | {failed:,} | {later:,} | {_cell(share)} |"
        assert row in report
    maps = data["maps"]
    for e in maps.epochs.values:
        share = float(maps.converged.sel(epochs=e).mean())
        assert share == float(data["basins"].converged_share.sel(epochs=e))
        assert f"| {int(e):,} | {_cell(share)} |" in report
    for state in ("stuck", "slow"):
        count = int(np.sum(failures.state_article.values == state))
        assert f"| {state} | {count:,} ({100 * count / failures.sizes['failure']:.1f}%)" in report


def test_runs_link_to_failures(written):
    _, _, data = written
    runs, failures = data["runs"], data["failures"]
    linked = runs.sel(hidden_std=failures.hidden_std, run=failures.run)
    assert bool(linked.failed.all())
    np.testing.assert_array_equal(linked.followed_epoch.values, failures.converged_epoch_end.values)
    np.testing.assert_array_equal(linked.final_loss.values, failures.final_loss_article.values)
    kept = ~runs.failed
    assert bool((runs.followed_epoch == runs.converged_epoch).where(kept, True).all())
    assert bool((failures.converged_epoch_end.fillna(np.inf) > TINY.article).all())


def test_checks_pass(written):
    path, _, _ = written
    summary = json.loads((path.parent / "summary.json").read_text())
    assert summary["checks"] and all(summary["checks"].values())
    for name in summary["checks"]:
        assert f"- {name}: True" in path.read_text()


def test_stages_in_threads_equal_one_training_each():
    pop = xs.init_population(37, hidden_std=2.0, output_std=0.8165, seed=4)
    stages = train_stages(pop, [300, 1000], engine="numba", workers=2)
    for length, got in zip([300, 1000], stages, strict=True):
        whole = xs.training.trainer.train_arrays(pop, length, engine="numba")
        assert set(got) == set(whole)
        for name, value in whole.items():
            np.testing.assert_array_equal(got[name], value, err_msg=f"{name} at {length}")


def test_basin_stage_in_threads_equals_one_map():
    maps, summary = basin_stage(TINY, seed=3, workers=2, engine="numba")
    reference = xs.init_population(1, hidden_std=1 / np.sqrt(2), output_std=0.8165, seed=3)
    plane = xs.direction_slice(reference, TINY.side, extent=TINY.map_extent, seed=3)
    whole = xs.basin_map(plane, epochs=list(TINY.map_lengths), engine="numba")
    for name in whole.data_vars:
        xr.testing.assert_identical(maps[name], whole[name])
    xr.testing.assert_identical(summary, xs.basin_summary(whole))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scale": "huge"}, ValueError, "scale must be one of 'tiny', 'quick', 'full'"),
        ({"engine": "gpu"}, ValueError, "engine must be one of"),
        ({"workers": 0}, ValueError, "workers must be an integer >= 1"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ({"progress": "yes"}, TypeError, "progress must be True or False"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        run_failures(tmp_path / "out", **{"scale": "tiny", **kwargs})
    assert not (tmp_path / "out").exists()


def test_out_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="out .*file is a file, not a directory"):
        run_failures(tmp_path / "file" / "out", "tiny")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_directory_of_other_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="non-empty directory that is not a failure report"):
        run_failures(tmp_path, "tiny")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    (tmp_path / "summary.json").write_text('{"study": "beyond"}')
    with pytest.raises(ValueError, match="not a failure report"):
        check_out(tmp_path)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"longest": 300}, "longest must be an integer >= 301"),
        ({"map_lengths": (100, 100)}, "map_lengths must be strictly increasing"),
        ({"hidden_stds": (0.5, 0.5)}, "hidden_stds must be distinct"),
        ({"side": 1}, "side must be an integer from 2 to"),
    ],
)
def test_scale_checks(changes, match):
    sizes = {
        "hidden_stds": TINY.hidden_stds,
        "runs": TINY.runs,
        "article": TINY.article,
        "longest": TINY.longest,
        "side": TINY.side,
        "map_lengths": TINY.map_lengths,
    }
    with pytest.raises(ValueError, match=match):
        FailureScale(**{**sizes, **changes})


def test_the_study_of_another_width_and_activation(tmp_path):
    """Every stage follows the scale's width and activation; the checks still hold."""
    scale = dataclasses.replace(TINY, hidden=3, activation="tanh", runs=24)
    study = compute_failures(scale, workers=1, engine="numpy")
    assert all(study.checks.values())
    assert study.runs.attrs["hidden"] == 3 and study.runs.attrs["activation"] == "tanh"
    assert study.maps.attrs["activation"] == "tanh" and study.maps.sizes["parameter"] == 13
    # the replayed failures are the sweep's, trained again with the same activation
    assert study.failures.sizes["failure"] == int(study.runs.converged_epoch.isnull().sum())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"optimizer": "adam"}, "optimizer must be 'gd' for the failure study"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"hidden": 0}, "hidden"),
    ],
)
def test_a_scale_the_study_cannot_follow_is_refused_in_one_line(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TINY, **change)
