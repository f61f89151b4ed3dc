"""Every variable and coordinate the package returns has a long name and units (CF)."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep._core.cf_attrs import CF_ATTRS, cf_attrs, with_cf_attrs
from xorsweep.analysis.slices import RULE_VARIABLES, SLICE_VARIABLES
from xorsweep.analysis.stats import SUMMARY_VARIABLES
from xorsweep.sweeps.config import GRID_DIMS
from xorsweep.sweeps.store import VARIABLES

DATA = Path(__file__).parent / "data"
STDS = np.geomspace(0.2, 5.0, 7)
NAMES = {name for name, (_, units) in CF_ATTRS.items() if units is None}  # not quantities


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def grid():
    return xs.sweep(
        STDS,
        runs=12,
        epochs=400,
        lr=[0.1, 0.3],
        activation=["sigmoid", "tanh"],
        workers=1,
        progress=False,
    )


def _assert_described(ds: xr.Dataset) -> None:
    """Each variable and coordinate: a long name, and units unless it holds names."""
    assert ds.variables
    for name, variable in ds.variables.items():
        attrs = variable.attrs
        assert attrs.get("long_name"), name
        if name in NAMES:
            assert "units" not in attrs and variable.dtype.kind in "UO", name
        else:
            assert isinstance(attrs.get("units"), str) and attrs["units"], name
            assert variable.dtype.kind in "biuf", name


def test_train_with_its_history_is_described():
    pop = xs.init_population(3, hidden=3, n_out=2, seed=0)
    table = xs.TruthTable([[0, 0], [0, 1], [1, 0], [1, 1]], [[0, 1], [1, 0], [1, 0], [0, 1]])
    ds = xs.train(pop, 30, data=table, record_every=10)  # two outputs: an output dimension
    assert {"epoch", "unit", "output"} <= set(ds.dims)
    _assert_described(ds)
    assert ds.epoch.attrs["units"] == ds.converged_epoch.attrs["units"] == "epochs"
    assert ds.hidden_weights.attrs["units"] == "1"


def test_sweep_summary_and_fits_are_described(grid):
    _assert_described(grid)
    assert grid.activation.attrs == {"long_name": "hidden layer's activation"}
    summary = xs.summarize(grid, confidence=0.9)
    _assert_described(summary)
    assert summary.failure_low.attrs["long_name"].endswith("Wilson 90% interval")
    fits = xs.fit_slices(grid, n_boot=50, rng=1)
    _assert_described(fits)
    assert fits.optimum_low.attrs["long_name"].endswith("the 95% interval")
    assert fits.penalty.attrs["units"] == "%"


def test_the_attributes_survive_a_store(grid, tmp_path):
    stored = xs.sweep(
        STDS,
        runs=12,
        epochs=400,
        lr=[0.1, 0.3],
        activation=["sigmoid", "tanh"],
        workers=1,
        progress=False,
        store=tmp_path / "s.zarr",
    )
    for loaded in (stored, xs.open_results(tmp_path / "s.zarr", chunks={})):
        _assert_described(loaded)
        for name, variable in grid.variables.items():
            assert loaded[name].attrs == variable.attrs, name
    raw = xr.open_zarr(tmp_path / "s.zarr", consolidated=False)  # the store itself, read by xarray
    assert raw.hidden_std.attrs == cf_attrs("hidden_std")
    assert raw.total_loss.attrs == cf_attrs("total_loss")


def test_a_dataset_written_by_xarray_keeps_them(tmp_path):
    ds = xs.train(xs.init_population(2, seed=1), 20, record_every=5)
    ds.to_zarr(tmp_path / "t.zarr", zarr_format=3, consolidated=False)
    back = xr.open_zarr(tmp_path / "t.zarr", consolidated=False)
    for name, variable in ds.variables.items():
        assert back[name].attrs == variable.attrs, name


def test_stores_made_before_the_table_are_given_its_attributes(tmp_path):
    old = tmp_path / "old.zarr"
    shutil.copytree(DATA / "pre_axes_grid.zarr", old)
    assert "sum over epochs" in xr.open_zarr(old, consolidated=False).total_loss.attrs["units"]
    ds = xs.open_results(old)
    _assert_described(ds)
    assert ds.total_loss.attrs == cf_attrs("total_loss")


def test_xarray_plots_label_themselves(grid):
    summary = xs.summarize(grid.sel(lr=0.1, activation="sigmoid"))
    [line] = summary["mean"].plot()
    ax = line.axes
    assert ax.get_ylabel().replace("\n", " ") == "mean total loss [nats]"
    assert ax.get_xlabel().replace("\n", " ") == "initial std of the hidden layer [1]"
    loss = grid.total_loss.sel(lr=0.3, activation="tanh").mean("run")
    ax = loss.plot()[0].axes
    assert cf_attrs("total_loss")["long_name"] in ax.get_ylabel().replace("\n", " ")
    assert ax.get_title() == "lr = 0.3 [1], activation = tanh"  # names: no units


def test_the_table_is_applied_to_a_copy_and_only_to_its_names():
    ds = xr.Dataset(
        {"mean": ("hidden_std", [1.0, 2.0]), "other": ("hidden_std", [0.0, 1.0])},
        coords={"hidden_std": [0.5, 1.0]},
        attrs={"confidence": 0.8},
    )
    ds["mean"].attrs["note"] = "kept"
    out = with_cf_attrs(ds)
    assert out["mean"].attrs == {"note": "kept", **cf_attrs("mean")}
    assert out["other"].attrs == {} and ds.hidden_std.attrs == {}
    assert out.hidden_std.attrs["units"] == "1"
    with pytest.raises(ValueError, match="name must be one of the names of CF_ATTRS, got 'nope'"):
        cf_attrs("nope")


def test_the_table_names_every_grid_dimension_and_returned_variable():
    named = {*GRID_DIMS, "run", *VARIABLES, *SUMMARY_VARIABLES, *SLICE_VARIABLES, *RULE_VARIABLES}
    assert sorted(named - set(CF_ATTRS)) == []
