"""The store of runs that :func:`~xorsweep.sweeps.continuation.continue_runs` trained on.

Written whole, atomically: the Dataset goes to a temporary sibling directory
that is renamed into place when complete, with Ctrl-C and SIGTERM held back
until the rename (:mod:`xorsweep._core.interrupts`); an interrupted or failed
write removes the temporary directory. So a path holds either nothing or a
complete store, never half of one. The root attribute ``schema`` marks it.
Until then the finished blocks wait beside it (:class:`FinishedBlocks`), so that
an interrupted continuation resumes block by block.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._core.interrupts import deferred
from .store import creating_path, path_state, remove_abandoned

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "CONTINUED_SCHEMA",
    "FinishedBlocks",
    "continued_path_state",
    "holds_continued",
    "open_continued",
    "write_continued",
]

#: Marks a directory as a store of continued runs (root attribute ``schema``).
CONTINUED_SCHEMA = "xorsweep.continued/1"


def continued_path_state(path: str | os.PathLike) -> str:
    """``"new"`` if ``path`` is free (missing or an empty directory), ``"store"`` if it holds
    a store of continued runs; a ValueError naming the store path for anything else."""
    return path_state(
        path, CONTINUED_SCHEMA, kind="store of continued runs", maker="xorsweep.continue_runs"
    )


def holds_continued(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a store of continued runs (False for anything else)."""
    try:
        return continued_path_state(path) == "store"
    except ValueError:
        return False


def open_continued(path: str | os.PathLike) -> xr.Dataset:
    """The continued runs stored at ``path``, loaded into memory."""
    import xarray as xr

    if continued_path_state(path) != "store":
        raise FileNotFoundError(f"no store of continued runs at {path}")
    return xr.open_zarr(path, consolidated=False, zarr_format=3).load()


def write_continued(ds: xr.Dataset, path: str | os.PathLike) -> None:
    """Write ``ds`` as a new store at ``path`` (missing or an empty directory), atomically.

    Interrupted (Ctrl-C, SIGTERM) before the rename, nothing is left at
    ``path`` and the interrupt goes on.
    """
    path = Path(path)
    if continued_path_state(path) != "new":
        raise ValueError(f"store path {path} already holds continued runs")
    remove_abandoned(path)
    tmp = creating_path(path)
    with deferred() as pending:
        try:
            ds.attrs["schema"] = CONTINUED_SCHEMA
            ds.to_zarr(tmp, mode="w-", consolidated=False, zarr_format=3)
            if not pending:
                if path.is_dir():
                    path.rmdir()  # an empty directory
                os.rename(tmp, path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    if pending:  # its handler did not stop the program: nothing was written
        raise KeyboardInterrupt


class FinishedBlocks:
    """The blocks of a continuation finished so far, kept beside its store (in
    ``.NAME.blocks``) until the store is written, so that an interrupted continuation
    resumes where it stopped.

    Each block is written whole or not at all (aside, then renamed). The folder
    belongs to one request (``request``, JSON-like): blocks of another are removed.
    """

    def __init__(self, store: str | os.PathLike, request: dict[str, Any]) -> None:
        store = Path(store)
        self.path = store.parent / f".{store.name}.blocks"
        self._request = json.dumps(request, sort_keys=True)
        marker = self.path / "request.json"
        if self.path.is_dir() and (not marker.is_file() or marker.read_text() != self._request):
            shutil.rmtree(self.path)  # another request's blocks: its store was never written

    def done(self) -> dict[int, Any]:
        """The finished blocks by number, as :meth:`keep` was given them."""
        found: dict[int, Any] = {}
        for path in sorted(self.path.glob("block-*.pickle")):
            with path.open("rb") as file:
                found[int(path.stem.split("-")[1])] = pickle.load(file)  # noqa: S301 - ours
        return found

    def keep(self, number: int, block: Any) -> None:
        """Keep the finished block ``number`` (any picklable value)."""
        if not self.path.is_dir():  # the first block kept
            self.path.mkdir(parents=True)
            self._write(self.path / "request.json", self._request.encode())
        self._write(self.path / f"block-{number:06d}.pickle", pickle.dumps(block, protocol=5))

    def remove(self) -> None:
        """Remove the folder, once the store holds every block."""
        shutil.rmtree(self.path, ignore_errors=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        temp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        temp.write_bytes(data)
        os.replace(temp, path)
