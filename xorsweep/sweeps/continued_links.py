"""Which runs of results :func:`xorsweep.continue_runs` takes, and each run's link to its source.

A run's link (:data:`LINK`) is its grid point, one value of each of the
sweep's grid dimensions (:data:`~xorsweep.sweeps.config.GRID_DIMS`: the
hidden std, the output std as a number, lr, the width, activation, gradient
and bias), and ``source_run``, its run there. A setting that the results
hold as an attribute or a scalar coordinate counts as that value
(:func:`xorsweep.sweeps.results.point_setting`). Links are pandas
DataFrames with these columns and ``position``: the run's flat index in the
results (over the grid dimensions and ``run``, or over ``run`` for continued
results).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from .config import GRID_DIMS
from .results import point_setting

__all__ = [
    "LINK",
    "SELECTIONS",
    "SETTING",
    "describe",
    "grid_dims",
    "links_at",
    "positions",
    "run_links",
    "sample_links",
    "selected_links",
]

#: The selections ``continue_runs`` knows by name.
SELECTIONS = ("unconverged", "all")
#: A run's link to the sweep: the grid point and the run there (runs of gd only: see
#: :func:`xorsweep.continue_runs`).
LINK = (*(d for d in GRID_DIMS if d != "optimizer"), "source_run")
#: What runs trained on together share (the rest of a point, output std and lr, is per run).
SETTING = ("hidden", "activation", "gradient")
#: What ``runs_per_std`` draws within: a hidden std and the study's settings.
_DRAWN = ("hidden_std", "hidden", "activation", "gradient", "bias")
#: Continued results from before they had a setting as a coordinate: the attribute's, or this.
_BEFORE = {"hidden": 2, "activation": "sigmoid", "gradient": "sum", "bias": "scaled"}


def grid_dims(source: xr.Dataset) -> tuple[str, ...]:
    """The grid dimensions of a sweep's results (``converged_epoch``'s but ``run``)."""
    dims = tuple(d for d in source["converged_epoch"].dims if d != "run")
    extra = [d for d in dims if d not in GRID_DIMS]
    if "gain" in extra or "gain" in source.coords:
        raise ValueError(
            "results of a gain sweep (dimension gain) cannot be continued yet: continue a "
            "sweep of the hidden std"
        )
    if extra:
        raise ValueError(
            f"results have the dimension(s) {extra}, which are not a sweep's grid "
            f"dimensions {GRID_DIMS}: pass a sweep's results"
        )
    return dims


def run_links(continued: xr.Dataset) -> pd.DataFrame:
    """The :data:`LINK` columns of continued results, one row per run (names as str)."""
    table = {}
    for name in LINK:
        if name in continued.coords:
            values = np.asarray(continued[name].values)
            table[name] = values.astype(object) if values.dtype.kind in "UOT" else values
        else:  # a setting held as an attribute by continued results of one setting
            value = continued.attrs.get(name, _BEFORE.get(name))
            table[name] = np.full(continued.sizes["run"], value, dtype=object)
            if name == "hidden":
                table[name] = table[name].astype(np.int64)
    return pd.DataFrame(table)


def _present(source: xr.Dataset, dims: tuple[str, ...]) -> np.ndarray:
    """Runs the results hold, bool over (dims..., run)."""
    name = "total_loss" if "total_loss" in source else "converged_epoch"
    values = source[name].transpose(*dims, "run").values
    return np.isfinite(values) if name == "total_loss" else np.ones(values.shape, bool)


def selected_links(source: xr.Dataset, select: object, continued: bool) -> pd.DataFrame:
    """The links of the runs ``select`` names in ``source``, each present (else a ValueError)."""
    dims = () if continued else grid_dims(source)
    present = _present(source, dims)
    conv = source["converged_epoch"].transpose(*dims, "run").values
    if isinstance(select, str):
        if select not in SELECTIONS:
            raise ValueError(
                f"select must be one of {SELECTIONS}, a mask or coordinates, got {select!r}"
            )
        mask = present & np.isnan(conv) if select == "unconverged" else present
    elif isinstance(select, xr.DataArray):
        mask = _mask(select, source, dims, present)
    elif isinstance(select, (Mapping, pd.DataFrame)):
        mask = _by_coordinates(pd.DataFrame(select), source, dims, present, continued)
    else:
        raise TypeError(
            f"select must be 'unconverged', 'all', a boolean DataArray or a mapping of "
            f"coordinates, got {type(select).__name__}"
        )
    flat = np.flatnonzero(mask)
    if flat.size == 0:
        raise ValueError(f"select={describe(select)} selects no run of the results")
    if continued:
        links = run_links(source).iloc[flat].reset_index(drop=True)
    else:
        links = links_at(source, flat)
    links["position"] = flat
    return links


def _mask(select: xr.DataArray, source: xr.Dataset, dims: tuple, present: np.ndarray) -> np.ndarray:
    full = (*dims, "run")
    if select.dtype != bool or not set(select.dims) <= set(full):
        raise ValueError(
            f"select as a DataArray must be booleans over some of {full}, "
            f"got {select.dtype} over {select.dims}"
        )
    like = source["converged_epoch"].transpose(*full)
    try:
        xr.align(select, like, join="exact")
    except ValueError as err:
        raise ValueError(f"select does not match the results' coordinates: {err}") from None
    mask = np.asarray(select.broadcast_like(like).transpose(*full).values)
    absent = mask & ~present
    if absent.any():
        raise ValueError(
            f"select marks {int(absent.sum())} run(s) that the results do not hold "
            "(not computed or unfinished)"
        )
    return mask


def _by_coordinates(
    frame: pd.DataFrame, source: xr.Dataset, dims: tuple, present: np.ndarray, continued: bool
) -> np.ndarray:
    """A mask over (dims..., run) of the runs named by ``frame``'s columns, each present."""
    if continued:
        keys = [k for k in LINK if k in frame.columns]
        table = run_links(source)[keys]
        table["position"] = np.arange(len(table))
        found = frame[keys].merge(table, on=keys, how="left") if keys else None
        if found is None or found["position"].isna().any():
            missing = "all" if found is None else int(found["position"].isna().sum())
            raise ValueError(
                f"select names {missing} run(s) that the continued results do not hold"
            )
        index: tuple = (found["position"].to_numpy(np.int64),)
    else:
        if "run" not in frame.columns:
            raise ValueError("select as coordinates must have a 'run' column (the sweep's run)")
        index = tuple(positions(frame, source, dim) for dim in (*dims, "run"))
    mask = np.zeros(present.shape, bool)
    mask[index] = True
    if not present[index].all():
        raise ValueError(
            f"select names {int((~present[index]).sum())} run(s) that the results do not hold "
            "(not computed or unfinished)"
        )
    return mask


def positions(
    frame: pd.DataFrame, source: xr.Dataset, dim: str, what: str = "select"
) -> np.ndarray:
    """The index along ``dim`` of ``source`` of each row's ``frame[dim]`` (else a ValueError)."""
    values = np.atleast_1d(source[dim].values)
    if dim not in frame.columns:
        if values.size != 1:
            raise ValueError(f"{what} must give {dim}: the results have {values.size} values")
        return np.zeros(len(frame), np.int64)
    wanted = np.asarray(frame[dim].tolist())
    names = values.dtype.kind in "UOT"
    if names != (wanted.dtype.kind in "UOT"):
        kind = "names" if names else "numbers"
        raise ValueError(f"{what} gives {dim} as {wanted.dtype.name}: the results' are {kind}")
    if names:
        values, wanted = values.astype(str), wanted.astype(str)
    order = np.argsort(values)
    at = np.clip(np.searchsorted(values[order], wanted), 0, values.size - 1)
    found = order[at]
    bad = values[found] != wanted
    if bad.any():
        raise ValueError(
            f"{what} names {dim}={wanted[bad][0].item()!r}, which the results do not hold "
            f"({int(bad.sum())} such value(s))"
        )
    return found.astype(np.int64)


def links_at(source: xr.Dataset, flat: np.ndarray) -> pd.DataFrame:
    """The links of the runs at flat positions ``flat`` of a sweep's results over
    (:func:`grid_dims`..., run), without ``position``."""
    dims = grid_dims(source)
    shape = source["converged_epoch"].transpose(*dims, "run").shape
    index = np.unravel_index(flat, shape)
    coords = {dim: source[dim].values[index[k]] for k, dim in enumerate(dims)}
    rest = [k for k, d in enumerate(dims) if d != "hidden_std"]
    keys = np.zeros(flat.size, np.int64)  # which point of the dimensions after hidden_std
    if rest:
        keys = np.ravel_multi_index([index[k] for k in rest], [shape[k] for k in rest])
    _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
    some_std = {"hidden_std": coords["hidden_std"][0]} if "hidden_std" in coords else {}
    points = [  # at any hidden std: it does not change the rest of the point
        point_setting(source, **some_std, **{dims[k]: coords[dims[k]][j] for k in rest})
        for j in first
    ]
    table = {
        name: np.array([getattr(setting, name) for _, setting in points])[codes]
        for name in ("output_std", "lr", "hidden", "activation", "gradient", "bias")
    }
    table["hidden_std"] = coords.get("hidden_std", np.full(flat.size, points[0][0]))
    table["source_run"] = source["run"].values[index[-1]]
    links = pd.DataFrame({name: table[name] for name in LINK})
    return links.astype({"hidden_std": np.float64, "hidden": np.int64, "source_run": np.int64})


def sample_links(links: pd.DataFrame, runs_per_std: int | None, seed: int) -> pd.DataFrame:
    """At most ``runs_per_std`` runs per hidden std and setting, drawn with ``seed``; sorted."""
    if runs_per_std is not None:
        rng = np.random.default_rng(seed)
        kept = []
        for _, group in links.groupby(list(_DRAWN), sort=True):
            take = min(runs_per_std, len(group))
            kept.append(group.iloc[np.sort(rng.choice(len(group), take, replace=False))])
        links = pd.concat(kept)
    return links.sort_values(list(LINK), kind="stable").reset_index(drop=True)


def describe(select: object) -> str:
    """``select`` in a few words, for messages and the results' attributes."""
    if isinstance(select, str):
        return select
    if isinstance(select, xr.DataArray):
        return f"mask of {int(select.sum())} runs"
    return f"{len(pd.DataFrame(select))} runs by coordinates"
