"""Anatomy of failure: how long runs take to converge, where failing ones end, basin maps."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import BoundaryNorm, Colormap, ListedColormap, LogNorm, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .._core.checks import check_choice
from ..analysis.end_states import END_STATES
from ..training.trainer import ARTICLE_EPOCHS
from ._labels import TASK_NAMES, axis_label, setting
from ._layout import get_axes, legend_below, require
from ._style import COLORS, SIZES, STATE_COLORS, themed

#: What :func:`plot_basin_map` can colour a map by.
BASIN_COLOURINGS = ("converged_epoch", "state")

_EPOCH_CMAP = "viridis"  # a basin map's convergence epoch, log scale
_GROUP_PALETTE = "flare"  # one colour per group of the survival figure, light to dark
_STAR = dict(marker="*", ms=15, mfc=COLORS["reference"], mec="black", mew=1.2)  # the reference


def _group_dim(arr: xr.DataArray, inner: str, what: str) -> str | None:
    """The one dimension of ``arr`` besides ``inner`` (the groups), or None if there is none."""
    if inner not in arr.dims:
        raise ValueError(f"{what} must have a {inner!r} dimension, got dims {arr.dims}")
    rest = [str(d) for d in arr.dims if d != inner]
    if len(rest) > 1:
        raise ValueError(
            f"{what} must have at most one dimension besides {inner!r} (the groups), got "
            f"{tuple(rest)}; select the others with .sel()"
        )
    return rest[0] if rest else None


def _shown(value: Any) -> str:
    """A group's value as a label: three significant digits for a number."""
    return f"{value:.3g}" if isinstance(value, numbers.Real) else str(value)


def _group_label(dim: str | None, value: Any) -> str:
    """``"σ_h = 0.5"`` for a hidden std, ``"lr = 0.1"`` for another group, ``"all runs"``."""
    if dim is None:
        return "all runs"
    name = r"$\sigma_h$" if dim == "hidden_std" else dim
    return f"{name} = {_shown(value)}"


def _groups(ds: xr.Dataset, dim: str | None) -> list[tuple[Any, xr.Dataset]]:
    """``(value, slice)`` of each group along ``dim``, or one ``(None, ds)``."""
    if dim is None:
        return [(None, ds)]
    return [(value, ds.isel({dim: k})) for k, value in enumerate(ds[dim].values)]


@themed
def plot_survival(
    curves: xr.Dataset, ax: Axes | None = None, *, mark: float | None = ARTICLE_EPOCHS
) -> Axes:
    """The fraction of runs not yet converged against epochs, one line per group.

    Parameters
    ----------
    curves : xarray.Dataset
        From :func:`xorsweep.survival_curves`: ``survival``,
        ``survival_low`` and ``survival_high`` over (group, ``epoch``), such
        as (``hidden_std``, ``epoch``), or over ``epoch`` alone (``by=None``);
        ``runs``, if present, goes into each line's label.
    ax : matplotlib Axes, optional
    mark : float or None
        An epoch marked by a dotted vertical line (the article's 10,000);
        None for none.

    Returns
    -------
    matplotlib Axes
        Log x and log y axes. For each group with an estimate > 0 at some
        epoch > 0: the Kaplan-Meier estimate as a step line and its pointwise
        band as a shaded step area in the line's colour, lighter to darker as
        the groups' values grow. Epoch 0, zeros and NaN (beyond a group's
        longest training) are left out: log axes have no place for them.
    """
    names = ("survival", "survival_low", "survival_high")
    require(curves, names, "curves", "pass the Dataset returned by xorsweep.survival_curves")
    dim = _group_dim(curves.survival, "epoch", "curves")
    groups = _groups(curves, dim)
    epoch = np.asarray(curves.epoch.values, dtype=np.float64)
    palette = sns.color_palette(_GROUP_PALETTE, len(groups)) if dim else [COLORS["data"]]
    drawn = []
    for (value, g), color in zip(groups, palette, strict=True):
        s, low, high = (np.asarray(g[n].values, dtype=np.float64) for n in names)
        line = (epoch > 0) & np.isfinite(s) & (s > 0)
        band = line & np.isfinite(low) & np.isfinite(high) & (low > 0)
        if line.any():
            label = _group_label(dim, value)
            if "runs" in g:
                label += f" ({int(g.runs):,} runs)"
            drawn.append((label, color, s, low, high, line, band))
    if not drawn:
        raise ValueError("curves has no survival > 0 at an epoch > 0: nothing to plot")
    ax = get_axes(ax, SIZES["survival"])
    for label, color, s, low, high, line, band in drawn:
        ax.fill_between(
            epoch[band], low[band], high[band], step="post", color=color, alpha=0.2, lw=0
        )
        ax.plot(epoch[line], s[line], drawstyle="steps-post", color=color, lw=1.8, label=label)
    if mark is not None:
        ax.axvline(mark, color=COLORS["glorot"], lw=1.2, ls=":", label=f"{mark:,.0f} epochs")
    handles, labels = ax.get_legend_handles_labels()
    level = f"{100 * curves.attrs.get('confidence', 0.95):g}%"
    handles.append(Patch(color="0.5", alpha=0.2, lw=0))
    labels.append(f"{level} pointwise band")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("epochs (log scale)")
    ax.set_ylabel("fraction of runs not yet converged\n(log scale)")
    task = setting(curves, "data")
    task = TASK_NAMES.get(str(task), str(task)) if task is not None else "their task"
    ax.set_title(f"How long runs take to learn {task}, and how many never do")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def _stack(
    ax: Axes, x: np.ndarray, values: np.ndarray, states: list[str], runs: np.ndarray | None
) -> None:
    """Stacked bars of ``values`` (group, state) at ``x``, with ``runs`` written over each bar."""
    bottom = np.zeros(values.shape[0])
    for k, state in enumerate(states):
        if np.any(values[:, k] > 0):
            ax.bar(
                x,
                values[:, k],
                bottom=bottom,
                width=0.75,
                color=STATE_COLORS[state],
                label=state,
                edgecolor="white",
                lw=0.5,
            )
        bottom = bottom + values[:, k]
    for xi, n in zip(x, [] if runs is None else runs, strict=False):
        ax.annotate(
            f"{int(n):,}",
            (xi, 1.0),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize="x-small",
        )


@themed
def plot_end_states(
    shares: xr.Dataset, ax: Axes | None = None, *, failing_only: bool = False
) -> Axes:
    """The share of runs in each end state, one stacked bar per group.

    Parameters
    ----------
    shares : xarray.Dataset
        From :func:`xorsweep.state_shares`: ``share`` over (group, ``state``),
        such as (``hidden_std``, ``state``), or over ``state`` alone;
        ``runs_in_state``, if present, gives the count written over each bar.
    ax : matplotlib Axes, optional
    failing_only : bool
        Leave out the ``converged`` runs and show the shares among the others
        (a group without failing runs gets an empty bar).

    Returns
    -------
    matplotlib Axes
        Groups side by side at x = 0, 1, ..., labelled with their values; in
        each bar, one rectangle per end state, in :data:`END_STATES` order from
        the bottom, coloured by :data:`STATE_COLORS`. States with no run in any
        group are left out of the bars and the legend.
    """
    require(shares, ("share",), "shares", "pass the Dataset returned by xorsweep.state_shares")
    if not isinstance(failing_only, bool):
        raise TypeError(f"failing_only must be True or False, got {failing_only!r}")
    dim = _group_dim(shares.share, "state", "shares")
    unknown = sorted(set(map(str, shares.state.values)) - set(STATE_COLORS))
    if unknown:
        raise ValueError(f"shares has states {unknown} that are not end states {END_STATES}")
    share = shares.share.transpose(*([dim] if dim else []), "state")
    states = [s for s in END_STATES if s in share.state and not (failing_only and s == "converged")]
    values = np.atleast_2d(share.sel(state=states).values.astype(np.float64))  # (group, state)
    counts = None
    if "runs_in_state" in shares:
        counts = np.atleast_2d(shares.runs_in_state.transpose(*share.dims).sel(state=states).values)
    if failing_only:
        total = values.sum(axis=1, keepdims=True)
        values = np.divide(values, total, out=np.zeros_like(values), where=total > 0)
    ax = get_axes(ax, SIZES["end_states"])
    x = np.arange(values.shape[0])
    _stack(ax, x, values, states, None if counts is None else counts.sum(axis=1))
    ax.set_xticks(x, [_shown(v) for v in shares[dim].values] if dim else ["all runs"])
    if dim:
        symbol = r"$\sigma_h$" if dim == "hidden_std" else ""
        ax.set_xlabel(axis_label(shares, dim, symbol=symbol))
    ax.set_ylim(0, 1.08)
    whose = "runs still failing" if failing_only else "runs"
    ax.set_ylabel(f"share of the {whose}")
    ax.set_title(f"End states{' of the failing runs' if failing_only else ''} (runs over bars)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="end state")
    return ax


def _lengths(ds: xr.Dataset) -> list[int]:
    """The training lengths of a basin map: its ``epochs`` coordinate (empty without one)."""
    return [int(e) for e in np.atleast_1d(ds.epochs.values)] if "epochs" in ds.coords else []


def _plane(ds: xr.Dataset, length: object) -> tuple[xr.Dataset, int | None]:
    """The map at ``length`` epochs (None: the longest), over (alpha, beta), and its length."""
    lengths = _lengths(ds)
    if length is None:
        length = lengths[-1] if lengths else None
    elif (
        isinstance(length, bool)
        or not isinstance(length, numbers.Integral)
        or (int(length) not in lengths)
    ):
        raise ValueError(
            f"length must be one of the map's training lengths {lengths}, got {length!r}"
        )
    if "epochs" in ds.dims:
        ds = ds.sel(epochs=length)
    if set(ds.converged_epoch.dims) != {"alpha", "beta"}:
        raise ValueError(
            f"ds must be a map over (alpha, beta), with or without epochs, got "
            f"{ds.converged_epoch.dims}"
        )
    return ds, None if length is None else int(length)


def _check_reference(reference: object, ds: xr.Dataset) -> tuple[float, float] | None:
    """``reference`` as a point (alpha, beta) inside the map, or None."""
    if reference is None:
        return None
    a, b = ds.alpha.values, ds.beta.values
    pair = isinstance(reference, (tuple, list, np.ndarray)) and len(reference) == 2
    pair = pair and all(isinstance(v, numbers.Real) and np.isfinite(v) for v in reference)
    if not (pair and a.min() <= reference[0] <= a.max() and b.min() <= reference[1] <= b.max()):
        raise ValueError(
            f"reference must be None or a point (alpha, beta) of the map, alpha in "
            f"[{a.min():g}, {a.max():g}] and beta in [{b.min():g}, {b.max():g}], got {reference!r}"
        )
    return float(reference[0]), float(reference[1])


def _epoch_norm(ds: xr.Dataset) -> LogNorm:
    """One log colour scale for every length of a map: the first convergence to the longest."""
    epochs = ds.converged_epoch.values
    positive = epochs[np.isfinite(epochs) & (epochs > 0)]
    low = float(positive.min()) if positive.size else 1.0
    high = float(max(_lengths(ds) or [0]))
    high = max(high, float(positive.max()) if positive.size else 0.0, 10 * low)
    return LogNorm(vmin=low, vmax=high)


def _cells(plane: xr.Dataset, by: str, norm: Normalize) -> tuple[np.ma.MaskedArray, Colormap]:
    """The values to colour, (beta, alpha) with NaN masked, and their colour map."""
    if by == "converged_epoch":
        epochs = plane.converged_epoch.transpose("beta", "alpha").values
        values = np.maximum(epochs, norm.vmin)  # an epoch 0 takes the lowest colour
        return np.ma.masked_invalid(values), mpl.colormaps[_EPOCH_CMAP].with_extremes(
            bad=COLORS["never"]
        )
    codes = {name: float(k) for k, name in enumerate(END_STATES)}
    states = plane.state.transpose("beta", "alpha").values
    values = np.array([codes[str(s)] for s in states.ravel()]).reshape(states.shape)
    return np.ma.masked_invalid(values), ListedColormap([STATE_COLORS[s] for s in END_STATES])


def _draw_plane(
    ax: Axes, plane: xr.Dataset, by: str, norm: Normalize, point: tuple[float, float] | None
) -> QuadMesh:
    """Colour the cells of one map, mark the reference and label the axes."""
    values, cmap = _cells(plane, by, norm)
    mesh = ax.pcolormesh(
        plane.alpha.values,
        plane.beta.values,
        values,
        shading="nearest",
        cmap=cmap,
        norm=norm,
        rasterized=True,
    )
    if point is not None:
        ax.plot(*point, ls="none", label="reference network", **_STAR)
    ax.set_xlabel(plane.alpha.attrs.get("long_name", "alpha"))
    ax.set_ylabel(plane.beta.attrs.get("long_name", "beta"))
    return mesh


def _handles(by: str, planes: list[xr.Dataset], never: str, reference: bool) -> list[Artist]:
    """Legend entries: the never-converged colour or the states present, and the star."""
    if by == "converged_epoch":
        handles: list[Artist] = [Patch(color=COLORS["never"], label=never)]
    else:
        present = set().union(*(np.unique(p.state.values.astype(str)).tolist() for p in planes))
        handles = [Patch(color=STATE_COLORS[s], label=s) for s in END_STATES if s in present]
    if reference:
        handles.append(Line2D([], [], ls="none", label="reference network", **_STAR))
    return handles


def _norm(ds: xr.Dataset, by: str) -> Normalize:
    if by == "converged_epoch":
        return _epoch_norm(ds)
    return BoundaryNorm(np.arange(len(END_STATES) + 1) - 0.5, len(END_STATES))


def _check_map(ds: xr.Dataset, by: str) -> str:
    by = check_choice(by, "by", BASIN_COLOURINGS)
    require(ds, ("converged_epoch", by), "ds", "pass the Dataset returned by xorsweep.basin_map")
    if not {"alpha", "beta"} <= set(ds.converged_epoch.dims):
        raise ValueError(f"ds must be a map over (alpha, beta), got {ds.converged_epoch.dims}")
    if by == "state":
        unknown = sorted(set(map(str, np.unique(ds.state.values))) - set(END_STATES))
        if unknown:
            raise ValueError(f"ds has states {unknown} that are not end states {END_STATES}")
    return by


def _title(plane: xr.Dataset, length: int | None) -> str:
    share = float(plane.converged_epoch.notnull().mean())
    return (
        f"{length:,} epochs: {share:.0%} converged"
        if length is not None
        else f"{share:.0%} converged"
    )


_EPOCH_LABEL = "epoch from which every prediction is right\n(log scale)"


@themed
def plot_basin_map(
    ds: xr.Dataset,
    length: int | None = None,
    by: str = "converged_epoch",
    ax: Axes | None = None,
    *,
    reference: tuple[float, float] | None = (0.0, 0.0),
) -> Axes:
    """A basin map after Kolen and Pollack: a slice of initial networks coloured by outcome.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`xorsweep.basin_map`, over (``alpha``, ``beta``) or
        (``epochs``, ``alpha``, ``beta``).
    length : int, optional
        The training length to show, one of ``ds.epochs``; the longest by default.
    by : {"converged_epoch", "state"}
        ``"converged_epoch"``: a log colour scale from the first convergence
        in the map to its longest length, never-converged networks in grey
        (:data:`COLORS` ``"never"``); ``"state"``: the end state, coloured by
        :data:`STATE_COLORS`.
    ax : matplotlib Axes, optional
    reference : (float, float) or None
        Where to mark the reference network, as (alpha, beta): (0, 0) for a
        :func:`xorsweep.direction_slice`; for a :func:`xorsweep.parameter_slice`,
        the reference's values of the two entries; None for no mark.

    Returns
    -------
    matplotlib Axes
        ``alpha`` along x, ``beta`` along y, one cell per network
        (a QuadMesh); a white star on the reference; a colour bar for the
        epochs or a legend of the states, the legend under the axes.
    """
    by = _check_map(ds, by)
    plane, length = _plane(ds, length)
    point = _check_reference(reference, plane)
    ax = get_axes(ax, SIZES["basin_map"])
    mesh = _draw_plane(ax, plane, by, _norm(ds, by), point)
    if by == "converged_epoch":
        ax.figure.colorbar(mesh, ax=ax, label=_EPOCH_LABEL)
    ax.set_title(f"Basin map, {_title(plane, length)}")
    after = "" if length is None else f" after {length:,} epochs"
    handles = _handles(by, [plane], f"not converged{after}", point is not None)
    legend_below(ax, handles=handles, fontsize="small", ncols=min(3, len(handles)))
    return ax


def _axes_row(axes: Any, n: int, share: bool) -> list[Axes]:
    """``n`` Axes from ``axes``, or those of a new 1 x ``n`` figure if it is None."""
    if axes is None:
        w, h = SIZES["basin_growth"]
        _, made = plt.subplots(
            1,
            n,
            figsize=(w * n + 1.2, h),
            layout="constrained",
            sharex=share,
            sharey=share,
            squeeze=False,
        )
        return list(made[0])
    row = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(row) != n or not all(isinstance(a, Axes) for a in row):
        raise TypeError(f"axes must be None or a sequence of {n} matplotlib Axes, one per length")
    return row


@themed
def plot_basin_growth(
    ds: xr.Dataset,
    axes: Sequence[Axes] | None = None,
    *,
    by: str = "converged_epoch",
    lengths: Sequence[int] | None = None,
    reference: tuple[float, float] | None = (0.0, 0.0),
) -> tuple[Axes, ...]:
    """The same basin map at several training lengths side by side: how the basins grow.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`xorsweep.basin_map` with several lengths, over
        (``epochs``, ``alpha``, ``beta``).
    axes : sequence of matplotlib Axes, optional
        One per length; a new row of panels if None.
    by, reference
        As in :func:`plot_basin_map`; every panel shares one colour scale.
    lengths : sequence of int, optional
        Which of ``ds.epochs`` to show, in order; all of them by default.

    Returns
    -------
    tuple of matplotlib Axes
        One panel per length, titled with it and the share converged, with
        one colour bar (epochs) and one legend under the middle panel.
    """
    by = _check_map(ds, by)
    available = _lengths(ds)
    if "epochs" not in ds.dims:
        raise ValueError("ds must be a map at several lengths (an 'epochs' dimension)")
    chosen = available if lengths is None else list(lengths)
    if not chosen:
        raise ValueError(f"lengths must name at least one of the map's lengths {available}")
    planes = [_plane(ds, length) for length in chosen]
    points = [_check_reference(reference, plane) for plane, _ in planes]
    row = _axes_row(axes, len(planes), share=True)
    norm = _norm(ds, by)
    for ax, (plane, length), point in zip(row, planes, points, strict=True):
        mesh = _draw_plane(ax, plane, by, norm, point)
        ax.set_title(_title(plane, length))
    for ax in row[1:]:
        ax.set_ylabel("")
    if by == "converged_epoch":
        row[0].figure.colorbar(mesh, ax=row, label=_EPOCH_LABEL)
    handles = _handles(by, [p for p, _ in planes], "not converged by then", reference is not None)
    legend_below(row[len(row) // 2], handles=handles, fontsize="small", ncols=min(4, len(handles)))
    return tuple(row)
