"""Chosen runs of a sweep trained much longer: do the runs that fail learn later?

:func:`continue_runs` rebuilds runs of a sweep's results from their
coordinates (:func:`xorsweep.replay`), brings them back to the state at the
sweep's last epoch (recomputing those epochs once, and checking that they give
the stored numbers), and trains them on with :func:`xorsweep.train_on` to a
much later epoch. Its results hold each run's state at the end, so that a
second call trains them further without recomputing anything. The runs are
along ``run``, with the coordinates ``hidden_std``, ``output_std``, ``lr`` and
``source_run`` (the run in the sweep) linking each to its original.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from ._checks import check_count
from .continued_store import CONTINUED_SCHEMA, continued_path_state, open_continued, write_continued
from .engines import check_engine
from .network import PARAMETER_NAMES, Population
from .training import DEFAULT_BLOCK
from .training_state import TrainingState, train_on_arrays
from .truth_tables import truth_table

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["SELECTIONS", "continue_runs", "state_of", "with_continued"]

#: The selections ``continue_runs`` knows by name.
SELECTIONS = ("unconverged", "all")
#: A run's link to the sweep: the grid point and the run there.
LINK = ("hidden_std", "output_std", "lr", "source_run")
#: The sweep's attributes that continued runs keep.
_KEPT = ("seed", "data", "hidden", "n_in", "n_out", "update", "activation", "gradient", "loss")
_PARAM_DIMS = {
    "hidden_weights": ("input", "hidden"),
    "hidden_bias": ("hidden",),
    "output_weights": ("hidden", "output"),
    "output_bias": ("output",),
}


def continue_runs(
    results: xr.Dataset | str | os.PathLike,
    epochs: int,
    *,
    select: str | xr.DataArray | Mapping[str, Sequence] | pd.DataFrame = "unconverged",
    runs_per_std: int | None = None,
    seed: int = 0,
    engine: str = "auto",
    store: str | os.PathLike | None = None,
    block_size: int = DEFAULT_BLOCK,
) -> xr.Dataset:
    """Train chosen runs of a sweep (or of an earlier call) on to epoch ``epochs``.

    Parameters
    ----------
    results : xarray.Dataset or path
        A sweep's results (:func:`xorsweep.sweep`, :func:`xorsweep.open_results`
        or the path of its store), or the results of an earlier
        ``continue_runs`` (or its store): those go on from the state they hold.
    epochs : int
        The epoch to train to, more than the results have trained (10**5 to 10**6).
    select : {"unconverged", "all"}, DataArray of bool, mapping or DataFrame
        Which runs: every run present that did not converge, every run
        present, a mask over the results' dimensions, or explicit coordinates,
        ``{"hidden_std": [...], "run": [...]}`` (a grid dimension with one
        value may be left out; for earlier continued results, the runs'
        ``hidden_std``, ``output_std``, ``lr`` and ``source_run``).
    runs_per_std : int, optional
        At most this many of the selected runs per hidden std, drawn at random
        (without replacement) with ``seed``.
    seed : int
        Seed of that draw, >= 0.
    engine : {"auto", "numpy", "numba"}
        ``"auto"``: the engine that computed ``results``, so the recomputed
        epochs give the stored numbers bit for bit (checked; another engine is
        checked to 1e-9).
    store : path, optional
        Also write the results there (a new or empty directory), atomically. A
        store that already holds this very request is read, not recomputed.
    block_size : int
        As in :func:`xorsweep.train`.

    Returns
    -------
    xarray.Dataset
        Over ``run`` (coordinates ``hidden_std``, ``output_std``, ``lr`` and
        ``source_run``, the run's place in the sweep): ``total_loss``,
        ``final_loss``, ``converged_epoch`` and ``converged`` of training from
        epoch 0 to ``epochs``, as :func:`xorsweep.train` defines them; the
        final parameters, shaped as in its Dataset; the state to go on from
        (``last_wrong`` (run,), ``loss_sum`` (run, loss_part), ``pending``
        (run, pending_epoch, sample, output); :class:`xorsweep.TrainingState`).
        Attributes: the sweep's settings, ``epochs``, ``first_epoch`` (the
        epochs the results had trained), ``engine`` and ``compute_seconds``.

    Raises
    ------
    TypeError, ValueError
        Naming the argument, before anything is trained or written: runs that
        the results do not hold, ``epochs`` not above the epochs trained, a
        store holding other results, results that are not a sweep's, or whose
        rebuilt runs do not give the stored numbers.

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 2.0], runs=4, epochs=300, workers=1, progress=False)
    >>> longer = continue_runs(ds, 2000)  # every run that failed within 300 epochs
    >>> longer.attrs["first_epoch"], longer.attrs["epochs"]
    (300, 2000)
    >>> longer.sizes["run"] == int(ds.converged_epoch.isnull().sum())
    True
    >>> first = longer.isel(run=0)  # the same bits as training that run in one go:
    >>> pop = xs.replay(ds, int(first.source_run), hidden_std=float(first.hidden_std))
    >>> again = xs.train(pop, 2000, engine=longer.attrs["engine"])
    >>> bool(again.total_loss[0] == first.total_loss)
    True
    """
    source = _source(results)
    continued = source.attrs.get("schema") == CONTINUED_SCHEMA
    trained = int(source.attrs["epochs"])
    epochs = check_count(epochs, "epochs", minimum=0)
    if epochs <= trained:
        raise ValueError(
            f"epochs must be more than the {trained:,} epochs the results have trained, "
            f"got {epochs}"
        )
    if runs_per_std is not None:
        runs_per_std = check_count(runs_per_std, "runs_per_std")
    seed = check_count(seed, "seed", minimum=0)
    engine = check_engine(engine)
    block_size = check_count(block_size, "block_size")
    links = _sample(_selected(source, select, continued), runs_per_std, seed)
    if store is not None and continued_path_state(store) == "store":
        return _stored(store, source, epochs, links)
    recorded = source.attrs.get("engine", "numpy")
    computing = recorded if engine == "auto" else engine
    start = time.perf_counter()
    state = _saved_state(source, links) if continued else _rebuilt_state(source, links, computing)
    res, state = train_on_arrays(state, epochs, block_size=block_size)
    out = _to_dataset(links, res, state, source.attrs, trained)
    out.attrs["compute_seconds"] = time.perf_counter() - start
    out.attrs.update(selection=_describe(select), runs_per_std=runs_per_std or 0, sample_seed=seed)
    if store is not None:
        write_continued(out, store)
    return out


def with_continued(results: xr.Dataset, continued: xr.Dataset) -> xr.Dataset:
    """A sweep's results with the convergence of its continued runs, for survival curves.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results.
    continued : xarray.Dataset
        Runs of those results trained on by :func:`continue_runs`.

    Returns
    -------
    xarray.Dataset
        ``results`` with ``converged_epoch`` and ``converged`` (if present) of
        the continued runs replaced by theirs, and ``epochs_trained`` over the
        results' dimensions: the sweep's epochs, or the continued ones. Pass
        ``epochs="epochs_trained"`` to :func:`xorsweep.survival_curves` or
        :func:`xorsweep.converged_between`: the runs not continued are censored
        where the sweep stopped, which leaves the Kaplan-Meier estimate unbiased
        when the continued runs were drawn at random (``runs_per_std``). A
        run that converged within the sweep keeps its epoch (it was not
        followed further).

    Examples
    --------
    >>> import xorsweep as xs
    >>> ds = xs.sweep([1.0], runs=50, epochs=300, lr=0.5, workers=1, progress=False)
    >>> both = with_continued(ds, continue_runs(ds, 3000, runs_per_std=10))
    >>> int((both.epochs_trained == 3000).sum())
    10
    >>> curves = xs.survival_curves(both, epochs="epochs_trained")
    >>> float(curves.epoch[-1])
    3000.0
    """
    if not isinstance(continued, xr.Dataset) or continued.attrs.get("schema") != CONTINUED_SCHEMA:
        raise ValueError("continued must be the results of continue_runs")
    results = _source(results)
    same = [k for k in ("seed", "data", "hidden") if continued.attrs.get(k) != results.attrs.get(k)]
    if same or continued.attrs.get("first_epoch") != results.attrs["epochs"]:
        raise ValueError(
            "continued holds runs of other results (different "
            f"{', '.join(same) or 'epochs: its first_epoch is not their epochs'})"
        )
    dims = _grid_dims(results)
    links = pd.DataFrame({k: continued[k].values for k in LINK}).rename(
        columns={"source_run": "run"}
    )
    index = tuple(_positions(links, results, dim, "continued") for dim in (*dims, "run"))
    out = results.copy()
    like = results["converged_epoch"].transpose(*dims, "run")
    conv = like.values.copy()
    conv[index] = continued["converged_epoch"].values
    trained = np.full(conv.shape, float(results.attrs["epochs"]))
    trained[index] = float(continued.attrs["epochs"])
    out["converged_epoch"] = like.copy(data=conv)
    out["epochs_trained"] = (like.dims, trained, {"long_name": "epochs trained"})
    if "converged" in out:
        out["converged"] = out["converged_epoch"].notnull()
    return out


def _source(results: object) -> xr.Dataset:
    """The results as a Dataset: read from a store if a path, checked to be a sweep's."""
    if isinstance(results, (str, os.PathLike)):
        if continued_path_state(results) == "store":  # raises for a file or other contents
            return open_continued(results)
        from .store import open_results  # a sweep's store (it explains other contents)

        results = open_results(results)
    if not isinstance(results, xr.Dataset):
        raise TypeError(
            "results must be an xarray.Dataset or the path of a store, "
            f"got {type(results).__name__}"
        )
    needed = ("seed", "hidden", "data", "epochs", "output_std", "lr")
    if results.attrs.get("schema") == CONTINUED_SCHEMA:
        needed = ("data", "epochs", "engine", "update")
    missing = [name for name in needed if name not in results.attrs]
    if missing or "converged_epoch" not in results or "run" not in results.dims:
        raise ValueError(
            f"results must be a sweep's results (xorsweep.sweep, open_results) or continued "
            f"runs (continue_runs); these lack {', '.join(missing) or 'converged_epoch over run'}"
        )
    return results


def _grid_dims(source: xr.Dataset) -> tuple[str, ...]:
    dims = tuple(d for d in source["converged_epoch"].dims if d != "run")
    extra = [d for d in dims if d not in LINK]
    if extra:
        raise ValueError(
            f"results have the dimension(s) {extra}: select one value of each first "
            f"(results.sel(...)); continue_runs rebuilds runs over {LINK[:3]} and run"
        )
    return dims


def _present(source: xr.Dataset, dims: tuple[str, ...]) -> np.ndarray:
    """Runs the results hold, bool over (dims..., run)."""
    name = "total_loss" if "total_loss" in source else "converged_epoch"
    values = source[name].transpose(*dims, "run").values
    return np.isfinite(values) if name == "total_loss" else np.ones(values.shape, bool)


def _selected(source: xr.Dataset, select: object, continued: bool) -> pd.DataFrame:
    """The links (:data:`LINK`) of the selected runs, and ``position`` (flat index)."""
    dims = () if continued else _grid_dims(source)
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
    positions = np.flatnonzero(mask)
    if positions.size == 0:
        raise ValueError(f"select={_describe(select)} selects no run of the results")
    return _links(source, dims, mask.shape, positions, continued)


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
        table = pd.DataFrame({k: source[k].values for k in keys})
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
        index = tuple(_positions(frame, source, dim) for dim in (*dims, "run"))
    mask = np.zeros(present.shape, bool)
    mask[index] = True
    if not present[index].all():
        raise ValueError(
            f"select names {int((~present[index]).sum())} run(s) that the results do not hold "
            "(not computed or unfinished)"
        )
    return mask


def _positions(
    frame: pd.DataFrame, source: xr.Dataset, dim: str, what: str = "select"
) -> np.ndarray:
    values = np.atleast_1d(source[dim].values)
    if dim not in frame.columns:
        if values.size != 1:
            raise ValueError(f"{what} must give {dim}: the results have {values.size} values")
        return np.zeros(len(frame), np.int64)
    wanted = frame[dim].to_numpy()
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


def _links(
    source: xr.Dataset, dims: tuple, shape: tuple, positions: np.ndarray, continued: bool
) -> pd.DataFrame:
    if continued:
        table = {k: source[k].values[positions] for k in LINK}
    else:
        index = np.unravel_index(positions, shape)
        table = {"source_run": source["run"].values[index[-1]]}
        for dim in LINK[:3]:
            where = dims.index(dim) if dim in dims else None
            table[dim] = (
                source[dim].values[index[where]]
                if where is not None
                else np.full(positions.size, float(source.attrs[dim]))
            )
    frame = pd.DataFrame({k: table[k] for k in LINK})
    frame["position"] = positions
    return frame


def _sample(links: pd.DataFrame, runs_per_std: int | None, seed: int) -> pd.DataFrame:
    """At most ``runs_per_std`` runs per hidden std, drawn with ``seed``; in link order."""
    if runs_per_std is not None:
        rng = np.random.default_rng(seed)
        kept = []
        for _, group in links.groupby("hidden_std", sort=True):
            take = min(runs_per_std, len(group))
            kept.append(group.iloc[np.sort(rng.choice(len(group), take, replace=False))])
        links = pd.concat(kept)
    return links.sort_values(list(LINK), kind="stable").reset_index(drop=True)


def _rebuilt_state(source: xr.Dataset, links: pd.DataFrame, engine: str) -> TrainingState:
    """The selected runs at the sweep's last epoch, trained again from their initial networks
    (once), after checking that this gives the stored numbers."""
    from .sweeps.results import replay

    dims = _grid_dims(source)
    parts = []
    for point, group in links.groupby(list(LINK[:3]), sort=False):
        given = {dim: value for dim, value in zip(LINK[:3], point, strict=True) if dim in dims}
        parts.append(replay(source, group["source_run"].to_numpy(np.int64), **given))
    attrs = source.attrs
    state = TrainingState.start(
        Population.concat(parts),
        links["lr"].to_numpy(np.float64),
        data=truth_table(attrs["data"]),
        update=attrs.get("update", "article"),
        activation=attrs.get("activation", "sigmoid"),
        gradient=attrs.get("gradient", "sum"),
        engine=engine,
    )
    res, state = train_on_arrays(state, int(attrs["epochs"]))
    _check_reproduced(source, dims, links, res, exact=engine == attrs.get("engine", "numpy"))
    return state


def _check_reproduced(
    source: xr.Dataset, dims: tuple, links: pd.DataFrame, res: dict, exact: bool
) -> None:
    positions = links["position"].to_numpy()
    for name in ("total_loss", "converged_epoch") if exact else ("total_loss",):
        if name not in source:
            continue
        stored = source[name].transpose(*dims, "run").values.reshape(-1)[positions]
        got = res[name]
        same = (stored == got) | (np.isnan(stored) & np.isnan(got))
        if not exact:
            same = np.isclose(got, stored, rtol=1e-9, atol=0.0)
        if not same.all():
            k = int(np.flatnonzero(~same)[0])
            where = ", ".join(f"{c}={links[c].iloc[k]!r}" for c in LINK)
            raise ValueError(
                f"results: the rebuilt runs do not give the stored {name} ({int((~same).sum())} "
                f"of {same.size} differ; {where}: {stored[k]!r} stored, {got[k]!r} recomputed): "
                "the results come from another configuration or version of xorsweep"
            )


def state_of(continued: xr.Dataset) -> TrainingState:
    """The state that continued results (of :func:`continue_runs`) hold, to train them on."""
    attrs = continued.attrs
    values = {name: continued[name].values for name in PARAMETER_NAMES}
    for name in ("hidden_bias", "output_bias"):  # (run, 1, units) in a Population
        values[name] = values[name][:, None, :]
    population = Population(**values)
    return TrainingState(
        population,
        int(attrs["epochs"]),
        continued["lr"].values.astype(np.float64),
        continued["last_wrong"].values.astype(np.int64),
        continued["loss_sum"].values,
        continued["pending"].values,
        truth_table(attrs["data"]),
        attrs["update"],
        attrs.get("activation", "sigmoid"),
        attrs.get("gradient", "sum"),
        attrs["engine"],
    )


def _saved_state(source: xr.Dataset, links: pd.DataFrame) -> TrainingState:
    return state_of(source)[links["position"].to_numpy()]


def _to_dataset(
    links: pd.DataFrame, res: dict, state: TrainingState, attrs: Mapping, trained: int
) -> xr.Dataset:
    runs = len(links)
    pending = state.pending
    data_vars = {
        "total_loss": ("run", res["total_loss"]),
        "final_loss": ("run", res["final_loss"]),
        "converged_epoch": ("run", res["converged_epoch"]),
        "converged": ("run", ~np.isnan(res["converged_epoch"])),
        "last_wrong": ("run", state.last_wrong),
        "loss_sum": (("run", "loss_part"), state.loss_sum),
        "pending": (("run", "pending_epoch", "sample", "output"), pending),
    }
    for name, dims in _PARAM_DIMS.items():
        value = res[name][:, 0] if name.endswith("bias") else res[name]
        data_vars[name] = (("run", *dims), value)
    coords = {"run": np.arange(runs), **{k: ("run", links[k].to_numpy()) for k in LINK}}
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update({k: attrs[k] for k in _KEPT if k in attrs})
    ds.attrs.update(
        update=state.update,
        activation=state.activation,
        gradient=state.gradient,
        engine=state.engine,
        epochs=state.epoch,
        first_epoch=trained,
        schema=CONTINUED_SCHEMA,
    )
    ds.converged_epoch.attrs.update(long_name="first epoch from which all predictions are right")
    return ds


def _stored(
    store: str | os.PathLike, source: xr.Dataset, epochs: int, links: pd.DataFrame
) -> xr.Dataset:
    """The continued runs already in ``store``, if they are this request's; else a ValueError."""
    held = open_continued(store)
    mismatch = [
        k
        for k in ("seed", "data", "hidden", "update", "activation", "gradient")
        if k in source.attrs and held.attrs.get(k) != source.attrs[k]
    ]
    if held.attrs.get("epochs") != epochs:
        mismatch.append("epochs")
    if held.attrs.get("first_epoch") != int(source.attrs["epochs"]):
        mismatch.append("first_epoch")
    same_runs = held.sizes.get("run") == len(links) and all(
        np.array_equal(held[k].values, links[k].to_numpy()) for k in LINK
    )
    if not same_runs:
        mismatch.append("runs")
    if mismatch:
        raise ValueError(
            f"store {store} holds continued runs of another configuration (different "
            f"{', '.join(mismatch)}): choose another path"
        )
    return held


def _describe(select: object) -> str:
    if isinstance(select, str):
        return select
    if isinstance(select, xr.DataArray):
        return f"mask of {int(select.sum())} runs"
    return f"{len(pd.DataFrame(select))} runs by coordinates"
