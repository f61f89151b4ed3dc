"""The optimal hidden-layer std: a weighted fit of the mean total loss near its minimum.

See :func:`fit_optimum` for the model, the window, the bootstrap and the ways
a fit can fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .._core.checks import check_choice, check_confidence, check_count, check_real
from ..model.network import GLOROT_STD
from ..sweeps.combining import check_configuration
from ._window_fit import (
    MODEL_NAMES,
    BootWindows,
    FitError,
    Points,
    WindowFit,
    argmin_on_window,
    bootstrap_windows,
    fit_window,
    usable_points,
    window_around_minimum,
)
from .axis import SweptAxis, swept_axis, to_hidden_std
from .fit_result import FitResult, _tuple2, plain_value
from .stats import along_hidden_std, check_results, make_rng, percentile_interval

__all__ = [
    "THIN_DOF",
    "FitResult",
    "FitSettings",
    "fit_optimum",
    "fit_slice",
    "check_settings",
    "model_text",
    "plain_value",
    "rule_distance",
    "GLOROT_STD",
    "DEGREES",
]

#: Polynomial degrees :func:`fit_optimum` accepts. The default is the cubic, the lowest
#: degree that can be asymmetric: the measured curve is steeper towards small stds (where
#: runs start on a plateau) than towards large ones (see BENCHMARKS.md).
DEGREES = (2, 3)

#: Points of the fitted curve returned for plotting.
CURVE_POINTS = 201

#: Fewest degrees of freedom left by the window (points - coefficients) without a note:
#: with fewer, the lack-of-fit test cannot tell a wrong model from noise (BENCHMARKS.md).
THIN_DOF = 4


def fit_optimum(
    ds: xr.Dataset,
    *,
    degree: int = 3,
    level: float = 0.25,
    smooth: float = 0.1,
    min_runs: int = 5,
    min_points: int | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    rng: int | np.random.Generator = 0,
    errors: str = "raise",
) -> FitResult:
    """Fit the minimum of the mean total loss over ``log(hidden_std)`` (or ``log(gain)``).

    The means over runs at the grid points are smoothed (Gaussian kernel of
    width ``smooth`` in ``log(hidden_std)``, each mean also weighted by
    ``1/sem**2``) to find the minimum and the window: the contiguous points
    around it where the smoothed mean stays within ``level`` of the minimum,
    widened to ``min_points``. On the window a polynomial in
    ``log(hidden_std)`` is fitted by weighted least squares (weights
    ``1/sem**2``); the optimum is where it is lowest inside the window. The
    intervals are a percentile bootstrap over runs: each point's present runs
    resampled, and each replicate smoothed, windowed and fitted as the data
    were, so that the interval includes the window's choice. How the defaults
    were chosen and the interval's measured coverage, down to windows of 6
    points: BENCHMARKS.md.

    There is no optimum (``ok`` false, ``reason`` in words, the optimum and
    its interval NaN) when the data are too few, the smoothed means are lowest
    at the grid's end, the fitted curve is lowest at its window's edge, or
    more than ``(1 - confidence) / 2`` of the replicates are lowest at their
    window's edge (the interval would end where the window does, not where
    the data say). A window leaving fewer than :data:`THIN_DOF` degrees of
    freedom is noted in ``notes``: its lack-of-fit test is weak.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep's results: ``total_loss`` over (hidden_std, run), or over
        (gain, run) for a gain sweep (:func:`xorsweep.swept_axis`: the result's
        stds are then gains, Glorot's the gain of Glorot's rule). Other
        dimensions must have length 1: select one slice of a larger grid.
    degree : {2, 3}
        Degree of the polynomial in ``log(hidden_std)``.
    level : float
        The window's height above the smoothed minimum, a fraction of it (> 0).
    smooth : float
        Width of the smoothing kernel (>= 0; 0 takes the means as they are).
    min_runs : int
        Points with fewer present runs (>= 2) are left out.
    min_points : int, optional
        Fewest points in the window; default ``degree + 3``, at least ``degree + 2``.
    n_boot : int
        Bootstrap replicates (>= 20).
    confidence : float
        Coverage of the intervals, in (0, 1).
    rng : int, numpy.random.SeedSequence or numpy.random.Generator
        The bootstrap's randomness; a seed gives the same interval every time.
    errors : {"raise", "ignore"}
        When the data do not allow a fit, raise ValueError with the reason, or
        return a FitResult with ``ok=False`` and the reason in ``reason``.

    Returns
    -------
    FitResult

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or range, a Dataset of the wrong
        shape, or one joined from results whose configurations disagree
        (:func:`xorsweep.sweeps.combining.check_configuration`), whatever
        ``errors`` says. With ``errors="raise"``, ValueError
        also when the fit fails: too few runs or points, no interior minimum,
        a fitted curve lowest at its window's edge, or an interval reaching
        the window's edge.

    See Also
    --------
    xorsweep.summarize : the means and standard errors being fitted.
    xorsweep.claims : the article's claims measured with this fit.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> s = np.geomspace(0.2, 2.0, 15)
    >>> truth = 1000 + 400 * np.log(s / 0.6) ** 2
    >>> loss = truth[:, None] * rng.gamma(4.0, 0.25, size=(15, 200))
    >>> ds = xr.Dataset({"total_loss": (("hidden_std", "run"), loss)}, coords={"hidden_std": s})
    >>> fit = fit_optimum(ds, n_boot=200, rng=1)
    >>> fit.ok, fit.optimum_ci[0] < 0.6 < fit.optimum_ci[1]
    (True, True)
    """
    ds = check_results(ds, "ds", ("total_loss",))
    check_configuration(ds, "ds")
    ds, axis = to_hidden_std(ds)
    try:
        ds = along_hidden_std(ds, "ds", " (or fit every slice at once with xorsweep.fit_slices)")
    except ValueError as exc:
        raise ValueError(axis.say(str(exc))) from None
    settings = check_settings(degree, level, smooth, min_runs, min_points, n_boot, confidence)
    generator = make_rng(rng)
    errors = check_choice(errors, "errors", ("raise", "ignore"))
    result = fit_slice(ds, settings, generator, axis)
    if not result.ok and errors == "raise":
        raise ValueError(f"fit_optimum: {result.reason}")
    return result


@dataclass(frozen=True)
class FitSettings:
    """The checked settings of :func:`fit_optimum` (see its parameters)."""

    degree: int
    level: float
    smooth: float
    min_runs: int
    min_points: int
    n_boot: int
    confidence: float


def check_settings(
    degree: object,
    level: object,
    smooth: object,
    min_runs: object,
    min_points: object,
    n_boot: object,
    confidence: object,
    *,
    dimensions: int = 1,
) -> FitSettings:
    """:func:`fit_optimum`'s settings checked, ``min_points`` defaulted; errors name each one.

    ``dimensions`` is the number of stds the polynomial is fitted over (2 for
    :func:`xorsweep.fit_surface`): ``min_points`` must exceed the polynomial's
    number of coefficients, and is two more by default.
    """
    degree = check_count(degree, "degree", minimum=2)
    if degree not in DEGREES:
        raise ValueError(f"degree must be 2 or 3, got {degree}")
    level = check_real(level, "level", 0.0, strict=True)
    smooth = check_real(smooth, "smooth", 0.0)
    min_runs = check_count(min_runs, "min_runs", minimum=2)
    n_coefs = math.comb(degree + dimensions, dimensions)
    if min_points is None:
        min_points = n_coefs + 2
    min_points = check_count(min_points, "min_points", minimum=n_coefs + 1)
    n_boot = check_count(n_boot, "n_boot", minimum=20)
    confidence = check_confidence(confidence)
    return FitSettings(degree, level, smooth, min_runs, min_points, n_boot, confidence)


def fit_slice(
    ds: xr.Dataset, settings: FitSettings, rng: np.random.Generator, axis: SweptAxis | None = None
) -> FitResult:
    """:func:`fit_optimum` of results along ``hidden_std`` only, failing into ``ok=False``.

    ``ds`` is as :func:`xorsweep.analysis.stats.along_hidden_std` returns it; the
    bootstrap draws from ``rng``. ``axis``: what ``hidden_std`` carries (a gain sweep's
    gains renamed by :func:`~xorsweep.analysis.axis.to_hidden_std`); the result is
    named after it. Default: the hidden std.
    """
    s = settings
    axis = swept_axis(ds) if axis is None else axis
    try:
        points = usable_points(ds, s.min_runs, s.min_points, s.degree)
        lo, hi = window_around_minimum(points, s.level, s.smooth, s.min_points)
        fitted = fit_window(points, lo, hi, s.degree)
        boot = bootstrap_windows(points, fitted, s.level, s.smooth, s.min_points, s.n_boot, rng)
    except FitError as exc:
        return FitResult(
            ok=False,
            reason=axis.say(str(exc)),
            degree=s.degree,
            n_boot=s.n_boot,
            confidence=s.confidence,
            axis=axis.name,
            axis_words=axis.words,
            glorot_name=axis.glorot_name,
        )
    return _result(points, fitted, boot, s.n_boot, s.confidence, axis)


def _result(
    points: Points,
    fitted: WindowFit,
    boot: BootWindows,
    n_boot: int,
    confidence: float,
    axis: SweptAxis,
) -> FitResult:
    """The FitResult of a fitted window and its bootstrap replicates, named after ``axis``."""
    center, scale, coefs, sl = fitted.center, fitted.scale, fitted.coefs, fitted.window
    degree = coefs.size - 1
    t_opt, loss_opt, edge = argmin_on_window(coefs[None, :])
    boot_opt = np.exp(center + scale * boot.t_min)

    def ci(draws: np.ndarray) -> tuple[float, float]:
        low, high = percentile_interval(draws, confidence)
        return float(low), float(high)

    window = (float(points.stds[sl.start]), float(points.stds[sl.stop - 1]))
    edge_fraction = (float(np.mean(boot.edge == -1)), float(np.mean(boot.edge == 1)))
    reason = _problem(int(edge[0]), edge_fraction, fitted, window, confidence)
    found = not reason
    optimum = float(np.exp(center + scale * t_opt[0])) if found else math.nan
    optimum_ci = ci(boot_opt) if found else _tuple2()
    notes = _notes(fitted)

    def at(x: float, name: str) -> tuple[float, tuple[float, float]]:
        if not window[0] <= x <= window[1]:
            notes.append(
                f"{name} lies outside the window {window[0]:.4g} to {window[1]:.4g}: "
                f"the fitted loss there is not given"
            )
            return math.nan, _tuple2()
        tx = (math.log(x) - center) / scale
        value = float(np.polynomial.polynomial.polyval(tx, coefs))
        return value, ci(np.polynomial.polynomial.polyval(tx, boot.coefs.T))

    loss_glorot, loss_glorot_ci = at(axis.glorot, axis.glorot_name)
    loss_one, loss_one_ci = at(1.0, "1")
    model = axis.say(model_text(degree))
    return FitResult(
        optimum=optimum,
        optimum_ci=optimum_ci,
        loss_at_optimum=float(loss_opt[0]) if found else math.nan,
        loss_at_optimum_ci=ci(boot.loss) if found else _tuple2(),
        loss_at_glorot=loss_glorot,
        loss_at_glorot_ci=loss_glorot_ci,
        loss_at_one=loss_one,
        loss_at_one_ci=loss_one_ci,
        glorot_distance=rule_distance(axis.glorot, optimum, optimum_ci),
        curve=_curve(fitted, window, model, axis.name),
        ok=found,
        reason=axis.say(reason),
        notes=tuple(axis.say(note) for note in notes),
        model=model,
        degree=degree,
        coefficients=tuple(float(c) for c in coefs),
        center=float(center),
        scale=float(scale),
        window=window,
        n_points=int(fitted.design.shape[0]),
        n_runs=int(points.count[sl].sum()),
        n_boot=n_boot,
        confidence=confidence,
        chi2=fitted.chi2,
        dof=fitted.dof,
        p_value=fitted.p_value,
        edge_fraction=edge_fraction,
        boot_optimum=boot_opt,
        boot_coefficients=boot.coefs,
        boot_loss=boot.loss,
        axis=axis.name,
        axis_words=axis.words,
        glorot_name=axis.glorot_name,
    )


def _problem(
    edge: int,
    edge_fraction: tuple[float, float],
    fitted: WindowFit,
    window: tuple[float, float],
    confidence: float,
) -> str:
    """Why there is no optimum: none inside the window, or an interval reaching its edge.

    An interval reaches the edge when more than ``(1 - confidence) / 2`` of the
    replicates have their minimum at their window's edge: its end is then the
    window's, not the data's. Empty when there is an optimum.
    """
    name = MODEL_NAMES[fitted.coefs.size - 1]
    if edge != 0:
        return (
            f"the fitted {name} is lowest at the {'lower' if edge < 0 else 'upper'} edge of its "
            f"window {window[0]:.4g} to {window[1]:.4g}: no minimum inside it"
        )
    if max(edge_fraction) > (1 - confidence) / 2:
        return (
            f"the {100 * confidence:g}% interval reaches the window's edge (minimum at the "
            f"lower/upper edge in {100 * edge_fraction[0]:.3g}%/{100 * edge_fraction[1]:.3g}% "
            f"of the replicates): add runs, or widen the window with a larger level"
        )
    return ""


def _notes(fitted: WindowFit) -> list[str]:
    """Notes on a fit that stand whether or not it found an optimum: lack of fit, thin window."""
    notes = []
    name = MODEL_NAMES[fitted.coefs.size - 1]
    if fitted.p_value < 1e-3:
        notes.append(
            f"lack of fit: chi2 {fitted.chi2:.4g} on {fitted.dof} dof (p = {fitted.p_value:.2g}): "
            f"the {name} misses the means by more than their errors, so the "
            "interval is too narrow; try a smaller level"
        )
    if fitted.dof < THIN_DOF:
        notes.append(
            f"thin window: {fitted.design.shape[0]} points leave the {name} {fitted.dof} degrees "
            f"of freedom, too few for the lack-of-fit test to see a wrong model; a finer grid "
            "or a larger level gives more"
        )
    return notes


def model_text(degree: int) -> str:
    """The model of :func:`fit_optimum` in words, e.g. 'weighted cubic in log(hidden_std)'."""
    return f"weighted {MODEL_NAMES[degree]} in log(hidden_std)"


def rule_distance(std: float, optimum: float, optimum_ci: tuple[float, float]) -> float:
    """Signed distance from ``optimum`` to ``std`` in CI half-widths on the side of ``std``.

    As :attr:`FitResult.glorot_distance` for any std: ``std`` lies outside the
    interval exactly when the absolute distance is above 1; NaN without an optimum.

    Examples
    --------
    >>> [round(rule_distance(std, 0.6, (0.55, 0.7)), 9) for std in (0.8, 0.65, 0.5)]
    [2.0, 0.5, -2.0]
    """
    lo_ci, hi_ci = optimum_ci
    if not math.isfinite(optimum):
        return math.nan
    if std >= optimum:
        return float((std - optimum) / (hi_ci - optimum) if hi_ci > optimum else math.inf)
    return float((std - optimum) / (optimum - lo_ci) if optimum > lo_ci else -math.inf)


def _curve(
    fitted: WindowFit, window: tuple[float, float], model: str, dim: str = "hidden_std"
) -> xr.DataArray:
    """The fitted curve at ``CURVE_POINTS`` log-spaced values of ``dim`` across the window."""
    grid = np.geomspace(window[0], window[1], CURVE_POINTS)
    curve_t = (np.log(grid) - fitted.center) / fitted.scale
    return xr.DataArray(
        np.polynomial.polynomial.polyval(curve_t, fitted.coefs),
        dims=dim,
        coords={dim: grid},
        name="fitted_loss",
        attrs={"long_name": "fitted mean total loss", "model": model},
    )
