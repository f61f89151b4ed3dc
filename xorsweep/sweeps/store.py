"""The results store: a Zarr directory that a sweep fills block by block.

This module and the command line are the only parts of the package that touch
the file system; the sweep computes, this module reads and writes.

Layout (Zarr format 3, one directory)
-------------------------------------
* the root group's attributes: the sweep's configuration, the package
  versions and ``schema = "xorsweep.sweep/1"``, which marks the directory as a
  results store;
* coordinate arrays ``hidden_std`` (and ``output_std``, ``lr``, ``hidden``,
  ``activation``, ``gradient``, ``bias`` when those are grids) holding the
  exact grid values (float64 stds and lr, int64 widths, variable-length
  strings for names), and ``run`` (0, 1, ...);
* ``total_loss``, ``final_loss`` and ``converged_epoch``: float64 arrays over
  ``(hidden_std, [other grid dimensions], run)``, NaN where nothing was
  written; chunked as ``(points, 1, ..., 1, runs)`` by a :class:`ChunkLayout`;
* ``_filled``: int64 over ``(hidden_std, [other grid dimensions], run_chunk)``,
  chunked ``(points, 1, ..., 1)`` so that each data chunk has its own marker
  chunk. ``_filled[p, j] = k`` says that the first ``k`` runs of point ``p``
  in run chunk ``j`` are finished;
* the root attribute ``compute_seconds`` (:data:`COMPUTE_SECONDS`): the wall
  time of the computation of every sweep that wrote into the store, resumed
  ones included (absent until a block is written). It is not among the
  results' attributes, which depend only on the configuration.

Why a SIGKILL never corrupts the store
--------------------------------------
Zarr writes every chunk to a temporary file and renames it into place, so a
chunk file is always either the old or the new version. A block writes the
data chunks first and its marker chunk last; :func:`open_results` shows a run
only if its marker says it is finished, so data written by a block that was
killed before its marker is invisible, and the next sweep computes those runs
again (to the same bits). Adding runs resizes the arrays; an interrupted
resize is finished by the next :class:`ResultsWriter`. A new store is built
in a temporary directory and renamed into place, so a half-made store never
exists under the requested name.

Interrupts and crashes leave no debris
--------------------------------------
Every operation on a store runs with Ctrl-C and SIGTERM held back until it
ends (:mod:`xorsweep._core.interrupts`), so that no Zarr write is left running
when the program stops; making a store checks for them between its steps, and
an interrupted one is removed. What a SIGKILL leaves is removed by the next
sweep on the same path: temporary chunk files when the store is opened for
writing, and the temporary directory of a store whose making was killed (its
name carries the process id, so that a store being made by a live process is
left alone).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.cf_attrs import CF_ATTRS, cf_attrs, with_cf_attrs
from .._core.interrupts import deferred, uninterrupted
from .budget_axis import make_budget_arrays, stored_variables
from .config import unpacked_attrs

if TYPE_CHECKING:  # xarray and Zarr are imported where they are used: workers import VARIABLES
    import xarray as xr

__all__ = [
    "COMPUTE_SECONDS",
    "SCHEMA",
    "VARIABLES",
    "VARIABLE_ATTRS",
    "ChunkLayout",
    "StoreHeader",
    "ResultsWriter",
    "check_compatible",
    "create_store",
    "creating_path",
    "finished_runs",
    "open_results",
    "path_state",
    "read_header",
    "remove_abandoned",
]

#: Marks a directory as a results store (root attribute ``schema``); the number is the
#: version of the layout described above.
SCHEMA = "xorsweep.sweep/1"

#: The results kept of every run, each of shape (run,): the stored variables.
VARIABLES = ("total_loss", "final_loss", "converged_epoch")

#: Attributes of the stored variables, from :data:`xorsweep._core.cf_attrs.CF_ATTRS`.
VARIABLE_ATTRS: dict[str, dict[str, str]] = {name: cf_attrs(name) for name in VARIABLES}

#: Root attribute: seconds of computation of every sweep that wrote into the store.
COMPUTE_SECONDS = "compute_seconds"

FILLED = "_filled"
_RUN_COORD_CHUNK = 1 << 16
#: Chunks of the run coordinate written at once while a store is made (32 MiB).
_RUN_COORD_STEP = 64 * _RUN_COORD_CHUNK
#: The temporary directory of a store NAME being made: ``.NAME.<pid>.<hex>.creating``
#: (``.NAME.<hex>.creating`` before the process id was added).
_CREATING = r"\.{name}\.(?:(?P<pid>\d+)\.)?[0-9a-f]{{32}}\.creating"


def creating_path(path: Path) -> Path:
    """A new temporary directory beside ``path`` to build a store in, named by the rule
    :func:`remove_abandoned` recognises (``.NAME.<pid>.<hex>.creating``)."""
    return path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.creating"


@dataclass(frozen=True)
class ChunkLayout:
    """How the results are cut into chunks (and a sweep into blocks).

    A chunk holds ``points`` consecutive ``hidden_std`` values (one value of
    each other grid dimension) times ``runs`` consecutive runs.
    """

    points: int  # hidden_std values per chunk
    runs: int  # runs per chunk

    def run_chunks(self, runs: int) -> int:
        """Number of chunks along ``run`` for ``runs`` runs."""
        return math.ceil(runs / self.runs)

    def chunk_grid(self, grid_shape: tuple[int, ...], runs: int) -> tuple[int, ...]:
        """Number of chunks along each dimension (grid dimensions, then ``run``)."""
        return (math.ceil(grid_shape[0] / self.points), *grid_shape[1:], self.run_chunks(runs))

    def data_region(
        self, chunk: tuple[int, ...], grid_shape: tuple[int, ...], runs: int
    ) -> tuple[slice, ...]:
        """Slices of the data arrays covered by chunk index ``chunk``."""
        first, *middle, j = chunk
        h0 = first * self.points
        r0 = j * self.runs
        return (
            slice(h0, min(h0 + self.points, grid_shape[0])),
            *(slice(m, m + 1) for m in middle),
            slice(r0, min(r0 + self.runs, runs)),
        )

    def marker_region(self, chunk: tuple[int, ...], grid_shape: tuple[int, ...]) -> tuple:
        """Slices of ``_filled`` for chunk index ``chunk``."""
        first, *middle, j = chunk
        h0 = first * self.points
        return (
            slice(h0, min(h0 + self.points, grid_shape[0])),
            *(slice(m, m + 1) for m in middle),
            slice(j, j + 1),
        )


@dataclass(frozen=True)
class StoreHeader:
    """What a store says about itself, read without loading any results."""

    path: Path
    attrs: dict[str, Any]  # the root group's attributes
    grid_dims: tuple[str, ...]  # ("hidden_std", ["output_std"], ["lr"], ...)
    coords: dict[str, np.ndarray]  # exact grid values by dimension (float64, int64 or str)
    runs: int  # length of the run dimension
    layout: ChunkLayout


def path_state(
    path: str | os.PathLike,
    schema: str = SCHEMA,
    *,
    kind: str = "results store",
    maker: str = "xorsweep.sweep",
) -> str:
    """``"new"`` if ``path`` is free (missing or an empty directory), ``"store"`` if it
    holds a store marked ``schema`` (its root attribute); changes nothing.

    The one rule for every store the package writes; ``kind`` and ``maker`` name
    such a store and what makes it in the messages. Anything else (a broken
    symbolic link, a file, a directory holding something else, an unreadable
    ``zarr.json``, a Zarr store of another owner or layout) raises ``ValueError``.
    """
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise ValueError(f"store path {path} is a broken symbolic link")
        return "new"
    if not path.is_dir():
        raise ValueError(f"store path {path} is a file, not a {kind} (a directory)")
    meta = path / "zarr.json"
    if not meta.is_file():
        if any(path.iterdir()):
            raise ValueError(
                f"store path {path} is a directory that holds something else (no zarr.json); "
                f"give a new or empty directory, or a {kind} made by {maker}"
            )
        return "new"
    try:
        root = json.loads(meta.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"store path {path} has an unreadable zarr.json: {exc}") from None
    attrs = root.get("attributes") if isinstance(root, dict) else None
    found = attrs.get("schema") if isinstance(attrs, dict) else None
    if not isinstance(found, str) or root.get("node_type") != "group":
        raise ValueError(
            f"store path {path} holds a Zarr store that was not made by {maker} "
            "(its root has no 'schema' attribute)"
        )
    if found != schema:
        raise ValueError(
            f"store path {path} holds the layout {found!r}, not a {kind} (layout {schema!r}, "
            "the one this version of xorsweep reads)"
        )
    return "store"


def _data_run_lengths(group: Any) -> list[int]:
    grid = len(group[VARIABLES[0]].shape) - 1  # the run axis; the budgets' follow it
    lengths = [int(group[name].shape[grid]) for name in stored_variables(group, VARIABLES)]
    return [*lengths, int(group["run"].shape[0])]


@uninterrupted
def read_header(path: str | os.PathLike) -> StoreHeader:
    """Read a store's configuration, grid, run count and chunk layout (read-only)."""
    import zarr

    path = Path(path)
    if path_state(path) != "store":
        raise FileNotFoundError(f"no results store at {path}")
    group = zarr.open_group(path, mode="r", zarr_format=3)
    attrs = unpacked_attrs(group.attrs)  # the configuration spread out, as in memory
    missing = [name for name in (*VARIABLES, FILLED, "run") if name not in group]
    if missing:
        raise ValueError(f"the store {path} is damaged: it lacks the array(s) {', '.join(missing)}")
    first = group[VARIABLES[0]]
    dims = tuple(first.metadata.dimension_names)
    grid_dims = dims[:-1]
    if "hidden_std" not in grid_dims or any(dim not in group for dim in grid_dims):
        raise ValueError(f"the store {path} is damaged: its grid coordinates are missing")
    coords = {dim: _coordinate(group[dim][...]) for dim in grid_dims}
    chunks = first.chunks
    layout = ChunkLayout(points=int(chunks[0]), runs=int(chunks[-1]))
    return StoreHeader(path, attrs, grid_dims, coords, int(first.shape[-1]), layout)


def _coordinate(values: Any) -> np.ndarray:
    """A grid coordinate as results hold it: float64 (stds, lr), int64 (widths) or
    NumPy unicode strings (names; a store keeps them as Zarr variable-length strings)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind in "f":
        return arr.astype(np.float64)
    return np.array([str(v) for v in arr.tolist()], dtype=str)


def _describe(value: Any) -> str:
    if isinstance(value, dict):  # a custom truth table
        return f"the custom table {value.get('name')!r} of {len(value.get('targets', []))} samples"
    if isinstance(value, (list, tuple)):
        if len(value) > 4:
            return f"{len(value)} values from {value[0]:.6g} to {value[-1]:.6g}"
        return "[" + ", ".join(f"{v:.6g}" if isinstance(v, float) else repr(v) for v in value) + "]"
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def check_compatible(stored: dict[str, Any], requested: dict[str, Any], path: Path) -> None:
    """Raise ``ValueError`` naming every entry in which two configurations differ.

    Both are dicts of JSON-like values (numbers, strings, lists of floats); a key missing
    from one is None there (settings recorded only where given). Floats compare exactly.
    """
    problems = []
    for key in {**stored, **requested}:  # a setting recorded only where given is in one
        have, want = stored.get(key), requested.get(key)
        if have == want:
            continue
        if isinstance(have, list) and isinstance(want, list) and len(have) == len(want):
            differ = [k for k, (a, b) in enumerate(zip(have, want, strict=True)) if a != b]
            k = differ[0]
            problems.append(
                f"{key} differs at {len(differ)} of {len(want)} values (first at position "
                f"{k}: {have[k]!r} in the store, {want[k]!r} requested)"
            )
        else:
            problems.append(
                f"{key} is {_describe(have)} in the store but {_describe(want)} was requested"
            )
    if problems:
        raise ValueError(
            f"the store {path} holds results of a different configuration: "
            + "; ".join(problems)
            + ". Runs can only be added with the store's own configuration: use it, or "
            "choose another store path."
        )


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # pragma: no cover - no cheap check: keep what may be in use
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_abandoned(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary directories left by makings of a store at ``path`` that
    were killed (their process is gone); returns what was removed."""
    path = Path(path)
    pattern = re.compile(_CREATING.format(name=re.escape(path.name)))
    removed = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return removed
    for tmp in siblings:
        match = pattern.fullmatch(tmp.name)
        if not match or not tmp.is_dir():
            continue
        if match["pid"] is not None and _process_alive(int(match["pid"])):
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        removed.append(tmp)
    return removed


def _build(
    tmp: Path, attrs: dict, coords: dict[str, np.ndarray], runs: int, layout: ChunkLayout, budgets
) -> Iterator[None]:
    """Make an empty store in ``tmp``, pausing (``yield``) after each write."""
    import zarr

    grid_dims = tuple(coords)
    grid_shape = tuple(len(v) for v in coords.values())
    group = zarr.open_group(tmp, mode="w-", zarr_format=3, attributes={**attrs, "schema": SCHEMA})
    yield
    for dim, values in coords.items():
        values = _coordinate(values)
        arr = group.create_array(
            dim,
            shape=(len(values),),
            dtype=str if values.dtype.kind == "U" else values.dtype,
            chunks=(len(values),),
            dimension_names=[dim],
            attributes=cf_attrs(dim) if dim in CF_ATTRS else {},
        )
        arr[...] = values
        yield
    run = group.create_array(
        "run",
        shape=(runs,),
        dtype="int64",
        chunks=(_RUN_COORD_CHUNK,),
        dimension_names=["run"],
        attributes=cf_attrs("run"),
    )
    for first in range(0, runs, _RUN_COORD_STEP):  # whole chunks at a time
        last = min(first + _RUN_COORD_STEP, runs)
        run[first:last] = np.arange(first, last)
        yield
    chunks = (layout.points, *(1 for _ in grid_shape[1:]), layout.runs)
    for name in VARIABLES:
        group.create_array(
            name,
            shape=(*grid_shape, runs),
            dtype="float64",
            chunks=chunks,
            fill_value=np.nan,
            dimension_names=[*grid_dims, "run"],
            attributes=VARIABLE_ATTRS[name],
        )
        yield
    yield from make_budget_arrays(group, budgets, (*grid_dims, "run"), (*grid_shape, runs), chunks)
    group.create_array(
        FILLED,
        shape=(*grid_shape, layout.run_chunks(runs)),
        dtype="int64",
        chunks=(*chunks[:-1], 1),
        fill_value=0,
        dimension_names=[*grid_dims, "run_chunk"],
    )


def create_store(
    path: str | os.PathLike,
    *,
    attrs: dict[str, Any],
    coords: dict[str, np.ndarray],
    runs: int,
    layout: ChunkLayout,
    budgets: tuple[int, ...] | None = None,
) -> None:
    """Create an empty results store at ``path`` (missing or an empty directory).

    ``coords`` maps each grid dimension, in order, to its values; ``budgets`` adds the
    budgets' variables (:mod:`xorsweep.sweeps.budget_axis`). The store is
    built in a temporary sibling directory and renamed into place; interrupted
    (Ctrl-C, SIGTERM), it is removed and the interrupt goes on.
    """
    path = Path(path)
    if path_state(path) != "new":
        raise ValueError(f"store path {path} already holds a results store")
    remove_abandoned(path)
    tmp = creating_path(path)
    with deferred() as pending:
        try:
            for _ in _build(tmp, attrs, coords, runs, layout, budgets):
                if pending:
                    break
            else:
                if path.is_dir():
                    path.rmdir()  # an empty directory (path_state said "new")
                os.rename(tmp, path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    if pending:  # its handler did not stop the program: the store was not made
        raise KeyboardInterrupt


class ResultsWriter:
    """Write finished chunks into an existing store; only the sweep's parent process does.

    Opening a writer finishes a resize that was interrupted and removes the
    temporary files of chunk writes that were interrupted (and those of a
    making of the store that was killed). Each method runs to its end before
    a Ctrl-C or SIGTERM is delivered.
    """

    @uninterrupted
    def __init__(self, path: str | os.PathLike):
        import zarr

        self.path = Path(path)
        header = read_header(self.path)
        self.layout = header.layout
        self.grid_shape = tuple(len(v) for v in header.coords.values())
        self._group = zarr.open_group(self.path, mode="r+", zarr_format=3)
        self._arrays = {n: self._group[n] for n in stored_variables(self._group, VARIABLES)}
        self._filled = self._group[FILLED]
        self._run = self._group["run"]
        for leftover in self.path.rglob("*.partial"):
            leftover.unlink(missing_ok=True)
        remove_abandoned(self.path)
        #: seconds of computation written so far (see COMPUTE_SECONDS)
        self.compute_seconds = float(header.attrs.get(COMPUTE_SECONDS, 0.0))
        self.runs = max(_data_run_lengths(self._group))
        self._resize(self.runs)

    def _resize(self, runs: int) -> None:
        # data first, markers next, the run coordinate last: read_header and
        # open_results check that they agree
        grid = len(self.grid_shape)
        for arr in self._arrays.values():  # (grid..., run) or (grid..., run, budget)
            if arr.shape[grid] != runs:
                arr.resize((*self.grid_shape, runs, *arr.shape[grid + 1 :]))
        n_chunks = self.layout.run_chunks(runs)
        if self._filled.shape[-1] != n_chunks:
            self._filled.resize((*self.grid_shape, n_chunks))
        old = self._run.shape[0]
        if old != runs:
            self._run.resize((runs,))
            self._run[old:] = np.arange(old, runs)

    @uninterrupted
    def extend_runs(self, runs: int) -> None:
        """Make the run dimension at least ``runs`` long (never shorter)."""
        if runs > self.runs:
            self._resize(runs)
            self.runs = runs

    @uninterrupted
    def filled(self) -> np.ndarray:
        """``_filled`` as an int64 array over (grid..., run_chunk)."""
        return np.asarray(self._filled[...], dtype=np.int64)

    @uninterrupted
    def read_chunk(self, chunk: tuple[int, ...]) -> dict[str, np.ndarray]:
        """The stored values of one chunk, by variable."""
        region = self.layout.data_region(chunk, self.grid_shape, self.runs)
        return {name: np.asarray(arr[region]) for name, arr in self._arrays.items()}

    @uninterrupted
    def write_chunk(
        self, chunk: tuple[int, ...], values: dict[str, np.ndarray], filled: np.ndarray
    ) -> None:
        """Write one chunk's values, then its marker (runs finished per point)."""
        region = self.layout.data_region(chunk, self.grid_shape, self.runs)
        for name, arr in self._arrays.items():
            arr[region] = values[name]
        self._filled[self.layout.marker_region(chunk, self.grid_shape)] = filled

    @uninterrupted
    def add_compute_seconds(self, seconds: float) -> None:
        """Add ``seconds`` to the store's compute time (its root attribute)."""
        self.compute_seconds += float(seconds)
        self._group.update_attributes({COMPUTE_SECONDS: self.compute_seconds})


def _present_mask(filled: Any, layout: ChunkLayout, runs: int, lazy: bool) -> Any:
    """Boolean (grid..., run): run ``r`` of a point is finished per the markers."""
    offset = np.arange(runs) % layout.runs
    if lazy:
        import dask.array as da

        marks = da.from_array(filled, chunks=(layout.points, *(1,) * (filled.ndim - 1)))
        per_run = da.repeat(marks, layout.runs, axis=-1)[..., :runs]
        return per_run > da.from_array(offset, chunks=layout.runs)
    return np.repeat(filled, layout.runs, axis=-1)[..., :runs] > offset


def open_results(path: str | os.PathLike, *, chunks: Any = None) -> xr.Dataset:
    """Open the results of a sweep written to a store.

    Parameters
    ----------
    path : str or path-like
        A store written by :func:`xorsweep.sweep` (or ``xorsweep sweep``).
    chunks : None, "auto", dict or int, optional
        None (default) reads the results into memory. Anything else is passed
        to :func:`xarray.open_zarr` and gives lazy, Dask-backed variables, for
        stores larger than memory.

    Returns
    -------
    xarray.Dataset
        Over ``(hidden_std, [other grid dimensions], run)``: ``total_loss``,
        ``final_loss``, ``converged_epoch``, and the store's attributes. Runs a
        point does not hold (not asked for, or not finished when a sweep was
        interrupted) are NaN in every variable. Every variable and
        coordinate has a ``long_name`` and ``units`` (:mod:`xorsweep._core.cf_attrs`).

    Raises
    ------
    FileNotFoundError
        If there is no store at ``path``.
    ValueError
        If ``path`` holds something else, or a resize was interrupted (run
        the sweep again to finish it).
    """
    import xarray as xr
    import zarr

    header = read_header(path)
    group = zarr.open_group(header.path, mode="r", zarr_format=3)
    lengths = _data_run_lengths(group)
    n_chunks = group[FILLED].shape[-1]
    if len(set(lengths)) != 1 or n_chunks != header.layout.run_chunks(header.runs):
        raise ValueError(
            f"the store {header.path} was interrupted while adding runs (its arrays disagree "
            "on the number of runs): run the same sweep again to finish it"
        )
    with warnings.catch_warnings():
        # a write killed mid-way (kill -9) can leave Zarr's temporary "*.partial" file beside
        # the metadata it was replacing; Zarr skips it, and the next sweep removes it
        warnings.filterwarnings("ignore", r"Object at .*\.partial is not recognized")
        ds = xr.open_zarr(
            header.path, consolidated=False, chunks=chunks, drop_variables=[FILLED], zarr_format=3
        )
    ds.attrs = dict(header.attrs)  # the configuration spread out, as in memory
    ds.attrs.pop(COMPUTE_SECONDS, None)  # not a property of the results
    names = {d: v for d, v in header.coords.items() if v.dtype.kind == "U"}
    ds = ds.assign_coords(names)  # NumPy strings, as in memory, not Zarr's string dtype
    lazy = chunks is not None
    if not lazy:
        ds = ds.load()
    filled = np.asarray(group[FILLED][...], dtype=np.int64)
    mask = xr.DataArray(
        _present_mask(filled, header.layout, header.runs, lazy), dims=(*header.grid_dims, "run")
    )
    for name in stored_variables(group, VARIABLES):
        ds[name] = ds[name].where(mask)
    return with_cf_attrs(ds)  # stores made before the table hold other units


def finished_runs(path: str | os.PathLike) -> np.ndarray:
    """Finished runs of each grid point of the store at ``path``, int64 (grid...).

    Read from the markers alone, without loading any results.
    """
    import zarr

    header = read_header(path)
    group = zarr.open_group(header.path, mode="r", zarr_format=3)
    return np.asarray(group[FILLED][...], dtype=np.int64).sum(axis=-1)
