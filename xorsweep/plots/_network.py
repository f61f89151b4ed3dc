"""Figures 1 and 5 to 7: one trained network, its boundaries, its training and its parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import seaborn as sns
import xarray as xr
from matplotlib.axes import Axes

from .._core.checks import check_choice, check_count
from ..model.network import Population
from ..model.truth_tables import truth_table
from ._labels import TASK_NAMES, title
from ._layout import get_axes, get_axes_pair, require
from ._style import COLORS, DEEP, SIZES, themed


def _check_run(ds: xr.Dataset, run: int, name: str = "run") -> int:
    """``run`` as an index of ``ds``'s run dimension, or ValueError naming the range."""
    runs = ds.sizes["run"]
    run = check_count(run, name, minimum=0)
    if run >= runs:
        raise ValueError(f"{name} must be an integer in [0, {runs - 1}], got {run}")
    return run


def _hidden_layer(trained: xr.Dataset | Population, run: int) -> tuple[np.ndarray, np.ndarray]:
    """Hidden weights (in, hidden) and bias (hidden,) of one run."""
    if isinstance(trained, Population):
        if not 0 <= run < trained.runs:
            raise ValueError(f"run must be an integer in [0, {trained.runs - 1}], got {run}")
        return trained.hidden_weights[run], trained.hidden_bias[run, 0]
    require(
        trained,
        ("hidden_weights", "hidden_bias"),
        "trained",
        "pass the Dataset returned by xorsweep.train or a Population",
    )
    run = _check_run(trained, run)
    trained = _unit_dim(trained)
    w = trained.hidden_weights.isel(run=run).transpose("input", "unit").values
    return w, trained.hidden_bias.isel(run=run).values


_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four"}  # figure 1's title: "two linear boundaries"


def _unit_dim(ds: xr.Dataset) -> xr.Dataset:
    """A ``train`` Dataset with its hidden units along ``unit``: one made before the
    dimension was renamed has them along ``hidden``, which now names a width."""
    if "unit" not in ds.dims and "hidden" in ds.dims and "hidden_weights" in ds.data_vars:
        return ds.rename({"hidden": "unit"})
    return ds


def clip_line(w: np.ndarray, b: float, box: tuple[float, float, float, float]) -> np.ndarray:
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


@themed
def plot_xor_boundaries(
    trained: xr.Dataset | Population, run: int = 0, ax: Axes | None = None
) -> Axes:
    """Figure 1: XOR's four points and the hidden neurons' decision lines.

    Parameters
    ----------
    trained : xarray.Dataset or Population
        A Dataset returned by :func:`xorsweep.train` (variables
        ``hidden_weights`` (run, input, unit) and ``hidden_bias`` (run,
        unit); its ``predictions`` (run, sample) are written beside the
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
    ax = get_axes(ax, SIZES["fig01_xor_boundaries"])
    lo, hi = -0.25, 1.25
    styles = ["-", "--", ":", "-."]
    for j in range(w.shape[1]):
        ends = clip_line(w[:, j], float(b[j]), (lo, hi, lo, hi))
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
    units = w.shape[1]
    lines = f"{_COUNTS.get(units, units)} linear boundar{'y' if units == 1 else 'ies'}"
    main = f"{TASK_NAMES.get(table.name, table.name)}: {lines} of the hidden layer"
    if isinstance(trained, xr.Dataset):
        main = title(main, trained.isel(run=run), skip=("data",))
    ax.set_title(main)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")
    return ax


@themed
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
    require(
        trained,
        ("epoch_loss", "predictions", "final_loss"),
        "trained",
        "train with record_every, e.g. xorsweep.train(pop, record_every=500)",
    )
    run = _check_run(trained, run)
    table = truth_table(trained.attrs.get("data", "xor"))
    if table.n_out != 1:
        raise ValueError(f"figure 5 needs networks with one output, got {table.n_out}")
    ax_loss, ax_pred = get_axes_pair(axes, SIZES["fig05_training"], 1, 2, width_ratios=[1.6, 1])
    epochs = trained.epoch.values
    loss = trained.epoch_loss.isel(run=run).values
    ax_loss.plot(epochs, loss, "o-", color=DEEP[0], ms=4, label="mean BCE at the logged epoch")
    end = int(trained.attrs.get("epochs", epochs[-1] + 1))
    final = float(trained.final_loss.isel(run=run))
    ax_loss.plot([end], [final], "s", color=DEEP[3], ms=6, label=f"trained network: {final:.4f}")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel(f"loss: mean BCE over the {table.samples} samples (nats)")
    step = int(epochs[1] - epochs[0]) if len(epochs) > 1 else 0
    main = f"Training, loss logged every {step:,} epochs" if step else "Training"
    ax_loss.set_title(title(main, trained.isel(run=run)))
    ax_loss.legend(loc="upper right", fontsize="small")

    preds = trained.predictions.isel(run=run).values
    targets = table.targets[:, 0]
    names = ["(" + ", ".join(str(int(v)) for v in row) + ")" for row in table.inputs]
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
    ax_pred.set_xlabel(f"input $({', '.join(f'x_{i + 1}' for i in range(table.n_in))})$")
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
    sel = _unit_dim(sel)
    hw = sel.hidden_weights_history.transpose("epoch", "input", "unit").values
    hw_end = sel.hidden_weights.transpose("input", "unit").values
    hb = sel.hidden_bias_history.transpose("epoch", "unit").values
    ow = sel.output_weights_history.transpose("epoch", "unit", "output").values
    ow_end = sel.output_weights.transpose("unit", "output").values
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


@themed
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
    require(
        trained,
        tuple(f"{n}_history" for n in names) + names,
        "trained",
        "train with record_every, e.g. xorsweep.train(pop, record_every=10)",
    )
    run = _check_run(trained, run)
    xscale = check_choice(xscale, "xscale", ("linear", "symlog"))
    ax = get_axes(ax, SIZES["fig06_weights_small_std"])
    last = int(trained.attrs.get("epochs", trained.epoch.values[-1] + 1))
    epochs = np.append(trained.epoch.values, last)
    paired = sns.color_palette("Paired").as_hex()
    first_color = {"w0": 0, "w1": 2, "b": 4, "wo": 6}  # light shade; +1 is the dark one
    for line in _parameter_lines(trained.isel(run=run)):
        if line.role == "bo":
            color, ls = DEEP[4], "-"
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
