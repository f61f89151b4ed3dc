"""A sweep's unit of work: one block of runs, from their seeds to their results.

A block (:class:`BlockTask`) is a few grid points' ranges of runs of one
sweep, whose :class:`~xorsweep.sweeps.config.SweepConfig` it carries. Its
initial networks follow the seeding rule of :mod:`xorsweep.seeding`
(:func:`seeded_population`, which :func:`~xorsweep.sweeps.results.replay`
uses too), and :func:`compute_block` trains them with
:func:`xorsweep.training.run_training`. No I/O: this runs in worker processes
and Dask tasks, and imports only NumPy and the core modules (not xarray,
pandas or Zarr), so that a worker starts in a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..network import Population, n_parameters, population_from_normals, unpack_parameters
from ..seeding import float_bits, standard_normals
from ..store import VARIABLES
from ..training import TrainingJob, run_training
from ..truth_tables import truth_table
from .config import SweepConfig

__all__ = ["BlockTask", "block_population", "compute_block", "seeded_population", "task_of_points"]


@dataclass(frozen=True)
class BlockTask:
    """The inputs of one block: for each entry ``k`` (a grid point), runs
    ``lo[k] .. hi[k] - 1`` at the point ``(hidden_std[k], output_std[k], lr[k])``
    of the sweep ``config``, which gives the rest (seed, epochs, update, data,
    hidden width). Arrays have shape (entry,)."""

    config: SweepConfig
    hidden_std: np.ndarray  # float64
    output_std: np.ndarray  # float64
    lr: np.ndarray  # float64
    lo: np.ndarray  # int64
    hi: np.ndarray  # int64, >= lo

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
    data: str = "xor",
    hidden: int = 2,
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
    )
    return BlockTask(
        config,
        *(np.asarray(v, dtype=np.float64) for v in (hidden_std, output_std, lr)),
        *(np.asarray(v, dtype=np.int64) for v in (lo, hi)),
    )


def _distinct(values: np.ndarray) -> tuple[float, ...]:
    """The distinct values, in the order they first appear."""
    return tuple(dict.fromkeys(np.asarray(values, dtype=np.float64).tolist()))


def seeded_population(
    seed: int,
    points: tuple[np.ndarray, np.ndarray, np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    widths: tuple[int, int, int],
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
    widths : tuple of int
        The networks' ``(n_in, hidden, n_out)``.

    Returns
    -------
    Population
        One network per run, ordered by entry, then by run index. Each run's
        normals come from its own SeedSequence (:mod:`xorsweep.seeding`), so
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
    )


def block_population(task: BlockTask) -> tuple[Population, np.ndarray]:
    """The initial networks of a block's runs and their learning rates, shape (run,).

    Runs are ordered by entry, then by run index (see :func:`seeded_population`).
    """
    config, table = task.config, truth_table(task.config.data)
    lo, hi = np.asarray(task.lo, dtype=np.int64), np.asarray(task.hi, dtype=np.int64)
    points = (task.hidden_std, task.output_std, task.lr)
    pop = seeded_population(config.seed, points, lo, hi, (table.n_in, config.hidden, table.n_out))
    return pop, np.repeat(np.asarray(task.lr, dtype=np.float64), hi - lo)


def compute_block(task: BlockTask) -> dict[str, np.ndarray]:
    """Train one block's runs; returns each stored variable, shape (run,), block order.

    A pure function of ``task``: it runs in worker processes and Dask tasks.
    The configuration was checked when the sweep made it, so training does
    not check its settings again.
    """
    pop, lrs = block_population(task)
    config = task.config
    job = TrainingJob(
        pop,
        config.epochs,
        lrs,
        truth_table(config.data),
        update=config.update,
        block_size=pop.runs,
    )
    results = run_training(job)
    return {name: results[name] for name in VARIABLES}
