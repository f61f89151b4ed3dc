"""Cutting a sweep's work into chunks of results and blocks of runs.

The results are cut into chunks (a :class:`~xorsweep.sweeps.store.ChunkLayout`:
a few points along ``hidden_std`` by a range of runs, at one value of every
other grid dimension) when they are first made; the work left is cut into
blocks of whole chunks of about one target size (:func:`block_target`), each
a :class:`PlannedBlock`: the task a worker computes and the chunks where its
runs go. A block's runs share one point of the grid dimensions after
``hidden_std`` (a :class:`~xorsweep.sweeps.config.PointSetting`: output std,
lr, width, activation, gradient, bias), so that its networks train together.
Runs are finished chunk by chunk, from each chunk's start, so what is left of
a chunk is one range of runs per point.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .config import PointSetting, SweepConfig
from .store import ChunkLayout
from .tasks import BlockTask, setting_task

__all__ = [
    "ChunkWork",
    "PlannedBlock",
    "PointChunk",
    "block_target",
    "choose_layout",
    "pending_runs",
    "plan_blocks",
    "run_ranges",
]


def block_target(runs: int, block_size: int, workers: int) -> int:
    """Runs per block: ``runs`` split evenly into the fewest blocks of at most
    ``block_size`` runs whose number is a multiple of ``workers``, so that every
    worker gets the same work (16,384 runs on 2 workers: 2 blocks of 8192)."""
    n_blocks = workers * math.ceil(runs / (workers * block_size))
    return max(1, math.ceil(runs / max(n_blocks, 1)))


def choose_layout(
    grid_shape: tuple[int, ...], runs: int, total: int, block_size: int, workers: int
) -> ChunkLayout:
    """Chunks of about one block (see :func:`block_target`).

    ``runs`` is the largest number of runs a point asks for and ``total`` the
    runs of all points. A point's runs are split evenly (10,000 runs and
    blocks of 8192 give two chunks of 5000); points with few runs share a
    chunk along ``hidden_std``.
    """
    target = block_target(total, block_size, workers)
    if runs >= target:
        n_chunks = math.ceil(runs / target)
        return ChunkLayout(points=1, runs=math.ceil(runs / n_chunks))
    return ChunkLayout(points=max(1, min(grid_shape[0], target // runs)), runs=runs)


def run_ranges(
    requested: np.ndarray, filled: np.ndarray, layout: ChunkLayout, runs: int
) -> tuple[np.ndarray, np.ndarray]:
    """First run to compute and one past the last, each (grid..., run_chunk).

    In run chunk ``j`` of a point, runs from the chunk's start up to
    ``filled`` are finished; runs up to ``requested`` (and the chunk's end)
    are wanted. Where ``hi <= lo`` there is nothing to do.
    """
    starts = np.arange(filled.shape[-1]) * layout.runs  # (run_chunk,)
    ends = np.minimum(starts + layout.runs, runs)
    return starts + filled, np.minimum(requested[..., None], ends)


def pending_runs(requested: np.ndarray, filled: np.ndarray, layout: ChunkLayout, runs: int) -> int:
    """Number of runs a sweep to ``requested`` runs per point still has to compute."""
    lo, hi = run_ranges(requested, filled, layout, runs)
    return int(np.maximum(hi - lo, 0).sum())


@dataclass(frozen=True)
class PointChunk:
    """The points of one chunk of the results along ``hidden_std`` at one index of
    the other grid dimensions: the points whose runs a block may hold together."""

    index: tuple[int, ...]  # (hidden_std chunk, index along each other grid dimension)
    hidden: slice  # the points' indices along hidden_std
    setting: PointSetting  # the rest of the points: output std, lr, width, ...


@dataclass(frozen=True)
class ChunkWork:
    """The runs to compute in one chunk of the results: for each entry ``k``,
    runs ``lo[k] .. hi[k] - 1`` of the point in row ``rows[k]`` of the chunk.
    Arrays have shape (entry,)."""

    chunk: tuple[int, ...]  # the chunk's indices: PointChunk.index, then the run chunk
    rows: np.ndarray  # the points with work, as rows of the chunk
    hidden_std: np.ndarray  # their hidden stds
    lo: np.ndarray  # int64, absolute run indices
    hi: np.ndarray

    @property
    def runs(self) -> int:
        """Runs to compute."""
        return int(np.sum(self.hi - self.lo))


@dataclass(frozen=True)
class PlannedBlock:
    """A block as the calling process knows it: its task, and the chunks its runs
    go to, whose entries are the task's, in order."""

    task: BlockTask
    chunks: tuple[ChunkWork, ...]


def point_chunks(config: SweepConfig, layout: ChunkLayout) -> Iterator[PointChunk]:
    """Every chunk of points of the grid, ``hidden_std`` fastest."""
    n_h = config.grid_shape[0]
    for other, setting in config.settings():
        for c0 in range(math.ceil(n_h / layout.points)):
            hidden = slice(c0 * layout.points, min((c0 + 1) * layout.points, n_h))
            yield PointChunk((c0, *other), hidden, setting)


def plan_blocks(
    config: SweepConfig,
    requested: np.ndarray,
    filled: np.ndarray,
    layout: ChunkLayout,
    runs: int,
    target: int,
) -> list[PlannedBlock]:
    """Blocks computing every run ``r < requested[point]`` that is not finished.

    ``requested`` has the grid's shape; ``filled`` (grid..., run_chunk) counts
    the finished runs at the start of each point's chunk. A block groups
    consecutive chunks of the same points until it holds about ``target`` runs.
    """
    lo, hi = run_ranges(requested, filled, layout, runs)
    hidden_std = config.coords[config.axis]  # a gain sweep's gains
    blocks: list[PlannedBlock] = []
    for points in point_chunks(config, layout):
        where = (points.hidden, *points.index[1:])
        work = _chunk_work(points, lo[where], hi[where], hidden_std)
        blocks.extend(_group(config, points, work, target))
    return blocks


def _chunk_work(
    points: PointChunk, lo: np.ndarray, hi: np.ndarray, hidden_std: np.ndarray
) -> Iterator[ChunkWork]:
    """The work left in each run chunk of ``points``; ``lo``, ``hi`` (point, run_chunk)."""
    work = np.maximum(hi - lo, 0)
    for j in np.flatnonzero(work.sum(axis=0)):
        rows = np.flatnonzero(work[:, j])
        chunk = tuple(int(i) for i in (*points.index, j))
        h = hidden_std[points.hidden.start + rows]
        yield ChunkWork(chunk, rows, h, lo[rows, j], hi[rows, j])


def _group(
    config: SweepConfig, points: PointChunk, work: Iterator[ChunkWork], target: int
) -> Iterator[PlannedBlock]:
    """Consecutive chunks' work, grouped into blocks of at least ``target`` runs (the
    last one may hold fewer)."""
    group: list[ChunkWork] = []
    size = 0
    for piece in work:
        group.append(piece)
        size += piece.runs
        if size >= target:
            yield _block(config, points, group)
            group, size = [], 0
    if group:
        yield _block(config, points, group)


def _block(config: SweepConfig, points: PointChunk, group: list[ChunkWork]) -> PlannedBlock:
    """The block computing the work of ``group``, chunk by chunk."""
    task = setting_task(
        config,
        points.setting,
        np.concatenate([piece.hidden_std for piece in group]),
        np.concatenate([piece.lo for piece in group]),
        np.concatenate([piece.hi for piece in group]),
    )
    return PlannedBlock(task, tuple(group))
