"""A sweep's gain axis: every layer's std a rule's times a gain, fitted, drawn and run from
the command line as the raw hidden std is."""

import math
import re

import matplotlib
import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import cli
from xorsweep.analysis.axis import rule_gains, swept_axis
from xorsweep.analysis.fit import rule_distance
from xorsweep.model.initialization import rule_std
from xorsweep.model.meanfield import critical_sigma_w
from xorsweep.sweeps import budget
from xorsweep.sweeps.config import SEEDING, SweepConfig
from xorsweep.sweeps.seeding import seed_sequence
from xorsweep.sweeps.tasks import block_population

matplotlib.use("Agg")

GAINS = [0.5, 2.0]
NET = {"hidden": 3, "depth": 2, "data": "parity3", "weights": "orthogonal"}


def _gain_sweep(rule="he", seed=7, **kw):
    options = {**NET, "runs": 3, "epochs": 200, "workers": 1, "progress": False, **kw}
    return xs.sweep(gain=GAINS, rule=rule, seed=seed, **options)


@pytest.mark.parametrize("rule", ["he", "article"])
def test_a_gain_sweeps_networks_are_init_population_draws_trained(rule):
    ds = _gain_sweep(rule)
    assert dict(ds.sizes) == {"gain": 2, "run": 3}
    assert ds.attrs["rule"] == rule and ds.attrs["output_std"] == "rule"
    for gain in GAINS:
        for run in range(3):
            rng = np.random.default_rng(seed_sequence(7, gain, gain, 0.1, run))
            drawn = xs.init_population(
                1, rule=rule, gain=gain, hidden=(3, 3), n_in=3, weights="orthogonal", seed=rng
            )
            assert xs.replay(ds, run, gain=gain) == drawn
            trained = xs.train(drawn, 200, 0.1, data="parity3", engine=ds.attrs["engine"])
            stored = ds.total_loss.sel(gain=gain, run=run)
            assert float(trained.total_loss[0]) == float(stored)
    # the output layer's std is the rule's times the gain too: its orthogonal (3 x 1)
    # weights have the norm sqrt(3) times that std
    for gain in GAINS:
        weights = xs.replay(ds, 0, gain=gain).layers[-1][0]
        std = rule_std(rule, 3, 1, output=True) * gain
        assert np.linalg.norm(weights) == pytest.approx(math.sqrt(3) * std, rel=1e-12)


def test_raw_sweeps_record_what_they_recorded_before():
    # the configuration JSON of a store written before gain sweeps existed (main's code)
    config = SweepConfig(
        hidden_std=[0.5, 1.0], epochs=50, hidden=[2, 3], depth=2, output_std="glorot",
        weights="orthogonal",
    )  # fmt: skip
    before = (
        '{"activation": "sigmoid", "bias": "scaled", "data": "xor", "depth": 2, "engine": '
        '"auto", "epochs": 50, "gradient": "sum", "hidden": [2, 3], "lr": 0.1, "optimizer": '
        '"gd", "optimizer_params": "{\\"gd\\": {}}", "output_std": "glorot", "precision": '
        '"float64", "seed": 0, "update": "article", "weights": "orthogonal"}'
    )
    attrs = config.store_attrs()
    assert attrs["config"] == before and attrs["seeding"] == SEEDING
    assert config.axis == "hidden_std" and config.grid_dims == ("hidden_std", "hidden")


def test_a_gain_store_resumes_and_refuses_another_rule(tmp_path):
    path = tmp_path / "g.zarr"
    _gain_sweep(store=path)
    more = _gain_sweep(store=path, runs=5)
    assert more.sizes["run"] == 5 and bool(more.total_loss.notnull().all())
    assert xs.open_results(path).attrs["rule"] == "he"
    before = xs.open_results(path).total_loss.values.copy()
    with pytest.raises(ValueError, match="rule is 'he' in the store but 'glorot'"):
        _gain_sweep("glorot", store=path, runs=6)
    np.testing.assert_array_equal(xs.open_results(path).total_loss.values, before)
    with pytest.raises(ValueError, match="results of a gain sweep .* cannot be continued yet"):
        xs.continue_runs(path, 400, store=tmp_path / "more.zarr")
    assert not (tmp_path / "more.zarr").exists()


def test_combine_refuses_mixing_axes_and_rules():
    gains = _gain_sweep(epochs=20)
    raw = xs.sweep([0.5, 2.0], 3, epochs=20, seed=8, workers=1, progress=False, **NET)
    with pytest.raises(ValueError, match="sweep different axes: gain .results 0., hidden_std"):
        xs.combine(gains, raw)
    other = _gain_sweep("glorot", seed=9, epochs=20)
    with pytest.raises(ValueError, match="rule: 'he' .results 0., 'glorot' .results 1."):
        xs.combine(gains, other)
    both = xs.combine(gains, _gain_sweep(seed=9, epochs=20))
    assert dict(both.sizes) == {"gain": 2, "run": 6}


def test_bad_gain_sweeps_are_one_clear_line():
    with pytest.raises(ValueError, match="gain must be finite and > 0, got 0"):
        xs.sweep(gain=[0.0, 1.0], rule="he", runs=1, epochs=5, progress=False)
    with pytest.raises(ValueError, match="rule must be one of 'article', 'glorot'"):
        xs.sweep(gain=[1.0], rule="kaiming", runs=1, epochs=5, progress=False)
    with pytest.raises(ValueError, match="gain needs a rule"):
        xs.sweep(gain=[1.0], runs=1, epochs=5, progress=False)
    with pytest.raises(ValueError, match="output_std cannot be given with rule='he'"):
        xs.sweep(gain=[1.0], rule="he", output_std=0.5, runs=1, epochs=5, progress=False)
    with pytest.raises(ValueError, match="give hidden_std .* or rule and gain"):
        xs.sweep([1.0], rule="he", runs=1, epochs=5, progress=False)


def _planted(optimum, axis="gain", seed=0):
    """Synthetic results with a loss lowest at ``optimum`` along ``axis``."""
    rng = np.random.default_rng(seed)
    x = np.geomspace(0.1, 10.0, 25)
    truth = 1000 + 300 * np.log(x / optimum) ** 2
    loss = truth[:, None] * rng.gamma(4.0, 0.25, size=(25, 300))
    attrs = {"rule": "glorot", "n_in": 2, "n_out": 1, "hidden": 4, "depth": 3, "epochs": 100}
    attrs |= {"activation": "tanh", "seed": 0, "lr": 0.1}
    epoch = np.where(loss < 1000, 50.0, np.nan)
    data = {"total_loss": ((axis, "run"), loss), "converged_epoch": ((axis, "run"), epoch)}
    return xr.Dataset(data, coords={axis: x}, attrs=attrs)


def test_fit_on_a_gain_axis_recovers_a_planted_optimum():
    ds = _planted(1.3)
    fit = xs.fit_optimum(ds, n_boot=300, rng=1)
    assert fit.ok and fit.optimum_ci[0] < 1.3 < fit.optimum_ci[1]
    assert fit.axis == "gain" and fit.curve.dims == ("gain",)
    assert "optimal gain x Glorot's std" in repr(fit) and "log(gain)" in fit.model
    assert fit.to_dict()["curve"]["gain"][0] == pytest.approx(fit.window[0])
    # the same numbers as the hidden std's fit: only the names differ
    raw = xs.fit_optimum(ds.rename(gain="hidden_std"), n_boot=300, rng=1)
    assert (fit.optimum, fit.optimum_ci) == (raw.optimum, raw.optimum_ci)
    # Glorot's value on a Glorot gain axis is gain 1, not 1/sqrt(2)
    assert fit.loss_at_glorot == pytest.approx(float(fit.predict(1.0)))
    assert fit.loss_at_glorot == fit.loss_at_one != raw.loss_at_glorot
    glorot = rule_distance(1.0, fit.optimum, fit.optimum_ci)
    assert fit.glorot_distance == glorot != raw.glorot_distance


def test_fit_slices_place_the_rules_gains_on_the_axis():
    ds = xr.concat([_planted(2.5), _planted(0.8, seed=1)], "lr").assign_coords(lr=[0.1, 0.5])
    ds.attrs["lr"] = [0.1, 0.5]
    fits = xs.fit_slices(ds, n_boot=200, rng=2)
    assert fits.attrs["swept"] == "gain" and list(fits.rule.values) == [
        "glorot", "lecun", "he", "4x", "critical",
    ]  # fmt: skip
    expected = rule_gains("glorot", (2, 4, 4, 4), "tanh")
    np.testing.assert_allclose(fits.rule_std.sel(lr=0.1).values, list(expected.values()))
    assert bool(fits.ok.all())
    assert fits.optimum_low.sel(lr=0.1) < 2.5 < fits.optimum_high.sel(lr=0.1)
    assert fits.optimum_low.sel(lr=0.5) < 0.8 < fits.optimum_high.sel(lr=0.5)
    with pytest.raises(ValueError, match="claims are the article's, of the hidden std"):
        xs.claims(ds.isel(lr=0))


def test_rules_gains_are_the_ratios_of_their_stds():
    gains = rule_gains("he", (2, 2), "tanh")  # one hidden layer of fans (2, 2)
    he = rule_std("he", 2, 2)
    assert gains["glorot"] == pytest.approx(rule_std("glorot", 2, 2) / he)
    assert gains["lecun"] == pytest.approx(math.sqrt(0.5))
    assert gains["4x"] == pytest.approx(4 * gains["glorot"])
    assert gains["critical"] == pytest.approx(critical_sigma_w("tanh") / math.sqrt(2) / he)
    assert "critical" not in rule_gains("glorot", (2, 2), "softplus")
    # depth: the geometric mean of the hidden layers' ratios
    two = rule_gains("glorot", (2, 8, 8))["he"]
    assert two == pytest.approx(math.sqrt((1.0 / math.sqrt(0.2)) * (0.5 / math.sqrt(2 / 16))))
    assert swept_axis(_planted(1.0)).words == "gain x Glorot's std"
    raw = swept_axis(_planted(1.0, axis="hidden_std"))
    assert (raw.name, raw.rule, raw.words) == ("hidden_std", None, "hidden std")
    with pytest.raises(ValueError, match="must have a hidden_std dimension .* or a gain"):
        swept_axis(xr.Dataset(coords={"lr": [0.1]}))


def test_figure_labels_name_the_axis_and_mark_the_rules():
    from xorsweep import plots

    ds = _planted(2.5)
    fit = xs.fit_optimum(ds, n_boot=100, rng=0)
    ax = plots.plot_loss_vs_std(xs.summarize(ds).assign_attrs(ds.attrs), fit)
    assert "gain x Glorot's std (every layer)" in ax.get_xlabel()
    assert ax.get_title().startswith("Total loss against the gain x Glorot's std")
    assert "3 hidden layers" in ax.get_title()
    labels = ax.get_legend_handles_labels()[1]
    for mark in ("Glorot: gain 1", "LeCun: gain", "He: gain", "4x Glorot: gain 4"):
        assert any(label.startswith(mark) for label in labels), mark
    assert any(label.startswith("critical (mean field): gain") for label in labels)
    raw = _planted(0.7, axis="hidden_std")
    del raw.attrs["rule"]
    ax = plots.plot_loss_vs_std(xs.summarize(raw).assign_attrs(raw.attrs))
    assert "gain" not in ax.get_xlabel() and "hidden" in ax.get_xlabel()
    assert not any("gain" in label for label in ax.get_legend_handles_labels()[1])
    matplotlib.pyplot.close("all")


def test_the_speed_probe_trains_the_sweeps_own_networks():
    config = SweepConfig(rule="glorot", gain=[1.0], hidden=[2, 4], depth=3, data="parity3")
    task = budget._task(config.settled(), 4, 2, 8, 1)
    pop, _ = block_population(task)
    assert (pop.n_in, pop.widths) == (3, (4, 4, 4))
    sizes = budget.relative_sizes(config).ravel()
    params = [3 * 2 + 2 + 2 * (2 * 2 + 2) + 2 + 1, 3 * 4 + 4 + 2 * (4 * 4 + 4) + 4 + 1]
    np.testing.assert_allclose(sizes, [1.0, params[1] / params[0]])


CLI_ERRORS = [
    (["--depth", "0"], "--depth must be from 1 to 16 hidden layers, got 0"),
    (["--depth", "17"], "--depth must be from 1 to 16 hidden layers, got 17"),
    (["--hidden", "4,0,4"], "--hidden must be whole numbers from 1 to 256, got '0'"),
    (["--hidden", "4,4,4"], "--hidden lists distinct widths .* give --hidden 4 --depth 3"),
    (["--data", "parity0"], "--data: bits must be an integer from 1 to 16, got 0"),
    (["--data", "parity17"], "--data: bits must be an integer from 1 to 16, got 17"),
    (["--rule", "kaiming"], "--rule must be one of 'article', 'glorot', 'lecun', 'he'"),
    (["--optimizer", "sgdd"], "--optimizer must be 'gd' or 'momentum' .* got 'sgdd'"),
    (["--rule", "he", "--gains", "0,1"], "--gains must be finite and > 0, got 0"),
    (["--rule", "he", "--gains", "-1"], "--gains must be finite and > 0, got -1"),
    (["--rule", "he", "--gains", "0:10:5"], "--gains MIN:MAX:N .* got '0:10:5'"),
    (["--gains", "1,2"], "--gains needs --rule"),
    (["--rule", "he", "--points", "30"], "--points cannot be given with --rule"),
    (["--rule", "he", "--output-std", "0.5"], "--output-std cannot be given with --rule"),
    (["--weights", "haar"], "--weights must be one of 'normal', 'orthogonal'"),
]


@pytest.mark.parametrize(("options", "message"), CLI_ERRORS)
def test_bad_cli_options_are_one_line_exit_2_and_nothing_written(
    tmp_path, capsys, options, message
):
    store = tmp_path / "never.zarr"
    status = cli.main(["sweep", "--store", str(store), "--runs", "2", "--epochs", "5", *options])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert err.startswith("xorsweep sweep: error: ")
    assert re.search(message, err), err
    assert not store.exists() and not list(tmp_path.iterdir())


def test_cli_gain_sweep_then_fit_says_the_axis(tmp_path, capsys):
    store = tmp_path / "g.zarr"
    options = ["--rule", "glorot", "--gains", "0.2:5:7", "--hidden", "3", "--depth", "2"]
    options += ["--data", "parity3", "--weights", "orthogonal", "--activation", "tanh"]
    common = ["--runs", "6", "--epochs", "100", "--workers", "1", "--no-progress", "--yes"]
    assert cli.main(["sweep", "--store", str(store), *options, *common]) == 0
    said = capsys.readouterr().out
    assert "network-epochs" in said and "computed 42 runs" in said
    ds = xs.open_results(store)
    assert dict(ds.sizes) == {"gain": 7, "run": 6}
    assert (ds.attrs["rule"], ds.attrs["depth"], ds.attrs["weights"]) == (
        "glorot", 2, "orthogonal",
    )  # fmt: skip
    np.testing.assert_allclose(ds.gain.values, np.geomspace(0.2, 5.0, 7))
    assert cli.main(["fit", str(store), "--n-boot", "50"]) == 0
    out = capsys.readouterr().out
    assert "Optimal gain x Glorot's std" in out and "| glorot | lecun | he | 4x | critical |" in out
    assert cli.main(["figures", str(store), "--out", str(tmp_path / "figures")]) == 0
    out = capsys.readouterr().out
    assert "note: figures 8 to 10 are drawn against the gain x Glorot's std" in out
    assert (tmp_path / "figures" / "fig08_loss_vs_std.png").is_file()
    with pytest.raises(ValueError, match="the article's table is of hidden stds"):
        xs.to_article_frame(ds)
