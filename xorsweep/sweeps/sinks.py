"""Where a sweep's finished blocks go: memory, or a store.

A sink is chunks of results with a marker per chunk (see :mod:`xorsweep.sweeps.store`):
a store's :class:`~xorsweep.sweeps.store.ResultsWriter`, or :class:`MemorySink` for
results kept in memory. :func:`store_block` puts a finished block into it,
the data first and each chunk's marker last.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import xarray as xr

from .._core.cf_attrs import with_cf_attrs
from ..training.budgets import KEYS as BUDGET_VARIABLES
from .config import SweepConfig
from .planning import PlannedBlock
from .store import SCHEMA, VARIABLES, ChunkLayout

__all__ = ["MemorySink", "Sink", "store_block"]


class Sink(Protocol):
    """What a sweep writes its results into (a store's writer, or memory)."""

    grid_shape: tuple[int, ...]
    runs: int
    layout: ChunkLayout
    compute_seconds: float

    def add_compute_seconds(self, seconds: float) -> None: ...

    def extend_runs(self, runs: int) -> None: ...

    def filled(self) -> np.ndarray: ...

    def read_chunk(self, chunk: tuple[int, ...]) -> dict[str, np.ndarray]: ...

    def write_chunk(self, chunk: tuple[int, ...], values: dict, filled: np.ndarray) -> None: ...


class MemorySink:
    """Results kept in memory, with the same chunk interface as a store's writer."""

    def __init__(
        self, grid_shape: tuple[int, ...], runs: int, layout: ChunkLayout, budgets: int = 0
    ):
        self.grid_shape, self.runs, self.layout = grid_shape, runs, layout
        self._data = {v: np.full((*grid_shape, runs), np.nan) for v in VARIABLES}
        for v in BUDGET_VARIABLES if budgets else ():  # (grid..., run, budget)
            self._data[v] = np.full((*grid_shape, runs, budgets), np.nan)
        self._filled = np.zeros((*grid_shape, layout.run_chunks(runs)), dtype=np.int64)
        self.compute_seconds = 0.0

    def add_compute_seconds(self, seconds: float) -> None:
        self.compute_seconds += seconds

    def extend_runs(self, runs: int) -> None:
        if runs > self.runs:
            pad = [(0, 0)] * len(self.grid_shape)
            more = (0, runs - self.runs)  # along run; none along budget
            self._data = {
                v: np.pad(
                    a, [*pad, more, *[(0, 0)] * (a.ndim - len(pad) - 1)], constant_values=np.nan
                )
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
        dims = (*config.grid_dims, "run", "budget")
        budget = {"budget": np.array(config.budgets, np.int64)} if config.budgets else {}
        ds = xr.Dataset(
            {v: (dims[: a.ndim], a) for v, a in self._data.items()},
            coords={**config.coords, "run": np.arange(self.runs), **budget},
            attrs={**config.attrs(), "schema": SCHEMA},
        )
        return with_cf_attrs(ds)


def store_block(sink: Sink, filled: np.ndarray, block: PlannedBlock, result: dict) -> None:
    """Put one finished block into its chunks: the data, then each chunk's marker.

    ``filled`` (grid..., run_chunk) is the sink's markers, updated here;
    ``result`` holds each of :data:`~xorsweep.sweeps.store.VARIABLES`, shape (run,),
    in the block's order, and with budgets each of their variables, (run, budget).
    """
    layout = sink.layout
    middle = (0,) * (len(sink.grid_shape) - 1)  # the other grid dimensions: length 1
    done = 0  # runs of the block put in place
    for work in block.chunks:
        region = layout.marker_region(work.chunk, sink.grid_shape)
        marks = filled[region].copy()
        if marks.any():
            values = sink.read_chunk(work.chunk)
        else:
            shape = tuple(
                s.stop - s.start for s in layout.data_region(work.chunk, sink.grid_shape, sink.runs)
            )
            values = {v: np.full((*shape, *a.shape[1:]), np.nan) for v, a in result.items()}
        flat_marks = marks.reshape(-1)
        start = work.chunk[-1] * layout.runs
        for row, lo, hi in zip(work.rows, work.lo - start, work.hi - start, strict=True):
            for v, arr in values.items():
                arr[(row, *middle, slice(lo, hi))] = result[v][done : done + hi - lo]
            flat_marks[row] = hi
            done += hi - lo
        sink.write_chunk(work.chunk, values, marks)
        filled[region] = marks
