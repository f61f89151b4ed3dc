"""A study over learning rates: one call per figure, honest slices, and results that agree."""

from __future__ import annotations

import json
import math

import _datasets as synth
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex

import xorsweep as xs
from xorsweep import plots
from xorsweep.cli.grid_fits import slice_records, slices_text

LRS = [0.05, 0.1, 0.2, 0.5]
OPTIMA = [1.0, 0.7, 0.5, None]  # None: a flat curve, no optimum to find
N_BOOT = 100


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _part(rng, lr, optimum, seed=0):
    """One sweep's results at one learning rate, its configuration in its attributes."""
    if optimum is None:
        ds = synth.planted(rng, runs=300)
        flat = synth.A * rng.gamma(4.0, 0.25, ds.total_loss.shape)  # the same mean everywhere
        ds = ds.assign(total_loss=(ds.total_loss.dims, flat))
    else:
        ds = synth.planted(rng, runs=300, optimum=optimum)
    return ds.assign_attrs(lr=lr, seed=seed)


@pytest.fixture(scope="module")
def family():
    rng = np.random.default_rng(5)
    ds = xs.combine(*(_part(rng, lr, opt) for lr, opt in zip(LRS, OPTIMA, strict=True)), dim="lr")
    return ds, xs.fit_slices(ds, n_boot=N_BOOT, rng=0)


def test_combine_records_the_dimension_and_fit_slices_fits_each(family):
    ds, fits = family
    assert ds.total_loss.dims == ("lr", "hidden_std", "run") and ds.attrs["lr"] == LRS
    assert ds.attrs["combined_from"] == 4
    assert fits.optimum.dims == ("lr",)
    assert fits.ok.values.tolist() == [True, True, True, False]


def test_each_slice_returns_its_curve_and_band(family):
    ds, fits = family
    for lr in LRS:
        alone = xs.fit_optimum(ds.sel(lr=lr), n_boot=N_BOOT, rng=0, errors="ignore")
        got = fits.sel(lr=lr)
        np.testing.assert_array_equal(got.curve_std.values, alone.curve.hidden_std.values)
        np.testing.assert_array_equal(got.fitted_loss.values, alone.curve.values)
        if alone.ok:
            low, high = got.fitted_loss_low.values, got.fitted_loss_high.values
            assert np.all(low < high)
            inside = (low <= got.fitted_loss.values) & (got.fitted_loss.values <= high)
            assert inside.mean() > 0.9


def test_a_flat_slice_shows_no_number_anywhere(family):
    ds, fits = family
    flat = fits.sel(lr=0.5)
    assert not bool(flat.ok) and str(flat.reason.values)
    for name in ("optimum", "optimum_low", "optimum_high", "loss_at_optimum"):
        assert math.isnan(float(flat[name]))
    assert np.isnan(flat.rule_distance.values).all() and np.isnan(flat.penalty.values).all()
    text = slices_text(fits)  # the CLI's table
    row = next(line for line in text.splitlines() if line.startswith("| 0.5 "))
    assert "| no optimum |" in row and "[" not in row
    record = json.loads(json.dumps(slice_records(fits)[-1], default=float))
    assert record["ok"] is False and all(
        record[k] is None or math.isnan(record[k]) for k in ("optimum", "optimum_low")
    )
    ax = plots.plot_optimum_vs(fits, "lr")  # the figure: no bar at 0.5, named beside
    bars = next(c for c in ax.collections if isinstance(c, LineCollection))
    assert len(bars.get_segments()) == 3
    assert any(t.get_text().startswith("no fitted optimum at learning rate 0.5") for t in ax.texts)


def test_loss_family_by_hue_is_one_call(family):
    ds, fits = family
    ax = plots.plot_loss_vs_std(xs.summarize(ds), fits, hue="lr")
    labels = [c.get_label() for c in ax.containers]
    assert [label for label in labels if label.startswith("learning rate")] == [
        f"learning rate {lr:g}" for lr in LRS
    ]
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 100]
    assert len(curves) == 3  # the flat slice has no fitted curve drawn
    ok = fits.sel(lr=0.1)
    assert any(np.allclose(c.get_ydata(), ok.fitted_loss.values) for c in curves)
    assert any("no optimum at learning rate 0.5" in t.get_text() for t in ax.texts)


def test_loss_family_in_panels(family):
    ds, fits = family
    axes = plots.plot_loss_vs_std(xs.summarize(ds), fits, col="lr")
    assert axes.shape == (4,) and [a.get_title() for a in axes] == [
        f"learning rate {lr:g}" for lr in LRS
    ]


def test_one_slice_of_fit_slices_draws_as_a_fit_result(family):
    ds, fits = family
    ax = plots.plot_loss_vs_std(xs.summarize(ds.sel(lr=0.1)), fits.sel(lr=0.1))
    optimum = float(fits.optimum.sel(lr=0.1))
    assert any(line.get_xdata()[0] == optimum for line in ax.get_lines())
    with pytest.raises(ValueError, match=r"fit has the dimension\(s\) lr: .*hue='lr'"):
        plots.plot_loss_vs_std(xs.summarize(ds.sel(lr=0.1)), fits)
    with pytest.raises(ValueError, match=r"lr \(4 values\).*hue=DIM or col=DIM"):
        plots.plot_loss_vs_std(xs.summarize(ds))  # no hue, no col: the old message
    with pytest.raises(ValueError, match="no dimension width"):
        plots.plot_loss_vs_std(xs.summarize(ds), fits, hue="width")


def test_optimum_against_the_learning_rate(family):
    ds, fits = family
    ax = plots.plot_optimum_vs(fits, "lr")
    bars = next(c for c in ax.collections if isinstance(c, LineCollection))
    ends = np.array([s[:, 1] for s in bars.get_segments()])
    ok = fits.ok.values
    np.testing.assert_allclose(ends.min(axis=1), fits.optimum_low.values[ok])
    np.testing.assert_allclose(ends.max(axis=1), fits.optimum_high.values[ok])
    # the rules do not depend on the learning rate: marks, not lines
    he = next(line for line in ax.get_lines() if line.get_label() == "He")
    assert he.get_linestyle() == "None" and list(he.get_xdata()) == LRS
    assert ax.get_xscale() == "log" and "learning rate" in ax.get_xlabel()
    again = plots.plot_optimum_vs(ds.isel(lr=[0, 1]), "lr")  # results: fitted on the way
    assert (
        len(next(c for c in again.collections if isinstance(c, LineCollection)).get_segments()) == 2
    )
    with pytest.raises(ValueError, match="dim must be a dimension of the fits, one of lr"):
        plots.plot_optimum_vs(fits, "hidden")


def test_optimum_against_a_named_dimension_marks_the_rules(rng):
    parts = [_part(rng, 0.1, 0.6).assign_attrs(activation=a) for a in ("sigmoid", "tanh")]
    fits = xs.fit_slices(xs.combine(*parts, dim="activation"), n_boot=50, rng=0)
    ax = plots.plot_optimum_vs(fits, "activation")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sigmoid", "tanh"]
    slope = next(line for line in ax.get_lines() if "1/f'(0)" in line.get_label())
    assert slope.get_linestyle() == "None"  # names: marks at each position
    assert slope.get_ydata()[0] != slope.get_ydata()[1]  # the rule depends on the activation


# ---- results that carry their configuration


def test_combine_says_what_differs(rng):
    a, b = _part(rng, 0.1, 0.6), _part(rng, 0.2, 0.6)
    with pytest.raises(ValueError, match=r"disagree on epochs: 10000 \(results 0\), 5000"):
        xs.combine(a, b.assign_attrs(epochs=5000), dim="lr")
    with pytest.raises(ValueError, match="results 0 and 1 have the same seed 0"):
        xs.combine(a, a, dim="run")
    more = xs.combine(a, a.assign_attrs(seed=1), dim="run")
    assert more.run.values.tolist() == list(range(600)) and more.attrs["seed"] == [0, 1]
    with pytest.raises(ValueError, match="disagree on lr"):
        xs.combine(a, b, dim="run")
    with pytest.raises(ValueError, match="a value of lr is in more than one"):
        xs.combine(a, a.assign_attrs(seed=1), dim="lr")
    with pytest.raises(ValueError, match="dim must be one of run, hidden_std"):
        xs.combine(a, b, dim="epochs")


def test_fits_refuse_results_joined_without_a_check(rng):
    a, b = _part(rng, 0.1, 0.6), _part(rng, 0.1, 0.6).assign_attrs(epochs=5000)
    runs = xr.concat([a, b], "run")  # the first's attributes kept: run labels repeat
    for fit in (xs.fit_optimum, xs.fit_slices):
        with pytest.raises(ValueError, match="repeat a run label.*xorsweep.combine"):
            fit(runs, n_boot=20)
    lrs = xr.concat([a, b.assign_attrs(lr=0.2)], dim=xr.DataArray([0.1, 0.2], dims="lr", name="lr"))
    with pytest.raises(ValueError, match="hold lr 0.2 where their attributes record lr 0.1"):
        xs.fit_slices(lrs, n_boot=20)


def test_optimum_by_hue_and_stds_combined(rng):
    """Two activations as colours against the learning rate; a grid extended by its stds."""
    parts = [
        _part(rng, lr, 0.6).assign_attrs(activation=a)
        for a in ("sigmoid", "tanh")
        for lr in (0.1, 0.2)
    ]
    by_lr = [xs.combine(*parts[k : k + 2], dim="lr") for k in (0, 2)]
    fits = xs.fit_slices(xs.combine(*by_lr, dim="activation"), n_boot=50, rng=0)
    ax = plots.plot_optimum_vs(fits, "lr", hue="activation")
    assert bool(fits.ok.all())
    labels = [c.get_label() for c in ax.containers]
    expected = [
        f"fitted optimum, 95% CI, hidden layer's activation {a}" for a in ("sigmoid", "tanh")
    ]
    assert labels == expected
    colors = {to_hex(c.lines[0].get_color()) for c in ax.containers}
    assert len(colors) == 2
    low, high = _part(rng, 0.1, 0.6), _part(rng, 0.1, 0.6)
    low, high = low.sel(hidden_std=slice(None, 0.6)), high.sel(hidden_std=slice(0.61, None))
    both = xs.combine(low, high.assign_attrs(seed=1), dim="hidden_std")
    assert both.hidden_std.size == 41 and bool((np.diff(both.hidden_std.values) > 0).all())
    assert both.attrs["seed"] == [0, 1] and "hidden_std" not in both.attrs
