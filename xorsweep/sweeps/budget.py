"""What a sweep will cost before it starts: work, time, memory and disk.

The command line asks :func:`sweep_cost` how many runs and network-epochs a
sweep still has to compute and how many bytes they take, times a short
training with :func:`probe_speed` to say about how long, and refuses with
:func:`check_cost` what this machine cannot hold or finish in time.
:func:`analysis_bytes` is the memory that reading a store and fitting it
needs (``xorsweep fit``, ``figures`` and ``reproduce`` read the whole store).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model.network import n_parameters
from ..training.trainer import ARTICLE_LR
from .store import VARIABLES
from .tasks import compute_block, task_of_points

if TYPE_CHECKING:
    from .config import SweepConfig

__all__ = [
    "plan",
    "SweepCost",
    "Speed",
    "analysis_bytes",
    "available_memory",
    "check_cost",
    "check_grid",
    "check_readable",
    "describe",
    "format_bytes",
    "format_hours",
    "probe_speed",
    "relative_sizes",
    "stored_runs",
    "sweep_cost",
]

#: Bytes of one run's results in a store or in memory (one float64 per variable).
RUN_BYTES = 8 * len(VARIABLES)

# Reading a store into memory and fitting it holds several copies of the results (the
# data, the present mask and its masked copy, the fit's and summary's working arrays):
# `xorsweep fit` on 4,000,000 runs (96 MB of results) peaked 430 MB above a bare import.
_ANALYSIS_COPIES = 6
# The fit smooths the means with a kernel over every pair of hidden stds: three float64
# matrices of points x points at once.
_PAIR_BYTES = 24
# The sweep's own bookkeeping: the run coordinate (int64, and a copy while it is
# written), and per grid point and chunk of runs its plan (markers, run ranges, tasks).
_RUN_COORD_BYTES = 16
_PLAN_BYTES = 256
_CHUNK_RUNS = 4096  # fewest runs per chunk the sweep's layout gives a point with many runs
_POINT_BYTES = 64  # a grid point's std in the configuration (a Python float) and the grid
#: Seconds for local worker processes to start: Python, NumPy, numba and the cached kernel
#: (1.3 s for one, `time python -c "from xorsweep import fused; fused.warm(2, 2, 1)"`).
WORKER_START = 1.5


@dataclass(frozen=True)
class SweepCost:
    """A sweep's remaining work and the memory and disk it needs."""

    runs: int  # runs still to compute
    points: int  # grid points with runs to compute
    epochs: int  # epochs per run
    store_bytes: int  # bytes the store grows by (uncompressed, an upper bound)
    memory_bytes: int  # the sweep's bookkeeping in memory
    analysis_bytes: int  # memory to read the finished results and fit them
    # the runs to compute by network size: (parameters over those of the smallest width,
    # share of the runs); one width: ((1.0, 1.0),)
    sizes: tuple[tuple[float, float], ...] = ((1.0, 1.0),)

    @property
    def net_epochs(self) -> int:
        """Runs times epochs still to compute."""
        return self.runs * self.epochs


@dataclass(frozen=True)
class Speed:
    """Seconds of one worker per run, per network-epoch and per grid point of a block."""

    per_run: float  # seeding and set-up of one run
    per_net_epoch: float  # one epoch of one network
    per_point: float  # a grid point's seeds and bookkeeping in a block
    # a network with p times the parameters of the probed one (the smallest width) costs
    # p ** exponent times as much a network-epoch; measured between the smallest and the
    # widest width, never below 1
    exponent: float = 1.0
    # `workers` timed at once worked as `parallel` of them alone would (other work on the
    # machine, and the workers' own contention for cores and memory, make it fewer)
    workers: int = 1
    parallel: float = 1.0

    def scale(self, cost: SweepCost) -> float:
        """A network-epoch of ``cost``'s runs, on average, in probed network-epochs."""
        return sum(share * size**self.exponent for size, share in cost.sizes)

    @property
    def net_epochs_per_second(self) -> float:
        """Network-epochs per second of one worker, setting-up aside."""
        return 1.0 / self.per_net_epoch

    def seconds(self, cost: SweepCost, workers: int) -> float:
        """About how long ``cost`` takes on ``workers`` workers (>= 1) sharing it evenly,
        each as efficient as the probed ones were together."""
        one = (
            cost.runs * self.per_run
            + cost.net_epochs * self.scale(cost) * self.per_net_epoch
            + cost.points * self.per_point
        )
        return one / (max(1, workers) * self.parallel / self.workers)


def analysis_bytes(grid_points: int, runs: int, hidden_points: int | None = None) -> int:
    """Memory to read results of ``grid_points`` x ``runs`` runs and fit them.

    ``hidden_points`` is the number of hidden stds the fit smooths over
    (default ``grid_points``).
    """
    hidden = grid_points if hidden_points is None else hidden_points
    return _ANALYSIS_COPIES * RUN_BYTES * grid_points * runs + _PAIR_BYTES * hidden * hidden


def sweep_cost(
    config: SweepConfig,
    runs: int,
    present: np.ndarray | None = None,
    stored_runs: int = 0,
    total_runs: int | None = None,
) -> SweepCost:
    """The work left to give every grid point ``runs`` runs (then ``total_runs`` in all).

    Parameters
    ----------
    config : SweepConfig
    runs : int
        Runs every grid point should hold (>= 1).
    present : ndarray of int, shape (grid...), optional
        Finished runs of each point in the store (none if omitted).
    stored_runs : int
        Length of the store's run dimension (0 for a new store).
    total_runs : int, optional
        Runs the results should hold in all afterwards (``sweep --total-runs``).

    Returns
    -------
    SweepCost
    """
    shape = config.grid_shape
    grid_points = math.prod(shape)
    have = np.zeros(shape, dtype=np.int64) if present is None else np.asarray(present)
    capped = min(runs, 1 << 62)  # exact Python integers below, however large runs is
    todo = runs * grid_points - int(np.minimum(have, capped).sum())
    extra = 0
    if total_runs is not None:
        held = runs * grid_points + int(np.maximum(have - capped, 0).sum())
        extra = max(0, total_runs - held)
    sizes = _sizes(config, runs - np.minimum(have, capped).astype(np.float64), extra)
    length = max(stored_runs, runs, math.ceil(extra / grid_points) if extra else 0)
    run_chunks = math.ceil(length / min(length, _CHUNK_RUNS))
    bookkeeping = _RUN_COORD_BYTES * length + _PLAN_BYTES * grid_points * run_chunks
    new_coords = 8 * max(0, length - stored_runs) + (8 * sum(shape) if not stored_runs else 0)
    run_bytes = RUN_BYTES + 16 * len(config.budgets or ())  # and two float64 a budget
    return SweepCost(
        runs=todo + extra,
        points=int(np.count_nonzero(have < capped)),
        epochs=config.epochs,
        store_bytes=run_bytes * (todo + extra) + new_coords + 8 * grid_points * run_chunks,
        memory_bytes=bookkeeping,
        analysis_bytes=analysis_bytes(grid_points, length, shape[0]),
        sizes=sizes,
    )


def relative_sizes(config: SweepConfig) -> np.ndarray:
    """Each grid point's parameters over those of :func:`probe_speed`'s network (the
    smallest width), shape (grid...)."""
    table, dims = config.table, config.grid_dims
    widths = np.array(_widths(config), dtype=np.int64)
    params = np.array([n_parameters(table.n_in, int(w), table.n_out) for w in widths])
    shape = [len(widths) if d == "hidden" else 1 for d in dims]
    rel = params.reshape(shape) / n_parameters(table.n_in, int(widths.min()), table.n_out)
    return np.broadcast_to(rel, config.grid_shape)


def _widths(config: SweepConfig) -> tuple[int, ...]:
    return config.hidden if isinstance(config.hidden, tuple) else (config.hidden,)


def _sizes(config: SweepConfig, todo: np.ndarray, extra: int) -> tuple[tuple[float, float], ...]:
    """``(relative size, share of the runs)`` of ``todo`` runs per point (grid...) and
    ``extra`` runs spread over the grid, one pair per width (see :func:`relative_sizes`)."""
    rel = relative_sizes(config)
    weight = todo + float(extra) / rel.size
    if not weight.sum() > 0:
        weight = np.ones(rel.shape)
    total = float(weight.sum())
    return tuple((float(size), float(weight[rel == size].sum()) / total) for size in np.unique(rel))


def stored_runs(config: SweepConfig, path: str | os.PathLike) -> tuple[np.ndarray | None, int]:
    """Finished runs of each point and run length of the store at ``path``.

    ``(None, 0)`` where there is no store yet; raises ValueError if the path
    holds something else or results of another configuration than ``config``.
    """
    from . import store
    from .config import SweepConfig

    path = Path(path)
    if store.path_state(path) != "store":
        return None, 0
    header = store.read_header(path)
    stored = SweepConfig.from_attrs(header.attrs, header.coords["hidden_std"])
    store.check_compatible(stored.identity(), config.identity(), path)
    return store.finished_runs(path), header.runs


def check_readable(path: str | os.PathLike, memory: int | None) -> None:
    """Refuse the store at ``path`` if reading and fitting it needs more than ``memory``
    bytes (None: not checked), before anything is read but its header."""
    from .store import read_header

    header = read_header(path)
    grid = [len(v) for v in header.coords.values()]
    need = analysis_bytes(math.prod(grid), header.runs, grid[0])
    if memory is not None and need > memory:
        raise ValueError(
            f"reading and fitting {path} ({' x '.join(f'{n:,}' for n in grid)} grid points x "
            f"{header.runs:,} runs) needs about {format_bytes(need)} of memory and this "
            f"machine has {format_bytes(memory)} available"
        )


def describe(cost: SweepCost, speed: Speed, workers: int) -> str:
    """The work of ``cost`` and about how long it takes, in one line."""
    seconds = speed.seconds(cost, workers)
    when = format_hours(seconds) if seconds < 1 else f"about {format_hours(seconds)}"
    together = ""
    if speed.workers > 1:
        together = f", {speed.parallel:.2g} workers' worth from {speed.workers} at once"
    return (
        f"{cost.runs:,} runs x {cost.epochs:,} epochs = {cost.net_epochs:.3g} network-epochs "
        f"to compute, {when} of computing on {workers} "
        f"worker{'s' if workers > 1 else ''} ({speed.net_epochs_per_second:.3g} "
        f"network-epochs/s each alone{together}, timed just now); up to "
        f"{format_bytes(cost.store_bytes)} on disk"
    )


def check_grid(points: int, memory: int | None) -> None:
    """Refuse, before it is made, a grid of ``points`` stds that memory cannot hold."""
    need = (_POINT_BYTES + _PLAN_BYTES) * points
    if memory is not None and need > memory:
        raise ValueError(
            f"a grid of {points:,} points needs about {format_bytes(need)} of memory and this "
            f"machine has {format_bytes(memory)} available: use fewer points"
        )


def probe_speed(
    config: SweepConfig, runs: int = 4096, epochs: int = 256, workers: int = 1
) -> Speed:
    """Time a few small blocks of ``config``'s networks in this process (about 0.5 s).

    One block of ``runs`` runs at one point trains 1 epoch and ``epochs + 1``
    epochs (their difference is the cost per network-epoch, the first the
    cost per run); the same runs spread over 512 points give the cost per point.
    Each is the fastest of three; where the difference is lost in noise, the
    long block's whole time bounds the cost per network-epoch from above.
    The networks are of ``config``'s smallest width and first activation. With
    several widths a block of as many of the widest is timed too, over fewer
    epochs (about as many parameter-epochs), and gives :attr:`Speed.exponent`:
    wider networks cost more than their parameters (their block's memory
    outgrows the caches), measured, not assumed. With ``workers`` > 1 a block
    of four times the epochs is timed alone and in as many threads at once, in
    turns (the numba kernel releases the GIL): :attr:`Speed.parallel` is how
    many workers they were worth, with whatever else the machine does then.
    """
    config = config.settled()  # the engine that will compute
    widths = _widths(config)
    small = _probe(config, min(widths), runs, epochs)
    short, trained, spread = small
    speed = Speed(
        per_run=short / runs,
        per_net_epoch=trained / (runs * epochs),
        per_point=max(spread - short, 0.0) / 511,
    )
    if workers > 1:
        ratio = _together(config, min(widths), runs, 4 * epochs, workers)
        if ratio is not None:
            speed = replace(speed, workers=workers, parallel=min(float(workers), workers * ratio))
    if len(widths) == 1:
        return speed
    size = float(relative_sizes(config).max())
    wide_epochs = max(4, int(epochs / size))  # as many runs: a block's memory matters
    _, wide, _ = _probe(config, max(widths), runs, wide_epochs, spread=False)
    ratio = (wide / (runs * wide_epochs)) / speed.per_net_epoch
    exponent = max(1.0, math.log(ratio) / math.log(size)) if ratio > 0 else 1.0
    return replace(speed, exponent=exponent)


def _task(config: SweepConfig, width: int, points: int, runs: int, epochs: int) -> Any:
    """A probe's block: ``runs`` networks of ``width`` over ``points`` points."""
    activation = config.activation if isinstance(config.activation, str) else config.activation[0]
    return task_of_points(
        hidden_std=np.geomspace(0.5, 2.0, points),
        output_std=np.ones(points),
        lr=np.full(points, ARTICLE_LR),
        lo=np.zeros(points, dtype=np.int64),
        hi=np.full(points, runs // points, dtype=np.int64),
        seed=0,
        epochs=epochs,
        update=config.update,
        data=config.data,
        hidden=width,
        engine=config.engine,
        activation=activation,
    )


def _together(
    config: SweepConfig, width: int, runs: int, epochs: int, workers: int
) -> float | None:
    """Seconds of one block alone over those of ``workers`` threads computing it at once
    (each the median of three, taken in turns), or None where the engine holds the GIL
    (NumPy's: threads would not tell)."""
    from concurrent.futures import ThreadPoolExecutor

    if config.engine != "numba":  # settled by probe_speed
        return None
    task = _task(config, width, 1, runs, epochs)
    alone, together = [], []
    with ThreadPoolExecutor(workers) as pool:
        for _ in range(3):
            for count, times in ((1, alone), (workers, together)):
                start = time.perf_counter()
                list(pool.map(compute_block, [task] * count))
                times.append(time.perf_counter() - start)
    return sorted(alone)[1] / sorted(together)[1]


def _probe(
    config: SweepConfig, width: int, runs: int, epochs: int, spread: bool = True
) -> tuple[float, float, float]:
    """Seconds of a block of ``runs`` networks of ``width`` trained 1 epoch, of its
    ``epochs`` more, and (with ``spread``) of the 1-epoch block over 512 points."""

    def timed(points: int, epochs: int) -> float:
        task = _task(config, width, points, runs, epochs)
        start = time.perf_counter()
        compute_block(task)
        return time.perf_counter() - start

    timed(1, 2)  # the first block pays for allocations and imports
    # the fastest of three of each: other work on the machine only ever adds time
    blocks = ((1, 1), (1, epochs + 1)) + (((512, 1),) if spread else ())
    times = [min(timed(p, e) for _ in range(3)) for p, e in blocks]
    short, long = times[0], times[1]
    trained = long - short
    if trained < 0.1 * long:  # the difference drowned in noise: bound it by the whole block
        trained = long
    return short, trained, times[2] if spread else 0.0


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``format_bytes(96e6) == '91.6 MiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def format_hours(seconds: float) -> str:
    """A duration in the unit that reads best: seconds, minutes or hours."""
    if seconds < 1:
        return "less than a second"
    if seconds < 90:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.3g} hours"


def check_cost(
    cost: SweepCost,
    seconds: float,
    *,
    memory: int | None,
    disk: int | None,
    max_hours: float,
) -> None:
    """Raise ValueError, with the numbers, if ``cost`` does not fit this machine.

    ``memory`` and ``disk`` are the bytes available (None: unknown, not
    checked); ``seconds`` the estimated time, refused above ``max_hours``.
    """
    if memory is not None and cost.memory_bytes > memory:
        raise ValueError(
            f"the sweep's bookkeeping needs about {format_bytes(cost.memory_bytes)} of memory "
            f"and this machine has {format_bytes(memory)} available: use fewer runs or points"
        )
    if memory is not None and cost.analysis_bytes > memory:
        raise ValueError(
            f"reading and fitting these results (xorsweep fit, figures, reproduce) would need "
            f"about {format_bytes(cost.analysis_bytes)} of memory and this machine has "
            f"{format_bytes(memory)} available: use fewer runs or points"
        )
    if disk is not None and cost.store_bytes > disk:
        raise ValueError(
            f"the results need up to {format_bytes(cost.store_bytes)} on disk and "
            f"{format_bytes(disk)} are free there: use fewer runs or points, or another "
            "store path"
        )
    if seconds > max_hours * 3600:
        raise ValueError(
            f"the sweep would take about {format_hours(seconds)} ({cost.net_epochs:.3g} "
            f"network-epochs), more than --max-hours {max_hours:g}: use fewer runs, points or "
            "epochs, or raise --max-hours"
        )


def plan(
    config: SweepConfig,
    runs: int,
    path: Path,
    workers: int,
    block: int,
    total_runs: int | None,
    max_hours: float,
) -> tuple[str, float] | None:
    """Check that a sweep into the store ``path`` can be done, and say what it costs.

    Refuses (ValueError) what memory, disk or ``max_hours`` cannot take; returns the
    work and a probe-timed estimate in words and the estimated seconds (with the
    start of ``workers`` > 1 local worker processes), or None when nothing is left.
    """
    from .._core import outputs

    present, stored = stored_runs(config, path)
    outputs.writable_directory(path, "--store")
    cost = sweep_cost(config, runs, present, stored, total_runs)
    if not cost.runs:
        return None
    workers = max(1, min(workers, math.ceil(cost.runs / block)))  # blocks shared by workers
    speed = probe_speed(config, workers=workers)
    seconds = speed.seconds(cost, workers) + (WORKER_START if workers > 1 else 0.0)
    memory, disk = available_memory(), outputs.free_space(path)
    check_cost(cost, seconds, memory=memory, disk=disk, max_hours=max_hours)
    return describe(cost, speed, workers), seconds


def available_memory() -> int | None:
    """Bytes of memory this process can still take: the system's available memory,
    or less under a cgroup limit; None where neither can be read."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    v1 = "/sys/fs/cgroup/memory/memory."
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        (v1 + "limit_in_bytes", v1 + "usage_in_bytes"),  # cgroup v1
    ):
        try:
            cap = Path(limit).read_text().strip()
            if cap != "max" and int(cap) < 1 << 60:
                found.append(max(0, int(cap) - int(Path(usage).read_text())))
        except (OSError, ValueError):
            continue
    return min(found) if found else None
