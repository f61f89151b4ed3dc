"""Where does Glorot hold? The depth study's runs, per-point statistics and fitted optima.

For each configuration of the scale (:mod:`~xorsweep.studies.depth.plan`) and
each gain ``g`` (a multiple of Glorot's std, every layer), ``runs`` networks are
drawn with ``init_population(rule="glorot", gain=g)`` and trained with
:func:`xorsweep.train` for the scale's epochs at lr 0.1. Each configuration's
per-run ``total_loss``, ``converged`` and ``converged_epoch`` over
``(gain, run)`` go into its own group of the Zarr store ``out/stores/depth.zarr``,
written aside and renamed when whole: a killed study resumes at the first
configuration without a group.

:func:`analyse_depth` gives, per (configuration, gain), the mean total loss and
its standard error, the share solved with its Wilson interval and the median
epochs to solve among the solved; per configuration, the optimum gain fitted
by :func:`xorsweep.fit_optimum` (which fits along ``hidden_std``: the gain is
put on that coordinate for the fit and renamed back to ``gain`` in the output),
or no number and the reason, and the rules' gains of
:func:`~xorsweep.studies.depth.plan.rule_gains`.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ...analysis.fit import fit_optimum
from ...analysis.stats import wilson_interval
from ...model.initialization import init_population
from ...training.engines import check_engine
from ...training.trainer import train
from .plan import RULE_NAMES, DepthConfig, DepthScale, check_scale, point_seed, rule_gains

__all__ = ["STORE", "analyse_depth", "config_results", "estimate_seconds", "run_depth"]

#: The store of per-run results, relative to the study's directory.
STORE = Path("stores") / "depth.zarr"

#: The warning of engine="auto" falling back to NumPy for several hidden layers: expected here.
_FALLBACK = "engine='auto' trains with NumPy"


def _train_point(
    config: DepthConfig, scale: DepthScale, gain: float, seed: np.random.SeedSequence, engine: str
) -> xr.Dataset:
    """``scale.runs`` networks of ``config`` at ``gain``, trained: a Dataset over (run,)."""
    population = init_population(
        scale.runs,
        rule="glorot",
        gain=gain,
        hidden=config.hidden,
        n_in=config.n_in,
        weights=config.weights,
        seed=seed,
    )
    # ReLU networks at large gains overflow: their loss becomes NaN, counted as diverged
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", message=_FALLBACK, category=RuntimeWarning)
        return train(
            population,
            scale.epochs,
            scale.lr,
            data=config.task,
            activation=config.activation,
            optimizer=config.optimizer,
            engine=engine,
        )


def config_results(
    config: DepthConfig, place: int, scale: DepthScale, *, seed: int = 0, engine: str = "auto"
) -> xr.Dataset:
    """Train one configuration at every gain of ``scale``.

    Parameters
    ----------
    config : DepthConfig
    place : int
        Its place in :func:`~xorsweep.studies.depth.plan.all_configs` (its seeds' address).
    scale : DepthScale
    seed : int
        Root seed, >= 0.
    engine : {"auto", "numpy", "numba"}

    Returns
    -------
    xarray.Dataset
        ``total_loss``, ``converged`` and ``converged_epoch`` over (gain, run);
        the configuration's fields, the scale's epochs and lr, the engine and the
        seconds of training (``train_seconds``) in ``attrs``.
    """
    parts, engines, start = [], set(), time.perf_counter()
    for k, gain in enumerate(scale.gains()):
        ds = _train_point(config, scale, float(gain), point_seed(seed, place, k), engine)
        engines.add(ds.attrs["engine"])
        parts.append(ds[["total_loss", "converged", "converged_epoch"]].drop_attrs())
    out = xr.concat(parts, dim="gain").assign_coords(gain=scale.gains(), run=np.arange(scale.runs))
    out.attrs = {
        "config": config.name,
        "line": config.line,
        "task": config.task,
        "n_in": config.n_in,
        "depth": config.depth,
        "activation": config.activation,
        "weights": config.weights,
        "optimizer": config.optimizer,
        "place": place,
        "epochs": scale.epochs,
        "lr": scale.lr,
        "seed": seed,
        "engine": ",".join(sorted(engines)),
        "train_seconds": time.perf_counter() - start,
    }
    return out


def _write_group(ds: xr.Dataset, store: Path, name: str) -> None:
    """Write ``ds`` as group ``name`` of ``store``: aside first, then renamed into place."""
    import zarr

    zarr.open_group(str(store), mode="a")  # the root group, once
    temp = store / f".{name}.{os.getpid()}.partial"
    shutil.rmtree(temp, ignore_errors=True)
    ds.to_zarr(str(temp), mode="w", consolidated=False)
    os.replace(temp, store / name)


#: The attributes a stored configuration must share with the scale to be reused.
_SIZES = ("epochs", "lr", "seed")


def _read_group(store: Path, name: str, scale: DepthScale, seed: int) -> xr.Dataset | None:
    """Group ``name`` of ``store`` loaded, or None if the configuration has not finished.

    A group of another scale or seed is refused (ValueError): results of different
    sizes would be mixed in one report.
    """
    if not (store / name).is_dir():
        return None
    ds = xr.open_zarr(str(store), group=name, consolidated=False).load()
    recorded = (ds.sizes.get("run"), ds.sizes.get("gain"), *(ds.attrs.get(k) for k in _SIZES))
    same = recorded == (scale.runs, scale.points, scale.epochs, scale.lr, seed) and np.allclose(
        ds.gain.values, scale.gains()
    )
    if not same:
        raise ValueError(
            f"{store} holds {name} of another scale or seed (runs, gains, epochs, lr or seed "
            "differ): pass another out, or remove the store to start again"
        )
    return ds


def estimate_seconds(scale: DepthScale | str, engine: str = "auto") -> float:
    """Seconds to train ``scale``, from a probe timed now (a depth-4 XOR population).

    The probe trains ``scale.runs`` 2-4-4-4-4-1 networks for 100 epochs (timed
    the second time: the first warms the imports and caches); the
    work of :meth:`DepthScale.network_epochs` is divided by its speed.
    """
    scale = check_scale(scale) if isinstance(scale, str) else scale
    probe = DepthConfig("depth", 2, 4)
    short = DepthScale(scale.runs, 1, 100, 20)
    engine = check_engine(engine)
    _train_point(probe, short, 1.0, point_seed(0, 0, 0), engine)  # imports and caches warm
    start = time.perf_counter()
    _train_point(probe, short, 1.0, point_seed(0, 0, 1), engine)
    seconds = time.perf_counter() - start
    weights = (2 + 1) * 4 + 3 * (4 + 1) * 4 + (4 + 1)  # 2-4-4-4-4-1: 77 parameters
    per_unit = seconds / (scale.runs * 100 * weights / 17)
    return scale.network_epochs() * per_unit


def _point_stats(ds: xr.Dataset) -> xr.Dataset:
    """Per gain: mean total loss and sem, shares solved (Wilson 95%) and diverged, median epochs.

    A run whose total loss is not finite diverged: it counts as unsolved and is
    left out of the mean loss. Shares are over all runs.
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
            "solved_low": ("gain", low),
            "solved_high": ("gain", high),
            "diverged": (~finite).sum("run") / runs,
            "median_epochs": median,
        }
    )


def _fit(ds: xr.Dataset, n_boot: int, seed: np.random.SeedSequence) -> dict[str, Any]:
    """The optimum gain of one configuration, or no number and the reason."""
    along = ds[["total_loss"]].rename(gain="hidden_std")
    fit = fit_optimum(along, n_boot=n_boot, rng=np.random.default_rng(seed), errors="ignore")
    if not fit.ok:  # the fit speaks of hidden_std, which carried the gain
        reason = fit.reason.replace("hidden_std", "gain")
        return {
            "ok": False,
            "reason": reason,
            "optimum": math.nan,
            "low": math.nan,
            "high": math.nan,
        }
    low, high = fit.optimum_ci
    return {"ok": True, "reason": "", "optimum": fit.optimum, "low": low, "high": high}


def _nearest(gains: np.ndarray, value: float) -> int:
    return int(np.argmin(np.abs(np.log(gains) - math.log(value))))


def analyse_depth(
    results: dict[str, xr.Dataset], configs: list[DepthConfig], n_boot: int, seed: int = 0
) -> tuple[xr.Dataset, list[dict[str, Any]]]:
    """Per-point statistics and per-configuration optima of the study's results.

    Parameters
    ----------
    results : dict of str to xarray.Dataset
        Configuration name -> :func:`config_results`' Dataset over (gain, run).
    configs : list of DepthConfig
        In the report's order.
    n_boot : int
        Bootstrap replicates of each fit (>= 20).
    seed : int
        Root seed of the bootstraps.

    Returns
    -------
    points : xarray.Dataset
        :func:`_point_stats`' variables over (config, gain), the configuration's
        fields as coordinates along ``config``.
    optima : list of dict
        One per configuration: its fields, ``ok``, ``reason``, ``optimum`` and its
        95% interval ``low``/``high`` in gains over Glorot (NaN without an
        optimum), the rules' gains, ``rules_inside`` (the rules whose gain lies
        in the interval), and the share solved at the grid gain nearest the
        optimum and at Glorot (gain 1), and the median epochs to solve there.
    """
    stats, optima = [], []
    for k, config in enumerate(configs):
        ds = results[config.name]
        point = _point_stats(ds)
        stats.append(point)
        fit = _fit(ds, n_boot, np.random.SeedSequence(seed, spawn_key=(k,)))
        gains = rule_gains(config)
        inside = [r for r in RULE_NAMES if fit["ok"] and fit["low"] <= gains[r] <= fit["high"]]
        grid = ds.gain.values
        near = _nearest(grid, fit["optimum"]) if fit["ok"] else None
        at_opt = float(point.solved[near]) if near is not None else math.nan
        epochs_opt = float(point.median_epochs[near]) if near is not None else math.nan
        optima.append(
            {
                "config": config.name,
                **_fields(config),
                **fit,
                "rules": gains,
                "rules_inside": inside,
                "solved_at_optimum": at_opt,
                "median_epochs_at_optimum": epochs_opt,
                "solved_at_glorot": float(point.solved[_nearest(grid, 1.0)]),
                "diverged_runs": int((~np.isfinite(ds.total_loss)).sum()),
                "runs": int(ds.total_loss.size),
                "median_epochs_at_glorot": float(point.median_epochs[_nearest(grid, 1.0)]),
                "engine": ds.attrs.get("engine", ""),
            }
        )
    points = xr.concat(stats, dim="config").assign_coords(config=[c.name for c in configs])
    for field in ("line", "task", "depth", "activation", "weights", "optimizer"):
        points = points.assign_coords({field: ("config", [getattr(c, field) for c in configs])})
    return points, optima


def _fields(config: DepthConfig) -> dict[str, Any]:
    return {
        "line": config.line,
        "task": config.task,
        "depth": config.depth,
        "activation": config.activation,
        "weights": config.weights,
        "optimizer": config.optimizer,
    }


def run_depth(
    out: str | os.PathLike,
    scale: str = "quick",
    *,
    seed: int = 0,
    engine: str = "auto",
    progress: bool = True,
) -> Path:
    """Run the depth study at ``scale`` into ``out``, resuming by configuration; the report.

    Parameters
    ----------
    out : path
        The study's directory (created if missing): ``stores/depth.zarr`` (per-run
        results, one group per configuration), ``report.md``, ``figures/``,
        ``summary.csv`` (per point), ``optima.csv`` and ``summary.json``.
    scale : {"tiny", "quick", "full"}
    seed : int
        Root seed of the networks and the bootstraps, >= 0.
    engine : {"auto", "numpy", "numba"}
    progress : bool
        One line per configuration on stderr.

    Returns
    -------
    pathlib.Path
        ``out / "report.md"``.
    """
    from .report import write_report

    size = check_scale(scale)
    engine = check_engine(engine)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    out = Path(out)
    store = out / STORE
    store.mkdir(parents=True, exist_ok=True)
    selected = size.selected()
    results, start, trained = {}, time.perf_counter(), []
    for n, (place, config) in enumerate(selected, 1):
        done = _read_group(store, config.name, size, seed)
        if done is None:
            begun = time.perf_counter()
            done = config_results(config, place, size, seed=seed, engine=engine)
            _write_group(done, store, config.name)
            trained.append(config.name)
            if progress:
                took = time.perf_counter() - begun
                print(f"[{n}/{len(selected)}] {config.name}: {took:.1f} s", file=sys.stderr)
        results[config.name] = done
    seconds = {
        "training": time.perf_counter() - start,
        "training recorded": sum(
            float(r.attrs.get("train_seconds", 0.0)) for r in results.values()
        ),
    }
    configs = [c for _, c in selected]
    begun = time.perf_counter()
    points, optima = analyse_depth(results, configs, size.n_boot, seed)
    seconds["analysis"] = time.perf_counter() - begun
    context = {
        "scale": scale,
        "seed": seed,
        "engine": engine,
        "trained": trained,
        "seconds": seconds,
    }
    return write_report(out, size, points, optima, context)
