"""The figures on failure hold what they claim: survival steps and bands, stacked shares, maps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import PolyCollection, QuadMesh
from matplotlib.colors import LogNorm, to_hex

import xorsweep as xs
from xorsweep import plots
from xorsweep.analysis.end_states import END_STATES

STDS = np.array([0.2, 1.0, 6.0])
RUNS = 40
EPOCHS = 3000
LENGTHS = [150, 600, 2000]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def results():
    """Trained runs, one run dimension with a per-run hidden_std, as the notebook has them."""
    pop = xs.init_population(len(STDS) * RUNS, np.repeat(STDS, RUNS), 0.8165, seed=3)
    trained = xs.train(pop, EPOCHS)
    return trained.assign_coords(hidden_std=("run", np.repeat(STDS, RUNS)))


@pytest.fixture(scope="module")
def curves(results):
    return xs.survival_curves(results)


@pytest.fixture(scope="module")
def shares(results):
    return xs.state_shares(xs.diagnose(results))


@pytest.fixture(scope="module")
def basin():
    """A 12 x 12 slice at three lengths, lr 1 so that outcomes are mixed (as in test_basins)."""
    ref = xs.init_population(1, hidden_std=1.0, output_std=0.8165, seed=5)
    return xs.basin_map(xs.direction_slice(ref, 12, extent=1.0, seed=1), epochs=LENGTHS, lr=1.0)


def _drawn_inside(fig):
    """Draw ``fig`` (layout warnings are errors) and check every text lies inside it."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts)]
    for ax in fig.axes:
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    for text in (t for t in texts if t.get_visible() and t.get_text()):
        ext = text.get_window_extent(renderer)
        assert fig.bbox.x0 - 1 <= ext.x0 and ext.x1 <= fig.bbox.x1 + 1, text.get_text()
        assert fig.bbox.y0 - 1 <= ext.y0 and ext.y1 <= fig.bbox.y1 + 1, text.get_text()


def _legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ---------------------------------------------------------------------------
# Survival
# ---------------------------------------------------------------------------


def test_survival_one_step_line_and_one_band_per_hidden_std(curves):
    ax = plots.plot_survival(curves)
    assert isinstance(ax, plt.Axes)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    lines = [ln for ln in ax.get_lines() if ln.get_label().startswith(r"$\sigma_h$")]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(lines) == len(bands) == len(STDS)
    epoch = curves.epoch.values
    for std, line, band in zip(STDS, lines, bands, strict=True):
        c = curves.sel(hidden_std=std)
        s = c.survival.values
        keep = (epoch > 0) & (s > 0)
        assert line.get_label() == rf"$\sigma_h$ = {std:g} ({RUNS} runs)"
        assert line.get_drawstyle() == "steps-post"
        np.testing.assert_array_equal(line.get_xdata(), epoch[keep])
        np.testing.assert_array_equal(line.get_ydata(), s[keep])
        # the band spans the interval, in the line's colour
        y = band.get_paths()[0].vertices[:, 1]
        assert y.min() == pytest.approx(c.survival_low.values[keep].min())
        assert y.max() == pytest.approx(c.survival_high.values[keep].max())
        assert to_hex(band.get_facecolor()[0]) == to_hex(line.get_color())
    assert len({to_hex(ln.get_color()) for ln in lines}) == len(STDS)
    # the runs that never converge keep the large std's curve high: the data has a tail
    assert curves.survival.sel(hidden_std=6.0).values[-1] > 0.2
    (mark,) = [ln for ln in ax.get_lines() if ln.get_label() == "10,000 epochs"]
    assert list(mark.get_xdata()) == [10_000, 10_000]
    assert _legend_labels(ax)[-1] == "95% pointwise band"
    _drawn_inside(ax.figure)


def test_survival_of_all_runs_without_a_mark_on_given_axes(results):
    pooled = xs.survival_curves(results, by=None, confidence=0.9)
    fig, given = plt.subplots()
    ax = plots.plot_survival(pooled, ax=given, mark=None)
    assert ax is given
    (line,) = ax.get_lines()
    assert line.get_label() == f"all runs ({len(STDS) * RUNS} runs)"
    assert len(ax.collections) == 1
    assert _legend_labels(ax)[-1] == "90% pointwise band"


def test_survival_leaves_out_what_a_log_axis_cannot_show():
    """Epoch 0 and a curve that reaches 0 (every run converged) are not drawn."""
    done = xr.Dataset(
        {"converged_epoch": ("run", [5.0, 20.0, 80.0]), "total_loss": ("run", [1.0, 1.0, 1.0])},
        attrs={"epochs": 100},
    )
    curves = xs.survival_curves(done, by=None, grid=[0.0, 1.0, 10.0, 50.0, 100.0])
    np.testing.assert_allclose(curves.survival, [1, 1, 2 / 3, 1 / 3, 0])
    (line,) = plots.plot_survival(curves).get_lines()[:1]
    np.testing.assert_array_equal(line.get_xdata(), [1.0, 10.0, 50.0])


def test_survival_refuses_bad_input(curves):
    with pytest.raises(ValueError, match="lacks the variable.*survival_curves"):
        plots.plot_survival(curves.drop_vars("survival_low"))
    with pytest.raises(TypeError, match="xarray.Dataset"):
        plots.plot_survival(curves.survival)
    with pytest.raises(ValueError, match="at most one dimension besides 'epoch'"):
        plots.plot_survival(curves.expand_dims(output_std=[0.5, 1.0]))
    with pytest.raises(ValueError, match="nothing to plot"):
        plots.plot_survival(curves.assign(survival=curves.survival * np.nan))
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.plot_survival(curves, ax="left")


# ---------------------------------------------------------------------------
# End states
# ---------------------------------------------------------------------------


def _bars(ax):
    """{state: (heights, bottoms)} of the stacked bars."""
    out = {}
    for container in ax.containers:
        rects = container.patches
        out[container.get_label()] = (
            np.array([r.get_height() for r in rects]),
            np.array([r.get_y() for r in rects]),
            {to_hex(r.get_facecolor()) for r in rects},
        )
    return out


def test_end_states_stack_the_shares_in_order(shares):
    ax = plots.plot_end_states(shares)
    bars = _bars(ax)
    present = [s for s in END_STATES if shares.share.sel(state=s).max() > 0]
    assert list(bars) == present and "converged" in present and len(present) >= 2
    bottom = np.zeros(len(STDS))
    for state in present:
        heights, bottoms, colours = bars[state]
        np.testing.assert_allclose(heights, shares.share.sel(state=state).values)
        np.testing.assert_allclose(bottoms, bottom, atol=1e-12)
        assert colours == {plots.STATE_COLORS[state]}
        bottom = bottom + heights
    np.testing.assert_allclose(bottom, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.2", "1", "6"]
    assert [t.get_text() for t in ax.texts] == [str(RUNS)] * len(STDS)
    assert ax.get_ylabel() == "share of the runs" and "sigma_h" in ax.get_xlabel()
    assert _legend_labels(ax) == present
    _drawn_inside(ax.figure)


def test_end_states_among_the_failing_runs(shares):
    ax = plots.plot_end_states(shares, failing_only=True)
    bars = _bars(ax)
    assert "converged" not in bars and bars
    failing = shares.runs_in_state.drop_sel(state="converged")
    total = sum(heights for heights, _, _ in bars.values())
    np.testing.assert_allclose(total, np.where(failing.sum("state") > 0, 1.0, 0.0))
    for state, (heights, _, _) in bars.items():
        expected = failing.sel(state=state) / failing.sum("state")
        np.testing.assert_allclose(heights, expected.fillna(0.0))
    assert [t.get_text() for t in ax.texts] == [str(int(n)) for n in failing.sum("state")]
    assert ax.get_ylabel() == "share of the runs still failing"


def test_end_states_refuse_bad_input(shares):
    with pytest.raises(ValueError, match="lacks the variable.*state_shares"):
        plots.plot_end_states(shares.drop_vars("share"))
    renamed = shares.assign_coords(state=["converged", "lost", *END_STATES[2:]])
    with pytest.raises(ValueError, match=r"states \['lost'\] that are not end states"):
        plots.plot_end_states(renamed)
    with pytest.raises(ValueError, match="dimension besides 'state'"):
        plots.plot_end_states(shares.expand_dims(lr=[0.1, 1.0]))
    with pytest.raises(TypeError, match="failing_only must be True or False"):
        plots.plot_end_states(shares, failing_only="yes")


# ---------------------------------------------------------------------------
# Basin maps
# ---------------------------------------------------------------------------


def _mesh(ax):
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    return mesh


def _star(ax):
    return [ln for ln in ax.get_lines() if ln.get_label() == "reference network"]


def test_basin_map_by_epoch_log_scale_never_converged_in_grey(basin):
    ax = plots.plot_basin_map(basin)  # the longest length
    mesh = _mesh(ax)
    plane = basin.sel(epochs=2000).converged_epoch.transpose("beta", "alpha").values
    values = mesh.get_array()
    assert values.shape == plane.shape
    never = np.isnan(plane)
    assert 0 < never.sum() < never.size
    np.testing.assert_array_equal(np.ma.getmaskarray(values), never)
    norm = mesh.norm
    assert isinstance(norm, LogNorm)
    first = np.nanmin(np.where(basin.converged_epoch > 0, basin.converged_epoch, np.nan))
    assert norm.vmin == first and norm.vmax == 2000
    np.testing.assert_array_equal(values.compressed(), np.maximum(plane[~never], first))
    assert to_hex(mesh.get_cmap().get_bad()) == plots.COLORS["never"]
    (star,) = _star(ax)
    assert list(star.get_xdata()) == [0.0] and list(star.get_ydata()) == [0.0]
    assert len(ax.figure.axes) == 2  # the map and its colour bar
    assert "log scale" in ax.figure.axes[1].get_ylabel()
    share = float(basin.converged.sel(epochs=2000).mean())
    assert ax.get_title() == f"Basin map, 2,000 epochs: {share:.0%} converged"
    assert _legend_labels(ax) == ["not converged after 2,000 epochs", "reference network"]
    assert ax.get_xlabel() == basin.attrs["alpha_label"]
    _drawn_inside(ax.figure)


def test_basin_map_by_state_is_categorical(basin):
    ax = plots.plot_basin_map(basin, length=150, by="state", reference=None)
    mesh = _mesh(ax)
    states = basin.state.sel(epochs=150).transpose("beta", "alpha").values
    codes = np.asarray(mesh.get_array())
    np.testing.assert_array_equal(np.array(END_STATES)[codes.astype(int)], states)
    for code, name in enumerate(END_STATES):
        assert to_hex(mesh.get_cmap()(mesh.norm(code))) == plots.STATE_COLORS[name]
    present = [s for s in END_STATES if (states == s).any()]
    assert len(present) >= 2 and _legend_labels(ax) == present
    assert _star(ax) == [] and len(ax.figure.axes) == 1  # no star, no colour bar


def test_basin_map_of_one_length_and_the_reference_of_a_parameter_slice():
    ref = xs.init_population(1, hidden_std=1.0, output_std=0.8165, seed=5)
    s = xs.parameter_slice(ref, 6, ("hidden_weights", (0, 0)), ("output_bias", (0, 0)), 4, 2)
    one = xs.basin_map(s, epochs=400, lr=1.0)
    point = (float(ref.hidden_weights[0, 0, 0]), float(ref.output_bias[0, 0, 0]))
    ax = plots.plot_basin_map(one, reference=point)
    (star,) = _star(ax)
    assert (star.get_xdata()[0], star.get_ydata()[0]) == point
    assert ax.get_title().startswith("Basin map, 400 epochs:")
    assert ax.get_xlabel() == "hidden_weights[0, 0]"


def test_basin_map_refuses_bad_input(basin):
    with pytest.raises(
        ValueError,
        match=r"length must be one of the map's training lengths "
        r"\[150, 600, 2000\], got 151",
    ):
        plots.plot_basin_map(basin, length=151)
    with pytest.raises(ValueError, match="by must be one of 'converged_epoch', 'state'"):
        plots.plot_basin_map(basin, by="loss")
    with pytest.raises(ValueError, match=r"reference must be None or a point .* alpha in \[-1, "):
        plots.plot_basin_map(basin, reference=(5.0, 0.0))
    with pytest.raises(ValueError, match="lacks the variable.*basin_map"):
        plots.plot_basin_map(basin.drop_vars("state"), by="state")
    with pytest.raises(ValueError, match=r"over \(alpha, beta\)"):
        plots.plot_basin_map(basin.rename(beta="gamma"))
    lost = basin.assign(state=basin.state.where(basin.state != "stuck", "lost"))
    with pytest.raises(ValueError, match=r"states \['lost'\] that are not end states"):
        plots.plot_basin_map(lost, by="state")


def test_basin_growth_shares_one_colour_scale(basin):
    axes = plots.plot_basin_growth(basin)
    assert len(axes) == len(LENGTHS) and all(isinstance(a, plt.Axes) for a in axes)
    meshes = [_mesh(ax) for ax in axes]
    assert len({(m.norm.vmin, m.norm.vmax) for m in meshes}) == 1
    assert meshes[0].norm.vmax == LENGTHS[-1]
    for ax, mesh, length in zip(axes, meshes, LENGTHS, strict=True):
        plane = basin.converged_epoch.sel(epochs=length).transpose("beta", "alpha").values
        np.testing.assert_array_equal(np.ma.getmaskarray(mesh.get_array()), np.isnan(plane))
        assert ax.get_title().startswith(f"{length:,} epochs:")
        assert len(_star(ax)) == 1
    # the convergent region grows with the training (this map's data: the claim to be drawn)
    assert [np.isfinite(m.get_array().filled(np.nan)).sum() for m in meshes] == sorted(
        np.isfinite(m.get_array().filled(np.nan)).sum() for m in meshes
    )
    fig = axes[0].figure
    assert len(fig.axes) == len(LENGTHS) + 1  # one colour bar for all
    assert axes[1].get_legend() is not None and axes[0].get_legend() is None
    _drawn_inside(fig)


def test_basin_growth_by_state_on_given_axes(basin):
    fig, given = plt.subplots(1, 2, layout="constrained")
    axes = plots.plot_basin_growth(basin, given, by="state", lengths=[600, 2000])
    assert axes == tuple(given)
    assert [ax.get_title().split(":")[0] for ax in axes] == ["600 epochs", "2,000 epochs"]
    present = set(np.unique(basin.state.sel(epochs=[600, 2000]).values))
    labels = _legend_labels(axes[1])
    assert set(labels[:-1]) == present and labels[-1] == "reference network"
    assert len(fig.axes) == 2


def test_basin_growth_refuses_bad_input(basin):
    with pytest.raises(TypeError, match="sequence of 3 matplotlib Axes"):
        plots.plot_basin_growth(basin, plt.subplots(1, 2)[1])
    with pytest.raises(ValueError, match="several lengths"):
        plots.plot_basin_growth(basin.isel(epochs=0))
    with pytest.raises(ValueError, match="length must be one of"):
        plots.plot_basin_growth(basin, lengths=[600, 5000])
    with pytest.raises(ValueError, match="at least one"):
        plots.plot_basin_growth(basin, lengths=[])
