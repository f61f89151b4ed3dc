"""Budgets in sweeps, stores, the command line and the analysis: one sweep, several budgets."""

from __future__ import annotations

import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

import xorsweep as xs
from xorsweep import cli
from xorsweep.sweeps.config import CONFIG_ATTR, SweepConfig
from xorsweep.sweeps.tasks import warm_up_task

STDS = [0.3, 0.7, 1.5, 3.0]
EPOCHS = 120
BUDGETS = (10, 45, EPOCHS)
KW = dict(runs=6, lr=[0.1, 0.5], workers=1, progress=False, block_size=5)  # several blocks


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def swept():
    return xs.sweep(STDS, epochs=EPOCHS, budgets=BUDGETS, **KW)


@pytest.fixture(scope="module")
def shorter():
    """The same sweep trained for each budget's epochs, by budget."""
    return {b: xs.sweep(STDS, epochs=b, **KW) for b in BUDGETS}


def test_a_budget_of_a_sweep_is_the_sweep_of_that_many_epochs(swept, shorter):
    assert swept.budget_total_loss.dims == ("hidden_std", "lr", "run", "budget")
    assert swept.budget.values.tolist() == list(BUDGETS) and swept.attrs["budgets"] == [*BUDGETS]
    for b, alone in shorter.items():
        at = xs.at_budget(swept, b)
        for name in ("total_loss", "converged_epoch"):
            np.testing.assert_array_equal(at[name].values, alone[name].values, err_msg=name)
            assert at[name].dims == alone[name].dims
        assert at.attrs["epochs"] == b and "budgets" not in at.attrs
    # the runs are paired: budgets see more of each run's training, never less
    losses = swept.budget_total_loss.values
    assert (np.diff(losses, axis=-1) > 0).all()


def test_at_budget_feeds_every_fit_unchanged(swept, shorter):
    at = xs.at_budget(swept, 45)
    fits, alone = xs.fit_slices(at, n_boot=50), xs.fit_slices(shorter[45], n_boot=50)
    np.testing.assert_array_equal(fits.optimum.values, alone.optimum.values)
    for name in ("mean", "failure_rate"):
        np.testing.assert_array_equal(xs.summarize(at)[name], xs.summarize(shorter[45])[name])
    assert "final_loss" not in at and "final_loss" in xs.at_budget(swept, EPOCHS)


def test_the_optimum_against_the_budget_in_one_call(swept):
    from xorsweep import plots

    along = xs.along_budget(swept)
    assert along.total_loss.dims == ("hidden_std", "lr", "budget", "run")
    assert "epochs" not in along.attrs
    fits = xs.fit_slices(along.sel(lr=0.5), n_boot=50)
    assert fits.optimum.dims == ("budget",)
    single = xs.fit_slices(xs.at_budget(swept.sel(lr=0.5), 10), n_boot=50)
    np.testing.assert_array_equal(fits.optimum.sel(budget=10).values, single.optimum.values)
    ax = plots.plot_optimum_vs(fits, "budget")
    assert "budget" in ax.get_xlabel()


@pytest.mark.parametrize("budget", [11, 10.0, "10", True])
def test_at_budget_names_the_budgets_held(swept, budget):
    with pytest.raises(ValueError, match=r"^budget must be one of the results' budgets \[10, 45"):
        xs.at_budget(swept, budget)


def test_results_without_budgets_say_so(shorter):
    for read in (lambda d: xs.at_budget(d, 10), xs.along_budget):
        with pytest.raises(ValueError, match="results have no budget axis: .*budgets="):
            read(shorter[10])


def test_a_store_keeps_the_budgets_and_resumes_them(tmp_path, swept):
    store = tmp_path / "b.zarr"
    args = dict(epochs=EPOCHS, budgets=BUDGETS, store=store)
    xs.sweep(STDS, **{**KW, "runs": 2}, **args)
    again = xs.sweep(STDS, **KW, **args)  # adds runs 2..5
    for name in ("total_loss", "budget_total_loss", "budget_converged_epoch"):
        np.testing.assert_array_equal(again[name].values, swept[name].values, err_msg=name)
    assert again.budget_total_loss.dims == swept.budget_total_loss.dims
    assert again.budget.attrs["units"] == "epochs"
    config = json.loads(json.loads((store / "zarr.json").read_text())["attributes"][CONFIG_ATTR])
    assert config["budgets"] == list(BUDGETS)
    assert SweepConfig.from_attrs(again.attrs, STDS).budgets == BUDGETS


@pytest.mark.parametrize(
    "first, then, words",
    [
        ((10, EPOCHS), None, "budgets is [10, 120] in the store but None was requested"),
        (None, (10,), "budgets is None in the store but [10] was requested"),
        ((10,), (20,), "budgets differs at 1 of 1 values (first at position 0: 10 in the store"),
    ],
)
def test_a_store_refuses_other_budgets(tmp_path, first, then, words):
    store = tmp_path / "b.zarr"
    small = dict(runs=2, epochs=EPOCHS, workers=1, progress=False, store=store)
    xs.sweep([1.0], budgets=first, **small)
    before = xs.open_results(store)
    with pytest.raises(ValueError, match=re.escape(words)):
        xs.sweep([1.0], budgets=then, **{**small, "runs": 4})
    assert xs.open_results(store).identical(before)


def test_results_of_other_budgets_do_not_combine():
    a = xs.sweep([1.0], runs=2, epochs=50, budgets=(10,), workers=1, progress=False)
    b = xs.sweep([1.0], runs=2, epochs=50, budgets=(20,), seed=1, workers=1, progress=False)
    with pytest.raises(ValueError, match=r"disagree on budgets: \[10\] \(results 0\)"):
        xs.combine(a, b)


def test_the_workers_warm_up_without_budgets():
    config = SweepConfig(hidden_std=[1.0], epochs=500, budgets=(100, 500))
    assert warm_up_task(config).settings.budgets is None
    assert config.training(next(config.settings())[1]).budgets == (100, 500)


def test_the_command_line_sweeps_with_budgets(tmp_path, capsys):
    store = tmp_path / "c.zarr"
    base = ["sweep", "--store", str(store), "--points", "3", "--runs", "2", "--epochs", "60"]
    assert cli.main([*base, "--budgets", "10,30,60", "--no-progress", "--workers", "1"]) == 0
    ds = xs.open_results(store)
    assert ds.budget.values.tolist() == [10, 30, 60]
    np.testing.assert_array_equal(ds.budget_total_loss.sel(budget=60), ds.total_loss)


@pytest.mark.parametrize("value", ["30,10", "0,10", "10,61", "10,10", "1e3", "10,,20", "x"])
def test_bad_budgets_on_the_command_line_are_one_line_and_write_nothing(tmp_path, capsys, value):
    store = tmp_path / "c.zarr"
    argv = ["sweep", "--store", str(store), "--points", "3", "--epochs", "60", "--budgets", value]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "--budgets must be whole numbers rising from 1 to --epochs 60" in err
    assert len(err.splitlines()) == 1 and not store.exists()


def test_continuing_runs_of_a_budgeted_sweep_trains_them_on_without_budgets(swept):
    import xarray as xr

    longer = xs.continue_runs(swept.sel(lr=0.5), 200, select="all")
    assert not any(str(name).startswith("budget") for name in longer.variables)
    assert "budgets" not in longer.attrs and longer.attrs["epochs"] == 200
    alone = xs.sweep(STDS, runs=6, lr=0.5, epochs=200, workers=1, progress=False)
    at = {
        "hidden_std": xr.DataArray(longer.hidden_std.values, dims="k"),
        "run": xr.DataArray(longer.source_run.values, dims="k"),
    }
    want = alone.total_loss.sel(at).values
    np.testing.assert_allclose(longer.total_loss.values, want, rtol=1e-12, atol=0)


def test_the_estimate_counts_the_budgets_bytes():
    from xorsweep.sweeps import budget

    config = SweepConfig(hidden_std=STDS, epochs=EPOCHS)
    plain = budget.sweep_cost(config, 100).store_bytes
    more = budget.sweep_cost(SweepConfig(hidden_std=STDS, epochs=EPOCHS, budgets=BUDGETS), 100)
    assert more.store_bytes - plain == 16 * len(BUDGETS) * 100 * len(STDS)


@pytest.mark.parametrize("budgets", [(60,), (20, 10), [0]])
def test_a_sweep_refuses_budgets_out_of_range_in_one_line(budgets):
    with pytest.raises(
        ValueError, match=r"^budgets must be strictly increasing integers from 1 to epochs=50"
    ):
        xs.sweep([1.0], runs=2, epochs=50, budgets=budgets, workers=1, progress=False)


def test_fits_of_results_with_budgets_read_their_own_epochs(swept, shorter):
    fits = xs.fit_slices(swept, n_boot=50)
    assert "budget" not in fits.dims
    alone = xs.fit_slices(shorter[EPOCHS], n_boot=50)
    np.testing.assert_array_equal(fits.optimum.values, alone.optimum.values)
    assert "budget" not in xs.summarize(swept).dims


def test_select_budget_reads_the_results_at_that_budget(swept):
    from xorsweep.analysis.selection import select_slice

    chosen = select_slice(swept, ["lr=0.5", "budget=45"])
    expected = xs.at_budget(swept.sel(lr=0.5), 45)
    np.testing.assert_array_equal(chosen.total_loss.values, expected.total_loss.values)
    assert chosen.attrs["epochs"] == 45
    own = select_slice(swept, ["lr=0.5"])
    assert "budget" not in own.dims and own.attrs["epochs"] == EPOCHS
    with pytest.raises(ValueError, match=r"--select budget=46: the store's budget values are 10"):
        select_slice(swept, ["budget=46"])
