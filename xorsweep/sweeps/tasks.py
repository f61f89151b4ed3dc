"""A sweep's unit of work: one block of runs, from their seeds to their results.

A block (:class:`BlockTask`) is a few grid points' ranges of runs of one
sweep, whose :class:`~xorsweep.sweeps.config.SweepConfig` it carries. Its
initial networks follow the seeding rule of :mod:`xorsweep.sweeps.seeding`
(:func:`seeded_population`, which :func:`~xorsweep.sweeps.results.replay`
uses too), and :func:`compute_block` trains them with
:func:`xorsweep.training.trainer.run_training`. No I/O: this runs in worker processes
and Dask tasks, and imports only NumPy and the core modules (not xarray,
pandas or Zarr), so that a worker starts in a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..model.initialization import population_from_normals
from ..model.network import Population, n_parameters, unpack_parameters
from ..model.truth_tables import TruthTable
from ..training.budgets import KEYS as BUDGET_VARIABLES
from ..training.settings import TrainingSettings
from ..training.trainer import TrainingJob, run_training
from .config import PointSetting, SweepConfig
from .seeding import float_bits, standard_normals
from .store import VARIABLES

__all__ = [
    "BlockTask",
    "block_population",
    "compute_block",
    "seeded_population",
    "setting_task",
    "task_of_points",
    "warm_up_task",
]


@dataclass(frozen=True)
class BlockTask:
    """The inputs of one block: for each entry ``k`` (a grid point), runs
    ``lo[k] .. hi[k] - 1`` at the point ``(hidden_std[k], output_std[k], lr[k])``
    of the sweep ``config``, which gives the seed, epochs, update and data.
    Arrays have shape (entry,). Every entry of a block has the same width,
    activation, gradient and bias (a block's networks train together), and the
    same :class:`~xorsweep.training.settings.TrainingSettings` (``settings``,
    made once with the block by :meth:`SweepConfig.training
    <xorsweep.sweeps.config.SweepConfig.training>`), which reach the kernel whole."""

    config: SweepConfig
    hidden_std: np.ndarray  # float64
    output_std: np.ndarray  # float64
    lr: np.ndarray  # float64
    lo: np.ndarray  # int64
    hi: np.ndarray  # int64, >= lo
    hidden: int  # the networks' width
    activation: str  # the hidden layer's activation
    gradient: str  # "sum" or "mean"
    bias: str  # "scaled" or "zero"
    optimizer: str  # a name of xorsweep.training.optimizers.OPTIMIZERS
    # how the block trains, its engine the sweep's (settled: "numpy" or "numba"); its lr
    # the first entry's (the block's runs train at their own, block_population)
    settings: TrainingSettings

    @property
    def runs(self) -> int:
        """Runs in the block."""
        return int(np.sum(self.hi - self.lo))


def task_of_points(
    hidden_std: np.ndarray,
    output_std: np.ndarray,
    lr: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    seed: int = 0,
    epochs: int = 1,
    update: str = "article",
    data: str | TruthTable = "xor",
    hidden: int = 2,
    engine: str = "auto",
    activation: str = "sigmoid",
    gradient: str = "sum",
    bias: str = "scaled",
) -> BlockTask:
    """A block of runs ``lo[k] .. hi[k] - 1`` at the points ``(hidden_std[k],
    output_std[k], lr[k])``, outside a sweep: its configuration's grid is the
    points' distinct values, checked as a sweep's are. For timing and testing."""
    config = SweepConfig(
        hidden_std=_distinct(hidden_std),
        output_std=_distinct(output_std),
        lr=_distinct(lr),
        epochs=epochs,
        seed=seed,
        update=update,
        data=data,
        hidden=hidden,
        engine=engine,
        activation=activation,
        gradient=gradient,
        bias=bias,
    ).settled()
    _, setting = next(config.settings())
    return BlockTask(
        config,
        *(np.asarray(v, dtype=np.float64) for v in (hidden_std, output_std, lr)),
        *(np.asarray(v, dtype=np.int64) for v in (lo, hi)),
        config.hidden,
        config.activation,
        config.gradient,
        config.bias,
        config.optimizer,
        config.training(setting, float(lr[0]) if len(lr) else None),
    )


def setting_task(
    config: SweepConfig,
    setting: PointSetting,
    hidden_std: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> BlockTask:
    """The block of runs ``lo[k] .. hi[k] - 1`` at the hidden stds ``hidden_std[k]``
    (arrays of shape (entry,)) and the rest of the grid point ``setting``."""
    n = len(hidden_std)
    return BlockTask(
        config,
        np.asarray(hidden_std, dtype=np.float64),
        np.full(n, setting.output_std),
        np.full(n, setting.lr),
        np.asarray(lo, dtype=np.int64),
        np.asarray(hi, dtype=np.int64),
        setting.hidden,
        setting.activation,
        setting.gradient,
        setting.bias,
        setting.optimizer,
        config.training(setting),
    )


def warm_up_task(config: SweepConfig) -> BlockTask:
    """One run of ``config`` for one epoch, at its first grid point: what a worker
    computes before its first block, so that its engine is compiled and loaded."""
    _, setting = next(config.settings())
    start = np.zeros(1, dtype=np.int64)
    first = np.array(config.hidden_std[:1], dtype=np.float64)
    warm = replace(config, epochs=1, budgets=None)
    return setting_task(warm, setting, first, start, start + 1)


def _distinct(values: np.ndarray) -> tuple[float, ...]:
    """The distinct values, in the order they first appear."""
    return tuple(dict.fromkeys(np.asarray(values, dtype=np.float64).tolist()))


def seeded_population(
    seed: int,
    points: tuple[np.ndarray, np.ndarray, np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    widths: tuple[int, int | tuple[int, ...], int],
    bias: str = "scaled",
    weights: str = "normal",
) -> Population:
    """The initial networks of runs of a sweep, by its seeding rule.

    Parameters
    ----------
    seed : int
        The sweep's seed.
    points : tuple of three ndarray, each of shape (entry,)
        The grid points ``(hidden_std, output_std, lr)`` of the entries.
    lo, hi : ndarray of int64, shape (entry,)
        Entry ``k`` holds the runs ``lo[k] <= r < hi[k]``.
    widths : tuple
        The networks' ``(n_in, hidden, n_out)``, ``hidden`` a width or one per
        hidden layer: each run draws ``n_parameters(*widths)`` normals from its
        stream, and every hidden layer is drawn with the run's hidden std.
    bias : {"scaled", "zero"}
        As in :func:`xorsweep.init_population`: ``"zero"`` zeroes the biases
        of the same draw (runs differing only in ``bias`` share their weights).
    weights : {"normal", "orthogonal"}
        As in :func:`xorsweep.init_population`.

    Returns
    -------
    Population
        One network per run, ordered by entry, then by run index. Each run's
        normals come from its own SeedSequence (:mod:`xorsweep.sweeps.seeding`), so
        a run's network does not depend on the other runs asked for.
    """
    h_std, o_std, lrs = points
    keys = [
        (float_bits(h), float_bits(o), float_bits(lr))
        for h, o, lr in zip(h_std, o_std, lrs, strict=True)
    ]
    z = standard_normals(seed, keys, lo, hi, n_parameters(*widths))  # (run, parameter)
    counts = hi - lo
    return population_from_normals(
        unpack_parameters(z, *widths),
        np.repeat(np.asarray(h_std, dtype=np.float64), counts),
        np.repeat(np.asarray(o_std, dtype=np.float64), counts),
        bias=bias,
        weights=weights,
    )


def block_population(task: BlockTask) -> tuple[Population, np.ndarray]:
    """The initial networks of a block's runs and their learning rates, shape (run,).

    Runs are ordered by entry, then by run index (see :func:`seeded_population`).
    """
    table = task.config.table
    lo, hi = np.asarray(task.lo, dtype=np.int64), np.asarray(task.hi, dtype=np.int64)
    points = (task.hidden_std, task.output_std, task.lr)
    config = task.config
    widths = (table.n_in, config.architecture(task.hidden), table.n_out)
    pop = seeded_population(config.seed, points, lo, hi, widths, task.bias, config.weights)
    return pop, np.repeat(np.asarray(task.lr, dtype=np.float64), hi - lo)


def compute_block(task: BlockTask) -> dict[str, np.ndarray]:
    """Train one block's runs; returns each stored variable, shape (run,), block order.

    A pure function of ``task``: it runs in worker processes and Dask tasks.
    The configuration was checked when the sweep made it, so training does
    not check its settings again; its engine is the sweep's
    (:meth:`~xorsweep.sweeps.config.SweepConfig.settled`).
    """
    pop, lrs = block_population(task)
    job = TrainingJob(pop, task.settings, lrs, task.config.table, block_size=pop.runs)
    results = run_training(job)
    budgets = BUDGET_VARIABLES if task.settings.budgets else ()  # each (run, budget)
    return {name: results[name] for name in (*VARIABLES, *budgets)}
