"""The joint optimum of the hidden and output stds: a weighted polynomial surface near the minimum.

See :func:`fit_surface` for the model, the window, the confidence region and
the ways a fit can fail; :func:`xorsweep.fit_optimum` is the same idea along
the hidden std alone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from .._core.checks import check_choice
from ..model.initialization import INIT_RULES
from ..sweeps.combining import check_configuration
from ._surface_fit import (
    Grid,
    Surface,
    fit_polynomial,
    grid_lookup,
    grid_points,
    inside_hull,
    minimize,
    monomials,
    surface_window,
)
from ._window_fit import MODEL_NAMES, FitError, replicate_wls
from .fit import THIN_DOF, FitSettings, check_settings, plain_value
from .slices import slice_rules
from .stats import bootstrap_means, check_results, make_rng, only_dims, percentile_interval

__all__ = ["SurfaceFit", "fit_surface", "RULE_VARIABLES"]

#: The variables of :attr:`SurfaceFit.rules`, each over ``rule``.
RULE_VARIABLES = (
    "hidden_std",
    "output_std",
    "loss",
    "loss_low",
    "loss_high",
    "penalty",
    "penalty_low",
    "penalty_high",
    "distance",
    "source",
)

#: Points on the boundary of the confidence region (:meth:`SurfaceFit.region_boundary`).
BOUNDARY_POINTS = 181

_NAN2 = (math.nan, math.nan)


@dataclass(frozen=True, eq=False, repr=False)
class SurfaceFit:
    """The fitted minimum of the mean total loss over the hidden and output stds.

    Made by :func:`fit_surface`. Losses are mean total losses from the fitted
    surface, intervals percentile bootstrap intervals over runs at the level
    ``confidence``. When ``ok`` is false there is no optimum: ``reason`` says
    why in words, and the optimum, its intervals and region, the loss there
    and the rules' penalties and distances are NaN. In :meth:`to_dict` an
    interval ``x_ci`` is ``x_low`` and ``x_high``, as everywhere else.

    Attributes
    ----------
    optimum : (float, float)
        The (hidden_std, output_std) where the surface is lowest in the window.
    hidden_ci, output_ci : (float, float)
        Each std's marginal interval.
    loss_at_optimum : float
        The surface there, with ``loss_at_optimum_ci``.
    region_covariance : ndarray, shape (2, 2)
        Covariance of the replicates' optima in (log hidden_std, log output_std).
    region_radius : float
        The confidence region is the ellipse of the points whose Mahalanobis
        distance from the optimum (in logs, with ``region_covariance``) is at
        most ``region_radius``: the ``confidence`` quantile of the replicates'
        distances. See :meth:`distance`, :meth:`contains`, :meth:`region_boundary`.
    rules : xarray.Dataset
        Over ``rule`` (:data:`~xorsweep.model.initialization.INIT_RULES`): each
        rule's pair ``hidden_std``, ``output_std`` (for the hidden and the
        output layer of the results' network); ``loss`` (with ``_low`` /
        ``_high``); ``penalty``,
        ``100 * (loss / loss_at_optimum - 1)`` in % with its interval from the
        same replicates; ``distance`` from the optimum in region radii (the
        pair is outside the region where it is above 1); ``source``:
        ``"surface"``, or ``"grid"`` for a pair outside the window, whose loss
        is then the grid's means interpolated bilinearly in the log stds and
        bootstrapped with the same replicates, or ``""`` (NaN) outside the grid.
    ok : bool
        Whether the minimum lies inside the window, and the region's replicates too.
    reason : str
        Why there is no optimum, in words; empty when ``ok``.
    notes : tuple of str
        Harmless notes (lack of fit, pairs outside the window); :attr:`message`
        joins ``reason`` and the notes.
    model : str
    degree : int
    coefficients : tuple of float
        Of the monomials ``x**i * y**j`` (``powers``, rows (i, j)) in the scaled
        logs ``(x, y) = (log(stds) - center) / scale``, from -1 to 1 on the window.
    powers : ndarray, shape (p, 2)
    center, scale : (float, float)
    hull : ndarray, shape (k, 3)
        The window's convex hull in ``(x, y)``: ``a x + b y + c <= 0`` inside.
        The surface is given inside it only.
    window : xarray.DataArray
        Boolean over (hidden_std, output_std): the grid points fitted.
    n_points, n_runs, n_boot : int
    confidence : float
    chi2, dof, p_value : float, int, float
        The lack of fit, as :class:`xorsweep.FitResult`'s.
    edge_fraction : float
        Fraction of replicates whose lowest point is at the window's edge.
    boot_optimum : ndarray, shape (n_boot, 2)
    boot_coefficients : ndarray, shape (n_boot, p)
    boot_loss : ndarray, shape (n_boot,)
        Each replicate's lowest value in the window.
    """

    optimum: tuple[float, float] = _NAN2
    hidden_ci: tuple[float, float] = _NAN2
    output_ci: tuple[float, float] = _NAN2
    loss_at_optimum: float = math.nan
    loss_at_optimum_ci: tuple[float, float] = _NAN2
    region_covariance: np.ndarray = field(default_factory=lambda: np.full((2, 2), np.nan))
    region_radius: float = math.nan
    rules: xr.Dataset = field(default_factory=lambda: _rules_table(np.full((2, 0), np.nan), {}))
    ok: bool = False
    reason: str = ""
    notes: tuple[str, ...] = ()
    model: str = ""
    degree: int = 3
    coefficients: tuple[float, ...] = ()
    powers: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    center: tuple[float, float] = _NAN2
    scale: tuple[float, float] = _NAN2
    hull: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    window: xr.DataArray | None = None
    n_points: int = 0
    n_runs: int = 0
    n_boot: int = 0
    confidence: float = 0.95
    chi2: float = math.nan
    dof: int = 0
    p_value: float = math.nan
    edge_fraction: float = math.nan
    boot_optimum: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    boot_coefficients: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    boot_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if not self.ok:  # no optimum: no optimum number, however the result was made
            for name in ("optimum", "hidden_ci", "output_ci", "loss_at_optimum_ci"):
                object.__setattr__(self, name, _NAN2)
            object.__setattr__(self, "loss_at_optimum", math.nan)
            object.__setattr__(self, "region_covariance", np.full((2, 2), np.nan))
            object.__setattr__(self, "region_radius", math.nan)

    @property
    def message(self) -> str:
        """``reason`` and ``notes`` joined by semicolons; empty when there is nothing to say."""
        return "; ".join(m for m in (self.reason, *self.notes) if m)

    def _scaled(self, hidden_std: Any, output_std: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of the broadcast stds, shape (..., 2), and whether each is in the hull."""
        h, o = np.broadcast_arrays(np.asarray(hidden_std, float), np.asarray(output_std, float))
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.stack([np.log(h), np.log(o)], axis=-1)
            xy = (logs - np.asarray(self.center)) / np.asarray(self.scale)
        ok = np.isfinite(xy).all(axis=-1)
        xy = np.where(ok[..., None], xy, 0.0)
        return xy, ok & (inside_hull(self.hull, xy) if self.hull.size else False)

    def _evaluate(self, hidden_std: Any, output_std: Any, coefs: np.ndarray) -> np.ndarray:
        xy, inside = self._scaled(hidden_std, output_std)
        if coefs.size == 0:
            return np.full(coefs.shape[:-1] + inside.shape, np.nan)
        values = monomials(xy.reshape(-1, 2), self.powers) @ coefs.T  # (m, ...)
        values = np.moveaxis(values, 0, -1).reshape(coefs.shape[:-1] + inside.shape)
        return np.where(inside, values, np.nan)

    def predict(self, hidden_std: Any, output_std: Any) -> np.ndarray:
        """The fitted surface at the (broadcast) stds; NaN outside the window's hull."""
        return self._evaluate(hidden_std, output_std, np.asarray(self.coefficients, float))

    def predict_boot(self, hidden_std: Any, output_std: Any) -> np.ndarray:
        """The replicates' surfaces, shape ``(n_boot, *broadcast shape)``; NaN outside."""
        return self._evaluate(hidden_std, output_std, np.asarray(self.boot_coefficients))

    def _has_region(self) -> bool:
        cov = np.asarray(self.region_covariance)
        return bool(np.all(np.isfinite(cov)) and np.linalg.det(cov) > 0) and math.isfinite(
            self.region_radius
        )

    def distance(self, hidden_std: Any, output_std: Any) -> np.ndarray:
        """Mahalanobis distance from the optimum in region radii: at most 1 inside the region.

        NaN for every pair when the fit has no region.
        """
        h, o = np.broadcast_arrays(np.asarray(hidden_std, float), np.asarray(output_std, float))
        if not self._has_region():
            return np.full(h.shape, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.stack([np.log(h), np.log(o)], axis=-1) - np.log(np.asarray(self.optimum))
            inv = np.linalg.inv(self.region_covariance)
            return np.sqrt(np.einsum("...i,ij,...j->...", d, inv, d)) / self.region_radius

    def contains(self, hidden_std: Any, output_std: Any) -> np.ndarray:
        """Whether the (broadcast) pairs lie in the confidence region (False without one)."""
        with np.errstate(invalid="ignore"):
            return self.distance(hidden_std, output_std) <= 1.0

    def region_boundary(self, points: int = BOUNDARY_POINTS) -> tuple[np.ndarray, np.ndarray]:
        """The region's boundary as ``points`` (hidden_std, output_std) pairs, closed.

        NaN when the fit has no region.
        """
        angle = np.linspace(0.0, 2 * np.pi, points)
        if not self._has_region():
            return np.full(points, np.nan), np.full(points, np.nan)
        circle = np.stack([np.cos(angle), np.sin(angle)])  # (2, points)
        root = np.linalg.cholesky(self.region_covariance)
        logs = np.log(np.asarray(self.optimum))[:, None] + self.region_radius * (root @ circle)
        return np.exp(logs[0]), np.exp(logs[1])

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for JSON): the scalars, the region and the rules; NaN is None."""

        skip = ("rules", "window", "hull", "boot_optimum", "boot_coefficients", "boot_loss")
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name in skip:
                continue
            value = plain_value(getattr(self, name))
            if name.endswith("_ci"):
                out[f"{name[:-3]}_low"], out[f"{name[:-3]}_high"] = value
            else:
                out[name] = value
        out["rules"] = {
            str(rule): {v: plain_value(self.rules[v].sel(rule=rule).item()) for v in RULE_VARIABLES}
            for rule in self.rules.rule.values
        }
        return out

    def __repr__(self) -> str:
        pct = f"{100 * self.confidence:g}%"
        lines = [f"SurfaceFit(ok={self.ok})"]
        if not self.ok:
            lines.append(f"  no optimum: {self.reason}")
        if math.isfinite(self.optimum[0]):
            (h, o), (hl, hh), (ol, oh) = self.optimum, self.hidden_ci, self.output_ci
            lines.append(
                f"  optimal hidden std {h:.4g} ({pct} CI {hl:.4g} to {hh:.4g}), "
                f"output std {o:.4g} ({pct} CI {ol:.4g} to {oh:.4g})"
            )
            lines.append(f"  fitted mean total loss there: {self.loss_at_optimum:,.6g}")
        if self.model:
            lines.append(f"  model: {self.model}, {self.n_points} points, {self.n_runs:,} runs")
        if self.rules.sizes.get("rule", 0) and math.isfinite(self.optimum[0]):
            g = self.rules.sel(rule="glorot_normal")
            lines.append(
                f"  Glorot's pair ({float(g.hidden_std):.4g}, {float(g.output_std):.4g}): "
                f"{float(g.penalty):.3g}% above the optimum ({pct} CI {float(g.penalty_low):.3g} "
                f"to {float(g.penalty_high):.3g}), {float(g.distance):.3g} region radii away"
            )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _rules_table(pairs: np.ndarray, values: dict[str, np.ndarray]) -> xr.Dataset:
    """The rules' Dataset from their pairs (2, rule) and the other variables (rule,)."""
    n = pairs.shape[1]
    nan = np.full(n, np.nan)
    data = {name: ("rule", values.get(name, nan)) for name in RULE_VARIABLES[2:-1]}
    data["source"] = ("rule", values.get("source", np.full(n, "")))
    data.update(hidden_std=("rule", pairs[0]), output_std=("rule", pairs[1]))
    rules = list(INIT_RULES) if n else []
    return xr.Dataset({v: data[v] for v in RULE_VARIABLES}, coords={"rule": rules})


def fit_surface(
    results: xr.Dataset,
    *,
    degree: int = 3,
    level: float = 0.25,
    smooth: float = 0.3,
    min_runs: int = 5,
    min_points: int | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    rng: int | np.random.SeedSequence | np.random.Generator = 0,
    errors: str = "raise",
) -> SurfaceFit:
    """Fit the minimum of the mean total loss over ``(log(hidden_std), log(output_std))``.

    The means over runs are smoothed (Gaussian kernel of width ``smooth`` in
    both log stds, each mean also weighted by ``1/sem**2``) to find the
    minimum and the window: the grid points connected to it where the
    smoothed mean stays within ``level`` of the minimum, widened to
    ``min_points``. On the window a polynomial surface in the two log stds is
    fitted by weighted least squares (weights ``1/sem**2``); the optimum is
    where it is lowest inside the convex hull of the window's points. A
    bootstrap over runs (each point's present runs resampled, the surface
    refitted on the same window) gives the intervals and the confidence
    region: an ellipse in the log stds around the optimum holding the share
    ``confidence`` of the replicates' optima (its measured coverage:
    BENCHMARKS.md, ``benchmarks/bench_fit2d.py``).

    Parameters
    ----------
    results : xarray.Dataset
        ``total_loss`` over (hidden_std, output_std, run); other dimensions
        must have length 1. The rules' pairs are those of the results' network
        (``hidden``, ``activation``, ``n_in``, ``n_out`` from the coordinates or
        attributes, else the article's 2-2-1 sigmoid network; see
        :func:`xorsweep.analysis.slices.slice_setting`).
    degree : {2, 3}
        Total degree of the polynomial surface (6 or 10 coefficients).
    smooth : float
        Width of the smoothing kernel in log std (>= 0). Wider than
        :func:`xorsweep.fit_optimum`'s 0.1, since a 2-D grid is coarser: with
        0.1 on a 20 x 20 grid the window follows the noise of its edge points
        and biases the optimum (BENCHMARKS.md).
    level, min_runs, n_boot, confidence, rng, errors
        As :func:`xorsweep.fit_optimum`.
    min_points : int, optional
        Fewest points in the window; default the coefficients + 2.

    Returns
    -------
    SurfaceFit

    Raises
    ------
    TypeError, ValueError
        For arguments out of range or results without an ``output_std``
        dimension of 3 values or more, whatever ``errors`` says; with
        ``errors="raise"``, ValueError also when the fit fails (too few runs or
        points, no interior minimum, a region reaching the window's edge).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> h, o = np.geomspace(0.2, 2.0, 11), np.geomspace(0.5, 5.0, 11)
    >>> dh, do = np.log(h / 0.6)[:, None], np.log(o / 1.5)[None, :]
    >>> truth = 1000 + 400 * dh**2 + 200 * dh * do + 300 * do**2
    >>> loss = truth[..., None] * rng.gamma(4.0, 0.25, size=(11, 11, 200))
    >>> ds = xr.Dataset({"total_loss": (("hidden_std", "output_std", "run"), loss)},
    ...                 coords={"hidden_std": h, "output_std": o})
    >>> fit = fit_surface(ds, degree=2, n_boot=200, rng=1)
    >>> fit.ok, bool(fit.contains(0.6, 1.5)), fit.rules.sizes["rule"]
    (True, True, 6)
    """
    results = _on_surface(check_results(results, "results", ("total_loss",)))
    check_configuration(results, "results")
    settings = check_settings(
        degree, level, smooth, min_runs, min_points, n_boot, confidence, dimensions=2
    )
    generator = make_rng(rng)
    errors = check_choice(errors, "errors", ("raise", "ignore"))
    try:
        fit = _fit(results, settings, generator)
    except FitError as exc:
        fit = SurfaceFit(
            ok=False,
            reason=str(exc),
            degree=settings.degree,
            n_boot=settings.n_boot,
            confidence=settings.confidence,
        )
    if not fit.ok and errors == "raise":
        raise ValueError(f"fit_surface: {fit.reason}")
    return fit


def _on_surface(ds: xr.Dataset) -> xr.Dataset:
    """The results over (hidden_std, output_std, run) only, sorted; other dims of length 1."""
    if ds.sizes.get("output_std", 0) < 3 or "hidden_std" not in ds.dims:
        raise ValueError(
            "fit_surface needs results over hidden_std and an output_std dimension of at "
            "least 3 values (a sweep with a list of output stds, xorsweep.sweep(..., "
            f"output_std=[...])); got dims {dict(ds.sizes)}"
        )
    ds = only_dims(ds, ("hidden_std", "output_std"), "results")
    return ds.sortby(["hidden_std", "output_std"])


def _fit(ds: xr.Dataset, settings: FitSettings, rng: np.random.Generator) -> SurfaceFit:
    """The steps of :func:`fit_surface`, from its checked arguments."""
    s = settings
    grid = grid_points(ds, s.min_runs, s.min_points)
    window = surface_window(grid, s.level, s.smooth, s.min_points, s.degree)
    surface = fit_polynomial(grid, window, s.degree)
    table = slice_rules(ds)
    pairs = np.stack([table.sel(layer=layer).values for layer in ("hidden", "output")])
    corners, corner_weights = grid_lookup(grid, pairs)
    # one bootstrap of the window's points, then of the other points the rules' pairs need
    rows = np.concatenate([window, np.setdiff1d(corners[corners >= 0], window)])
    boot_mean, boot_var = bootstrap_means(grid.loss[rows], s.n_boot, rng)
    n = window.size
    boot_coefs = replicate_wls(
        surface.design, boot_mean[:, :n], boot_var[:, :n], grid.count[window], surface.weights
    )
    fit = _result(ds, grid, surface, boot_coefs, settings)
    if not math.isfinite(fit.optimum[0]):
        return dataclasses.replace(fit, rules=_rules_table(pairs, {}))
    column = np.zeros(grid.mean.size, dtype=np.int64)
    column[rows] = np.arange(rows.size)
    at = column[np.maximum(corners, 0)]  # (rule, 4): the corners' columns of boot_mean
    measured = (
        np.sum(grid.mean[corners] * corner_weights, axis=1),
        np.sum(boot_mean[:, at] * corner_weights, axis=2),
    )
    rules = _rules(fit, pairs, measured, corners.min(axis=1) >= 0)
    notes = list(fit.notes)
    source = rules.source.values
    if np.any(source == "grid"):
        notes.append(
            f"the pairs of {', '.join(rules.rule.values[source == 'grid'])} lie outside the "
            "window: their loss is the grid's means interpolated in log stds"
        )
    if np.any(source == ""):
        notes.append(
            f"the pairs of {', '.join(rules.rule.values[source == ''])} lie outside the grid "
            "(or next to points without runs): their loss is not given"
        )
    return dataclasses.replace(fit, rules=rules, notes=tuple(notes))


def _result(
    ds: xr.Dataset, grid: Grid, surface: Surface, boot_coefs: np.ndarray, settings: FitSettings
) -> SurfaceFit:
    """The SurfaceFit of a fitted window and its bootstrap replicates (without the rules)."""
    center, scale, confidence = surface.center, surface.scale, settings.confidence
    xy, loss, interior = minimize(surface, surface.coefs[None, :])
    boot_xy, boot_loss, boot_interior = minimize(surface, boot_coefs)
    boot_logs = center + scale * boot_xy  # (n_boot, 2)
    logs = center + scale * xy[0]
    covariance, radius = _region(boot_logs, logs, confidence)
    reason = _problem(bool(interior[0]), float(np.mean(~boot_interior)), covariance, confidence)
    found = not reason  # the lack of fit, noted below, leaves a fit ok
    notes = []
    if surface.p_value < 1e-3:
        notes.append(
            f"lack of fit: chi2 {surface.chi2:.4g} on {surface.dof} dof (p = "
            f"{surface.p_value:.2g}): the surface misses the means by more than their "
            "errors, so the region is too small; try a smaller level"
        )
    if surface.dof < THIN_DOF:
        notes.append(
            f"thin window: {surface.window.size} points leave the surface {surface.dof} degrees "
            "of freedom, too few for the lack-of-fit test to see a wrong model"
        )

    def ci(draws: np.ndarray) -> tuple[float, float]:
        if not found:
            return _NAN2
        low, high = percentile_interval(draws, confidence)
        return float(low), float(high)

    window = np.zeros(grid.lookup.shape, dtype=bool)
    window[tuple(grid.index[surface.window].T)] = True
    coords = {d: ds[d].values for d in ("hidden_std", "output_std")}
    return SurfaceFit(
        optimum=(float(np.exp(logs[0])), float(np.exp(logs[1]))) if found else _NAN2,
        hidden_ci=ci(np.exp(boot_logs[:, 0])),
        output_ci=ci(np.exp(boot_logs[:, 1])),
        loss_at_optimum=float(loss[0]) if found else math.nan,
        loss_at_optimum_ci=ci(boot_loss),
        region_covariance=covariance if found else np.full((2, 2), np.nan),
        region_radius=radius if found else math.nan,
        ok=found,
        reason=reason,
        notes=tuple(notes),
        model=f"weighted {MODEL_NAMES[settings.degree]} surface in "
        "(log(hidden_std), log(output_std))",
        degree=settings.degree,
        coefficients=tuple(float(c) for c in surface.coefs),
        powers=surface.powers,
        center=(float(center[0]), float(center[1])),
        scale=(float(scale[0]), float(scale[1])),
        hull=surface.hull,
        window=xr.DataArray(window, coords=coords, dims=tuple(coords), name="window"),
        n_points=int(surface.window.size),
        n_runs=int(grid.count[surface.window].sum()),
        n_boot=settings.n_boot,
        confidence=confidence,
        chi2=surface.chi2,
        dof=surface.dof,
        p_value=float(surface.p_value),
        edge_fraction=float(np.mean(~boot_interior)),
        boot_optimum=np.exp(boot_logs),
        boot_coefficients=boot_coefs,
        boot_loss=boot_loss,
    )


def _region(boot_logs: np.ndarray, logs: np.ndarray, confidence: float) -> tuple[np.ndarray, float]:
    """The replicates' covariance (2, 2) and the radius holding ``confidence`` of them."""
    covariance = np.cov(boot_logs.T)
    d = boot_logs - logs
    with np.errstate(divide="ignore", invalid="ignore"):
        squared = np.einsum("bi,ij,bj->b", d, np.linalg.pinv(covariance), d)
    return covariance, float(np.sqrt(np.quantile(squared, confidence)))


def _problem(found: bool, edge_fraction: float, covariance: np.ndarray, confidence: float) -> str:
    """Why there is no optimum: none inside the window, or a region reaching its edge."""
    if not found:
        return "the fitted surface is lowest at the edge of its window: no minimum inside it"
    if edge_fraction > (1 - confidence) / 2:
        return (
            f"the {100 * confidence:g}% region reaches the window's edge (minimum at the edge in "
            f"{100 * edge_fraction:.3g}% of the replicates): add runs, or widen the window "
            "with a larger level"
        )
    if not np.all(np.isfinite(covariance)) or np.linalg.det(covariance) <= 0:
        return "the replicates' optima do not spread in two dimensions: no region"
    return ""


def _rules(
    fit: SurfaceFit,
    pairs: np.ndarray,
    measured: tuple[np.ndarray, np.ndarray],
    on_grid: np.ndarray,
) -> xr.Dataset:
    """Each rule's pair (2, rule): its loss on the surface inside the window, else on the grid.

    ``measured`` holds the grid's interpolated means at the pairs (rule,) and
    their replicates (n_boot, rule), valid where ``on_grid``.
    """
    surface = fit.predict(pairs[0], pairs[1])  # (rule,), NaN outside the window
    inside = np.isfinite(surface)
    use_grid = ~inside & on_grid
    loss = np.where(inside, surface, np.where(use_grid, measured[0], np.nan))
    with np.errstate(invalid="ignore"):
        boot = np.where(inside, fit.predict_boot(pairs[0], pairs[1]), measured[1])
        boot = np.where(inside | use_grid, boot, np.nan)  # (n_boot, rule)
        loss_ci = percentile_interval(boot, fit.confidence)
        boot_penalty = 100.0 * (boot / fit.boot_loss[:, None] - 1.0)
        penalty_ci = percentile_interval(boot_penalty, fit.confidence)
    values = {
        "loss": loss,
        "loss_low": loss_ci[0],
        "loss_high": loss_ci[1],
        "penalty": 100.0 * (loss / fit.loss_at_optimum - 1.0),
        "penalty_low": penalty_ci[0],
        "penalty_high": penalty_ci[1],
        "distance": fit.distance(pairs[0], pairs[1]),
        "source": np.where(inside, "surface", np.where(use_grid, "grid", "")),
    }
    return _rules_table(pairs, values)
