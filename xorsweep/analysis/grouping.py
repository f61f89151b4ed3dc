"""Per-run values of a results Dataset, flattened and cut into groups by a coordinate.

Results come as ``(hidden_std, [output_std], [lr], run)`` grids from a sweep, or
as one ``run`` dimension with per-run coordinates (runs selected from a store).
:func:`split_runs` turns either into one flat array per group, so that per-group
statistics (survival curves, shares of end states) are written once for both.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import xarray as xr

__all__ = ["split_runs", "stack_groups"]


def split_runs(
    ds: xr.Dataset, values: Mapping[str, xr.DataArray], by: Hashable | None
) -> tuple[xr.DataArray | None, list[dict[str, np.ndarray]]]:
    """Flatten per-run arrays and split them by the values of ``ds[by]``.

    Parameters
    ----------
    ds : xarray.Dataset
        Holds the coordinate or variable ``by``.
    values : mapping of str to xarray.DataArray
        Arrays broadcast together (and with ``ds[by]``); every element is one run.
    by : hashable or None
        A coordinate or variable of ``ds``, along any of the arrays' dimensions
        (``"hidden_std"``); None puts every run in one group.

    Returns
    -------
    labels : xarray.DataArray, shape (group,), or None
        The distinct values of ``by`` in ascending order, as a dimension
        coordinate named ``by`` with the attributes of ``ds[by]``; None if
        ``by`` is None. Runs whose label is NaN belong to no group.
    groups : list of dict of str to ndarray, shape (run_in_group,)
        For each group, the flattened ``values`` of its runs, in one order.

    Raises
    ------
    ValueError
        If ``by`` names nothing in ``ds``, or its dimensions are not among the
        arrays'.

    Examples
    --------
    >>> ds = xr.Dataset({"x": (("hidden_std", "run"), [[1.0, 2.0], [3.0, 4.0]])},
    ...                 coords={"hidden_std": [0.5, 0.1]})
    >>> labels, groups = split_runs(ds, {"x": ds.x}, "hidden_std")
    >>> labels.values.tolist(), [g["x"].tolist() for g in groups]
    ([0.1, 0.5], [[3.0, 4.0], [1.0, 2.0]])
    """
    arrays = xr.broadcast(*values.values())
    dims = arrays[0].dims
    flat = {
        name: np.asarray(arr.transpose(*dims).values).reshape(-1)
        for name, arr in zip(values, arrays, strict=True)
    }
    if by is None:
        return None, [flat]
    if by not in ds.variables:
        names = ", ".join(repr(str(n)) for n in ds.coords) or "none"
        raise ValueError(
            f"by must name a coordinate or variable of the results (coordinates: "
            f"{names}), got {by!r}"
        )
    label = ds[by]
    if not set(label.dims) <= set(dims):
        raise ValueError(
            f"by={by!r} has dimensions {label.dims}, which are not all among the "
            f"results' dimensions {dims}"
        )
    keys = np.asarray(label.broadcast_like(arrays[0]).transpose(*dims).values).reshape(-1)
    keep = ~_is_nan(keys)
    order = np.flatnonzero(keep)[np.argsort(keys[keep], kind="stable")]
    uniq, starts = np.unique(keys[order], return_index=True)
    pieces = np.split(order, starts[1:]) if uniq.size else []
    groups = [{name: arr[idx] for name, arr in flat.items()} for idx in pieces]
    labels = xr.DataArray(uniq, dims=(by,), coords={by: uniq}, name=by, attrs=dict(label.attrs))
    return labels, groups


def _is_nan(keys: np.ndarray) -> np.ndarray:
    """Which labels are missing (NaN or NaT); labels of other kinds never are."""
    if keys.dtype.kind in "fcmM":
        return np.isnan(keys)
    return np.zeros(keys.shape, dtype=bool)


def stack_groups(
    labels: xr.DataArray | None, rows: list[dict], dims: tuple, coords: dict
) -> xr.Dataset:
    """One Dataset from per-group rows, the groups along ``labels``' dimension.

    Parameters
    ----------
    labels : xarray.DataArray, shape (group,), or None
        From :func:`split_runs`; None: one group and no group dimension.
    rows : list of dict of str to array_like
        One dict per group, with the same names and shapes in each: a scalar
        becomes a variable over (group,), an array of ``n`` dimensions one
        over (group, *dims[:n]).
    dims, coords
        Names of the trailing dimensions, and coordinates for them.
    """
    lead = () if labels is None else (labels.name,)
    data = {}
    for name, first in rows[0].items():
        values = np.stack([np.asarray(r[name]) for r in rows]) if lead else np.asarray(first)
        data[name] = ((*lead, *dims[: np.ndim(first)]), values)
    if labels is not None:
        coords = {**coords, labels.name: labels}
    return xr.Dataset(data, coords=coords)
