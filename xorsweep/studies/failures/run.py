"""Anatomy of failure as a pipeline: are the article's failures stuck, slow, or on a plateau?

:func:`compute_failures` runs the study and returns a :class:`FailureStudy` of
Datasets without writing anything; :func:`run_failures` runs it and writes the
report, figures, Datasets and ``summary.json``
(:mod:`xorsweep.studies.failures.report`). The stages, in order:

1. **article**: ``runs`` networks at each hidden std trained for the article's
   length (:func:`xorsweep.sweep`, in memory, on all local cores);
2. **follow**: every run that failed there is rebuilt (:func:`xorsweep.replay`),
   trained again to the article's length (the sweep keeps only losses; the end
   states need the parameters, and the losses must equal the sweep's bit for
   bit), then trained on from there to the longest length
   (:func:`xorsweep.training.state.train_on_arrays`: the numbers of one training
   in one go, without recomputing the first epochs);
3. **end states**: :func:`xorsweep.diagnose` of the failures at both lengths,
   their shares per hidden std, their relation to the final-loss groups, and
   one example network per class;
4. **survival**: :func:`xorsweep.survival_curves`, :func:`xorsweep.converged_between`
   and :func:`xorsweep.tail_test` of every run, the failures followed to the end;
5. **basin maps**: :func:`xorsweep.basin_map` of a plane of initial networks
   through a Glorot network (:func:`xorsweep.direction_slice`) at several lengths.

The trainings of stages 2 and 5 are cut into parts trained in threads: the
numba kernel releases the GIL, so every core works, and each network is trained
alone, so no number depends on the cut.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..._core.checks import check_count
from ...analysis.basins import BasinSlice, basin_map, basin_summary, direction_slice
from ...analysis.end_states import END_STATES, LOSS_GROUPS, diagnose, loss_group, state_shares
from ...analysis.survival import converged_between, epoch_grid, survival_curves
from ...analysis.tails import tail_test
from ...model.initialization import init_population
from ...model.network import (
    ARTICLE_OUTPUT_STD,
    GLOROT_STD,
    PARAMETER_NAMES,
    Population,
)
from ...sweeps.execution import default_workers
from ...sweeps.results import replay
from ...sweeps.run import sweep
from ...training.engines import check_engine, settle
from ...training.settings import TrainingSettings
from ...training.state import TrainingState, train_on_arrays
from ...training.trainer import ARTICLE_LR, train
from .plan import FAILURE_SCALES, FailureScale, FailureStudy, check_scale

__all__ = [
    "FAILURE_SCALES",
    "FailureScale",
    "FailureStudy",
    "check_scale",
    "compute_failures",
    "run_failures",
    "train_stages",
]


def train_stages(
    population: Population,
    lengths: list[int],
    *,
    engine: str,
    workers: int,
    lr: float = ARTICLE_LR,
    activation: str = "sigmoid",
) -> list[dict[str, np.ndarray]]:
    """Train ``population`` to each length in turn, going on from the last, in threads.

    The population is cut into parts, each trained by one of ``workers``
    threads (the numba kernel releases the GIL) through every length with
    :func:`xorsweep.training.state.train_on_arrays`. Each network is trained
    alone, and going on equals training in one go, so the numbers are those of
    ``train_arrays(population, length)`` for each length, bit for bit.

    Returns
    -------
    list of dict of str to ndarray
        One per length: the arrays of :func:`xorsweep.training.trainer.train_arrays`,
        run first, in the population's order.
    """
    parts = min(population.runs, 4 * workers)
    bounds = np.linspace(0, population.runs, parts + 1).astype(int)
    state = TrainingState.start(population, lr, engine=engine, activation=activation)
    pieces = [state[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def one(piece: TrainingState) -> list[dict[str, np.ndarray]]:
        done = []
        for length in lengths:
            res, piece = train_on_arrays(piece, length)
            done.append(res)
        return done

    with ThreadPoolExecutor(workers) as pool:
        finished = list(pool.map(one, pieces))
    return [
        {name: np.concatenate([f[k][name] for f in finished]) for name in finished[0][k]}
        for k in range(len(lengths))
    ]


def _trained(res: dict[str, np.ndarray]) -> Population:
    return Population(**{name: res[name] for name in PARAMETER_NAMES})


def _failed_runs(results: xr.Dataset) -> tuple[Population, np.ndarray, np.ndarray]:
    """The initial networks of the runs that failed, with their hidden std and run index."""
    pops, stds, runs = [], [], []
    for std in results.hidden_std.values:
        failed = np.flatnonzero(results.converged_epoch.sel(hidden_std=std).isnull().values)
        if failed.size:
            pops.append(replay(results, failed, hidden_std=float(std)))
            stds.append(np.full(failed.size, std))
            runs.append(failed)
    if not pops:
        raise ValueError("no run failed in the article stage: nothing to follow (more runs?)")
    return Population.concat(pops), np.concatenate(stds), np.concatenate(runs)


def _diagnostics(
    at_article: dict[str, np.ndarray], at_end: dict[str, np.ndarray], between: int, activation: str
) -> dict[str, tuple[str, np.ndarray]]:
    """The end-state variables of the failures, over ``failure``."""
    first = diagnose(_trained(at_article), activation=activation)
    before = _trained(at_article)
    last = diagnose(
        _trained(at_end), previous=before, epochs_between=between, activation=activation
    )
    out: dict[str, Any] = {}
    for suffix, d in (("article", first), ("end", last)):
        out[f"state_{suffix}"] = d.state.values
        out[f"wrong_{suffix}"] = d.wrong.sum("sample").values
        out[f"merged_{suffix}"] = d.merged.sum("sample").values
        for name in ("merge_floor", "grad_norm", "weight_norm"):
            out[f"{name}_{suffix}"] = d[name].values
    out["growth_end"], out["speed_end"] = last.growth.values, last.speed.values
    return {name: ("failure", np.asarray(v)) for name, v in out.items()}


def follow_failures(
    results: xr.Dataset, scale: FailureScale, *, engine: str, workers: int
) -> tuple[xr.Dataset, Population, dict[str, bool]]:
    """Stage 2: the article's failures trained again to its length and to the longest.

    Returns the failures' Dataset over ``failure`` (coordinates ``hidden_std``
    and ``run`` of ``results``), their initial networks, and the checks: the
    replayed runs reproduce the sweep's losses bit for bit and fail again; the
    long training converges after the article's length or never.
    """
    start, stds, runs = _failed_runs(results)
    lengths = [scale.article, scale.longest]
    at_article, at_end = train_stages(
        start, lengths, engine=engine, workers=workers, activation=scale.activation
    )
    stored = results.sel(hidden_std=xr.DataArray(stds), run=xr.DataArray(runs))
    end_epoch = at_end["converged_epoch"]
    checks = {
        "replay reproduces the sweep's losses bit for bit": bool(
            np.array_equal(at_article["total_loss"], stored.total_loss.values)
            and np.array_equal(at_article["final_loss"], stored.final_loss.values)
        ),
        "replayed failures fail again": bool(np.isnan(at_article["converged_epoch"]).all()),
        "the long training converges after the article's length or never": bool(
            np.all(np.isnan(end_epoch) | (end_epoch > scale.article))
        ),
    }
    final = stored.final_loss.values
    variables = {
        "total_loss_article": ("failure", stored.total_loss.values),
        "final_loss_article": ("failure", final),
        "loss_group": ("failure", loss_group(final)),
        "converged_epoch_end": ("failure", end_epoch),
        "final_loss_end": ("failure", at_end["final_loss"]),
        **_diagnostics(at_article, at_end, scale.longest - scale.article, scale.activation),
    }
    coords = {
        "failure": np.arange(stds.size),
        "hidden_std": ("failure", stds),
        "run": ("failure", runs),
    }
    return xr.Dataset(variables, coords=coords), start, checks


def followed_runs(results: xr.Dataset, failures: xr.Dataset, scale: FailureScale) -> xr.Dataset:
    """Every run of the article stage with its convergence epoch, the failures followed.

    Over (hidden_std, run): the sweep's ``total_loss``, ``final_loss`` and
    ``converged_epoch`` (at the article's length), ``failed`` (not converged
    there), ``followed_epoch`` (the failures' epoch of the long training, NaN
    if never) and ``epochs_trained`` (where an unconverged run is censored).
    """
    runs = results[["total_loss", "final_loss", "converged_epoch"]].copy()
    failed = runs.converged_epoch.isnull()
    followed = runs.converged_epoch.copy()
    where = {"hidden_std": failures.hidden_std, "run": failures.run}
    followed.loc[where] = failures.converged_epoch_end.values
    runs["failed"] = failed
    runs["followed_epoch"] = followed
    runs["epochs_trained"] = xr.where(failed, float(scale.longest), float(scale.article))
    runs.attrs.update(results.attrs, longest=scale.longest)
    return runs


def survival_stage(runs: xr.Dataset, scale: FailureScale) -> tuple[xr.Dataset, ...]:
    """Stage 4: survival curves with bands, the share converging after the article's
    length, and the tail test, per hidden std."""
    times = runs[["followed_epoch", "epochs_trained"]].rename(followed_epoch="converged_epoch")
    times = times.assign(total_loss=runs.total_loss)
    grid = np.union1d(epoch_grid(scale.longest), [scale.article])
    curves = survival_curves(times, epochs="epochs_trained", grid=grid)
    between = converged_between(times, scale.article, scale.longest, epochs="epochs_trained")
    tails = tail_test(times, scale.article, epochs="epochs_trained")
    return curves, between, tails


def _shares(failures: xr.Dataset, scale: FailureScale) -> xr.Dataset:
    """End-state shares among the failures over (length, hidden_std, state), and pooled."""
    per_length = []
    for suffix in ("article", "end"):
        states = failures[[f"state_{suffix}"]].rename({f"state_{suffix}": "state"})
        by_std = state_shares(states)
        pooled = state_shares(states, by=None)
        per_length.append(
            by_std.assign(
                runs_in_state_all=pooled.runs_in_state, share_all=pooled.share, runs_all=pooled.runs
            )
        )
    return xr.concat(per_length, dim=xr.DataArray([scale.article, scale.longest], dims="length"))


def _classes(failures: xr.Dataset) -> xr.Dataset:
    """Per end state at the article's length: failures in it, how many converge by the end."""
    state, later = failures.state_article.values, failures.converged_epoch_end.notnull().values
    names = list(END_STATES[1:])
    runs = np.array([np.sum(state == s) for s in names])
    escaped = np.array([np.sum(later & (state == s)) for s in names])
    still = np.array([np.sum(failures.state_end.values == s) for s in names])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = escaped / runs
    return xr.Dataset(
        {
            "runs": ("state", runs),
            "converged_later": ("state", escaped),
            "converged_later_share": ("state", share),
            "runs_end": ("state", still),
        },
        coords={"state": names},
    )


def _groups(failures: xr.Dataset) -> xr.Dataset:
    """The failures by final-loss group and end state at the article's length, with medians."""
    names, states = [*LOSS_GROUPS, "other"], list(END_STATES[1:])
    group, state = failures.loss_group.values, failures.state_article.values
    counts = np.array([[np.sum((group == g) & (state == s)) for s in states] for g in names])
    medians = {}
    for var in ("merged_article", "merge_floor_article", "final_loss_article"):
        values = failures[var].values
        medians[f"median_{var}"] = (
            "loss_group",
            [np.median(values[group == g]) if np.any(group == g) else np.nan for g in names],
        )
    return xr.Dataset(
        {"runs": (("loss_group", "state"), counts), **medians},
        coords={"loss_group": names, "state": states},
    )


def _examples(
    failures: xr.Dataset, start: Population, scale: FailureScale, engine: str
) -> xr.Dataset:
    """The first failure of each class at the article's length, trained again to it."""
    state = failures.state_article.values
    picks = [int(np.flatnonzero(state == s)[0]) for s in END_STATES[1:] if np.any(state == s)]
    trained = train(
        start[np.array(picks)], scale.article, engine=engine, activation=scale.activation
    )
    chosen = failures.isel(failure=picks)
    return trained.assign_coords(
        failure=("run", chosen.failure.values),
        hidden_std=("run", chosen.hidden_std.values),
        source_run=("run", chosen.run.values),
        state=("run", chosen.state_article.values),
    )


def end_state_stage(
    failures: xr.Dataset, start: Population, scale: FailureScale, engine: str
) -> tuple[xr.Dataset, ...]:
    """Stage 3: shares, classes, loss groups and one example network per class."""
    return (
        _shares(failures, scale),
        _classes(failures),
        _groups(failures),
        _examples(failures, start, scale, engine),
    )


def basin_stage(
    scale: FailureScale, *, seed: int, workers: int, engine: str = "auto"
) -> tuple[xr.Dataset, xr.Dataset]:
    """Stage 5: a basin map through a Glorot network at the scale's lengths, and its summary.

    The plane's rows are cut into parts mapped in threads (each network is
    trained alone: the numbers are those of one :func:`xorsweep.basin_map`).
    """
    reference = init_population(
        1, hidden=scale.hidden, hidden_std=GLOROT_STD, output_std=ARTICLE_OUTPUT_STD, seed=seed
    )
    plane = direction_slice(reference, scale.side, extent=scale.map_extent, seed=seed)
    b = plane.beta.size
    rows = [r for r in np.array_split(np.arange(plane.alpha.size), 4 * workers) if r.size]

    def one(r: np.ndarray) -> xr.Dataset:
        part = BasinSlice(
            plane.population[r[0] * b : (r[-1] + 1) * b],
            plane.alpha[r],
            plane.beta,
            plane.origin,
            plane.directions,
            plane.labels,
        )
        lengths = list(scale.map_lengths)
        return basin_map(part, epochs=lengths, engine=engine, activation=scale.activation)

    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(one, rows))
    maps = xr.concat(parts, "alpha", data_vars="minimal", coords="minimal", compat="override")
    maps.attrs.update(reference_hidden_std=GLOROT_STD, reference_output_std=ARTICLE_OUTPUT_STD)
    maps.attrs.update(extent=scale.map_extent, seed=seed)
    return maps, basin_summary(maps)


def article_stage(
    scale: FailureScale, *, seed: int, engine: str, workers: int, progress: bool
) -> xr.Dataset:
    """Stage 1: the article's training of ``scale.runs`` networks per hidden std (a sweep)."""
    stds = list(scale.hidden_stds)
    return sweep(
        stds, scale.runs, epochs=scale.article, seed=seed, engine=engine, workers=workers,
        progress=progress, hidden=scale.hidden, activation=scale.activation,
    )  # fmt: skip


class _Stages:
    """Runs the stages one by one: says what each trains, times it."""

    def __init__(self, say: Callable[[str], None] | None) -> None:
        self.say = say or (lambda line: None)
        self.seconds: dict[str, float] = {}
        self.speed = 0.0  # network-epochs per second of the first stage that trained

    def run(self, label: str, work: int | None, step: Callable[..., Any], *args: Any) -> Any:
        amount = "" if work is None else f": {work:,} network-epochs"
        if work and self.speed:
            amount += f", about {work / self.speed:.0f} s at the article stage's speed"
        self.say(f"{label}{amount} ...")
        began = time.perf_counter()
        value = step(*args)
        self.seconds[label] = time.perf_counter() - began
        self.speed = self.speed or (work or 0) / self.seconds[label]
        self.say(f"{label}: {self.seconds[label]:.1f} s")
        return value


def compute_failures(
    scale: FailureScale,
    *,
    name: str = "custom",
    engine: str = "auto",
    workers: int | None = None,
    seed: int = 0,
    progress: bool = False,
    say: Callable[[str], None] | None = None,
) -> FailureStudy:
    """Run the study's five stages (see the module's docstring); nothing is written.

    Parameters
    ----------
    scale : FailureScale
    name : str
        The scale's name, for the report.
    engine : {"auto", "numpy", "numba"}
        Training engine of every stage (as in :func:`xorsweep.train`).
    workers : int, optional
        Processes of the sweep and threads of the trainings; default all CPUs.
    seed : int
        Root seed of the sweep, the basin map's reference network and directions.
    progress : bool
        The sweep's progress bar.
    say : callable, optional
        Called with one line before each stage (the work it trains) and after it.

    Returns
    -------
    FailureStudy
    """
    workers = default_workers() if workers is None else check_count(workers, "workers")
    settings = TrainingSettings(engine=engine, activation=scale.activation)
    computing = settle(settings, 2, scale.hidden, 1).engine
    stages, work = _Stages(say), scale.work(0)
    options = dict(seed=seed, engine=computing, workers=workers, progress=progress)
    results = stages.run("article", work["article"], lambda: article_stage(scale, **options))
    failed = int(results.converged_epoch.isnull().sum())
    failures, start, checks = stages.run(
        "follow",
        scale.work(failed)["follow"],
        lambda: follow_failures(results, scale, engine=computing, workers=workers),
    )
    shares, classes, groups, examples = stages.run(
        "end states", None, end_state_stage, failures, start, scale, computing
    )
    runs = followed_runs(results, failures, scale)
    curves, between, tails = stages.run("survival", None, survival_stage, runs, scale)
    maps, basins = stages.run(
        "basin maps",
        work["basin maps"],
        lambda: basin_stage(scale, seed=seed, workers=workers, engine=computing),
    )
    return FailureStudy(
        name, scale, seed, computing, workers, runs, failures, curves, between, tails,
        shares, classes, groups, examples, maps, basins, checks, stages.seconds,
    )  # fmt: skip


def run_failures(
    out: str | Path,
    scale: str | FailureScale = "quick",
    *,
    engine: str = "auto",
    workers: int | None = None,
    progress: bool = True,
    seed: int = 0,
) -> Path:
    """Run the failure study and write its report into the directory ``out``.

    Parameters
    ----------
    out : str or path-like
        A directory: new, empty, or a failure report written before (replaced).
    scale : {"quick", "full", "tiny"} or FailureScale
        Sizes (:data:`FAILURE_SCALES`): "quick" about a minute on two cores,
        "full" the issue's (10**6 epochs, a 512 x 512 map), "tiny" for tests.
    engine : {"auto", "numpy", "numba"}
        Training engine (as in :func:`xorsweep.train`).
    workers : int, optional
        Processes and threads; default all CPUs this process may use.
    progress : bool
        Print a line per stage and the sweep's progress bar.
    seed : int
        Root seed (>= 0).

    Returns
    -------
    pathlib.Path
        ``out / "report.md"``; beside it ``summary.json``, ``figures/*.png``
        and ``data/*.zarr`` (the Datasets, Zarr format 2).

    Raises
    ------
    TypeError, ValueError
        For a bad argument or an ``out`` that cannot be written or holds
        something else, before any work; nothing is written.
    """
    from .report import check_out, write_study

    name, size = check_scale(scale)
    engine = check_engine(engine)
    if workers is not None:
        workers = check_count(workers, "workers")
    seed = check_count(seed, "seed", minimum=0)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    out = check_out(out)
    say = print if progress else None
    began = time.perf_counter()
    study = compute_failures(
        size, name=name, engine=engine, workers=workers, seed=seed, progress=progress, say=say
    )
    return write_study(study, out, say=say, started=began)
