"""claims: each measured value against a direct computation, the verdict rule, failures."""

from __future__ import annotations

import json
import math
import sys

import _datasets as synth
import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
import xorsweep.cli
from xorsweep.analysis.claims import CLAIM_COLUMNS, VERDICTS, _verdict, plateau_onsets
from xorsweep.analysis.fit import GLOROT_STD
from xorsweep.studies.report import claims_text

FAST = {"n_boot": 200, "plateau_runs": 48}
# the article's grid plus the three stds of claims 1 and 2, so interpolation is exact there
STDS = np.unique(np.r_[np.geomspace(0.15, 3.0, 33), 0.6, GLOROT_STD, 1.0])


@pytest.fixture(scope="module")
def planted():
    return synth.planted(np.random.default_rng(3), stds=STDS, runs=1000)


@pytest.fixture(scope="module")
def planted_fit(planted):
    return xs.fit_optimum(planted, n_boot=200, rng=4)


@pytest.fixture(scope="module")
def table(planted, planted_fit):
    return xs.claims(planted, fit=planted_fit, rng=5, **FAST)


def test_structure(table):
    assert list(table.columns) == list(CLAIM_COLUMNS)
    assert len(table) == 5 and set(table.verdict) <= set(VERDICTS)
    np.testing.assert_array_equal(table.article, [8.5, 1.1, 0.6, 27_000, 2_000])
    assert table.attrs["confidence"] == 0.95 and table.attrs["method"] == "fit"
    assert set(table.attrs) == {"confidence", "method", "power"}
    measured = table.dropna(subset=["measured"])
    assert len(measured) == 5
    assert (measured.measured_low <= measured.measured).all() and (
        measured.measured <= measured.measured_high
    ).all()


def test_gains_from_the_fitted_curve(table, planted_fit):
    fit = planted_fit
    g, six, one = fit.predict([GLOROT_STD, 0.6, 1.0])
    assert table.measured[0] == pytest.approx(100 * (1 - g / one), rel=1e-12)
    assert table.measured[1] == pytest.approx(100 * (g - six) / one, rel=1e-12)
    boot = fit.predict_boot([GLOROT_STD, 1.0])
    np.testing.assert_allclose(
        table.loc[0, ["measured_low", "measured_high"]].astype(float),
        np.quantile(100 * (1 - boot[:, 0] / boot[:, 1]), [0.025, 0.975]),
        rtol=1e-12,
    )
    # the planted curve's own gains lie in the intervals
    tg, tsix, tone = synth.planted_mean([GLOROT_STD, 0.6, 1.0])
    assert table.measured_low[0] < 100 * (1 - tg / tone) < table.measured_high[0]
    assert table.measured_low[1] < 100 * (tg - tsix) / tone < table.measured_high[1]
    assert table.n[0] == fit.n_runs


def test_gains_from_interpolated_means(planted):
    """On a grid holding 0.6, 1/sqrt(2) and 1 the interpolated means are the means there."""
    out = xs.claims(planted, method="interpolate", rng=5, **FAST)
    df = planted.total_loss.to_dataframe().reset_index()
    mean = df.groupby("hidden_std")["total_loss"].mean()
    g, six, one = mean[GLOROT_STD], mean[0.6], mean[1.0]
    assert out.measured[0] == pytest.approx(100 * (1 - g / one), rel=1e-12)
    assert out.measured[1] == pytest.approx(100 * (g - six) / one, rel=1e-12)
    assert out.attrs["method"] == "interpolate" and "interpolated" in out.note[0]
    assert out.n[0] == 3 * 1000
    # between grid points: linear in log std, the two neighbours' means
    coarse = planted.drop_sel(hidden_std=[0.6, GLOROT_STD, 1.0]).isel(
        hidden_std=slice(None, None, 4)
    )
    assert not np.isin([0.6, GLOROT_STD, 1.0], coarse.hidden_std.values).any()
    out = xs.claims(coarse, method="interpolate", rng=5, **FAST)
    s = coarse.hidden_std.values
    m = coarse.total_loss.mean("run").values
    g, six, one = np.interp(np.log([GLOROT_STD, 0.6, 1.0]), np.log(s), m)
    assert out.measured[0] == pytest.approx(100 * (1 - g / one), rel=1e-12)
    assert out.measured[1] == pytest.approx(100 * (g - six) / one, rel=1e-12)


def test_optimum_claim(table, planted_fit, planted):
    row = table.iloc[2]
    assert row.measured == planted_fit.optimum
    assert (row.measured_low, row.measured_high) == planted_fit.optimum_ci
    assert row.verdict == "consistent" and "it does)" in row.note  # planted at 0.6
    # an optimum planted above 1/sqrt(2) is not the article's
    high = synth.planted(np.random.default_rng(8), stds=STDS, runs=1000, optimum=0.9)
    row = xs.claims(high, rng=5, **FAST).iloc[2]
    assert row.measured_low > GLOROT_STD and row.verdict == "inconsistent"
    assert "it does not" in row.note


def test_failed_network_claim(table, planted):
    row = table.iloc[3]
    failed = np.isfinite(planted.total_loss) & planted.converged_epoch.isnull()
    x = planted.total_loss.values[failed.values]
    assert row.measured == pytest.approx(x.mean(), rel=1e-12) and row.n == x.size
    assert row.verdict == "inconsistent"
    assert "epochs * log 2 = 6,931 for 10,000 epochs" in row.note and "27,726" in row.note
    # the code's value follows the results' epochs
    short = planted.assign_attrs(epochs=2000)
    assert "= 1,386 for 2,000 epochs" in xs.claims(short, rng=5, **FAST).note[3]
    # without failed runs there is nothing to measure
    none = planted.assign(converged_epoch=planted.converged_epoch.fillna(100.0))
    row = xs.claims(none, rng=5, **FAST).iloc[3]
    assert row.verdict == "not measured" and math.isnan(row.measured) and row.n == 0
    assert row.note.startswith("0 runs failed, fewer than 10 to measure")


def test_plateau_onsets_exact():
    """Hidden parameters still until epoch k0, then moving linearly to their final values."""
    epochs = np.arange(0, 100, 10)
    k0 = np.array([30.0, 5.0, 95.0])
    rng = np.random.default_rng(0)
    start, step = rng.normal(size=(3, 6)), rng.normal(size=(3, 6))
    share = np.clip((epochs[None, :] - k0[:, None]) / (100 - k0[:, None]), 0, None)  # (run, epoch)
    hist = start[:, None, :] + share[..., None] * step[:, None, :]
    trained = xr.Dataset(
        {
            "hidden_weights_history": (
                ("run", "epoch", "input", "unit"),
                hist[..., :4].reshape(3, 10, 2, 2),
            ),
            "hidden_bias_history": (("run", "epoch", "unit"), hist[..., 4:]),
            "hidden_weights": (("run", "input", "unit"), (start + step)[:, :4].reshape(3, 2, 2)),
            "hidden_bias": (("run", "unit"), (start + step)[:, 4:]),
        },
        coords={"run": [0, 1, 2], "epoch": epochs},
        attrs={"epochs": 100},
    )
    # 10% of the way: epoch k0 + 0.1 (100 - k0), rounded up to a recorded epoch
    np.testing.assert_array_equal(plateau_onsets(trained, 0.1).values, [40, 20, 100])
    np.testing.assert_array_equal(plateau_onsets(trained, 0.5).values, [70, 60, 100])
    with pytest.raises(ValueError, match="record_every"):
        plateau_onsets(trained.drop_vars("hidden_bias_history"))
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\)"):
        plateau_onsets(trained, 1.0)


def test_plateau_onsets_of_real_training():
    """Against a plain loop over runs and recorded epochs of a trained population."""
    trained = xs.train(xs.init_population(6, 0.05, 0.8165, seed=2), 3000, record_every=50)
    got = plateau_onsets(trained, 0.2).values
    for r in range(6):
        theta = [
            np.r_[
                trained.hidden_weights_history[r, e].values.ravel(),
                trained.hidden_bias_history[r, e].values,
            ]
            for e in range(trained.sizes["epoch"])
        ]
        final = np.r_[trained.hidden_weights[r].values.ravel(), trained.hidden_bias[r].values]
        total = np.linalg.norm(final - theta[0])
        first = next(
            (e for e, th in enumerate(theta) if np.linalg.norm(th - theta[0]) >= 0.2 * total), None
        )
        assert got[r] == (3000 if first is None else 50 * first)


def test_plateau_claim_is_longer_at_a_smaller_std(table):
    row = table.iloc[4]
    assert row.measured % 10 == 0 and 0 < row.n <= 48
    assert "hidden std 0.05" in row.note and "recorded every 10" in row.note
    # at std 0.5 the hidden layer starts moving far sooner than at 0.05 (a real effect)
    planted = synth.planted(np.random.default_rng(3), stds=STDS[:12], runs=20)
    wide = xs.claims(planted, small_std=0.5, rng=5, **FAST).iloc[4]
    assert wide.measured_high < row.measured_low
    again = xs.claims(planted, small_std=0.5, rng=5, **FAST).iloc[4]
    assert (again.measured, again.measured_low, again.measured_high) == (
        wide.measured,
        wide.measured_low,
        wide.measured_high,
    )


def test_verdict_rule():
    assert _verdict(7.5, 8.45, (8.45, 8.55)) == "consistent"
    assert _verdict(7.5, 8.44, (8.45, 8.55)) == "inconsistent"
    assert _verdict(8.56, 9.0, (8.45, 8.55)) == "inconsistent"
    assert _verdict(0.58, 0.61, (0.55, 0.65), extra=False) == "inconsistent"
    assert _verdict(math.nan, 1.0, (0.0, 2.0)) == "not measured"


def test_not_measured_when_the_data_cannot_say(planted, rng):
    # a grid that stops below 1: the fitted curve does not reach it
    short = planted.sel(hidden_std=slice(None, 0.99))
    out = xs.claims(short, rng=5, **FAST)
    assert out.verdict[2] != "not measured"  # the fit itself is fine
    assert list(out.verdict[:2]) == ["not measured"] * 2 and out.measured[:2].isna().all()
    assert "not all inside the fit's window" in out.note[0]
    # a grid that stops below 0.6: nothing to interpolate
    out = xs.claims(planted.sel(hidden_std=slice(0.7, None)), method="interpolate", rng=5, **FAST)
    assert list(out.verdict[:2]) == ["not measured"] * 2
    assert "does not reach every std needed" in out.note[0]
    # no interior minimum: the fit fails and says why in claims 1 to 3
    s = np.geomspace(0.05, 0.5, 12)
    loss = synth.planted_mean(s)[:, None] * rng.gamma(4.0, 0.25, size=(12, 100))
    out = xs.claims(synth.results(loss, s), rng=5, **FAST)
    assert list(out.verdict[:3]) == ["not measured"] * 3
    assert all("the fit failed: no interior minimum" in n for n in out.note[:3])
    # too short a training for the plateau networks to converge
    row = xs.claims(planted.assign_attrs(epochs=300), rng=5, **FAST).iloc[4]
    assert row.verdict == "not measured" and "fewer than 10 to measure" in row.note


def test_real_training_results():
    """The whole table from networks trained with xorsweep.train."""
    ds = synth.trained(np.geomspace(0.1, 5.0, 9), runs=48, epochs=2000, seed=4)
    out = xs.claims(ds, rng=0, n_boot=100, plateau_runs=16)
    assert list(out.columns) == list(CLAIM_COLUMNS) and set(out.verdict) <= set(VERDICTS)
    failed = ds.total_loss.values[np.isnan(ds.converged_epoch.values)]
    assert out.measured[3] == pytest.approx(failed.mean(), rel=1e-12) and out.n[3] == failed.size
    assert "= 1,386 for 2,000 epochs" in out.note[3]


@pytest.mark.parametrize(
    "attrs, reason",
    [
        ({"epochs": 300}, "epochs 300 here, 10,000 in the article"),
        ({"lr": 0.2}, "learning rate 0.2 here, 0.1 in the article"),
        ({"output_std": 1.0}, "output std 1.0 here, 0.8165 in the article"),
        ({"update": "simultaneous"}, "update order simultaneous here, article in the article"),
        ({"hidden": 3}, "hidden units 3 here, 2 in the article"),
        ({"activation": "tanh"}, "hidden activation tanh here, sigmoid in the article"),
        ({"gradient": "mean"}, "gradient convention mean here, sum in the article"),
        ({"bias": "zero"}, "bias initialisation zero here, scaled in the article"),
        (
            {"output_std": "glorot", "hidden": 6},
            "output std 0.5345224838248488 here, 0.8165 in the article; "
            "hidden units 6 here, 2 in the article",
        ),
    ],
)
def test_other_settings_than_the_articles_are_not_comparable(planted, planted_fit, attrs, reason):
    table = xs.claims(planted, fit=planted_fit, rng=5, n_boot=200, plateau_runs=16)
    assert "not comparable" not in set(table.verdict)  # the article's own settings
    out = xs.claims(
        planted.assign_attrs(**attrs), fit=planted_fit, rng=5, n_boot=200, plateau_runs=16
    )
    for i in range(4):  # claims 1 to 4: the same numbers, no verdict
        np.testing.assert_array_equal(
            out.loc[i, ["measured", "measured_low", "measured_high"]],
            table.loc[i, ["measured", "measured_low", "measured_high"]],
        )
        assert out.verdict[i] == "not comparable", i
        if "epochs" not in attrs:  # claim 4's note gives the value for the results' epochs
            assert out.note[i] == f"not comparable: {reason}. {table.note[i]}"
        assert out.note[i].startswith(f"not comparable: {reason}. "), out.note[i]
    # a claim the data cannot measure stays "not measured": 300 epochs leave no plateau, and
    # neither do the plateau networks trained with averaged gradients or zero biases (too few
    # of them converge: the claim trains them with the results' settings)
    unmeasured = attrs.get("epochs") == 300 or attrs.get("gradient") == "mean" or "bias" in attrs
    expected = "not measured" if unmeasured else "not comparable"
    assert out.verdict[4] == expected


def test_the_table_says_when_its_power_is_lower(planted, planted_fit, table, monkeypatch):
    present = int(planted.total_loss.notnull().sum())
    assert present == 36_000
    power = table.attrs["power"]
    assert "36,000 runs, 0.9% of the article's 4,000,000" in power
    assert "about 11 times wider" in power and "less power" in power  # sqrt(4e6 / 36,000)
    assert claims_text(table).endswith("\n\n" + power)
    # as many runs as the article's sweep: nothing to say, the same numbers
    monkeypatch.setattr(sys.modules["xorsweep.analysis.claims"], "ARTICLE_RUNS", present)
    again = xs.claims(planted, fit=planted_fit, rng=5, **FAST)
    assert again.attrs["power"] == "" and "less power" not in claims_text(again)
    np.testing.assert_array_equal(again.measured, table.measured)


def test_bad_input(planted):
    with pytest.raises(ValueError, match="method must be one of 'fit', 'interpolate'"):
        xs.claims(planted, method="spline")
    with pytest.raises(TypeError, match="fit must be a FitResult"):
        xs.claims(planted, fit={"optimum": 0.6})
    with pytest.raises(ValueError, match="small_std must be a finite number > 0"):
        xs.claims(planted, small_std=0.0)
    with pytest.raises(ValueError, match="plateau_fraction must be a number in"):
        xs.claims(planted, plateau_fraction=1.0)
    with pytest.raises(ValueError, match="n_boot must be an integer >= 20"):
        xs.claims(planted, n_boot=5)
    with pytest.raises(ValueError, match="lacks the attribute 'epochs'"):
        xs.claims(planted.drop_attrs())
    with pytest.raises(ValueError, match="lacks the variable"):
        xs.claims(planted.drop_vars("converged_epoch"))
    wide = xr.concat([planted, planted], dim=xr.DataArray([0.5, 1.0], dims="lr", name="lr"))
    with pytest.raises(ValueError, match=r"\.sel\(lr=\.\.\.\)"):
        xs.claims(wide)


# ---------------------------------------------------------------------------
# The command line: xorsweep fit STORE [--json PATH]
# ---------------------------------------------------------------------------

CLI_FAST = ["--n-boot", "100", "--plateau-runs", "16"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "s.zarr"
    xs.sweep(
        np.geomspace(0.1, 5.0, 13), runs=48, epochs=2000, store=path, progress=False, workers=1
    )
    return path


def test_cli_prints_the_fit_and_the_claims(store, capsys):
    status = xs.cli.main(["fit", str(store), *CLI_FAST])
    out = capsys.readouterr().out
    fit = xs.fit_optimum(xs.open_results(store), n_boot=100, rng=0, errors="ignore")
    assert status == 0  # the fit ran, whatever it found
    assert out.startswith(repr(fit) + "\n")
    assert "The article's claims (95% intervals):" in out
    for i in range(1, 6):
        assert f"\n{i}. " in out
    assert "a network that fails to learn scores about 27,000" in out


def test_cli_json(store, tmp_path, capsys):
    path = tmp_path / "fit.json"
    status = xs.cli.main(["fit", str(store), "--json", str(path), *CLI_FAST])
    assert f"wrote {path}" in capsys.readouterr().out
    doc = json.loads(path.read_text())
    results = xs.open_results(store)
    fit = xs.fit_optimum(results, n_boot=100, rng=0, errors="ignore")
    assert status == 0 and doc["fit"]["ok"] is fit.ok
    assert doc["fit"]["reason"] == fit.reason and doc["fit"]["window"] == list(fit.window)
    assert doc["fit"]["notes"] == list(fit.notes)
    assert [set(c) for c in doc["claims"]] == [set(CLAIM_COLUMNS)] * 5
    failed = results.total_loss.values[np.isnan(results.converged_epoch.values)]
    assert doc["claims"][3]["measured"] == pytest.approx(failed.mean(), rel=1e-12)
    assert doc["store"] == str(store) and doc["confidence"] == 0.95
    # '-': the JSON alone on standard output
    xs.cli.main(["fit", str(store), "--json", "-", *CLI_FAST])
    again = json.loads(capsys.readouterr().out)
    assert again == doc


def test_cli_selects_a_slice_of_a_larger_grid(tmp_path, capsys):
    path = tmp_path / "lr.zarr"
    xs.sweep(
        [0.3, 1.0, 3.0], runs=4, epochs=100, lr=[0.1, 0.2], store=path, progress=False, workers=1
    )
    # without --select: a row per slice (xorsweep.fit_slices); too few runs: no optimum, and
    # exit status 0 since the fits ran
    assert xs.cli.main(["fit", str(path), *CLI_FAST]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 slices have no optimum:\n  lr=0.1: too few" in out
    assert out.count("| no optimum ") == 2 and "[–, –]" not in out
    assert xs.cli.main(["fit", str(path), "--select", "lr=0.3", *CLI_FAST]) == 2
    assert "the store's lr values are 0.1, 0.2" in capsys.readouterr().err
    assert xs.cli.main(["fit", str(path), "--select", "output_std=1", *CLI_FAST]) == 2
    assert "DIM a grid dimension of this store besides hidden_std (one of lr)" in (
        capsys.readouterr().err
    )
    # 3 points of 4 runs: the fit finds no optimum and says why; it ran: exit status 0
    assert xs.cli.main(["fit", str(path), "--select", "lr=0.2", "--json", "-", *CLI_FAST]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["selection"] == {"lr": 0.2} and doc["fit"]["ok"] is False
    assert doc["fit"]["reason"].startswith("too few") and doc["fit"]["optimum"] is None
    assert doc["fit"]["optimum_low"] is None and doc["fit"]["optimum_high"] is None
    assert xs.cli.main(["fit", str(path), "--select", "lr=0.2", *CLI_FAST]) == 0
    out = capsys.readouterr().out
    assert "FitResult(ok=False)\n  no optimum: too few" in out and "optimal hidden std" not in out


def test_cli_missing_store(tmp_path, capsys):
    assert xs.cli.main(["fit", str(tmp_path / "none.zarr")]) == 2
    assert capsys.readouterr().err.startswith("xorsweep fit: error:")
