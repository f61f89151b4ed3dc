"""Families of curves: the loss against the hidden std and the optimum against any dimension.

A study over a grid dimension (learning rate, width, activation, output std,
...) is one call per figure: :func:`plot_loss_family` draws each slice's
means, fitted curve and band, coloured by ``hue`` and in panels by ``col``
(as xarray's and seaborn's plots take them); :func:`plot_optimum_vs` draws
each slice's optimum with its interval against a dimension, with the
initialization rules. Both read :func:`xorsweep.fit_slices`' Dataset.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr
from matplotlib.axes import Axes

from ..analysis.axis import MARKS, swept_axis
from ..analysis.beyond_figure_data import RULE_LABELS, rule_curves, rule_groups
from ..analysis.slices import slice_rules
from ..analysis.stats import only_dims
from ._layout import epochs_label, get_axes, note, plain_log, require
from ._style import COLORS, DEEP, GAIN_STYLES, RULE_STYLES, themed

__all__ = ["plot_loss_family", "plot_optimum_vs", "one_fit", "axis_label"]

_FIT_HINT = "pass the Dataset returned by xorsweep.fit_slices"
#: Words for a dimension without a ``long_name`` attribute.
_WORDS = {
    "hidden_std": "initial std of the hidden layer",
    "hidden": "width",
    "lr": "learning rate",
    "output_std": "initial std of the output layer",
}


def axis_label(ds: xr.Dataset, name: str) -> str:
    """``name``'s ``long_name`` (with its ``units``) from ``ds``, else words for it."""
    attrs = ds[name].attrs if name in ds.variables else {}
    label = str(attrs.get("long_name", _WORDS.get(name, name)))
    units = attrs.get("units")
    return f"{label} ({units})" if units and units != "1" else label


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _said(ds: xr.Dataset, name: str, value: Any) -> str:
    """``"learning rate 0.1"``: a slice's value in words."""
    return f"{axis_label(ds, name).split(' (')[0]} {_shown(value)}"


def one_fit(fit: Any) -> Any:
    """A fit of one slice as :func:`plot_loss_vs_std` reads it: a FitResult as it is, or
    one slice of :func:`xorsweep.fit_slices`' Dataset as an object with the same fields.

    Raises ValueError for a Dataset over more slices, naming ``hue=`` / ``col=``.
    """
    if not isinstance(fit, xr.Dataset):
        return fit
    require(fit, ("optimum", "optimum_low", "optimum_high", "ok"), "fit", _FIT_HINT)
    extra = [str(d) for d in fit.optimum.dims]
    if extra:
        raise ValueError(
            f"fit has the dimension(s) {', '.join(extra)}: draw every slice with "
            f"hue='{extra[0]}' or col='{extra[0]}', or select one with .sel()"
        )
    curve = xr.DataArray(np.zeros(0), dims="hidden_std", coords={"hidden_std": np.zeros(0)})
    if "fitted_loss" in fit:
        x = np.asarray(fit.curve_std.values, dtype=np.float64)
        curve = xr.DataArray(fit.fitted_loss.values, dims="hidden_std", coords={"hidden_std": x})
    return SimpleNamespace(
        ok=bool(fit.ok),
        optimum=float(fit.optimum),
        optimum_ci=(float(fit.optimum_low), float(fit.optimum_high)),
        curve=curve,
        reason=str(fit.reason.values) if "reason" in fit else "",
        confidence=float(fit.attrs.get("confidence", 0.95)),
    )


def _palette(values: np.ndarray) -> list[str]:
    """A colour per value: light to dark for numbers (seaborn's ``crest``), else ``deep``."""
    if np.issubdtype(values.dtype, np.number):
        return sns.color_palette("crest", max(len(values), 2)).as_hex()[: len(values)]
    return [DEEP[k % len(DEEP)] for k in range(len(values))]


def _panels(ax: Any, n: int, size: tuple[float, float]) -> list[Axes]:
    """``n`` Axes side by side sharing y: ``ax``'s when given (one Axes, or ``n`` of them)."""
    if ax is None:
        _, made = plt.subplots(
            1, n, figsize=(size[0] * n, size[1]), layout="constrained", sharey=True, squeeze=False
        )
        return list(made[0])
    given = [ax] if isinstance(ax, Axes) else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(given) != n or not all(isinstance(a, Axes) for a in given):
        raise TypeError(f"ax must be None or {n} matplotlib Axes (one per col value)")
    return given


def _slice_curve(ax: Axes, fit: xr.Dataset, color: str) -> bool:
    """A slice's fitted curve, band and optimum (with its interval); False without an optimum."""
    if not bool(fit.ok):
        return False
    x = np.asarray(fit.curve_std.values, dtype=np.float64)
    y = np.asarray(fit.fitted_loss.values, dtype=np.float64)
    lo, hi = (
        np.asarray(fit[v].values, dtype=np.float64) for v in ("fitted_loss_low", "fitted_loss_high")
    )
    shown = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)
    ax.fill_between(x[shown], lo[shown], hi[shown], color=color, alpha=0.2, lw=0)
    ax.plot(x[shown], y[shown], color=color, lw=2)
    opt, low, high = (float(fit[v]) for v in ("optimum", "optimum_low", "optimum_high"))
    ax.errorbar(
        [opt],
        [float(fit.loss_at_optimum)],
        xerr=[[opt - low], [high - opt]],
        fmt="o",
        ms=6,
        mfc=color,
        mec="white",
        color=color,
        capsize=3,
        zorder=4,
    )
    return True


def _check_dims(ds: xr.Dataset, dims: list[str], what: str) -> None:
    missing = [d for d in dims if d not in ds.dims]
    if missing:
        raise ValueError(
            f"{what} has no dimension {', '.join(missing)} (hue and col must be dimensions "
            f"of it besides hidden_std); its dimensions are {', '.join(map(str, ds.dims))}"
        )


@themed
def plot_loss_family(
    summary: xr.Dataset,
    fits: xr.Dataset | None = None,
    *,
    hue: str | None = None,
    col: str | None = None,
    ax: Any = None,
) -> Any:
    """Mean total loss against the hidden std for every slice, by ``hue`` and ``col``.

    Parameters
    ----------
    summary : xarray.Dataset
        :func:`xorsweep.summarize` of results over hidden_std and the
        dimensions ``hue`` and ``col`` (others of length 1): ``mean``, ``sem``.
    fits : xarray.Dataset, optional
        :func:`xorsweep.fit_slices` of the same results: each slice's fitted
        curve with its band, and its optimum (a point on the curve with its
        interval as a horizontal bar). Slices without an optimum show no
        curve and no optimum, and are named beside the last panel.
    hue, col : str, optional
        Dimensions drawn as colours (light to dark for numbers) and as panels.
    ax : matplotlib Axes, or a sequence of one per ``col`` value, optional

    Returns
    -------
    matplotlib Axes, or ndarray of Axes (shape (len(col values),)) with ``col``
        Log x; the black line at each slice's Glorot std (dashed, in the
        slice's colour, where the slices' Glorot stds differ).
    """
    require(summary, ("mean", "sem"), "summary", "pass the Dataset returned by xorsweep.summarize")
    dims = [d for d in (col, hue) if d is not None]
    _check_dims(summary, dims, "summary")
    axis = swept_axis(summary, "summary")  # the hidden std, or a gain sweep's gain
    summary = only_dims(summary, (axis.name, *dims), "summary")
    if fits is not None:
        require(fits, ("optimum", "fitted_loss", "curve_std"), "fits", _FIT_HINT)
        _check_dims(fits, dims, "fits")
        fits = only_dims(fits, (*dims, "rule", "curve_point"), "fits")
    cols = list(summary[col].values) if col else [None]
    hues = np.asarray(summary[hue].values) if hue else np.array([None])
    colors = _palette(hues) if hue else [COLORS["data"]]
    axes = _panels(ax, len(cols), (6.0, 4.5))
    missing = []
    for panel, c in zip(axes, cols, strict=True):
        for h, color in zip(hues, colors, strict=True):
            at = {k: v for k, v in ((col, c), (hue, h)) if k is not None}
            part = summary.sel(at)
            label = _said(summary, hue, h) if hue else "mean ± sem"
            _means(panel, part, color, label)
            if fits is not None and not _slice_curve(panel, fits.sel(at), color):
                where = ", ".join(_said(summary, k, v) for k, v in at.items())
                missing.append(f"{where}: {fits.sel(at).reason.values}")
        _glorot_lines(panel, summary, at_col={col: c} if col else {}, hue=hue, colors=colors)
        panel.set_xscale("log")
        plain_log(panel.xaxis)
        words = axis_label(summary, "hidden_std") if axis.rule is None else axis.long_words
        panel.set_xlabel(words + ", log scale")
        if col:
            panel.set_title(_said(summary, col, c))
    axes[0].set_ylabel(f"mean total loss\n(nats {epochs_label(summary)})")
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    if missing:
        note(axes[-1], "no optimum at " + "\n".join(missing))
    return np.array(axes, dtype=object) if col else axes[0]


def _means(ax: Axes, part: xr.Dataset, color: str, label: str) -> None:
    x = np.asarray(part[swept_axis(part).name].values, dtype=np.float64)
    mean, sem = (np.asarray(part[v].values, dtype=np.float64) for v in ("mean", "sem"))
    shown = np.isfinite(mean) & (x > 0)
    ax.errorbar(
        x[shown],
        mean[shown],
        yerr=np.nan_to_num(sem[shown]),
        fmt="o",
        ms=3,
        color=color,
        elinewidth=1,
        capsize=0,
        alpha=0.8,
        label=label,
    )


def _glorot_lines(
    ax: Axes, summary: xr.Dataset, at_col: dict[str, Any], hue: str | None, colors: list[str]
) -> None:
    """Each slice's Glorot std: one black line if they agree, else one per hue colour."""
    hues = list(summary[hue].values) if hue else [None]
    stds = []
    for h in hues:
        part = summary.sel({**at_col, **({hue: h} if hue else {})})
        axis = swept_axis(part)  # on a gain axis, Glorot's gain for the slice's network
        glorot = slice_rules(part).sel(layer="hidden", rule="glorot_normal")
        stds.append(float(glorot) if axis.rule is None else axis.glorot)
    if np.allclose(stds, stds[0]):
        ax.axvline(stds[0], color=COLORS["glorot"], lw=1.5, label=f"Glorot {stds[0]:.3g}", zorder=1)
        return
    for std, color in zip(stds, colors, strict=True):
        ax.axvline(std, color=color, ls="--", lw=1.2, zorder=1)


def _as_fits(results_or_fits: object) -> xr.Dataset:
    """:func:`xorsweep.fit_slices`' Dataset as it is, or fitted from results."""
    if isinstance(results_or_fits, xr.Dataset) and "optimum" in results_or_fits:
        require(results_or_fits, ("optimum", "optimum_low", "optimum_high", "ok"), "fits", "")
        return results_or_fits
    if isinstance(results_or_fits, xr.Dataset) and "total_loss" in results_or_fits:
        from ..analysis.slices import fit_slices

        return fit_slices(results_or_fits)
    require(results_or_fits, ("optimum",), "results_or_fits", _FIT_HINT + " or a sweep's results")  # type: ignore[arg-type]
    raise AssertionError  # pragma: no cover - require raised


def _rule_lines(ax: Axes, fits: xr.Dataset, dim: str, x: np.ndarray) -> None:
    """Each group of rules with the same stds: a line where they change along ``dim``, marks
    where they do not (or where ``dim`` is not a number)."""
    numeric = np.issubdtype(fits[dim].dtype, np.number)
    gains = swept_axis(fits).rule is not None  # the rules' gains, at the slices' networks
    if dim == "hidden" and not gains:
        stds, positions = rule_curves(fits), None  # every width from the least to the largest
    else:
        stds, positions = fits.rule_std.transpose(dim, "rule"), x
    for names, values in rule_groups(stds):
        style = RULE_STYLES.get(GAIN_STYLES[names[0]] if gains else names[0], {})
        xs = stds[dim].values if positions is None else positions
        varies = not np.allclose(values, values[0], rtol=1e-9, atol=0.0)
        words = MARKS if gains else RULE_LABELS
        label = " = ".join(words.get(n, n) for n in names)
        if varies and numeric:
            ax.plot(xs, values, color=style.get("color"), lw=1.6, label=label)
        else:
            ax.plot(
                xs,
                values,
                ls="none",
                marker=style.get("marker", "o"),
                color=style.get("color"),
                ms=7,
                label=label,
            )


def _optima(ax: Axes, part: xr.Dataset, x: np.ndarray, color: str, label: str) -> list[Any]:
    """The slices' optima with their intervals as error bars; the values without one."""
    ok = np.asarray(part.ok.values, dtype=bool)
    opt, low, high = (
        np.asarray(part[v].values, dtype=np.float64)
        for v in ("optimum", "optimum_low", "optimum_high")
    )
    if ok.any():
        ax.errorbar(
            x[ok],
            opt[ok],
            yerr=np.stack([opt[ok] - low[ok], high[ok] - opt[ok]]),
            fmt="o",
            ms=6,
            color=color,
            elinewidth=1.8,
            capsize=4,
            label=label,
            zorder=3,
        )
    return list(np.asarray(part[part.ok.dims[0]].values)[~ok]) if part.ok.ndim else []


@themed
def plot_optimum_vs(
    results_or_fits: xr.Dataset, dim: str, ax: Axes | None = None, *, hue: str | None = None
) -> Axes:
    """The fitted optimal hidden std against any grid dimension, with the rules.

    Parameters
    ----------
    results_or_fits : xarray.Dataset
        :func:`xorsweep.fit_slices`' Dataset, or a sweep's results (then
        fitted with ``fit_slices``' defaults), over ``dim`` (and ``hue``);
        other dimensions of length 1.
    dim : str
        The dimension along x: ``lr``, ``hidden`` (width), ``activation``,
        ``output_std``, ... Numbers are placed on a log axis (when positive),
        names one after the other.
    ax : matplotlib Axes, optional
    hue : str, optional
        A second dimension drawn as colours; the rules are then those of
        ``hue``'s first value.

    Returns
    -------
    matplotlib Axes
        Log y. Each slice with an optimum: the optimum with its interval as
        an error bar. Each group of rules giving the same stds
        (:func:`~xorsweep.analysis.beyond_figure_data.rule_groups`): a line where the
        std depends on ``dim`` (through every width for ``hidden``), a mark
        at each value otherwise. Slices without an optimum are named beside
        the axes, with no number.

    Examples
    --------
    A study over learning rates, one call per figure (``sweep_at`` stands for
    ``xs.sweep(stds, lr=lr, ...)``; sweeps over ``lr=[...]`` need no combine):

    >>> import numpy as np, xarray as xr, xorsweep as xs
    >>> from xorsweep import plots
    >>> rng, s = np.random.default_rng(0), np.geomspace(0.2, 2.0, 15)
    >>> def sweep_at(lr, best):
    ...     loss = (1000 + 400 * np.log(s / best) ** 2)[:, None] * rng.gamma(4, 0.25, (15, 200))
    ...     epoch = np.full(loss.shape, 500.0)
    ...     return xr.Dataset({"total_loss": (("hidden_std", "run"), loss),
    ...                        "converged_epoch": (("hidden_std", "run"), epoch)},
    ...                       coords={"hidden_std": s}, attrs={"lr": lr, "seed": 0})
    >>> results = xs.combine(sweep_at(0.1, 0.8), sweep_at(0.5, 0.5), dim="lr")
    >>> fits = xs.fit_slices(results, n_boot=100)
    >>> ax = plots.plot_optimum_vs(fits, "lr")
    >>> axes = plots.plot_loss_vs_std(xs.summarize(results), fits, col="lr")
    >>> axes.shape, [a.get_title() for a in axes]
    ((2,), ['learning rate 0.1', 'learning rate 0.5'])
    """
    fits = _as_fits(results_or_fits)
    if not isinstance(dim, str) or dim not in fits.optimum.dims:
        raise ValueError(
            f"dim must be a dimension of the fits, one of "
            f"{', '.join(map(str, fits.optimum.dims)) or '(none)'}; got {dim!r}"
        )
    if hue is not None:
        _check_dims(fits, [hue], "fits")
    fits = only_dims(fits, tuple(d for d in (dim, hue, "rule", "curve_point") if d), "fits")
    numeric = np.issubdtype(fits[dim].dtype, np.number)
    if numeric:
        fits = fits.sortby(dim)
    values = np.asarray(fits[dim].values)
    x = values.astype(np.float64) if numeric else np.arange(values.size, dtype=np.float64)
    ax = get_axes(ax, (10.0, 4.5))  # the rules' legend stands beside the axes
    hues = list(fits[hue].values) if hue else [None]
    colors = _palette(np.asarray(hues)) if hue else [COLORS["optimum"]]
    level = f"{100 * fits.attrs.get('confidence', 0.95):g}%"
    missing = []
    for k, (h, color) in enumerate(zip(hues, colors, strict=True)):
        part = fits.sel({hue: h}) if hue else fits
        label = f"fitted optimum, {level} CI" + (f", {_said(fits, hue, h)}" if hue else "")
        prefix = f"{_said(fits, hue, h)}, " if hue else ""
        step = 0.06 * (k - (len(hues) - 1) / 2)  # side by side, a little apart
        at = x * np.exp(step) if numeric else x + step
        missing += [prefix + _shown(v) for v in _optima(ax, part, at, color, label)]
    _rule_lines(ax, fits.isel({hue: 0}) if hue else fits, dim, x)
    if missing:
        note(
            ax, f"no fitted optimum at {axis_label(fits, dim).split(' (')[0]} {', '.join(missing)}"
        )
    if numeric and values.min() > 0 and values.max() / values.min() >= 4:
        ax.set_xscale("log")
    ax.set_xticks(x, [f"{v:g}" if numeric else str(v) for v in values])
    ax.set_yscale("log")
    plain_log(ax.yaxis)
    ax.set_xlabel(axis_label(fits, dim) + (", log scale" if ax.get_xscale() == "log" else ""))
    swept = swept_axis(fits)
    ax.set_ylabel(f"{'hidden-layer std' if swept.rule is None else swept.words} (log scale)")
    ax.set_title(f"The optimal {swept.words} against the {axis_label(fits, dim).split(' (')[0]}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax
