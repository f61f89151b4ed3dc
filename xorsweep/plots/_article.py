"""All ten figures at once, from a sweep's results or the data already computed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis.figure_data import FIGURE_NAMES, FigureData, figure_data
from ._formulas import plot_bce, plot_bernoulli, plot_sigmoid
from ._labels import title
from ._layout import detached_figure
from ._network import plot_training, plot_weight_evolution, plot_xor_boundaries
from ._style import SIZES, theme
from ._sweep import plot_converged_epoch, plot_failure_rate, plot_loss_vs_std

# Subplots of the two-panel figures (the others have one Axes).
_PANELS: dict[str, dict[str, Any]] = {
    "fig05_training": {"ncols": 2, "width_ratios": [1.6, 1]},
    "fig09_failure_rate": {"nrows": 2, "sharex": True},
}


def _weights(trained: xr.Dataset, std: float, xscale: str, ax: Axes) -> None:
    """Figure 6 or 7, titled with the initial hidden std and the network's setting."""
    plot_weight_evolution(trained, ax=ax, xscale=xscale)
    ax.set_title(title(f"Parameters during training, initial hidden std {std:g}", trained))


def article_figures(data: FigureData | xr.Dataset, **options: Any) -> dict[str, Figure]:
    """Draw all ten figures.

    Parameters
    ----------
    data : FigureData or xarray.Dataset
        From :func:`figure_data`, or a sweep's results, which are passed to
        it with ``options``.

    Returns
    -------
    dict of str to matplotlib Figure
        Keyed by :data:`FIGURE_NAMES`, in order. The figures are not
        registered with pyplot: save them with ``fig.savefig``; they are
        freed when dropped.
    """
    if isinstance(data, xr.Dataset):
        data = figure_data(data, **options)
    elif options:
        raise TypeError("options are only accepted with a results Dataset, not with FigureData")
    if not isinstance(data, FigureData):
        raise TypeError(
            f"data must be a FigureData or an xarray.Dataset, got {type(data).__name__}"
        )
    fd = data
    draw: dict[str, Callable[[Any], object]] = {
        "fig01_xor_boundaries": lambda ax: plot_xor_boundaries(fd.example, ax=ax),
        "fig02_sigmoid": lambda ax: plot_sigmoid(ax=ax),
        "fig03_bernoulli": lambda ax: plot_bernoulli(ax=ax),
        "fig04_bce": lambda ax: plot_bce(ax=ax),
        "fig05_training": lambda axes: plot_training(fd.example, axes=axes),
        "fig06_weights_small_std": lambda ax: _weights(fd.small, fd.small_std, "linear", ax),
        "fig07_weights_large_std": lambda ax: _weights(fd.large, fd.large_std, "symlog", ax),
        "fig08_loss_vs_std": lambda ax: plot_loss_vs_std(fd.summary, fd.fit, ax=ax),
        "fig09_failure_rate": lambda axes: plot_failure_rate(fd.summary, axes=axes),
        "fig10_converged_epoch": lambda ax: plot_converged_epoch(fd.results, ax=ax),
    }
    figs: dict[str, Figure] = {}
    with theme():
        for name in FIGURE_NAMES:
            fig, axes = detached_figure(SIZES[name], **_PANELS.get(name, {}))
            draw[name](axes)
            figs[name] = fig
    return figs
