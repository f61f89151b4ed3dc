"""fit_optimum: a planted optimum recovered, the interval's coverage, and every way to fail."""

from __future__ import annotations

import json
import math
import re

import _datasets as synth
import numpy as np
import pytest
import xarray as xr
from scipy.optimize import minimize_scalar

import xorsweep as xs
from xorsweep.model.network import GLOROT_STD

COVERAGE_REPEATS = 200


@pytest.fixture(scope="module")
def big():
    """Planted results with many runs: the estimate is sharp."""
    return synth.planted(np.random.default_rng(7), runs=2000)


@pytest.fixture(scope="module")
def big_fit(big):
    return xs.fit_optimum(big, n_boot=400, rng=1)


def test_recovers_the_planted_optimum(big, big_fit):
    fit = big_fit
    assert fit.ok and fit.message == ""
    lo, hi = fit.optimum_ci
    assert lo < synth.OPTIMUM < hi
    assert abs(fit.optimum - synth.OPTIMUM) < 0.03 and hi - lo < 0.1
    assert fit.window[0] < lo and hi < fit.window[1]
    # the fitted losses against the planted curve, within their intervals
    for value, ci, std in (
        (fit.loss_at_optimum, fit.loss_at_optimum_ci, fit.optimum),
        (fit.loss_at_glorot, fit.loss_at_glorot_ci, GLOROT_STD),
        (fit.loss_at_one, fit.loss_at_one_ci, 1.0),
    ):
        truth = float(synth.planted_mean(std))
        assert ci[0] < truth < ci[1] and abs(value - truth) < 0.02 * truth
    assert fit.loss_at_optimum == pytest.approx(float(fit.predict(fit.optimum)), rel=1e-12)
    # the curve for plotting: the model across the window
    curve = fit.curve
    assert curve.name == "fitted_loss" and curve.dims == ("hidden_std",)
    np.testing.assert_allclose(curve.hidden_std[[0, -1]], fit.window)
    np.testing.assert_allclose(curve.values, fit.predict(curve.hidden_std.values), rtol=1e-12)
    assert curve.values.min() >= fit.loss_at_optimum - 1e-9
    # lack of fit is not detected where the model is exact
    assert fit.dof == fit.n_points - 4 and fit.p_value > 0.01
    assert fit.n_runs == 2000 * fit.n_points and fit.n_boot == 400
    assert fit.boot_optimum.shape == (400,) and fit.boot_coefficients.shape == (400, 4)


def test_point_estimate_matches_an_independent_fit(big, big_fit):
    """numpy's polyfit on the same window and weights, minimised by scipy: the same optimum."""
    fit = big_fit
    s = big.hidden_std.values
    inside = (s >= fit.window[0]) & (s <= fit.window[1])
    x = big.total_loss.values[inside]
    mean, sem = x.mean(axis=1), x.std(axis=1, ddof=1) / np.sqrt(x.shape[1])
    u = np.log(s[inside])
    coefs = np.polynomial.polynomial.polyfit(u, mean, 3, w=1 / sem)
    best = minimize_scalar(
        lambda v: np.polynomial.polynomial.polyval(v, coefs),
        bounds=(u[0], u[-1]),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert fit.optimum == pytest.approx(math.exp(best.x), rel=1e-6)
    assert fit.loss_at_optimum == pytest.approx(best.fun, rel=1e-9)
    chi2 = np.sum(((mean - np.polynomial.polynomial.polyval(u, coefs)) / sem) ** 2)
    assert fit.chi2 == pytest.approx(chi2, rel=1e-8)


def test_glorot_distance_definition(big_fit):
    fit = big_fit
    lo, hi = fit.optimum_ci
    assert fit.optimum < GLOROT_STD  # planted at 0.6
    assert fit.glorot_distance == pytest.approx((GLOROT_STD - fit.optimum) / (hi - fit.optimum))
    assert (abs(fit.glorot_distance) > 1) == (not lo <= GLOROT_STD <= hi)


@pytest.mark.parametrize("runs, outside", [(200, False), (2000, True)])
def test_glorot_distance_uses_the_lower_half_width_when_the_optimum_is_above(runs, outside):
    """Planted above 1/sqrt(2): the distance is negative and measured in the interval's
    lower half-width, which differs from the upper one (the bootstrap's optima are skewed)."""
    planted = synth.planted(np.random.default_rng(8), runs=runs, optimum=0.85)
    fit = xs.fit_optimum(planted, n_boot=400, rng=2)
    assert fit.ok, fit.message
    lo, hi = fit.optimum_ci
    assert GLOROT_STD < fit.optimum and (GLOROT_STD < lo) == outside
    below, above = fit.optimum - lo, hi - fit.optimum
    assert abs(below / above - 1) > 0.01  # the wrong half-width would show
    assert fit.glorot_distance == pytest.approx((GLOROT_STD - fit.optimum) / below, rel=1e-12)
    assert fit.glorot_distance < 0
    assert (abs(fit.glorot_distance) > 1) == outside
    assert fit.to_frame().loc["glorot_distance", "value"] == fit.glorot_distance


def test_interval_covers_the_truth_about_95_percent_of_the_time():
    """200 synthetic sweeps with skewed, bimodal per-run noise: the 95% CI covers the planted
    optimum between 90% and 99% of the time (binomial sd at 95%: 1.5 points)."""
    rng = np.random.default_rng(20261128)
    covered, optima = 0, []
    for _ in range(COVERAGE_REPEATS):
        fit = xs.fit_optimum(synth.planted(rng), n_boot=300, rng=rng)
        assert fit.ok, fit.message
        covered += fit.optimum_ci[0] <= synth.OPTIMUM <= fit.optimum_ci[1]
        optima.append(fit.optimum)
    coverage = covered / COVERAGE_REPEATS
    assert 0.90 <= coverage <= 0.99, coverage
    # and the estimator is centred on the truth (bias well below its spread)
    assert abs(np.mean(optima) - synth.OPTIMUM) < 0.3 * np.std(optima)


def test_quadratic_model_and_reproducible_bootstrap(rng):
    s = np.geomspace(0.2, 2.0, 17)
    d = np.log(s / 0.8)
    loss = (900 + 500 * d**2)[:, None] * rng.gamma(4.0, 0.25, size=(17, 300))
    ds = synth.results(loss, s)
    fit = xs.fit_optimum(ds, degree=2, n_boot=200, rng=5)
    assert fit.ok and fit.model == "weighted quadratic in log(hidden_std)"
    assert fit.optimum_ci[0] < 0.8 < fit.optimum_ci[1] and len(fit.coefficients) == 3
    again = xs.fit_optimum(ds, degree=2, n_boot=200, rng=np.random.default_rng(5))
    assert again.optimum_ci == fit.optimum_ci and again.optimum == fit.optimum
    other = xs.fit_optimum(ds, degree=2, n_boot=200, rng=6)
    assert other.optimum == fit.optimum and other.optimum_ci != fit.optimum_ci


def test_ragged_runs_zero_std_and_length_one_dims(big):
    """Points with few runs are left out, std 0 is skipped, extra dims of length 1 dropped."""
    loss = big.total_loss.values.copy()
    loss[5, 3:] = np.nan  # 3 runs < min_runs
    loss[20, 1000:] = np.nan  # fewer runs, still used
    stds = big.hidden_std.values.copy()
    stds[0] = 0.0
    ds = synth.results(loss, stds).expand_dims(output_std=[0.8165], lr=[0.1])
    fit = xs.fit_optimum(ds, n_boot=100, rng=0)
    assert fit.ok
    s = big.hidden_std.values
    inside = (s >= fit.window[0]) & (s <= fit.window[1])
    assert fit.n_runs == 2000 * inside.sum() - 1000
    both = xr.concat([ds, ds.assign_coords(output_std=[1.0])], "output_std")
    with pytest.raises(ValueError, match=r"hold output_std 1.0 where their attributes record"):
        xs.fit_optimum(both)  # the first part's attributes describe both: refused
    both.attrs["output_std"] = [0.8165, 1.0]
    with pytest.raises(ValueError, match=r"output_std \(2 values\).*\.sel\(output_std=\.\.\.\)"):
        xs.fit_optimum(both)


def test_table_repr_and_json(big_fit):
    frame = big_fit.to_frame()
    assert list(frame.columns) == ["value", "value_low", "value_high"]
    assert frame.loc["optimum", "value"] == big_fit.optimum
    assert tuple(frame.loc["optimum", ["value_low", "value_high"]]) == big_fit.optimum_ci
    assert (big_fit.optimum_low, big_fit.optimum_high) == big_fit.optimum_ci
    assert frame.attrs["ok"] is True
    text = repr(big_fit)
    assert text.startswith("FitResult(ok=True)")
    assert f"optimal hidden std {big_fit.optimum:.4g}" in text and "1/sqrt(2) is" in text
    data = json.loads(json.dumps(big_fit.to_dict(), allow_nan=False))
    assert data["optimum"] == big_fit.optimum and data["ok"] is True
    assert [data["optimum_low"], data["optimum_high"]] == list(big_fit.optimum_ci)
    assert "optimum_ci" not in data and data["reason"] == ""
    assert len(data["curve"]["fitted_loss"]) == big_fit.curve.size


# ---------------------------------------------------------------------------
# Bad input: a clear error, or with errors="ignore" a result that says why
# ---------------------------------------------------------------------------


def _both(ds, match, **kwargs):
    """Raises ValueError matching ``match``; with errors="ignore" returns ok=False saying so."""
    with pytest.raises(ValueError, match=match):
        xs.fit_optimum(ds, n_boot=50, **kwargs)
    fit = xs.fit_optimum(ds, n_boot=50, errors="ignore", **kwargs)
    assert isinstance(fit, xs.FitResult) and not fit.ok
    assert re.search(match, fit.reason), fit.reason
    assert "FitResult(ok=False)" in repr(fit) and f"no optimum: {fit.reason}" in repr(fit)
    _shows_no_optimum(fit)
    return fit


def _shows_no_optimum(fit):
    """A fit without an optimum shows no optimum number: fields, repr, table, JSON."""
    assert not fit.ok and fit.reason
    for value in (fit.optimum, *fit.optimum_ci, fit.loss_at_optimum, fit.glorot_distance):
        assert math.isnan(value)
    assert "optimal hidden std" not in repr(fit)
    frame = fit.to_frame()
    assert frame.loc["optimum"].isna().all() and frame.attrs["reason"] == fit.reason
    data = json.loads(json.dumps(fit.to_dict(), allow_nan=False))
    assert data["optimum"] is data["optimum_low"] is data["optimum_high"] is None


def test_all_nan():
    ds = synth.results(np.full((9, 20), np.nan), np.geomspace(0.1, 10, 9))
    fit = _both(ds, "no present runs")
    assert math.isnan(fit.optimum) and math.isnan(fit.optimum_ci[0])
    assert math.isnan(fit.loss_at_glorot) and fit.curve.size == 0


def test_too_few_runs_and_points(rng):
    s = np.geomspace(0.2, 2.0, 9)
    loss = synth.planted_mean(s)[:, None] * rng.gamma(4.0, 0.25, size=(9, 4))
    _both(synth.results(loss, s), r"too few runs: .*min_runs=5")
    loss = synth.planted_mean(s[:5])[:, None] * rng.gamma(4.0, 0.25, size=(5, 50))
    _both(synth.results(loss, s[:5]), r"too few points: 5 .* min_points=6")
    _both(synth.results(loss[:4], s[:4]), r"too few points: 4 .* min_points=5", degree=2)
    # identical runs have no standard error, so they cannot weigh a point
    _both(synth.results(np.ones((9, 30)), s), "too few runs")


def test_minimum_at_the_edge_of_the_grid(rng):
    s = np.geomspace(0.05, 0.5, 12)  # the loss still falls at the largest std
    loss = synth.planted_mean(s)[:, None] * rng.gamma(4.0, 0.25, size=(12, 200))
    fit = _both(synth.results(loss, s), r"no interior minimum: .* at the largest hidden_std, 0\.5")
    assert math.isnan(fit.optimum)


def test_fitted_curve_lowest_at_its_window_edge(rng):
    """A sharp dip on the last-but-one point: the cubic on its window is lowest at the edge."""
    s = np.geomspace(0.2, 2.0, 7)
    means = np.array([10.0, 9.0, 8.0, 7.0, 6.9, 1.0, 10.0])
    loss = means[:, None] * (1 + 0.01 * rng.standard_normal((7, 50)))
    fit = _both(synth.results(loss, s), "lowest at the upper edge of its window", smooth=0.0)
    assert math.isnan(fit.optimum) and math.isnan(fit.glorot_distance)


def test_interval_reaching_the_window_edge():
    """Too few runs for the curvature: many replicates have their minimum at an edge."""
    s = np.geomspace(0.15, 3.0, 15)
    loss = synth.planted_mean(s)[:, None] * np.random.default_rng(11).gamma(1.0, 1.0, (15, 30))
    fit = _both(synth.results(loss, s), r"interval reaches the window's edge")
    assert max(fit.edge_fraction) > 0.025 and fit.boot_optimum.size == 50


def test_lack_of_fit_is_reported(rng):
    """A kinked curve with tiny errors: the cubic misses it and the message says so."""
    s = np.geomspace(0.1, 10, 41)
    means = 1000 + 300 * np.abs(np.log(s / 0.6)) ** 1.2
    loss = means[:, None] * (1 + 0.002 * rng.standard_normal((41, 200)))
    fit = xs.fit_optimum(synth.results(loss, s), level=0.6, n_boot=50, rng=0)
    assert fit.ok and fit.p_value < 1e-3 and "lack of fit" in fit.message
    assert any("lack of fit" in note for note in fit.notes) and fit.reason == ""


def test_stds_outside_the_window_have_no_fitted_loss(rng):
    s = np.geomspace(0.05, 0.5, 15)
    d = np.log(s / 0.15)
    loss = (1000 + 800 * d**2)[:, None] * rng.gamma(4.0, 0.25, size=(15, 400))
    fit = xs.fit_optimum(synth.results(loss, s), n_boot=100, rng=0)
    assert fit.ok and fit.window[1] < GLOROT_STD
    assert math.isnan(fit.loss_at_glorot) and math.isnan(fit.loss_at_one)
    assert "1/sqrt(2) lies outside the window" in fit.message
    assert any(note.startswith("1 lies outside the window") for note in fit.notes)
    assert fit.reason == ""
    assert np.isnan(fit.predict([0.01, 1.0])).all() and np.isnan(fit.predict_boot(1.0)).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"degree": 4}, ValueError, "degree must be 2 or 3"),
        ({"degree": 2.0}, TypeError, "degree must be an integer"),
        ({"level": 0}, ValueError, "level must be a finite number > 0"),
        ({"level": float("nan")}, ValueError, "level must be a finite number"),
        ({"smooth": -0.1}, ValueError, "smooth must be a finite number >= 0"),
        ({"min_runs": 1}, ValueError, "min_runs must be an integer >= 2"),
        ({"min_points": 4}, ValueError, "min_points must be an integer >= 5"),
        ({"n_boot": 10}, ValueError, "n_boot must be an integer >= 20"),
        ({"confidence": 95}, ValueError, r"confidence must be a number in \(0, 1\)"),
        ({"rng": None}, TypeError, "rng must be a seed"),
        ({"errors": "warn"}, ValueError, "errors must be one of 'raise', 'ignore'"),
    ],
)
def test_bad_arguments(big, kwargs, error, match):
    with pytest.raises(error, match=match):
        xs.fit_optimum(big, **kwargs)
    # wrong arguments are errors whatever errors= says
    if "errors" not in kwargs:
        with pytest.raises(error, match=match):
            xs.fit_optimum(big, errors="ignore", **kwargs)


def test_bad_datasets(big):
    with pytest.raises(TypeError, match="xarray.Dataset"):
        xs.fit_optimum(big.total_loss)
    with pytest.raises(ValueError, match="lacks the variable"):
        xs.fit_optimum(big.drop_vars("total_loss"))
    with pytest.raises(ValueError, match="hidden_std dimension"):
        xs.fit_optimum(big.isel(hidden_std=3))


def test_a_six_point_window_is_noted_and_its_replicates_choose_their_windows():
    """A coarse grid: the cubic's window holds 6 points, 2 degrees of freedom."""
    s = np.geomspace(0.15, 3.0, 9)
    fit = xs.fit_optimum(synth.planted(np.random.default_rng(2), stds=s, runs=1024), rng=0)
    assert fit.n_points == 6 and fit.dof == 2 and fit.ok
    assert any(note.startswith("thin window: 6 points") for note in fit.notes)
    assert "note: thin window" in repr(fit) and fit.reason == ""
    assert fit.optimum_low < synth.OPTIMUM < fit.optimum_high
    # each replicate's lowest loss is its own polynomial at its own optimum
    t = (np.log(fit.boot_optimum) - fit.center) / fit.scale
    at = np.einsum("bk,bk->b", fit.boot_coefficients, np.vander(t, fit.degree + 1, True))
    np.testing.assert_allclose(at, fit.boot_loss, rtol=1e-12)


def test_a_flat_curve_has_no_optimum(rng):
    s = np.geomspace(0.15, 3.0, 21)
    loss = synth.A * rng.gamma(4.0, 0.25, size=(21, 512))  # the same mean at every std
    fit = _both(synth.results(loss, s), r"no (interior )?minimum|reaches the window's edge")
    assert fit.reason and math.isnan(fit.optimum_low)


def test_a_hand_built_result_without_an_optimum_shows_none():
    """ok false: whatever the fields were given, no optimum number anywhere (or in a figure)."""
    import matplotlib.pyplot as plt

    from xorsweep import plots

    fit = xs.FitResult(optimum=0.6, optimum_ci=(0.5, 0.7), loss_at_optimum=1.0, reason="edge")
    _shows_no_optimum(fit)
    assert fit.message == "edge" and "no optimum: edge" in repr(fit)
    summary = xs.summarize(synth.planted(np.random.default_rng(0), runs=20))
    ax = plots.plot_loss_vs_std(summary, fit)
    assert not any("0.6" in line.get_label() for line in ax.get_lines())
    assert [t.get_text() for t in ax.texts] == ["no fitted minimum: edge"]
    plt.close("all")
