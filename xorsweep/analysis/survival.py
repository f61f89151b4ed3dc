"""Survival analysis of convergence: how many runs have not yet learned XOR after t epochs.

A run's *time* is its ``converged_epoch`` (the epoch from which every prediction
stays right). A run that has not converged when its training stops is
right-censored: all we know is that its time exceeds the epochs it was trained.
The Kaplan-Meier estimate ``S(t)`` of the fraction not yet converged after ``t``
epochs uses both kinds of run without bias, however long each run was trained.

Confidence bands are pointwise, from Greenwood's variance on the log-log scale
(Kalbfleisch and Prentice): ``log(-log S)`` is close to normal much earlier than
``S`` itself, so the band stays inside [0, 1] and keeps its coverage in the
tails, where the long-training questions live; unlike a bootstrap it needs no
resampling, which matters for sweeps of millions of runs. ``tests/test_survival.py`` checks
its coverage on data sets drawn from known laws.

How the tail falls (exponential, power law, or a plateau) is
:mod:`xorsweep.analysis.tails`'s question.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import xarray as xr

from .._core.checks import check_confidence, check_count, check_real
from .grouping import split_runs, stack_groups

__all__ = [
    "KaplanMeier",
    "converged_between",
    "epoch_grid",
    "group_times",
    "kaplan_meier",
    "run_times",
    "survival_curves",
]


#: What :meth:`KaplanMeier.between` and :func:`converged_between` return, in order.
BETWEEN = (
    "share",
    "share_low",
    "share_high",
    "conditional",
    "conditional_low",
    "conditional_high",
    "left",
)


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan-Meier estimate of one group of runs.

    Attributes
    ----------
    time : ndarray, shape (k,)
        The distinct epochs at which some run converged, ascending.
    at_risk, events : ndarray of int, shape (k,)
        Runs whose time is >= ``time[j]`` (neither converged nor censored
        earlier), and runs that converged at ``time[j]``.
    survival : ndarray, shape (k,)
        ``S(time[j]) = prod_{i <= j} (1 - events[i] / at_risk[i])``.
    greenwood : ndarray, shape (k,)
        ``sum_{i <= j} events[i] / (at_risk[i] (at_risk[i] - events[i]))``,
        the estimated variance of ``log S``; infinite once ``S`` is 0.
    times : ndarray, shape (run,)
        Every run's time (converged or censored), ascending.
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    greenwood: np.ndarray
    times: np.ndarray

    @property
    def runs(self) -> int:
        """Runs in the group."""
        return int(self.times.size)

    @property
    def last(self) -> float:
        """The largest time observed: ``S`` is known up to this epoch."""
        return float(self.times[-1])

    def _at(self, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``S`` and the Greenwood sum at ``epochs`` (no NaN beyond :attr:`last`)."""
        idx = np.searchsorted(self.time, epochs, side="right") - 1
        s = np.concatenate([[1.0], self.survival])[idx + 1]
        g = np.concatenate([[0.0], self.greenwood])[idx + 1]
        return s, g

    def left(self, epochs: np.ndarray) -> np.ndarray:
        """Runs neither converged nor censored by each epoch (time > epoch), int."""
        return self.runs - np.searchsorted(self.times, epochs, side="right")

    def evaluate(self, epochs: np.ndarray, confidence: float = 0.95) -> dict[str, np.ndarray]:
        """``S`` and its pointwise band at ``epochs``, each of shape (e,).

        Returns ``survival``, ``survival_low`` and ``survival_high``, NaN
        beyond :attr:`last` unless ``S`` has reached 0 there, and ``at_risk``
        from :meth:`left`.
        """
        z = NormalDist().inv_cdf(0.5 + check_confidence(confidence) / 2)
        epochs = np.asarray(epochs, dtype=np.float64)
        s, g = self._at(epochs)
        low, high = _loglog_band(s, g, z)
        unknown = (epochs > self.last) & (s > 0)
        for arr in (s, low, high):
            arr[unknown] = np.nan
        return {
            "survival": s,
            "survival_low": low,
            "survival_high": high,
            "at_risk": self.left(epochs),
        }

    def between(self, start: float, stop: float, confidence: float = 0.95) -> dict[str, float]:
        """Runs converging in ``(start, stop]``: as a share of all runs, and of those left.

        ``share = S(start) - S(stop)``, with a Wald interval (clipped to
        [0, 1]) from the delta method: ``Var = share² G(start) + S(stop)²
        (G(stop) - G(start))``, ``G`` the Greenwood sum. ``conditional = 1 -
        S(stop) / S(start)``, the share of the runs not converged at
        ``start``, with the log-log band of the estimate restarted at
        ``start``. NaN where ``stop`` lies beyond :attr:`last` (or ``S(start)``
        is 0, for ``conditional``). Where no run converges in ``(start, stop]``
        both are 0 and those intervals would be [0, 0]: instead the upper bound
        is Clopper-Pearson's for no event among the ``n`` runs followed up to
        ``stop``, ``1 - ((1 - confidence) / 2) ** (1 / n)`` (times ``S(start)``
        for ``share``).
        """
        if not 0.0 <= start < stop:
            raise ValueError(
                f"start and stop must be epochs with 0 <= start < stop, got {start}, {stop}"
            )
        z = NormalDist().inv_cdf(0.5 + check_confidence(confidence) / 2)
        ends = np.array([start, stop], dtype=np.float64)
        (s_a, s_b), (g_a, g_b) = self._at(ends)
        out = dict.fromkeys(BETWEEN, np.nan) | {"left": float(self.left(ends[:1])[0])}
        if stop > self.last and s_b > 0:
            return out  # not followed up to stop
        share = float(s_a - s_b)
        if s_a == 0:
            return out | {"share": 0.0, "share_low": 0.0, "share_high": 0.0}
        if s_b == s_a:  # no run converged in (start, stop]
            followed = self.runs - int(np.searchsorted(self.times, stop, side="left"))
            high = 1.0 - ((1.0 - check_confidence(confidence)) / 2.0) ** (1.0 / followed)
            return out | {
                "share": 0.0,
                "share_low": 0.0,
                "share_high": float(s_a * high),
                "conditional": 0.0,
                "conditional_low": 0.0,
                "conditional_high": high,
            }
        g_ab = g_b - g_a  # g_a is finite while S(start) > 0
        half = z * math.sqrt(share**2 * g_a + (s_b**2 * g_ab if s_b > 0 else 0.0))
        r_low, r_high = _loglog_band(np.array([s_b / s_a]), np.array([g_ab]), z)
        return out | {
            "share": share,
            "share_low": max(0.0, share - half),
            "share_high": min(1.0, share + half),
            "conditional": float(1.0 - s_b / s_a),
            "conditional_low": float(1.0 - r_high[0]),
            "conditional_high": float(1.0 - r_low[0]),
        }


def _loglog_band(s: np.ndarray, v: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise band ``S ** exp(±z sqrt(v) / |log S|)``; [1, 1] at S = 1, [0, 0] at S = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(v) / np.abs(np.log(s))
        low = np.power(s, np.exp(z * sigma))
        high = np.power(s, np.exp(-z * sigma))
    for bound in (low, high):
        np.copyto(bound, s, where=(s == 1.0) | (s == 0.0))
        np.copyto(bound, np.nan, where=np.isnan(s))
    return low, high


def check_times(times: object, observed: object) -> tuple[np.ndarray, np.ndarray]:
    """``times`` as float64 and ``observed`` as bool, both shape (run,), or a ValueError.

    ``times`` must be non-empty, finite and >= 0; ``observed`` booleans of its shape.
    """
    t = np.asarray(times, dtype=np.float64)
    obs = np.asarray(observed)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty 1-D array of epochs, got shape {t.shape}")
    if obs.shape != t.shape or obs.dtype != bool:
        raise ValueError(
            f"observed must be booleans of the same shape as times {t.shape}, "
            f"got {obs.dtype} of shape {obs.shape}"
        )
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite epochs >= 0")
    return t, obs


def kaplan_meier(times: object, observed: object) -> KaplanMeier:
    """Kaplan-Meier estimate from convergence epochs with right-censoring.

    Parameters
    ----------
    times : array_like, shape (run,)
        Each run's convergence epoch, or for a censored run the epochs it was
        trained; finite and >= 0.
    observed : array_like of bool, shape (run,)
        True where the run converged at ``times``, False where it was
        censored there (had not converged after that many epochs). A run
        censored at ``t`` is still at risk at ``t``.

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError
        If ``times`` is empty, not finite, negative, or its shape differs
        from ``observed``'s.

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> km.time.tolist(), km.at_risk.tolist(), km.survival.round(3).tolist()
    ([1.0, 2.0, 3.0], [5, 4, 2], [0.8, 0.6, 0.3])
    """
    t, obs = check_times(times, observed)
    ordered = np.sort(t)
    time, events = np.unique(t[obs], return_counts=True)
    at_risk = t.size - np.searchsorted(ordered, time, side="left")
    survival = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore"):
        greenwood = np.cumsum(events / (at_risk * (at_risk - events).astype(np.float64)))
    return KaplanMeier(time, at_risk, events, survival, greenwood, ordered)


def epoch_grid(stop: float, per_decade: int = 10) -> np.ndarray:
    """Whole epochs from 1 to ``stop`` spaced evenly in log, for survival curves.

    Parameters
    ----------
    stop : float
        The last epoch, >= 1; always included (rounded down to a whole epoch).
    per_decade : int
        Points per factor of 10, >= 1 (fewer at the start, where whole epochs
        are closer than that).

    Returns
    -------
    ndarray of float, shape (e,)
        Distinct whole epochs, ascending.

    Examples
    --------
    >>> epoch_grid(1000, per_decade=2).tolist()
    [1.0, 3.0, 10.0, 32.0, 100.0, 316.0, 1000.0]
    """
    stop = math.floor(check_real(stop, "stop", 1.0))
    per_decade = check_count(per_decade, "per_decade")
    points = max(2, math.ceil(math.log10(stop) * per_decade) + 1)
    return np.unique(np.rint(np.geomspace(1.0, stop, points)))


def run_times(ds: xr.Dataset, epochs: object = None) -> tuple[xr.DataArray, xr.DataArray]:
    """Each run's survival time and whether it converged, from a results Dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``converged_epoch`` (NaN: not converged), from
        :func:`xorsweep.train`, :func:`xorsweep.sweep` or a store. Where it
        has ``total_loss``, a run with NaN there is absent (a store's
        unfinished runs).
    epochs : None, number, str or xarray.DataArray
        Epochs each run was trained, where an unconverged run is censored:
        None reads ``ds.attrs["epochs"]``; a string names a per-run variable
        of ``ds``; a DataArray is broadcast against ``converged_epoch``.

    Returns
    -------
    time : xarray.DataArray, like ``converged_epoch``
        ``converged_epoch`` where finite, else the censoring epoch; NaN for
        absent runs.
    observed : xarray.DataArray of bool, like ``converged_epoch``
        Whether the run converged (False for censored and absent runs).

    Raises
    ------
    ValueError
        If ``ds`` lacks ``converged_epoch`` or the epochs trained, or an
        epoch is negative, or a run converged after the epochs it trained.
    """
    if not isinstance(ds, xr.Dataset) or "converged_epoch" not in ds:
        raise ValueError(
            "ds must be an xarray.Dataset of results with a 'converged_epoch' variable"
        )
    conv = ds["converged_epoch"]
    if epochs is None:
        if "epochs" not in ds.attrs:
            raise ValueError("epochs must be given: the results have no 'epochs' attribute")
        epochs = ds.attrs["epochs"]
    if isinstance(epochs, str):
        if epochs not in ds:
            raise ValueError(f"epochs names no variable of the results: {epochs!r}")
        epochs = ds[epochs]
    if not isinstance(epochs, xr.DataArray):
        epochs = xr.DataArray(check_real(epochs, "epochs", 0.0))
    if not set(epochs.dims) <= set(conv.dims):
        raise ValueError(
            f"epochs has dimensions {epochs.dims}, not all among converged_epoch's {conv.dims}"
        )
    conv, censor = xr.broadcast(conv, epochs.astype(np.float64))
    present = (
        ds["total_loss"].notnull() if "total_loss" in ds else conv.notnull() | censor.notnull()
    )
    present = present.broadcast_like(conv)
    c, e, p = conv.values, censor.values, present.values
    if np.any(c[np.isfinite(c)] < 0):
        raise ValueError("converged_epoch must be >= 0 epochs where it is defined")
    if not np.all(np.isfinite(e[p]) & (e[p] >= 0)):
        raise ValueError("epochs must be finite and >= 0 for every run present")
    if np.any(c[p & np.isfinite(c)] > e[p & np.isfinite(c)]):
        raise ValueError("converged_epoch must not exceed the epochs trained (epochs)")
    observed = present & conv.notnull()
    time = xr.where(observed, conv, censor).where(present)
    return time, observed


def group_times(
    ds: xr.Dataset, by: Hashable | None, epochs: object = None
) -> tuple[xr.DataArray | None, list[tuple[np.ndarray, np.ndarray]]]:
    """The present runs' ``(times, observed)`` of each group, for :func:`kaplan_meier`.

    ``ds`` and ``epochs`` as in :func:`run_times`, ``by`` as in
    :func:`xorsweep.analysis.grouping.split_runs`, which gives the labels. A group may
    hold no run (empty arrays).
    """
    time, observed = run_times(ds, epochs)
    labels, groups = split_runs(ds, {"time": time, "observed": observed}, by)
    pairs = []
    for g in groups:
        keep = np.isfinite(g["time"])
        pairs.append((g["time"][keep], g["observed"][keep].astype(bool)))
    return labels, pairs


def _per_group(
    ds: xr.Dataset, by: Hashable | None, epochs: object
) -> tuple[xr.DataArray | None, list[KaplanMeier | None]]:
    """Kaplan-Meier estimates of each group of ``by`` (None for a group without runs)."""
    labels, pairs = group_times(ds, by, epochs)
    return labels, [kaplan_meier(t, o) if t.size else None for t, o in pairs]


def survival_curves(
    ds: xr.Dataset,
    by: Hashable | None = "hidden_std",
    *,
    epochs: object = None,
    grid: object = None,
    confidence: float = 0.95,
) -> xr.Dataset:
    """Kaplan-Meier curves of the fraction of runs not yet converged, per group.

    Parameters
    ----------
    ds : xarray.Dataset
        Results with ``converged_epoch``; see :func:`run_times`.
    by : hashable or None
        Coordinate whose values define the groups (``"hidden_std"``); runs of
        one value are pooled over every other dimension. None: one curve.
    epochs : None, number, str or xarray.DataArray
        Epochs each run was trained (see :func:`run_times`).
    grid : array_like, optional
        Epochs at which to evaluate; by default :func:`epoch_grid` up to the
        longest training.
    confidence : float
        Coverage of the pointwise band, in (0, 1).

    Returns
    -------
    xarray.Dataset
        Over (``by``, ``epoch``): ``survival`` (the fraction not converged
        after that many epochs), ``survival_low``/``survival_high`` (log-log
        Greenwood band; NaN beyond a group's longest training), ``at_risk``
        (runs neither converged nor censored by then); over ``by``: ``runs``
        and ``converged`` (runs that converged at any epoch). The attributes
        of ``ds`` (its task, ``data``, for a figure's title), with the
        ``confidence`` and ``band``.

    Examples
    --------
    >>> import xorsweep as xs
    >>> res = xs.train(xs.init_population(200, 1.0, 1.0, seed=0), epochs=3000)
    >>> curve = survival_curves(res, by=None)  # no censoring before 3000: 1 - the share converged
    >>> round(float(curve.survival.sel(epoch=3000)), 12), float(1 - res.converged.mean())
    (0.275, 0.275)
    """
    confidence = check_confidence(confidence)
    labels, fits = _per_group(ds, by, epochs)
    if grid is None:
        last = max((km.last for km in fits if km is not None), default=1.0)
        grid = epoch_grid(max(last, 1.0))
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid) & (grid >= 0)):
        raise ValueError("grid must be a non-empty 1-D array of finite epochs >= 0")
    empty = dict.fromkeys(("survival", "survival_low", "survival_high"), np.full(grid.size, np.nan))
    rows = []
    for km in fits:
        row = (
            km.evaluate(grid, confidence) if km else {**empty, "at_risk": np.zeros(grid.size, int)}
        )
        rows.append(
            {**row, "runs": km.runs if km else 0, "converged": km.events.sum() if km else 0}
        )
    out = stack_groups(labels, rows, ("epoch",), {"epoch": grid})
    out.attrs.update(ds.attrs)
    out.attrs.update(confidence=confidence, band="pointwise, Greenwood variance on log(-log S)")
    out.survival.attrs.update(long_name="fraction not yet converged")
    return out


def converged_between(
    ds: xr.Dataset,
    start: float,
    stop: float,
    by: Hashable | None = "hidden_std",
    *,
    epochs: object = None,
    confidence: float = 0.95,
) -> xr.Dataset:
    """The share of runs that converge after ``start`` and by ``stop`` epochs, per group.

    Parameters
    ----------
    ds, by, epochs, confidence
        As in :func:`survival_curves`.
    start, stop : float
        Epochs, ``0 <= start < stop`` (for example 1e4 and 1e6).

    Returns
    -------
    xarray.Dataset
        Over ``by``: ``share`` (of all runs: ``S(start) - S(stop)``) and
        ``conditional`` (of the runs not converged at ``start``), each with
        ``_low``/``_high`` bounds (see :meth:`KaplanMeier.between`); ``left``
        (runs neither converged nor censored at ``start``) and ``runs``. NaN
        where a group was not followed up to ``stop``.
    """
    start = check_real(start, "start", 0.0)
    stop = check_real(stop, "stop", start, strict=True)
    confidence = check_confidence(confidence)
    labels, fits = _per_group(ds, by, epochs)
    rows = [
        {
            **(km.between(start, stop, confidence) if km else dict.fromkeys(BETWEEN, np.nan)),
            "runs": km.runs if km else 0,
        }
        for km in fits
    ]
    out = stack_groups(labels, rows, (), {})
    out.attrs.update(start=start, stop=stop, confidence=confidence)
    return out
