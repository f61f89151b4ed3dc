"""The steps of :func:`~xorsweep.analysis.surface.fit_surface`: points, window, polynomial.

The surface is a polynomial in ``(x, y)``, the log hidden and log output std
scaled to run from -1 to 1 across the window's bounding box. It is linear in
its coefficients, so the fit and the bootstrap's refits are weighted least
squares, as along one std (:mod:`xorsweep.analysis._window_fit`). Its minimum is
searched inside the convex hull of the window's points, the region where the
surface was fitted to data.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ._window_fit import FitError, smoothed_means
from .stats import point_stats

__all__ = [
    "Grid",
    "Surface",
    "grid_points",
    "surface_window",
    "grid_lookup",
    "fit_polynomial",
    "exponents",
    "monomials",
    "minimize",
    "inside_hull",
]

#: Newton steps to refine a minimum found on the fine grid, and the step size that ends them.
NEWTON_STEPS, NEWTON_TOL = 50, 1e-12

#: Points per side of the fine grid over the window's box on which the minimum is first sought.
FINE = 81


@dataclass(frozen=True)
class Grid:
    """The usable grid points, flat: shapes (n,), (n, 2) and (n, run)."""

    index: np.ndarray  # (n, 2): each point's (hidden_std, output_std) index in the grid
    lookup: np.ndarray  # (hidden_std, output_std): each grid point's index here, -1 if unusable
    axes: tuple[np.ndarray, np.ndarray]  # the grid's hidden and output stds, ascending
    stds: np.ndarray  # (n, 2): hidden and output std
    loss: np.ndarray  # (n, run): every run's total loss, NaN for absent runs
    count: np.ndarray
    mean: np.ndarray
    sem: np.ndarray


def grid_points(ds: xr.Dataset, min_runs: int, min_points: int) -> Grid:
    """The points with both stds > 0 and at least ``min_runs`` runs of distinct losses."""
    loss = np.asarray(
        ds.total_loss.transpose("hidden_std", "output_std", "run").values, dtype=np.float64
    )
    h = np.asarray(ds.hidden_std.values, dtype=np.float64)
    o = np.asarray(ds.output_std.values, dtype=np.float64)
    count, mean, sem = point_stats(loss)
    if not np.any(count):
        raise FitError("no present runs: every total_loss is NaN")
    usable = (h[:, None] > 0) & (o[None, :] > 0) & (count >= min_runs)
    usable &= np.isfinite(sem) & (sem > 0)
    if usable.sum() < min_points:
        raise FitError(
            f"too few points: {int(usable.sum())} (hidden_std, output_std) pairs > 0 have at "
            f"least min_runs={min_runs} runs of distinct losses, the fit needs "
            f"min_points={min_points}"
        )
    index = np.argwhere(usable)
    lookup = np.full(usable.shape, -1)
    lookup[tuple(index.T)] = np.arange(index.shape[0])
    stds = np.stack([h[index[:, 0]], o[index[:, 1]]], axis=1)
    i, j = index.T
    return Grid(index, lookup, (h, o), stds, loss[i, j], count[i, j], mean[i, j], sem[i, j])


def surface_window(
    grid: Grid, level: float, smooth: float, min_points: int, degree: int
) -> np.ndarray:
    """The window: indices of the points, connected to the smoothed minimum, within ``level``.

    The means are smoothed (:func:`xorsweep.analysis._window_fit.smoothed_means`, in
    both log stds); the window is the 4-connected set of grid points around
    the lowest one where the smoothed mean stays within ``level`` of the
    minimum, widened by the lowest neighbours to ``min_points`` points and
    ``degree + 1`` values along each std.
    """
    smoothed = smoothed_means(np.log(grid.stds), grid.mean, grid.sem, smooth)
    best = int(np.argmin(smoothed))
    _check_interior(grid, best)
    lookup = grid.lookup
    threshold = smoothed[best] + level * abs(smoothed[best])
    inside = {best}
    queue = deque([best])
    while queue:  # the connected points under the threshold
        for k in _neighbours(grid.index[queue.popleft()], lookup):
            if k not in inside and smoothed[k] <= threshold:
                inside.add(k)
                queue.append(k)
    while not _wide_enough(grid.index[sorted(inside)], min_points, degree):
        around = {k for p in inside for k in _neighbours(grid.index[p], lookup)} - inside
        if not around:
            raise FitError(
                f"too few points: the window around the minimum cannot reach min_points="
                f"{min_points} points and {degree + 1} values of each std"
            )
        inside.add(min(around, key=lambda k: smoothed[k]))
    return np.array(sorted(inside))


def _check_interior(grid: Grid, best: int) -> None:
    """Raise unless the point ``best`` lies inside the grid along both stds."""
    for axis, name in enumerate(("hidden_std", "output_std")):
        at = grid.index[best, axis]
        if at in (0, grid.lookup.shape[axis] - 1):
            side = "smallest" if at == 0 else "largest"
            raise FitError(
                f"no interior minimum: the lowest (smoothed) mean total loss is at the {side} "
                f"{name}, {grid.stds[best, axis]:.4g}; extend the grid beyond it"
            )


def _neighbours(at: np.ndarray, lookup: np.ndarray) -> list[int]:
    """The usable points next to grid index ``at`` along either std."""
    out = []
    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        i, j = at[0] + di, at[1] + dj
        if 0 <= i < lookup.shape[0] and 0 <= j < lookup.shape[1] and lookup[i, j] >= 0:
            out.append(int(lookup[i, j]))
    return out


def _wide_enough(index: np.ndarray, min_points: int, degree: int) -> bool:
    distinct = min(np.unique(index[:, 0]).size, np.unique(index[:, 1]).size)
    return index.shape[0] >= min_points and distinct >= degree + 1


def grid_lookup(grid: Grid, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The four grid points around each (hidden_std, output_std) pair, for bilinear interpolation.

    Parameters
    ----------
    pairs : ndarray, shape (2, r)

    Returns
    -------
    (corners, weights) : ndarray, shapes (r, 4)
        The corners' indices among the usable points, -1 where a corner has
        no usable point or the pair lies outside the grid; their weights,
        bilinear in the log stds (summing to 1).
    """
    r = pairs.shape[1]
    lower, frac = np.zeros((2, r), dtype=np.int64), np.zeros((2, r))
    outside = np.zeros(r, dtype=bool)
    for k, values in enumerate(grid.axes):
        t = pairs[k]
        outside |= ~np.isfinite(t) | (t < values[0]) | (t > values[-1])
        hi = np.clip(np.searchsorted(values, t), 1, values.size - 1)
        lower[k] = hi - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.log(t / values[hi - 1]) / np.log(values[hi] / values[hi - 1])
        frac[k] = np.where(outside, 0.0, f)
    corners, weights = [], []
    for di, dj in ((0, 0), (1, 0), (0, 1), (1, 1)):
        corners.append(grid.lookup[lower[0] + di, lower[1] + dj])
        weights.append((frac[0] if di else 1 - frac[0]) * (frac[1] if dj else 1 - frac[1]))
    corners_arr = np.stack(corners, axis=1)
    corners_arr[outside] = -1
    return corners_arr, np.stack(weights, axis=1)


def exponents(degree: int) -> np.ndarray:
    """The monomials ``x**i * y**j`` with ``i + j <= degree``, as rows ``(i, j)``.

    >>> exponents(2).tolist()
    [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
    """
    return np.array([(t - j, j) for t in range(degree + 1) for j in range(t + 1)])


def monomials(xy: np.ndarray, powers: np.ndarray, d: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The monomials at points ``xy`` (m, 2), or their derivative of order ``d``, (m, p)."""
    out = np.ones((xy.shape[0], powers.shape[0]))
    for axis in (0, 1):
        p = powers[:, axis]
        factor = np.ones(p.shape)
        for k in range(d[axis]):
            factor = factor * (p - k)
        out *= factor * xy[:, axis : axis + 1] ** np.maximum(p - d[axis], 0)
    return out


@dataclass(frozen=True)
class Surface:
    """The weighted polynomial fitted to the means of the window's points."""

    window: np.ndarray  # (n,): the window's points among the usable ones
    center: np.ndarray  # (2,): (x, y) = (log stds - center) / scale in [-1, 1] on the window
    scale: np.ndarray  # (2,)
    powers: np.ndarray  # (p, 2): exponents of x and y
    design: np.ndarray  # (n, p)
    weights: np.ndarray  # (n,): 1 / sem^2
    coefs: np.ndarray  # (p,)
    hull: np.ndarray  # (k, 3): the window's convex hull, a x + b y + c <= 0 inside
    chi2: float
    dof: int
    p_value: float


def fit_polynomial(grid: Grid, window: np.ndarray, degree: int) -> Surface:
    """Weighted least squares of the window's means, its lack of fit and its hull."""
    from scipy import linalg, spatial, stats

    u = np.log(grid.stds[window])
    lo, hi = u.min(axis=0), u.max(axis=0)
    center, scale = (lo + hi) / 2, (hi - lo) / 2
    xy = (u - center) / scale
    powers = exponents(degree)
    design = monomials(xy, powers)
    mean, w = grid.mean[window], 1.0 / grid.sem[window] ** 2
    root_w = np.sqrt(w)
    coefs, _, rank, _ = linalg.lstsq(design * root_w[:, None], mean * root_w)
    if rank < powers.shape[0]:
        raise FitError(f"the window's {window.size} points do not determine the surface")
    resid = mean - design @ coefs
    chi2 = float(np.sum(w * resid * resid))
    dof = int(window.size - powers.shape[0])
    hull = spatial.ConvexHull(xy).equations
    return Surface(
        window, center, scale, powers, design, w, coefs, hull, chi2, dof, stats.chi2.sf(chi2, dof)
    )


def inside_hull(hull: np.ndarray, xy: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Whether each point of ``xy`` (..., 2) lies in the hull (``Surface.hull``), shape (...)."""
    return np.all(xy @ hull[:, :2].T + hull[:, 2] <= tol, axis=-1)


def minimize(surface: Surface, coefs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each polynomial of ``coefs`` (B, p) is lowest in the window's hull.

    First on a fine grid over the hull, then by Newton's method from there.
    A minimum is interior if Newton converges, inside the hull, to a point
    where the Hessian is positive definite and the value is no higher than
    the fine grid's lowest; otherwise the lowest value is at the hull's edge,
    and the fine grid's argmin is returned.

    Returns
    -------
    (xy, value, interior) : ndarray, shapes (B, 2), (B,), (B,)
    """
    axis = np.linspace(-1.0, 1.0, FINE)
    fine = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    fine = fine[inside_hull(surface.hull, fine)]
    values = monomials(fine, surface.powers) @ coefs.T  # (m, B)
    pick = np.argmin(values, axis=0)
    start, start_value = fine[pick], values[pick, np.arange(coefs.shape[0])]
    xy = start.copy()
    with np.errstate(all="ignore"):  # a replicate whose Newton step fails stops (below)
        for _ in range(NEWTON_STEPS):
            grad, hess = _derivatives(surface.powers, coefs, xy)
            det = hess[:, 0, 0] * hess[:, 1, 1] - hess[:, 0, 1] ** 2
            step = (
                np.stack(
                    [
                        hess[:, 1, 1] * grad[:, 0] - hess[:, 0, 1] * grad[:, 1],
                        hess[:, 0, 0] * grad[:, 1] - hess[:, 0, 1] * grad[:, 0],
                    ],
                    axis=-1,
                )
                / det[:, None]
            )
            step = np.where(np.isfinite(step), step, 0.0)
            xy = np.clip(xy - step, -2.0, 2.0)  # far outside the hull is not interior anyway
            if np.max(np.abs(step)) < NEWTON_TOL:
                break
    grad, hess = _derivatives(surface.powers, coefs, xy)
    value = np.einsum("bp,bp->b", monomials(xy, surface.powers), coefs)
    definite = (hess[:, 0, 0] > 0) & (hess[:, 0, 0] * hess[:, 1, 1] > hess[:, 0, 1] ** 2)
    small = np.abs(grad).max(axis=1) <= 1e-6 * np.maximum(np.abs(value), 1.0)
    lower = value <= start_value + 1e-12 * np.abs(start_value)
    interior = definite & small & inside_hull(surface.hull, xy) & lower
    xy = np.where(interior[:, None], xy, start)
    return xy, np.where(interior, value, start_value), interior


def _derivatives(
    powers: np.ndarray, coefs: np.ndarray, xy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient (B, 2) and Hessian (B, 2, 2) of each polynomial at its own point."""

    def d(order: tuple[int, int]) -> np.ndarray:
        return np.einsum("bp,bp->b", monomials(xy, powers, order), coefs)

    gx, gy = d((1, 0)), d((0, 1))
    hxx, hxy, hyy = d((2, 0)), d((1, 1)), d((0, 2))
    hess = np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)
    return np.stack([gx, gy], -1), hess
