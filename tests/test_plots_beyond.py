"""The figures beyond the article's line mark what the data and fits say, and refuse bad input."""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import LineCollection, QuadMesh
from matplotlib.colors import to_hex

import xorsweep as xs
from xorsweep import plots
from xorsweep.analysis.beyond_figure_data import (
    as_summary,
    by_setting,
    contour_levels,
    rule_curves,
    rule_groups,
    rule_pairs,
    std_ranking,
)
from xorsweep.model.initialization import INIT_RULES

HIDDEN_STDS = np.geomspace(0.15, 3.0, 21)
OUTPUT_STDS = np.geomspace(0.3, 4.0, 11)
RUNS = 200


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def bowl(rng, optimum, dims=None, output_stds=None, runs=RUNS, hidden_stds=HIDDEN_STDS):
    """Results over (hidden_std, [output_std], *dims, run) with a planted bowl in log std.

    ``optimum(point)`` gives the planted (hidden, output) optimum of a slice,
    ``point`` being a dict of its coordinates in ``dims`` (name -> values).
    Each run's loss is the bowl times a Gamma(4, 1/4) factor (mean 1); one
    run in ten never converges.
    """
    dims = dims or {}
    h = np.log(hidden_stds)[:, None]
    o = np.log(output_stds if output_stds is not None else [0.8165])[None, :]
    shape = (len(hidden_stds), o.shape[1], *map(len, dims.values()))
    truth = np.empty(shape)
    for index in itertools.product(*map(range, shape[2:])):
        point = {d: v[k] for (d, v), k in zip(dims.items(), index, strict=True)}
        h0, o0 = optimum(point)
        truth[(..., *index)] = 1000 + 400 * (h - np.log(h0)) ** 2 + 300 * (o - np.log(o0)) ** 2
    loss = truth[..., None] * rng.gamma(4.0, 0.25, size=(*shape, runs))
    conv = np.where(rng.random(loss.shape) < 0.1, np.nan, 500.0)
    names = ("hidden_std", "output_std", *dims, "run")
    ds = xr.Dataset(
        {"total_loss": (names, loss), "converged_epoch": (names, conv)},
        coords={
            "hidden_std": hidden_stds,
            "output_std": o[0] if output_stds is None else output_stds,
            **dims,
        },
        attrs={"epochs": 10_000},
    )
    if output_stds is None:
        ds = ds.isel(output_std=0, drop=True).assign_attrs(output_std=0.8165)
    return ds


# ---- the loss map


@pytest.fixture(scope="module")
def surface():
    ds = bowl(np.random.default_rng(1), lambda p: (0.6, 1.5), output_stds=OUTPUT_STDS)
    return ds, xs.fit_surface(ds, degree=2, n_boot=200, rng=2)


def test_loss_map_marks_the_fit_the_region_and_the_rules(surface):
    ds, fit = surface
    assert fit.ok
    ax = plots.plot_loss_map(ds, fit)
    summary = xs.summarize(ds)
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    np.testing.assert_allclose(
        mesh.get_array().reshape(len(OUTPUT_STDS), len(HIDDEN_STDS)),
        summary["mean"].transpose("output_std", "hidden_std").values,
    )
    lines = {line.get_label(): line for line in ax.get_lines()}
    star = next(v for k, v in lines.items() if k.startswith("fitted optimum"))
    np.testing.assert_allclose([star.get_xdata()[0], star.get_ydata()[0]], fit.optimum, rtol=1e-12)
    region = lines["95% confidence region"]
    bh, bo = fit.region_boundary()
    np.testing.assert_allclose(region.get_xdata(), bh)
    np.testing.assert_allclose(region.get_ydata(), bo)
    # each group of rules with one pair: one marker at init_rules' stds, named in the legend
    width2 = xs.init_rules(2, 2)
    output = xs.init_rules(2, 1)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    glorot = next(v for k, v in lines.items() if k.startswith("Glorot normal = Glorot uniform"))
    assert (glorot.get_xdata()[0], glorot.get_ydata()[0]) == (
        width2["glorot_normal"],
        output["glorot_normal"],
    )
    he = next(v for k, v in lines.items() if k.startswith("He "))
    assert (he.get_xdata()[0], he.get_ydata()[0]) == (width2["he"], output["he"])
    gain = next(t for t in legend if t.startswith("Glorot x 1/f'(0)"))
    assert gain == "Glorot x 1/f'(0) (2.83, 3.27)"  # 4 x (0.707, 0.816), inside the map
    named = [t for t in legend if not t.startswith(("fitted", "95%"))]
    assert len(named) == len(rule_pairs(ds))


def test_loss_map_contours_span_the_data(surface):
    ds, _ = surface
    ax = plots.plot_loss_map(xs.summarize(ds), levels=6)
    mean = xs.summarize(ds)["mean"].values
    contour = next(c for c in ax.collections if hasattr(c, "levels"))
    levels = np.asarray(contour.levels)
    np.testing.assert_allclose(levels, contour_levels(mean, 6))
    assert levels.size == 6 and np.all(np.diff(levels) > 0)
    assert mean.min() < levels[0] and levels[-1] < mean.max()
    # equal ratios from the lowest mean to the highest, ends left out
    np.testing.assert_allclose(levels[0] / mean.min(), mean.max() / levels[-1])
    assert not any(line.get_label().startswith("fitted") for line in ax.get_lines())


def test_loss_map_with_a_failed_fit_says_so(surface):
    ds, fit = surface
    narrow = ds.sel(hidden_std=slice(None, 0.3))  # the bowl's bottom is off this grid
    failed = xs.fit_surface(narrow, degree=2, n_boot=50, rng=0, errors="ignore")
    assert not failed.ok
    ax = plots.plot_loss_map(narrow, failed)
    title = ax.get_legend().get_title().get_text().replace("\n", " ")
    assert title == f"no fitted optimum: {failed.reason}"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend and all(t.endswith("off the map") for t in legend)  # every std > 0.3
    # a hand-built fit without an optimum: no star, no number, whatever its fields held
    made = xs.SurfaceFit(optimum=(0.6, 1.5), hidden_ci=(0.5, 0.7), ok=False, reason="said why")
    assert math.isnan(made.optimum[0]) and math.isnan(made.hidden_ci[0])
    ax = plots.plot_loss_map(ds, made)
    assert not any(line.get_marker() == "*" for line in ax.get_lines())
    assert ax.get_legend().get_title().get_text() == "no fitted optimum: said why"


def test_rule_pairs_group_equal_pairs():
    ds = xr.Dataset(coords={"hidden": 2})
    pairs = rule_pairs(ds)
    names = [n for group, _, _ in pairs for n in group]
    assert sorted(names) == sorted(INIT_RULES)
    assert len({(h, o) for _, h, o in pairs}) == len(pairs)  # groups have distinct pairs
    group = next(g for g, _, _ in pairs if "glorot_normal" in g)
    assert set(group) == {"glorot_normal", "glorot_uniform", "glorot_torch_gain"}


# ---- the optimum against the width

WIDTHS = [2, 4, 8, 32]


@pytest.fixture(scope="module")
def width_slices():
    def optimum(p):
        return (1.2 / np.sqrt(p["hidden"]), 0.8165)

    ds = bowl(np.random.default_rng(3), optimum, dims={"hidden": WIDTHS})
    return xs.fit_slices(ds, n_boot=200, rng=4)


def test_optimum_vs_width_bars_are_the_intervals_and_curves_the_rules(width_slices):
    fits = width_slices
    assert fits.ok.all()
    ax = plots.plot_optimum_vs_width(fits)
    bars = next(c for c in ax.collections if isinstance(c, LineCollection))
    segments = np.array([s[:, 1] for s in bars.get_segments()])  # (width, 2): y ends
    np.testing.assert_allclose(segments.min(axis=1), fits.optimum_low.values)
    np.testing.assert_allclose(segments.max(axis=1), fits.optimum_high.values)
    marker = next(line for line in ax.get_lines() if line.get_label() == "_nolegend_")
    np.testing.assert_allclose(marker.get_xdata(), WIDTHS)
    np.testing.assert_allclose(marker.get_ydata(), fits.optimum.values)
    # every rule: a curve through every width from 2 to 32, at init_rules' stds
    lines = {line.get_label(): line for line in ax.get_lines()}
    he = lines["He"]
    np.testing.assert_array_equal(he.get_xdata(), np.arange(2, 33))
    np.testing.assert_allclose(he.get_ydata(), [xs.init_rules(2, h)["he"] for h in range(2, 33)])
    glorot = lines["Glorot normal = Glorot uniform = Glorot x torch gain"]
    np.testing.assert_allclose(
        glorot.get_ydata(), [xs.init_rules(2, h)["glorot_normal"] for h in range(2, 33)]
    )
    assert to_hex(glorot.get_color()) == plots.RULE_STYLES["glorot_normal"]["color"]
    assert "LeCun" in lines and "Glorot x 1/f'(0)" in lines


def test_optimum_vs_width_names_the_widths_without_a_fit(width_slices):
    fits = width_slices.copy(deep=True)
    fits["ok"][1] = False
    ax = plots.plot_optimum_vs_width(fits)
    assert any(t.get_text() == "no fitted optimum at hidden width 4" for t in ax.texts)
    bars = next(c for c in ax.collections if isinstance(c, LineCollection))
    assert len(bars.get_segments()) == 3


def test_rule_curves_follow_the_activation():
    slices = xr.Dataset(coords={"hidden": [3, 5]}, attrs={"activation": "tanh"})
    curves = rule_curves(slices)
    assert curves.hidden.values.tolist() == [3, 4, 5]
    assert float(curves.sel(hidden=4, rule="glorot_torch_gain")) == pytest.approx(
        5 / 3 * np.sqrt(2 / 6)
    )
    groups = dict(rule_groups(curves))
    assert ("glorot_normal", "glorot_uniform", "glorot_slope_gain") in groups  # tanh: gain 1


# ---- the two gradient conventions


@pytest.fixture(scope="module")
def gradients():
    # "sum" lowest at 0.6 (1/sqrt(2) beats 1), "mean" lowest at 1.3 (1 beats 1/sqrt(2))
    optima = {"sum": 0.6, "mean": 1.3}
    ds = bowl(
        np.random.default_rng(5),
        lambda p: (optima[p["gradient"]], 0.8165),
        dims={"gradient": ["sum", "mean"]},
        runs=400,
    )
    return ds


def test_gradient_conventions_annotation_ranks_as_the_means_do(gradients):
    ds = gradients
    ax = plots.plot_gradient_conventions(ds)
    summary = xs.summarize(ds)
    ranking = std_ranking(summary)
    assert ranking.lower.values.tolist() == ["1/sqrt(2)", "1"]
    note = next(t.get_text() for t in ax.texts if "article" in t.get_text()).splitlines()
    assert any(line.startswith("sum: 1/sqrt(2) lower, 1 is") for line in note)
    assert any(line.startswith("mean: 1 lower, 1/sqrt(2) is") for line in note)
    # the ranking is that of the means: here the grid holds neither std, so compare the
    # interpolation with the means of the two grid points around each std
    for g in ("sum", "mean"):
        m = summary["mean"].sel(gradient=g)
        near_one = m.sel(hidden_std=[0.9, 1.1], method="nearest").mean()
        near_glorot = m.sel(hidden_std=[0.65, 0.75], method="nearest").mean()
        lower = "1" if near_one < near_glorot else "1/sqrt(2)"
        assert ranking.lower.sel(gradient=g) == lower
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines['gradient "mean": mean ± sem'].get_ydata(), m.values)
    assert lines["std 1 (the article's start)"].get_xdata()[0] == 1.0


def test_std_ranking_interpolates_in_log_std_and_needs_two_errors():
    stds = np.array([0.5, 1.0, 2.0])
    summary = xr.Dataset(
        {
            "mean": (("hidden_std", "gradient"), [[10.0, 10.0], [12.0, 10.1], [20.0, 20.0]]),
            "sem": (("hidden_std", "gradient"), [[0.1, 0.1], [0.1, 0.1], [0.1, 0.1]]),
        },
        coords={"hidden_std": stds, "gradient": ["sum", "mean"]},
    )
    r = std_ranking(summary)
    # 1/sqrt(2) is halfway between 0.5 and 1 in log std
    np.testing.assert_allclose(r.loss_glorot.values, [11.0, 10.05])
    np.testing.assert_allclose(r.sem_glorot.values, np.hypot(0.05, 0.05))
    np.testing.assert_allclose(r.loss_one.values, [12.0, 10.1])
    assert r.lower.values.tolist() == ["1/sqrt(2)", "neither"]
    np.testing.assert_allclose(r.gain.sel(gradient="sum"), 100 * (12 / 11 - 1))
    off = std_ranking(summary.sel(hidden_std=[1.0, 2.0]))
    assert off.lower.values.tolist() == ["unknown", "unknown"]


def test_gradient_conventions_draw_the_fits(gradients):
    fits = xs.fit_slices(gradients, n_boot=100, rng=0)
    ax = plots.plot_gradient_conventions(xs.summarize(gradients), fits)
    for g in ("sum", "mean"):
        line = next(x for x in ax.get_lines() if x.get_label().startswith(f'"{g}": fitted optimum'))
        assert line.get_xdata()[0] == pytest.approx(float(fits.optimum.sel(gradient=g)))


# ---- the optimum per setting


@pytest.fixture(scope="module")
def setting_slices():
    optima = {("sigmoid", "scaled"): 0.6, ("sigmoid", "zero"): 0.9, ("tanh", "scaled"): 0.3}
    ds = bowl(
        np.random.default_rng(6),
        lambda p: (optima.get((p["activation"], p["bias"]), 0.4), 0.8165),
        dims={"activation": ["sigmoid", "tanh"], "bias": ["scaled", "zero"]},
    )
    return xs.fit_slices(ds, n_boot=100, rng=7)


def test_optimum_by_setting_bars_and_rules(setting_slices):
    fits = setting_slices
    ax = plots.plot_optimum_by_setting(fits)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["sigmoid, scaled", "sigmoid, zero", "tanh, scaled", "tanh, zero"]
    order = fits.stack(s=["activation", "bias"])
    bars = next(c for c in ax.collections if isinstance(c, LineCollection))
    ends = np.array([s[:, 1] for s in bars.get_segments()])
    np.testing.assert_allclose(ends.min(axis=1), order.optimum_low.values)
    np.testing.assert_allclose(ends.max(axis=1), order.optimum_high.values)
    lines = {line.get_label(): line for line in ax.get_lines()}
    gain = lines["Glorot x 1/f'(0)"].get_ydata()  # slope gain: 4 for the sigmoid, 1 for tanh
    glorot = xs.init_rules(2, 2)["glorot_normal"]
    np.testing.assert_allclose(gain, [4 * glorot, 4 * glorot, glorot, glorot])
    torch = lines["Glorot x torch gain"].get_ydata()
    np.testing.assert_allclose(torch, [glorot, glorot, 5 / 3 * glorot, 5 / 3 * glorot])


def test_by_setting_with_gradient_orders_activation_gradient_bias():
    fits = xr.Dataset(
        {
            name: (("bias", "gradient", "activation"), np.ones((2, 2, 1)))
            for name in ("optimum", "optimum_low", "optimum_high")
        }
        | {
            "ok": (("bias", "gradient", "activation"), np.ones((2, 2, 1), bool)),
            "rule_std": (("bias", "gradient", "activation", "rule"), np.ones((2, 2, 1, 6))),
        },
        coords={"bias": ["scaled", "zero"], "gradient": ["sum", "mean"], "activation": ["tanh"]},
    )
    table = by_setting(fits)
    assert table.label.values.tolist() == [
        "tanh, sum, scaled",
        "tanh, sum, zero",
        "tanh, mean, scaled",
        "tanh, mean, zero",
    ]
    assert table.attrs["dims"] == ["activation", "gradient", "bias"]


# ---- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s, w, g: plots.plot_loss_map(g), ValueError, "output_std.*lacks output_std"),
        (
            lambda s, w, g: plots.plot_loss_map(s[0].rename(total_loss="x")),
            ValueError,
            "results.*or their summary",
        ),
        (lambda s, w, g: plots.plot_loss_map(s[0].total_loss), TypeError, "xarray.Dataset"),
        (lambda s, w, g: plots.plot_gradient_conventions(s[0]), ValueError, "lacks gradient"),
        (
            lambda s, w, g: plots.plot_gradient_conventions(g, fits=w),
            ValueError,
            "gradient dimension",
        ),
        (
            lambda s, w, g: plots.plot_optimum_vs_width(s[0]),
            ValueError,
            "lacks the variable.*fit_slices",
        ),
        (
            lambda s, w, g: plots.plot_optimum_vs_width(w.isel(hidden=0)),
            ValueError,
            "hidden dimension",
        ),
        (
            lambda s, w, g: plots.plot_optimum_by_setting(w),
            ValueError,
            "activation, gradient, bias",
        ),
        (lambda s, w, g: plots.plot_optimum_vs_width(w, ax="left"), TypeError, "ax must be"),
    ],
)
def test_bad_input_says_what_is_needed(surface, width_slices, gradients, call, error, match):
    with pytest.raises(error, match=match):
        call(surface, width_slices, gradients)


def test_longer_extra_dimensions_are_refused(gradients):
    doubled = xr.concat([gradients, gradients], dim=xr.DataArray([0.1, 0.2], dims="lr", name="lr"))
    with pytest.raises(ValueError, match=r"also has the dimension\(s\) lr"):
        plots.plot_gradient_conventions(doubled)
    with pytest.raises(ValueError, match="at least two different finite means"):
        contour_levels([np.nan, 1.0])
    with pytest.raises(ValueError, match="must have the dimension"):
        as_summary(xs.summarize(gradients), "summary", ("hidden_std", "hidden"))


# ---- all four at once, and real training


def trained(stds, runs, epochs, gradients):
    """Results over (hidden_std, gradient, run) trained with xorsweep.train, one seed for all."""
    pop = xs.init_population(len(stds) * runs, np.repeat(stds, runs), 0.8165, seed=1)
    parts = []
    for g in gradients:
        r = xs.train(pop, epochs, gradient=g, engine="numpy")
        values = {
            v: (("hidden_std", "run"), r[v].values.reshape(len(stds), runs))
            for v in ("total_loss", "converged_epoch")
        }
        parts.append(xr.Dataset(values, coords={"hidden_std": stds}))
    gradient = xr.DataArray(list(gradients), dims="gradient", name="gradient")
    return xr.concat(parts, dim=gradient).assign_attrs(epochs=epochs)


def test_trained_networks_ranked_as_their_means():
    stds = np.array([0.3, 0.5, plots.GLOROT_STD, 1.0, 1.5, 2.5, 4.0])
    ds = trained(stds, runs=40, epochs=1000, gradients=["sum", "mean"])
    data = plots.beyond_figure_data(setting_results=ds, n_boot=50)
    assert data.names() == ("beyond_gradient_conventions", "beyond_optimum_by_setting")
    assert data.gradients.gradient.values.tolist() == ["sum", "mean"]  # the given order
    ranking = std_ranking(data.gradients)
    means = xs.summarize(ds)["mean"]
    for g in ("sum", "mean"):
        one, glorot = (float(means.sel(gradient=g, hidden_std=s)) for s in (1.0, plots.GLOROT_STD))
        assert float(ranking.loss_one.sel(gradient=g)) == pytest.approx(one, rel=1e-12)
        assert float(ranking.loss_glorot.sel(gradient=g)) == pytest.approx(glorot, rel=1e-12)
        if ranking.lower.sel(gradient=g) == "1":
            assert one < glorot
        elif ranking.lower.sel(gradient=g) == "1/sqrt(2)":
            assert glorot < one
    figs = plots.beyond_figures(data)
    assert tuple(figs) == data.names()
    ax = figs["beyond_gradient_conventions"].axes[0]
    note = next(t.get_text() for t in ax.texts if "article" in t.get_text()).splitlines()
    for g in ("sum", "mean"):
        lower = str(ranking.lower.sel(gradient=g).values)
        start = {"1": f"{g}: 1 lower", "1/sqrt(2)": f"{g}: 1/sqrt(2) lower"}.get(
            lower, f"{g}: no difference"
        )
        assert any(line.startswith(start) for line in note)


def test_beyond_figure_data_draws_what_it_has(surface, width_slices):
    ds, fit = surface
    widths = bowl(
        np.random.default_rng(3),
        lambda p: (1.2 / np.sqrt(p["hidden"]), 0.8165),
        dims={"hidden": WIDTHS},
    )
    data = plots.beyond_figure_data(surface_results=ds, width_results=widths, n_boot=200, rng=4)
    assert data.names() == ("beyond_loss_map", "beyond_optimum_vs_width")
    # the same fits as made directly, with the same settings
    assert data.surface.optimum == xs.fit_surface(ds, n_boot=200, rng=4).optimum
    xr.testing.assert_identical(data.widths, width_slices)
    failed = [n for n in data.notes if n.startswith("widths: no fitted optimum at hidden=")]
    assert len(failed) == int((~width_slices.ok).sum())
    figs = plots.beyond_figures(data)
    assert list(figs) == ["beyond_loss_map", "beyond_optimum_vs_width"]
    assert not plt.get_fignums()  # outside pyplot's registry, freed when dropped
    assert plots.beyond_figures(plots.BeyondFigureData()) == {}
    with pytest.raises(TypeError, match="BeyondFigureData"):
        plots.beyond_figures(ds)
    with pytest.raises(ValueError, match="width_results must have the dimension"):
        plots.beyond_figure_data(width_results=ds)
