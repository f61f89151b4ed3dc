"""Figures: the article's eight and two more, each drawn from data passed in.

Every ``plot_*`` function takes data and ``ax=None`` (or ``axes=None`` when it
draws more than one panel), draws, and returns what it drew on: an Axes, or a
tuple of Axes for the two-panel figures 5 and 9. Nothing here saves a file;
the caller (the ``xorsweep figures`` command, a notebook) decides where a
figure goes. Nothing here trains networks either, except :func:`figure_data`,
which gathers the data of all ten figures from a sweep's results.

This module is the only one that imports matplotlib and seaborn, and
``import xorsweep`` does not import it: use ``import xorsweep.plots``.

Theme and colours
-----------------
One seaborn theme (``whitegrid`` style, ``notebook`` context, ``deep``
palette) is applied by :func:`theme`, a context manager that every ``plot_*``
function enters while it draws; it never changes matplotlib's global settings.
Use ``with theme():`` to draw your own figures in the same style.

:data:`COLORS` fixes what each colour means:

* ``class0``, ``class1`` (blue, orange): the XOR points in the input plane
  (x1, x2) by target, figure 1.
* ``y0``, ``y1`` (purple, green): the output space (y-hat, y), figures 3 to 5;
  deliberately not the input plane's colours, as the article asks. Figure 3's
  colour map (viridis) runs from purple to green to yellow.
* ``boundary`` (black): a hidden neuron's decision line, figure 1.
* ``data`` (blue): measured means, medians and rates, figures 8 to 10.
* ``glorot`` (black): the vertical line at 1/sqrt(2), figures 8 to 10.
* ``optimum`` (green, darker than ``y1``): the fitted minimum and its
  confidence band, figure 8 (the article's green line).
* ``fit`` (red): the fitted curve, figure 8.

Figures 6 and 7 use seaborn's ``Paired`` palette: one hue per parameter role
(weight from x1, weight from x2, bias, output weight), light for hidden
neuron 1 and dark for hidden neuron 2, solid lines for neuron 1 and dashed
for neuron 2; the output bias is purple.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import offset_copy

from ._checks import check_choice, check_count
from .network import Population, init_population
from .stats import along_hidden_std
from .training import train
from .truth_tables import truth_table

__all__ = [
    "COLORS",
    "FIGURE_NAMES",
    "FORMATS",
    "GLOROT",
    "FigureData",
    "article_figures",
    "check_format",
    "figure_data",
    "plot_bce",
    "plot_bernoulli",
    "plot_converged_epoch",
    "plot_failure_rate",
    "plot_loss_vs_std",
    "plot_sigmoid",
    "plot_training",
    "plot_weight_evolution",
    "plot_xor_boundaries",
    "theme",
]

#: The Glorot (Xavier) normal std of a 2 -> 2 layer, 1/sqrt(2): the black line.
GLOROT = 1.0 / math.sqrt(2.0)

#: File formats the ``xorsweep figures`` command writes.
FORMATS = ("png", "svg", "pdf")

#: Stable file stems of the ten figures, in order.
FIGURE_NAMES = (
    "fig01_xor_boundaries",
    "fig02_sigmoid",
    "fig03_bernoulli",
    "fig04_bce",
    "fig05_training",
    "fig06_weights_small_std",
    "fig07_weights_large_std",
    "fig08_loss_vs_std",
    "fig09_failure_rate",
    "fig10_converged_epoch",
)

_DEEP = sns.color_palette("deep").as_hex()

#: What each colour means; see the module docstring.
COLORS: dict[str, str] = {
    "class0": _DEEP[0],
    "class1": _DEEP[1],
    "y0": _DEEP[4],
    "y1": _DEEP[2],
    "boundary": "#000000",
    "data": _DEEP[0],
    "glorot": "#000000",
    "optimum": "#12711c",
    "fit": _DEEP[3],
}

_CMAP = "viridis"  # figure 3, output space
_NOTE_WIDTH = 40  # characters per line of figure 8's note on a failed fit

# Size (inches) of each figure when a plot function makes its own.
_SIZES = {
    "fig01_xor_boundaries": (5.5, 6.2),
    "fig02_sigmoid": (6.0, 4.0),
    "fig03_bernoulli": (6.0, 4.8),
    "fig04_bce": (6.0, 4.0),
    "fig05_training": (10.5, 4.2),
    "fig06_weights_small_std": (8.5, 4.5),
    "fig07_weights_large_std": (8.5, 4.5),
    "fig08_loss_vs_std": (10.0, 5.5),
    "fig09_failure_rate": (10.0, 7.0),
    "fig10_converged_epoch": (10.0, 5.0),
}

_F = TypeVar("_F", bound=Callable[..., Any])


def _theme_rc() -> dict[str, Any]:
    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook"))
    rc["axes.prop_cycle"] = cycler(color=_DEEP)
    rc["legend.frameon"] = True
    rc["legend.framealpha"] = 0.9
    return rc


@contextmanager
def theme() -> Iterator[None]:
    """Draw in the package's seaborn theme inside a ``with`` block.

    The theme is matplotlib's rc settings from seaborn's ``whitegrid`` style,
    ``notebook`` context and ``deep`` palette; they, and only they, are
    restored on exit. Other settings changed meanwhile stay: in a notebook,
    the first figure starts the inline backend, which turns interactive mode
    on, and undoing that (as ``matplotlib.rc_context`` would) stops figures
    made after the block from being shown.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with theme():
    ...     fig, ax = plt.subplots()
    >>> ax.xaxis.get_gridlines()[0].get_visible()
    True
    >>> plt.close(fig)
    """
    rc = _theme_rc()
    saved = {key: mpl.rcParams[key] for key in rc}
    mpl.rcParams.update(rc)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


def _themed(func: _F) -> _F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with theme():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _axes_pair(
    axes: Any, figsize: tuple[float, float], nrows: int, ncols: int, **kwargs: Any
) -> tuple[Axes, Axes]:
    if axes is None:
        _, made = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kwargs)
        return made[0], made[1]
    pair = tuple(np.ravel(np.asarray(axes, dtype=object)))
    if len(pair) != 2 or not all(isinstance(a, Axes) for a in pair):
        raise TypeError("axes must be None or a sequence of two matplotlib Axes")
    return pair[0], pair[1]


def _check_run(ds: xr.Dataset, run: int, name: str = "run") -> int:
    runs = ds.sizes["run"]
    run = check_count(run, name, minimum=0)
    if run >= runs:
        raise ValueError(f"{name} must be an integer in [0, {runs - 1}], got {run}")
    return run


def _require(ds: xr.Dataset, variables: tuple[str, ...], what: str, hint: str) -> None:
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{what} must be an xarray.Dataset, got {type(ds).__name__}")
    missing = [v for v in variables if v not in ds.variables]
    if missing:
        raise ValueError(f"{what} lacks the variable(s) {', '.join(missing)}; {hint}")


def _epochs_label(obj: xr.Dataset) -> str:
    epochs = obj.attrs.get("epochs")
    if isinstance(epochs, (int, np.integer)):
        return f"summed over {int(epochs):,} epochs"
    return "summed over epochs"


def _points(size: Any) -> float:
    return float(FontProperties(size=size).get_size_in_points())


def _legend_below(ax: Axes, **kwargs: Any) -> None:
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


# ---------------------------------------------------------------------------
# Figures 1 to 7: the article's illustrations
# ---------------------------------------------------------------------------


def _hidden_layer(trained: xr.Dataset | Population, run: int) -> tuple[np.ndarray, np.ndarray]:
    """Hidden weights (in, hidden) and bias (hidden,) of one run."""
    if isinstance(trained, Population):
        if not 0 <= run < trained.runs:
            raise ValueError(f"run must be an integer in [0, {trained.runs - 1}], got {run}")
        return trained.hidden_weights[run], trained.hidden_bias[run, 0]
    _require(
        trained,
        ("hidden_weights", "hidden_bias"),
        "trained",
        "pass the Dataset returned by xorsweep.train or a Population",
    )
    run = _check_run(trained, run)
    w = trained.hidden_weights.isel(run=run).transpose("input", "hidden").values
    return w, trained.hidden_bias.isel(run=run).values


def _clip_line(w: np.ndarray, b: float, box: tuple[float, float, float, float]) -> np.ndarray:
    """End points (2, 2) of the line w[0]*x1 + w[1]*x2 + b = 0 inside ``box``, or (0, 2)."""
    x0, x1, y0, y1 = box
    points = []
    if w[1] != 0:
        for x in (x0, x1):
            y = -(w[0] * x + b) / w[1]
            if y0 <= y <= y1:
                points.append((x, y))
    if w[0] != 0:
        for y in (y0, y1):
            x = -(w[1] * y + b) / w[0]
            if x0 <= x <= x1:
                points.append((x, y))
    if len(points) < 2:
        return np.empty((0, 2))
    pts = np.unique(np.round(np.array(points), 12), axis=0)
    if len(pts) < 2:
        return np.empty((0, 2))
    direction = np.array([-w[1], w[0]])
    along = pts @ direction
    return pts[[int(np.argmin(along)), int(np.argmax(along))]]


@_themed
def plot_xor_boundaries(
    trained: xr.Dataset | Population, run: int = 0, ax: Axes | None = None
) -> Axes:
    """Figure 1: XOR's four points and the hidden neurons' decision lines.

    Parameters
    ----------
    trained : xarray.Dataset or Population
        A Dataset returned by :func:`xorsweep.train` (variables
        ``hidden_weights`` (run, input, hidden) and ``hidden_bias`` (run,
        hidden); its ``predictions`` (run, sample) are written beside the
        points) or a Population of 2-input networks.
    run : int
        Which network to draw.
    ax : matplotlib Axes, optional
        Where to draw; a new figure if None.

    Returns
    -------
    matplotlib Axes
        The points are one scatter per class (labels ``"target 0"`` and
        ``"target 1"``), coloured ``COLORS["class0"]`` / ``["class1"]``; the
        line of hidden neuron ``j`` is labelled ``"hidden neuron j+1"`` and
        spans the visible square [-0.25, 1.25]^2 (a line that misses it is
        not drawn and its legend entry says so).
    """
    w, b = _hidden_layer(trained, run)
    if w.shape[0] != 2:
        raise ValueError(f"figure 1 needs networks with 2 inputs, got {w.shape[0]}")
    table = (
        truth_table(trained.attrs.get("data", "xor")) if isinstance(trained, xr.Dataset) else None
    )
    if table is None or table.n_in != 2 or table.n_out != 1:
        table = truth_table("xor")
    ax = _axes(ax, _SIZES["fig01_xor_boundaries"])
    lo, hi = -0.25, 1.25
    styles = ["-", "--", ":", "-."]
    for j in range(w.shape[1]):
        ends = _clip_line(w[:, j], float(b[j]), (lo, hi, lo, hi))
        label = f"hidden neuron {j + 1}: $w_1 x_1 + w_2 x_2 + b = 0$"
        if len(ends):
            ax.plot(
                ends[:, 0],
                ends[:, 1],
                color=COLORS["boundary"],
                ls=styles[j % len(styles)],
                lw=2,
                label=label,
            )
        else:
            ax.plot([], [], color=COLORS["boundary"], ls=styles[j % 4], label=label + " (outside)")
    targets = table.targets[:, 0]
    for cls in (0, 1):
        pts = table.inputs[targets == cls]
        ax.scatter(
            pts[:, 0],
            pts[:, 1],
            s=160,
            color=COLORS[f"class{cls}"],
            edgecolor="white",
            linewidth=1.5,
            zorder=3,
            label=f"target {cls}",
        )
    if isinstance(trained, xr.Dataset) and "predictions" in trained:
        preds = np.asarray(trained.predictions.isel(run=run).values).reshape(-1)
        for (x1, x2), p in zip(table.inputs, preds, strict=True):
            ax.annotate(
                rf"$\hat{{y}}$ = {p:.3f}",
                (x1, x2),
                xytext=(0, -17),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize="small",
            )
    ax.set(xlim=(lo, hi), ylim=(lo, hi), aspect="equal")
    ax.set_xlabel("input $x_1$ (dimensionless)")
    ax.set_ylabel("input $x_2$ (dimensionless)")
    ax.set_title("XOR: two linear boundaries of the hidden layer")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")
    return ax


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@_themed
def plot_sigmoid(ax: Axes | None = None, zmax: float = 8.0) -> Axes:
    """Figure 2: the sigmoid and its derivative on [-zmax, zmax].

    Returns
    -------
    matplotlib Axes
        Two lines labelled ``"σ(z)"`` and ``"σ'(z) = σ(z)(1 − σ(z))"``.
    """
    if not (isinstance(zmax, (int, float)) and math.isfinite(zmax) and zmax > 0):
        raise ValueError(f"zmax must be a finite number > 0, got {zmax!r}")
    ax = _axes(ax, _SIZES["fig02_sigmoid"])
    z = np.linspace(-zmax, zmax, 801)
    s = _sigmoid(z)
    ax.plot(z, s, color=_DEEP[0], lw=2, label=r"$\sigma(z)$")
    ax.plot(
        z,
        s * (1 - s),
        color=_DEEP[3],
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


@_themed
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
    ax = _axes(ax, _SIZES["fig03_bernoulli"])
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
    _legend_below(ax, fontsize="small", facecolor="0.3", labelcolor="white")
    return ax


@_themed
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
    if not (isinstance(eps, (int, float)) and 0 < eps < 0.5):
        raise ValueError(f"eps must be a number in (0, 0.5), got {eps!r}")
    ax = _axes(ax, _SIZES["fig04_bce"])
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


@_themed
def plot_training(trained: xr.Dataset, run: int = 0, axes: Any = None) -> tuple[Axes, Axes]:
    """Figure 5: one network's loss against epoch, and its final predictions.

    Parameters
    ----------
    trained : xarray.Dataset
        Returned by :func:`xorsweep.train` with ``record_every`` (the article
        logs every 500 epochs): uses ``epoch_loss`` (run, epoch),
        ``predictions`` (run, sample) and ``final_loss`` (run).
    run : int
        Which network.
    axes : pair of matplotlib Axes, optional
        (loss panel, predictions panel); a new 1 x 2 figure if None.

    Returns
    -------
    (Axes, Axes)
        The loss panel (one line with a marker per logged epoch, plus the
        trained network's loss at the last epoch; log y axis) and the
        predictions panel (one bar per sample, coloured by target with
        ``COLORS["y0"]`` / ``["y1"]``, targets as black ticks).
    """
    _require(
        trained,
        ("epoch_loss", "predictions", "final_loss"),
        "trained",
        "train with record_every, e.g. xorsweep.train(pop, record_every=500)",
    )
    run = _check_run(trained, run)
    table = truth_table(trained.attrs.get("data", "xor"))
    if table.n_out != 1:
        raise ValueError(f"figure 5 needs networks with one output, got {table.n_out}")
    ax_loss, ax_pred = _axes_pair(axes, _SIZES["fig05_training"], 1, 2, width_ratios=[1.6, 1])
    epochs = trained.epoch.values
    loss = trained.epoch_loss.isel(run=run).values
    ax_loss.plot(epochs, loss, "o-", color=_DEEP[0], ms=4, label="mean BCE at the logged epoch")
    end = int(trained.attrs.get("epochs", epochs[-1] + 1))
    final = float(trained.final_loss.isel(run=run))
    ax_loss.plot([end], [final], "s", color=_DEEP[3], ms=6, label=f"trained network: {final:.4f}")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss: mean BCE over the 4 samples (nats)")
    step = int(epochs[1] - epochs[0]) if len(epochs) > 1 else 0
    ax_loss.set_title(f"Training, loss logged every {step:,} epochs" if step else "Training")
    ax_loss.legend(loc="upper right", fontsize="small")

    preds = trained.predictions.isel(run=run).values
    targets = table.targets[:, 0]
    names = [f"({int(a)}, {int(c)})" for a, c in table.inputs]
    xs = np.arange(len(preds))
    colors = [COLORS[f"y{int(t)}"] for t in targets]
    ax_pred.bar(xs, preds, color=colors, width=0.6)
    ax_pred.scatter(
        xs, targets, marker="_", s=700, color="black", linewidth=2, zorder=3, label="target $y$"
    )
    for x, p in zip(xs, preds, strict=True):
        inside = p > 0.25  # the value inside a tall bar, above a short one
        ax_pred.annotate(
            f"{p:.3f}",
            (x, p / 2 if inside else p),
            xytext=(0, 0 if inside else 8),
            textcoords="offset points",
            ha="center",
            va="center" if inside else "bottom",
            color="white" if inside else "black",
            fontsize="small",
        )
    ax_pred.set_xticks(xs, names)
    ax_pred.set_ylim(0, 1.25)
    ax_pred.set_xlabel("input $(x_1, x_2)$")
    ax_pred.set_ylabel(r"prediction $\hat{y}$ (probability)")
    ax_pred.set_title("Final predictions")
    ax_pred.legend(loc="upper right", fontsize="small")
    return ax_loss, ax_pred


@dataclass(frozen=True)
class _Line:
    label: str  # legend text
    role: str  # "w<i>" weight from input i, "b" hidden bias, "wo" output weight, "bo" output bias
    neuron: int  # hidden neuron (0-based); -1 for the output bias
    values: np.ndarray  # (epoch + 1,)


def _parameter_lines(sel: xr.Dataset) -> list[_Line]:
    """One line per scalar parameter of one run, the trained value appended."""
    hw = sel.hidden_weights_history.transpose("epoch", "input", "hidden").values
    hw_end = sel.hidden_weights.transpose("input", "hidden").values
    hb = sel.hidden_bias_history.transpose("epoch", "hidden").values
    ow = sel.output_weights_history.transpose("epoch", "hidden", "output").values
    ow_end = sel.output_weights.transpose("hidden", "output").values
    ob = sel.output_bias_history.transpose("epoch", "output").values
    n_in, hidden = hw_end.shape
    n_out = ow_end.shape[1]
    out = [r"\hat{y}"] if n_out == 1 else [rf"\hat{{y}}_{k + 1}" for k in range(n_out)]
    lines = []
    for j in range(hidden):
        for i in range(n_in):
            lines.append(
                _Line(
                    rf"$w: x_{i + 1} \to h_{j + 1}$",
                    f"w{i}",
                    j,
                    np.append(hw[:, i, j], hw_end[i, j]),
                )
            )
        lines.append(_Line(rf"$b: h_{j + 1}$", "b", j, np.append(hb[:, j], sel.hidden_bias[j])))
    for k in range(n_out):
        for j in range(hidden):
            lines.append(
                _Line(
                    rf"$w: h_{j + 1} \to {out[k]}$",
                    "wo",
                    j,
                    np.append(ow[:, j, k], ow_end[j, k]),
                )
            )
        lines.append(_Line(rf"$b: {out[k]}$", "bo", -1, np.append(ob[:, k], sel.output_bias[k])))
    return lines


@_themed
def plot_weight_evolution(
    trained: xr.Dataset, run: int = 0, ax: Axes | None = None, *, xscale: str = "linear"
) -> Axes:
    """Figures 6 and 7: every parameter of one network against epoch.

    Parameters
    ----------
    trained : xarray.Dataset
        Returned by :func:`xorsweep.train` with ``record_every`` (variables
        ``<parameter>_history`` (run, epoch, ...) and the trained parameters).
    run : int
        Which network.
    ax : matplotlib Axes, optional
    xscale : {"linear", "symlog"}
        ``"symlog"`` is linear up to epoch 100 and logarithmic beyond: it
        shows the first hundreds of epochs, where large initial weights move.

    Returns
    -------
    matplotlib Axes
        One line per scalar parameter (9 for the 2-2-1 network), each with
        ``len(epoch) + 1`` points: the recorded epochs 0, k, 2k, ... and the
        trained value at the last epoch. Colours as in the module docstring;
        a weight from x1 is drawn wider than the one from x2, so that equal
        weights (XOR's symmetry) both stay visible. The caller sets the
        title (e.g. the initial std).
    """
    names = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")
    _require(
        trained,
        tuple(f"{n}_history" for n in names) + names,
        "trained",
        "train with record_every, e.g. xorsweep.train(pop, record_every=10)",
    )
    run = _check_run(trained, run)
    xscale = check_choice(xscale, "xscale", ("linear", "symlog"))
    ax = _axes(ax, _SIZES["fig06_weights_small_std"])
    last = int(trained.attrs.get("epochs", trained.epoch.values[-1] + 1))
    epochs = np.append(trained.epoch.values, last)
    paired = sns.color_palette("Paired").as_hex()
    first_color = {"w0": 0, "w1": 2, "b": 4, "wo": 6}  # light shade; +1 is the dark one
    for line in _parameter_lines(trained.isel(run=run)):
        if line.role == "bo":
            color, ls = _DEEP[4], "-"
        else:
            color = paired[first_color.get(line.role, 8) + min(line.neuron, 1)]
            ls = "-" if line.neuron == 0 else "--"
        lw = 3.2 if line.role == "w0" else 1.8
        ax.plot(epochs, line.values, color=color, ls=ls, lw=lw, label=line.label)
    ax.axhline(0, color="0.5", lw=0.8, zorder=0)
    if xscale == "symlog":
        ax.set_xscale("symlog", linthresh=100, linscale=0.5)
    ax.set_xlim(0, last)
    ax.set_xlabel("epoch" + (" (linear to 100, then log scale)" if xscale == "symlog" else ""))
    ax.set_ylabel("parameter value (dimensionless)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# Figures 8 to 10: the sweep
# ---------------------------------------------------------------------------


def _glorot_line(ax: Axes, label: bool = True) -> None:
    ax.axvline(
        GLOROT,
        color=COLORS["glorot"],
        lw=1.5,
        label=r"$1/\sqrt{2} \approx 0.707$ (Glorot)" if label else None,
        zorder=1,
    )


@_themed
def plot_loss_vs_std(summary: xr.Dataset, fit: Any = None, ax: Axes | None = None) -> Axes:
    """Figure 8: mean total loss against the hidden std, with the fitted minimum.

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`xorsweep.summarize`, over ``hidden_std`` (other
        dimensions must have length 1): uses ``mean`` and ``sem``.
    fit : FitResult, optional
        From :func:`xorsweep.fit_optimum`: ``optimum``, ``optimum_ci``,
        ``curve`` (DataArray over hidden_std), ``ok`` and ``message``. If
        ``fit.ok`` is false, its message is written beside the axes
        instead, under the legend.
        The band's label uses ``fit.confidence`` if present (else 95%).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Log x axis. Points with a finite mean are drawn; those with a finite
        ``sem`` as one error bar each (label ``"mean ± sem"``), the others as
        bare markers. Black vertical line at 1/sqrt(2); with a fit, a green
        vertical line at ``fit.optimum``, a green band over ``fit.optimum_ci``
        and the fitted curve in red.
    """
    _require(summary, ("mean", "sem"), "summary", "pass the Dataset returned by xorsweep.summarize")
    summary = along_hidden_std(summary, "summary")
    x = summary.hidden_std.values
    mean = summary["mean"].values
    sem = summary["sem"].values
    shown = np.isfinite(mean) & (x > 0)
    if not shown.any():
        raise ValueError("summary has no hidden_std > 0 with a finite mean: nothing to plot")
    ax = _axes(ax, _SIZES["fig08_loss_vs_std"])
    bars = shown & np.isfinite(sem)
    ax.errorbar(
        x[bars],
        mean[bars],
        yerr=sem[bars],
        fmt="o",
        ms=3,
        color=COLORS["data"],
        ecolor=COLORS["data"],
        elinewidth=1,
        capsize=0,
        label=r"mean $\pm$ std/$\sqrt{\mathrm{count}}$",
        zorder=2,
    )
    bare = shown & ~np.isfinite(sem)
    if bare.any():
        ax.plot(
            x[bare],
            mean[bare],
            "o",
            ms=3,
            mfc="none",
            color=COLORS["data"],
            label="mean of one run",
        )
    _glorot_line(ax)
    if fit is not None:
        if getattr(fit, "ok", False):
            lo, hi = fit.optimum_ci
            level = f"{100 * getattr(fit, 'confidence', 0.95):g}%"
            ax.axvspan(
                lo,
                hi,
                color=COLORS["optimum"],
                alpha=0.18,
                lw=0,
                label=f"{level} CI of the minimum",
            )
            ax.axvline(
                fit.optimum,
                color=COLORS["optimum"],
                lw=2,
                label=f"fitted minimum {fit.optimum:.3f} ({lo:.3f} to {hi:.3f})",
            )
            curve = fit.curve
            cx = curve["hidden_std"].values
            cy = np.asarray(curve.values, dtype=float)
            ok = np.isfinite(cy) & (cx > 0)
            ax.plot(cx[ok], cy[ok], color=COLORS["fit"], lw=2.5, label="fitted curve", zorder=3)
        else:  # in the legend's column, wrapped to about its width
            note = f"no fitted minimum: {getattr(fit, 'message', '')}"
            ax.annotate(
                textwrap.fill(note, _NOTE_WIDTH),
                xy=(1.02, 0.0),
                xycoords="axes fraction",
                ha="left",
                va="bottom",
                fontsize="small",
            )
    ax.set_xscale("log")
    ax.set_xlabel(r"initial std of the hidden layer $\sigma_h$ (dimensionless, log scale)")
    ax.set_ylabel(f"mean total loss\n(nats {_epochs_label(summary)})")
    ax.set_title("Total loss against the hidden layer's initial std")
    # beside the axes: inside, it would cover the top of the vertical lines
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


@_themed
def plot_failure_rate(summary: xr.Dataset, axes: Any = None) -> tuple[Axes, Axes]:
    """Figure 9: failure rate, and the median and quartiles of the total loss.

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`xorsweep.summarize`, over ``hidden_std``: uses
        ``failure_rate``, ``failure_low``, ``failure_high`` (Wilson 95%),
        ``median``, ``q25``, ``q75`` and ``mean``.
    axes : pair of matplotlib Axes, optional
        (failure panel, loss panel); a new 2 x 1 figure with a shared x axis
        if None.

    Returns
    -------
    (Axes, Axes)
        Top: failure rate in percent with its Wilson band. Bottom: median
        total loss with the q25-q75 band, and the mean as a dashed line: where
        the mean leaves the band, failures drive it. Both log x, with the
        black line at 1/sqrt(2).
    """
    names = ("failure_rate", "failure_low", "failure_high", "median", "q25", "q75", "mean")
    _require(summary, names, "summary", "pass the Dataset returned by xorsweep.summarize")
    summary = along_hidden_std(summary, "summary")
    x = summary.hidden_std.values
    keep = (x > 0) & np.isfinite(summary.failure_rate.values)
    if not keep.any():
        raise ValueError(
            "summary has no hidden_std > 0 with a finite failure_rate: nothing to plot"
        )
    ax_fail, ax_loss = _axes_pair(axes, _SIZES["fig09_failure_rate"], 2, 1, sharex=True)
    x = x[keep]
    get = {n: summary[n].values[keep] for n in names}
    ax_fail.fill_between(
        x,
        100 * get["failure_low"],
        100 * get["failure_high"],
        color=COLORS["data"],
        alpha=0.25,
        lw=0,
        label="Wilson 95% interval",
    )
    ax_fail.plot(x, 100 * get["failure_rate"], color=COLORS["data"], lw=1.5, label="failure rate")
    _glorot_line(ax_fail)
    ax_fail.set_ylabel("runs never converged (%)")
    ax_fail.set_ylim(0, None)
    ax_fail.set_title("Failures and the spread of the total loss")
    ax_fail.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

    ax_loss.fill_between(
        x, get["q25"], get["q75"], color=COLORS["data"], alpha=0.25, lw=0, label="quartiles q25-q75"
    )
    ax_loss.plot(x, get["median"], color=COLORS["data"], lw=1.5, label="median")
    ax_loss.plot(x, get["mean"], color=COLORS["fit"], lw=1.2, ls="--", label="mean")
    _glorot_line(ax_loss, label=False)
    ax_loss.set_xscale("log")
    ax_loss.set_xlabel(r"initial std of the hidden layer $\sigma_h$ (dimensionless, log scale)")
    ax_loss.set_ylabel(f"total loss\n(nats {_epochs_label(summary)})")
    ax_loss.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax_fail, ax_loss


@_themed
def plot_converged_epoch(results: xr.Dataset, ax: Axes | None = None) -> Axes:
    """Figure 10: the distribution of ``converged_epoch`` against the hidden std.

    Parameters
    ----------
    results : xarray.Dataset
        Sweep results over (hidden_std, run) (other dimensions of length 1
        are dropped) with ``converged_epoch``; runs that never converged
        (NaN) are left out, so each std's distribution is over its converged
        runs.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Log x and log y axes. The median (line, label ``"median"``) and bands
        between the 10% and 90% and the 25% and 75% quantiles, at each std
        with at least one converged run.
    """
    _require(results, ("converged_epoch",), "results", "pass the sweep's results (xorsweep.sweep)")
    results = along_hidden_std(results, "results")
    if "run" not in results.dims:
        raise ValueError(f"results must have a run dimension, got dims {tuple(results.dims)}")
    x = results.hidden_std.values
    epochs = results.converged_epoch.transpose("hidden_std", "run").values
    has = np.isfinite(epochs).any(axis=1) & (x > 0)
    if not has.any():
        raise ValueError("no run converged at any hidden_std > 0: nothing to plot")
    x = x[has]
    q = np.array(
        [np.quantile(row[np.isfinite(row)], [0.1, 0.25, 0.5, 0.75, 0.9]) for row in epochs[has]]
    )
    ax = _axes(ax, _SIZES["fig10_converged_epoch"])
    ax.fill_between(
        x,
        q[:, 0],
        q[:, 4],
        color=COLORS["data"],
        alpha=0.15,
        lw=0,
        label="10%-90% of converged runs",
    )
    ax.fill_between(x, q[:, 1], q[:, 3], color=COLORS["data"], alpha=0.3, lw=0, label="25%-75%")
    ax.plot(x, q[:, 2], color=COLORS["data"], lw=1.8, label="median")
    _glorot_line(ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"initial std of the hidden layer $\sigma_h$ (dimensionless, log scale)")
    ax.set_ylabel("epoch from which every prediction is right")
    ax.set_title("How long learning takes, among runs that converged")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# All ten figures from a sweep
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureData:
    """Everything the ten figures draw, computed by :func:`figure_data`.

    Attributes
    ----------
    example : xarray.Dataset
        One network trained as in the article (hidden and output std 1,
        loss recorded every 500 epochs): figures 1 and 5.
    small, large : xarray.Dataset
        One network each at ``small_std`` and ``large_std`` (hidden layer),
        all parameters recorded every 10 epochs: figures 6 and 7.
    small_std, large_std : float
    results : xarray.Dataset
        The sweep over (hidden_std, run): figure 10.
    summary : xarray.Dataset
        ``summarize(results)``: figures 8 and 9.
    fit : FitResult
        ``fit_optimum(results, errors="ignore")``: check ``fit.ok``.
    notes : tuple of str
        What the caller should tell the reader (a failed fit, an example
        network that never converged).
    """

    example: xr.Dataset
    small: xr.Dataset
    large: xr.Dataset
    small_std: float
    large_std: float
    results: xr.Dataset
    summary: xr.Dataset
    fit: Any
    notes: tuple[str, ...] = field(default=())


def _one_network(
    hidden_std: float,
    output_std: float,
    seed: np.random.SeedSequence,
    candidates: int,
    epochs: int,
    lr: float,
    record_every: int,
) -> tuple[xr.Dataset, bool]:
    """Of ``candidates`` seeded networks, a typical one that converges, retrained with recording.

    Typical: the converged run whose ``converged_epoch`` is the lower median
    among the converged runs (ties to the lowest run index); run 0 if none
    converged.
    """
    pop = init_population(candidates, hidden_std, output_std, seed=np.random.default_rng(seed))
    epoch = train(pop, epochs, lr).converged_epoch.values
    converged = np.flatnonzero(np.isfinite(epoch))
    pick = 0
    if converged.size:
        order = converged[np.argsort(epoch[converged], kind="stable")]
        pick = int(order[(converged.size - 1) // 2])
    return train(pop[pick], epochs, lr, record_every=record_every), bool(converged.size)


def figure_data(
    results: xr.Dataset,
    *,
    seed: int = 0,
    small_std: float = 0.05,
    large_std: float = 20.0,
    output_std: float | None = None,
    epochs: int = 10_000,
    lr: float = 0.1,
    candidates: int = 64,
    fit: Any = None,
) -> FigureData:
    """Compute what the ten figures show: example networks, summary and fit.

    Figures 1 to 7 illustrate single networks trained here with the article's
    ``epochs`` and ``lr``, independently of the sweep's settings. For each,
    ``candidates`` networks are drawn from ``seed`` and a typical one that
    converges (the median ``converged_epoch`` among those that do) is
    retrained with recording, so the same seed gives the same figures; if
    none converges, the first is used and a note says so.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results (see :func:`xorsweep.sweep`).
    seed : int
        Seed of the example networks.
    small_std, large_std : float
        Hidden-layer std of the networks of figures 6 and 7.
    output_std : float, optional
        Output-layer std of those networks; default the sweep's
        ``attrs["output_std"]`` when it is a single number, else 1/sqrt(1.5)
        (Glorot for a 2 -> 1 layer, the article's 0.8165).
    epochs, lr : int, float
        Training of the example networks.
    candidates : int
        Networks tried per example.
    fit : FitResult, optional
        A fit of ``results`` already made; by default
        ``fit_optimum(results, errors="ignore")``.

    Returns
    -------
    FigureData
    """
    from .fit import fit_optimum
    from .stats import summarize

    if not isinstance(results, xr.Dataset):
        raise TypeError(f"results must be an xarray.Dataset, got {type(results).__name__}")
    for name, value in (("small_std", small_std), ("large_std", large_std)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    epochs = check_count(epochs, "epochs", minimum=2)
    candidates = check_count(candidates, "candidates")
    if output_std is None:
        attr = results.attrs.get("output_std")
        output_std = float(attr) if np.ndim(attr) == 0 and attr is not None else math.sqrt(2 / 3)
    seeds = np.random.SeedSequence(check_count(seed, "seed", minimum=0)).spawn(3)
    notes = []
    example, ok = _one_network(1.0, 1.0, seeds[0], candidates, epochs, lr, record_every=500)
    if not ok:
        notes.append(
            f"none of {candidates} example networks (std 1) converged; "
            "figures 1 and 5 show the first"
        )
    small, ok = _one_network(
        small_std, output_std, seeds[1], candidates, epochs, lr, record_every=10
    )
    if not ok:
        notes.append(
            f"no network with hidden std {small_std:g} converged; figure 6 shows the first"
        )
    large, ok = _one_network(
        large_std, output_std, seeds[2], candidates, epochs, lr, record_every=10
    )
    if not ok:
        notes.append(
            f"no network with hidden std {large_std:g} converged; figure 7 shows the first"
        )
    summary = summarize(results)
    summary = summary.assign_attrs({**results.attrs, **summary.attrs})  # epochs for the labels
    if fit is None:
        fit = fit_optimum(results, errors="ignore")
    if not fit.ok:
        notes.append(f"no minimum was fitted: {fit.message}")
    return FigureData(
        example=example,
        small=small,
        large=large,
        small_std=float(small_std),
        large_std=float(large_std),
        results=results,
        summary=summary,
        fit=fit,
        notes=tuple(notes),
    )


def _figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kwargs: Any) -> Any:
    """A Figure outside pyplot's registry (freed when dropped) and its axes."""
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


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
    with theme():
        figs: dict[str, Figure] = {}
        fig, ax = _figure(_SIZES["fig01_xor_boundaries"])
        plot_xor_boundaries(data.example, ax=ax)
        figs["fig01_xor_boundaries"] = fig
        fig, ax = _figure(_SIZES["fig02_sigmoid"])
        plot_sigmoid(ax=ax)
        figs["fig02_sigmoid"] = fig
        fig, ax = _figure(_SIZES["fig03_bernoulli"])
        plot_bernoulli(ax=ax)
        figs["fig03_bernoulli"] = fig
        fig, ax = _figure(_SIZES["fig04_bce"])
        plot_bce(ax=ax)
        figs["fig04_bce"] = fig
        fig, axes = _figure(_SIZES["fig05_training"], 1, 2, width_ratios=[1.6, 1])
        plot_training(data.example, axes=axes)
        figs["fig05_training"] = fig
        for name, trained, std, scale in (
            ("fig06_weights_small_std", data.small, data.small_std, "linear"),
            ("fig07_weights_large_std", data.large, data.large_std, "symlog"),
        ):
            fig, ax = _figure(_SIZES[name])
            plot_weight_evolution(trained, ax=ax, xscale=scale)
            ax.set_title(f"Parameters during training, initial hidden std {std:g}")
            figs[name] = fig
        fig, ax = _figure(_SIZES["fig08_loss_vs_std"])
        plot_loss_vs_std(data.summary, data.fit, ax=ax)
        figs["fig08_loss_vs_std"] = fig
        fig, axes = _figure(_SIZES["fig09_failure_rate"], 2, 1, sharex=True)
        plot_failure_rate(data.summary, axes=axes)
        figs["fig09_failure_rate"] = fig
        fig, ax = _figure(_SIZES["fig10_converged_epoch"])
        plot_converged_epoch(data.results, ax=ax)
        figs["fig10_converged_epoch"] = fig
    assert tuple(figs) == FIGURE_NAMES
    return figs


def check_format(fmt: object) -> str:
    """``fmt`` must be one of :data:`FORMATS`."""
    return check_choice(fmt, "format", FORMATS)
