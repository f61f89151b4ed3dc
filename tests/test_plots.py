"""The figures hold what they claim: lines, bars and bands checked against the data."""

from __future__ import annotations

import dataclasses
import io
import math
import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import QuadMesh
from matplotlib.colors import to_hex
from scipy.special import expit
from scipy.stats import norm

import xorsweep as xs
from xorsweep import plots
from xorsweep.analysis.figure_data import example_network
from xorsweep.plots._network import clip_line

STDS = np.geomspace(0.1, 10.0, 9)
RUNS = 24
EPOCHS = 1500


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _sweep_like(stds: np.ndarray, runs: int, epochs: int, seed: int) -> xr.Dataset:
    """A Dataset shaped like xorsweep.sweep's results, trained with xorsweep.train."""
    pop = xs.init_population(len(stds) * runs, np.repeat(stds, runs), 0.8165, seed=seed)
    trained = xs.train(pop, epochs)
    shape = (len(stds), runs)
    return xr.Dataset(
        {
            name: (("hidden_std", "run"), trained[name].values.reshape(shape))
            for name in ("total_loss", "final_loss", "converged_epoch")
        },
        coords={"hidden_std": stds, "run": np.arange(runs)},
        attrs={"epochs": epochs, "lr": 0.1, "output_std": 0.8165, "seed": seed},
    )


def _summary_by_hand(ds: xr.Dataset) -> xr.Dataset:
    """The statistics contract's variables, computed row by row with NumPy."""
    rows = []
    for loss, conv in zip(ds.total_loss.values, ds.converged_epoch.values, strict=True):
        present = np.isfinite(loss)
        x = loss[present]
        n, k = present.sum(), (present & np.isnan(conv)).sum()
        p, z = k / n, norm.ppf(0.975)
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        q25, med, q75 = np.quantile(x, [0.25, 0.5, 0.75])
        rows.append(
            dict(
                mean=x.mean(),
                std=x.std(ddof=1),
                count=n,
                sem=x.std(ddof=1) / math.sqrt(n),
                median=med,
                q25=q25,
                q75=q75,
                failure_rate=p,
                failure_low=centre - half,
                failure_high=centre + half,
            )
        )
    return xr.Dataset(
        {key: ("hidden_std", np.array([r[key] for r in rows])) for key in rows[0]},
        coords={"hidden_std": ds.hidden_std.values},
        attrs=dict(ds.attrs),
    )


@pytest.fixture(scope="module")
def sweep_ds():
    return _sweep_like(STDS, RUNS, EPOCHS, seed=11)


@pytest.fixture(scope="module")
def summary(sweep_ds):
    return xs.summarize(sweep_ds)


@pytest.fixture(scope="module")
def fit(sweep_ds):
    result = xs.fit_optimum(sweep_ds)
    assert result.ok
    return result


def test_summary_holds_what_the_figures_read(sweep_ds, summary):
    by_hand = _summary_by_hand(sweep_ds)
    for name in by_hand.data_vars:
        np.testing.assert_allclose(summary[name], by_hand[name], rtol=1e-12, err_msg=name)


@pytest.fixture(scope="module")
def example():
    pop = xs.init_population(3, 1.0, 1.0, seed=5)
    return xs.train(pop, 2000, record_every=500)


@pytest.fixture(scope="module")
def history():
    pop = xs.init_population(2, 0.05, 0.8165, seed=6)
    return pop, xs.train(pop, 600, record_every=20)


def _line(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.get_lines()]
    return found[0]


def _vertical_lines(ax):
    """x positions of lines whose x data is constant and spans the axes' height."""
    out = []
    for ln in ax.get_lines():
        x, y = np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)
        if len(x) == 2 and x[0] == x[1] and list(y) == [0.0, 1.0]:
            out.append((x[0], to_hex(ln.get_color()), ln))
    return out


# ---------------------------------------------------------------------------
# Figures 1 to 4
# ---------------------------------------------------------------------------


def test_fig1_boundaries_lie_on_the_hidden_neurons_lines(example):
    run = 1
    ax = plots.plot_xor_boundaries(example, run=run)
    w = example.hidden_weights.isel(run=run).transpose("input", "unit").values
    b = example.hidden_bias.isel(run=run).values
    for j in range(2):
        line = _line(ax, f"hidden neuron {j + 1}: $w_1 x_1 + w_2 x_2 + b = 0$")
        pts = np.column_stack([line.get_xdata(), line.get_ydata()])
        assert pts.shape == (2, 2)
        np.testing.assert_allclose(pts @ w[:, j] + b[j], 0.0, atol=1e-9)
        # the segment spans the visible square: both ends on its border
        on_border = np.isclose(np.abs(pts - 0.5), 0.75).any(axis=1)
        assert on_border.all()
    # the points: XOR's inputs coloured by target
    for cls, expected in ((0, [[0, 0], [1, 1]]), (1, [[0, 1], [1, 0]])):
        (coll,) = [c for c in ax.collections if c.get_label() == f"target {cls}"]
        np.testing.assert_array_equal(coll.get_offsets(), expected)
        assert to_hex(coll.get_facecolor()[0]) == plots.COLORS[f"class{cls}"]
    texts = sorted(t.get_text() for t in ax.texts)
    preds = example.predictions.isel(run=run).values
    assert texts == sorted(rf"$\hat{{y}}$ = {p:.3f}" for p in preds)
    assert ax.get_xlabel() and ax.get_ylabel()


def test_fig1_takes_a_population_and_marks_a_line_outside_the_square():
    pop = xs.Population(
        hidden_weights=np.array([[[1.0, 1.0], [1.0, 0.0]]]),  # neuron 1: x1 + x2 - 1 = 0
        hidden_bias=np.array([[[-1.0, -50.0]]]),  # neuron 2: x1 = 50, outside
        output_weights=np.ones((1, 2, 1)),
        output_bias=np.zeros((1, 1, 1)),
    )
    ax = plots.plot_xor_boundaries(pop)
    inside = _line(ax, "hidden neuron 1: $w_1 x_1 + w_2 x_2 + b = 0$")
    pts = np.column_stack([inside.get_xdata(), inside.get_ydata()])
    np.testing.assert_allclose(sorted(map(tuple, pts)), [(-0.25, 1.25), (1.25, -0.25)])
    outside = _line(ax, "hidden neuron 2: $w_1 x_1 + w_2 x_2 + b = 0$ (outside)")
    assert len(outside.get_xdata()) == 0


def test_fig2_curves_are_the_sigmoid_and_its_derivative():
    ax = plots.plot_sigmoid()
    lines = ax.get_lines()
    assert len(lines) == 2
    sig, der = lines
    z = np.asarray(sig.get_xdata())
    assert z.min() == -8 and z.max() == 8
    np.testing.assert_allclose(sig.get_ydata(), expit(z), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(der.get_ydata(), expit(z) * expit(-z), rtol=1e-10, atol=1e-15)
    i = np.argmin(np.abs(z))
    assert z[i] == 0 and der.get_ydata()[i] == pytest.approx(0.25)
    for zmax in (0, -1.0, math.nan):
        with pytest.raises(ValueError, match="zmax must be a finite number > 0, got"):
            plots.plot_sigmoid(zmax=zmax)


def test_fig3_colour_map_is_the_bernoulli_compatibility_in_other_colours():
    ax = plots.plot_bernoulli(points=41)
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    coords = mesh.get_coordinates()  # (y, y_hat, 2) grid points with Gouraud shading
    y_hat, y = coords[..., 0], coords[..., 1]
    values = np.asarray(mesh.get_array()).reshape(y.shape)
    np.testing.assert_allclose(values, y_hat**y * (1 - y_hat) ** (1 - y), atol=1e-14)
    assert values[0, 0] == 1.0 and values[-1, -1] == 1.0 and values[0, -1] == 0.0
    # for each y the maximum over y_hat sits on the ridge y_hat = y
    np.testing.assert_array_equal(np.argmax(values, axis=1), np.arange(41))
    ridge = ax.get_lines()[-1]
    np.testing.assert_array_equal(ridge.get_xdata(), ridge.get_ydata())
    assert mesh.get_cmap().name == "viridis"
    # the output space's colours are not the input plane's
    assert {plots.COLORS["y0"], plots.COLORS["y1"]}.isdisjoint(
        {plots.COLORS["class0"], plots.COLORS["class1"]}
    )


def test_fig4_two_curves_are_minus_log_likelihoods():
    ax = plots.plot_bce()
    y0 = _line(ax, r"$y = 0$: $-\log(1-\hat{y})$")
    y1 = _line(ax, r"$y = 1$: $-\log\hat{y}$")
    assert len(ax.get_lines()) == 2
    for line, expected, color in (
        (y0, lambda p: -np.log(1 - p), plots.COLORS["y0"]),
        (y1, lambda p: -np.log(p), plots.COLORS["y1"]),
    ):
        p = np.asarray(line.get_xdata())
        assert 0 < p.min() < 0.01 and 0.99 < p.max() < 1
        np.testing.assert_allclose(line.get_ydata(), expected(p), rtol=1e-12)
        assert np.isfinite(line.get_ydata()).all()
        assert to_hex(line.get_color()) == color
    for eps in (0.0, 0.5):
        with pytest.raises(ValueError, match=r"eps must be a finite number > 0 and < 0.5, got"):
            plots.plot_bce(eps=eps)


# ---------------------------------------------------------------------------
# Figures 5 to 7
# ---------------------------------------------------------------------------


def test_fig5_loss_every_500_epochs_and_final_predictions(example):
    ax_loss, ax_pred = plots.plot_training(example, run=2)
    line = _line(ax_loss, "mean BCE at the logged epoch")
    np.testing.assert_array_equal(line.get_xdata(), [0, 500, 1000, 1500])
    np.testing.assert_array_equal(line.get_ydata(), example.epoch_loss.isel(run=2).values)
    final = float(example.final_loss.isel(run=2))
    marker = _line(ax_loss, f"trained network: {final:.4f}")
    assert list(marker.get_xdata()) == [2000]
    assert ax_loss.get_yscale() == "log"
    heights = [bar.get_height() for bar in ax_pred.patches]
    np.testing.assert_array_equal(heights, example.predictions.isel(run=2).values)
    colors = [to_hex(bar.get_facecolor()) for bar in ax_pred.patches]
    assert colors == [plots.COLORS[f"y{t}"] for t in (0, 1, 1, 0)]
    labels = [t.get_text() for t in ax_pred.get_xticklabels()]
    assert labels == ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"]


def test_fig5_draws_on_given_axes_and_refuses_untracked_training(example):
    fig, axes = plt.subplots(1, 2)
    got = plots.plot_training(example, axes=axes)
    assert got == tuple(axes)
    untracked = example.drop_vars("epoch_loss")
    with pytest.raises(ValueError, match="record_every"):
        plots.plot_training(untracked)
    with pytest.raises(TypeError, match="two matplotlib Axes"):
        plots.plot_training(example, axes=axes[0])
    with pytest.raises(ValueError, match=r"run must be an integer in \[0, 2\]"):
        plots.plot_training(example, run=3)


@pytest.mark.parametrize("xscale", ["linear", "symlog"])
def test_fig6_7_nine_parameter_lines_from_initial_to_trained(history, xscale):
    pop, trained = history
    ax = plots.plot_weight_evolution(trained, run=1, xscale=xscale)
    lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
    assert len(lines) == 9
    assert len({ln.get_label() for ln in lines}) == 9
    assert ax.get_xscale() == xscale
    epochs = np.append(np.arange(0, 600, 20), 600)
    # the same nine numbers, in the legend's order: neuron 1 (w x1, w x2, b), neuron 2, output
    w, hb = pop.hidden_weights[1], pop.hidden_bias[1, 0]
    ow, ob = pop.output_weights[1, :, 0], pop.output_bias[1, 0, 0]
    initial = [w[0, 0], w[1, 0], hb[0], w[0, 1], w[1, 1], hb[1], ow[0], ow[1], ob]
    t = trained.isel(run=1)
    tw, thb = t.hidden_weights.values, t.hidden_bias.values
    tow, tob = t.output_weights.values[:, 0], t.output_bias.values[0]
    final = [tw[0, 0], tw[1, 0], thb[0], tw[0, 1], tw[1, 1], thb[1], tow[0], tow[1], tob]
    for line, first, last in zip(lines, initial, final, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), epochs)
        y = np.asarray(line.get_ydata())
        assert np.isfinite(y).all()
        assert y[0] == first and y[-1] == last
    assert [ln.get_label() for ln in lines[:3]] == [
        r"$w: x_1 \to h_1$",
        r"$w: x_2 \to h_1$",
        r"$b: h_1$",
    ]


def test_fig6_7_refuses_bad_arguments(history):
    _, trained = history
    with pytest.raises(ValueError, match="xscale"):
        plots.plot_weight_evolution(trained, xscale="log")
    with pytest.raises(ValueError, match="record_every"):
        plots.plot_weight_evolution(xs.train(xs.init_population(1, seed=0), 10))
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.plot_weight_evolution(trained, ax="left")


# ---------------------------------------------------------------------------
# Figures 8 to 10
# ---------------------------------------------------------------------------


def test_fig8_glorot_line_error_bars_and_fit(summary, fit):
    ax = plots.plot_loss_vs_std(summary, fit)
    assert ax.get_xscale() == "log"
    verticals = _vertical_lines(ax)
    black = [x for x, c, _ in verticals if c == "#000000"]
    assert black == [pytest.approx(0.7071, abs=1e-4)]
    green = [x for x, c, _ in verticals if c == plots.COLORS["optimum"]]
    assert green == [fit.optimum]
    # one error bar per grid point, from mean - sem to mean + sem
    (container,) = ax.containers
    data_line, _, (bars,) = container.lines
    np.testing.assert_array_equal(data_line.get_xdata(), summary.hidden_std.values)
    np.testing.assert_array_equal(data_line.get_ydata(), summary["mean"].values)
    segments = np.array(bars.get_segments())
    assert segments.shape == (len(STDS), 2, 2)
    np.testing.assert_allclose(segments[:, 0, 0], summary.hidden_std.values)
    np.testing.assert_allclose(segments[:, 0, 1], summary["mean"] - summary["sem"], rtol=1e-12)
    np.testing.assert_allclose(segments[:, 1, 1], summary["mean"] + summary["sem"], rtol=1e-12)
    # the confidence band spans the CI, the fitted curve is the fit's curve
    (band,) = [p for p in ax.patches if p.get_label() == "95% CI of the minimum"]
    xs_band = band.get_path().transformed(band.get_patch_transform()).vertices[:, 0]
    assert xs_band.min() == pytest.approx(fit.optimum_ci[0])
    assert xs_band.max() == pytest.approx(fit.optimum_ci[1])
    curve = _line(ax, "fitted curve")
    finite = np.isfinite(fit.curve.values)
    assert finite.sum() > 10
    np.testing.assert_array_equal(curve.get_xdata(), fit.curve.hidden_std.values[finite])
    np.testing.assert_array_equal(curve.get_ydata(), fit.curve.values[finite])
    for line in ax.get_lines():
        assert np.isfinite(np.asarray(line.get_ydata(), float)).all()
        assert np.isfinite(np.asarray(line.get_xdata(), float)).all()
    assert "mean total loss" in ax.get_ylabel() and "1,500 epochs" in ax.get_ylabel()


def test_fig8_without_fit_a_failed_fit_and_points_without_error(summary):
    ax = plots.plot_loss_vs_std(summary)
    assert len(_vertical_lines(ax)) == 1 and not ax.patches
    ax = plots.plot_loss_vs_std(summary, xs.FitResult(ok=False, reason="fit message"))
    assert len(_vertical_lines(ax)) == 1
    assert [t.get_text() for t in ax.texts] == ["no fitted minimum: fit message"]
    sparse = summary.copy(deep=True)
    sparse["sem"][3] = np.nan  # a single run: no error bar, still a point
    sparse["mean"][5] = np.nan  # no runs: no point
    ax = plots.plot_loss_vs_std(sparse)
    (_, _, (bars,)) = ax.containers[0].lines
    assert len(bars.get_segments()) == len(STDS) - 2
    bare = _line(ax, "mean of one run")
    assert list(bare.get_xdata()) == [STDS[3]]


def test_fig8_selects_length_one_dimensions_and_refuses_longer_ones(summary):
    one = summary.expand_dims(output_std=[0.8165])
    ax = plots.plot_loss_vs_std(one)
    (_, _, (bars,)) = ax.containers[0].lines
    assert len(bars.get_segments()) == len(STDS)
    two = summary.expand_dims(output_std=[0.5, 1.0])
    with pytest.raises(ValueError, match=r"output_std \(2 values\).*sel\(output_std="):
        plots.plot_loss_vs_std(two)
    with pytest.raises(ValueError, match="lacks the variable"):
        plots.plot_loss_vs_std(summary.drop_vars("sem"))
    with pytest.raises(TypeError, match="xarray.Dataset"):
        plots.plot_loss_vs_std(summary["mean"])


def test_fig9_failure_rate_band_and_loss_quartiles(summary):
    ax_fail, ax_loss = plots.plot_failure_rate(summary)
    assert ax_fail.get_xscale() == ax_loss.get_xscale() == "log"
    rate = _line(ax_fail, "failure rate")
    np.testing.assert_allclose(rate.get_ydata(), 100 * summary.failure_rate.values)
    assert summary.failure_rate.max() > 0  # the band has something to show
    (band,) = [c for c in ax_fail.collections if c.get_label() == "Wilson 95% interval"]
    verts = band.get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(100 * summary.failure_low.min())
    assert verts[:, 1].max() == pytest.approx(100 * summary.failure_high.max())
    np.testing.assert_allclose(_line(ax_loss, "median").get_ydata(), summary["median"].values)
    np.testing.assert_allclose(_line(ax_loss, "mean").get_ydata(), summary["mean"].values)
    (iqr,) = [c for c in ax_loss.collections if c.get_label() == "quartiles q25-q75"]
    verts = iqr.get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(summary.q25.min())
    assert verts[:, 1].max() == pytest.approx(summary.q75.max())
    for ax in (ax_fail, ax_loss):
        assert [x for x, _, _ in _vertical_lines(ax)] == [pytest.approx(0.7071, abs=1e-4)]


def test_fig10_median_and_quantiles_of_converged_epochs(sweep_ds):
    ax = plots.plot_converged_epoch(sweep_ds)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    median = _line(ax, "median")
    x = np.asarray(median.get_xdata())
    expected = [np.nanmedian(sweep_ds.converged_epoch.sel(hidden_std=s).values) for s in x]
    np.testing.assert_allclose(median.get_ydata(), expected)
    has = np.isfinite(sweep_ds.converged_epoch.values).any(axis=1)
    np.testing.assert_array_equal(x, STDS[has])
    assert has.sum() >= 5
    bands = [c for c in ax.collections if c.get_label() in ("10%-90% of converged runs", "25%-75%")]
    assert len(bands) == 2
    never = sweep_ds.assign(converged_epoch=sweep_ds.converged_epoch * np.nan)
    with pytest.raises(ValueError, match="no run converged"):
        plots.plot_converged_epoch(never)


# ---------------------------------------------------------------------------
# Theme, all ten figures, the package import
# ---------------------------------------------------------------------------


def test_theme_is_applied_while_drawing_and_restored():
    before = dict(mpl.rcParams)
    ax = plots.plot_sigmoid()
    assert ax.xaxis.get_gridlines()[0].get_visible()  # whitegrid style
    assert dict(mpl.rcParams) == before


def _figure_data(sweep_ds, summary, example, history, fit):
    _, trained = history
    return plots.FigureData(
        example=example,
        small=trained,
        large=trained,
        small_std=0.05,
        large_std=20.0,
        results=sweep_ds,
        summary=summary,
        fit=fit,
    )


@pytest.mark.parametrize(
    "fmt, magic", [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml"), ("pdf", b"%PDF")]
)
def test_article_figures_are_ten_and_save(sweep_ds, summary, fit, example, history, fmt, magic):
    data = _figure_data(sweep_ds, summary, example, history, fit)
    figs = plots.article_figures(data)
    assert tuple(figs) == plots.FIGURE_NAMES
    assert len(figs) == 10 and plt.get_fignums() == []  # not left in pyplot's registry
    assert figs["fig07_weights_large_std"].axes[0].get_xscale() == "symlog"
    assert "std 20" in figs["fig07_weights_large_std"].axes[0].get_title()
    for name, fig in figs.items():
        panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert all(ax.get_ylabel() for ax in panels), name
        assert any(ax.get_xlabel() for ax in panels), name
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=40)
        assert buf.getvalue().startswith(magic), name


def test_check_format_names_the_choices():
    assert plots.check_format("svg") == "svg"
    with pytest.raises(ValueError, match="format must be one of 'png', 'svg', 'pdf'"):
        plots.check_format("jpg")


def test_import_xorsweep_does_not_import_matplotlib():
    code = "import sys, xorsweep; print('matplotlib' in sys.modules, 'seaborn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_boundary_clipping_helper():
    box = (0.0, 1.0, 0.0, 1.0)
    ends = clip_line(np.array([1.0, -1.0]), 0.0, box)  # the diagonal
    np.testing.assert_allclose(sorted(map(tuple, ends)), [(0, 0), (1, 1)])
    assert clip_line(np.array([0.0, 0.0]), 1.0, box).shape == (0, 2)
    assert clip_line(np.array([1.0, 0.0]), -2.0, box).shape == (0, 2)
    np.testing.assert_allclose(clip_line(np.array([0.0, 2.0]), -1.0, box)[:, 1], 0.5)


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------


def test_cli_formats_are_the_plot_formats(capsys):
    from xorsweep import cli

    parser = cli.build_parser()
    for fmt in plots.FORMATS:
        assert parser.parse_args(["figures", "s", "--out", "o", "--format", fmt]).format == fmt
    with pytest.raises(SystemExit):
        parser.parse_args(["figures", "s", "--out", "o", "--format", "jpg"])
    choices = ", ".join(repr(fmt) for fmt in plots.FORMATS)
    assert f"invalid choice: 'jpg' (choose from {choices})" in capsys.readouterr().err


def test_cli_refuses_an_unknown_format_by_name(tmp_path, capsys):
    from xorsweep import cli

    with pytest.raises(SystemExit) as exc:
        cli.main(["figures", str(tmp_path), "--out", str(tmp_path / "figs"), "--format", "jpg"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --format: invalid choice: 'jpg'" in err and "'png', 'svg', 'pdf'" in err
    assert not (tmp_path / "figs").exists()


def test_example_network_is_the_median_converged_candidate():
    seed = np.random.SeedSequence(3)
    trained, ok = example_network(1.0, 1.0, seed, 9, 800, 0.1, record_every=100)
    assert ok and trained.sizes["run"] == 1
    pop = xs.init_population(9, 1.0, 1.0, seed=np.random.default_rng(np.random.SeedSequence(3)))
    epochs = xs.train(pop, 800).converged_epoch.values
    done = np.sort(epochs[np.isfinite(epochs)])
    assert 1 < done.size < 9  # some converge, some do not: the choice matters
    assert float(trained.converged_epoch[0]) == done[(done.size - 1) // 2]
    np.testing.assert_array_equal(trained.epoch.values, np.arange(0, 800, 100))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "results.zarr"
    xs.sweep([0.2, 0.5, 1.0, 2.0, 5.0], runs=6, epochs=300, workers=1, progress=False, store=path)
    return path


def test_cli_writes_the_ten_figures_and_says_where(store, tmp_path, capsys):
    from xorsweep import cli

    out = tmp_path / "new" / "figs"
    assert cli.main(["figures", str(store), "--out", str(out), "--dpi", "30"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == [f"{name}.png" for name in plots.FIGURE_NAMES]
    for name in written:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = capsys.readouterr().out.splitlines()
    assert [ln for ln in lines if ln.startswith("wrote ")] == [
        f"wrote {out / name}" for name in written
    ]
    assert plt.get_fignums() == []


def test_cli_figures_refuses_a_missing_store_and_a_file_as_directory(store, tmp_path, capsys):
    from xorsweep import cli

    assert cli.main(["figures", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    assert "xorsweep figures: error:" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert cli.main(["figures", str(store), "--out", str(a_file)]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_figure_data_from_a_sweep(store):
    results = xs.open_results(store)
    data = plots.figure_data(results, seed=1, epochs=400, candidates=4)
    assert data.small.sizes["run"] == data.large.sizes["run"] == data.example.sizes["run"] == 1
    np.testing.assert_array_equal(data.example.epoch.values, [0])
    assert data.small.epoch.values[-1] == 390
    np.testing.assert_array_equal(data.summary.hidden_std, results.hidden_std)
    assert data.summary.attrs["epochs"] == 300
    assert data.fit.ok or any("no minimum was fitted" in n for n in data.notes)
    again = plots.figure_data(results, seed=1, epochs=400, candidates=4)
    assert again.large.equals(data.large)
    with pytest.raises(ValueError, match="small_std"):
        plots.figure_data(results, small_std=0.0)


def test_figure_data_reads_a_glorot_output_std_at_the_example_networks_width(store):
    """Results swept with output_std='glorot' give the 2-2-1 examples Glorot's 0.8165."""
    results = xs.open_results(store)
    results.attrs["output_std"] = "glorot"
    data = plots.figure_data(results, seed=1, epochs=400, candidates=4)
    results.attrs["output_std"] = 2.0
    other = plots.figure_data(results, seed=1, epochs=400, candidates=4)
    results.attrs["output_std"] = xs.glorot_std(2, 1)
    same = plots.figure_data(results, seed=1, epochs=400, candidates=4)
    assert data.large.equals(same.large)
    assert not data.large.equals(other.large)


# ---------------------------------------------------------------------------
# Layout: nothing hidden, nothing cut off, no layout warnings
# ---------------------------------------------------------------------------

# A failed fit's message as long as real ones get (two notes joined).
_LONG_MESSAGE = (
    "no interior minimum: the lowest (smoothed) mean total loss is at the largest "
    "hidden_std, 0.4985; extend the grid beyond it; lack of fit: chi2 412.3 on 17 dof "
    "(p = 1.2e-75): the cubic misses the means by more than their errors, so the interval "
    "is too narrow; try a smaller level"
)


def _drawn(fig):
    """Draw ``fig`` (constrained layout runs; its warnings are errors here), return a renderer."""
    if not hasattr(fig.canvas, "get_renderer"):  # a Figure made outside pyplot
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _overlap(a, b):
    """Whether two display-space boxes share more than a pixel's width."""
    return a.x0 < b.x1 - 1 and b.x0 < a.x1 - 1 and a.y0 < b.y1 - 1 and b.y0 < a.y1 - 1


def _texts(fig):
    """The texts of ``fig`` other than tick labels: titles, axis labels, annotations and
    legend entries (a tick label beyond the axes' limits exists but is not drawn)."""
    out = list(fig.texts)
    for ax in fig.axes:
        out += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.get_legend() is not None:
            out += ax.get_legend().get_texts()
    return [t for t in out if t.get_visible() and t.get_text()]


def _assert_texts_inside(fig):
    """Everything drawn lies inside the figure: its tight box, and each text's own."""
    renderer = _drawn(fig)
    tight, box = fig.get_tightbbox(renderer), fig.bbox_inches
    assert box.x0 - 0.01 <= tight.x0 and tight.x1 <= box.x1 + 0.01, (tight, box)
    assert box.y0 - 0.01 <= tight.y0 and tight.y1 <= box.y1 + 0.01, (tight, box)
    for text in _texts(fig):
        ext = text.get_window_extent(renderer)
        inside = fig.bbox.x0 - 1 <= ext.x0 and ext.x1 <= fig.bbox.x1 + 1
        inside = inside and fig.bbox.y0 - 1 <= ext.y0 and ext.y1 <= fig.bbox.y1 + 1
        assert inside, (text.get_text()[:60], ext, fig.bbox)


@pytest.mark.parametrize("figsize", [None, (8.0, 5.0)])
def test_fig8_a_failed_fits_note_stays_in_the_figure_without_layout_warnings(summary, figsize):
    """The default figure and a small one (the note once collapsed its layout)."""
    fit = xs.FitResult(ok=False, reason=_LONG_MESSAGE)
    ax = None if figsize is None else plt.subplots(figsize=figsize, layout="constrained")[1]
    ax = plots.plot_loss_vs_std(summary, fit, ax=ax)
    (note,) = ax.texts
    assert note.get_text().replace("\n", " ") == f"no fitted minimum: {_LONG_MESSAGE}"
    _assert_texts_inside(ax.figure)
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not _overlap(note.get_window_extent(renderer), legend)
    assert not _overlap(note.get_window_extent(renderer), ax.get_window_extent(renderer))


def test_fig8_legend_leaves_the_vertical_lines_whole(summary, fit):
    ax = plots.plot_loss_vs_std(summary, fit)
    renderer = _drawn(ax.figure)
    legend = ax.get_legend().get_window_extent(renderer)
    frame = ax.get_window_extent(renderer)
    verticals = _vertical_lines(ax)
    assert len(verticals) == 2
    for x, _, _ in verticals:
        px = ax.transData.transform((x, 1.0))[0]
        crosses = legend.x0 <= px <= legend.x1 and legend.y0 < frame.y1 and legend.y1 > frame.y0
        assert not crosses, (x, legend, frame)
    band = [p for p in ax.patches if p.get_label().endswith("CI of the minimum")]
    assert band and not _overlap(legend, band[0].get_window_extent(renderer))
    _assert_texts_inside(ax.figure)


@pytest.mark.parametrize("panels", [1, 3])
def test_fig3_legend_hides_no_contour_label(panels):
    """Alone, and as the middle of three panels (notebook 1)."""
    with plots.theme():
        fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 4.8), layout="constrained")
    ax = plots.plot_bernoulli(ax=np.ravel(axes)[panels // 2])
    renderer = _drawn(fig)
    legend = ax.get_legend().get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text() in ("0.25", "0.50", "0.75")]
    assert len(labels) >= 3
    for label in labels:
        assert not _overlap(legend, label.get_window_extent(renderer)), label.get_text()
    for text in (ax.xaxis.label, *ax.get_xticklabels()):  # and it clears the x axis
        assert not _overlap(legend, text.get_window_extent(renderer)), text.get_text()
    _assert_texts_inside(fig)


def test_fig8_and_fig9_y_labels_are_no_taller_than_their_panels(summary, fit):
    panels = [plots.plot_loss_vs_std(summary, fit), *plots.plot_failure_rate(summary)]
    for ax in panels:
        renderer = _drawn(ax.figure)
        label = ax.yaxis.label.get_window_extent(renderer)
        assert label.height <= ax.get_window_extent(renderer).height, ax.get_ylabel()


def test_article_figures_keep_every_text_inside(sweep_ds, summary, fit, example, history):
    """All ten, and figure 8 with a failed fit, drawn without warnings."""
    data = _figure_data(sweep_ds, summary, example, history, fit)
    failed = dataclasses.replace(data, fit=xs.FitResult(ok=False, reason=_LONG_MESSAGE))
    figs = plots.article_figures(data)
    figs["failed fit"] = plots.article_figures(failed)["fig08_loss_vs_std"]
    for name, fig in figs.items():
        try:
            _assert_texts_inside(fig)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def test_a_figure_drawn_in_the_theme_leaves_a_notebooks_later_figures_shown(tmp_path):
    """The first figure starts the inline backend; leaving theme() must not undo that."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    cells = [
        "import matplotlib.pyplot as plt\nimport xorsweep.plots as xp",
        "with xp.theme():\n    plt.subplots()",
        "plt.subplots()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [sum("image/png" in o.get("data", {}) for o in cell.outputs) for cell in nb.cells]
    assert shown == [0, 1, 1]
