"""Sweeps: many independently seeded runs at every point of a grid.

A sweep trains ``runs`` networks at each point of a grid of hidden-layer
standard deviations (the article's 400 values ``exp(linspace(-3, 4, 400))``),
optionally crossed with a grid of output-layer stds and of learning rates, and
keeps each run's ``total_loss``, ``final_loss`` and ``converged_epoch``.

Reproducible by construction
----------------------------
Run ``r`` at the grid point ``(h, o, lr)`` starts from the standard normals
drawn by ::

    numpy.random.default_rng(
        numpy.random.SeedSequence(seed, spawn_key=(bits(h), bits(o), bits(lr), r))
    ).standard_normal(n_parameters)

in the order of :func:`xorsweep.init_population` (hidden weights, hidden bias,
output weights, output bias), scaled by ``h`` (hidden layer) and ``o``
(output layer); ``bits(x)`` is the IEEE-754 bit pattern of the float64 ``x``
read as an unsigned 64-bit integer. A run's numbers therefore depend only on
the seed, the point's values and the run index: not on the grid's other
points, the block it was trained in, the number of workers or the machine
that ran it. :func:`replay` rebuilds any run's initial network from that rule.
A block computes the same numbers for all its runs at once (NumPy's published
SeedSequence and PCG64 seeding, vectorised over the run index: about 3 us a
run instead of 15) and checks one run against NumPy's own objects; see
:mod:`xorsweep.seeding`.

Blocks
------
The work is cut into blocks of a few thousand runs (one grid point and a range
of runs, or several points' runs together): large enough that the trainer runs
at full speed and that per-block costs (a task, a store write) are small. A
block is the unit of work of a worker process or a Dask task; only the calling
process writes to the store (see :mod:`xorsweep.store`) and draws the progress
bar. The computation (:func:`xorsweep.tasks.compute_block`) does no I/O and
needs neither xarray nor Zarr.

Local workers (:mod:`xorsweep.workers`) are fresh Python processes that
import only a block's computation, never the caller's main module, so a sweep
runs the same however Python was started; they have one BLAS thread each and
exit by themselves if the sweep's process is killed. They are started as soon
as the arguments are checked, so that they get ready while the calling
process makes the store.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from . import store as _store
from ._checks import check_choice, check_count, check_grid
from .network import Population, init_population
from .seeding import seed_sequence
from .tasks import VARIABLES, BlockTask, compute_block
from .training import DEFAULT_BLOCK, MAX_LR, UPDATES
from .truth_tables import truth_table
from .workers import LocalWorkers

__all__ = [
    "ARTICLE_OUTPUT_STD",
    "SweepConfig",
    "SweepReport",
    "allocate",
    "article_grid",
    "compute_block",
    "replay",
    "run_sweep",
    "sweep",
    "to_article_frame",
]

#: The article's output-layer std, close to Glorot's sqrt(2 / (2 + 1)) = 0.816497.
ARTICLE_OUTPUT_STD = 0.8165

#: Grid dimensions in the order they appear in results (before ``run``).
GRID_DIMS = ("hidden_std", "output_std", "lr")


def article_grid(
    points: int = 400, std_min: float = math.exp(-3.0), std_max: float = math.exp(4.0)
) -> np.ndarray:
    """Log-spaced stds ``exp(linspace(log(std_min), log(std_max), points))``.

    The defaults give the article's grid ``exp(linspace(-3, 4, 400))`` bit for
    bit (``log(exp(-3.0))`` is exactly -3.0, likewise 4.0).

    Parameters
    ----------
    points : int
        Number of values, >= 1 (1 gives ``[std_min]``).
    std_min, std_max : float
        First and last value, finite and > 0, ``std_min < std_max`` unless
        ``points`` is 1.

    Returns
    -------
    ndarray, shape (points,)

    Examples
    --------
    >>> grid = article_grid()
    >>> grid.shape, bool(np.array_equal(grid, np.exp(np.linspace(-3, 4, 400))))
    ((400,), True)
    >>> article_grid(3, 0.1, 10.0).round(6).tolist()
    [0.1, 1.0, 10.0]
    """
    points = check_count(points, "points")
    lo = float(check_grid(std_min, "std_min"))
    hi = float(check_grid(std_max, "std_max"))
    if points > 1 and not lo < hi:
        raise ValueError(f"std_min must be < std_max, got {lo:g} and {hi:g}")
    return np.exp(np.linspace(np.log(lo), np.log(hi), points))


def _axis(value: Any, name: str, upper: float = np.inf) -> float | tuple[float, ...]:
    """A scalar stays a float; an array becomes a tuple of floats (a grid dimension)."""
    if isinstance(value, tuple):
        value = list(value)
    arr = check_grid(value, name, upper=upper)
    return float(arr) if arr.ndim == 0 else tuple(float(v) for v in arr)


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's results (but not how the work is run).

    Arrays given for ``hidden_std``, ``output_std`` or ``lr`` are kept as
    tuples of exact floats; a tuple for ``output_std`` or ``lr`` (even of one
    value) adds that dimension to the results. The configuration is written
    into the results' attributes, so a store describes itself, and adding runs
    to a store requires the same configuration.

    Examples
    --------
    >>> cfg = SweepConfig(hidden_std=[0.5, 1.0], lr=[0.1, 0.2], epochs=500)
    >>> cfg.grid_dims, cfg.grid_shape, cfg.output_std
    (('hidden_std', 'lr'), (2, 2), 0.8165)
    """

    # hidden layer's weight and bias std at each grid point (the article's x axis):
    # distinct, finite, > 0; the default is the article's exp(linspace(-3, 4, 400))
    hidden_std: tuple[float, ...] = field(default_factory=lambda: tuple(article_grid().tolist()))
    # output layer's weight and bias std: one value (the article's 0.8165) or a tuple of
    # values, which adds an output_std dimension
    output_std: float | tuple[float, ...] = ARTICLE_OUTPUT_STD
    # learning rate: one value (the article's 0.1) or a tuple of values (an lr dimension)
    lr: float | tuple[float, ...] = 0.1
    # gradient steps per run (the article's 10,000)
    epochs: int = 10_000
    # root of every run's SeedSequence, an integer >= 0
    seed: int = 0
    # update order, "article" or "simultaneous" (see xorsweep.train)
    update: str = "article"
    # training data: a truth table's name (see xorsweep.truth_table)
    data: str = "xor"
    # hidden units per network
    hidden: int = 2

    def __post_init__(self) -> None:
        hidden_std = self.hidden_std
        if np.ndim(hidden_std) == 0 and not isinstance(hidden_std, (str, bytes)):
            hidden_std = [hidden_std]
        hs = _axis(hidden_std, "hidden_std")
        norm = {
            "hidden_std": hs,
            "output_std": _axis(self.output_std, "output_std"),
            "lr": _axis(self.lr, "lr", upper=MAX_LR),
            "epochs": check_count(self.epochs, "epochs", minimum=1),
            "seed": check_count(self.seed, "seed", minimum=0),
            "update": check_choice(self.update, "update", UPDATES),
            "data": truth_table(self.data).name,
            "hidden": check_count(self.hidden, "hidden"),
        }
        for name, value in norm.items():
            object.__setattr__(self, name, value)

    @property
    def grid_dims(self) -> tuple[str, ...]:
        """``hidden_std``, then ``output_std`` and ``lr`` if they are grids."""
        return tuple(d for d in GRID_DIMS if isinstance(getattr(self, d), tuple))

    @property
    def coords(self) -> dict[str, np.ndarray]:
        """The grid's values by dimension, float64."""
        return {d: np.array(getattr(self, d), dtype=np.float64) for d in self.grid_dims}

    @property
    def grid_shape(self) -> tuple[int, ...]:
        """Number of values along each grid dimension."""
        return tuple(len(getattr(self, d)) for d in self.grid_dims)

    @property
    def n_parameters(self) -> int:
        """Weights and biases per network."""
        table = truth_table(self.data)
        return (table.n_in + 1) * self.hidden + (self.hidden + 1) * table.n_out

    def identity(self) -> dict[str, Any]:
        """The settings that must match to add runs to existing results (JSON-like)."""

        def plain(v: Any) -> Any:
            return list(v) if isinstance(v, tuple) else v

        return {
            "hidden_std": list(self.hidden_std),
            "output_std": plain(self.output_std),
            "lr": plain(self.lr),
            "epochs": self.epochs,
            "seed": self.seed,
            "update": self.update,
            "data": self.data,
            "hidden": self.hidden,
        }

    def attrs(self) -> dict[str, Any]:
        """Attributes of the results: the configuration, the seeding rule and versions."""
        table = truth_table(self.data)
        ident = self.identity()
        del ident["hidden_std"]  # it is the coordinate
        return {
            **ident,
            "n_in": table.n_in,
            "n_out": table.n_out,
            "loss": "mean binary cross-entropy over samples, predictions clipped to "
            "[1e-15, 1-1e-15]",
            "seeding": "run r at point (h, o, lr) starts from numpy.random.default_rng("
            "SeedSequence(seed, spawn_key=(bits(h), bits(o), bits(lr), r))).standard_normal, "
            "bits = float64 bit pattern as uint64; see xorsweep.replay",
            **_versions(),
        }

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any], hidden_std: Sequence[float]) -> SweepConfig:
        """The configuration recorded in results' attributes and ``hidden_std`` coordinate."""
        names = ("output_std", "lr", "epochs", "seed", "update", "data", "hidden")
        missing = [n for n in names if n not in attrs]
        if missing:
            raise ValueError(f"the results' attributes lack {', '.join(missing)}")
        kwargs = {n: attrs[n] for n in names}
        for n in ("output_std", "lr"):
            if isinstance(kwargs[n], (list, np.ndarray)):
                kwargs[n] = tuple(np.asarray(kwargs[n], dtype=np.float64).tolist())
        return cls(hidden_std=tuple(np.asarray(hidden_std, dtype=np.float64).tolist()), **kwargs)


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("xorsweep", "numpy", "xarray", "zarr"):
        try:
            out[f"{pkg}_version"] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            out[f"{pkg}_version"] = "unknown"
    return out


# ---------------------------------------------------------------------------
# Cutting the work into chunks and blocks
# ---------------------------------------------------------------------------


def _block_target(runs: int, block_size: int, workers: int) -> int:
    """Runs per block: ``runs`` split evenly into the fewest blocks of at most
    ``block_size`` runs whose number is a multiple of ``workers``, so that every
    worker gets the same work (16,384 runs on 2 workers: 2 blocks of 8192)."""
    n_blocks = workers * math.ceil(runs / (workers * block_size))
    return max(1, math.ceil(runs / max(n_blocks, 1)))


def _choose_layout(
    grid_shape: tuple[int, ...], runs: int, total: int, block_size: int, workers: int
) -> _store.ChunkLayout:
    """Chunks of about one block (see :func:`_block_target`).

    ``runs`` is the largest number of runs a point asks for and ``total`` the
    runs of all points. A point's runs are split evenly (10,000 runs and
    blocks of 8192 give two chunks of 5000); points with few runs share a
    chunk along ``hidden_std``.
    """
    target = _block_target(total, block_size, workers)
    if runs >= target:
        n_chunks = math.ceil(runs / target)
        return _store.ChunkLayout(points=1, runs=math.ceil(runs / n_chunks))
    return _store.ChunkLayout(points=max(1, min(grid_shape[0], target // runs)), runs=runs)


@dataclass
class _Block:
    """A block as the calling process knows it: its task and where its runs go."""

    task: BlockTask
    chunks: list[tuple[int, ...]]  # chunk indices (hidden chunk, other grid..., run chunk)
    rows: list[np.ndarray]  # per chunk: the row (point within the chunk) of each entry
    entries: list[slice]  # per chunk: its entries in the task


def _plan(
    config: SweepConfig,
    requested: np.ndarray,
    filled: np.ndarray,
    layout: _store.ChunkLayout,
    runs: int,
    target: int,
) -> list[_Block]:
    """Blocks computing every run ``r < requested[point]`` that is not finished.

    ``requested`` has the grid's shape; ``filled`` (grid..., run_chunk) counts
    the finished runs at the start of each point's chunk (runs are finished
    chunk by chunk, from each chunk's start). A block groups consecutive
    chunks of the same points until it holds about ``target`` runs.
    """
    shape = config.grid_shape
    n_h = shape[0]
    lo, hi = _run_ranges(requested, filled, layout, runs)
    work = np.maximum(hi - lo, 0)
    coords = config.coords
    hs_all = coords["hidden_std"]
    blocks: list[_Block] = []
    for other in np.ndindex(*shape[1:]):
        where = dict(zip(config.grid_dims[1:], other, strict=True))
        fixed = {
            name: coords[name][where[name]] if name in where else getattr(config, name)
            for name in ("output_std", "lr")
        }
        for c0 in range(math.ceil(n_h / layout.points)):
            h_sl = slice(c0 * layout.points, min((c0 + 1) * layout.points, n_h))
            c_work, c_lo, c_hi = work[(h_sl, *other)], lo[(h_sl, *other)], hi[(h_sl, *other)]
            pending: list[tuple[int, np.ndarray]] = []
            size = 0
            for j in np.flatnonzero(c_work.sum(axis=0)):
                rows = np.flatnonzero(c_work[:, j])
                pending.append((int(j), rows))
                size += int(c_work[rows, j].sum())
                if size >= target:
                    blocks.append(
                        _make_block(config, pending, (c0, *other), h_sl, c_lo, c_hi, hs_all, fixed)
                    )
                    pending, size = [], 0
            if pending:
                blocks.append(
                    _make_block(config, pending, (c0, *other), h_sl, c_lo, c_hi, hs_all, fixed)
                )
    return blocks


def _make_block(config, pending, point_chunk, h_sl, c_lo, c_hi, hs_all, fixed) -> _Block:
    """The block of the chunks ``pending`` ((run chunk, rows with work) pairs) of the
    points ``h_sl`` at the other grid indices of ``point_chunk``."""
    h, lo, hi, chunks, rows_list, entries = [], [], [], [], [], []
    pos = 0
    for j, rows in pending:
        h.append(hs_all[h_sl.start + rows])
        lo.append(c_lo[rows, j])
        hi.append(c_hi[rows, j])
        chunks.append(tuple(int(i) for i in (*point_chunk, j)))
        rows_list.append(rows)
        entries.append(slice(pos, pos + len(rows)))
        pos += len(rows)
    task = BlockTask(
        hidden_std=np.concatenate(h),
        output_std=np.full(pos, fixed["output_std"]),
        lr=np.full(pos, fixed["lr"]),
        lo=np.concatenate(lo).astype(np.int64),
        hi=np.concatenate(hi).astype(np.int64),
        seed=config.seed,
        epochs=config.epochs,
        update=config.update,
        data=config.data,
        hidden=config.hidden,
    )
    return _Block(task, chunks, rows_list, entries)


def _run_ranges(
    requested: np.ndarray, filled: np.ndarray, layout: _store.ChunkLayout, runs: int
) -> tuple[np.ndarray, np.ndarray]:
    """First run to compute and one past the last, each (grid..., run_chunk).

    In run chunk ``j`` of a point, runs from the chunk's start up to
    ``filled`` are finished; runs up to ``requested`` (and the chunk's end)
    are wanted. Where ``hi <= lo`` there is nothing to do.
    """
    starts = np.arange(filled.shape[-1]) * layout.runs  # (run_chunk,)
    ends = np.minimum(starts + layout.runs, runs)
    return starts + filled, np.minimum(requested[..., None], ends)


def _pending(
    requested: np.ndarray, filled: np.ndarray, layout: _store.ChunkLayout, runs: int
) -> int:
    """Number of runs a sweep to ``requested`` runs per point still has to compute."""
    lo, hi = _run_ranges(requested, filled, layout, runs)
    return int(np.maximum(hi - lo, 0).sum())


# ---------------------------------------------------------------------------
# Where results go: memory, or a store (xorsweep.store.ResultsWriter)
# ---------------------------------------------------------------------------


class _MemorySink:
    """Results kept in memory, with the same chunk interface as a store's writer."""

    def __init__(self, grid_shape: tuple[int, ...], runs: int, layout: _store.ChunkLayout):
        self.grid_shape, self.runs, self.layout = grid_shape, runs, layout
        self._data = {v: np.full((*grid_shape, runs), np.nan) for v in VARIABLES}
        self._filled = np.zeros((*grid_shape, layout.run_chunks(runs)), dtype=np.int64)
        self.compute_seconds = 0.0

    def add_compute_seconds(self, seconds: float) -> None:
        self.compute_seconds += seconds

    def extend_runs(self, runs: int) -> None:
        if runs > self.runs:
            pad = [(0, 0)] * len(self.grid_shape)
            self._data = {
                v: np.pad(a, [*pad, (0, runs - self.runs)], constant_values=np.nan)
                for v, a in self._data.items()
            }
            extra = self.layout.run_chunks(runs) - self._filled.shape[-1]
            self._filled = np.pad(self._filled, [*pad, (0, extra)])
            self.runs = runs

    def filled(self) -> np.ndarray:
        return self._filled.copy()

    def read_chunk(self, chunk: tuple[int, ...]) -> dict[str, np.ndarray]:
        region = self.layout.data_region(chunk, self.grid_shape, self.runs)
        return {v: a[region].copy() for v, a in self._data.items()}

    def write_chunk(self, chunk: tuple[int, ...], values: dict, filled: np.ndarray) -> None:
        region = self.layout.data_region(chunk, self.grid_shape, self.runs)
        for v, a in self._data.items():
            a[region] = values[v]
        self._filled[self.layout.marker_region(chunk, self.grid_shape)] = filled

    def dataset(self, config: SweepConfig) -> xr.Dataset:
        dims = (*config.grid_dims, "run")
        return xr.Dataset(
            {v: (dims, a, dict(_store.VARIABLE_ATTRS[v])) for v, a in self._data.items()},
            coords={**config.coords, "run": np.arange(self.runs)},
            attrs={**config.attrs(), "schema": _store.SCHEMA},
        )


def _store_block(sink: Any, filled: np.ndarray, block: _Block, result: dict) -> None:
    """Put one finished block into its chunks: the data, then each chunk's marker."""
    task, layout = block.task, sink.layout
    offsets = np.concatenate([[0], np.cumsum(task.hi - task.lo)])
    for chunk, rows, entries in zip(block.chunks, block.rows, block.entries, strict=True):
        region = layout.marker_region(chunk, sink.grid_shape)
        marks = filled[region].copy()
        if marks.any():
            values = sink.read_chunk(chunk)
        else:
            shape = tuple(
                s.stop - s.start for s in layout.data_region(chunk, sink.grid_shape, sink.runs)
            )
            values = {v: np.full(shape, np.nan) for v in VARIABLES}
        flat_marks = marks.reshape(-1)
        start = chunk[-1] * layout.runs
        middle = (0,) * (len(sink.grid_shape) - 1)  # the other grid dimensions: length 1
        for row, e in zip(rows, range(entries.start, entries.stop), strict=True):
            lo, hi = int(task.lo[e]) - start, int(task.hi[e]) - start
            for v, arr in values.items():
                arr[(row, *middle, slice(lo, hi))] = result[v][offsets[e] : offsets[e + 1]]
            flat_marks[row] = hi
        sink.write_chunk(chunk, values, marks)
        filled[region] = marks


# ---------------------------------------------------------------------------
# Running blocks: in this process, in local worker processes, or on Dask
# ---------------------------------------------------------------------------


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _run_here(blocks: list[_Block]) -> Iterator[tuple[_Block, dict]]:
    for block in blocks:
        yield block, compute_block(block.task)


def _import_for_results() -> None:
    """Import ``dask.array``, which xarray loads for its first Dataset (about 0.4 s)."""
    with contextlib.suppress(ImportError):
        import dask.array  # noqa: F401


def _run_processes(blocks: list[_Block], pool: LocalWorkers) -> Iterator[tuple[_Block, dict]]:
    import threading

    # this process only waits while the workers compute: it imports meanwhile what it
    # will need to make the results, instead of after the last block
    importer = threading.Thread(target=_import_for_results, name="xorsweep-imports")
    importer.start()
    try:
        yield from pool.results((block, block.task) for block in blocks)
    finally:
        importer.join()


def _run_dask(blocks: list[_Block], client: Any) -> Iterator[tuple[_Block, dict]]:
    from distributed import as_completed

    todo = iter(blocks)
    depth = max(4, 2 * sum(client.nthreads().values()))
    running: dict[str, tuple[Any, _Block]] = {}

    def submit(block: _Block) -> Any:
        future = client.submit(compute_block, block.task, pure=False)
        running[future.key] = (future, block)
        return future

    queue = as_completed([submit(b) for b in islice(todo, depth)])
    try:
        for future in queue:
            _, block = running.pop(future.key)
            result = future.result()
            future.release()
            for nxt in islice(todo, 1):
                queue.add(submit(nxt))
            yield block, result
    finally:
        if running:
            client.cancel([f for f, _ in running.values()])


# ---------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------


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


def _check_execution(workers: Any, client: Any, block_size: Any, progress: Any) -> tuple[int, int]:
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    block_size = check_count(block_size, "block_size")
    if client is not None:
        if workers is not None:
            raise ValueError("give workers (local processes) or client (Dask), not both")
        if not callable(getattr(client, "submit", None)):
            raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
        return max(1, sum(client.nthreads().values())), block_size
    if workers is None:
        return default_workers(), block_size
    return check_count(workers, "workers"), block_size


def _fill(
    config: SweepConfig,
    sink: Any,
    requested: np.ndarray,
    workers: int,
    client: Any,
    progress: bool,
    block_size: int,
    pool: LocalWorkers | None,
) -> SweepReport:
    """Compute every requested run that ``sink`` lacks, on ``client``, ``pool`` or here.

    The wall time is added to the sink's compute time after every block (and at
    an interruption), so that it adds up over interrupted and resumed sweeps.
    """
    sink.extend_runs(int(requested.max()))
    filled = sink.filled()
    todo = _pending(requested, filled, sink.layout, sink.runs)
    target = _block_target(todo, block_size, workers)
    blocks = _plan(config, requested, filled, sink.layout, sink.runs, target)
    start = last = time.perf_counter()
    if client is not None:
        results = _run_dask(blocks, client)
    elif pool is None or len(blocks) <= 1 or not pool.ready():  # not ready: it said why
        results = _run_here(blocks)
    else:
        results = _run_processes(blocks, pool)
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(blocks), unit="block", desc="sweep", disable=not progress, dynamic_ncols=True
    )
    done, finished = 0, False
    try:
        for block, result in results:
            _store_block(sink, filled, block, result)
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
    return SweepReport(
        len(blocks),
        done,
        time.perf_counter() - start,
        config.epochs,
        int(filled.sum()),
        sink.compute_seconds,
    )


def _open_sink(config: SweepConfig, path: Path | None, resume: bool, runs: int, layout: Any) -> Any:
    """Where the results go: memory, a new store, or the store being resumed."""
    if path is None:
        return _MemorySink(config.grid_shape, runs, layout)
    if not resume:
        _store.create_store(
            path, attrs=config.attrs(), coords=config.coords, runs=runs, layout=layout
        )
    return _store.ResultsWriter(path)


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
    n_workers, block_size = _check_execution(workers, client, block_size, progress)
    if total_runs is not None:
        total_runs = check_count(total_runs, "total_runs")
    path = None if store is None else Path(store)
    resume = path is not None and _store.path_state(path) == "store"
    layout = None
    if resume:  # check everything before writing anything
        header = _store.read_header(path)
        stored = SweepConfig.from_attrs(header.attrs, header.coords["hidden_std"])
        _store.check_compatible(stored.identity(), config.identity(), path)
    else:
        layout = _choose_layout(
            config.grid_shape, int(requested.max()), int(requested.sum()), block_size, n_workers
        )
    with contextlib.ExitStack() as stack:
        pool = None
        if client is None and n_workers > 1:
            pool = stack.enter_context(LocalWorkers(n_workers))
            pool.start()  # they get ready on other cores while the store is made or opened
        sink = _open_sink(config, path, resume, int(requested.max()), layout)
        args = (n_workers, client, progress, block_size, pool)
        report = _fill(config, sink, requested, *args)
        if total_runs is not None and total_runs > report.present:
            current = sink.dataset(config) if store is None else _store.open_results(store)
            more = allocate(current, total_runs - report.present)
            second = _fill(config, sink, more.transpose(*config.grid_dims).values, *args)
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
    lr: Any = 0.1,
    epochs: int = 10_000,
    seed: int = 0,
    update: str = "article",
    data: str = "xor",
    hidden: int = 2,
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
    output_std : float or array_like, shape (o,)
        Output-layer std; an array adds an ``output_std`` dimension.
    lr : float or array_like, shape (l,)
        Learning rate, in (0, 1e6]; an array adds an ``lr`` dimension.
    epochs : int
        Gradient steps per run, >= 1.
    seed : int
        Root of every run's seed (see the module's docstring), >= 0.
    update, data, hidden
        As in :func:`xorsweep.train` and :func:`xorsweep.init_population`.
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
        :mod:`xorsweep.workers`). Where they cannot start, a RuntimeWarning
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
        Dimensions ``hidden_std``, then ``output_std`` and ``lr`` if given as
        arrays, then ``run`` (0 .. R-1). Variables ``total_loss`` (the
        article's metric), ``final_loss`` and ``converged_epoch`` (see
        :func:`xorsweep.train`), float64; runs a point does not hold are NaN
        in all three, so ``isfinite(total_loss)`` marks the runs present.
        Attributes: the configuration (:meth:`SweepConfig.attrs`), the seeding
        rule and the package versions.

    Raises
    ------
    TypeError, ValueError
        For bad arguments, a store path that is a file or holds something
        else, or a store of a different configuration; nothing is written.

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
    return _store.open_results(store, chunks=None if load else {})


# ---------------------------------------------------------------------------
# Working with results
# ---------------------------------------------------------------------------


def replay(
    results: xr.Dataset,
    run: int | Sequence[int],
    *,
    hidden_std: float | None = None,
    output_std: float | None = None,
    lr: float | None = None,
) -> Population:
    """The initial networks of runs of a sweep, rebuilt from the seeding rule.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results (or a selection of them): its attributes give the
        seed and the architecture.
    run : int or sequence of int
        Run index (the ``run`` coordinate), >= 0.
    hidden_std, output_std, lr : float, optional
        The grid point, each exactly one of the results' values along that
        dimension; may be left out if there is only one (e.g. after
        ``results.sel(hidden_std=x, method="nearest")``) or if it is not a
        dimension.

    Returns
    -------
    Population
        One network per requested run. Training it with
        ``xorsweep.train(pop, results.attrs["epochs"], lr)`` (or the reference
        loop) reproduces the stored results; with :func:`xorsweep.train` bit
        for bit.

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 1.0], runs=3, epochs=300, workers=1, progress=False)
    >>> pop = xs.replay(ds, run=2, hidden_std=1.0)
    >>> again = xs.train(pop, ds.attrs["epochs"], ds.attrs["lr"])
    >>> bool(again.total_loss[0] == ds.total_loss.sel(hidden_std=1.0, run=2))
    True
    """
    attrs = results.attrs
    missing = [k for k in ("seed", "hidden", "data", "output_std", "lr") if k not in attrs]
    if missing:
        raise ValueError(
            f"results lack the attribute(s) {', '.join(missing)}: pass a "
            "sweep's results (xorsweep.sweep or xorsweep.open_results)"
        )
    given = {"hidden_std": hidden_std, "output_std": output_std, "lr": lr}
    point = {}
    for dim, value in given.items():
        if dim in results.coords:
            choices = np.atleast_1d(results[dim].values).astype(np.float64)
            if value is None:
                if choices.size != 1:
                    raise ValueError(
                        f"{dim} must be given: the results have {choices.size} values, from "
                        f"{choices.min():g} to {choices.max():g}"
                    )
                value = choices[0]
            elif not np.any(choices == value):
                raise ValueError(
                    f"{dim}={value!r} is not one of the results' {dim} values; pick one "
                    f"exactly, e.g. results.sel({dim}={value!r}, method='nearest')"
                )
        else:
            stored = attrs[dim]
            if value is not None and value != stored:
                raise ValueError(f"{dim}={value!r} differs from the results' {dim}={stored!r}")
            value = stored
        point[dim] = float(value)
    runs = np.atleast_1d(np.asarray(run))
    if runs.dtype.kind not in "iu" or runs.ndim != 1 or runs.size == 0 or np.any(runs < 0):
        raise ValueError(f"run must be an integer >= 0 or a sequence of them, got {run!r}")
    table = truth_table(attrs["data"])
    seed = int(attrs["seed"])
    h, o, l_ = point["hidden_std"], point["output_std"], point["lr"]
    pops = [
        init_population(
            1,
            h,
            o,
            hidden=int(attrs["hidden"]),
            n_in=table.n_in,
            n_out=table.n_out,
            seed=np.random.default_rng(seed_sequence(seed, h, o, l_, int(r))),
        )
        for r in runs
    ]
    return Population.concat(pops)


def _grid_dims_of(results: xr.Dataset) -> tuple[str, ...]:
    if "total_loss" not in results or "run" not in results["total_loss"].dims:
        raise ValueError(
            "results must have a total_loss variable over a run dimension: pass "
            "a sweep's results (xorsweep.sweep or xorsweep.open_results)"
        )
    return tuple(d for d in results["total_loss"].dims if d != "run")


def allocate(results: xr.Dataset, budget: int, *, min_runs: int = 2) -> xr.DataArray:
    """Where to spend ``budget`` more runs: most where the mean loss is least certain.

    The article suggests adding measurements in proportion to each point's
    relative error. Made precise: with ``n`` runs, a point's relative
    standard error of the mean loss is ``c / sqrt(n)``, where ``c`` is its
    coefficient of variation (sample std over mean of ``total_loss``). The
    allocation minimises the largest relative standard error after the new
    runs: every point below a common level ``t`` keeps its runs, every other
    point grows to ``n = (c / t)**2`` ("water filling"), so the points with
    the largest relative error get the runs. First, points with fewer than
    ``min_runs`` runs are brought up to it (their ``c`` is unknown and taken as
    the largest measured one).

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results (``total_loss`` over the grid and ``run``).
    budget : int
        Runs to add in total, >= 0.
    min_runs : int
        Runs a point needs before its std counts, >= 2.

    Returns
    -------
    xarray.DataArray
        Named ``runs``, int64 over the grid's dimensions: the number of runs
        each point should hold, i.e. its present runs plus its share, with
        ``(runs - present).sum() == budget``. Pass it as ``runs=`` to
        :func:`sweep` (with the same store) to make those runs.

    Examples
    --------
    Three points with the same mean loss and stds 1, 10 and 30, 50 runs each:

    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> loss = np.stack([rng.normal(100.0, s, 50) for s in (1.0, 10.0, 30.0)])
    >>> ds = xr.Dataset({"total_loss": (("hidden_std", "run"), loss)},
    ...                 coords={"hidden_std": [0.5, 1.0, 2.0]})
    >>> more = allocate(ds, 1000)
    >>> more.values.tolist(), int(more.sum()) - 150
    ([50, 124, 976], 1000)
    """
    grid = _grid_dims_of(results)
    budget = check_count(budget, "budget", minimum=0)
    min_runs = check_count(min_runs, "min_runs", minimum=2)
    loss = results["total_loss"].transpose(*grid, "run")
    values = np.asarray(loss.values, dtype=np.float64).reshape(-1, loss.sizes["run"])
    present = np.isfinite(values)
    n = present.sum(axis=1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=1) / np.maximum(n, 1), np.nan)
        dev = np.where(present, values - mean[:, None], 0.0)
        std = np.sqrt((dev**2).sum(axis=1) / (n - 1))
    known = n >= min_runs
    if np.any(known & ~(mean > 0)):
        k = int(np.argmax(known & ~(mean > 0)))
        raise ValueError(
            f"the mean total_loss must be > 0 for relative errors, got {mean[k]:g} at point {k}"
        )
    cv = np.where(known, std / np.where(known, mean, 1.0), np.nan)
    worst = np.nanmax(cv) if np.any(known) else 1.0
    cv = np.where(known, cv, worst)
    totals = _water_fill(n, cv, budget, min_runs)
    coords = {d: results[d].values for d in grid if d in results.coords}
    return xr.DataArray(totals.reshape(loss.shape[:-1]), dims=grid, coords=coords, name="runs")


def _water_fill(n: np.ndarray, cv: np.ndarray, budget: int, min_runs: int) -> np.ndarray:
    """Integer totals ``N >= n`` with ``sum(N - n) == budget`` minimising ``max cv/sqrt(N)``.

    ``n`` (point,) are present runs, ``cv`` (point,) coefficients of variation >= 0.
    """
    total = n.astype(np.int64).copy()
    # points below min_runs first, the emptiest first
    need = np.maximum(min_runs - total, 0)
    if need.sum() >= budget:
        for _ in range(budget):
            short = np.flatnonzero(total < np.maximum(n, min_runs))
            total[short[np.argmin(total[short])]] += 1
        return total
    total += need
    left = budget - int(need.sum())
    goal = int(total.sum()) + left
    c2 = cv.astype(np.float64) ** 2
    if np.any(c2 > 0):
        # the largest s with sum(max(total, c2 * s)) <= goal, s = 1 / t**2
        lo, hi = 0.0, goal / c2[c2 > 0].min()
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if np.maximum(total, c2 * mid).sum() <= goal:
                lo = mid
            else:
                hi = mid
        total = np.maximum(total, np.floor(c2 * lo).astype(np.int64))
    left = goal - int(total.sum())
    if left > total.size:  # only when no point varies: spread evenly
        total += left // total.size
        left = goal - int(total.sum())
    # the few runs left by rounding go one by one to the largest relative error
    # (ties: the point with fewer runs, then the first)
    for _ in range(left):
        rse = np.sqrt(c2 / total)
        order = np.lexsort((np.arange(total.size), total, -rse))
        total[order[0]] += 1
    return total


def to_article_frame(results: xr.Dataset) -> pd.DataFrame:
    """One row per run present, with the article's MongoDB document fields.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results.

    Returns
    -------
    pandas.DataFrame
        Columns ``hidden_std_dev``, ``output_std_dev``, ``loss`` (the run's
        ``total_loss``: the article's ``loss`` field), then ``lr``, ``run``,
        ``final_loss`` and ``converged_epoch``; runs a point does not hold are
        left out. The article's summary runs on it unchanged::

            df.groupby("hidden_std_dev")["loss"].agg(["mean", "std", "count"])

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 1.0], runs=3, epochs=100, workers=1, progress=False)
    >>> df = xs.to_article_frame(ds)
    >>> list(df.columns[:3]), len(df)
    (['hidden_std_dev', 'output_std_dev', 'loss'], 6)
    >>> df.groupby("hidden_std_dev")["loss"].agg(["mean", "std", "count"])["count"].tolist()
    [3, 3]
    """
    grid = _grid_dims_of(results)
    names = [v for v in VARIABLES if v in results]
    frame = results[names].reset_coords(drop=True).to_dataframe().reset_index()
    frame = frame[np.isfinite(frame["total_loss"].to_numpy())]
    out = pd.DataFrame(index=frame.index)
    for dim, column in (
        ("hidden_std", "hidden_std_dev"),
        ("output_std", "output_std_dev"),
        ("lr", "lr"),
    ):
        if dim in grid:
            out[column] = frame[dim]
        elif dim in results.coords and results[dim].ndim == 0:
            out[column] = float(results[dim])
        elif dim in results.attrs and np.ndim(results.attrs[dim]) == 0:
            out[column] = float(results.attrs[dim])
        else:
            raise ValueError(
                f"results have no single {dim} (not a dimension, coordinate or attribute)"
            )
    out["loss"] = frame["total_loss"]
    out["run"] = frame["run"]
    for v in names[1:]:
        out[v] = frame[v]
    first = ["hidden_std_dev", "output_std_dev", "loss", "lr", "run"]
    return out[first + names[1:]].reset_index(drop=True)
