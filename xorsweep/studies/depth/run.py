"""Where does Glorot hold? The depth study's runs, stored by configuration, and its driver.

For each configuration of the scale (:mod:`~xorsweep.studies.depth.plan`) and
each gain ``g`` (a multiple of Glorot's std, every layer), ``runs`` networks are
drawn with ``init_population(rule="glorot", gain=g)`` and trained with
:func:`xorsweep.train` for the scale's epochs at lr 0.1 (the ``lr_map``
configurations: the same networks at each of the scale's ``map_lrs``), scored
also at each of the scale's budgets. Each configuration's per-run
``total_loss``, ``converged`` and ``converged_epoch`` over ``([lr,] gain, run)``
and ``budget_total_loss``, ``budget_converged`` and ``budget_converged_epoch``
over ``([lr,] gain, run, budget)`` go into its own group of the Zarr store
``out/stores/depth.zarr``, written aside and renamed when whole: a killed study
resumes at the first configuration without a group. The statistics and fits are
:mod:`~xorsweep.studies.depth.analysis`'s.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from ...model.initialization import init_population
from ...training.engines import check_engine
from ...training.trainer import train
from .analysis import analyse_depth
from .plan import DepthConfig, DepthScale, check_scale, point_seed

__all__ = ["STORE", "analyse_depth", "config_results", "estimate_seconds", "run_depth"]

#: The store of per-run results, relative to the study's directory.
STORE = Path("stores") / "depth.zarr"

#: The warning of engine="auto" falling back to NumPy for several hidden layers: expected here.
_FALLBACK = "engine='auto' trains with NumPy"

#: The per-run variables kept of each training.
_KEPT = (
    "total_loss",
    "converged",
    "converged_epoch",
    "budget_total_loss",
    "budget_converged",
    "budget_converged_epoch",
)


def _train_point(
    config: DepthConfig,
    scale: DepthScale,
    gain: float,
    seed: np.random.SeedSequence,
    engine: str,
    lr: float | None = None,
) -> xr.Dataset:
    """``scale.runs`` networks of ``config`` at ``gain`` trained at ``lr`` (None: the scale's).

    The networks depend on ``seed`` and ``gain`` alone, never on ``lr``. A Dataset
    over (run,) and (run, budget).
    """
    population = init_population(
        scale.runs,
        rule="glorot",
        gain=gain,
        hidden=config.hidden,
        n_in=config.n_in,
        weights=config.weights,
        seed=seed,
    )
    options = dict(data=config.task, activation=config.activation, optimizer=config.optimizer)
    lr = scale.lr if lr is None else lr
    # ReLU networks at large gains overflow: their loss becomes NaN, counted as diverged
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
        warnings.filterwarnings("ignore", message=_FALLBACK, category=RuntimeWarning)
        ds = train(population, scale.epochs, lr, engine=engine, budgets=scale.budgets, **options)
        return ds  # a run whose parameters overflowed is diverged (xorsweep.train)


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
        ``total_loss``, ``converged`` and ``converged_epoch`` over (gain, run),
        ``budget_total_loss``, ``budget_converged`` and ``budget_converged_epoch``
        over (gain, run, budget); an ``lr_map`` configuration has an ``lr``
        dimension first, its networks at a gain index the same at every lr. The
        configuration's fields, the scale's epochs, lr and budgets, the engine and
        the seconds of training (``train_seconds``) in ``attrs``.
    """
    engines, start = set(), time.perf_counter()
    lrs = scale.lrs(config)
    by_lr = []
    for lr in lrs:
        parts = []
        for k, gain in enumerate(scale.gains()):
            seed_k = point_seed(seed, place, k)  # the same networks at every lr
            ds = _train_point(config, scale, float(gain), seed_k, engine, lr)
            engines.add(ds.attrs["engine"])
            parts.append(ds[list(_KEPT)].drop_attrs())
        by_lr.append(xr.concat(parts, dim="gain"))
    out = by_lr[0] if config.line != "lr_map" else xr.concat(by_lr, dim="lr")
    out = out.assign_coords(gain=scale.gains(), run=np.arange(scale.runs))
    if config.line == "lr_map":
        out = out.assign_coords(lr=np.array(lrs))
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
        "budgets": list(scale.budgets),
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


def _same_sizes(ds: xr.Dataset, config: DepthConfig, scale: DepthScale, seed: int) -> bool:
    """Whether stored ``ds`` has ``scale``'s runs, gains, epochs, lr, budgets, lrs and ``seed``."""
    recorded = (ds.sizes.get("run"), ds.sizes.get("gain"), *(ds.attrs.get(k) for k in _SIZES))
    if recorded != (scale.runs, scale.points, scale.epochs, scale.lr, seed):
        return False
    if "budget" not in ds.coords or list(ds.budget.values) != list(scale.budgets):
        return False
    lrs = ds.lr.values if "lr" in ds.dims else ()
    if config.line == "lr_map" and not np.allclose(lrs, scale.map_lrs):
        return False
    return bool(np.allclose(ds.gain.values, scale.gains()))


def _read_group(
    store: Path, config: DepthConfig, scale: DepthScale, seed: int
) -> xr.Dataset | None:
    """Group ``name`` of ``store`` loaded, or None if the configuration has not finished.

    A group of another scale or seed is refused (ValueError): results of different
    sizes would be mixed in one report.
    """
    name = config.name
    if not (store / name).is_dir():
        return None
    ds = xr.open_zarr(str(store), group=name, consolidated=False).load()
    if not _same_sizes(ds, config, scale, seed):
        raise ValueError(
            f"{store} holds {name} of another scale or seed (runs, gains, epochs, lr, budgets, "
            "the map's lrs or seed differ): pass another out, or remove the store to start again"
        )
    return ds


def estimate_seconds(scale: DepthScale | str, engine: str = "auto") -> dict[str, float]:
    """Seconds to train ``scale``, by line, from a probe timed now (a depth-4 XOR population).

    The probe trains ``scale.runs`` 2-4-4-4-4-1 networks for 100 epochs (timed
    the second time: the first warms the imports and caches); the work of
    :meth:`DepthScale.network_epochs` of each line is divided by its speed.
    Returns line name -> seconds, for the lines the scale runs.
    """
    scale = check_scale(scale) if isinstance(scale, str) else scale
    probe = DepthConfig("depth", 2, 4)
    short = DepthScale(scale.runs, 1, 100, 20, budgets=(50, 100))  # scored as the study's
    engine = check_engine(engine)
    _train_point(probe, short, 1.0, point_seed(0, 0, 0), engine)  # imports and caches warm
    start = time.perf_counter()
    _train_point(probe, short, 1.0, point_seed(0, 0, 1), engine)
    seconds = time.perf_counter() - start
    weights = (2 + 1) * 4 + 3 * (4 + 1) * 4 + (4 + 1)  # 2-4-4-4-4-1: 77 parameters
    per_unit = seconds / (scale.runs * 100 * weights / 17)
    lines = dict.fromkeys(c.line for _, c in scale.selected())
    return {line: scale.network_epochs(line) * per_unit for line in lines}


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
        ``summary.csv`` (per point), ``lr_map.csv`` (per point of the lr map),
        ``optima.csv``, ``budgets.csv`` (each regime's optimum at each budget) and
        ``summary.json``.
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
        done = _read_group(store, config, size, seed)
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
    analysis = analyse_depth(results, configs, size.n_boot, seed)
    seconds["analysis"] = time.perf_counter() - begun
    context = {
        "scale": scale,
        "seed": seed,
        "engine": engine,
        "trained": trained,
        "seconds": seconds,
    }
    return write_report(out, size, analysis, context)
