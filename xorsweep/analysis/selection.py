"""``--select DIM=VALUE``: one slice of results over several grid dimensions.

The figures and the article's fit need results over ``(hidden_std, run)``
alone; the command line's ``--select`` chooses the slice of a larger grid.
A dimension of numbers (``output_std``, ``lr``, ``hidden``) is matched to the
nearest stored value; one of names (``activation``, ``gradient``, ``bias``)
exactly. ``budget`` (a store's training budgets) gives the results at that budget
(:func:`xorsweep.at_budget`); left out, the results at their own epochs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from .budgets import at_budget, without_budgets

__all__ = ["select_slice"]


def _listed(values: np.ndarray) -> str:
    """A dimension's values for a message: numbers as %g, names as they are."""
    numeric = values.dtype.kind in "iuf"
    return ", ".join(f"{v:g}" if numeric else str(v) for v in values)


def _select_one(ds: xr.Dataset, dim: str, text: str) -> xr.Dataset:
    """``ds`` at ``dim=text``: the nearest number (to 1e-6), or the same name."""
    stored = ds[dim].values
    if stored.dtype.kind not in "iuf":
        if text not in stored.astype(str):
            raise ValueError(
                f"--select {dim}={text}: the store's {dim} values are {_listed(stored)}"
            )
        return ds.sel({dim: text})
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--select {dim}: {text!r} is not a number") from None
    nearest = stored[np.argmin(np.abs(stored - value))]
    if abs(float(nearest) - value) > 1e-6 * max(1.0, abs(value)):
        raise ValueError(f"--select {dim}={text}: the store's {dim} values are {_listed(stored)}")
    if dim == "budget":  # the results as if trained for that many epochs
        return at_budget(ds, int(nearest))
    return ds.sel({dim: nearest})


def select_slice(
    ds: xr.Dataset, selections: Sequence[str], keep: Sequence[str] | None = ()
) -> xr.Dataset:
    """The slice of ``ds`` that ``--select DIM=VALUE`` options choose.

    Each ``DIM`` is a grid dimension besides ``hidden_std``. Raises
    ValueError, naming ``--select``, for a bad item, or when a grid
    dimension longer than 1 is left unselected, unless it is in ``keep``
    (None: every dimension may be left).

    Examples
    --------
    >>> ds = xr.Dataset(coords={"hidden_std": [0.5, 1.0], "activation": ["sigmoid", "tanh"]})
    >>> select_slice(ds, ["activation=tanh"]).activation.item()
    'tanh'
    >>> select_slice(ds, [])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the store has a dimension activation (sigmoid, tanh): choose one slice with ...
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
        ds = _select_one(ds, dim, text)
    ds = without_budgets(ds)  # no budget chosen: the training's own epochs
    if keep is None:
        return ds
    longer = [d for d in ds.dims if d not in ("hidden_std", "run", *keep) and ds.sizes[d] > 1]
    if longer:
        dim = longer[0]
        raise ValueError(
            f"the store has a dimension {dim} ({_listed(ds[dim].values)}): "
            f"choose one slice with --select {dim}=VALUE"
        )
    return ds
