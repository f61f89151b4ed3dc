"""Helpers shared by the figures: the axes to draw on, and the check of the data passed in."""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter, LogLocator
from matplotlib.transforms import offset_copy


def detached_figure(
    figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kwargs: Any
) -> Any:
    """A Figure outside pyplot's registry (freed when dropped) and its axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def get_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``figsize`` inches if it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def get_axes_pair(
    axes: Any, figsize: tuple[float, float], nrows: int, ncols: int, **kwargs: Any
) -> tuple[Axes, Axes]:
    """The two Axes in ``axes``, or those of a new ``nrows`` x ``ncols`` figure if it is None."""
    if axes is None:
        _, made = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kwargs)
        return made[0], made[1]
    pair = tuple(np.ravel(np.asarray(axes, dtype=object)))
    if len(pair) != 2 or not all(isinstance(a, Axes) for a in pair):
        raise TypeError("axes must be None or a sequence of two matplotlib Axes")
    return pair[0], pair[1]


def require(ds: xr.Dataset, variables: tuple[str, ...], what: str, hint: str) -> None:
    """Raise unless ``ds`` is a Dataset with ``variables``; ``hint`` says where to get one."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{what} must be an xarray.Dataset, got {type(ds).__name__}")
    missing = [v for v in variables if v not in ds.variables]
    if missing:
        raise ValueError(f"{what} lacks the variable(s) {', '.join(missing)}; {hint}")


def epochs_label(obj: xr.Dataset) -> str:
    """``"summed over 10,000 epochs"`` from ``obj.attrs["epochs"]``, for a loss axis."""
    epochs = obj.attrs.get("epochs")
    if isinstance(epochs, (int, np.integer)):
        return f"summed over {int(epochs):,} epochs"
    return "summed over epochs"


def _points(size: Any) -> float:
    return float(FontProperties(size=size).get_size_in_points())


def legend_below(ax: Axes, **kwargs: Any) -> None:
    """A legend centred under the x axis's label, outside the axes.

    Its anchor is the axes' bottom edge moved down by the height of the ticks,
    their labels and the axis label in points (from the rc settings), so it
    clears them at any axes size; constrained layout makes room for it.
    """
    rc = mpl.rcParams
    below = (
        rc["xtick.major.size"]
        + rc["xtick.major.pad"]
        + 1.25 * _points(rc["xtick.labelsize"])
        + rc["axes.labelpad"]
        + 1.5 * _points(rc["axes.labelsize"])
    )
    anchor = offset_copy(ax.transAxes, fig=ax.figure, y=-below, units="points")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=anchor,
        borderaxespad=0,
        **kwargs,
    )


NOTE_WIDTH = 40  # characters per line of a note beside the axes


def plain_log(axis: Any) -> None:
    """Log ticks written as plain numbers (0.2, 0.5, 1, 2), minor ones at 2 and 5 times a power."""
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    axis.set_minor_formatter(plain)


def note(ax: Axes, text: str) -> None:
    """``text`` beside the axes, under the legend, wrapped to about its width."""
    ax.annotate(
        "\n".join(textwrap.fill(line, NOTE_WIDTH) for line in text.split("\n")),
        xy=(1.02, 0.0),
        xycoords="axes fraction",
        ha="left",
        va="bottom",
        fontsize="small",
    )
