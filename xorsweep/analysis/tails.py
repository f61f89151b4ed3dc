"""How the survival tail falls: exponential, power law, or a plateau of runs that never learn.

Beyond an epoch ``t0`` (the article's 10**4, say), the runs not yet converged
are fitted by maximum likelihood with four laws, conditional on ``T > t0`` and
with right-censoring:

* ``exponential``: ``S(t) = exp(-rate (t - t0))``, a constant hazard: runs
  escape at a steady rate, as from a plateau of fixed width;
* ``power_law``: ``S(t) = (t / t0) ** -rate``, hazard ``rate / t``: the
  longer a run has failed, the less likely it is to learn in the next epoch;
* ``exponential_cure`` and ``power_law_cure``: ``S(t) = cure + (1 - cure)
  S_law(t)``, where a fraction ``cure`` never converges (the tail flattens).

Both laws are exponential in a transformed time (``t - t0``, or ``log(t /
t0)`` with the log-Jacobian ``-log t`` of each convergence), so one likelihood
serves both; without a cure fraction the fit is closed-form, with one it is a
bounded two-parameter L-BFGS-B with the exact gradient. Models are compared
by AIC; the plateau by a likelihood-ratio test.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import xarray as xr

from .._core.checks import check_count, check_real
from .grouping import stack_groups
from .survival import check_times, group_times

__all__ = ["TAIL_MODELS", "fit_tail", "tail_test"]

#: The tail laws of :func:`fit_tail`, in order: name -> (family, has a cure fraction).
TAIL_MODELS = {
    "exponential": ("exponential", False),
    "power_law": ("power_law", False),
    "exponential_cure": ("exponential", True),
    "power_law_cure": ("power_law", True),
}


def _tail_loglik(params: np.ndarray, x_e: np.ndarray, x_c: np.ndarray) -> tuple[float, np.ndarray]:
    """Minus the log-likelihood of ``S = pi + (1 - pi) exp(-rate x)`` and its gradient.

    ``params`` is (pi, log rate); ``x_e``, ``x_c`` the transformed times of
    the converged and the censored runs.
    """
    pi, rate = params[0], math.exp(params[1])  # 0 < pi < 1 (bounds of the fit)
    d = x_e.size
    decay = -rate * x_c  # log of the uncured survival at each censoring time
    log_mix = np.logaddexp(math.log(pi), math.log1p(-pi) + decay)  # log S at each
    ll = d * (math.log1p(-pi) + math.log(rate)) - rate * x_e.sum() + log_mix.sum()
    uncured = np.exp(math.log1p(-pi) + decay - log_mix)  # P(uncured | censored), in [0, 1]
    d_pi = -d / (1 - pi) + np.sum((1 - uncured) / pi - uncured / (1 - pi))
    d_rate = d / rate - x_e.sum() - np.sum(x_c * uncured)
    return -ll, -np.array([d_pi, d_rate * rate])


def _fit_family(x_e: np.ndarray, x_c: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """Maximum-likelihood (rate, cure, log-likelihood) without and with a cure fraction."""
    from scipy.optimize import minimize  # imported here: only tail fits need SciPy

    d = x_e.size
    rate = d / (x_e.sum() + x_c.sum())
    plain = (rate, 0.0, d * math.log(rate) - d)
    best = plain
    if x_c.size:
        start = np.array([min(0.9, max(0.05, x_c.size / (d + x_c.size) / 2)), math.log(rate)])
        res = minimize(
            _tail_loglik,
            start,
            args=(x_e, x_c),
            jac=True,
            method="L-BFGS-B",
            # pi strictly inside (0, 1); the rate within e^25 of the fit without a cure fraction
            bounds=[(1e-12, 1.0 - 1e-12), (start[1] - 25.0, start[1] + 25.0)],
        )
        if np.isfinite(res.fun) and -res.fun > plain[2]:
            best = (math.exp(res.x[1]), float(res.x[0]), float(-res.fun))
    return {"plain": plain, "cure": best}


def _no_tail(at_risk: int, events: int) -> dict:
    """The result of :func:`fit_tail` with nothing fitted: NaN numbers, no best model."""
    nan = np.full(len(TAIL_MODELS), np.nan)
    return {
        "rate": nan,
        "cure": nan.copy(),
        "log_likelihood": nan.copy(),
        "aic": nan.copy(),
        "best": "",
        "plateau_pvalue": np.nan,
        "at_risk": at_risk,
        "events": events,
    }


def fit_tail(times: object, observed: object, start: float, *, min_events: int = 5) -> dict:
    """Compare exponential and power-law tails, with and without a plateau, beyond ``start``.

    The runs still unconverged and followed after ``start`` epochs (time >
    ``start``) are fitted by maximum likelihood, conditional on ``T > start``,
    with each law of :data:`TAIL_MODELS`:

    * ``exponential``: ``S(t) = exp(-rate (t - start))``, a constant hazard;
    * ``power_law``: ``S(t) = (t / start) ** -rate``, hazard ``rate / t``;
    * ``*_cure``: ``S(t) = cure + (1 - cure) S_law(t)``, a fraction ``cure``
      that never converges.

    Parameters
    ----------
    times, observed : array_like, shape (run,)
        As in :func:`kaplan_meier`.
    start : float
        Where the tail starts, > 0 epochs.
    min_events : int
        Fewest convergences after ``start`` needed to fit (>= 1); below it
        every fitted number is NaN and ``best`` is empty.

    Returns
    -------
    dict
        ``rate``, ``cure``, ``log_likelihood``, ``aic`` (``2 k - 2 log L``
        with ``k`` 1 or 2 parameters): arrays of shape (model,) in the order
        of :data:`TAIL_MODELS`; ``best`` (the name with the lowest AIC);
        ``plateau_pvalue``: the likelihood-ratio test of a cure fraction in
        the best model's family (``0.5 P(chi2_1 > 2 (log L_cure - log L))``,
        for a parameter on its boundary); ``at_risk`` and ``events``.
    """
    t, obs = check_times(times, observed)
    start = check_real(start, "start", 0.0, strict=True)
    min_events = check_count(min_events, "min_events")
    tail = t > start
    t_tail, o_tail = t[tail], obs[tail]
    out = _no_tail(int(tail.sum()), int(o_tail.sum()))
    if out["events"] < min_events:
        return out
    transforms = {  # the laws are exponential in x, with this log-Jacobian added for the power law
        "exponential": (t_tail - start, 0.0),
        "power_law": (np.log(t_tail / start), -float(np.sum(np.log(t_tail[o_tail])))),
    }
    fits = {}
    for family, (x, jacobian) in transforms.items():
        fam = _fit_family(x[o_tail], x[~o_tail])
        fits[family] = {kind: (r, c, ll + jacobian) for kind, (r, c, ll) in fam.items()}
    for k, (family, cure) in enumerate(TAIL_MODELS.values()):
        rate, pi, ll = fits[family]["cure" if cure else "plain"]
        out["rate"][k], out["cure"][k], out["log_likelihood"][k] = rate, pi, ll
        out["aic"][k] = 2 * (2 if cure else 1) - 2 * ll
    best = list(TAIL_MODELS)[int(np.argmin(out["aic"]))]
    family = TAIL_MODELS[best][0]
    stat = 2 * (fits[family]["cure"][2] - fits[family]["plain"][2])
    out["best"] = best
    out["plateau_pvalue"] = 0.5 * math.erfc(math.sqrt(stat / 2)) if stat > 0 else 1.0
    return out


def tail_test(
    ds: xr.Dataset,
    start: float,
    by: Hashable | None = "hidden_std",
    *,
    epochs: object = None,
    min_events: int = 5,
) -> xr.Dataset:
    """Does the survival tail beyond ``start`` keep falling, and how? Per group.

    Parameters
    ----------
    ds, by, epochs
        As in :func:`survival_curves`.
    start : float
        Where the tail starts (for example the 10**4 epochs of the article).
    min_events : int
        As in :func:`fit_tail`.

    Returns
    -------
    xarray.Dataset
        Over (``by``, ``model``): ``rate`` (per epoch for the exponential
        laws, the exponent for the power laws), ``cure``, ``log_likelihood``,
        ``aic``; over ``by``: ``best``, ``plateau_pvalue``, ``at_risk`` and
        ``events`` (see :func:`fit_tail`).
    """
    start = check_real(start, "start", 0.0, strict=True)
    labels, pairs = group_times(ds, by, epochs)
    rows = [
        fit_tail(t, o, start, min_events=min_events) if t.size else _no_tail(0, 0) for t, o in pairs
    ]
    out = stack_groups(labels, rows, ("model",), {"model": list(TAIL_MODELS)})
    out.attrs.update(start=start, min_events=min_events)
    return out
