"""The depth study's figures mark the rules and the optima they are given, and draw no optimum
where there is none."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_hex

from xorsweep import plots

GAINS = np.geomspace(0.1, 10.0, 9)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _points():
    loss = 100 + 20 * np.log(GAINS) ** 2
    return xr.Dataset(
        {"mean_loss": ("gain", loss), "sem_loss": ("gain", np.full(GAINS.size, 2.0))},
        coords={"gain": GAINS},
    )


def _vertical_lines(ax):
    return {
        line.get_label(): line.get_xdata()[0]
        for line in ax.get_lines()
        if len(set(line.get_xdata())) == 1 and line.get_label() and line.get_label()[0] != "_"
    }


def test_the_loss_figure_marks_each_rule_and_the_optimum():
    rules = {"glorot": 1.0, "lecun": 1.22, "critical": 4.66}
    ax = plots.plot_gain_loss(_points(), rules, (0.9, 0.8, 1.1), title="depth 1")
    lines = _vertical_lines(ax)
    assert lines == {**rules, "optimum": 0.9}
    glorot = next(line for line in ax.get_lines() if line.get_label() == "glorot")
    assert to_hex(glorot.get_color()) == to_hex(plots.DEPTH_RULE_STYLES["glorot"]["color"])
    assert ax.get_xscale() == "log" and ax.get_title() == "depth 1"
    assert len(ax.patches) == 1  # the optimum's interval


@pytest.mark.parametrize("optimum", [None, (math.nan, math.nan, math.nan)])
def test_the_loss_figure_draws_no_optimum_without_one(optimum):
    ax = plots.plot_gain_loss(_points(), {"glorot": 1.0}, optimum)
    assert "optimum" not in _vertical_lines(ax) and not ax.patches


def test_the_loss_figure_refuses_data_without_means():
    with pytest.raises(ValueError, match="mean_loss"):
        plots.plot_gain_loss(xr.Dataset({"x": ("gain", GAINS)}), {})


def test_the_depth_figure_draws_optima_with_intervals_and_crosses_where_none():
    rows = [
        {
            "depth": 1,
            "activation": "tanh",
            "weights": "normal",
            "ok": True,
            "optimum": 1.5,
            "low": 1.2,
            "high": 1.9,
        },
        {
            "depth": 4,
            "activation": "tanh",
            "weights": "normal",
            "ok": False,
            "optimum": math.nan,
            "low": math.nan,
            "high": math.nan,
        },
    ]
    _, ax = plt.subplots()
    assert plots.plot_optimum_vs_depth(rows, ax=ax) is ax
    drawn = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [list(line.get_ydata()) for line in drawn] == [[1.5]]
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_ydata()) == [0.1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4"]


def _map_points(lrs=(0.01, 0.1, 1.0)):
    loss = 100 + 20 * np.log(GAINS)[None, :] ** 2 + 10 * np.arange(len(lrs))[:, None]
    return xr.Dataset(
        {"mean_loss": (("lr", "gain"), loss)}, coords={"lr": list(lrs), "gain": GAINS}
    )


def test_the_lr_map_draws_the_optimum_line_and_says_no_optimum_in_words():
    rows = [
        {"lr": 0.01, "ok": True, "optimum": 0.5, "low": 0.4, "high": 0.6},
        {"lr": 0.1, "ok": False, "optimum": math.nan, "low": math.nan, "high": math.nan},
        {"lr": 1.0, "ok": True, "optimum": 2.0, "low": 1.5, "high": 2.5},
    ]
    ax = plots.plot_lr_gain_map(_map_points(), rows, title="gd")
    (bars,) = [c for c in ax.containers if c.get_label() == "optimum gain"]
    optimum = bars.lines[0]
    np.testing.assert_allclose(np.asarray(optimum.get_xdata(), dtype=float), [0.5, 2.0])
    np.testing.assert_allclose(np.asarray(optimum.get_ydata(), dtype=float), [0.01, 1.0])
    texts = [(t.get_text(), t.get_position()[1]) for t in ax.texts]
    assert texts == [("no optimum", 0.1)]
    mesh = ax.collections[0]
    assert mesh.get_array().shape == (3 * GAINS.size,) or mesh.get_array().shape == (3, GAINS.size)
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_title() == "gd"
    assert not any("nan" in t.get_text().lower() for t in ax.texts)


def test_the_lr_map_without_any_optimum_draws_no_line():
    rows = [{"lr": lr, "ok": False} for lr in (0.01, 0.1, 1.0)]
    ax = plots.plot_lr_gain_map(_map_points(), rows)
    assert not [c for c in ax.containers if c.get_label() == "optimum gain"]
    assert [t.get_text() for t in ax.texts] == ["no optimum"] * 3


def test_the_lr_map_refuses_data_without_means():
    with pytest.raises(ValueError, match="mean_loss"):
        plots.plot_lr_gain_map(xr.Dataset({"x": ("gain", GAINS)}), [])
