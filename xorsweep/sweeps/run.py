"""Running a sweep: check the arguments, plan the blocks, compute them, keep the results.

:func:`sweep` is the public entry point and :func:`run_sweep` the engine behind
it and ``xorsweep sweep``: it makes or resumes the results (memory, or a store
through :mod:`xorsweep.sweeps.store`), plans the blocks left
(:mod:`~xorsweep.sweeps.planning`), has them computed
(:mod:`~xorsweep.sweeps.execution`) and puts each finished block in place
(:mod:`~xorsweep.sweeps.sinks`), drawing the progress bar. Local workers are
started as soon as the arguments are checked, so that they get ready while
this process makes the store.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .._core.checks import check_count
from ..model.network import ARTICLE_OUTPUT_STD
from ..model.truth_tables import TruthTable
from ..training.trainer import ARTICLE_EPOCHS, ARTICLE_LR, DEFAULT_BLOCK
from .config import SweepConfig, article_grid
from .execution import default_workers, run_dask, run_here, run_processes
from .planning import PlannedBlock, block_target, choose_layout, pending_runs, plan_blocks
from .results import allocate
from .sinks import MemorySink, Sink, store_block
from .store import (
    ChunkLayout,
    ResultsWriter,
    check_compatible,
    create_store,
    open_results,
    path_state,
    read_header,
)
from .tasks import warm_up_task
from .workers import LocalWorkers

__all__ = ["SweepReport", "run_sweep", "settle", "sweep"]


@dataclass(frozen=True)
class SweepReport:
    """What one call of :func:`run_sweep` computed."""

    blocks: int  # blocks computed
    runs: int  # runs computed
    seconds: float  # wall time of the computation
    epochs: int  # epochs per run
    present: int  # runs the results hold afterwards
    # wall time of the computation over every call that filled these results, resumed
    # ones included (a store's root attribute compute_seconds); in memory, this call's
    total_seconds: float = 0.0

    @property
    def net_epochs_per_second(self) -> float:
        """Runs times epochs per second of wall time (0 if nothing was computed)."""
        return self.runs * self.epochs / self.seconds if self.runs and self.seconds else 0.0


def _requested(runs: Any, config: SweepConfig) -> np.ndarray:
    """``runs`` as an int64 array of the grid's shape, checked."""
    shape = config.grid_shape
    if isinstance(runs, xr.DataArray):
        if set(runs.dims) != set(config.grid_dims):
            raise ValueError(
                f"runs must be over the grid's dimensions {config.grid_dims}, got {runs.dims}"
            )
        for dim, values in config.coords.items():
            if dim in runs.coords and not np.array_equal(runs[dim].values, values):
                raise ValueError(f"runs' {dim} coordinate must equal the grid's values exactly")
        runs = runs.transpose(*config.grid_dims).values
    if isinstance(runs, (bool, np.bool_)):
        raise TypeError(f"runs must be an integer >= 1 or one per grid point, got {runs!r}")
    if np.ndim(runs) == 0 and not isinstance(runs, (str, bytes)):
        return np.full(shape, check_count(runs, "runs"), dtype=np.int64)
    arr = np.asarray(runs)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"runs must hold integers (one per grid point), got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(
            f"runs must be an integer or have the grid's shape {shape}, got shape {arr.shape}"
        )
    if np.any(arr < 0) or arr.sum() < 1:
        raise ValueError("runs per point must be >= 0, and at least one must be >= 1")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class _Execution:
    """How the blocks are computed (checked arguments); the results do not depend on it."""

    workers: int  # the work is split evenly for this many processes (or Dask threads)
    block_size: int  # largest block wanted
    progress: bool  # draw a progress bar
    client: Any = None  # a distributed.Client to compute on, or None
    pool: LocalWorkers | None = None  # local worker processes, started, or None


def _check_execution(workers: Any, client: Any, block_size: Any, progress: Any) -> _Execution:
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    block_size = check_count(block_size, "block_size")
    if client is not None:
        if workers is not None:
            raise ValueError("give workers (local processes) or client (Dask), not both")
        if not callable(getattr(client, "submit", None)):
            raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
        return _Execution(max(1, sum(client.nthreads().values())), block_size, progress, client)
    if workers is None:
        return _Execution(default_workers(), block_size, progress)
    return _Execution(check_count(workers, "workers"), block_size, progress)


def _fill(
    config: SweepConfig, sink: Sink, requested: np.ndarray, execution: _Execution
) -> SweepReport:
    """Compute every requested run that ``sink`` lacks, on Dask, local workers or here."""
    sink.extend_runs(int(requested.max()))
    filled = sink.filled()
    todo = pending_runs(requested, filled, sink.layout, sink.runs)
    target = block_target(todo, execution.block_size, execution.workers)
    blocks = plan_blocks(config, requested, filled, sink.layout, sink.runs, target)
    start = time.perf_counter()
    done = _compute(config, sink, filled, blocks, execution)
    return SweepReport(
        len(blocks),
        done,
        time.perf_counter() - start,
        config.epochs,
        int(filled.sum()),
        sink.compute_seconds,
    )


def _compute(
    config: SweepConfig,
    sink: Sink,
    filled: np.ndarray,
    blocks: list[PlannedBlock],
    execution: _Execution,
) -> int:
    """Compute ``blocks`` and put each into ``sink`` as it finishes; the runs computed.

    The wall time is added to the sink's compute time after every block (and at
    an interruption), so that it adds up over interrupted and resumed sweeps.
    """
    start = last = time.perf_counter()
    pool = execution.pool
    if execution.client is not None:
        results = run_dask(blocks, execution.client)
    elif pool is None or len(blocks) <= 1 or not pool.ready():  # not ready: it said why
        results = run_here(blocks)
    else:
        results = run_processes(blocks, pool)
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(blocks),
        unit="block",
        desc="sweep",
        disable=not execution.progress,
        dynamic_ncols=True,
    )
    done, finished = 0, False
    try:
        for block, result in results:
            store_block(sink, filled, block, result)
            now = time.perf_counter()
            sink.add_compute_seconds(now - last)
            done, last = done + block.task.runs, now
            rate = done * config.epochs / max(now - start, 1e-9)
            bar.set_postfix_str(f"{rate:.3g} net-epochs/s", refresh=False)
            bar.update(1)
        finished = True
    finally:
        results.close()
        bar.close()
        if blocks and not finished:  # the time spent on the blocks in flight counts too
            with contextlib.suppress(OSError):
                sink.add_compute_seconds(time.perf_counter() - last)
    return done


def _open_sink(
    config: SweepConfig, path: Path | None, resume: bool, runs: int, layout: ChunkLayout | None
) -> Sink:
    """Where the results go: memory, a new store, or the store being resumed."""
    if path is None:
        return MemorySink(config.grid_shape, runs, layout, len(config.budgets or ()))
    if not resume:
        attrs = config.store_attrs()  # the configuration as one attribute
        create_store(path, attrs=attrs, coords=config.coords, runs=runs, layout=layout,
                     budgets=config.budgets)  # fmt: skip
    return ResultsWriter(path)


def _stored_config(path: Path | None) -> SweepConfig | None:
    """The configuration recorded by the store at ``path``; None where there is none yet."""
    if path is None or path_state(path) != "store":
        return None
    header = read_header(path)
    return SweepConfig.from_attrs(header.attrs, header.coords["hidden_std"])


def settle(config: SweepConfig, store: str | os.PathLike | None = None) -> SweepConfig:
    """``config`` with the engine that computes its runs into ``store`` (None: in memory):
    the store's own engine if it exists (see :meth:`SweepConfig.settled`)."""
    path = None if store is None else Path(store)
    return config.settled(_stored_config(path), f"the store {path}")


def run_sweep(
    config: SweepConfig,
    runs: Any = 10,
    *,
    store: str | os.PathLike | None = None,
    workers: int | None = None,
    client: Any = None,
    progress: bool = True,
    block_size: int = DEFAULT_BLOCK,
    total_runs: int | None = None,
) -> tuple[xr.Dataset | None, SweepReport]:
    """Run a sweep of ``config``; the engine behind :func:`sweep` and ``xorsweep sweep``.

    Takes the arguments of :func:`sweep` (with the configuration as one
    :class:`SweepConfig`) and returns ``(results, report)``: ``results`` is
    the in-memory Dataset if ``store`` is None, else None (see
    :func:`xorsweep.open_results`); ``report`` is a :class:`SweepReport`.
    """
    if not isinstance(config, SweepConfig):
        raise TypeError(f"config must be a SweepConfig, got {type(config).__name__}")
    requested = _requested(runs, config)
    execution = _check_execution(workers, client, block_size, progress)
    if total_runs is not None:
        total_runs = check_count(total_runs, "total_runs")
    path = None if store is None else Path(store)
    stored = _stored_config(path)
    resume = stored is not None
    layout = None
    config = config.settled(stored, f"the store {path}")
    if resume:  # check everything before writing anything
        check_compatible(stored.identity(), config.identity(), path)
    else:
        most, total = int(requested.max()), int(requested.sum())
        layout = choose_layout(
            config.grid_shape, most, total, execution.block_size, execution.workers
        )
    with contextlib.ExitStack() as stack:
        if client is None and execution.workers > 1:
            pool = stack.enter_context(LocalWorkers(execution.workers, warm_up_task(config)))
            pool.start()  # they get ready on other cores while the store is made or opened
            execution = replace(execution, pool=pool)
        sink = _open_sink(config, path, resume, int(requested.max()), layout)
        report = _fill(config, sink, requested, execution)
        if total_runs is not None and total_runs > report.present:
            current = sink.dataset(config) if store is None else open_results(store)
            more = allocate(current, total_runs - report.present)
            second = _fill(config, sink, more.transpose(*config.grid_dims).values, execution)
            report = SweepReport(
                report.blocks + second.blocks,
                report.runs + second.runs,
                report.seconds + second.seconds,
                config.epochs,
                second.present,
                second.total_seconds,
            )
    return (sink.dataset(config) if store is None else None), report


def sweep(
    hidden_std: Any = None,
    runs: Any = 10,
    *,
    output_std: Any = ARTICLE_OUTPUT_STD,
    lr: Any = ARTICLE_LR,
    epochs: int = ARTICLE_EPOCHS,
    seed: int = 0,
    update: str = "article",
    data: str | TruthTable = "xor",
    hidden: int | Sequence[int] = 2,
    activation: str | Sequence[str] = "sigmoid",
    gradient: str | Sequence[str] = "sum",
    bias: str | Sequence[str] = "scaled",
    engine: str = "auto",
    optimizer: str | Sequence[str] = "gd",
    optimizer_params: dict | None = None,
    depth: int = 1,
    weights: str = "normal",
    precision: str = "float64",
    budgets: Sequence[int] | None = None,
    store: str | os.PathLike | None = None,
    workers: int | None = None,
    client: Any = None,
    progress: bool = True,
    block_size: int = DEFAULT_BLOCK,
    total_runs: int | None = None,
    load: bool = True,
) -> xr.Dataset:
    """Train ``runs`` networks at every point of a grid and collect their losses.

    Parameters
    ----------
    hidden_std : array_like, shape (point,), optional
        Hidden-layer stds: distinct, finite, > 0; kept as exact float64
        coordinates. Default: the article's ``exp(linspace(-3, 4, 400))``
        (:func:`article_grid`).
    runs : int or array_like of int, shape (grid...)
        Runs every point should hold: one number (>= 1), or one per point
        (>= 0; e.g. from :func:`allocate`). Point ``p`` gets every run index
        ``r < runs[p]`` it does not hold yet; runs it already holds are kept,
        whatever ``runs`` says.
    output_std : float, array_like, shape (o,), or "glorot"
        Output-layer std; an array adds an ``output_std`` dimension;
        ``"glorot"`` is ``sqrt(2 / (hidden + n_out))`` at each width.
    lr : float or array_like, shape (l,)
        Learning rate, in (0, 1e6]; an array adds an ``lr`` dimension.
    epochs : int
        Gradient steps per run, >= 1.
    seed : int
        Root of every run's seed (see :mod:`xorsweep.sweeps.seeding`), >= 0.
    update, data
        As in :func:`xorsweep.train`: ``data`` a table's name or a custom
        :class:`~xorsweep.TruthTable` (kept in the results' attributes).
    hidden : int or sequence of int
        Hidden width(s), from 1 to 256; a sequence adds a ``hidden`` dimension.
    activation, gradient, bias : str or sequence of str
        As in :func:`xorsweep.train` (``"sigmoid"`` or ``"tanh"``; ``"sum"``
        or ``"mean"``) and :func:`xorsweep.init_population` (``"scaled"`` or
        ``"zero"``); a sequence (even of one) adds that dimension. Runs that
        differ only in these start from the same normals (see ``seeding``).
    engine : {"auto", "numpy", "numba"}
        The training engine, as in :func:`xorsweep.train`; the results record
        the one that computed them. A store is resumed with its own engine:
        ``"auto"`` is that one, another is refused (a store made before
        engines existed is NumPy's).
    optimizer : str or sequence of str
        As in :func:`xorsweep.train` (``"gd"``, the article's; ``"momentum"``,
        ``"nesterov"``, ``"adam"``, ``"rmsprop"``); a sequence adds that dimension.
    optimizer_params : dict, optional
        Hyper-parameters other than the defaults, by optimiser:
        ``{"adam": {"betas": (0.9, 0.99)}}``.
    depth : int
        Hidden layers per network, 1 (the article's) to 16, each of the point's
        width, every one drawn with the point's hidden std; an attribute of the
        results (recorded where it is not 1).
    weights : {"normal", "orthogonal"}
        The initial weights (as in :func:`xorsweep.init_population`); an
        attribute of the results (recorded where it is not ``"normal"``).
    precision : {"float64", "float32"}
        The numba engine's arithmetic (:func:`xorsweep.train`); recorded in the
        results; a store is only added to in its own precision.
    budgets : sequence of int, optional
        Strictly increasing epochs from 1 to ``epochs`` at which every run is also
        scored as if trained that long (as in :func:`xorsweep.train`): variables
        ``budget_total_loss`` and ``budget_converged_epoch`` over (grid..., run,
        budget); read them with :func:`xorsweep.at_budget` or
        :func:`xorsweep.along_budget`. Recorded in the results; a store is only
        added to with its own budgets.
    store : str or path-like, optional
        A Zarr directory for the results. If it does not exist (or is an empty
        directory) it is created; if it holds results of the same
        configuration, the sweep resumes them or adds runs; anything else is
        refused and left untouched. Without a store the results stay in memory.
    workers : int, optional
        Local processes; default all CPUs this process may use. 1 computes in
        this process. Workers never import the caller's main module: a script
        needs no ``if __name__ == "__main__":``, and code from ``python -c``,
        standard input, IPython or Jupyter works alike (see
        :mod:`xorsweep.sweeps.workers`). Where they cannot start, a RuntimeWarning
        says so before any training and the sweep computes in this process.
    client : distributed.Client, optional
        Send blocks to this Dask cluster as tasks instead (not with
        ``workers``). Only this process writes to the store.
    progress : bool
        Show a ``tqdm.auto`` bar of blocks and net-epochs per second.
    block_size : int
        Largest block wanted: the work is split evenly into the fewest blocks
        of at most this many runs whose number is a multiple of the workers; a
        block is whole chunks of the results (cut when they are first made),
        grouped until it holds that many runs. Results do not depend on it.
    total_runs : int, optional
        After ``runs``, add runs where the relative standard error of the mean
        loss is largest (:func:`allocate`) until the results hold
        ``total_runs`` runs. Re-running then adds nothing; an interrupted call
        resumes towards the same total (the spread may differ slightly from an
        uninterrupted one, which allocates once).
    load : bool
        With a store: read the results into memory (default), or return them
        lazily (Dask arrays over the store) for sweeps larger than memory.

    Returns
    -------
    xarray.Dataset
        Dimensions ``hidden_std``, then ``output_std``, ``lr``, ``hidden``,
        ``activation``, ``gradient`` and ``bias`` where given as sequences
        (``hidden`` int64, the names strings), then ``run`` (0 .. R-1).
        Variables ``total_loss`` (the article's metric), ``final_loss`` and
        ``converged_epoch`` (see :func:`xorsweep.train`), float64; runs a
        point does not hold are NaN in all three, so ``isfinite(total_loss)``
        marks the runs present.
        Attributes: the configuration (:meth:`SweepConfig.attrs`), the seeding
        rule and the package versions.

    Raises
    ------
    TypeError, ValueError
        For bad arguments, a store path that is a file or holds something
        else, or a store of a different configuration or engine; nothing is
        written.

    See Also
    --------
    open_results, replay, allocate, to_article_frame

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 1.0, 2.0], runs=4, epochs=200, workers=1, progress=False)
    >>> dict(ds.sizes), ds.total_loss.dtype.name
    ({'hidden_std': 3, 'run': 4}, 'float64')
    >>> bool(ds.total_loss.notnull().all()), ds.attrs["epochs"], ds.attrs["output_std"]
    (True, 200, 0.8165)

    The study axes: a list adds a dimension, a single value stays an attribute.

    >>> ds = xs.sweep([1.0], runs=2, epochs=50, hidden=[2, 4], bias=["scaled", "zero"],
    ...               output_std="glorot", activation="tanh", workers=1, progress=False)
    >>> dict(ds.sizes), ds.attrs["activation"], ds.attrs["output_std"]
    ({'hidden_std': 1, 'hidden': 2, 'bias': 2, 'run': 2}, 'tanh', 'glorot')
    """
    if not isinstance(load, (bool, np.bool_)):
        raise TypeError(f"load must be True or False, got {load!r}")
    if store is None and not load:
        raise ValueError("load=False needs a store: without one the results are in memory")
    config = SweepConfig(
        hidden_std=article_grid() if hidden_std is None else hidden_std,
        output_std=output_std,
        lr=lr,
        epochs=epochs,
        seed=seed,
        update=update,
        data=data,
        hidden=hidden,
        activation=activation,
        gradient=gradient,
        bias=bias,
        engine=engine,
        optimizer=optimizer,
        optimizer_params=optimizer_params or {},
        depth=depth,
        weights=weights,
        precision=precision,
        budgets=budgets,
    )
    results, _ = run_sweep(
        config,
        runs,
        store=store,
        workers=workers,
        client=client,
        progress=progress,
        block_size=block_size,
        total_runs=total_runs,
    )
    if store is None:
        return results
    return open_results(store, chunks=None if load else {})
