"""Figures 2 to 4: the functions the article's network is built from, drawn without data."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .._core.checks import check_count, check_real
from ..model.network import sigmoid
from ._layout import get_axes, legend_below
from ._style import COLORS, DEEP, SIZES, themed

_CMAP = "viridis"  # figure 3, output space


@themed
def plot_sigmoid(ax: Axes | None = None, zmax: float = 8.0) -> Axes:
    """Figure 2: the sigmoid and its derivative on [-zmax, zmax].

    Returns
    -------
    matplotlib Axes
        Two lines labelled ``"σ(z)"`` and ``"σ'(z) = σ(z)(1 − σ(z))"``.
    """
    zmax = check_real(zmax, "zmax", 0.0, strict=True)
    ax = get_axes(ax, SIZES["fig02_sigmoid"])
    z = np.linspace(-zmax, zmax, 801)
    s = sigmoid(z)
    ax.plot(z, s, color=DEEP[0], lw=2, label=r"$\sigma(z)$")
    ax.plot(
        z,
        s * (1 - s),
        color=DEEP[3],
        lw=2,
        ls="--",
        label=r"$\sigma'(z) = \sigma(z)(1 - \sigma(z))$",
    )
    ax.set_xlabel("pre-activation $z$ (dimensionless)")
    ax.set_ylabel("value (dimensionless)")
    ax.set_title("The sigmoid and its derivative")
    ax.set_xlim(-zmax, zmax)
    ax.legend(loc="center left")
    return ax


@themed
def plot_bernoulli(ax: Axes | None = None, points: int = 201) -> Axes:
    """Figure 3: the Bernoulli compatibility P(y | ŷ) = ŷ^y (1 − ŷ)^(1−y).

    Drawn over the (ŷ, y) unit square, y taken continuous, as a colour map
    (viridis, the output space's colours) with the ridge ``y = ŷ`` where it
    peaks for each y.

    Parameters
    ----------
    ax : matplotlib Axes, optional
    points : int
        Grid points per axis (>= 2).

    Returns
    -------
    matplotlib Axes
        Holds one QuadMesh (Gouraud shading: its coordinates are the grid
        points and its array the values there), a dashed line for the ridge,
        and a colour bar on the same figure.
    """
    points = check_count(points, "points", minimum=2)
    ax = get_axes(ax, SIZES["fig03_bernoulli"])
    grid = np.linspace(0.0, 1.0, points)
    y_hat, y = np.meshgrid(grid, grid)  # rows: y, columns: y_hat
    compat = y_hat**y * (1.0 - y_hat) ** (1.0 - y)
    mesh = ax.pcolormesh(y_hat, y, compat, shading="gouraud", cmap=_CMAP, vmin=0, vmax=1)
    mesh.set_rasterized(True)
    contours = ax.contour(
        y_hat, y, compat, levels=[0.25, 0.5, 0.75], colors="white", linewidths=0.8
    )
    ax.clabel(contours, fmt="%.2f", fontsize="x-small")
    ax.plot(
        [0, 1],
        [0, 1],
        color="white",
        ls="--",
        lw=1.5,
        label=r"maximum over $\hat{y}$: $\hat{y} = y$",
    )
    ax.figure.colorbar(mesh, ax=ax, label=r"$P(y \mid \hat{y})$ (probability)")
    ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal")
    ax.grid(False)
    ax.set_xlabel(r"prediction $\hat{y}$ (probability)")
    ax.set_ylabel("target $y$ (probability)")
    ax.set_title(r"Bernoulli compatibility $\hat{y}^{y}(1-\hat{y})^{1-y}$")
    # under the axes: inside, it would hide a contour or its label wherever it went
    legend_below(ax, fontsize="small", facecolor="0.3", labelcolor="white")
    return ax


@themed
def plot_bce(ax: Axes | None = None, eps: float = 1e-3) -> Axes:
    """Figure 4: binary cross-entropy against ŷ for y = 0 and y = 1.

    Parameters
    ----------
    ax : matplotlib Axes, optional
    eps : float
        The curves span [eps, 1 − eps]; 0 < eps < 0.5.

    Returns
    -------
    matplotlib Axes
        Two lines: ``"y = 0"`` is −log(1 − ŷ) in ``COLORS["y0"]`` and
        ``"y = 1"`` is −log ŷ in ``COLORS["y1"]``.
    """
    eps = check_real(eps, "eps", 0.0, 0.5, strict=True)
    ax = get_axes(ax, SIZES["fig04_bce"])
    y_hat = np.linspace(eps, 1 - eps, 999)
    ax.plot(
        y_hat, -np.log1p(-y_hat), color=COLORS["y0"], lw=2, label=r"$y = 0$: $-\log(1-\hat{y})$"
    )
    ax.plot(y_hat, -np.log(y_hat), color=COLORS["y1"], lw=2, label=r"$y = 1$: $-\log\hat{y}$")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, None)
    ax.set_xlabel(r"prediction $\hat{y}$ (probability)")
    ax.set_ylabel(r"loss $\mathcal{L}_\mathrm{BCE}$ (nats)")
    ax.set_title("Binary cross-entropy")
    ax.legend(loc="upper center")
    return ax
