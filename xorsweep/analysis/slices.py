"""The optimal hidden std on every slice of a grid, against the initialization rules.

Results over more dimensions than ``(hidden_std, run)`` (``output_std``,
``lr``, and any other the sweep adds) hold one loss-against-std curve per
slice. :func:`fit_slices` fits each with :func:`xorsweep.fit_optimum`'s model
and returns one Dataset over the other dimensions, with each rule of
:data:`xorsweep.model.initialization.INIT_RULES` placed on the fitted curve.

A slice's network comes from its coordinates, or else the results'
attributes, or else the article's 2-2-1 sigmoid network: ``hidden`` (width),
``activation``, ``n_in`` and ``n_out`` (see :func:`slice_setting`).

Why a function of its own: :func:`xorsweep.fit_optimum` always returns a
FitResult (with its curve and replicates, for one slice) and refuses a grid,
and :func:`fit_slices` always returns a Dataset, over no dimension for
results of one slice. A return type that changed with the data's shape would
break code written for either.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import xarray as xr

from .._core.cf_attrs import with_cf_attrs
from .._core.checks import check_choice
from ..model.initialization import INIT_RULES, init_rules_by_layer
from ..sweeps.combining import check_configuration
from .axis import MARKS, SweptAxis, swept_axis, to_hidden_std
from .fit import (
    CURVE_POINTS,
    FitResult,
    FitSettings,
    check_settings,
    fit_slice,
    model_text,
    rule_distance,
)
from .stats import along_hidden_std, check_results, make_rng, percentile_interval

__all__ = ["fit_slices", "slice_setting", "slice_rules", "SLICE_VARIABLES", "CURVE_VARIABLES"]

#: The variables of :func:`fit_slices`'s result over the slices, then those over ``rule``.
SLICE_VARIABLES = (
    "optimum",
    "optimum_low",
    "optimum_high",
    "loss_at_optimum",
    "loss_at_optimum_low",
    "loss_at_optimum_high",
    "ok",
    "reason",
    "notes",
    "window_low",
    "window_high",
    "n_points",
    "n_runs",
    "dof",
    "p_value",
)
#: The variables over the slices and ``curve_point``: the fitted curve and its band.
CURVE_VARIABLES = ("curve_std", "fitted_loss", "fitted_loss_low", "fitted_loss_high")
RULE_VARIABLES = (
    "rule_std",
    "loss_at_rule",
    "loss_at_rule_low",
    "loss_at_rule_high",
    "rule_distance",
    "penalty",
    "penalty_low",
    "penalty_high",
)

#: The network a slice stands for when neither its coordinates nor the attributes say.
_DEFAULTS = {"hidden": 2, "activation": "sigmoid", "n_in": 2, "n_out": 1}


def slice_setting(ds: xr.Dataset, name: str) -> Any:
    """A slice's ``hidden``, ``activation``, ``n_in`` or ``n_out``.

    A scalar coordinate of ``ds`` first (a grid dimension selected), then a
    scalar attribute (a sweep's single value), then the article's network.

    Examples
    --------
    >>> ds = xr.Dataset(coords={"hidden": 8}, attrs={"hidden": 2, "activation": "tanh"})
    >>> slice_setting(ds, "hidden"), slice_setting(ds, "activation"), slice_setting(ds, "n_out")
    (8, 'tanh', 1)
    """
    if name in ds.coords and ds[name].ndim == 0:
        value = ds[name].values.item()
    elif name in ds.attrs and np.ndim(ds.attrs[name]) == 0:
        value = ds.attrs[name]
    else:
        value = _DEFAULTS[name]
    return value if name == "activation" else int(value)


def slice_rules(ds: xr.Dataset) -> xr.DataArray:
    """Each rule's std for both layers of a slice's network, dims (layer, rule).

    See :func:`xorsweep.model.initialization.init_rules_by_layer`; the network is
    :func:`slice_setting`'s.
    """
    return init_rules_by_layer(
        slice_setting(ds, "hidden"),
        slice_setting(ds, "activation"),
        n_in=slice_setting(ds, "n_in"),
        n_out=slice_setting(ds, "n_out"),
    )


def fit_slices(
    results: xr.Dataset,
    *,
    degree: int = 3,
    level: float = 0.25,
    smooth: float = 0.1,
    min_runs: int = 5,
    min_points: int | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    rng: int | np.random.SeedSequence | np.random.Generator = 0,
    errors: str = "ignore",
) -> xr.Dataset:
    """Fit the optimal hidden std on every slice of the dimensions besides (hidden_std, run).

    Each slice ``results.isel(...)`` is fitted as ``fit_optimum(slice, ...)``
    with the same settings would fit it, and with the same randomness: a seed
    or SeedSequence starts every slice's bootstrap afresh from it; a
    Generator is drawn from slice after slice in the grid's order, as a loop
    over the slices would. The rules' stds are those of the hidden layer
    (fans ``n_in`` and ``hidden``) of the slice's network (:func:`slice_rules`).
    A gain sweep's results (dimension ``gain``) are fitted along the gain, and
    ``rule`` is then ``glorot``, ``lecun``, ``he``, ``4x`` and ``critical``, each
    ``rule_std`` the rule's gain on the axis (:func:`xorsweep.swept_axis`; NaN
    where the mean-field theory does not cover the activation); the attribute
    ``swept`` names the axis.

    Parameters
    ----------
    results : xarray.Dataset
        ``total_loss`` over (hidden_std, run, ...): any other dimensions.
    degree, level, smooth, min_runs, min_points, n_boot, confidence
        As :func:`xorsweep.fit_optimum`.
    rng : int, numpy.random.SeedSequence or numpy.random.Generator
    errors : {"ignore", "raise"}
        A slice without an optimum has ``ok`` false and says why in
        ``reason`` (its optimum, interval and distances NaN), or raises
        ValueError naming the slice.

    Returns
    -------
    xarray.Dataset
        Over the other dimensions (none: a single slice) and ``rule``
        (:data:`~xorsweep.model.initialization.INIT_RULES`), with ``results.attrs``
        and the fit's settings. Per slice: ``optimum`` and ``optimum_low`` /
        ``optimum_high`` (the interval), ``loss_at_optimum`` (with ``_low`` /
        ``_high``), ``ok``, ``reason`` (why there is no optimum, "" if
        ``ok``), ``notes`` (harmless notes joined by "; "), ``window_low`` /
        ``window_high``, ``n_points``, ``n_runs``, ``dof``, ``p_value`` (lack
        of fit). Per slice and ``curve_point``: the fitted curve,
        ``fitted_loss`` at ``curve_std`` across the slice's window (NaN
        without a fit), with its pointwise band ``fitted_loss_low`` /
        ``fitted_loss_high`` from the bootstrap's replicates. Per slice and
        rule: ``rule_std``; ``loss_at_rule`` (with ``_low`` / ``_high``; NaN
        outside the window); ``rule_distance``, the signed distance from the
        optimum in CI half-widths (:func:`xorsweep.analysis.fit.rule_distance`: the
        rule lies outside the interval where its absolute value is above 1);
        ``penalty``, ``100 * (loss_at_rule / loss_at_optimum - 1)`` in %,
        with its interval from the same bootstrap replicates.

    Raises
    ------
    ValueError
        For settings out of range, or results joined from parts whose
        configurations disagree (:func:`xorsweep.sweeps.combining.check_configuration`;
        join them with :func:`xorsweep.combine`).

    See Also
    --------
    xorsweep.fit_optimum : one slice, as a FitResult.
    xorsweep.combine : results of several sweeps, checked, as one grid.
    xorsweep.fit_surface : the joint optimum over hidden and output std.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> s = np.geomspace(0.2, 2.0, 15)
    >>> truth = 1000 + 400 * np.log(s / 0.6) ** 2
    >>> loss = truth[:, None, None] * rng.gamma(4.0, 0.25, size=(15, 2, 200))
    >>> ds = xr.Dataset({"total_loss": (("hidden_std", "lr", "run"), loss)},
    ...                 coords={"hidden_std": s, "lr": [0.1, 0.2]})
    >>> fits = fit_slices(ds, n_boot=200, rng=1)
    >>> fits.optimum.dims, bool(fits.ok.all())
    (('lr',), True)
    >>> fits.rule_std.sel(lr=0.1, rule=["glorot_normal", "he"]).round(4).values.tolist()
    [0.7071, 1.0]
    """
    results = check_results(results, "results", ("total_loss",))
    check_configuration(results, "results")
    if not {"hidden_std", "gain"} & set(results.dims):
        raise ValueError(
            f"results must have a hidden_std dimension (or a gain sweep's gain), got dims "
            f"{tuple(results.dims)}"
        )
    results, axis = to_hidden_std(results)
    settings = check_settings(degree, level, smooth, min_runs, min_points, n_boot, confidence)
    make_rng(rng)  # checked before any work
    errors = check_choice(errors, "errors", ("raise", "ignore"))
    dims = [d for d in results.dims if d not in ("hidden_std", "run")]
    shape = tuple(results.sizes[d] for d in dims)
    rows = []
    for index in np.ndindex(*shape):
        part = along_hidden_std(results.isel(dict(zip(dims, index, strict=True))), "results")
        here = _slice_axis(part, axis)
        fit = fit_slice(part, settings, make_rng(rng), here)
        if not fit.ok and errors == "raise":
            where = ", ".join(f"{d}={part[d].values.item()!r}" for d in dims if d in part.coords)
            raise ValueError(f"fit_slices: at {where or index}: {fit.reason}")
        rows.append(_slice_values(fit, _rule_places(part, here)))
    return _dataset(results, dims, shape, rows, settings, axis)


def _slice_axis(part: xr.Dataset, axis: SweptAxis) -> SweptAxis:
    """The axis of one slice (a gain axis's rules sit where the slice's network puts them)."""
    return axis if axis.rule is None else swept_axis(part.rename(hidden_std=axis.name))


def _rule_places(part: xr.Dataset, axis: SweptAxis) -> np.ndarray:
    """Where the rules sit on a slice's axis, shape (rule,): stds, or gains (NaN: undefined)."""
    if axis.rule is None:
        return slice_rules(part).sel(layer="hidden").values
    return np.array([axis.marks.get(words, np.nan) for words in MARKS.values()])


def _slice_values(fit: FitResult, rule_stds: np.ndarray) -> dict[str, Any]:
    """One slice's numbers: the fit's, then each rule's on its curve."""
    values: dict[str, Any] = {
        "optimum": fit.optimum,
        "optimum_low": fit.optimum_ci[0],
        "optimum_high": fit.optimum_ci[1],
        "loss_at_optimum": fit.loss_at_optimum,
        "loss_at_optimum_low": fit.loss_at_optimum_ci[0],
        "loss_at_optimum_high": fit.loss_at_optimum_ci[1],
        "ok": fit.ok,
        "reason": fit.reason,
        "notes": "; ".join(fit.notes),
        "window_low": fit.window[0],
        "window_high": fit.window[1],
        "n_points": fit.n_points,
        "n_runs": fit.n_runs,
        "dof": fit.dof,
        "p_value": fit.p_value,
    }
    values.update(_rule_values(fit, rule_stds))
    values.update(curve_band(fit))
    return values


def curve_band(fit: FitResult) -> dict[str, np.ndarray]:
    """A fit's curve at ``CURVE_POINTS`` stds across its window, with its pointwise band.

    Keys :data:`CURVE_VARIABLES`, each of shape (CURVE_POINTS,); NaN for a fit
    without a curve. The band is the ``fit.confidence`` percentile interval of
    the replicates' curves.
    """
    if fit.curve.size == 0:
        return {name: np.full(CURVE_POINTS, np.nan) for name in CURVE_VARIABLES}
    stds = fit.curve[fit.axis].values
    with np.errstate(invalid="ignore"):
        low, high = percentile_interval(fit.predict_boot(stds), fit.confidence)
    return {
        "curve_std": stds,
        "fitted_loss": np.asarray(fit.curve.values, dtype=np.float64),
        "fitted_loss_low": low,
        "fitted_loss_high": high,
    }


def _rule_values(fit: FitResult, stds: np.ndarray) -> dict[str, np.ndarray]:
    """Each rule's fitted loss, distance and penalty, shape (rule,), NaN where not given."""
    nan = np.full(stds.shape, np.nan)
    out = {name: nan.copy() for name in RULE_VARIABLES}
    out["rule_std"] = stds
    out["rule_distance"] = np.array([rule_distance(s, fit.optimum, fit.optimum_ci) for s in stds])
    if not math.isfinite(fit.optimum):
        return out
    loss = fit.predict(stds)  # (rule,), NaN outside the window
    boot = fit.predict_boot(stds)  # (n_boot, rule)
    boot_min = fit.boot_loss  # each replicate's lowest loss on its own window
    boot_penalty = 100.0 * (boot / boot_min[:, None] - 1.0)
    with np.errstate(invalid="ignore"):  # rules outside the window: NaN replicates
        loss_ci = percentile_interval(boot, fit.confidence)
        penalty_ci = percentile_interval(boot_penalty, fit.confidence)
    out["loss_at_rule"], (out["loss_at_rule_low"], out["loss_at_rule_high"]) = loss, loss_ci
    out["penalty"] = 100.0 * (loss / fit.loss_at_optimum - 1.0)
    out["penalty_low"], out["penalty_high"] = penalty_ci
    return out


def _dataset(
    results: xr.Dataset,
    dims: list[str],
    shape: tuple[int, ...],
    rows: list[dict[str, Any]],
    settings: FitSettings,
    axis: SweptAxis,
) -> xr.Dataset:
    """The slices' numbers as a Dataset over ``dims`` (and ``rule``), along ``axis``."""

    def stack(name: str, dtype: Any = np.float64) -> np.ndarray:
        values = np.array([r[name] for r in rows], dtype=dtype)
        return values.reshape(shape + values.shape[1:])

    types = {"ok": bool, "reason": str, "notes": str, "n_points": np.int64, "n_runs": np.int64}
    types["dof"] = np.int64
    data = {name: (dims, stack(name, types.get(name, np.float64))) for name in SLICE_VARIABLES}
    data.update({name: ([*dims, "rule"], stack(name)) for name in RULE_VARIABLES})
    data.update({name: ([*dims, "curve_point"], stack(name)) for name in CURVE_VARIABLES})
    loss = results.total_loss
    coords: dict[str, Any] = {
        name: c for name, c in loss.coords.items() if not {"hidden_std", "run"} & set(c.dims)
    }
    coords["rule"] = list(INIT_RULES) if axis.rule is None else list(MARKS)
    out = xr.Dataset(data, coords=coords, attrs=dict(results.attrs))
    out.attrs.update(model=axis.say(model_text(settings.degree)), **dataclasses.asdict(settings))
    out.attrs["swept"] = axis.name
    return with_cf_attrs(out)
