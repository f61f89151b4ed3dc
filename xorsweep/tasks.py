"""A sweep's unit of work: one block of runs, from their seeds to their results.

A block (:class:`BlockTask`) is a few grid points' ranges of runs. Its
initial networks follow the seeding rule of :mod:`xorsweep.seeding`, and
:func:`compute_block` trains them with :mod:`xorsweep.training`. No I/O: this
runs in worker processes and Dask tasks, and imports only NumPy and the core
modules (not xarray, pandas or Zarr), so that a worker starts in a fraction of
a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Population
from .seeding import float_bits, standard_normals
from .training import train_arrays
from .truth_tables import truth_table

__all__ = ["VARIABLES", "BlockTask", "block_population", "compute_block"]

#: The results kept of every run, each of shape (run,).
VARIABLES = ("total_loss", "final_loss", "converged_epoch")


@dataclass(frozen=True)
class BlockTask:
    """The inputs of one block: for each entry ``k`` (a grid point), runs
    ``lo[k] .. hi[k] - 1`` at stds ``hidden_std[k]``, ``output_std[k]`` and
    learning rate ``lr[k]``. Arrays have shape (entry,)."""

    hidden_std: np.ndarray
    output_std: np.ndarray
    lr: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    seed: int
    epochs: int
    update: str
    data: str
    hidden: int

    @property
    def runs(self) -> int:
        """Runs in the block."""
        return int(np.sum(self.hi - self.lo))


def block_population(task: BlockTask) -> tuple[Population, np.ndarray]:
    """The initial networks of a block's runs and their learning rates, shape (run,).

    Runs are ordered by entry, then by run index. Each run's normals come from
    its own SeedSequence (see :mod:`xorsweep.seeding`), so the result for a
    run does not depend on the rest of the block.
    """
    table = truth_table(task.data)
    n_in, h, n_out = table.n_in, task.hidden, table.n_out
    n_par = (n_in + 1) * h + (h + 1) * n_out
    n = task.runs
    keys = [
        (float_bits(hs), float_bits(os_), float_bits(lr))
        for hs, os_, lr in zip(task.hidden_std, task.output_std, task.lr, strict=True)
    ]
    lo, hi = np.asarray(task.lo, dtype=np.int64), np.asarray(task.hi, dtype=np.int64)
    z = standard_normals(task.seed, keys, lo, hi, n_par)
    counts = hi - lo
    h_std = np.repeat(np.asarray(task.hidden_std, dtype=np.float64), counts)
    o_std = np.repeat(np.asarray(task.output_std, dtype=np.float64), counts)
    lrs = np.repeat(np.asarray(task.lr, dtype=np.float64), counts)
    a, b, c = n_in * h, n_in * h + h, n_in * h + h + h * n_out
    hs_col, os_col = h_std[:, None, None], o_std[:, None, None]
    pop = Population(
        hidden_weights=z[:, :a].reshape(n, n_in, h) * hs_col,
        hidden_bias=z[:, a:b].reshape(n, 1, h) * hs_col,
        output_weights=z[:, b:c].reshape(n, h, n_out) * os_col,
        output_bias=z[:, c:].reshape(n, 1, n_out) * os_col,
    )
    return pop, lrs


def compute_block(task: BlockTask) -> dict[str, np.ndarray]:
    """Train one block's runs; returns each stored variable, shape (run,), block order.

    A pure function of ``task``: it runs in worker processes and Dask tasks.
    """
    pop, lrs = block_population(task)
    results = train_arrays(
        pop, task.epochs, lrs, data=task.data, update=task.update, block_size=pop.runs
    )
    return {name: results[name] for name in VARIABLES}
