"""The ``budget`` axis of a sweep's store: its coordinate and the runs' scores at each budget.

A sweep with ``budgets`` (:class:`~xorsweep.sweeps.config.SweepConfig`) keeps, beside
the variables of :data:`~xorsweep.sweeps.store.VARIABLES`, ``budget_total_loss`` and
``budget_converged_epoch`` (:mod:`xorsweep.training.budgets`) over ``(grid..., run,
budget)``: the run axis in the place it has in every other variable, so that a chunk's
region of the grid and runs selects their budgets whole. Chunked as the other variables,
with every budget in each chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._core.cf_attrs import cf_attrs
from ..training.budgets import KEYS as BUDGET_VARIABLES

__all__ = ["BUDGET_VARIABLES", "make_budget_arrays", "stored_variables"]


def stored_variables(group: Any, variables: tuple[str, ...]) -> tuple[str, ...]:
    """``variables``, then the budgets' variables that the Zarr ``group`` holds."""
    return (*variables, *(name for name in BUDGET_VARIABLES if name in group))


def make_budget_arrays(
    group: Any, budgets: tuple[int, ...] | None, dims: tuple[str, ...], shape: tuple, chunks: tuple
) -> Iterator[None]:
    """Create the ``budget`` coordinate and the budgets' variables in ``group`` (none
    without ``budgets``), pausing (``yield``) after each; ``dims``, ``shape`` and
    ``chunks`` are those of the other variables (grid..., run)."""
    if not budgets:
        return
    coord = group.create_array(
        "budget", shape=(len(budgets),), dtype="int64", chunks=(len(budgets),),
        dimension_names=["budget"], attributes=cf_attrs("budget"),
    )  # fmt: skip
    coord[...] = np.asarray(budgets, dtype=np.int64)
    yield
    for name in BUDGET_VARIABLES:
        group.create_array(
            name, shape=(*shape, len(budgets)), dtype="float64", chunks=(*chunks, len(budgets)),
            fill_value=np.nan, dimension_names=[*dims, "budget"], attributes=cf_attrs(name),
        )  # fmt: skip
        yield
