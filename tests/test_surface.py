"""fit_surface: planted joint optima found, the region, the rules' pairs, every way to fail."""

from __future__ import annotations

import json
import math
import re

import _datasets as synth
import numpy as np
import pytest
import xarray as xr
from scipy.optimize import minimize

import xorsweep as xs

GLOROT_PAIR = (1 / math.sqrt(2), math.sqrt(2 / 3))


@pytest.fixture(scope="module")
def big():
    """A planted surface with many runs: the estimate is sharp."""
    return synth.planted_surface(np.random.default_rng(7), runs=1500)


@pytest.fixture(scope="module")
def big_fit(big):
    return xs.fit_surface(big, n_boot=300, rng=1)


def test_recovers_the_planted_optimum(big, big_fit):
    fit = big_fit
    h, o = synth.OPTIMUM_2D
    assert fit.ok, fit.message
    assert bool(fit.contains(h, o)) and fit.distance(h, o) < 1
    assert fit.hidden_ci[0] < h < fit.hidden_ci[1] and fit.output_ci[0] < o < fit.output_ci[1]
    assert abs(math.log(fit.optimum[0] / h)) < 0.05 and abs(math.log(fit.optimum[1] / o)) < 0.05
    lo, hi = fit.loss_at_optimum_ci
    assert lo < synth.A < hi and abs(fit.loss_at_optimum - synth.A) < 0.01 * synth.A
    assert fit.loss_at_optimum == pytest.approx(float(fit.predict(*fit.optimum)), rel=1e-12)
    # the window: the points fitted, around the optimum, all runs present
    assert fit.window.dims == ("hidden_std", "output_std") and fit.window.shape == (20, 20)
    assert int(fit.window.sum()) == fit.n_points and fit.n_runs == 1500 * fit.n_points
    inside = fit.window.where(fit.window, drop=True)
    assert inside.hidden_std.min() < h < inside.hidden_std.max()
    assert inside.output_std.min() < o < inside.output_std.max()
    # the planted surface is a cubic in the log stds: no lack of fit to find
    assert fit.model.startswith("weighted cubic surface") and fit.dof == fit.n_points - 10
    assert fit.p_value > 0.01 and fit.edge_fraction == 0.0
    assert fit.boot_optimum.shape == (300, 2) and fit.boot_coefficients.shape == (300, 10)


def test_point_estimate_matches_an_independent_fit(big, big_fit):
    """numpy's weighted least squares on the same points in unscaled logs, minimised by scipy."""
    fit = big_fit
    mask = fit.window.values
    x = big.total_loss.transpose("hidden_std", "output_std", "run").values[mask]
    mean, sem = x.mean(axis=1), x.std(axis=1, ddof=1) / np.sqrt(x.shape[1])
    hh, oo = np.meshgrid(big.hidden_std.values, big.output_std.values, indexing="ij")
    u, v = np.log(hh[mask]), np.log(oo[mask])

    def design(u, v):
        return np.stack([u**i * v**j for t in range(4) for j in range(t + 1) for i in [t - j]], -1)

    coefs = np.linalg.lstsq(design(u, v) / sem[:, None], mean / sem, rcond=None)[0]
    best = minimize(
        lambda p: design(p[0], p[1]) @ coefs,
        np.log(synth.OPTIMUM_2D),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12},
    )
    np.testing.assert_allclose(fit.optimum, np.exp(best.x), rtol=1e-6)
    assert fit.loss_at_optimum == pytest.approx(best.fun, rel=1e-9)
    chi2 = np.sum(((mean - design(u, v) @ coefs) / sem) ** 2)
    assert fit.chi2 == pytest.approx(chi2, rel=1e-8)


def test_the_region(big_fit):
    fit = big_fit
    assert bool(fit.contains(*fit.optimum)) and fit.distance(*fit.optimum) == 0.0
    h, o = fit.region_boundary(101)
    assert h.shape == o.shape == (101,) and h[0] == pytest.approx(h[-1])
    np.testing.assert_allclose(fit.distance(h, o), 1.0, rtol=1e-9)
    # it holds the share `confidence` of the replicates' optima, by construction
    held = np.mean(fit.contains(fit.boot_optimum[:, 0], fit.boot_optimum[:, 1]))
    assert 0.95 <= held <= 0.96
    # and it lies inside the marginal ranges of the replicates
    assert fit.boot_optimum[:, 0].min() <= h.min() and h.max() <= fit.boot_optimum[:, 0].max()


def test_glorot_pair_outside_the_window_is_read_from_the_grid(big, big_fit):
    """The planted surface is far above its minimum at Glorot's pair: the grid's means,
    interpolated bilinearly in log stds, against the planted penalty."""
    g = big_fit.rules.sel(rule="glorot_normal")
    assert str(g.source.values) == "grid"
    np.testing.assert_allclose([g.hidden_std, g.output_std], GLOROT_PAIR, rtol=1e-12)
    means = big.total_loss.mean("run")
    logs = means.assign_coords(
        hidden_std=np.log(means.hidden_std), output_std=np.log(means.output_std)
    )
    expected = logs.interp(hidden_std=math.log(GLOROT_PAIR[0]), output_std=math.log(GLOROT_PAIR[1]))
    assert float(g.loss) == pytest.approx(float(expected), rel=1e-12)
    assert float(g.penalty) == pytest.approx(100 * (float(g.loss) / big_fit.loss_at_optimum - 1))
    truth = 100 * (float(synth.planted_surface_mean(*GLOROT_PAIR)) / synth.A - 1)
    assert g.penalty_low < truth < g.penalty_high and g.distance > 1
    # Glorot's slope-gain pair (hidden std 4/sqrt(2)) lies beyond the grid: not given
    slope = big_fit.rules.sel(rule="glorot_slope_gain")
    assert str(slope.source.values) == "" and math.isnan(slope.loss) and math.isnan(slope.penalty)
    assert "glorot_slope_gain lie outside the grid" in big_fit.message
    assert "glorot_normal, glorot_uniform, he, glorot_torch_gain lie outside the window" in (
        big_fit.message
    )


@pytest.mark.parametrize("optimum", [(0.75, 0.9), (0.3, 6.0)])
def test_other_planted_optima(optimum):
    """The default grid moved with the optimum, so that the window is as wide."""
    h = np.geomspace(0.12, 2.0, 20) * optimum[0] / synth.OPTIMUM_2D[0]
    o = np.geomspace(0.8, 16.0, 20) * optimum[1] / synth.OPTIMUM_2D[1]
    ds = synth.planted_surface(np.random.default_rng(11), h, o, runs=800, optimum=optimum)
    fit = xs.fit_surface(ds, n_boot=200, rng=2)
    assert fit.ok and bool(fit.contains(*optimum)), fit
    if optimum == (0.75, 0.9):  # Glorot's pair is in the window: the surface gives its loss
        g = fit.rules.sel(rule="glorot_normal")
        assert str(g.source.values) == "surface"
        assert float(g.loss) == pytest.approx(
            float(fit.predict(g.hidden_std, g.output_std)), rel=1e-12
        )
        truth = 100 * (float(synth.planted_surface_mean(*GLOROT_PAIR, optimum)) / synth.A - 1)
        assert g.penalty_low < truth < g.penalty_high


def test_quadratic_model_reproducible_and_generator(rng):
    h, o = np.geomspace(0.2, 2.0, 11), np.geomspace(0.5, 5.0, 11)
    dh, do = np.log(h / 0.6)[:, None], np.log(o / 1.5)[None, :]
    truth = 1000 + 400 * dh**2 + 200 * dh * do + 300 * do**2
    loss = truth[..., None] * rng.gamma(4.0, 0.25, size=(11, 11, 300))
    ds = xr.Dataset(
        {"total_loss": (("hidden_std", "output_std", "run"), loss)},
        coords={"hidden_std": h, "output_std": o},
    )
    fit = xs.fit_surface(ds, degree=2, n_boot=100, rng=5)
    assert fit.ok and len(fit.coefficients) == 6 and bool(fit.contains(0.6, 1.5))
    assert fit.model == "weighted quadratic surface in (log(hidden_std), log(output_std))"
    again = xs.fit_surface(ds, degree=2, n_boot=100, rng=np.random.default_rng(5))
    assert again.hidden_ci == fit.hidden_ci and again.region_radius == fit.region_radius
    other = xs.fit_surface(ds, degree=2, n_boot=100, rng=6)
    assert other.optimum == fit.optimum and other.hidden_ci != fit.hidden_ci
    # the grid's order does not matter, nor extra dimensions of length 1
    flipped = ds.isel(hidden_std=slice(None, None, -1)).expand_dims(lr=[0.1])
    assert xs.fit_surface(flipped, degree=2, n_boot=100, rng=5).optimum == fit.optimum


def test_table_repr_and_json(big_fit):
    text = repr(big_fit)
    assert text.startswith("SurfaceFit(ok=True)") and "Glorot's pair (0.7071, 0.8165)" in text
    data = json.loads(json.dumps(big_fit.to_dict(), allow_nan=False))
    assert data["optimum"] == list(big_fit.optimum) and data["ok"] is True
    assert data["rules"]["glorot_slope_gain"]["loss"] is None
    assert data["rules"]["glorot_normal"]["source"] == "grid"


# ---------------------------------------------------------------------------
# Bad input: one clear error, or with errors="ignore" a result that says why
# ---------------------------------------------------------------------------


def test_results_without_an_output_std_dimension(rng):
    one_d = synth.planted(rng, runs=50)
    for ds in (one_d, one_d.expand_dims(output_std=[0.5, 1.0])):
        with pytest.raises(ValueError, match=r"fit_surface needs .* output_std dimension of at"):
            xs.fit_surface(ds)
        with pytest.raises(ValueError, match="output_std dimension"):  # whatever errors says
            xs.fit_surface(ds, errors="ignore")


def test_longer_extra_dimensions_are_refused(big):
    two = xr.concat([big, big], "lr").assign_coords(lr=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"lr \(2 values\); select one value first"):
        xs.fit_surface(two)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"degree": 4}, ValueError, "degree must be 2 or 3"),
        ({"min_points": 10}, ValueError, "min_points must be an integer >= 11"),
        ({"min_points": 6, "degree": 2}, ValueError, "min_points must be an integer >= 7"),
        ({"smooth": -1}, ValueError, "smooth must be a finite number >= 0"),
        ({"n_boot": 5}, ValueError, "n_boot must be an integer >= 20"),
        ({"rng": None}, TypeError, "rng must be a seed"),
        ({"errors": "warn"}, ValueError, "errors must be one of 'raise', 'ignore'"),
    ],
)
def test_bad_arguments(big, kwargs, error, match):
    with pytest.raises(error, match=match):
        xs.fit_surface(big, **kwargs)


def _both(ds, match, **kwargs):
    """Raises ValueError saying ``match``; with errors="ignore" returns ok=False saying so."""
    with pytest.raises(ValueError, match=re.escape(match)):
        xs.fit_surface(ds, n_boot=50, **kwargs)
    fit = xs.fit_surface(ds, n_boot=50, errors="ignore", **kwargs)
    assert isinstance(fit, xs.SurfaceFit) and not fit.ok and match in fit.reason
    assert "SurfaceFit(ok=False)" in repr(fit) and f"no optimum: {fit.reason}" in repr(fit)
    _shows_no_optimum(fit)
    return fit


def _shows_no_optimum(fit):
    """A surface fit without an optimum shows no optimum number: fields, repr, text, JSON."""
    from xorsweep.cli.grid_fits import surface_record, surface_text

    values = (*fit.optimum, *fit.hidden_ci, *fit.output_ci, fit.loss_at_optimum)
    assert all(math.isnan(v) for v in values) and math.isnan(fit.region_radius)
    text = surface_text(fit)
    assert "optimal hidden std" not in repr(fit) and "confidence region:" not in text
    assert "| yes |" not in text and "| no |" not in text
    data = json.loads(json.dumps(surface_record(fit), allow_nan=False))
    for key in ("hidden_low", "hidden_high", "output_low", "output_high", "loss_at_optimum"):
        assert data[key] is None
    assert data["optimum"] == [None, None] and data["reason"] == fit.reason
    assert all(v["penalty"] is None and v["distance"] is None for v in data["rules"].values())


def test_the_ways_to_fail(rng):
    h, o = np.geomspace(0.12, 2.0, 12), np.geomspace(0.8, 16.0, 12)
    nan = synth.planted_surface(rng, h, o, runs=20)
    nan["total_loss"] = nan.total_loss * np.nan
    fit = _both(nan, "no present runs")
    assert math.isnan(fit.optimum[0]) and fit.rules.sizes["rule"] == 0
    assert np.isnan(fit.distance([0.5, 1.0], 2.0)).all() and not fit.contains(0.5, 2.0)
    assert np.isnan(fit.region_boundary(5)[0]).all() and np.isnan(fit.predict(0.5, 2.0))
    _both(synth.planted_surface(rng, h, o, runs=3), "too few points: 0")
    edge = synth.planted_surface(rng, h, np.geomspace(0.5, 3.0, 8), runs=100)
    fit = _both(
        edge,
        "no interior minimum: the lowest (smoothed) mean total loss is at the largest "
        "output_std, 3",
    )
    assert math.isnan(fit.loss_at_optimum)
    few = synth.planted_surface(np.random.default_rng(3), h, o, runs=8)
    fit = _both(few, "region reaches the window's edge")
    assert fit.edge_fraction > 0.025 and fit.boot_optimum.shape == (50, 2)
