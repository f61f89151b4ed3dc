"""Working with a sweep's results: rebuild a run, spend more runs, the article's table.

:func:`replay` rebuilds the initial networks of any runs from the seeding rule
at a grid point whose values :func:`point_setting` gives,
:func:`allocate` says where more runs make the mean loss most certain, and
:func:`to_article_frame` gives one row per run with the article's fields.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._core.checks import check_count
from ..model.network import Population, output_std_for
from ..model.truth_tables import TruthTable, truth_table
from .config import PointSetting
from .store import VARIABLES
from .tasks import seeded_population

__all__ = ["allocate", "point_setting", "replay", "table_of", "to_article_frame"]


def replay(
    results: xr.Dataset,
    run: int | Sequence[int],
    *,
    hidden_std: float | None = None,
    output_std: float | None = None,
    lr: float | None = None,
    hidden: int | None = None,
    activation: str | None = None,
    gradient: str | None = None,
    bias: str | None = None,
    gain: float | None = None,
) -> Population:
    """The initial networks of runs of a sweep, rebuilt from the seeding rule.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results (or a selection of them): its attributes give the
        seed and the architecture.
    run : int or sequence of int
        Run index (the ``run`` coordinate), >= 0.
    hidden_std, output_std, lr, hidden, activation, gradient, bias : optional
        The grid point, each exactly one of the results' values along that
        dimension; may be left out if there is only one (e.g. after
        ``results.sel(hidden_std=x, method="nearest")``) or if it is not a
        dimension. ``activation`` and ``gradient`` do not change the initial
        networks (runs that differ only in them start alike) but are checked.
    gain : float, optional
        A gain sweep's point (its results' ``gain``, instead of ``hidden_std``):
        its networks are ``init_population(rule=..., gain=gain)`` draws.

    Returns
    -------
    Population
        One network per requested run. Training it with
        ``xorsweep.train(pop, results.attrs["epochs"], lr, activation=...,
        gradient=...)`` at the point's values (or the reference loop)
        reproduces the stored results; with :func:`xorsweep.train` and the
        results' engine bit for bit (NumPy's width-1 networks: in a block of
        the same runs; other block sizes can change their last bit).

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 1.0], runs=3, epochs=300, workers=1, progress=False)
    >>> pop = xs.replay(ds, run=2, hidden_std=1.0)
    >>> again = xs.train(pop, ds.attrs["epochs"], ds.attrs["lr"], engine=ds.attrs["engine"])
    >>> bool(again.total_loss[0] == ds.total_loss.sel(hidden_std=1.0, run=2))
    True
    """
    point = {
        "hidden_std": hidden_std,
        "output_std": output_std,
        "lr": lr,
        "hidden": hidden,
        "activation": activation,
        "gradient": gradient,
        "bias": bias,
    }
    std, setting = point_setting(results, **point, gain=gain)
    runs = np.atleast_1d(np.asarray(run))
    if runs.dtype.kind not in "iu" or runs.ndim != 1 or runs.size == 0 or np.any(runs < 0):
        raise ValueError(f"run must be an integer >= 0 or a sequence of them, got {run!r}")
    table = table_of(results.attrs)
    lo = runs.astype(np.int64)
    rule = results.attrs.get("rule")  # a gain sweep: std is the gain of every layer
    output = setting.output_std if rule is None else std
    points = tuple(np.full(lo.size, v) for v in (std, output, setting.lr))
    depth = int(results.attrs.get("depth", 1))
    arch = setting.hidden if depth == 1 else (setting.hidden,) * depth
    widths = (table.n_in, arch, table.n_out)
    weights = str(results.attrs.get("weights", "normal"))
    seed = int(results.attrs["seed"])
    return seeded_population(seed, points, lo, lo + 1, widths, setting.bias, weights, rule)


def point_setting(
    results: xr.Dataset,
    *,
    hidden_std: float | None = None,
    output_std: float | None = None,
    lr: float | None = None,
    hidden: int | None = None,
    activation: str | None = None,
    gradient: str | None = None,
    bias: str | None = None,
    gain: float | None = None,
) -> tuple[float, PointSetting]:
    """The values of one grid point of a sweep's results: its hidden std and the rest.

    The rule :func:`replay` rebuilds runs by: each value given must be one
    of the results' values along that dimension (or equal the attribute, if
    not a dimension); one left out is the only value of its coordinate (a
    dimension of one value, or a scalar coordinate after ``results.sel``),
    else the attribute (results from before a setting existed: the
    article's). ``output_std="glorot"`` is resolved for the point's width.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results, or a selection of them.
    hidden_std, output_std, lr, hidden, activation, gradient, bias : optional
        The grid point, as in :func:`replay`.

    Returns
    -------
    hidden_std : float
        The point's hidden std, or a gain sweep's gain (``gain``).
    setting : PointSetting
        The width, activation, gradient, bias, the output std (a number; NaN in a
        gain sweep) and lr.

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([1.0], runs=1, epochs=1, output_std="glorot", hidden=[2, 6],
    ...               activation=["sigmoid", "tanh"], workers=1, progress=False)
    >>> std, setting = point_setting(ds.sel(activation="tanh"), hidden=6)
    >>> std, setting.hidden, setting.activation, round(setting.output_std, 4)
    (1.0, 6, 'tanh', 0.5345)
    """
    attrs = results.attrs
    missing = [k for k in ("seed", "hidden", "data", "output_std", "lr") if k not in attrs]
    if missing:
        raise ValueError(
            f"results lack the attribute(s) {', '.join(missing)}: pass a "
            "sweep's results (xorsweep.sweep or xorsweep.open_results)"
        )
    swept = "gain" if attrs.get("rule") is not None else "hidden_std"
    if {"hidden_std": gain, "gain": hidden_std}[swept] is not None:
        other = "hidden_std" if swept == "gain" else "gain"
        raise ValueError(f"{other} is not a dimension of these results: give {swept}")
    given = {
        swept: gain if swept == "gain" else hidden_std,
        "output_std": output_std,
        "lr": lr,
        "hidden": hidden,
        "activation": activation,
        "gradient": gradient,
        "bias": bias,
    }
    point = _grid_point(results, given)
    width = int(point["hidden"])
    n_out = table_of(attrs).n_out
    resolved = math.nan if swept == "gain" else output_std_for(point["output_std"], width, n_out)
    setting = PointSetting(
        output_std=float(resolved),
        lr=float(point["lr"]),
        hidden=width,
        activation=str(point["activation"]),
        gradient=str(point["gradient"]),
        bias=str(point["bias"]),
    )
    return float(point[swept]), setting


def table_of(attrs: dict) -> TruthTable:
    """The results' truth table: a custom one from ``data_table``, else by name."""
    if "data_table" in attrs:
        custom = attrs["data_table"]
        return TruthTable(custom["inputs"], custom["targets"], attrs["data"])
    return truth_table(attrs["data"])


#: Settings that results made before they existed lack: they had these values.
_BEFORE = {"activation": "sigmoid", "gradient": "sum", "bias": "scaled"}


def _grid_point(results: xr.Dataset, given: dict[str, Any]) -> dict[str, Any]:
    """The grid point ``given`` names in ``results``: a value of each grid dimension
    (one that it has, or the only one) and the attributes' values of the others."""
    point = {}
    for dim, value in given.items():
        if dim in results.coords:
            choices = np.atleast_1d(results[dim].values)
            if value is None:
                if choices.size != 1:
                    raise ValueError(
                        f"{dim} must be given: the results have {choices.size} values "
                        f"({_span(choices)})"
                    )
                value = choices[0]
            elif not np.any(choices == value):
                hint = (
                    f", e.g. results.sel({dim}={value!r}, method='nearest')"
                    if choices.dtype.kind == "f"
                    else f": {_span(choices)}"
                )
                raise ValueError(
                    f"{dim}={value!r} is not one of the results' {dim} values; pick one "
                    f"exactly{hint}"
                )
        else:
            stored = results.attrs.get(dim, _BEFORE.get(dim))
            if value is not None and value != stored:
                raise ValueError(f"{dim}={value!r} differs from the results' {dim}={stored!r}")
            value = stored
        point[dim] = value.item() if isinstance(value, np.generic) else value
    return point


def _span(values: np.ndarray) -> str:
    if values.dtype.kind == "f":
        return f"from {values.min():g} to {values.max():g}"
    return ", ".join(repr(v) for v in values.tolist())


def _grid_dims_of(results: xr.Dataset) -> tuple[str, ...]:
    if "total_loss" not in results or "run" not in results["total_loss"].dims:
        raise ValueError(
            "results must have a total_loss variable over a run dimension: pass "
            "a sweep's results (xorsweep.sweep or xorsweep.open_results)"
        )
    return tuple(d for d in results["total_loss"].dims if d != "run")


def allocate(results: xr.Dataset, budget: int, *, min_runs: int = 2) -> xr.DataArray:
    """Where to spend ``budget`` more runs: most where the mean loss is least certain.

    The article suggests adding measurements in proportion to each point's
    relative error. Made precise: with ``n`` runs, a point's relative
    standard error of the mean loss is ``c / sqrt(n)``, where ``c`` is its
    coefficient of variation (sample std over mean of ``total_loss``). The
    allocation minimises the largest relative standard error after the new
    runs: every point below a common level ``t`` keeps its runs, every other
    point grows to ``n = (c / t)**2`` ("water filling"), so the points with
    the largest relative error get the runs. First, points with fewer than
    ``min_runs`` runs are brought up to it (their ``c`` is unknown and taken as
    the largest measured one).

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results (``total_loss`` over the grid and ``run``).
    budget : int
        Runs to add in total, >= 0.
    min_runs : int
        Runs a point needs before its std counts, >= 2.

    Returns
    -------
    xarray.DataArray
        Named ``runs``, int64 over the grid's dimensions: the number of runs
        each point should hold, i.e. its present runs plus its share, with
        ``(runs - present).sum() == budget``. Pass it as ``runs=`` to
        :func:`sweep` (with the same store) to make those runs.

    Examples
    --------
    Three points with the same mean loss and stds 1, 10 and 30, 50 runs each:

    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> loss = np.stack([rng.normal(100.0, s, 50) for s in (1.0, 10.0, 30.0)])
    >>> ds = xr.Dataset({"total_loss": (("hidden_std", "run"), loss)},
    ...                 coords={"hidden_std": [0.5, 1.0, 2.0]})
    >>> more = allocate(ds, 1000)
    >>> more.values.tolist(), int(more.sum()) - 150
    ([50, 124, 976], 1000)
    """
    grid = _grid_dims_of(results)
    budget = check_count(budget, "budget", minimum=0)
    min_runs = check_count(min_runs, "min_runs", minimum=2)
    loss = results["total_loss"].transpose(*grid, "run")
    values = np.asarray(loss.values, dtype=np.float64).reshape(-1, loss.sizes["run"])
    present = np.isfinite(values)
    n = present.sum(axis=1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(values, axis=1) / np.maximum(n, 1), np.nan)
        dev = np.where(present, values - mean[:, None], 0.0)
        std = np.sqrt((dev**2).sum(axis=1) / (n - 1))
    known = n >= min_runs
    if np.any(known & ~(mean > 0)):
        k = int(np.argmax(known & ~(mean > 0)))
        raise ValueError(
            f"the mean total_loss must be > 0 for relative errors, got {mean[k]:g} at point {k}"
        )
    cv = np.where(known, std / np.where(known, mean, 1.0), np.nan)
    worst = np.nanmax(cv) if np.any(known) else 1.0
    cv = np.where(known, cv, worst)
    totals = _water_fill(n, cv, budget, min_runs)
    coords = {d: results[d].values for d in grid if d in results.coords}
    return xr.DataArray(totals.reshape(loss.shape[:-1]), dims=grid, coords=coords, name="runs")


def _water_fill(n: np.ndarray, cv: np.ndarray, budget: int, min_runs: int) -> np.ndarray:
    """Integer totals ``N >= n`` with ``sum(N - n) == budget`` minimising ``max cv/sqrt(N)``.

    ``n`` (point,) are present runs, ``cv`` (point,) coefficients of variation >= 0.
    """
    total = n.astype(np.int64).copy()
    # points below min_runs first, the emptiest first
    need = np.maximum(min_runs - total, 0)
    if need.sum() >= budget:
        for _ in range(budget):
            short = np.flatnonzero(total < np.maximum(n, min_runs))
            total[short[np.argmin(total[short])]] += 1
        return total
    total += need
    left = budget - int(need.sum())
    goal = int(total.sum()) + left
    c2 = cv.astype(np.float64) ** 2
    if np.any(c2 > 0):
        # the largest s with sum(max(total, c2 * s)) <= goal, s = 1 / t**2
        lo, hi = 0.0, goal / c2[c2 > 0].min()
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if np.maximum(total, c2 * mid).sum() <= goal:
                lo = mid
            else:
                hi = mid
        total = np.maximum(total, np.floor(c2 * lo).astype(np.int64))
    left = goal - int(total.sum())
    if left > total.size:  # only when no point varies: spread evenly
        total += left // total.size
        left = goal - int(total.sum())
    # the few runs left by rounding go one by one to the largest relative error
    # (ties: the point with fewer runs, then the first)
    for _ in range(left):
        rse = np.sqrt(c2 / total)
        order = np.lexsort((np.arange(total.size), total, -rse))
        total[order[0]] += 1
    return total


def to_article_frame(results: xr.Dataset) -> pd.DataFrame:
    """One row per run present, with the article's MongoDB document fields.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results.

    Returns
    -------
    pandas.DataFrame
        Columns ``hidden_std_dev``, ``output_std_dev``, ``loss`` (the run's
        ``total_loss``: the article's ``loss`` field), then ``lr``, ``run``,
        the grid dimensions ``hidden``, ``activation``, ``gradient`` and
        ``bias`` where the results have them, ``final_loss`` and
        ``converged_epoch``; runs a point does not hold are left out
        (``output_std="glorot"`` is given as its value at each width). The
        article's summary runs on it unchanged::

            df.groupby("hidden_std_dev")["loss"].agg(["mean", "std", "count"])

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 1.0], runs=3, epochs=100, workers=1, progress=False)
    >>> df = xs.to_article_frame(ds)
    >>> list(df.columns[:3]), len(df)
    (['hidden_std_dev', 'output_std_dev', 'loss'], 6)
    >>> df.groupby("hidden_std_dev")["loss"].agg(["mean", "std", "count"])["count"].tolist()
    [3, 3]
    """
    grid = _grid_dims_of(results)
    if "gain" in grid:
        raise ValueError(
            "the article's table is of hidden stds and these results sweep a gain: use "
            "results.to_dataframe()"
        )
    names = [v for v in VARIABLES if v in results]
    frame = results[names].reset_coords(drop=True).to_dataframe().reset_index()
    frame = frame[np.isfinite(frame["total_loss"].to_numpy())]
    out = pd.DataFrame(index=frame.index)
    for dim, column in (
        ("hidden_std", "hidden_std_dev"),
        ("output_std", "output_std_dev"),
        ("lr", "lr"),
    ):
        out[column] = _column(results, frame, grid, dim)
    out["loss"] = frame["total_loss"]
    out["run"] = frame["run"]
    extra = [d for d in grid if d in _BEFORE or d == "hidden"]  # the study axes, if grids
    for d in extra:
        out[d] = frame[d]
    for v in names[1:]:
        out[v] = frame[v]
    first = ["hidden_std_dev", "output_std_dev", "loss", "lr", "run"]
    return out[first + extra + names[1:]].reset_index(drop=True)


def _column(results: xr.Dataset, frame: pd.DataFrame, grid: tuple[str, ...], dim: str) -> Any:
    """The values of ``dim`` for the rows of ``frame``: a column, or one number for all."""
    if dim in grid:
        return frame[dim]
    if dim in results.coords and results[dim].ndim == 0:
        return results[dim].values.item()
    value = results.attrs.get(dim)
    if value is None or np.ndim(value) != 0:
        raise ValueError(f"results have no single {dim} (not a dimension, coordinate or attribute)")
    if dim == "output_std" and isinstance(value, str):  # "glorot": its value at each width
        n_out = table_of(results.attrs).n_out
        widths = _column(results, frame, grid, "hidden")
        if isinstance(widths, pd.Series):
            return widths.map(lambda w: float(output_std_for(value, int(w), n_out)))
        return float(output_std_for(value, int(widths), n_out))
    return float(value)
