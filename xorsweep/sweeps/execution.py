"""Running a sweep's blocks: in this process, on local worker processes, or on Dask.

Each runner takes the planned blocks and yields ``(block, result)`` as blocks
finish, ``result`` being :func:`~xorsweep.sweeps.tasks.compute_block` of the
block's task, computed here, by a worker process
(:class:`~xorsweep.sweeps.workers.LocalWorkers`) or as a Dask task. Closing
the iterator early stops the work in flight.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from itertools import islice
from typing import Any

from .planning import PlannedBlock
from .tasks import compute_block
from .workers import LocalWorkers

__all__ = ["default_workers", "run_dask", "run_here", "run_processes"]


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_here(blocks: list[PlannedBlock]) -> Iterator[tuple[PlannedBlock, dict]]:
    """Compute the blocks one after the other in this process."""
    for block in blocks:
        yield block, compute_block(block.task)


def _import_for_results() -> None:
    """Import ``dask.array``, which xarray loads for its first Dataset (about 0.4 s)."""
    with contextlib.suppress(ImportError):
        import dask.array  # noqa: F401


def run_processes(
    blocks: list[PlannedBlock], pool: LocalWorkers
) -> Iterator[tuple[PlannedBlock, dict]]:
    """Compute the blocks on ``pool``'s ready workers."""
    # this process only waits while the workers compute: it imports meanwhile what it
    # will need to make the results, instead of after the last block
    importer = threading.Thread(target=_import_for_results, name="xorsweep-imports")
    importer.start()
    try:
        yield from pool.results((block, block.task) for block in blocks)
    finally:
        importer.join()


def run_dask(blocks: list[PlannedBlock], client: Any) -> Iterator[tuple[PlannedBlock, dict]]:
    """Compute the blocks as tasks of the Dask ``client``, a few ahead of the results."""
    from distributed import as_completed

    todo = iter(blocks)
    depth = max(4, 2 * sum(client.nthreads().values()))
    running: dict[str, tuple[Any, PlannedBlock]] = {}

    def submit(block: PlannedBlock) -> Any:
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
