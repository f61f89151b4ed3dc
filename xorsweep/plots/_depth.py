"""The depth study's figures: loss against the gain over Glorot, the optimum against depth, and
the loss over learning rate x gain with the optimum at each learning rate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from ._layout import get_axes, require
from ._style import COLORS, DEEP, themed

__all__ = ["DEPTH_RULE_STYLES", "plot_gain_loss", "plot_lr_gain_map", "plot_optimum_vs_depth"]

#: Line style and colour of each rule marked on a gain axis
#: (:data:`xorsweep.studies.depth.plan.RULE_NAMES`).
DEPTH_RULE_STYLES: dict[str, dict[str, Any]] = {
    "glorot": {"color": COLORS["glorot"], "ls": "-"},
    "lecun": {"color": DEEP[4], "ls": "--"},
    "he": {"color": DEEP[1], "ls": "--"},
    "4x": {"color": DEEP[5], "ls": ":"},
    "critical": {"color": DEEP[3], "ls": "-."},
}


@themed
def plot_gain_loss(
    points: xr.Dataset,
    rules: Mapping[str, float],
    optimum: Sequence[float] | None = None,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Mean total loss (± sem) against the gain over Glorot's std, the rules marked.

    Parameters
    ----------
    points : xarray.Dataset
        ``mean_loss`` and ``sem_loss`` over (gain,).
    rules : mapping of str to float
        Rule name -> its gain (vertical lines styled by :data:`DEPTH_RULE_STYLES`).
    optimum : (optimum, low, high), optional
        The fitted optimum gain and its interval (a green band); None: no optimum.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    require(points, ("mean_loss", "sem_loss"), "points", "pass analyse_depth's points")
    ax = get_axes(ax, (5.0, 3.6))
    gain, mean, sem = points.gain.values, points.mean_loss.values, points.sem_loss.values
    ax.errorbar(gain, mean, yerr=sem, color=COLORS["data"], marker="o", ms=3, lw=1)
    for name, value in rules.items():
        style = DEPTH_RULE_STYLES.get(name, {"color": "grey", "ls": ":"})
        ax.axvline(value, lw=1, label=name, **style)
    if optimum is not None and np.isfinite(optimum[0]):
        ax.axvspan(optimum[1], optimum[2], color=COLORS["optimum"], alpha=0.2, lw=0)
        ax.axvline(optimum[0], color=COLORS["optimum"], lw=2, label="optimum")
    ax.set_xscale("log")
    ax.set_xlabel("gain over Glorot's std")
    ax.set_ylabel("mean total loss")
    if title:
        ax.set_title(title, fontsize="small")
    return ax


@themed
def plot_optimum_vs_depth(optima: Sequence[Mapping[str, Any]], ax: Axes | None = None) -> Axes:
    """The fitted optimum gain (95% interval) against depth, one series per setting.

    Parameters
    ----------
    optima : sequence of mapping
        The depth line's rows of ``analyse_depth``'s optima: ``depth``,
        ``activation``, ``weights``, ``ok``, ``optimum``, ``low``, ``high``.
        Rows without an optimum are drawn as crosses on the lower axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_axes(ax, (6.0, 4.0))
    floor = 0.1  # where a configuration without an optimum is drawn
    series: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in optima:
        series.setdefault((row["activation"], row["weights"]), []).append(row)
    for k, ((activation, weights), rows) in enumerate(sorted(series.items())):
        color = DEEP[k % len(DEEP)]
        found = [r for r in rows if r["ok"]]
        shift = 1 + 0.04 * (k - len(series) / 2)  # side by side at each depth
        if found:
            d = np.array([r["depth"] for r in found], dtype=float) * shift
            y = np.array([r["optimum"] for r in found])
            err = np.array(
                [
                    [r["optimum"] - r["low"] for r in found],
                    [r["high"] - r["optimum"] for r in found],
                ]
            )
            ax.errorbar(
                d,
                y,
                yerr=err,
                color=color,
                marker="o",
                capsize=2,
                ls="-" if weights == "normal" else "--",
                label=f"{activation}, {weights}",
            )
        missing = [r["depth"] * shift for r in rows if not r["ok"]]
        if missing:
            ax.plot(
                missing,
                [floor] * len(missing),
                "x",
                color=color,
                ms=8,
                label=None if found else f"{activation}, {weights}",
            )
    ax.axhline(1.0, color=COLORS["glorot"], lw=1, label="Glorot")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(floor / 1.5, None)
    depths = sorted({int(r["depth"]) for r in optima})
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.minorticks_off()
    ax.text(0.01, 0.01, "x: no optimum", transform=ax.transAxes, fontsize="x-small")
    ax.set_xlabel("hidden layers")
    ax.set_ylabel("optimum gain over Glorot's std")
    ax.legend(fontsize="x-small")
    return ax


@themed
def plot_lr_gain_map(
    points: xr.Dataset,
    optima: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Mean total loss over learning rate x gain, the optimum gain at each learning rate.

    Parameters
    ----------
    points : xarray.Dataset
        ``mean_loss`` over (lr, gain): one configuration of ``analyse_depth``'s
        ``lr_points``.
    optima : sequence of mapping
        The configuration's rows of ``analyse_depth``'s optima, one per lr: ``lr``,
        ``ok``, ``optimum``, ``low``, ``high``. Those with an optimum are joined by a
        line with their intervals; at an lr without one, "no optimum" is written.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.colors import LogNorm

    require(points, ("mean_loss",), "points", "pass analyse_depth's lr_points")
    ax = get_axes(ax, (5.2, 4.0))
    loss = points.mean_loss.transpose("lr", "gain").values
    finite = loss[np.isfinite(loss) & (loss > 0)]
    norm = LogNorm(finite.min(), finite.max()) if finite.size else None
    edges = _log_edges(points.gain.values), _log_edges(points.lr.values)
    mesh = ax.pcolormesh(*edges, loss, cmap="viridis", norm=norm)
    ax.figure.colorbar(mesh, ax=ax, label="mean total loss")
    found = sorted((r for r in optima if r["ok"]), key=lambda r: r["lr"])
    if found:
        x = np.array([r["optimum"] for r in found])
        xerr = np.array([x - [r["low"] for r in found], [r["high"] for r in found] - x])
        ax.errorbar(
            x, [r["lr"] for r in found], xerr=xerr, color="white", marker="o", ms=4,
            capsize=2, lw=1.5, label="optimum gain",
        )  # fmt: skip
        ax.legend(fontsize="x-small", loc="lower left")
    for row in optima:
        if not row["ok"]:
            ax.text(
                float(np.sqrt(points.gain.values[0] * points.gain.values[-1])), row["lr"],
                "no optimum", color="white", ha="center", va="center", fontsize="small",
            )  # fmt: skip
    ax.axvline(1.0, color=COLORS["glorot"], lw=1, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("gain over Glorot's std")
    ax.set_ylabel("learning rate")
    if title:
        ax.set_title(title, fontsize="small")
    return ax


def _log_edges(centres: np.ndarray) -> np.ndarray:
    """Cell edges around log-spaced ``centres`` (n,): their geometric midpoints, shape (n + 1,).

    >>> _log_edges(np.array([0.1, 1.0, 10.0])).round(4).tolist()
    [0.0316, 0.3162, 3.1623, 31.6228]
    """
    logs = np.log(np.asarray(centres, dtype=float))
    if logs.size == 1:
        return np.exp(logs[0] + np.array([-0.5, 0.5]))
    mids = (logs[1:] + logs[:-1]) / 2
    return np.exp(np.concatenate([[2 * logs[0] - mids[0]], mids, [2 * logs[-1] - mids[-1]]]))
