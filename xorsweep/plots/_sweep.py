"""Figures 8 to 10: the sweep, against the hidden layer's initial std (or a gain sweep's gain)."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from ..analysis.axis import SweptAxis, along_swept
from ._family import one_fit, plot_loss_family
from ._labels import axis_label, draw_rule_marks, title
from ._layout import NOTE_WIDTH, epochs_label, get_axes, get_axes_pair, require
from ._style import COLORS, SIZES, themed


def _std_label(ds: xr.Dataset, axis: SweptAxis) -> str:
    """The x axis of figures 8 to 10: the hidden std (or the gain), on a log scale."""
    if axis.rule is not None:
        return f"{axis.long_words} $g$ (log scale)"
    return axis_label(ds, "hidden_std", symbol=r"$\sigma_h$", scale="log scale")


def _against(axis: SweptAxis) -> str:
    """What figures 8 to 10 are drawn against, for their titles."""
    return "the hidden layer's initial std" if axis.rule is None else f"the {axis.words}"


@themed
def plot_loss_vs_std(
    summary: xr.Dataset,
    fit: Any = None,
    ax: Axes | None = None,
    *,
    hue: str | None = None,
    col: str | None = None,
) -> Any:
    """Figure 8: mean total loss against the hidden std, with the fitted minimum.

    A gain sweep's summary (dimension ``gain``, :func:`xorsweep.swept_axis`) is drawn
    against the gain, with the rules' gains marked (Glorot, LeCun, He, 4x Glorot and
    the mean-field critical gain where defined).

    With ``hue`` or ``col`` (dimensions of ``summary`` besides hidden_std),
    every slice is drawn, by colour or in panels, with ``fit`` the
    :func:`xorsweep.fit_slices` Dataset of the same results: see
    :func:`xorsweep.plots.plot_loss_family`, whose result is returned.

    Parameters
    ----------
    summary : xarray.Dataset
        From :func:`xorsweep.summarize`, over ``hidden_std`` (other
        dimensions must have length 1): uses ``mean`` and ``sem``.
    fit : FitResult or xarray.Dataset, optional
        From :func:`xorsweep.fit_optimum` (or one slice of
        :func:`xorsweep.fit_slices`): ``optimum``, ``optimum_ci``,
        ``curve`` (DataArray over hidden_std), ``ok`` and ``message``. If
        ``fit.ok`` is false, its message is written beside the axes
        instead, under the legend.
        The band's label uses ``fit.confidence`` if present (else 95%).
    ax : matplotlib Axes, optional
    hue, col : str, optional
        Draw every slice along these dimensions (see above).

    Returns
    -------
    matplotlib Axes
        Log x axis. Points with a finite mean are drawn; those with a finite
        ``sem`` as one error bar each (label ``"mean ± sem"``), the others as
        bare markers. Black vertical line at Glorot's std of the summary's
        network (1/sqrt(2) for the article's; see :mod:`xorsweep.plots._labels`,
        which also writes the summary's setting under the title); with a fit,
        a green vertical line at ``fit.optimum``, a green band over
        ``fit.optimum_ci`` and the fitted curve in red.
    """
    if hue is not None or col is not None:
        return plot_loss_family(summary, fit, hue=hue, col=col, ax=ax)
    require(summary, ("mean", "sem"), "summary", "pass the Dataset returned by xorsweep.summarize")
    summary, axis = along_swept(
        summary, "summary", hint=" (or draw every slice with hue=DIM or col=DIM)"
    )
    fit = one_fit(fit)
    x = summary[axis.name].values
    mean = summary["mean"].values
    sem = summary["sem"].values
    shown = np.isfinite(mean) & (x > 0)
    if not shown.any():
        raise ValueError(f"summary has no {axis.name} > 0 with a finite mean: nothing to plot")
    ax = get_axes(ax, SIZES["fig08_loss_vs_std"])
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
    draw_rule_marks(ax, summary)
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
            cx = curve[curve.dims[0]].values
            cy = np.asarray(curve.values, dtype=float)
            ok = np.isfinite(cy) & (cx > 0)
            ax.plot(cx[ok], cy[ok], color=COLORS["fit"], lw=2.5, label="fitted curve", zorder=3)
        else:  # in the legend's column, wrapped to about its width
            note = f"no fitted minimum: {getattr(fit, 'reason', '')}"
            ax.annotate(
                textwrap.fill(note, NOTE_WIDTH),
                xy=(1.02, 0.0),
                xycoords="axes fraction",
                ha="left",
                va="bottom",
                fontsize="small",
            )
    ax.set_xscale("log")
    ax.set_xlabel(_std_label(summary, axis))
    ax.set_ylabel(axis_label(summary, "mean", units_note=epochs_label(summary), wrap=True))
    ax.set_title(title(f"Total loss against {_against(axis)}", summary))
    # beside the axes: inside, it would cover the top of the vertical lines
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


@themed
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
        black line at Glorot's std of the summary's network, as in figure 8.
    """
    names = ("failure_rate", "failure_low", "failure_high", "median", "q25", "q75", "mean")
    require(summary, names, "summary", "pass the Dataset returned by xorsweep.summarize")
    summary, axis = along_swept(summary, "summary")
    x = summary[axis.name].values
    keep = (x > 0) & np.isfinite(summary.failure_rate.values)
    if not keep.any():
        raise ValueError(
            f"summary has no {axis.name} > 0 with a finite failure_rate: nothing to plot"
        )
    ax_fail, ax_loss = get_axes_pair(axes, SIZES["fig09_failure_rate"], 2, 1, sharex=True)
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
    draw_rule_marks(ax_fail, summary)
    ax_fail.set_ylabel("runs never converged (%)")
    ax_fail.set_ylim(0, None)
    ax_fail.set_title(title("Failures and the spread of the total loss", summary))
    ax_fail.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

    ax_loss.fill_between(
        x, get["q25"], get["q75"], color=COLORS["data"], alpha=0.25, lw=0, label="quartiles q25-q75"
    )
    ax_loss.plot(x, get["median"], color=COLORS["data"], lw=1.5, label="median")
    ax_loss.plot(x, get["mean"], color=COLORS["fit"], lw=1.2, ls="--", label="mean")
    draw_rule_marks(ax_loss, summary, label=False)
    ax_loss.set_xscale("log")
    ax_loss.set_xlabel(_std_label(summary, axis))
    ax_loss.set_ylabel(f"total loss\n(nats {epochs_label(summary)})")
    ax_loss.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax_fail, ax_loss


@themed
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
        with at least one converged run; Glorot's std and the setting as in
        figure 8.
    """
    require(results, ("converged_epoch",), "results", "pass the sweep's results (xorsweep.sweep)")
    results, axis = along_swept(results, "results")
    if "run" not in results.dims:
        raise ValueError(f"results must have a run dimension, got dims {tuple(results.dims)}")
    x = results[axis.name].values
    epochs = results.converged_epoch.transpose(axis.name, "run").values
    has = np.isfinite(epochs).any(axis=1) & (x > 0)
    if not has.any():
        raise ValueError(f"no run converged at any {axis.name} > 0: nothing to plot")
    x = x[has]
    q = np.array(
        [np.quantile(row[np.isfinite(row)], [0.1, 0.25, 0.5, 0.75, 0.9]) for row in epochs[has]]
    )
    ax = get_axes(ax, SIZES["fig10_converged_epoch"])
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
    draw_rule_marks(ax, results)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(_std_label(results, axis))
    ax.set_ylabel("epoch from which every prediction is right")
    ax.set_title(title("How long learning takes, among runs that converged", results))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax
