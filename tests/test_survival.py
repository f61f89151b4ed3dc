"""Survival of convergence: Kaplan-Meier with censoring, its band, and the tail laws."""

import math

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.analysis.survival import (
    converged_between,
    epoch_grid,
    kaplan_meier,
    run_times,
    survival_curves,
)
from xorsweep.analysis.tails import TAIL_MODELS, fit_tail, tail_test

Z95 = 1.959963984540054


def test_kaplan_meier_matches_a_hand_computed_example_with_censoring_and_ties():
    # times 1 2 2 2 3 5 5 6 ; events at 1, 2 (twice), 5; censored at 2 (tie), 3, 5, 6
    times = [2, 1, 2, 3, 2, 5, 5, 6]
    observed = [True, True, False, False, True, True, False, False]
    km = kaplan_meier(times, observed)
    assert km.time.tolist() == [1, 2, 5]
    # a run censored at 2 is still at risk at 2; runs converging at 2 leave before it is censored
    assert km.at_risk.tolist() == [8, 7, 3] and km.events.tolist() == [1, 2, 1]
    s = [7 / 8, 7 / 8 * 5 / 7, 7 / 8 * 5 / 7 * 2 / 3]
    np.testing.assert_allclose(km.survival, s, rtol=1e-15)
    g = np.cumsum([1 / (8 * 7), 2 / (7 * 5), 1 / (3 * 2)])
    np.testing.assert_allclose(km.greenwood, g, rtol=1e-15)
    at = km.evaluate([0, 1, 1.5, 4, 5, 6, 7])
    np.testing.assert_allclose(
        at["survival"], [1, s[0], s[0], s[1], s[2], s[2], np.nan], rtol=1e-15
    )
    assert at["at_risk"].tolist() == [8, 7, 7, 3, 1, 0, 0]
    # the log-log band by hand at t = 4: S^exp(+-z sqrt(G) / |log S|)
    sigma = math.sqrt(g[1]) / abs(math.log(s[1]))
    assert at["survival_low"][3] == pytest.approx(s[1] ** math.exp(Z95 * sigma), rel=1e-12)
    assert at["survival_high"][3] == pytest.approx(s[1] ** math.exp(-Z95 * sigma), rel=1e-12)
    assert at["survival_low"][0] == at["survival_high"][0] == 1.0  # before any convergence


def test_a_curve_that_reaches_zero_stays_zero_and_without_censoring_is_the_empirical_one():
    times = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    km = kaplan_meier(times, np.ones(5, bool))
    at = km.evaluate([0, 1, 3, 4, 5, 9])
    np.testing.assert_allclose(at["survival"], [1, 0.6, 0.4, 0.2, 0, 0], atol=1e-15)
    assert at["survival_low"][-1] == at["survival_high"][-1] == 0.0


def _coverage(draw, t_eval, truth, rng, sets=200, n=500):
    hits = np.zeros(len(t_eval))
    for _ in range(sets):
        times, observed = draw(rng, n)
        band = kaplan_meier(times, observed).evaluate(t_eval)
        hits += (band["survival_low"] <= truth) & (truth <= band["survival_high"])
    return hits / sets


def test_the_95_percent_band_covers_a_known_exponential_law_with_random_censoring():
    truth = np.array([0.95, 0.8, 0.5, 0.2, 0.05])

    def draw(rng, n):
        t, c = rng.exponential(1.0, n), rng.uniform(0.0, 4.0, n)
        return np.minimum(t, c), t <= c

    coverage = _coverage(draw, -np.log(truth), truth, np.random.default_rng(11))
    assert np.all(coverage >= 0.90), coverage
    assert np.all(coverage <= 0.99), coverage  # a band too wide to be useful would fail here


def test_the_band_covers_a_discrete_law_with_ties_like_whole_epochs():
    p, epochs = 0.02, np.array([2, 10, 30, 80])
    truth = (1 - p) ** epochs  # geometric convergence epoch: P(T > t)

    def draw(rng, n):
        t = rng.geometric(p, n).astype(float)
        c = rng.integers(0, 150, n).astype(float)  # trained c epochs, not converged then
        return np.minimum(t, c), t <= c

    coverage = _coverage(draw, epochs, truth, np.random.default_rng(12))
    assert np.all(coverage >= 0.90) and np.all(coverage <= 0.99), coverage


def test_the_share_converging_between_two_epochs_and_its_intervals_cover_the_truth():
    rng = np.random.default_rng(13)
    a, b = 0.2, 1.5
    true_share, true_conditional = math.exp(-a) - math.exp(-b), 1 - math.exp(a - b)
    hits = np.zeros(2)
    for _ in range(200):
        t, c = rng.exponential(1.0, 500), rng.uniform(0.0, 4.0, 500)
        got = kaplan_meier(np.minimum(t, c), t <= c).between(a, b)
        hits += [
            got["share_low"] <= true_share <= got["share_high"],
            got["conditional_low"] <= true_conditional <= got["conditional_high"],
        ]
    assert np.all(hits / 200 >= 0.90) and np.all(hits / 200 <= 0.99), hits / 200


def test_between_by_hand_and_not_followed_far_enough():
    km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    got = km.between(1, 3)  # S(1) = 0.8, S(3) = 0.3
    assert got["share"] == pytest.approx(0.5) and got["conditional"] == pytest.approx(0.625)
    assert got["left"] == 4
    assert got["share_low"] < 0.5 < got["share_high"]
    assert math.isnan(km.between(1, 5)["share"])  # nobody followed beyond 4
    with pytest.raises(ValueError, match="start and stop"):
        km.between(3, 1)


def test_between_with_no_convergence_gives_an_upper_bound_from_the_runs_followed():
    """No run converges in (start, stop]: the share is 0 but its interval is not [0, 0]."""
    km = kaplan_meier([1, 2, 50, 60, 70, 80], [True, True, False, False, False, False])
    got = km.between(10, 50)  # 4 runs followed up to 50, none converging; S(10) = 4 / 6
    high = 1 - 0.025 ** (1 / 4)  # Clopper-Pearson's 97.5% bound for 0 events in 4
    assert got["share"] == got["conditional"] == got["share_low"] == got["conditional_low"] == 0
    assert got["conditional_high"] == pytest.approx(high, rel=1e-12)
    assert got["share_high"] == pytest.approx(high * 4 / 6, rel=1e-12)
    # rare late convergence: intervals cover the truth although 0 events are common (13%)
    rng = np.random.default_rng(5)
    p, n, hits, zero = 0.02, 100, 0, 0
    for _ in range(1000):
        late = rng.uniform(size=n) < p  # converge in (10, 1000], at a uniform epoch there
        times = np.where(late, rng.uniform(10.5, 1000, n), 1000.0)
        got = kaplan_meier(np.concatenate([[1.0, 2.0], times]), np.r_[True, True, late])
        got = got.between(10, 1000)
        zero += not late.any()
        hits += got["conditional_low"] <= p <= got["conditional_high"]
    assert zero > 80 and hits / 1000 >= 0.9, (zero, hits)


def _results(conv, epochs=100, **coords):
    """A results Dataset over (hidden_std, run) with converged_epoch (NaN: failed)."""
    conv = np.asarray(conv, dtype=float)
    ds = xr.Dataset(
        {
            "converged_epoch": (("hidden_std", "run"), conv),
            "total_loss": (("hidden_std", "run"), np.ones_like(conv)),
        },
        coords={"hidden_std": [0.5, 1.0][: conv.shape[0]], **coords},
    )
    ds.attrs["epochs"] = epochs
    return ds


def test_survival_per_hidden_std_equals_kaplan_meier_of_each_group():
    nan = np.nan
    ds = _results([[10, 20, nan, 40, nan], [5, nan, nan, nan, 90]])
    ds["total_loss"][1, 3] = nan  # an absent run (a store's unfinished run)
    curves = survival_curves(ds, grid=[0, 10, 50, 100])
    assert curves.survival.dims == ("hidden_std", "epoch")
    assert curves.runs.values.tolist() == [5, 4] and curves.converged.values.tolist() == [3, 2]
    first = kaplan_meier([10, 20, 100, 40, 100], np.array([1, 1, 0, 1, 0], bool))
    np.testing.assert_array_equal(
        curves.survival.sel(hidden_std=0.5), first.evaluate([0, 10, 50, 100])["survival"]
    )
    # std 1.0: converged at 5 and 90, two censored at 100, one absent: 3/4, then 3/4 * 2/3
    np.testing.assert_allclose(curves.survival.sel(hidden_std=1.0), [1, 0.75, 0.75, 0.5])
    pooled = survival_curves(ds, by=None, grid=[100])
    assert pooled.survival.dims == ("epoch",) and int(pooled.runs) == 9
    assert float(pooled.survival[0]) == pytest.approx(4 / 9)  # censored only at the end


def test_survival_groups_by_a_coordinate_along_run_and_censors_each_run_where_it_stopped():
    # runs selected from a store and trained on: one run dimension, a per-run std and epochs
    ds = xr.Dataset(
        {
            "converged_epoch": ("run", [50.0, np.nan, 400.0, np.nan, np.nan]),
            "epochs_trained": ("run", [100.0, 100.0, 1000.0, 1000.0, 100.0]),
        },
        coords={"hidden_std": ("run", [0.1, 0.1, 0.1, 0.2, 0.2])},
    )
    curves = survival_curves(ds, epochs="epochs_trained", grid=[60, 100, 500, 1000])
    # std 0.1: converged at 50 and 400, one censored at 100: S = 2/3 after 50, then 0
    np.testing.assert_allclose(curves.survival.sel(hidden_std=0.1), [2 / 3, 2 / 3, 0, 0])
    # std 0.2: censored at 1000 and 100: no convergence, unknown beyond the longest run
    np.testing.assert_array_equal(curves.survival.sel(hidden_std=0.2), [1, 1, 1, 1])
    time, observed = run_times(ds, "epochs_trained")
    assert time.values.tolist() == [50, 100, 400, 1000, 100]
    assert observed.values.tolist() == [True, False, True, False, False]


def test_survival_of_a_trained_population_with_continued_training():
    pop = xs.init_population(300, hidden_std=1.0, seed=4)
    short, long = xs.train(pop, epochs=1000), xs.train(pop, epochs=3000)
    early = survival_curves(short, by=None, grid=[1000])
    late = survival_curves(long, by=None, grid=[1000, 3000])
    assert float(early.survival[0]) == pytest.approx(1 - float(short.converged.mean()))
    assert float(late.survival[1]) == pytest.approx(1 - float(long.converged.mean()))
    assert float(late.survival[1]) <= float(late.survival[0])
    share = converged_between(long, 1000, 3000, by=None)
    assert float(share.share) == pytest.approx(float(late.survival[0] - late.survival[1]))
    assert 0 <= float(share.conditional_low) <= float(share.conditional)
    assert float(share.conditional) <= float(share.conditional_high) <= 1


def test_epoch_grid_is_whole_log_spaced_epochs_ending_at_stop():
    grid = epoch_grid(10**6, per_decade=10)
    assert grid[0] == 1 and grid[-1] == 10**6 and np.all(np.diff(grid) > 0)
    assert np.all(grid == np.round(grid)) and len(grid) == 58  # 1, 2, 3 merge at the start


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: kaplan_meier([], []), "times must be a non-empty"),
        (lambda: kaplan_meier([1, -2], [True, True]), "times must be finite epochs >= 0"),
        (lambda: kaplan_meier([1, 2], [True]), "observed must be booleans of the same shape"),
        (lambda: kaplan_meier([1, 2], [1, 0]), "observed must be booleans"),
        (lambda: survival_curves(_results([[-1, 2]])), "converged_epoch must be >= 0"),
        (lambda: survival_curves(_results([[5, 200]])), "must not exceed the epochs trained"),
        (lambda: survival_curves(_results([[5, 2]], epochs=-3)), "epochs must be a finite number"),
        (lambda: survival_curves(_results([[5, 2]]), by="nothing"), "by must name a coordinate"),
        (lambda: survival_curves(_results([[5, 2]]), grid=[]), "grid must be a non-empty"),
        (lambda: survival_curves(_results([[5, 2]]), confidence=1.5), "confidence must be"),
        (lambda: survival_curves(xr.Dataset()), "'converged_epoch'"),
        (lambda: converged_between(_results([[5, 2]]), 10, 5), "stop must be"),
        (lambda: tail_test(_results([[5, 2]]), 0), "start must be"),
        (lambda: epoch_grid(0.5), "stop must be"),
    ],
)
def test_bad_input_is_one_clear_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_results_without_an_epochs_attribute_need_epochs():
    ds = _results([[5, np.nan]])
    del ds.attrs["epochs"]
    with pytest.raises(ValueError, match="epochs must be given"):
        survival_curves(ds)
    assert float(survival_curves(ds, epochs=50, grid=[50]).survival[0, 0]) == 0.5


T0, STOP = 1e4, 1e6


def _planted(kind, rng, n=2000, cure=0.0):
    """Convergence epochs beyond T0 from a known tail law, censored at STOP."""
    if kind == "exponential":
        t = T0 + rng.exponential(1 / 2e-6, n)
    else:
        t = T0 * rng.uniform(size=n) ** (-1 / 0.5)
    t[rng.uniform(size=n) < cure] = np.inf
    return np.minimum(t, STOP), t <= STOP


@pytest.mark.parametrize(
    ("kind", "cure", "rate"),
    [
        ("exponential", 0.0, 2e-6),
        ("power_law", 0.0, 0.5),
        ("exponential", 0.3, 2e-6),
        ("power_law", 0.3, 0.5),
    ],
)
def test_tail_laws_are_recovered_from_planted_data(kind, cure, rate):
    times, observed = _planted(kind, np.random.default_rng(21), cure=cure)
    # runs that converged before T0 are not part of the tail
    times = np.concatenate([times, np.full(500, 50.0)])
    observed = np.concatenate([observed, np.ones(500, bool)])
    fit = fit_tail(times, observed, T0)
    best = f"{kind}_cure" if cure else kind
    assert fit["best"] == best and fit["at_risk"] == 2000
    k = list(TAIL_MODELS).index(best)
    assert fit["rate"][k] == pytest.approx(rate, rel=0.1)
    assert fit["cure"][k] == pytest.approx(cure, abs=0.04)
    other = list(TAIL_MODELS).index("power_law" if kind == "exponential" else "exponential")
    assert fit["aic"][other] - fit["aic"][k] > 50  # the wrong law is far behind
    if cure:
        assert fit["plateau_pvalue"] < 1e-6
    else:
        assert fit["plateau_pvalue"] > 0.01


def test_tail_test_per_group_and_too_few_events():
    rng = np.random.default_rng(22)
    t_exp, o_exp = _planted("exponential", rng, n=400)
    t_pow, o_pow = _planted("power_law", rng, n=400)
    conv = np.where(np.concatenate([o_exp, o_pow]), np.concatenate([t_exp, t_pow]), np.nan)
    ds = xr.Dataset(
        {"converged_epoch": ("run", conv)},
        coords={"hidden_std": ("run", np.repeat([0.5, 2.0], 400))},
        attrs={"epochs": STOP},
    )
    out = tail_test(ds, T0)
    assert out.best.values.tolist() == ["exponential", "power_law"]
    assert out.rate.dims == ("hidden_std", "model")
    few = tail_test(ds, T0, min_events=1000)
    assert few.best.values.tolist() == ["", ""] and bool(np.isnan(few.aic).all())


def test_a_fast_escape_then_a_plateau_is_fitted_without_overflow():
    # half the runs never converge, the others within a few thousand epochs of T0: the
    # uncured survival underflows at the censoring time, where the fit must stay finite
    rng = np.random.default_rng(23)
    t = T0 + rng.exponential(1e3, 400)
    t[rng.uniform(size=400) < 0.5] = np.inf
    fit = fit_tail(np.minimum(t, STOP), t <= STOP, T0)
    k = list(TAIL_MODELS).index("exponential_cure")
    assert fit["best"] == "exponential_cure" and fit["plateau_pvalue"] < 1e-10
    assert fit["cure"][k] == pytest.approx(0.5, abs=0.05)
    assert fit["rate"][k] == pytest.approx(1e-3, rel=0.15)


def test_the_plateau_test_halves_the_chi2_p_value_for_a_cure_fraction_on_its_boundary():
    """The cure fraction of the null model sits on the boundary of its range (0), so the
    likelihood ratio is a 50:50 mixture of 0 and chi2_1 (Self and Liang 1987): p is half
    of scipy's chi2_1 tail, checked where the evidence for a plateau is middling."""
    from scipy.stats import chi2

    for seed in (25, 27, 28):  # a small cure fraction: p about 0.01 to 0.07
        times, observed = _planted("exponential", np.random.default_rng(seed), cure=0.02)
        fit = fit_tail(times, observed, T0)
        models = list(TAIL_MODELS)
        family = TAIL_MODELS[fit["best"]][0]
        plain = fit["log_likelihood"][models.index(family)]
        cure = fit["log_likelihood"][models.index(f"{family}_cure")]
        stat = 2 * (cure - plain)
        assert stat > 0.5, (seed, stat)  # middling evidence: p far from 0 and 1
        assert fit["plateau_pvalue"] == pytest.approx(0.5 * chi2.sf(stat, 1), rel=1e-9)
        assert 1e-3 < fit["plateau_pvalue"] < 0.1
