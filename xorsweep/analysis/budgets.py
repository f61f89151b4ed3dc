"""Results read at a training budget: the one home for the ``budget`` axis.

A training or sweep with ``budgets`` (:func:`xorsweep.train`, :func:`xorsweep.sweep`)
holds ``budget_total_loss`` and ``budget_converged_epoch`` over ``budget``: each run
scored as if it had been trained for that many epochs. :func:`at_budget` gives the
results as a training of ``b`` epochs would have, so every fit and figure reads them
unchanged; :func:`along_budget` makes the budget a grid dimension, so that
:func:`xorsweep.fit_slices`, :func:`xorsweep.summarize` and the families' figures
(:func:`xorsweep.plots.plot_optimum_vs` with ``dim="budget"``) give one answer per
budget, of the same runs (paired: common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._core.cf_attrs import with_cf_attrs

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["at_budget", "along_budget", "without_budgets", "BUDGET_VARIABLES"]

#: The per-run variables over ``budget``, and the variables they stand in for.
BUDGET_VARIABLES = {
    "budget_total_loss": "total_loss",
    "budget_converged_epoch": "converged_epoch",
    "budget_converged": "converged",
}


def _checked(results: object) -> xr.Dataset:
    import xarray as xr

    if not isinstance(results, xr.Dataset):
        raise TypeError(f"results must be an xarray.Dataset, got {type(results).__name__}")
    if "budget" not in results.dims or "budget_total_loss" not in results:
        raise ValueError(
            "results have no budget axis: train or sweep with budgets=(...) "
            "(e.g. xorsweep sweep --budgets 1000,2000,5000)"
        )
    return results


def without_budgets(results: xr.Dataset) -> xr.Dataset:
    """``results`` without the budgets' variables and ``budget`` axis where they hold them
    beside their own ``total_loss`` (a training's or sweep's results, as made): what the
    fits read, the training's own epochs, is then the only answer, and no dimension of
    other variables stands beside it. Anything else comes back as it is."""
    if "budget" not in results.dims or "budget" in results.get("total_loss", results).dims:
        return results
    return results.drop_vars([*BUDGET_VARIABLES, "budget"], errors="ignore")


def _replaced(results: xr.Dataset, pick) -> xr.Dataset:
    """``results`` with each budget variable, ``pick``-ed, in place of the one it stands
    for; the budget variables, ``final_loss`` (of the last epoch only) dropped."""
    out = results.drop_vars([*BUDGET_VARIABLES, "final_loss"], errors="ignore")
    for name, plain in BUDGET_VARIABLES.items():
        if name in results:
            out[plain] = pick(results[name])
    if "converged" in results and "budget_converged" not in results:
        out["converged"] = out["converged_epoch"].notnull()
    return out


def at_budget(results: xr.Dataset, budget: int) -> xr.Dataset:
    """The results as a training of ``budget`` epochs would have given them.

    Parameters
    ----------
    results : xarray.Dataset
        Of :func:`xorsweep.train` or :func:`xorsweep.sweep` (or
        :func:`xorsweep.open_results`) with ``budgets``.
    budget : int
        One of the results' ``budget`` values.

    Returns
    -------
    xarray.Dataset
        ``results`` with ``total_loss``, ``converged_epoch`` (and ``converged``
        where present) those of the budget, shaped as before (the ``budget``
        axis gone), the attribute ``epochs`` the budget and ``budgets`` dropped.
        ``final_loss`` (the trained networks') is kept only at the last epoch.

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.train(xs.init_population(4, seed=0), 300, budgets=(100, 300))
    >>> short = xs.at_budget(ds, 100)
    >>> short.attrs["epochs"], "budget" in short.dims, "final_loss" in short
    (100, False, False)
    >>> bool((short.total_loss < ds.total_loss).all())
    True
    """
    results = _checked(results)
    held = results["budget"].values.tolist()
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget not in held:
        raise ValueError(f"budget must be one of the results' budgets {held}, got {budget!r}")
    out = _replaced(results, lambda v: v.sel(budget=budget, drop=True))
    if budget == results.attrs.get("epochs") and "final_loss" in results:
        out["final_loss"] = results["final_loss"]
    out = out.drop_vars("budget", errors="ignore")
    out.attrs = {k: v for k, v in results.attrs.items() if k != "budgets"}
    out.attrs["epochs"] = int(budget)
    return with_cf_attrs(out)


def along_budget(results: xr.Dataset) -> xr.Dataset:
    """The results with the budget as a grid dimension of ``total_loss`` and the others.

    Parameters
    ----------
    results : xarray.Dataset
        Of :func:`xorsweep.train` or :func:`xorsweep.sweep` with ``budgets``.

    Returns
    -------
    xarray.Dataset
        ``total_loss``, ``converged_epoch`` (and ``converged``) the budgets' values over
        (grid..., budget, run): :func:`xorsweep.fit_slices` then fits one optimum per
        budget and :func:`xorsweep.plots.plot_optimum_vs` draws it against ``"budget"``.
        The attribute ``epochs`` is dropped (it differs along the dimension), and
        ``final_loss`` (the last epoch's) with it.

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 1.0], runs=3, epochs=200, budgets=(50, 200), workers=1,
    ...               progress=False)
    >>> xs.along_budget(ds).total_loss.dims
    ('hidden_std', 'budget', 'run')
    """
    results = _checked(results)

    def before_run(v: xr.DataArray) -> xr.DataArray:
        dims = [d for d in v.dims if d not in ("budget", "run")]
        return v.transpose(*dims, "budget", "run") if "run" in v.dims else v

    out = _replaced(results, before_run)
    out.attrs = {k: v for k, v in results.attrs.items() if k != "epochs"}
    return with_cf_attrs(out)
