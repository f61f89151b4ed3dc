"""summarize against pandas' groupby, the Wilson interval against scipy, the bootstrap helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from _datasets import results, trained
from scipy.stats import binomtest

import xorsweep as xs
from xorsweep.analysis.stats import (
    SUMMARY_VARIABLES,
    along_hidden_std,
    bootstrap_means,
    make_rng,
    percentile_interval,
    point_stats,
)

STDS = np.array([0.05, 0.2, 0.6, 1.0, 3.0, 20.0])


@pytest.fixture(scope="module")
def ragged():
    """Real results where points hold different numbers of runs (absent runs all-NaN)."""
    ds = trained(STDS, runs=40, epochs=2000, seed=3)
    keep = np.ones((len(STDS), 40), dtype=bool)
    keep[1, 25:] = False  # 25 runs
    keep[3, 1:] = False  # one run
    keep[4, :] = False  # none
    keep[5, ::3] = False
    return ds.where(xr.DataArray(keep, dims=("hidden_std", "run")))


def _pandas_summary(ds: xr.Dataset) -> pd.DataFrame:
    """The article's groupby, and the rest of the statistics the same way, with pandas."""
    df = ds[["total_loss", "converged_epoch"]].to_dataframe().reset_index()
    df = df[np.isfinite(df.total_loss)]
    df["failed"] = df.converged_epoch.isna()
    g = df.groupby("hidden_std")
    out = g["total_loss"].agg(["mean", "std", "count", "median"])
    out["q25"] = g["total_loss"].quantile(0.25)
    out["q75"] = g["total_loss"].quantile(0.75)
    out["sem"] = out["std"] / np.sqrt(out["count"])
    out["failures"] = g["failed"].sum()
    out["failure_rate"] = g["failed"].mean()
    conv = df[~df.failed].groupby("hidden_std")
    out["mean_converged"] = conv["total_loss"].mean()
    out["mean_converged_epoch"] = conv["converged_epoch"].mean()
    return out


def test_summarize_matches_pandas_groupby(ragged):
    s = xs.summarize(ragged)
    assert tuple(s.data_vars) == SUMMARY_VARIABLES
    assert s["count"].dims == ("hidden_std",) and s["count"].dtype == np.int64
    np.testing.assert_array_equal(s["count"].values, [40, 25, 40, 1, 0, 26])
    ref = _pandas_summary(ragged).reindex(STDS)  # the std with no runs: a NaN row ...
    ref[["count", "failures"]] = ref[["count", "failures"]].fillna(0)  # ... counting none
    for name in ref.columns:
        np.testing.assert_allclose(s[name].values, ref[name].values, rtol=1e-12, err_msg=name)
    # the empty point: NaN statistics, count and failures zero
    empty = s.sel(hidden_std=3.0)
    assert int(empty["count"]) == 0 and int(empty["failures"]) == 0
    assert all(np.isnan(empty[v]) for v in ("mean", "std", "median", "failure_rate", "failure_low"))
    # one run: a mean and quantiles, no spread
    one = s.sel(hidden_std=1.0)
    assert np.isfinite(one["mean"]) and np.isnan(one["std"]) and np.isnan(one["sem"])
    assert float(one["median"]) == float(one["mean"]) == float(one["q25"])


def test_summarize_failures_are_real_and_keep_attrs(ragged):
    s = xs.summarize(ragged)
    assert s.attrs["epochs"] == 2000 and s.attrs["confidence"] == 0.95
    # at std 0.05 and 2,000 epochs many runs are still on the plateau: failures exist
    assert 0 < int(s["failures"].sel(hidden_std=0.05)) < 40
    # failed runs score more than converged ones on average, so the mean is above mean_converged
    sel = s.sel(hidden_std=0.05)
    assert float(sel["mean"]) > float(sel["mean_converged"])


def test_wilson_matches_scipy(ragged):
    s = xs.summarize(ragged)
    for std in STDS:
        n, k = int(s["count"].sel(hidden_std=std)), int(s["failures"].sel(hidden_std=std))
        if n == 0:
            continue
        ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
        low, high = (
            float(s.failure_low.sel(hidden_std=std)),
            float(s.failure_high.sel(hidden_std=std)),
        )
        assert low == pytest.approx(ci.low, abs=1e-12) and high == pytest.approx(ci.high, abs=1e-12)
    # other levels, and the edge cases 0 and n successes
    k = np.array([0, 1, 5, 9, 10])
    low, high = xs.wilson_interval(k, 10, confidence=0.8)
    for i, ki in enumerate(k):
        ci = binomtest(int(ki), 10).proportion_ci(0.8, method="wilson")
        assert low[i] == pytest.approx(ci.low, abs=1e-12)
        assert high[i] == pytest.approx(ci.high, abs=1e-12)
    assert low[0] == 0.0 and high[-1] == 1.0


def test_wilson_bad_input():
    with pytest.raises(ValueError, match="successes <= trials"):
        xs.wilson_interval(5, 4)
    with pytest.raises(ValueError, match="successes <= trials"):
        xs.wilson_interval(-1, 4)
    with pytest.raises(TypeError, match="whole numbers"):
        xs.wilson_interval(0.5, 4)
    with pytest.raises(ValueError, match=r"confidence must be a number in \(0, 1\)"):
        xs.wilson_interval(1, 4, confidence=1.0)
    low, high = xs.wilson_interval([0, 0], [0, 3])  # no trials: no interval
    assert np.isnan(low[0]) and np.isnan(high[0]) and low[1] == 0.0


def test_summarize_extra_dims_equal_their_slices():
    """A grid over (hidden_std, output_std, lr) summarises each slice as it would alone."""
    a = trained(STDS[:3], runs=12, epochs=800, seed=1)
    b = trained(STDS[:3], runs=12, epochs=800, seed=2, output_std=1.0)
    grid = xr.concat([a, b], dim=xr.DataArray([0.8165, 1.0], dims="output_std", name="output_std"))
    grid = grid.expand_dims(lr=[0.1]).transpose("hidden_std", "output_std", "lr", "run")
    s = xs.summarize(grid)
    assert s["mean"].dims == ("hidden_std", "output_std", "lr")
    for k, part in enumerate((a, b)):
        alone = xs.summarize(part)
        got = s.isel(output_std=k, lr=0)
        for name in SUMMARY_VARIABLES:
            np.testing.assert_array_equal(got[name].values, alone[name].values, err_msg=name)
    # a subset: one point, then no dims left but run
    point = xs.summarize(a.isel(hidden_std=1))
    assert point["mean"].dims == () and float(point["mean"]) == float(a.total_loss[1].mean())
    assert float(point.hidden_std) == STDS[1]


def test_summarize_bad_input(ragged):
    with pytest.raises(TypeError, match="xarray.Dataset"):
        xs.summarize(ragged.total_loss)
    with pytest.raises(ValueError, match="lacks the variable"):
        xs.summarize(ragged.drop_vars("converged_epoch"))
    with pytest.raises(ValueError, match="run dimension"):
        xs.summarize(ragged.isel(run=0))
    with pytest.raises(ValueError, match="confidence"):
        xs.summarize(ragged, confidence=0)


def test_point_stats_matches_numpy(rng):
    x = rng.normal(size=(4, 7))
    x[1, :3] = np.nan
    x[2, 1:] = np.nan
    x[3] = np.nan
    count, mean, sem = point_stats(x)
    np.testing.assert_array_equal(count, [7, 4, 1, 0])
    np.testing.assert_allclose(mean[:3], [np.mean(r[np.isfinite(r)]) for r in x[:3]], rtol=1e-14)
    np.testing.assert_allclose(
        sem[:2],
        [
            np.std(r[np.isfinite(r)], ddof=1) / np.sqrt(n)
            for r, n in zip(x[:2], count[:2], strict=True)
        ],
    )
    assert np.isnan(sem[2]) and np.isnan(sem[3]) and np.isnan(mean[3])


def test_bootstrap_means_resample_each_point(rng):
    values = np.full((3, 50), np.nan)
    values[0] = rng.gamma(2.0, size=50)
    values[1, :20] = rng.normal(size=20)
    values[2, 0] = 7.0  # one run: every replicate is that run
    means, var = bootstrap_means(values, 4000, np.random.default_rng(1))
    assert means.shape == var.shape == (4000, 3)
    np.testing.assert_array_equal(means[:, 2], 7.0)
    assert np.isnan(var[:, 2]).all()
    for j, n in ((0, 50), (1, 20)):
        x = values[j, :n]
        # the bootstrap distribution of the mean: centred on the mean, variance var(ddof=0)/n
        assert means[:, j].mean() == pytest.approx(x.mean(), abs=4 * x.std() / np.sqrt(n * 4000))
        assert means[:, j].var() == pytest.approx(x.var() / n, rel=0.1)
        assert var[:, j].mean() == pytest.approx(x.var(ddof=1) * (n - 1) / n, rel=0.05)
    # seeded: the same draws again, other draws with another seed
    again, _ = bootstrap_means(values, 4000, np.random.default_rng(1))
    np.testing.assert_array_equal(means, again)
    assert not np.array_equal(means, bootstrap_means(values, 4000, np.random.default_rng(2))[0])


def test_percentile_interval_and_rng():
    draws = np.arange(1001.0)
    np.testing.assert_allclose(percentile_interval(draws), [25.0, 975.0])
    np.testing.assert_allclose(percentile_interval(draws, 0.5), [250.0, 750.0])
    both = percentile_interval(np.stack([draws, np.r_[draws[:-1], np.nan]], axis=1))
    assert both.shape == (2, 2) and np.isnan(both[:, 1]).all()  # a NaN replicate shows
    assert isinstance(make_rng(3), np.random.Generator)
    gen = np.random.default_rng(0)
    assert make_rng(gen) is gen
    for bad in (None, -1, 1.5, True, "0"):
        with pytest.raises(TypeError, match="rng must be a seed"):
            make_rng(bad)


def test_along_hidden_std():
    ds = results(np.ones((3, 2)), [1.0, 0.1, 0.5]).expand_dims(lr=[0.1])
    out = along_hidden_std(ds)
    np.testing.assert_array_equal(out.hidden_std.values, [0.1, 0.5, 1.0])
    assert "lr" not in out.dims and float(out.lr) == 0.1
    wide = xr.concat([ds, ds.assign_coords(lr=[0.2])], dim="lr")
    with pytest.raises(ValueError, match=r"lr \(2 values\).*\.sel\(lr=\.\.\.\)"):
        along_hidden_std(wide)
    with pytest.raises(ValueError, match="hidden_std dimension"):
        along_hidden_std(ds.isel(hidden_std=0))
