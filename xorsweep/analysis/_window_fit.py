"""The steps of :func:`xorsweep.analysis.fit.fit_optimum`: the points, the window, the fits.

A polynomial in ``t``, the log std scaled to run from -1 to 1 across the
window, is fitted by weighted least squares. It is linear in its
coefficients, so the fit is exact and non-iterative, and the bootstrap's
refits are one batched solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .stats import bootstrap_means, point_stats

__all__ = [
    "MODEL_NAMES",
    "FitError",
    "Points",
    "WindowFit",
    "usable_points",
    "window_around_minimum",
    "fit_window",
    "bootstrap_coefficients",
    "BootWindows",
    "bootstrap_windows",
    "bootstrap_wls",
    "replicate_wls",
    "smoothed_means",
    "argmin_on_window",
]

#: The polynomials by degree, in words.
MODEL_NAMES = {2: "quadratic", 3: "cubic"}


class FitError(Exception):
    """A fit that cannot give an answer; its message says why."""


@dataclass(frozen=True)
class Points:
    """The grid points that can be fitted, by increasing std, shapes (point,) and (point, run)."""

    stds: np.ndarray
    loss: np.ndarray  # every run's total loss, NaN for absent runs
    count: np.ndarray
    mean: np.ndarray
    sem: np.ndarray


def usable_points(ds: xr.Dataset, min_runs: int, min_points: int, degree: int) -> Points:
    """The points with a std > 0 and at least ``min_runs`` runs of distinct losses."""
    stds = np.asarray(ds.hidden_std.values, dtype=np.float64)
    loss = np.asarray(ds.total_loss.transpose("hidden_std", "run").values, dtype=np.float64)
    count, mean, sem = point_stats(loss)
    if not np.any(count):
        raise FitError("no present runs: every total_loss is NaN")
    usable = (stds > 0) & (count >= min_runs) & np.isfinite(sem) & (sem > 0)
    if not usable.any():
        raise FitError(
            f"too few runs: no hidden_std > 0 has at least min_runs={min_runs} present runs "
            f"with distinct losses (most at one point: {int(count.max())})"
        )
    if usable.sum() < min_points:
        raise FitError(
            f"too few points: {int(usable.sum())} hidden_std values > 0 have at least "
            f"min_runs={min_runs} runs, the {MODEL_NAMES[degree]} fit needs "
            f"min_points={min_points}"
        )
    return Points(stds[usable], loss[usable], count[usable], mean[usable], sem[usable])


def window_around_minimum(
    points: Points, level: float, smooth: float, min_points: int
) -> tuple[int, int]:
    """First and last index of the window, around an interior minimum of the smoothed means."""
    smoothed = smoothed_means(np.log(points.stds), points.mean, points.sem, smooth)
    lo, hi, best = _window(smoothed, level, min_points)
    if best in (0, points.stds.size - 1):
        side = "smallest" if best == 0 else "largest"
        raise FitError(
            f"no interior minimum: the lowest (smoothed) mean total loss is at the {side} "
            f"hidden_std, {points.stds[best]:.4g}; extend the grid beyond it"
        )
    return lo, hi


@dataclass(frozen=True)
class WindowFit:
    """The weighted polynomial fitted to the means of the window's points."""

    window: slice  # the window's points among the usable ones
    center: float  # t = (log(std) - center) / scale runs from -1 to 1 across the window
    scale: float
    design: np.ndarray  # (n, degree + 1): 1, t, t^2, ...
    weights: np.ndarray  # (n,): 1 / sem^2
    coefs: np.ndarray  # (degree + 1,), constant first
    chi2: float
    dof: int
    p_value: float


def fit_window(points: Points, lo: int, hi: int, degree: int) -> WindowFit:
    """Weighted least squares of the means on the window, and its lack of fit."""
    from scipy import linalg, stats

    u = np.log(points.stds)
    sl = slice(lo, hi + 1)
    center, scale = (u[lo] + u[hi]) / 2, (u[hi] - u[lo]) / 2
    t = (u[sl] - center) / scale
    design = np.vander(t, degree + 1, increasing=True)  # (n, p): 1, t, t^2, ...
    mean = points.mean[sl]
    w = 1.0 / points.sem[sl] ** 2
    root_w = np.sqrt(w)
    coefs = linalg.lstsq(design * root_w[:, None], mean * root_w)[0]
    resid = mean - design @ coefs
    chi2 = float(np.sum(w * resid * resid))
    dof = int(t.size - degree - 1)
    p_value = float(stats.chi2.sf(chi2, dof))
    return WindowFit(sl, center, scale, design, w, coefs, chi2, dof, p_value)


def bootstrap_coefficients(
    points: Points, fitted: WindowFit, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """The polynomial refitted on each bootstrap replicate of the runs, (n_boot, degree + 1).

    The window stays fixed in the replicates: the interval is conditional on it.
    """
    sl = fitted.window
    return bootstrap_wls(
        points.loss[sl], points.count[sl], fitted.design, fitted.weights, n_boot, rng
    )


@dataclass(frozen=True)
class BootWindows:
    """Bootstrap replicates that each choose their own window, as the fit chose its own.

    ``coefs`` (n_boot, degree + 1) are in the fit's scaled variable ``t``;
    ``t_low``, ``t_high`` (n_boot,) are the ends of each replicate's window in
    ``t``, ``t_min`` and ``loss`` where its polynomial is lowest on them, and
    ``edge`` -1 / 0 / +1 whether that is its window's lower end, inside, or its
    upper end (also -1 / +1 when the replicate's smoothed means are lowest at
    the grid's end).
    """

    coefs: np.ndarray
    t_low: np.ndarray
    t_high: np.ndarray
    t_min: np.ndarray
    loss: np.ndarray
    edge: np.ndarray


def bootstrap_windows(
    points: Points,
    fitted: WindowFit,
    level: float,
    smooth: float,
    min_points: int,
    n_boot: int,
    rng: np.random.Generator,
) -> BootWindows:
    """Each replicate of the runs smoothed, windowed and fitted as :func:`fit_window` did.

    The replicates draw from the points that the window could reach: those
    within twice ``level`` of the smoothed minimum, and two points beyond on
    each side (fewer at the grid's ends); their smoothing sees only those
    points. Replicates with the same window are refitted in one batched solve.
    """
    smoothed = smoothed_means(np.log(points.stds), points.mean, points.sem, smooth)
    lo_c, hi_c, _ = _window(smoothed, 2 * level, min_points)
    lo_c, hi_c = max(lo_c - 2, 0), min(hi_c + 2, points.stds.size - 1)
    reach = slice(lo_c, hi_c + 1)
    count = points.count[reach]
    boot_mean, boot_var = bootstrap_means(points.loss[reach], n_boot, rng)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_w = count / boot_var
    own_w = 1.0 / points.sem[reach] ** 2
    boot_w = np.where(np.isfinite(boot_w) & (boot_var > 0), boot_w, own_w)  # (n_boot, n)
    u = np.log(points.stds[reach])
    t = (u - fitted.center) / fitted.scale
    if smooth > 0:
        kernel = np.exp(-0.5 * ((u[:, None] - u[None, :]) / smooth) ** 2)
        smoothed_b = ((boot_w * boot_mean) @ kernel.T) / (boot_w @ kernel.T)
    else:
        smoothed_b = boot_mean
    degree = fitted.coefs.size - 1
    coefs = np.zeros((n_boot, degree + 1))
    ends = np.zeros((n_boot, 2), dtype=np.int64)
    grid_edge = np.zeros(n_boot, dtype=np.int64)
    for b in range(n_boot):
        lo, hi, best = _window(smoothed_b[b], level, min(min_points, u.size))
        ends[b] = lo, hi
        if best in (0, u.size - 1) and (lo_c + best in (0, points.stds.size - 1)):
            grid_edge[b] = -1 if best == 0 else 1
    for lo, hi in np.unique(ends, axis=0):
        group = np.flatnonzero((ends[:, 0] == lo) & (ends[:, 1] == hi))
        design = np.vander(t[lo : hi + 1], degree + 1, increasing=True)
        sl = slice(lo, hi + 1)
        coefs[group] = _batched_wls(design, boot_mean[group, sl], boot_w[group, sl])
    t_low, t_high = t[ends[:, 0]], t[ends[:, 1]]
    t_min, loss, edge = argmin_on_window(coefs, t_low, t_high)
    edge = np.where(grid_edge != 0, grid_edge, edge)
    return BootWindows(coefs, t_low, t_high, t_min, loss, edge)


def bootstrap_wls(
    loss: np.ndarray,
    count: np.ndarray,
    design: np.ndarray,
    weights: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Weighted least squares of the means refitted on bootstrap replicates of the runs.

    Parameters
    ----------
    loss : ndarray, shape (n, run)
        The fitted points' total losses, NaN for absent runs.
    count : ndarray, shape (n,)
        Their present runs.
    design : ndarray, shape (n, p)
        The model's design matrix.
    weights : ndarray, shape (n,)
        The points' own weights, ``1 / sem**2``.
    n_boot : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n_boot, p)
        Each replicate's coefficients, its points weighted by ``count / variance``.
    """
    boot_mean, boot_var = bootstrap_means(loss, n_boot, rng)
    return replicate_wls(design, boot_mean, boot_var, count, weights)


def replicate_wls(
    design: np.ndarray,
    boot_mean: np.ndarray,
    boot_var: np.ndarray,
    count: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """:func:`bootstrap_wls` from the replicates' means and variances, (n_boot, n) each."""
    with np.errstate(divide="ignore"):
        boot_w = count / boot_var
    # a replicate that drew one value n times has no spread: keep the point's own weight
    boot_w = np.where(np.isfinite(boot_w) & (boot_var > 0), boot_w, weights)
    return _batched_wls(design, boot_mean, boot_w)


def smoothed_means(
    u: np.ndarray, mean: np.ndarray, sem: np.ndarray, bandwidth: float
) -> np.ndarray:
    """Nadaraya-Watson smoothing of the means: a Gaussian kernel in log std, each
    point also weighted by 1/sem^2. ``bandwidth`` 0 returns the means.

    ``u`` holds the points' log stds, shape (n,) along one axis or (n, k) in k
    dimensions; ``mean`` and ``sem`` have shape (n,).
    """
    if bandwidth == 0:
        return mean.copy()
    if u.ndim == 1:
        kernel = np.exp(-0.5 * ((u[:, None] - u[None, :]) / bandwidth) ** 2)
    else:
        kernel = np.exp(-0.5 * (((u[:, None, :] - u[None, :, :]) / bandwidth) ** 2).sum(axis=-1))
    weights = kernel / sem[None, :] ** 2
    return (weights @ mean) / weights.sum(axis=1)


def _window(smooth: np.ndarray, level: float, min_points: int) -> tuple[int, int, int]:
    """Indices (lo, hi, argmin) of the window; see :func:`xorsweep.fit_optimum`."""
    best = int(np.argmin(smooth))
    # a level relative to the minimum follows the curve's width whatever the number of
    # epochs, and keeps the fit local
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


def argmin_on_window(
    coefs: np.ndarray, low: np.ndarray | float = -1.0, high: np.ndarray | float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where polynomials of degree <= 3 in t are lowest on [low, high] (default [-1, 1]).

    Parameters
    ----------
    coefs : ndarray, shape (B, degree + 1), constant first.
    low, high : float or ndarray, shape (B,)
        Each polynomial's interval.

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
    low = np.broadcast_to(np.asarray(low, dtype=np.float64), c1.shape)
    high = np.broadcast_to(np.asarray(high, dtype=np.float64), c1.shape)
    inside = (disc > 0) & np.isfinite(t_min) & (t_min > low) & (t_min < high)
    candidates = np.stack([low, np.where(inside, t_min, (low + high) / 2), high])
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
