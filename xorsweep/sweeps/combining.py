"""Results put together only when their configurations agree, and fits that check it.

A sweep's results carry their configuration in their attributes
(:meth:`xorsweep.SweepConfig.attrs`). :func:`combine` joins results along a
dimension after checking that everything else in those attributes agrees,
and says what differs. :func:`check_configuration` is the check the fits run
on what they are given.

What a fit can detect in results joined some other way (``xarray.concat``,
which keeps the first part's attributes):

* a coordinate of a grid setting (``lr``, ``output_std``, ``hidden``,
  ``activation``, ``gradient``, ``bias``) holding values that its attribute
  does not list: parts with different settings labelled as one;
* a label repeated along ``run``, ``hidden_std`` or a grid dimension: parts
  concatenated along it without renumbering (every sweep numbers its runs
  from 0, so two stores concatenated along ``run`` always repeat labels).

What it cannot detect: parts whose attributes differed in something that no
coordinate records (``epochs``, ``data``, ``update``, the seed) once their
labels were made unique; the first part's attributes then describe all of
them. Join results with :func:`combine` to have those checked.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from .config import GRID_DIMS

__all__ = ["combine", "check_configuration", "SETTINGS"]

#: The attributes that must agree between results being combined (besides the dimension
#: they are combined along); ``seed`` must differ when combining runs.
SETTINGS = (
    *GRID_DIMS[1:],
    "epochs",
    "update",
    "data",
    "data_table",
    "n_in",
    "n_out",
    "seeding",
    "budgets",
)


def _plain(value: Any) -> Any:
    """An attribute as JSON-comparable plain Python."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _key(value: Any) -> str:
    """A canonical text of a value: numbers to 12 significant digits, so 0.8165 == float32's."""

    def rounded(v: Any) -> Any:
        if isinstance(v, list):
            return [rounded(x) for x in v]
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        if isinstance(v, float):
            return float(f"{v:.12g}")
        return v

    return json.dumps(rounded(_plain(value)), sort_keys=True, default=str)


def _differences(parts: list[xr.Dataset], skip: tuple[str, ...]) -> list[str]:
    """One phrase per setting the parts disagree on, naming each part's value."""
    said = []
    for name in SETTINGS:
        if name in skip:
            continue
        values = [p.attrs.get(name, "(not recorded)") for p in parts]
        if len({_key(v) for v in values}) > 1:
            each = ", ".join(f"{_plain(v)!r} (results {i})" for i, v in enumerate(values))
            said.append(f"{name}: {each}")
    return said


def _values_along(part: xr.Dataset, dim: str, i: int) -> np.ndarray:
    """The values of ``dim`` that part ``i`` holds: its coordinate, else its attribute."""
    if dim in part.coords:
        return np.atleast_1d(part[dim].values)
    if dim in part.attrs and np.ndim(part.attrs[dim]) == 0:
        return np.atleast_1d(part.attrs[dim])
    raise ValueError(f"combine: results {i} do not record a {dim} (no coordinate or attribute)")


def combine(*results: xr.Dataset, dim: str = "run") -> xr.Dataset:
    """Join sweeps' results along ``dim`` after checking that their configurations agree.

    Parameters
    ----------
    *results : xarray.Dataset
        Two or more results (:func:`xorsweep.sweep`, :func:`xorsweep.open_results`).
    dim : str
        ``"run"``: more runs of the same grid (the seeds must differ; the runs
        are renumbered from 0); or a grid dimension (``hidden_std``,
        ``output_std``, ``lr``, ``hidden``, ``activation``, ``gradient``,
        ``bias``): results of different values of it, each part's taken from
        its coordinate or its attribute.

    Returns
    -------
    xarray.Dataset
        The parts concatenated along ``dim`` (sorted along a numeric grid
        dimension), with the first part's attributes, ``dim``'s attribute the
        list of its values (but for ``run`` and ``hidden_std``), ``seed`` the
        list of the seeds where they differ, and ``combined_from`` the number
        of parts.

    Raises
    ------
    ValueError
        Naming every setting on which the parts disagree (:data:`SETTINGS`
        besides ``dim``), each part's value; or the same seed twice when
        combining runs; or the same value of ``dim`` in two parts.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> def part(lr, epochs=100):
    ...     loss = np.ones((3, 4))
    ...     return xr.Dataset({"total_loss": (("hidden_std", "run"), loss)},
    ...                       coords={"hidden_std": [0.5, 1.0, 2.0], "run": np.arange(4)},
    ...                       attrs={"lr": lr, "epochs": epochs, "seed": 0})
    >>> combine(part(0.1), part(0.2), dim="lr").total_loss.dims
    ('lr', 'hidden_std', 'run')
    >>> combine(part(0.1), part(0.2, epochs=50), dim="lr")
    Traceback (most recent call last):
    ...
    ValueError: combine: the results disagree on epochs: 100 (results 0), 50 (results 1)
    """
    allowed = ("run", *GRID_DIMS)
    if dim not in allowed:
        raise ValueError(f"dim must be one of {', '.join(allowed)}; got {dim!r}")
    parts = list(results)
    if len(parts) < 2:
        raise ValueError(f"combine needs two or more results, got {len(parts)}")
    for i, part in enumerate(parts):
        if not isinstance(part, xr.Dataset):
            raise TypeError(f"results {i} must be an xarray.Dataset, got {type(part).__name__}")
    differ = _differences(parts, (dim,))
    if differ:
        raise ValueError(f"combine: the results disagree on {'; '.join(differ)}")
    seeds = [p.attrs.get("seed") for p in parts]
    if dim == "run":
        out = _combine_runs(parts, seeds)
    else:
        out = _combine_grid(parts, dim)
    attrs = dict(parts[0].attrs)
    if dim not in ("run", "hidden_std"):  # the stds are the coordinate alone, as in a sweep
        attrs[dim] = out.attrs[dim]  # the list of the parts' values
    if len({_key(s) for s in seeds}) > 1:
        attrs["seed"] = [_plain(s) for s in seeds]
    attrs["combined_from"] = len(parts)
    out.attrs = attrs
    return out


def _combine_runs(parts: list[xr.Dataset], seeds: list[Any]) -> xr.Dataset:
    """More runs of one grid: distinct seeds, runs renumbered."""
    for i in range(len(parts)):
        for j in range(i):
            if seeds[i] is not None and _key(seeds[i]) == _key(seeds[j]):
                raise ValueError(
                    f"combine: results {j} and {i} have the same seed {seeds[i]!r}: "
                    "they hold the same runs"
                )
    out = xr.concat(parts, "run", combine_attrs="override")
    return out.assign_coords(run=np.arange(out.sizes["run"]))


def _combine_grid(parts: list[xr.Dataset], dim: str) -> xr.Dataset:
    """Results of different values of a grid dimension, each part given that dimension."""
    given = []
    values: list[Any] = []
    for i, part in enumerate(parts):
        these = _values_along(part, dim, i)
        values += [_plain(v) for v in these]
        if dim not in part.dims:
            part = part.drop_vars(dim, errors="ignore").expand_dims({dim: these})
        given.append(part)
    if len({_key(v) for v in values}) < len(values):
        raise ValueError(f"combine: a value of {dim} is in more than one of the results: {values}")
    out = xr.concat(given, dim, combine_attrs="override")
    if np.issubdtype(out[dim].dtype, np.number):
        out = out.sortby(dim)
    out.attrs[dim] = sorted(values) if np.issubdtype(out[dim].dtype, np.number) else values
    return out


def check_configuration(ds: xr.Dataset, what: str = "results") -> None:
    """Refuse results that show they were joined from parts with different configurations.

    Raises ValueError naming the setting: a grid coordinate holding values its
    attribute does not list, or a label repeated along a dimension (see the
    module's docstring for what can and cannot be detected).
    """
    for name in (*GRID_DIMS, "run"):
        if name in ds.dims:
            labels = ds[name].values
            if np.unique(labels).size < labels.size:
                raise ValueError(
                    f"{what} repeat a {name} label: parts concatenated along {name} without "
                    "checking their configurations? Join them with xorsweep.combine"
                )
    for name in GRID_DIMS[1:]:
        if name not in ds.coords or name not in ds.attrs:
            continue
        recorded = {_key(v) for v in np.atleast_1d(np.asarray(ds.attrs[name], dtype=object))}
        held = [v for v in np.atleast_1d(ds[name].values) if _key(v) not in recorded]
        if held:
            raise ValueError(
                f"{what} hold {name} {', '.join(map(str, map(_plain, held)))} where their "
                f"attributes record {name} {_plain(ds.attrs[name])!r}: parts with different "
                f"{name} joined without xorsweep.combine, which checks and records them"
            )
