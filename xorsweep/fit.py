"""The optimal hidden-layer std: a weighted fit of the mean total loss near its minimum.

See :func:`fit_optimum` for the model, the window, the bootstrap and the ways
a fit can fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ._checks import check_choice, check_count
from .stats import (
    _check_confidence,
    _check_results,
    along_hidden_std,
    bootstrap_means,
    make_rng,
    percentile_interval,
    point_stats,
)

__all__ = ["FitResult", "fit_optimum", "GLOROT_STD", "DEGREES"]

#: Glorot's std for the 2 -> 2 hidden layer, sqrt(2 / (fan_in + fan_out)) = 1/sqrt(2).
GLOROT_STD = 1.0 / math.sqrt(2.0)

#: Polynomial degrees :func:`fit_optimum` accepts.
DEGREES = (2, 3)

#: Points of the fitted curve returned for plotting.
CURVE_POINTS = 201

_MODEL_NAMES = {2: "quadratic", 3: "cubic"}


def _tuple2(low: float = math.nan, high: float = math.nan) -> tuple[float, float]:
    return (float(low), float(high))


@dataclass(frozen=True, eq=False, repr=False)
class FitResult:
    """The fitted minimum of the mean total loss over the hidden std.

    Made by :func:`fit_optimum`; all losses are mean total losses (the
    article's metric) from the fitted curve, all stds are hidden-layer stds.
    Intervals are percentile bootstrap intervals over runs at the level
    ``confidence``. When ``ok`` is false, ``message`` says why, and the numbers
    that could not be computed are NaN.

    Attributes
    ----------
    optimum : float
        The std at which the fitted curve is lowest inside the window.
    optimum_ci : (float, float)
        Its confidence interval.
    loss_at_optimum : float
        The fitted curve's value there, with ``loss_at_optimum_ci``.
    loss_at_glorot, loss_at_one : float
        The fitted curve at 1/sqrt(2) and at 1, with ``loss_at_glorot_ci`` and
        ``loss_at_one_ci``; NaN (and said in ``message``) when that std lies
        outside the window, where the curve is not an estimate of anything.
    glorot_distance : float
        Signed distance from the optimum to 1/sqrt(2) in units of the
        interval's half-width on the side of 1/sqrt(2):
        ``(g - optimum) / (ci_high - optimum)`` if ``g = 1/sqrt(2)`` is at or
        above the optimum, else ``(g - optimum) / (optimum - ci_low)``. It is
        positive when 1/sqrt(2) is above the optimum, and 1/sqrt(2) lies
        outside the interval exactly when ``abs(glorot_distance) > 1``.
    curve : xarray.DataArray
        ``"fitted_loss"`` over ``hidden_std``: the fitted curve at
        ``CURVE_POINTS`` log-spaced stds across the window (for plotting).
    ok : bool
        Whether the fit found a minimum inside the window and its interval
        lies inside the window too.
    message : str
        Why the fit failed, or notes about a fit that did not (lack of fit,
        stds outside the window); empty when there is nothing to say.
    model : str
        The model in words.
    degree : int
        Degree of the polynomial in ``log(hidden_std)``.
    coefficients : tuple of float
        Its coefficients, constant first, in the scaled variable
        ``t = (log(hidden_std) - center) / scale``, which runs from -1 to 1
        across the window.
    center, scale : float
    window : (float, float)
        The smallest and largest std of the points fitted.
    n_points, n_runs : int
        Points in the window and present runs in them.
    n_boot : int
        Bootstrap replicates.
    confidence : float
    chi2, dof, p_value : float, int, float
        Weighted residual sum of squares, its degrees of freedom
        (``n_points - degree - 1``) and the chi-square probability of a value
        at least as large if the model were right and the standard errors
        exact. A small ``p_value`` means the curve does not follow the means
        within their errors (then the interval is too narrow).
    edge_fraction : (float, float)
        Fractions of bootstrap replicates whose fitted minimum is at the
        window's lower and upper edge.
    boot_optimum : ndarray, shape (n_boot,)
        The bootstrap replicates of ``optimum``.
    boot_coefficients : ndarray, shape (n_boot, degree + 1)
        The bootstrap replicates of ``coefficients``.
    """

    optimum: float = math.nan
    optimum_ci: tuple[float, float] = field(default_factory=_tuple2)
    loss_at_optimum: float = math.nan
    loss_at_optimum_ci: tuple[float, float] = field(default_factory=_tuple2)
    loss_at_glorot: float = math.nan
    loss_at_glorot_ci: tuple[float, float] = field(default_factory=_tuple2)
    loss_at_one: float = math.nan
    loss_at_one_ci: tuple[float, float] = field(default_factory=_tuple2)
    glorot_distance: float = math.nan
    curve: xr.DataArray = field(
        default_factory=lambda: xr.DataArray(
            np.zeros(0), dims="hidden_std", coords={"hidden_std": np.zeros(0)}, name="fitted_loss"
        )
    )
    ok: bool = False
    message: str = ""
    model: str = ""
    degree: int = 3
    coefficients: tuple[float, ...] = ()
    center: float = math.nan
    scale: float = math.nan
    window: tuple[float, float] = field(default_factory=_tuple2)
    n_points: int = 0
    n_runs: int = 0
    n_boot: int = 0
    confidence: float = 0.95
    chi2: float = math.nan
    dof: int = 0
    p_value: float = math.nan
    edge_fraction: tuple[float, float] = field(default_factory=_tuple2)
    boot_optimum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    boot_coefficients: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def predict(self, hidden_std: Any) -> np.ndarray:
        """The fitted curve at ``hidden_std`` (array_like); NaN outside the window."""
        return self._evaluate(hidden_std, np.asarray(self.coefficients, dtype=np.float64))

    def predict_boot(self, hidden_std: Any) -> np.ndarray:
        """The bootstrap replicates of the fitted curve at ``hidden_std``.

        Returns an array of shape ``(n_boot, *np.shape(hidden_std))``; NaN
        outside the window.
        """
        coefs = np.asarray(self.boot_coefficients, dtype=np.float64)
        return self._evaluate(hidden_std, coefs.T)

    def _evaluate(self, hidden_std: Any, coefs: np.ndarray) -> np.ndarray:
        s = np.asarray(hidden_std, dtype=np.float64)
        if coefs.size == 0:
            return np.full(coefs.shape[1:] + s.shape, np.nan)
        lo, hi = self.window
        inside = (s >= lo) & (s <= hi)
        t = (np.log(np.where(inside, s, 1.0)) - self.center) / self.scale
        value = np.polynomial.polynomial.polyval(t, coefs, tensor=True)
        return np.where(inside, value, np.nan)  # shape coefs.shape[1:] + s.shape

    def _rows(self) -> list[tuple[str, float, float, float]]:
        nan = math.nan
        return [
            ("optimum", self.optimum, *self.optimum_ci),
            ("loss_at_optimum", self.loss_at_optimum, *self.loss_at_optimum_ci),
            ("loss_at_glorot", self.loss_at_glorot, *self.loss_at_glorot_ci),
            ("loss_at_one", self.loss_at_one, *self.loss_at_one_ci),
            ("glorot_distance", self.glorot_distance, nan, nan),
            ("window_low", self.window[0], nan, nan),
            ("window_high", self.window[1], nan, nan),
            ("n_points", float(self.n_points), nan, nan),
            ("n_runs", float(self.n_runs), nan, nan),
            ("chi2", self.chi2, nan, nan),
            ("dof", float(self.dof), nan, nan),
            ("p_value", self.p_value, nan, nan),
            ("n_boot", float(self.n_boot), nan, nan),
        ]

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a table: index ``quantity``, columns value, ci_low, ci_high.

        ``ok``, ``message``, ``model`` and ``confidence`` are in the frame's
        ``attrs``.
        """
        frame = pd.DataFrame(
            self._rows(), columns=["quantity", "value", "ci_low", "ci_high"]
        ).set_index("quantity")
        frame.attrs.update(
            ok=self.ok, message=self.message, model=self.model, confidence=self.confidence
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for JSON): every scalar field, and the curve as two lists.

        NaN becomes None.
        """

        def clean(v: Any) -> Any:
            if isinstance(v, (tuple, list, np.ndarray)):
                return [clean(x) for x in v]
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            if isinstance(v, (int, np.integer)):
                return int(v)
            if isinstance(v, (float, np.floating)):
                return None if not math.isfinite(v) else float(v)
            return v

        out = {
            name: clean(getattr(self, name))
            for name in self.__dataclass_fields__
            if name not in ("curve", "boot_optimum", "boot_coefficients")
        }
        out["curve"] = {
            "hidden_std": clean(self.curve["hidden_std"].values),
            "fitted_loss": clean(self.curve.values),
        }
        return out

    def __repr__(self) -> str:
        pct = f"{100 * self.confidence:g}%"
        lines = [f"FitResult(ok={self.ok})"]
        if math.isfinite(self.optimum):
            lo, hi = self.optimum_ci
            lines.append(f"  optimal hidden std {self.optimum:.4g} ({pct} CI {lo:.4g} to {hi:.4g})")
        if self.model:
            lines.append(
                f"  model: {self.model}, window {self.window[0]:.4g} to {self.window[1]:.4g} "
                f"({self.n_points} points, {self.n_runs:,} runs)"
            )
        if math.isfinite(self.loss_at_optimum):
            parts = [f"{self.loss_at_optimum:,.6g} at the optimum"]
            if math.isfinite(self.loss_at_glorot):
                parts.append(f"{self.loss_at_glorot:,.6g} at 1/sqrt(2)")
            if math.isfinite(self.loss_at_one):
                parts.append(f"{self.loss_at_one:,.6g} at 1")
            lines.append("  fitted mean total loss: " + ", ".join(parts))
        if math.isfinite(self.glorot_distance):
            side = "above" if self.glorot_distance >= 0 else "below"
            lines.append(
                f"  1/sqrt(2) is {abs(self.glorot_distance):.3g} CI half-widths {side} the optimum"
            )
        if math.isfinite(self.chi2):
            lines.append(
                f"  lack of fit: chi2 {self.chi2:.4g} on {self.dof} dof (p = {self.p_value:.3g}); "
                f"bootstrap: {self.n_boot} replicates, minimum at the window's edges in "
                f"{100 * self.edge_fraction[0]:.3g}% / {100 * self.edge_fraction[1]:.3g}%"
            )
        if self.message:
            lines.append(f"  {self.message}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# The pieces of the fit
# ---------------------------------------------------------------------------


def _smoothed(u: np.ndarray, mean: np.ndarray, sem: np.ndarray, bandwidth: float) -> np.ndarray:
    """Nadaraya-Watson smoothing of the means: Gaussian kernel in log std, each
    point also weighted by 1/sem^2. ``bandwidth`` 0 returns the means."""
    if bandwidth == 0:
        return mean.copy()
    kernel = np.exp(-0.5 * ((u[:, None] - u[None, :]) / bandwidth) ** 2)
    weights = kernel / sem[None, :] ** 2
    return (weights @ mean) / weights.sum(axis=1)


def _window(smooth: np.ndarray, level: float, min_points: int) -> tuple[int, int, int]:
    """Indices (lo, hi, argmin) of the window; see :func:`fit_optimum`."""
    best = int(np.argmin(smooth))
    threshold = smooth[best] + level * abs(smooth[best])
    lo = hi = best
    while lo > 0 and smooth[lo - 1] <= threshold:
        lo -= 1
    while hi < smooth.size - 1 and smooth[hi + 1] <= threshold:
        hi += 1
    while hi - lo + 1 < min_points:  # widen towards the lower neighbour
        left = smooth[lo - 1] if lo > 0 else np.inf
        right = smooth[hi + 1] if hi < smooth.size - 1 else np.inf
        if left <= right:
            lo -= 1
        else:
            hi += 1
    return lo, hi, best


def _argmin_on_window(coefs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where polynomials of degree <= 3 in t are lowest on [-1, 1].

    Parameters
    ----------
    coefs : ndarray, shape (B, degree + 1), constant first.

    Returns
    -------
    (t, value, edge) : ndarray, shape (B,)
        The argmin, the polynomial's value there, and -1 / 0 / +1 for a
        minimum at the lower edge / inside / at the upper edge.
    """
    c = np.zeros((coefs.shape[0], 4))
    c[:, : coefs.shape[1]] = coefs
    c1, c2, c3 = c[:, 1], c[:, 2], c[:, 3]
    # p'(t) = c1 + 2 c2 t + 3 c3 t^2; its root with p'' = 2 c2 + 6 c3 t = +sqrt(D) > 0 is the
    # local minimum. Of the two algebraically equal forms, take the one without cancellation.
    disc = 4 * c2 * c2 - 12 * c3 * c1
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.sqrt(disc)
        t_min = np.where(c2 >= 0, -2 * c1 / (2 * c2 + root), (-2 * c2 + root) / (6 * c3))
    inside = (disc > 0) & np.isfinite(t_min) & (t_min > -1) & (t_min < 1)
    candidates = np.stack(
        [np.full(c1.shape, -1.0), np.where(inside, t_min, 0.0), np.ones(c1.shape)]
    )
    values = np.stack([np.polynomial.polynomial.polyval(x, c.T, tensor=False) for x in candidates])
    values[1] = np.where(inside, values[1], np.inf)
    pick = np.argmin(values, axis=0)
    cols = np.arange(c1.size)
    return candidates[pick, cols], values[pick, cols], pick.astype(np.int64) - 1


def _batched_wls(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares for many replicates at once.

    x : (n, p) design; y, w : (B, n) responses and weights. Returns (B, p).
    """
    a = np.einsum("bn,nk,nl->bkl", w, x, x)
    r = np.einsum("bn,nk->bk", w * y, x)
    return np.linalg.solve(a, r[..., None])[..., 0]


class _FitError(Exception):
    """A fit that cannot give an answer; its message says why."""


def _check_real(value: object, name: str, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not (low <= value < high) or not math.isfinite(value):
        upper = f" and < {high:g}" if math.isfinite(high) else ""
        raise ValueError(f"{name} must be a finite number >= {low:g}{upper}, got {value:g}")
    return value


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
    """Fit the minimum of the mean total loss over ``log(hidden_std)``.

    **Model.** Near its minimum the mean total loss is a smooth function of
    ``u = log(hidden_std)``, and any smooth function is a low-order polynomial
    on a short enough interval. The curve measured with ``xorsweep.train``
    is asymmetric about its minimum (steeper towards small stds, where runs
    start on a plateau, than towards large ones), so the default is a cubic:
    the lowest degree that can be asymmetric. It is fitted by weighted least
    squares (:func:`scipy.linalg.lstsq`), each point's mean weighted by
    ``1 / sem**2`` as in the article's error bars. A polynomial is linear in
    its coefficients, so the fit is exact and non-iterative, and the
    bootstrap's thousand refits are one batched solve. The optimum is the std
    at which the fitted polynomial is lowest inside the window.

    **Window.** The means are first smoothed (Gaussian kernel of width
    ``smooth`` in ``u``, each point also weighted by ``1/sem**2``; ``smooth=0``
    takes the means as they are). The window is the contiguous range of grid
    points around the smallest smoothed mean where the smoothed mean stays
    within ``level`` (a fraction, default 25%) of that minimum; if it holds
    fewer than ``min_points`` points it is widened one point at a time towards
    the lower of its two neighbours. A relative level adapts the window to the
    curve's width whatever the number of epochs, and keeps the fit local. On
    2,000 runs at each of the article's 175 stds between 0.15 and 3.2 (10,000
    epochs), 25% above the minimum spans stds 0.30 to 1.45 (90 points); there
    the cubic follows the means within their errors (chi2 90.0 on 86 dof,
    p = 0.36) and its optimum hardly moves with the level (0.587 to 0.605 for
    levels 0.10 to 0.35), while a quadratic's drifts from 0.610 to 0.650 and
    misses the means at level 0.35 (p = 0.0009): the curve's asymmetry is
    real (``python benchmarks/bench_fit.py --model-check``).

    **Confidence interval.** A percentile bootstrap over runs: at every point
    of the window, the present runs are resampled with replacement (as many
    as there are), the means and standard errors recomputed, the same model
    refitted on the same window with the new weights, and its optimum taken;
    the interval holds the central ``confidence`` of the ``n_boot`` optima.
    The window is kept fixed in the replicates (the interval is conditional on
    it). On synthetic sweeps with a planted cubic optimum and skewed, bimodal
    per-run noise (41 stds, 400 runs each, 300 replicates) the 95% interval
    covered the truth in 946 of 1,000 repeats (``python
    benchmarks/bench_fit.py --coverage 1000``; ``tests/test_fit.py`` checks
    200). The cost is in the resampling: for 88 window points of 10,000 runs
    and 1,000 replicates, about 5 s (``--timing``).

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep's results: ``total_loss`` over (hidden_std, run). Other
        dimensions must have length 1: to fit a grid over ``output_std`` or
        ``lr``, select one slice (``ds.sel(output_std=...)``) and fit each.
    degree : {2, 3}
        Degree of the polynomial in ``log(hidden_std)``.
    level : float
        The window's height above the smoothed minimum, as a fraction of it (> 0).
    smooth : float
        Width of the smoothing kernel in ``log(hidden_std)`` (>= 0), used only
        to find the minimum and the window.
    min_runs : int
        Points with fewer present runs (>= 2) are left out.
    min_points : int, optional
        Fewest points in the window; default ``degree + 3`` (two degrees of
        freedom for the lack-of-fit test), at least ``degree + 2``.
    n_boot : int
        Bootstrap replicates (>= 20).
    confidence : float
        Coverage of the intervals, in (0, 1).
    rng : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of the bootstrap's randomness; a seed gives the same interval
        every time.
    errors : {"raise", "ignore"}
        What to do when the data do not allow a fit: ``"raise"`` raises
        ValueError with the reason; ``"ignore"`` returns a FitResult with
        ``ok=False`` and the reason in ``message``.

    Returns
    -------
    FitResult

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type or range, or a Dataset of the wrong
        shape, whatever ``errors`` says. With ``errors="raise"``, ValueError
        also when the fit fails: no point with at least ``min_runs`` present
        runs (all-NaN results), fewer than ``min_points`` such points, the
        smallest smoothed mean at the first or last point (no interior
        minimum), a fitted curve lowest at an edge of its window, or an
        interval reaching an edge of the window (more than ``(1 -
        confidence) / 2`` of the replicates have their minimum there, so the
        interval's end is the window's, not the data's).

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
    ds = _check_results(ds, "ds", ("total_loss",))
    ds = along_hidden_std(ds, "ds")
    degree = check_count(degree, "degree", minimum=2)
    if degree not in DEGREES:
        raise ValueError(f"degree must be 2 or 3, got {degree}")
    level = _check_real(level, "level", 0.0)
    if level == 0:
        raise ValueError("level must be a finite number > 0, got 0")
    smooth = _check_real(smooth, "smooth", 0.0)
    min_runs = check_count(min_runs, "min_runs", minimum=2)
    if min_points is None:
        min_points = degree + 3
    min_points = check_count(min_points, "min_points", minimum=degree + 2)
    n_boot = check_count(n_boot, "n_boot", minimum=20)
    confidence = _check_confidence(confidence)
    generator = make_rng(rng)
    errors = check_choice(errors, "errors", ("raise", "ignore"))
    settings = dict(degree=degree, n_boot=n_boot, confidence=confidence)
    try:
        result = _fit(ds, level, smooth, min_runs, min_points, generator, **settings)
    except _FitError as exc:
        result = FitResult(ok=False, message=str(exc), **settings)
    if not result.ok and errors == "raise":
        raise ValueError(f"fit_optimum: {result.message}")
    return result


def _fit(
    ds: xr.Dataset,
    level: float,
    smooth: float,
    min_runs: int,
    min_points: int,
    rng: np.random.Generator,
    *,
    degree: int,
    n_boot: int,
    confidence: float,
) -> FitResult:
    from scipy import linalg, stats

    stds = np.asarray(ds.hidden_std.values, dtype=np.float64)
    loss = np.asarray(ds.total_loss.transpose("hidden_std", "run").values, dtype=np.float64)
    count, mean, sem = point_stats(loss)
    if not np.any(count):
        raise _FitError("no present runs: every total_loss is NaN")
    usable = (stds > 0) & (count >= min_runs) & np.isfinite(sem) & (sem > 0)
    if not usable.any():
        raise _FitError(
            f"too few runs: no hidden_std > 0 has at least min_runs={min_runs} present runs "
            f"with distinct losses (most at one point: {int(count.max())})"
        )
    if usable.sum() < min_points:
        raise _FitError(
            f"too few points: {int(usable.sum())} hidden_std values > 0 have at least "
            f"min_runs={min_runs} runs, the {_MODEL_NAMES[degree]} fit needs "
            f"min_points={min_points}"
        )
    s, loss, count, mean, sem = stds[usable], loss[usable], count[usable], mean[usable], sem[usable]
    u = np.log(s)
    smoothed = _smoothed(u, mean, sem, smooth)
    lo, hi, best = _window(smoothed, level, min_points)
    if best in (0, s.size - 1):
        side = "smallest" if best == 0 else "largest"
        raise _FitError(
            f"no interior minimum: the lowest (smoothed) mean total loss is at the {side} "
            f"hidden_std, {s[best]:.4g}; extend the grid beyond it"
        )
    sl = slice(lo, hi + 1)
    center, scale = (u[lo] + u[hi]) / 2, (u[hi] - u[lo]) / 2
    t = (u[sl] - center) / scale
    design = np.vander(t, degree + 1, increasing=True)  # (n, p): 1, t, t^2, ...
    w = 1.0 / sem[sl] ** 2
    root_w = np.sqrt(w)
    coefs = linalg.lstsq(design * root_w[:, None], mean[sl] * root_w)[0]
    resid = mean[sl] - design @ coefs
    chi2 = float(np.sum(w * resid * resid))
    dof = int(t.size - degree - 1)
    p_value = float(stats.chi2.sf(chi2, dof))
    t_opt, loss_opt, edge = _argmin_on_window(coefs[None, :])

    # bootstrap over runs, the window fixed
    boot_mean, boot_var = bootstrap_means(loss[sl], n_boot, rng)
    with np.errstate(divide="ignore"):
        boot_w = count[sl] / boot_var
    # a replicate that drew one value n times has no spread: keep the point's own weight
    boot_w = np.where(np.isfinite(boot_w) & (boot_var > 0), boot_w, w)
    boot_coefs = _batched_wls(design, boot_mean, boot_w)
    boot_t, boot_loss, boot_edge = _argmin_on_window(boot_coefs)
    boot_opt = np.exp(center + scale * boot_t)

    def ci(draws: np.ndarray) -> tuple[float, float]:
        low, high = percentile_interval(draws, confidence)
        return float(low), float(high)

    window = (float(s[lo]), float(s[hi]))
    optimum = float(np.exp(center + scale * t_opt[0]))
    optimum_ci = ci(boot_opt)
    edge_fraction = (float(np.mean(boot_edge == -1)), float(np.mean(boot_edge == 1)))
    notes, ok = [], True
    if edge[0] != 0:
        ok = False
        optimum, optimum_ci = math.nan, _tuple2()
        notes.append(
            f"the fitted {_MODEL_NAMES[degree]} is lowest at the "
            f"{'lower' if edge[0] < 0 else 'upper'} edge of its window "
            f"{window[0]:.4g} to {window[1]:.4g}: no minimum inside it"
        )
    elif max(edge_fraction) > (1 - confidence) / 2:
        ok = False
        notes.append(
            f"the {100 * confidence:g}% interval reaches the window's edge (minimum at the "
            f"lower/upper edge in {100 * edge_fraction[0]:.3g}%/{100 * edge_fraction[1]:.3g}% "
            f"of the replicates): add runs, or widen the window with a larger level"
        )
    if p_value < 1e-3:
        notes.append(
            f"lack of fit: chi2 {chi2:.4g} on {dof} dof (p = {p_value:.2g}): the "
            f"{_MODEL_NAMES[degree]} misses the means by more than their errors, so the "
            "interval is too narrow; try a smaller level"
        )

    def at(x: float, name: str) -> tuple[float, tuple[float, float]]:
        if not window[0] <= x <= window[1]:
            notes.append(
                f"{name} lies outside the window {window[0]:.4g} to {window[1]:.4g}: "
                f"the fitted loss there is not given"
            )
            return math.nan, _tuple2()
        tx = (math.log(x) - center) / scale
        value = float(np.polynomial.polynomial.polyval(tx, coefs))
        return value, ci(np.polynomial.polynomial.polyval(tx, boot_coefs.T))

    loss_glorot, loss_glorot_ci = at(GLOROT_STD, "1/sqrt(2)")
    loss_one, loss_one_ci = at(1.0, "1")
    lo_ci, hi_ci = optimum_ci
    if not math.isfinite(optimum):
        distance = math.nan
    elif GLOROT_STD >= optimum:
        distance = (GLOROT_STD - optimum) / (hi_ci - optimum) if hi_ci > optimum else math.inf
    else:
        distance = (GLOROT_STD - optimum) / (optimum - lo_ci) if optimum > lo_ci else -math.inf
    grid = np.geomspace(window[0], window[1], CURVE_POINTS)
    curve_t = (np.log(grid) - center) / scale
    model = f"weighted {_MODEL_NAMES[degree]} in log(hidden_std)"
    curve = xr.DataArray(
        np.polynomial.polynomial.polyval(curve_t, coefs),
        dims="hidden_std",
        coords={"hidden_std": grid},
        name="fitted_loss",
        attrs={"long_name": "fitted mean total loss", "model": model},
    )
    return FitResult(
        optimum=optimum,
        optimum_ci=optimum_ci,
        loss_at_optimum=float(loss_opt[0]) if math.isfinite(optimum) else math.nan,
        loss_at_optimum_ci=ci(boot_loss) if math.isfinite(optimum) else _tuple2(),
        loss_at_glorot=loss_glorot,
        loss_at_glorot_ci=loss_glorot_ci,
        loss_at_one=loss_one,
        loss_at_one_ci=loss_one_ci,
        glorot_distance=float(distance),
        curve=curve,
        ok=ok,
        message="; ".join(notes),
        model=model,
        degree=degree,
        coefficients=tuple(float(c) for c in coefs),
        center=float(center),
        scale=float(scale),
        window=window,
        n_points=int(t.size),
        n_runs=int(count[sl].sum()),
        n_boot=n_boot,
        confidence=confidence,
        chi2=chi2,
        dof=dof,
        p_value=p_value,
        edge_fraction=edge_fraction,
        boot_optimum=boot_opt,
        boot_coefficients=boot_coefs,
    )
