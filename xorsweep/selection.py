"""``--select DIM=VALUE``: one slice of results over several output stds or learning rates.

The figures and the fit need results over ``(hidden_std, run)`` alone; the
command line's ``--select`` chooses the slice of a larger grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["select_slice"]


def select_slice(ds: xr.Dataset, selections: Sequence[str]) -> xr.Dataset:
    """The slice of ``ds`` that ``--select DIM=VALUE`` options choose.

    Each ``DIM`` is a grid dimension besides ``hidden_std``; ``VALUE`` is
    matched to the nearest stored value, which must agree to 1e-6. Raises
    ValueError, naming ``--select``, for a bad item, or when a grid
    dimension longer than 1 is left unselected.
    """
    for item in selections:
        dim, sep, text = item.partition("=")
        if not sep or dim not in ds.dims or dim in ("hidden_std", "run"):
            others = [d for d in ds.dims if d not in ("hidden_std", "run")]
            allowed = f"one of {', '.join(others)}" if others else "none: it has no such dimension"
            raise ValueError(
                f"--select must be DIM=VALUE with DIM a grid dimension of this store besides "
                f"hidden_std ({allowed}), got {item!r}"
            )
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"--select {dim}: {text!r} is not a number") from None
        stored = ds[dim].values
        nearest = float(stored[np.argmin(np.abs(stored - value))])
        if abs(nearest - value) > 1e-6 * max(1.0, abs(value)):
            raise ValueError(
                f"--select {dim}={text}: the store's {dim} values are "
                f"{', '.join(f'{v:g}' for v in stored)}"
            )
        ds = ds.sel({dim: nearest})
    longer = [d for d in ds.dims if d not in ("hidden_std", "run") and ds.sizes[d] > 1]
    if longer:
        dim = longer[0]
        raise ValueError(
            f"the store has a {dim} dimension ({', '.join(f'{v:g}' for v in ds[dim].values)}): "
            f"choose one slice with --select {dim}=VALUE"
        )
    return ds
