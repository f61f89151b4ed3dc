"""Per-point statistics of a sweep's results, and the bootstrap over runs.

A sweep's results (see :func:`xorsweep.sweep`) hold one value per run at each
grid point, with NaN for runs that do not exist there. Everything here reduces
along ``run`` only, so it works on any grid (``hidden_std`` and optionally
``output_std`` and ``lr``) and on any subset of one (``ds.sel(...)``,
``ds.isel(...)``).

Present run: finite ``total_loss``. Failed run: present with NaN
``converged_epoch`` (it never classified all four samples correctly).
"""

from __future__ import annotations

import numbers
from statistics import NormalDist

import numpy as np
import xarray as xr

from .._core.cf_attrs import with_cf_attrs
from .._core.checks import check_confidence, check_whole_numbers
from .budgets import without_budgets

__all__ = [
    "check_results",
    "summarize",
    "wilson_interval",
    "bootstrap_means",
    "percentile_interval",
    "make_rng",
    "point_stats",
    "along_hidden_std",
    "only_dims",
    "SUMMARY_VARIABLES",
]

#: The variables of :func:`summarize`'s result, in order.
SUMMARY_VARIABLES = (
    "mean",
    "std",
    "count",
    "sem",
    "median",
    "q25",
    "q75",
    "failures",
    "failure_rate",
    "failure_low",
    "failure_high",
    "mean_converged",
    "mean_converged_epoch",
)

# Bootstrap draws are generated in chunks of at most this many values (memory ~ 8x bytes).
_CHUNK = 1 << 21


def make_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """A NumPy Generator from a seed (int >= 0), a SeedSequence or a Generator.

    ``None`` is refused on purpose: a bootstrap's numbers are reproducible only
    if the caller says where its randomness comes from.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a seed (an integer >= 0), a numpy SeedSequence or Generator, got {rng!r}"
    )


def wilson_interval(
    successes: object, trials: object, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes, trials : array_like of int
        Broadcast together; ``0 <= successes <= trials``. Where ``trials`` is 0
        there is no proportion and both bounds are NaN.
    confidence : float
        Coverage, in (0, 1).

    Returns
    -------
    (low, high) : pair of ndarray, float64, the broadcast shape
        With ``z`` the normal quantile at ``(1 + confidence) / 2``, ``n``
        trials and ``p = k / n``: centre ``(p + z²/2n) / (1 + z²/n)`` and half
        width ``z sqrt(p(1 - p)/n + z²/4n²) / (1 + z²/n)``. Unlike the Wald
        interval it stays inside [0, 1] and is not degenerate at 0 or n
        successes.

    Examples
    --------
    >>> low, high = wilson_interval(0, 10)
    >>> float(low), round(float(high), 4)
    (0.0, 0.2775)
    """
    confidence = check_confidence(confidence)
    k = check_whole_numbers(np.asarray(successes), "successes")
    n = check_whole_numbers(np.asarray(trials), "trials")
    k, n = np.broadcast_arrays(k.astype(np.float64), n.astype(np.float64))
    if np.any(n < 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("wilson_interval needs 0 <= successes <= trials for every element")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    none = n == 0
    low = np.where(none, np.nan, np.clip(centre - half, 0.0, 1.0))
    high = np.where(none, np.nan, np.clip(centre + half, 0.0, 1.0))
    # exact 0 and 1 at the ends (rounding leaves ~1e-17 otherwise)
    low = np.where((k == 0) & ~none, 0.0, low)
    high = np.where((k == n) & ~none, 1.0, high)
    return low, high


def _quantiles(sorted_x: np.ndarray, count: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Linear-interpolation quantiles (NumPy's and pandas' default) of the first
    ``count`` values of each row of ``sorted_x`` (shape (..., run), ascending,
    NaN after them); NaN where ``count`` is 0."""
    n = np.maximum(count, 1)
    out = []
    for q in qs:
        h = (n - 1) * q
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        frac = h - lo
        a = np.take_along_axis(sorted_x, lo[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(sorted_x, hi[..., None], axis=-1)[..., 0]
        out.append(np.where(count > 0, a + frac * (b - a), np.nan))
    return out


def _masked_mean(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``x`` over the last axis where ``mask``; NaN where nothing is masked in."""
    n = mask.sum(axis=-1)
    total = np.where(mask, x, 0.0).sum(axis=-1)
    mean = np.divide(total, n, out=np.full(n.shape, np.nan), where=n > 0)
    return mean, n


def _moments(values: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(present, x, count, mean, std)`` of the finite values along the last axis.

    ``present`` marks the finite values and ``x`` holds them with NaN elsewhere;
    ``std`` has ``ddof=1`` and is NaN where ``count`` < 2, ``mean`` where it is 0.
    """
    values = np.asarray(values, dtype=np.float64)
    present = np.isfinite(values)
    x = np.where(present, values, np.nan)
    mean, count = _masked_mean(x, present)
    dev = np.where(present, x - mean[..., None], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(count > 1, (dev * dev).sum(axis=-1) / (count - 1), np.nan)
    return present, x, count, mean, np.sqrt(var)


def point_stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and standard error of the finite values along the last axis.

    Parameters
    ----------
    values : ndarray, shape (..., run)
        NaN (or any non-finite value) marks a run that is not present.

    Returns
    -------
    (count, mean, sem) : ndarray, shape (...)
        ``count`` as int64; ``mean`` NaN where ``count`` is 0; ``sem`` is the
        standard deviation (``ddof=1``) over ``sqrt(count)``, NaN where
        ``count`` < 2.
    """
    _, _, count, mean, std = _moments(values)
    with np.errstate(divide="ignore", invalid="ignore"):
        sem = std / np.sqrt(count)
    return count.astype(np.int64), mean, sem


def check_results(ds: object, what: str, variables: tuple[str, ...]) -> xr.Dataset:
    """Return ``ds`` if it looks like a sweep's results, else raise naming ``what``; results
    with budgets come back without them (:func:`~xorsweep.analysis.budgets.without_budgets`).

    Parameters
    ----------
    ds : object
        Should be an xarray.Dataset with a ``run`` dimension.
    what : str
        The argument's name, for the messages.
    variables : tuple of str
        Data variables ``ds`` must hold.

    Raises
    ------
    TypeError
        If ``ds`` is not a Dataset.
    ValueError
        If a variable or the ``run`` dimension is missing.
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(
            f"{what} must be an xarray.Dataset (a sweep's results), got {type(ds).__name__}"
        )
    missing = [v for v in variables if v not in ds.data_vars]
    if missing:
        raise ValueError(
            f"{what} lacks the variable(s) {', '.join(missing)}; pass a sweep's results "
            "(xorsweep.sweep or xorsweep.open_results)"
        )
    if "run" not in ds.dims:
        raise ValueError(f"{what} must have a run dimension, got dims {tuple(ds.dims)}")
    return without_budgets(ds)  # a budget axis is read with at_budget or along_budget


def along_hidden_std(ds: xr.Dataset, what: str = "ds", hint: str = "") -> xr.Dataset:
    """The results along ``hidden_std`` (and ``run``) only, sorted by ``hidden_std``.

    Dimensions other than ``hidden_std`` and ``run`` of length 1 are dropped
    (their value stays as a scalar coordinate); longer ones are refused with a
    message saying how to select one value, since a fit along ``hidden_std``
    needs one slice of a larger grid; ``hint`` ends that message.
    """
    ds = only_dims(ds, ("hidden_std",), what, hint)
    if "hidden_std" not in ds.dims:
        raise ValueError(f"{what} must have a hidden_std dimension, got dims {tuple(ds.dims)}")
    return ds.sortby("hidden_std")


def only_dims(ds: xr.Dataset, dims: tuple[str, ...], what: str, hint: str = "") -> xr.Dataset:
    """``ds`` with its dimensions other than ``dims``, ``run`` and ``curve_point`` (the
    points of :func:`xorsweep.fit_slices`' curves) dropped where they have length 1
    (kept as scalar coordinates); a longer one is refused with a message saying how to
    select one value, which ``hint`` ends."""
    extra = [d for d in ds.dims if d not in (*dims, "run", "curve_point")]
    longer = [d for d in extra if ds.sizes[d] > 1]
    if longer:
        raise ValueError(
            f"{what} must vary along {' and '.join(dims)} only, but it also has the "
            f"dimension(s) {', '.join(f'{d} ({ds.sizes[d]} values)' for d in longer)}; select "
            f"one value first, e.g. {what}.sel({longer[0]}=...){hint}"
        )
    return ds.isel({d: 0 for d in extra}) if extra else ds


def summarize(ds: xr.Dataset, confidence: float = 0.95) -> xr.Dataset:
    """Statistics of ``total_loss`` over runs at every grid point.

    The article's ``df.groupby("hidden_std_dev")["loss"].agg(["mean", "std",
    "count"])`` and ``std / sqrt(count)``, plus the spread and the failures.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep's results, or any subset of them: ``total_loss`` and
        ``converged_epoch`` over dims (..., run); any dims besides ``run``
        (``hidden_std``, ``output_std``, ``lr``, or none) are kept.
    confidence : float
        Coverage of the failure rate's interval.

    Returns
    -------
    xarray.Dataset
        Over the dims of ``ds`` other than ``run``, with their coordinates and
        ``ds.attrs``. With ``n`` the present runs (finite ``total_loss``) of a
        point and ``x`` their total losses:

        ``count`` (int64)
            ``n``.
        ``mean``, ``std``, ``sem``
            Mean of ``x``, its standard deviation with ``ddof=1`` (as pandas),
            and ``std / sqrt(n)``. NaN for ``n = 0`` (mean) or ``n < 2`` (std, sem).
        ``median``, ``q25``, ``q75``
            Quantiles of ``x`` by linear interpolation (NumPy's and pandas'
            default). NaN for ``n = 0``.
        ``failures`` (int64), ``failure_rate``, ``failure_low``, ``failure_high``
            Present runs with NaN ``converged_epoch``, their fraction of ``n``
            and its Wilson interval (:func:`wilson_interval`). NaN for ``n = 0``.
        ``mean_converged``
            Mean total loss of the runs that converged only; NaN if none did.
        ``mean_converged_epoch``
            Mean ``converged_epoch`` of those runs; NaN if none converged.

        Each variable and coordinate has a ``long_name`` and ``units``
        (:mod:`xorsweep._core.cf_attrs`).

    Raises
    ------
    TypeError, ValueError
        If ``ds`` is not a Dataset with those variables and a ``run`` dim.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset(
    ...     {"total_loss": (("hidden_std", "run"), [[1.0, 3.0, np.nan], [2.0, 2.0, 8.0]]),
    ...      "converged_epoch": (("hidden_std", "run"), [[10.0, np.nan, np.nan], [5, 6, 7]])},
    ...     coords={"hidden_std": [0.5, 1.0]})
    >>> s = summarize(ds)
    >>> s["mean"].values.tolist(), s["count"].values.tolist(), s.failure_rate.values.tolist()
    ([2.0, 4.0], [2, 3], [0.5, 0.0])
    """
    ds = check_results(ds, "ds", ("total_loss", "converged_epoch"))
    confidence = check_confidence(confidence)
    loss_da = ds.total_loss.transpose(..., "run")
    dims = loss_da.dims[:-1]
    loss = np.asarray(loss_da.values, dtype=np.float64)
    conv = np.asarray(ds.converged_epoch.transpose(*dims, "run").values, dtype=np.float64)
    present, x, count, mean, std = _moments(loss)
    with np.errstate(divide="ignore", invalid="ignore"):
        sem = std / np.sqrt(count)
    q25, median, q75 = _quantiles(np.sort(x, axis=-1), count, (0.25, 0.5, 0.75))
    converged = present & np.isfinite(conv)
    failures = count - converged.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(count > 0, failures / count, np.nan)
    low, high = wilson_interval(failures, count, confidence)
    mean_conv, _ = _masked_mean(x, converged)
    mean_epoch, _ = _masked_mean(conv, converged)
    values = {
        "mean": mean,
        "std": std,
        "count": count.astype(np.int64),
        "sem": sem,
        "median": median,
        "q25": q25,
        "q75": q75,
        "failures": failures.astype(np.int64),
        "failure_rate": rate,
        "failure_low": low,
        "failure_high": high,
        "mean_converged": mean_conv,
        "mean_converged_epoch": mean_epoch,
    }
    coords = {name: c for name, c in loss_da.coords.items() if "run" not in c.dims}
    out = xr.Dataset({k: (dims, v) for k, v in values.items()}, coords=coords, attrs=dict(ds.attrs))
    out.attrs["confidence"] = confidence
    return with_cf_attrs(out)


def bootstrap_means(
    values: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap over runs, independently at each point: means and variances.

    Parameters
    ----------
    values : ndarray, shape (point, run)
        NaN marks runs that are not present; a point's present runs are
        resampled with replacement, as many as it has.
    n_boot : int
        Number of bootstrap replicates.
    rng : numpy.random.Generator

    Returns
    -------
    (means, variances) : pair of ndarray, shape (n_boot, point)
        Each replicate's mean and variance (``ddof=1``) at each point; NaN
        where a point has no present run (variance: fewer than two).
    """
    values = np.asarray(values, dtype=np.float64)
    points = values.shape[0]
    means = np.full((n_boot, points), np.nan)
    variances = np.full((n_boot, points), np.nan)
    for j in range(points):
        x = values[j][np.isfinite(values[j])]
        n = x.size
        if n == 0:
            continue
        step = max(1, _CHUNK // n)
        for start in range(0, n_boot, step):
            stop = min(start + step, n_boot)
            draw = x[rng.integers(0, n, size=(stop - start, n))]
            m = draw.mean(axis=1)
            means[start:stop, j] = m
            if n > 1:
                dev = draw - m[:, None]
                variances[start:stop, j] = np.einsum("bn,bn->b", dev, dev) / (n - 1)
    return means, variances


def percentile_interval(draws: np.ndarray, confidence: float = 0.95, axis: int = 0) -> np.ndarray:
    """Percentile bootstrap interval: the ``(1 - c)/2`` and ``(1 + c)/2`` quantiles.

    Parameters
    ----------
    draws : ndarray
        Bootstrap replicates along ``axis``.
    confidence : float
        Coverage, in (0, 1).
    axis : int
        The replicates' axis.

    Returns
    -------
    ndarray, shape (2, *other axes)
        Low and high ends. A NaN replicate makes its interval NaN (NaN
        propagates), so an interval is never silently computed from fewer
        replicates than asked for.
    """
    confidence = check_confidence(confidence)
    alpha = (1.0 - confidence) / 2
    return np.quantile(np.asarray(draws, dtype=np.float64), [alpha, 1.0 - alpha], axis=axis)
