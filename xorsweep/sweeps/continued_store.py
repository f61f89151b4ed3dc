"""The store of runs that :func:`~xorsweep.sweeps.continuation.continue_runs` trained on.

Written whole, atomically: the Dataset goes to a temporary sibling directory
that is renamed into place when complete, with Ctrl-C and SIGTERM held back
until the rename (:mod:`xorsweep._core.interrupts`); an interrupted or failed
write removes the temporary directory. So a path holds either nothing or a
complete store, never half of one. The root attribute ``schema`` marks it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .._core.interrupts import deferred
from .store import creating_path, path_state, remove_abandoned

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "CONTINUED_SCHEMA",
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
