"""What the figures beyond the article's line show, computed without drawing.

The article varies the hidden std along one line of a larger space (output
std 0.8165, width 2, sigmoid, summed gradient, biases drawn like the
weights). Four figures look past it: the loss over hidden x output std, the
optimum against the width, the two gradient conventions, and the optimum per
(activation, bias). This module gathers their data from a sweep's results,
their summaries (:func:`xorsweep.summarize`) and fits
(:func:`xorsweep.fit_slices`); :mod:`xorsweep.plots` draws them, and this
module imports neither matplotlib nor seaborn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .._core.checks import check_count
from ..model.activations import ACTIVATIONS, GRADIENTS
from ..model.initialization import init_rules_by_layer
from ..model.network import BIASES, GLOROT_STD
from .slices import slice_rules, slice_setting
from .stats import only_dims, summarize

__all__ = [
    "ARTICLE_SETTING",
    "BEYOND_FIGURE_NAMES",
    "BEYOND_FIGURE_TITLES",
    "BeyondFigureData",
    "MARKED_STDS",
    "RULE_LABELS",
    "SETTING_DIMS",
    "article_setting",
    "as_summary",
    "beyond_figure_data",
    "by_setting",
    "contour_levels",
    "require_dims",
    "rule_curves",
    "rule_groups",
    "rule_pairs",
    "std_ranking",
]

#: The four figures beyond the article: stable file stem -> title, in order.
BEYOND_FIGURE_TITLES = {
    "beyond_loss_map": "Mean total loss over the hidden and output stds, with the rules' pairs",
    "beyond_optimum_vs_width": "The optimal hidden std against the width, with the rules",
    "beyond_gradient_conventions": "Loss against the hidden std, gradient summed or averaged",
    "beyond_optimum_by_setting": "The optimal hidden std per activation and bias, with the rules",
}

#: Stable file stems of the four figures, in order.
BEYOND_FIGURE_NAMES = tuple(BEYOND_FIGURE_TITLES)

#: How the figures name each rule of :data:`~xorsweep.model.initialization.INIT_RULES`.
RULE_LABELS = {
    "glorot_normal": "Glorot normal",
    "glorot_uniform": "Glorot uniform",
    "he": "He",
    "lecun": "LeCun",
    "glorot_slope_gain": "Glorot x 1/f'(0)",
    "glorot_torch_gain": "Glorot x torch gain",
}

#: The two hidden stds the article ranks: std 1 (its start) and Glorot's 1/sqrt(2).
MARKED_STDS = {"1": 1.0, "1/sqrt(2)": GLOROT_STD}

#: The dimensions :func:`by_setting` puts side by side, in this order.
SETTING_DIMS = ("activation", "gradient", "bias")

#: The article's value of each setting (the first of each list of options).
ARTICLE_SETTING = {"activation": ACTIVATIONS[0], "gradient": GRADIENTS[0], "bias": BIASES[0]}

_SAME = 1e-9  # relative tolerance under which two rules give the same std
_RESOLVED = 2.0  # a difference is called a ranking when it is this many standard errors


def as_summary(obj: object, what: str, dims: tuple[str, ...]) -> xr.Dataset:
    """The summary of results (or a summary itself) over ``dims`` only, sorted along them.

    Parameters
    ----------
    obj : xarray.Dataset
        A sweep's results (``total_loss``, ``converged_epoch`` over (..., run)),
        summarized here, or :func:`xorsweep.summarize`'s Dataset (``mean``, ``sem``).
    what : str
        The argument's name, for the messages.
    dims : tuple of str
        Dimensions it must have, the numeric ones sorted; others of length 1
        are dropped (kept as scalar coordinates), longer ones refused.

    Returns
    -------
    xarray.Dataset
        The summary, with ``mean`` and ``sem`` over ``dims``.
    """
    if not isinstance(obj, xr.Dataset):
        raise TypeError(f"{what} must be an xarray.Dataset, got {type(obj).__name__}")
    if "run" in obj.dims and {"total_loss", "converged_epoch"} <= set(obj.data_vars):
        obj = summarize(obj)
    elif not {"mean", "sem"} <= set(obj.data_vars):
        raise ValueError(
            f"{what} must be a sweep's results (total_loss and converged_epoch over a run "
            "dimension) or their summary (mean and sem, from xorsweep.summarize); got "
            f"variables {sorted(map(str, obj.data_vars))}"
        )
    require_dims(obj, what, dims)
    numeric = [d for d in dims if np.issubdtype(obj[d].dtype, np.number)]
    return only_dims(obj, dims, what).sortby(numeric)  # names (gradient, ...) keep their order


def require_dims(ds: xr.Dataset, what: str, dims: tuple[str, ...]) -> None:
    """Raise unless ``ds`` is a Dataset with every dimension of ``dims``, naming those it lacks."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{what} must be an xarray.Dataset, got {type(ds).__name__}")
    missing = [d for d in dims if d not in ds.dims]
    if missing:
        raise ValueError(
            f"{what} must have the dimension(s) {', '.join(dims)}; it lacks "
            f"{', '.join(missing)} (dims {tuple(map(str, ds.dims))})"
        )


def contour_levels(values: Any, n: int = 8) -> np.ndarray:
    """``n`` contour levels strictly inside the range of the finite ``values``.

    Geometric (equal ratios) when every finite value is positive, else
    arithmetic; the range's ends are left out, so that every level has a line.

    Examples
    --------
    >>> contour_levels([1.0, 10.0, 100.0, np.nan], n=1).tolist()
    [10.0]
    """
    n = check_count(n, "n")
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0 or x.min() == x.max():
        raise ValueError("the map needs at least two different finite means to draw contours")
    lo, hi = float(x.min()), float(x.max())
    spaced = np.geomspace(lo, hi, n + 2) if lo > 0 else np.linspace(lo, hi, n + 2)
    return spaced[1:-1]


def rule_groups(stds: xr.DataArray) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """The rules with the same stds everywhere, grouped: ``[(names, values), ...]``.

    ``stds`` is over ``rule`` and any other dimensions (``layer``,
    ``hidden``); two rules share a group when their values agree to a
    relative 1e-9 at every point. Groups come in
    :data:`~xorsweep.model.initialization.INIT_RULES` order, each with the values
    of its first rule (``rule`` moved last, then dropped).

    Examples
    --------
    >>> from xorsweep.model.initialization import init_rules_by_layer
    >>> [names for names, _ in rule_groups(init_rules_by_layer(2).sel(layer="hidden"))]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('glorot_normal', 'glorot_uniform', 'lecun', 'glorot_torch_gain'), ('he',),
     ('glorot_slope_gain',)]
    """
    table = stds.transpose(..., "rule")
    groups: list[tuple[list[str], np.ndarray]] = []
    for name in map(str, table.rule.values):
        values = np.asarray(table.sel(rule=name).values, dtype=np.float64)
        for names, first in groups:
            if np.allclose(values, first, rtol=_SAME, atol=0.0):
                names.append(name)
                break
        else:
            groups.append(([name], values))
    return [(tuple(names), values) for names, values in groups]


def rule_pairs(summary: xr.Dataset) -> list[tuple[tuple[str, ...], float, float]]:
    """Each group of rules with the same (hidden, output) stds for the summary's network.

    ``[(names, hidden_std, output_std), ...]``; the network is that of
    :func:`xorsweep.analysis.slices.slice_setting` (coordinates, attributes, else the
    article's 2-2-1 sigmoid network).
    """
    table = slice_rules(summary).sel(layer=["hidden", "output"])
    return [(names, float(pair[0]), float(pair[1])) for names, pair in rule_groups(table)]


def rule_curves(slices: xr.Dataset) -> xr.DataArray:
    """Each rule's hidden-layer std at every width from the least to the largest of ``slices``.

    ``slices`` has a ``hidden`` coordinate (the widths); the activation,
    ``n_in`` and ``n_out`` are :func:`xorsweep.analysis.slices.slice_setting`'s.
    Returns a DataArray over (hidden, rule), widths ``min .. max`` one by one,
    from :func:`xorsweep.model.initialization.init_rules_by_layer`.
    """
    widths = np.asarray(slices["hidden"].values).astype(np.int64)
    table = init_rules_by_layer(
        list(range(int(widths.min()), int(widths.max()) + 1)),
        slice_setting(slices, "activation"),
        n_in=slice_setting(slices, "n_in"),
        n_out=slice_setting(slices, "n_out"),
    )
    return table.sel(layer="hidden", drop=True)


def _at_std(summary: xr.Dataset, std: float) -> tuple[np.ndarray, np.ndarray]:
    """``mean`` and ``sem`` at ``std``, linear in log std between the grid's neighbours.

    Over the summary's dimensions besides ``hidden_std``; NaN outside the grid.
    """
    s = np.asarray(summary.hidden_std.values, dtype=np.float64)
    mean = np.asarray(summary["mean"].transpose("hidden_std", ...).values, dtype=np.float64)
    sem = np.asarray(summary["sem"].transpose("hidden_std", ...).values, dtype=np.float64)
    if not s[0] <= std <= s[-1] or s.size < 2:
        nan = np.full(mean.shape[1:], np.nan)
        return nan, nan.copy()
    k = int(np.clip(np.searchsorted(s, std) - 1, 0, s.size - 2))
    w = (math.log(std) - math.log(s[k])) / (math.log(s[k + 1]) - math.log(s[k]))
    value = (1 - w) * mean[k] + w * mean[k + 1]
    error = np.hypot((1 - w) * sem[k], w * sem[k + 1])
    return value, error


def std_ranking(summary: xr.Dataset, dim: str = "gradient") -> xr.Dataset:
    """Which of the article's two stds, 1 and 1/sqrt(2), has the lower mean loss, per ``dim``.

    Parameters
    ----------
    summary : xarray.Dataset
        ``mean`` and ``sem`` over (hidden_std, ``dim``), sorted by hidden_std.
    dim : str
        The dimension to rank along.

    Returns
    -------
    xarray.Dataset
        Over ``dim``: ``loss_one``, ``loss_glorot`` (mean total loss at std 1
        and 1/sqrt(2), interpolated linearly in log std between the grid's
        neighbours; NaN outside the grid) and their ``sem_one``,
        ``sem_glorot``; ``gain``, ``100 * (loss_one / loss_glorot - 1)`` in %,
        the article's "improves by 8.5%"; ``z``, the difference in standard
        errors; ``lower``: ``"1/sqrt(2)"`` or ``"1"`` where ``|z| >= 2``,
        ``"neither"`` (within the noise) or ``"unknown"`` (a std off the grid).

    Examples
    --------
    >>> summary = xr.Dataset(
    ...     {"mean": (("hidden_std", "gradient"), [[10.0, 10.0], [12.0, 10.1]]),
    ...      "sem": (("hidden_std", "gradient"), [[0.1, 0.1], [0.1, 0.1]])},
    ...     coords={"hidden_std": [0.5, 1.0], "gradient": ["sum", "mean"]})
    >>> r = std_ranking(summary)
    >>> r.loss_glorot.values.tolist(), r.lower.values.tolist()
    ([11.0, 10.05], ['1/sqrt(2)', 'neither'])
    """
    one, sem_one = _at_std(summary, MARKED_STDS["1"])
    glorot, sem_glorot = _at_std(summary, MARKED_STDS["1/sqrt(2)"])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (one - glorot) / np.hypot(sem_one, sem_glorot)
        gain = 100.0 * (one / glorot - 1.0)
    lower = np.where(
        ~np.isfinite(one) | ~np.isfinite(glorot),
        "unknown",
        np.where(z >= _RESOLVED, "1/sqrt(2)", np.where(z <= -_RESOLVED, "1", "neither")),
    )
    dims = [d for d in summary["mean"].transpose("hidden_std", ...).dims if d != "hidden_std"]
    coords = {d: summary[d].values for d in dims}
    data = dict(
        loss_one=one,
        loss_glorot=glorot,
        sem_one=sem_one,
        sem_glorot=sem_glorot,
        gain=gain,
        z=z,
        lower=lower,
    )
    return xr.Dataset({k: (dims, np.asarray(v)) for k, v in data.items()}, coords=coords)


def by_setting(slices: xr.Dataset) -> xr.Dataset:
    """A :func:`xorsweep.fit_slices` Dataset over its settings, one after the other.

    Parameters
    ----------
    slices : xarray.Dataset
        Over one or more of :data:`SETTING_DIMS` (and ``rule``); other
        dimensions must have length 1.

    Returns
    -------
    xarray.Dataset
        ``slices`` stacked into one ``setting`` dimension (``activation``
        slowest, then ``gradient``, then ``bias``), with a ``label``
        coordinate such as ``"sigmoid, scaled"`` and ``dims`` in the attrs.
    """
    if not isinstance(slices, xr.Dataset):
        raise TypeError(f"slices must be an xarray.Dataset, got {type(slices).__name__}")
    needed = ("optimum", "optimum_low", "optimum_high", "ok", "rule_std")
    missing = [v for v in needed if v not in slices.data_vars]
    if missing:
        raise ValueError(
            f"slices lacks the variable(s) {', '.join(missing)}; pass the Dataset returned "
            "by xorsweep.fit_slices"
        )
    dims = tuple(d for d in SETTING_DIMS if d in slices.dims)
    if not dims:
        raise ValueError(
            f"slices must have at least one of the dimensions {', '.join(SETTING_DIMS)} "
            f"(fit_slices of results over them), got dims {tuple(map(str, slices.dims))}"
        )
    slices = only_dims(slices, (*dims, "rule"), "slices")
    stacked = slices.stack(setting=list(dims)).transpose("setting", ...)
    columns = [np.asarray(stacked[d].values).astype(str) for d in dims]
    labels = [", ".join(parts) for parts in zip(*columns, strict=True)]
    stacked = stacked.drop_vars(["setting", *dims]).assign_coords(label=("setting", labels))
    for d, column in zip(dims, columns, strict=True):
        stacked = stacked.assign_coords({d: ("setting", column)})
    return stacked.assign_attrs(dims=list(dims))


def article_setting(ds: xr.Dataset, keep: tuple[str, ...] = ("gradient",)) -> xr.Dataset:
    """``ds`` at the article's value of each setting dimension not in ``keep``.

    A dimension of :data:`SETTING_DIMS` that ``ds`` has, and that does not
    hold the article's value (:data:`ARTICLE_SETTING`), is refused.
    """
    chosen = {d: v for d, v in ARTICLE_SETTING.items() if d in ds.dims and d not in keep}
    absent = [f"{d}={v!r}" for d, v in chosen.items() if v not in ds[d].values]
    if absent:
        raise ValueError(f"the results lack the article's setting {', '.join(absent)}")
    return ds.sel(chosen)


@dataclass(frozen=True)
class BeyondFigureData:
    """What the four figures beyond the article draw, computed by :func:`beyond_figure_data`.

    A figure whose data is None is not drawn (:meth:`names` lists the others).

    Attributes
    ----------
    loss_map : xarray.Dataset or None
        Summary over (hidden_std, output_std): ``beyond_loss_map``.
    surface : SurfaceFit or None
        Its :func:`xorsweep.fit_surface` (``errors="ignore"``).
    widths : xarray.Dataset or None
        :func:`xorsweep.fit_slices` over ``hidden``: ``beyond_optimum_vs_width``.
    gradients, gradient_fits : xarray.Dataset or None
        Summary over (hidden_std, gradient) at the article's activation and
        bias, and its slices' fits: ``beyond_gradient_conventions``.
    settings : xarray.Dataset or None
        :func:`xorsweep.fit_slices` over the setting dimensions:
        ``beyond_optimum_by_setting``.
    notes : tuple of str
        Fits that failed, for the reader.
    """

    loss_map: xr.Dataset | None = None
    surface: Any = None
    widths: xr.Dataset | None = None
    gradients: xr.Dataset | None = None
    gradient_fits: xr.Dataset | None = None
    settings: xr.Dataset | None = None
    notes: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The figures that have their data, in :data:`BEYOND_FIGURE_NAMES` order."""
        present = {
            "beyond_loss_map": self.loss_map,
            "beyond_optimum_vs_width": self.widths,
            "beyond_gradient_conventions": self.gradients,
            "beyond_optimum_by_setting": self.settings,
        }
        return tuple(name for name in BEYOND_FIGURE_NAMES if present[name] is not None)


def _failed(fits: xr.Dataset, what: str) -> list[str]:
    """One note per slice of ``fits`` whose fit failed."""
    dims = list(fits.ok.dims)
    notes = []
    for index in np.ndindex(*fits.ok.shape):
        point = fits.isel(dict(zip(dims, index, strict=True)))
        if not bool(point.ok):
            where = ", ".join(f"{d}={point[d].values.item()}" for d in dims) or "its one slice"
            notes.append(f"{what}: no fitted optimum at {where}: {point.reason.values.item()}")
    return notes


def beyond_figure_data(
    *,
    surface_results: xr.Dataset | None = None,
    width_results: xr.Dataset | None = None,
    setting_results: xr.Dataset | None = None,
    n_boot: int = 1000,
    rng: int = 0,
) -> BeyondFigureData:
    """Summarize and fit the study's results for the four figures beyond the article.

    Parameters
    ----------
    surface_results : xarray.Dataset, optional
        Results over (hidden_std, output_std, run): the loss map and its
        :func:`xorsweep.fit_surface`.
    width_results : xarray.Dataset, optional
        Results over (hidden_std, hidden, run): the optimum against the width.
    setting_results : xarray.Dataset, optional
        Results over (hidden_std, run) and one or more of :data:`SETTING_DIMS`:
        the optimum per setting; with a ``gradient`` dimension, also the two
        gradient conventions at the article's activation and bias
        (:func:`article_setting`).
    n_boot, rng : int
        Bootstrap replicates and seed of every fit.

    Returns
    -------
    BeyondFigureData
    """
    from .slices import fit_slices
    from .surface import fit_surface

    out: dict[str, Any] = {}
    notes: list[str] = []
    if surface_results is not None:
        out["loss_map"] = as_summary(
            surface_results, "surface_results", ("hidden_std", "output_std")
        )
        out["surface"] = fit_surface(surface_results, n_boot=n_boot, rng=rng, errors="ignore")
        if not out["surface"].ok:
            notes.append(f"loss map: no fitted optimum: {out['surface'].reason}")
    if width_results is not None:
        require_dims(width_results, "width_results", ("hidden_std", "hidden"))
        out["widths"] = fit_slices(width_results, n_boot=n_boot, rng=rng)
        notes += _failed(out["widths"], "widths")
    if setting_results is not None:
        settings = fit_slices(setting_results, n_boot=n_boot, rng=rng)
        by_setting(settings)  # refuses results without a setting dimension
        out["settings"] = settings
        notes += _failed(settings, "settings")
        if "gradient" in setting_results.dims:
            chosen = article_setting(setting_results)
            out["gradients"] = as_summary(chosen, "setting_results", ("hidden_std", "gradient"))
            out["gradient_fits"] = article_setting(settings)
    return BeyondFigureData(**out, notes=tuple(notes))
