"""Beyond the article's line: the loss map, the optimum against width, gradients, settings."""

from __future__ import annotations

import math
import textwrap
from typing import Any, cast

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..analysis.beyond_figure_data import (
    MARKED_STDS,
    RULE_LABELS,
    BeyondFigureData,
    as_summary,
    by_setting,
    contour_levels,
    rule_pairs,
    std_ranking,
)
from ..analysis.stats import only_dims
from ..model.network import GLOROT_STD
from ._family import plot_optimum_vs
from ._labels import axis_label, draw_rule_marks, title
from ._layout import (
    NOTE_WIDTH,
    detached_figure,
    epochs_label,
    get_axes,
    legend_below,
    note,
    plain_log,
    require,
)
from ._style import COLORS, DEEP, RULE_STYLES, SIZES, theme, themed

_FIT_HINT = "pass the Dataset returned by xorsweep.fit_slices"
_GRADIENT_COLORS = {"sum": DEEP[0], "mean": DEEP[3]}  # others take the palette in turn
_OPTIMUM_STAR = dict(marker="*", ms=16, mfc=COLORS["optimum"], mec="white", mew=1.2)


def _std_label(ds: xr.Dataset) -> str:
    """The hidden std's axis name, on a log scale."""
    return axis_label(ds, "hidden_std", symbol=r"$\sigma_h$", scale="log scale")


def _rules_label(names: tuple[str, ...]) -> str:
    return " = ".join(RULE_LABELS.get(n, n) for n in names)


def _log_edges(x: np.ndarray) -> np.ndarray:
    """Cell edges around sorted positive ``x``: geometric midpoints, half a step beyond the ends."""
    logs = np.log(x)
    if logs.size == 1:
        return np.exp(logs + np.array([-0.5, 0.5]))
    mid = (logs[1:] + logs[:-1]) / 2
    return np.exp(np.concatenate([[2 * logs[0] - mid[0]], mid, [2 * logs[-1] - mid[-1]]]))


def _fit_slices(slices: object, dims: tuple[str, ...]) -> xr.Dataset:
    """``slices`` checked (fit_slices' variables, ``dims``); other dims of length 1 dropped."""
    names = ("optimum", "optimum_low", "optimum_high", "ok")
    require(slices, names, "slices", _FIT_HINT)
    slices = cast(xr.Dataset, slices)
    missing = [d for d in dims if d not in slices.dims]
    if missing:
        raise ValueError(
            f"slices must have a {' and '.join(dims)} dimension (fit_slices of results over "
            f"{' and '.join(dims)}), got dims {tuple(map(str, slices.dims))}"
        )
    numeric = [d for d in dims if np.issubdtype(slices[d].dtype, np.number)]
    return only_dims(slices, (*dims, "rule"), "slices").sortby(numeric)


def _map_fit(ax: Axes, fit: Any) -> str | None:
    """The fitted optimum (a star) and its confidence region (a closed line); a failed fit's
    message, or None."""
    h, o = getattr(fit, "optimum", (math.nan, math.nan))
    if getattr(fit, "ok", False) and math.isfinite(h) and math.isfinite(o):
        ax.plot(h, o, ls="none", label=f"fitted optimum ({h:.3g}, {o:.3g})", **_OPTIMUM_STAR)
        bh, bo = fit.region_boundary()
        if np.isfinite(bh).all():
            level = f"{100 * fit.confidence:g}%"
            ax.plot(
                bh, bo, color=COLORS["optimum"], lw=2, label=f"{level} confidence region", zorder=4
            )
    if not getattr(fit, "ok", False):
        return f"no fitted optimum: {getattr(fit, 'reason', '')}"
    return None


def _map_rules(
    ax: Axes, summary: xr.Dataset, xlim: tuple[float, float], ylim: tuple[float, float]
) -> None:
    """One marker per group of rules with the same pair, named "off the map" outside the limits."""
    for names, rh, ro in rule_pairs(summary):
        inside = xlim[0] <= rh <= xlim[1] and ylim[0] <= ro <= ylim[1]
        style = RULE_STYLES.get(names[0], {})
        ax.plot(
            rh,
            ro,
            ls="none",
            marker=style.get("marker", "o"),
            ms=8,
            mfc=style.get("color", "black"),
            mec="white",
            mew=1.0,
            label=f"{_rules_label(names)} ({rh:.3g}, {ro:.3g})"
            + ("" if inside else " off the map"),
        )


@themed
def plot_loss_map(
    results_or_summary: xr.Dataset, fit: Any = None, ax: Axes | None = None, *, levels: int = 8
) -> Axes:
    """A log-log map of the mean total loss over the hidden and output stds.

    Parameters
    ----------
    results_or_summary : xarray.Dataset
        A sweep's results over (hidden_std, output_std, run), or their
        :func:`xorsweep.summarize` (``mean``); other dimensions must have
        length 1. The network (width, activation) whose rules are marked is
        read from the coordinates or attributes (:func:`xorsweep.analysis.slices.slice_setting`).
    fit : SurfaceFit, optional
        From :func:`xorsweep.fit_surface`: its ``optimum`` is starred and
        its region (``region_boundary()``) outlined; a failed fit's
        ``message`` is the legend's title.
    ax : matplotlib Axes, optional
    levels : int
        Number of contour lines (:func:`xorsweep.analysis.beyond_figure_data.contour_levels`).

    Returns
    -------
    matplotlib Axes
        Hidden std along x, output std along y, both log; one cell per grid
        point coloured by the mean (log colour scale, colour bar), white
        labelled contours, and each group of rules giving the same pair
        (:func:`~xorsweep.analysis.beyond_figure_data.rule_pairs`) as one marker named
        in the legend under the axes (``"off the map"`` for a pair outside the grid).
    """
    summary = as_summary(results_or_summary, "results_or_summary", ("hidden_std", "output_std"))
    summary = summary.transpose("hidden_std", "output_std")
    h = np.asarray(summary.hidden_std.values, dtype=np.float64)
    o = np.asarray(summary.output_std.values, dtype=np.float64)
    if h.size < 2 or o.size < 2 or h[0] <= 0 or o[0] <= 0:
        raise ValueError("the map needs at least 2 positive hidden and output stds each")
    mean = np.ma.masked_invalid(np.asarray(summary["mean"].values, dtype=np.float64).T)
    lines = contour_levels(mean.compressed(), levels)
    low, high = float(mean.min()), float(mean.max())
    norm = LogNorm(low, high) if low > 0 else Normalize(low, high)
    ax = get_axes(ax, SIZES["beyond_loss_map"])
    he, oe = _log_edges(h), _log_edges(o)
    mesh = ax.pcolormesh(he, oe, mean, cmap="viridis", norm=norm, shading="flat", rasterized=True)
    bar_label = axis_label(summary, "mean", units_note=epochs_label(summary))
    bar = ax.figure.colorbar(mesh, ax=ax, label=bar_label)
    if isinstance(norm, LogNorm):
        plain_log(bar.ax.yaxis)
    contours = ax.contour(h, o, mean, levels=lines, colors="white", linewidths=0.8)
    ax.clabel(contours, fmt="%.4g", fontsize="x-small")
    failed = _map_fit(ax, fit) if fit is not None else None
    _map_rules(ax, summary, (he[0], he[-1]), (oe[0], oe[-1]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log(ax.xaxis)
    plain_log(ax.yaxis)
    ax.set_xlim(he[0], he[-1])
    ax.set_ylim(oe[0], oe[-1])
    ax.set_xlabel(_std_label(summary))
    ax.set_ylabel(
        axis_label(summary, "output_std", symbol=r"$\sigma_o$", scale="log scale", wrap=True)
    )
    main = "Mean total loss over both layers' initial stds"
    ax.set_title(title(main, summary, skip=("output_std",)))
    heading = textwrap.fill(failed, 2 * NOTE_WIDTH) if failed else None
    legend_below(ax, fontsize="small", title=heading, title_fontsize="small")
    return ax


@themed
def plot_optimum_vs_width(slices: xr.Dataset, ax: Axes | None = None) -> Axes:
    """The fitted optimal hidden std against the hidden width, with each rule's std.

    Parameters
    ----------
    slices : xarray.Dataset
        From :func:`xorsweep.fit_slices` of results over ``hidden`` (the
        width); other dimensions must have length 1.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Log x (width) and log y (std). Each width with ``ok`` true: the
        optimum with its interval as an error bar (``optimum_low`` to
        ``optimum_high``). Each group of rules with the same std at every
        width: a line through every width from the least to the largest
        (:func:`~xorsweep.analysis.beyond_figure_data.rule_curves`). Widths without a
        fit are named beside the axes.
    """
    slices = _fit_slices(slices, ("hidden",))
    ax = plot_optimum_vs(slices, "hidden", ax=get_axes(ax, SIZES["beyond_optimum_vs_width"]))
    width = np.asarray(slices.hidden.values, dtype=np.int64)
    ax.set_xticks(width, [str(w) for w in width])
    ax.xaxis.set_minor_formatter(NullFormatter())
    plain_log(ax.yaxis)
    ax.set_xlabel("hidden width (units, log scale)")
    ax.set_ylabel("hidden-layer std (log scale)")
    main = "The optimal hidden std against the width, and the rules"
    ax.set_title(title(main, slices, skip=("hidden",)))
    return ax


def _ranking_text(ranking: xr.Dataset) -> str:
    """One line per gradient: which of 1 and 1/sqrt(2) has the lower mean loss, and by how much."""
    lines = [
        "Mean total loss at std 1 against 1/sqrt(2); the article (gradient summed) found "
        "1/sqrt(2) better by 8.5%. Here:"
    ]
    for g in ranking.gradient.values:
        r = ranking.sel(gradient=g)
        lower, gain, z = str(r.lower.values), float(r.gain), float(r.z)
        if lower == "unknown":
            lines.append(f"{g}: 1 or 1/sqrt(2) lies outside the grid")
        elif lower == "neither":
            lines.append(f"{g}: no difference beyond the noise ({gain:+.2g}%, {z:+.1f} s.e.)")
        elif lower == "1/sqrt(2)":
            lines.append(f"{g}: 1/sqrt(2) lower, 1 is {gain:.2g}% higher ({z:.1f} s.e.)")
        else:
            lines.append(
                f"{g}: 1 lower, 1/sqrt(2) is {-gain / (1 + gain / 100):.2g}% higher ({-z:.1f} s.e.)"
            )
    return "\n".join(lines)


@themed
def plot_gradient_conventions(
    summary_or_results: xr.Dataset, fits: xr.Dataset | None = None, ax: Axes | None = None
) -> Axes:
    """Mean total loss against the hidden std under each gradient, with 1 and 1/sqrt(2) marked.

    Parameters
    ----------
    summary_or_results : xarray.Dataset
        A sweep's results over (hidden_std, gradient, run), or their
        :func:`xorsweep.summarize` (``mean``, ``sem``); other dimensions must
        have length 1.
    fits : xarray.Dataset, optional
        :func:`xorsweep.fit_slices` of the same results (over ``gradient``):
        each fitted optimum is a dotted line with its interval shaded, in
        the gradient's colour.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Log x and log y. Per gradient, the mean as a line with a band of
        one sem; grey dashed line at std 1, black at Glorot's std of the
        summary's network (1/sqrt(2) for the article's; for another, a grey
        dotted line at the 1/sqrt(2) that the ranking compares); beside the
        axes, which of the two has the lower mean loss under each gradient
        (:func:`~xorsweep.analysis.beyond_figure_data.std_ranking`: a ranking needs two
        standard errors).
    """
    summary = as_summary(summary_or_results, "summary_or_results", ("hidden_std", "gradient"))
    summary = summary.transpose("hidden_std", "gradient")
    if fits is not None:
        fits = _fit_slices(fits, ("gradient",))
    ranking = std_ranking(summary)
    ax = get_axes(ax, SIZES["beyond_gradient_conventions"])
    x = np.asarray(summary.hidden_std.values, dtype=np.float64)
    for k, g in enumerate(map(str, summary.gradient.values)):
        color = _GRADIENT_COLORS.get(g, DEEP[(k + 6) % len(DEEP)])
        mean = np.asarray(summary["mean"].sel(gradient=g).values, dtype=np.float64)
        sem = np.nan_to_num(np.asarray(summary["sem"].sel(gradient=g).values, dtype=np.float64))
        shown = np.isfinite(mean) & (x > 0)
        ax.fill_between(
            x[shown], (mean - sem)[shown], (mean + sem)[shown], color=color, alpha=0.25, lw=0
        )
        ax.plot(x[shown], mean[shown], color=color, lw=1.6, label=f'gradient "{g}": mean ± sem')
        if fits is not None and g in fits.gradient.values and bool(fits.ok.sel(gradient=g)):
            f = fits.sel(gradient=g)
            ax.axvspan(float(f.optimum_low), float(f.optimum_high), color=color, alpha=0.12, lw=0)
            ax.axvline(
                float(f.optimum),
                color=color,
                ls=":",
                lw=2,
                label=f'"{g}": fitted optimum {float(f.optimum):.3g}',
            )
    ax.axvline(MARKED_STDS["1"], color="0.45", ls="--", lw=1.4, label="std 1 (the article's start)")
    marks = draw_rule_marks(ax, summary)
    if not any(m.network.is_article for m in marks):  # the ranking's 1/sqrt(2), marked too
        ax.axvline(GLOROT_STD, color="0.45", ls=":", lw=1.4, label="1/sqrt(2) (the article's)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log(ax.xaxis)
    plain_log(ax.yaxis)
    ax.set_xlabel(_std_label(summary))
    ax.set_ylabel(
        axis_label(summary, "mean", units_note=epochs_label(summary), scale="log scale", wrap=True)
    )
    main = "Does 1/sqrt(2) beat 1 whether the gradient is summed or averaged?"
    ax.set_title(title(main, summary, skip=("gradient",)))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    note(ax, _ranking_text(ranking))
    return ax


@themed
def plot_optimum_by_setting(slices: xr.Dataset, ax: Axes | None = None) -> Axes:
    """The fitted optimal hidden std per (activation, [gradient,] bias), against the rules.

    Parameters
    ----------
    slices : xarray.Dataset
        From :func:`xorsweep.fit_slices` of results over one or more of
        ``activation``, ``gradient`` and ``bias``; other dimensions must have
        length 1.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One position per setting (:func:`~xorsweep.analysis.beyond_figure_data.by_setting`),
        labelled with its values; log y. At each: the optimum with its interval
        as an error bar (if ``ok``), and to its right each rule's std
        (``rule_std``) as that rule's marker. Settings without a fit are
        named beside the axes.
    """
    table = by_setting(slices)
    n = table.sizes["setting"]
    x = np.arange(n, dtype=np.float64)
    ok = np.asarray(table.ok.values, dtype=bool)
    optimum, low, high = (
        np.asarray(table[v].values, dtype=np.float64)
        for v in ("optimum", "optimum_low", "optimum_high")
    )
    ax = get_axes(ax, SIZES["beyond_optimum_by_setting"])
    if ok.any():
        level = f"{100 * table.attrs.get('confidence', 0.95):g}%"
        ax.errorbar(
            x[ok] - 0.2,
            optimum[ok],
            yerr=np.stack([optimum[ok] - low[ok], high[ok] - optimum[ok]]),
            fmt="o",
            ms=7,
            color=COLORS["optimum"],
            elinewidth=2,
            capsize=5,
            label=f"fitted optimum, {level} CI",
            zorder=3,
        )
    rules = list(map(str, table.rule.values))
    offsets = np.linspace(-0.05, 0.35, len(rules))
    for rule, dx in zip(rules, offsets, strict=True):
        style = RULE_STYLES.get(rule, {})
        ax.plot(
            x + dx,
            table.rule_std.sel(rule=rule).values,
            ls="none",
            marker=style.get("marker", "o"),
            color=style.get("color"),
            ms=7,
            label=RULE_LABELS.get(rule, rule),
        )
    if not ok.all():
        note(ax, f"no fitted optimum for {'; '.join(table.label.values[~ok])}")
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    ax.set_xticks(
        x, list(table.label.values), rotation=20 if n > 4 else 0, ha="right" if n > 4 else "center"
    )
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xlabel(", ".join(table.attrs["dims"]))
    ax.set_ylabel("hidden-layer std (log scale)")
    main = "The optimal hidden std per setting, against the rules"
    ax.set_title(title(main, table, skip=tuple(table.attrs["dims"])))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def beyond_figures(data: BeyondFigureData) -> dict[str, Figure]:
    """Draw the figures beyond the article whose data ``data`` holds.

    Parameters
    ----------
    data : BeyondFigureData
        From :func:`xorsweep.analysis.beyond_figure_data.beyond_figure_data`.

    Returns
    -------
    dict of str to matplotlib Figure
        Keyed by ``data.names()`` (a subset of
        :data:`~xorsweep.analysis.beyond_figure_data.BEYOND_FIGURE_NAMES`, in order);
        figures outside pyplot's registry, as :func:`article_figures` makes them.
    """
    if not isinstance(data, BeyondFigureData):
        raise TypeError(f"data must be a BeyondFigureData, got {type(data).__name__}")
    draw: dict[str, Any] = {
        "beyond_loss_map": lambda ax: plot_loss_map(data.loss_map, data.surface, ax=ax),
        "beyond_optimum_vs_width": lambda ax: plot_optimum_vs_width(data.widths, ax=ax),
        "beyond_gradient_conventions": lambda ax: plot_gradient_conventions(
            data.gradients, data.gradient_fits, ax=ax
        ),
        "beyond_optimum_by_setting": lambda ax: plot_optimum_by_setting(data.settings, ax=ax),
    }
    figs: dict[str, Figure] = {}
    with theme():
        for name in data.names():
            fig, ax = detached_figure(SIZES[name])
            draw[name](ax)
            figs[name] = fig
    return figs
