"""The depth study's statistics: per-point shares and losses, the optimum gains and their reading.

:func:`analyse_depth` gives, per (configuration, gain), the mean total loss and
its standard error, the share solved with its Wilson interval and the median
epochs to solve among the solved; per regime (a configuration, and for the
``lr_map`` configurations each learning rate), the optimum gain fitted by
:func:`xorsweep.fit_optimum` (which fits along ``hidden_std``: the gain is put
on that coordinate for the fit and renamed back in the output) at the scale's
epochs and at each budget, or no number and the reason, and the rules' gains of
:func:`~xorsweep.studies.depth.plan.rule_gains`. The readings of those fits,
in words, are :func:`rules_followed` (which rule an optimum follows),
:func:`budget_verdict` (whether a longer budget moves it) and :func:`lr_answer`
(whether the article's optimum is a property of its learning rate).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from ...analysis.fit import fit_optimum
from ...analysis.stats import wilson_interval
from .plan import RULE_NAMES, DepthConfig, rule_gains

__all__ = [
    "DepthAnalysis",
    "analyse_depth",
    "budget_verdict",
    "budget_view",
    "lr_answer",
    "overlap",
    "rules_followed",
]

#: How far (a factor) a learning rate x budget product may lie from the article's to be
#: compared with it in :func:`lr_answer`.
PRODUCT_FACTOR = 1.25


class DepthAnalysis(NamedTuple):
    """What :func:`analyse_depth` returns."""

    points: xr.Dataset  # per (config, gain), the lines trained at one lr
    lr_points: xr.Dataset | None  # per (config, lr, gain), the lr map's; None without it
    optima: list[dict[str, Any]]  # one per regime, in the report's order


def budget_view(ds: xr.Dataset, budget: int) -> xr.Dataset:
    """``total_loss``, ``converged`` and ``converged_epoch`` of ``ds`` at ``budget`` epochs.

    ``ds`` holds ``budget_total_loss``, ``budget_converged`` and
    ``budget_converged_epoch`` over (..., run, budget); the result drops ``budget``.
    A budget not in ``ds`` is a ValueError naming those there.
    """
    budgets = [int(b) for b in ds.budget.values]
    if budget not in budgets:
        raise ValueError(f"budget must be one of {budgets}, got {budget!r}")
    at = ds.sel(budget=budget)
    return xr.Dataset(
        {
            "total_loss": at.budget_total_loss,
            "converged": at.budget_converged,
            "converged_epoch": at.budget_converged_epoch,
        }
    ).drop_vars("budget")


def _point_stats(ds: xr.Dataset) -> xr.Dataset:
    """Per point: mean total loss and sem, shares solved (Wilson 95%) and diverged, median epochs.

    A run whose total loss is not finite diverged: it counts as unsolved and is
    left out of the mean loss. Shares are over all runs. Reduces ``run``.
    """
    runs = ds.sizes["run"]
    finite = np.isfinite(ds.total_loss)
    loss = ds.total_loss.where(finite)
    solved = (ds.converged & finite).sum("run")
    low, high = wilson_interval(solved.values, runs)
    epochs = ds.converged_epoch.where(ds.converged & finite)
    with warnings.catch_warnings():  # a gain where no run solved has no median
        warnings.simplefilter("ignore", RuntimeWarning)
        median = epochs.median("run")
    return xr.Dataset(
        {
            "mean_loss": loss.mean("run"),
            "sem_loss": loss.std("run", ddof=1) / np.sqrt(loss.count("run")),
            "solved": solved / runs,
            "solved_low": (solved.dims, low),
            "solved_high": (solved.dims, high),
            "diverged": (~finite).sum("run") / runs,
            "median_epochs": median,
        }
    )


def _fit(ds: xr.Dataset, n_boot: int, seed: np.random.SeedSequence) -> dict[str, Any]:
    """The optimum gain of one regime over (gain, run), or no number and the reason."""
    along = ds[["total_loss"]].rename(gain="hidden_std")
    fit = fit_optimum(along, n_boot=n_boot, rng=np.random.default_rng(seed), errors="ignore")
    if not fit.ok:  # the fit speaks of hidden_std, which carried the gain
        reason = fit.reason.replace("hidden_std", "gain")
        nan = math.nan
        return {"ok": False, "reason": reason, "optimum": nan, "low": nan, "high": nan}
    low, high = fit.optimum_ci
    return {"ok": True, "reason": "", "optimum": fit.optimum, "low": low, "high": high}


def _nearest(gains: np.ndarray, value: float) -> int:
    return int(np.argmin(np.abs(np.log(gains) - math.log(value))))


def _regime(
    ds: xr.Dataset, gains: Mapping[str, float], n_boot: int, seed: np.random.SeedSequence
) -> dict[str, Any]:
    """The fit of ``ds`` (over gain, run) and the shares and epochs at the optimum and Glorot."""
    point = _point_stats(ds)
    fit = _fit(ds, n_boot, seed)
    inside = [r for r in RULE_NAMES if fit["ok"] and fit["low"] <= gains[r] <= fit["high"]]
    grid = ds.gain.values
    near = _nearest(grid, fit["optimum"]) if fit["ok"] else None
    glorot = _nearest(grid, 1.0)
    return {
        **fit,
        "rules_inside": inside,
        "solved_at_optimum": float(point.solved[near]) if near is not None else math.nan,
        "median_epochs_at_optimum": (
            float(point.median_epochs[near]) if near is not None else math.nan
        ),
        "solved_at_glorot": float(point.solved[glorot]),
        "median_epochs_at_glorot": float(point.median_epochs[glorot]),
    }


#: The keys of :func:`_regime`'s dict.
_REGIME_KEYS = (
    "ok",
    "reason",
    "optimum",
    "low",
    "high",
    "rules_inside",
    "solved_at_optimum",
    "median_epochs_at_optimum",
    "solved_at_glorot",
    "median_epochs_at_glorot",
)


def _rows(
    ds: xr.Dataset, config: DepthConfig, k: int, n_boot: int, seed: int
) -> list[dict[str, Any]]:
    """The regimes of configuration ``k``: one, or one per lr of the lr map."""
    gains = rule_gains(config)
    mapped = "lr" in ds.dims
    rows = []
    for j, lr in enumerate(ds.lr.values if mapped else [ds.attrs.get("lr", math.nan)]):
        at = ds.isel(lr=j).drop_vars("lr") if mapped else ds
        key = (k, j) if mapped else (k,)  # (k,): the seeds of the study before the lr map
        row = {"config": config.name, **_fields(config), "lr": float(lr)}
        row.update(_regime(at, gains, n_boot, np.random.SeedSequence(seed, spawn_key=key)))
        row["budgets"] = []
        for i, b in enumerate(at.budget.values):
            view = budget_view(at, int(b))
            if view.total_loss.equals(at.total_loss):  # the whole training: the same fit
                fit = {name: row[name] for name in _REGIME_KEYS}
            else:
                boot = np.random.SeedSequence(seed, spawn_key=(k, j, i))
                fit = _regime(view, gains, n_boot, boot)
            row["budgets"].append({"budget": int(b), **fit})
        finite = np.isfinite(at.total_loss)
        row.update(
            rules=gains,
            epochs=int(ds.attrs.get("epochs", at.budget.values[-1])),
            diverged_runs=int((~finite).sum()),
            runs=int(at.total_loss.size),
            engine=ds.attrs.get("engine", ""),
        )
        rows.append(row)
    return rows


def analyse_depth(
    results: dict[str, xr.Dataset], configs: list[DepthConfig], n_boot: int, seed: int = 0
) -> DepthAnalysis:
    """Per-point statistics and per-regime optima of the study's results.

    Parameters
    ----------
    results : dict of str to xarray.Dataset
        Configuration name -> :func:`~xorsweep.studies.depth.run.config_results`'
        Dataset over ([lr,] gain, run) and ([lr,] gain, run, budget).
    configs : list of DepthConfig
        In the report's order.
    n_boot : int
        Bootstrap replicates of each fit (>= 20).
    seed : int
        Root seed of the bootstraps.

    Returns
    -------
    DepthAnalysis
        ``points``: the statistics of :func:`_point_stats` over (config, gain) of
        the configurations trained at one lr, their fields as coordinates along
        ``config``; ``lr_points``: the same over (config, lr, gain) for the lr map
        (None without it); ``optima``: one dict per regime with its fields, ``lr``,
        ``ok``, ``reason``, ``optimum`` and its 95% interval ``low``/``high`` in
        gains over Glorot (NaN without an optimum), the rules' gains (``rules``),
        ``rules_inside``, the share solved and the median epochs to solve at the
        grid gain nearest the optimum and at Glorot, the diverged runs, and
        ``budgets``: the same fit and shares at each budget.
    """
    stats, mapped, optima = [], [], []
    for k, config in enumerate(configs):
        ds = results[config.name]
        (mapped if "lr" in ds.dims else stats).append((config, _point_stats(ds)))
        optima += _rows(ds, config, k, n_boot, seed)
    return DepthAnalysis(_stacked(stats), _stacked(mapped), optima)


def _stacked(pairs: list[tuple[DepthConfig, xr.Dataset]]) -> xr.Dataset | None:
    if not pairs:
        return None
    configs = [c for c, _ in pairs]
    points = xr.concat([p for _, p in pairs], dim="config").assign_coords(
        config=[c.name for c in configs]
    )
    for field in _FIELDS:
        points = points.assign_coords({field: ("config", [getattr(c, field) for c in configs])})
    return points


#: A configuration's fields carried by every row and point of the analysis.
_FIELDS = ("line", "task", "depth", "activation", "weights", "optimizer")


def _fields(config: DepthConfig) -> dict[str, Any]:
    return {field: getattr(config, field) for field in _FIELDS}


def rules_followed(row: Mapping[str, Any]) -> str:
    """Which rules' gains lie in the optimum's interval: their names, ``"none"``, or
    ``"no optimum: <reason>"``.

    >>> rules = {"glorot": 1.0, "lecun": 1.22, "he": 1.73, "4x": 4.0, "critical": 12.4}
    >>> rules_followed({"ok": True, "low": 1.1, "high": 1.8, "rules": rules})
    'lecun, he'
    >>> rules_followed({"ok": True, "low": 2.0, "high": 3.0, "rules": rules})
    'none'
    >>> rules_followed({"ok": False, "reason": "lowest at the grid's end", "rules": rules})
    "no optimum: lowest at the grid's end"
    """
    if not row["ok"]:
        return f"no optimum: {row['reason']}"
    gains = row["rules"]
    inside = [r for r in RULE_NAMES if row["low"] <= gains[r] <= row["high"]]
    return ", ".join(inside) or "none"


def overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two optima's 95% intervals share a gain (both must have an optimum).

    >>> overlap({"low": 1.0, "high": 2.0}, {"low": 1.9, "high": 3.0})
    True
    """
    return a["low"] <= b["high"] and b["low"] <= a["high"]


def budget_verdict(row: Mapping[str, Any]) -> tuple[str, str]:
    """Whether a longer budget moves ``row``'s optimum: ``(code, words)``.

    ``code`` is ``"moves"`` (the intervals at the shortest and the longest budget
    with an optimum are disjoint), ``"stays"`` (they overlap) or ``"cannot tell"``
    (an optimum at fewer than two budgets).

    >>> b = [{"budget": 500, "ok": True, "low": 3.0, "high": 4.0},
    ...      {"budget": 2000, "ok": True, "low": 1.0, "high": 2.0}]
    >>> budget_verdict({"budgets": b})
    ('moves', 'moves: 500 and 2,000 epochs disjoint')
    """
    found = [b for b in row["budgets"] if b["ok"]]
    if len(found) < 2:
        return "cannot tell", f"cannot tell: an optimum at {len(found)} budget(s)"
    first, last = found[0], found[-1]
    pair = f"{first['budget']:,} and {last['budget']:,} epochs"
    if overlap(first, last):
        return "stays", f"stays: {pair} overlap"
    return "moves", f"moves: {pair} disjoint"


def _short(fit: Mapping[str, Any]) -> str:
    if not fit["ok"]:
        return "no optimum"
    return f"{fit['optimum']:.3g} [{fit['low']:.3g}, {fit['high']:.3g}]"


def lr_answer(rows: Sequence[Mapping[str, Any]], article_lr: float = 0.1) -> list[str]:
    """Sentences answering "is the optimum a property of lr ``article_lr``?" for one optimiser.

    ``rows`` are the lr map's regimes of one optimiser (:func:`analyse_depth`'s
    optima with ``line == "lr_map"``), each with its ``budgets``. First at the
    longest budget across learning rates; then across the (lr, budget) pairs
    whose product lies within :data:`PRODUCT_FACTOR` of ``article_lr`` times it.
    """
    rows = sorted(rows, key=lambda r: r["lr"])
    opt, epochs = rows[0]["optimizer"], rows[0]["epochs"]
    base = next((r for r in rows if math.isclose(r["lr"], article_lr)), None)
    if base is None:
        return [f"{opt}: lr {article_lr:g} is not on the map; no answer."]
    head = f"{opt} at {epochs:,} epochs"
    if not base["ok"]:
        return [
            f"{head}: no optimum at lr {article_lr:g} ({base['reason']}), so the map cannot "
            "say whether the optimum is a property of that learning rate."
        ]
    found = [r for r in rows if r["ok"]]
    apart = [r for r in found if not overlap(r, base)]
    missing = [r for r in rows if not r["ok"]]
    text = (
        f"{head}: the optimum gain at lr {article_lr:g} is {_short(base)}; over lrs "
        f"{rows[0]['lr']:g} to {rows[-1]['lr']:g} the optima found run from "
        f"{min(r['optimum'] for r in found):.3g} to {max(r['optimum'] for r in found):.3g}. "
    )
    if apart:
        text += (
            "The intervals at lr " + ", ".join(f"{r['lr']:g}" for r in apart) + f" are disjoint "
            f"from lr {article_lr:g}'s: at a fixed budget the optimum depends on the learning "
            "rate."
        )
    else:
        text += (
            f"Every interval found overlaps lr {article_lr:g}'s: at a fixed budget the optimum "
            "does not move measurably with the learning rate."
        )
    if missing:
        text += " No optimum at lr " + ", ".join(f"{r['lr']:g}" for r in missing) + "."
    return [text, _product_sentence(rows, article_lr * epochs, bool(apart))]


def _product_sentence(rows: Sequence[Mapping[str, Any]], product: float, apart: bool) -> str:
    """Whether the optima of (lr, budget) pairs with lr x budget near ``product`` agree."""
    near = [
        (r["lr"], b)
        for r in rows
        for b in r["budgets"]
        if abs(math.log(r["lr"] * b["budget"] / product)) <= math.log(PRODUCT_FACTOR)
    ]
    listed = "; ".join(f"lr {lr:g} x {b['budget']:,} epochs: {_short(b)}" for lr, b in near)
    found = [b for _, b in near if b["ok"]]
    if len(found) < 2:
        return (
            f"At lr x epochs near {product:,.4g} (within a factor {PRODUCT_FACTOR:g}) fewer than "
            f"two pairs have an optimum ({listed or 'no pair'}): the product cannot be tested."
        )
    common = max(b["low"] for b in found) <= min(b["high"] for b in found)
    text = f"At lr x epochs near {product:,.4g} (within a factor {PRODUCT_FACTOR:g}): {listed}. "
    if common:
        text += "Their intervals share a gain"
        text += (
            ": the optimum follows lr x epochs rather than lr alone."
            if apart
            else ", as the intervals at a fixed budget do."
        )
    else:
        text += "Their intervals do not all share a gain: lr x epochs does not fix the optimum."
    return text
