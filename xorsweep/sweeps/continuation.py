"""Chosen runs of a sweep trained much longer: do the runs that fail learn later?

:func:`continue_runs` rebuilds runs of a sweep's results from their
coordinates (:func:`xorsweep.replay`), brings them back to the state at the
sweep's last epoch (recomputing those epochs once, and checking that they give
the stored numbers), and trains them on with :func:`xorsweep.train_on` to a
much later epoch. Its results hold each run's state at the end, so that a
second call trains them further without recomputing anything. The runs are
along ``run``, with coordinates linking each to its original: its grid point
(``hidden_std``, ``output_std``, ``lr``, ``hidden``, ``activation``,
``gradient``, ``bias``) and ``source_run``, its run there
(:mod:`xorsweep.sweeps.continued_links`). Runs of several widths, activations or
gradient conventions train as one :class:`~xorsweep.TrainingState` each.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from .._core.checks import check_count
from ..model.network import PARAMETER_NAMES, Population
from ..training.engines import check_engine, recorded
from ..training.state import TrainingState, train_on_arrays
from ..training.trainer import DEFAULT_BLOCK
from .continued_links import (
    LINK,
    SELECTIONS,
    SETTING,
    describe,
    grid_dims,
    links_at,
    positions,
    run_links,
    sample_links,
    selected_links,
)
from .continued_store import (
    CONTINUED_SCHEMA,
    FinishedBlocks,
    continued_path_state,
    holds_continued,
    open_continued,
    write_continued,
)
from .results import replay, table_of

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "SELECTIONS",
    "continuation_work",
    "continue_runs",
    "state_of",
    "with_continued",
]

#: The attributes of the results that continued runs keep.
_KEPT = ("seed", "data", "data_table", "n_in", "n_out", "update", "loss")
#: Attributes that give the runs' settings when all share one (else their list).
_SHARED = ("hidden", "activation", "gradient", "bias")
#: The parameters' dimensions after ``run``: ``unit`` the hidden units, NaN past a run's width.
_PARAM_DIMS = {
    "hidden_weights": ("input", "unit"),
    "hidden_bias": ("unit",),
    "output_weights": ("unit", "output"),
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
        or the path of its store) over any of its grid dimensions, or a
        selection of them (a selected dimension's value counts as that
        setting), or the results of an earlier ``continue_runs`` (or its
        store): those go on from the state they hold.
    epochs : int
        The epoch to train to, more than the results have trained (10**5 to 10**6).
    select : {"unconverged", "all"}, DataArray of bool, mapping or DataFrame
        Which runs: every run present that did not converge, every run
        present, a mask over the results' dimensions, or explicit coordinates,
        ``{"hidden_std": [...], "run": [...]}`` (a grid dimension with one
        value may be left out; for earlier continued results, any of the
        runs' coordinates: the grid point and ``source_run``).
    runs_per_std : int, optional
        At most this many of the selected runs per hidden std (and width,
        activation, gradient and bias), drawn at random (without
        replacement) with ``seed``.
    seed : int
        Seed of that draw, >= 0.
    engine : {"auto", "numpy", "numba"}
        ``"auto"``: the engine that computed ``results``, so the recomputed
        epochs give the stored numbers bit for bit (checked; another engine is
        checked to 1e-9).
    store : path, optional
        Also write the results there (a new or empty directory), atomically. A
        store that already holds this very request is read, not recomputed.
        Until it is written, each finished block of ``block_size`` runs waits
        beside it (``.NAME.blocks``): after an interrupt, the same call goes on
        from the blocks finished, with the same numbers as in one go.
    block_size : int
        Runs per block (as in :func:`xorsweep.train`).

    Returns
    -------
    xarray.Dataset
        Over ``run``, with the run's place in the sweep as coordinates: its
        grid point ``hidden_std``, ``output_std`` (the number, also for
        ``"glorot"``), ``lr``, ``hidden`` (the width), ``activation``,
        ``gradient``, ``bias``, and ``source_run``. Variables:
        ``total_loss``, ``final_loss``, ``converged_epoch`` and ``converged``
        of training from epoch 0 to ``epochs``, as :func:`xorsweep.train`
        defines them; the final parameters, as in its Dataset but with the
        hidden units along ``unit`` (NaN past a run's width); the state to go
        on from (``last_wrong`` (run,), ``loss_sum`` (run, loss_part),
        ``pending`` (run, pending_epoch, sample, output); :func:`state_of`).
        Attributes: the sweep's seed, data and update; ``hidden``,
        ``activation``, ``gradient`` and ``bias`` (one value, or the list of
        the runs' values); ``epochs``, ``first_epoch`` (the epochs the
        results had trained), ``engine`` and ``compute_seconds``.

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
    request = _checked(results, epochs, select, runs_per_std, seed, engine, block_size)
    source, continued, trained, epochs, links, computing = request
    if store is not None and continued_path_state(store) == "store":
        return _stored(store, source, epochs, links)
    blocks = _blocks(links, block_size)
    kept = (
        None
        if store is None
        else FinishedBlocks(store, _request(source, epochs, links, computing, block_size))
    )
    parts = kept.done() if kept is not None else {}
    for number, rows in enumerate(blocks):
        if number in parts:  # finished before an interrupt
            continue
        start = time.perf_counter()
        state = (  # rebuilt (and checked against the stored numbers), then trained on
            state_of(source.isel(run=links["position"].to_numpy()[rows]))
            if continued
            else _rebuilt_state(source, links.iloc[rows], computing)
        )
        res, state = train_on_arrays(state, epochs, block_size=block_size)
        parts[number] = (rows, res, state, time.perf_counter() - start)
        if kept is not None:
            kept.keep(number, parts[number])
    ordered = [parts[number] for number in range(len(blocks))]
    out = _to_dataset(links, [part[:3] for part in ordered], source.attrs, trained)
    out.attrs["compute_seconds"] = sum(part[3] for part in ordered)
    out.attrs.update(selection=describe(select), runs_per_std=runs_per_std or 0, sample_seed=seed)
    if kept is not None:
        write_continued(out, store)
        kept.remove()
    return out


def _checked(
    results: object,
    epochs: object,
    select: object,
    runs_per_std: object,
    seed: object,
    engine: object,
    block_size: object,
) -> tuple[xr.Dataset, bool, int, int, pd.DataFrame, str]:
    """The arguments of :func:`continue_runs` checked: the source, whether it is continued,
    the epochs it trained and to train to, the runs chosen and the computing engine."""
    source = _source(results)
    if "optimizer" in source.dims or source.attrs.get("optimizer", "gd") != "gd":
        raise ValueError(
            "results: continue_runs trains on runs of optimizer 'gd' only (the optimiser's "
            "state is not stored); select them, e.g. results.sel(optimizer='gd')"
        )
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
    links = sample_links(selected_links(source, select, continued), runs_per_std, seed)
    computing = recorded(source.attrs) if engine == "auto" else engine
    return source, continued, trained, epochs, links, computing


def continuation_work(
    results: xr.Dataset | str | os.PathLike, epochs: int, **options: Any
) -> dict[str, Any]:
    """What :func:`continue_runs` with these arguments would train, checked as it checks them
    (``options``: its ``select``, ``runs_per_std``, ``seed`` and ``engine``): ``runs``,
    ``first_epoch`` (where they are), ``epochs``, ``engine`` (the computing one) and
    ``network_epochs`` (the epochs rebuilt from a sweep's initial networks included).

    >>> import xorsweep as xs
    >>> ds = xs.sweep([0.5, 2.0], runs=4, epochs=300, workers=1, progress=False)
    >>> work = continuation_work(ds, 2000, select="all")
    >>> work["runs"], work["network_epochs"]
    (8, 16000)
    """
    unknown = set(options) - {"select", "runs_per_std", "seed", "engine"}
    if unknown:
        raise TypeError(f"continuation_work got an unexpected argument {sorted(unknown)[0]!r}")
    given = {"select": "unconverged", "runs_per_std": None, "seed": 0, "engine": "auto"}
    given.update(options)
    request = _checked(
        results, epochs, given["select"], given["runs_per_std"], given["seed"], given["engine"], 1
    )
    source, continued, trained, epochs, links, computing = request
    runs = len(links)
    return {
        "runs": runs,
        "first_epoch": trained,
        "epochs": epochs,
        "engine": computing,
        "network_epochs": runs * (epochs - (trained if continued else 0)),
    }


def with_continued(results: xr.Dataset, continued: xr.Dataset) -> xr.Dataset:
    """A sweep's results with the convergence of its continued runs, for survival curves.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results over any of its grid dimensions (or a selection of
        them holding every continued run).
    continued : xarray.Dataset
        Runs of those results trained on by :func:`continue_runs`: each is
        put back at its grid point and run (its coordinates), checked to be
        the results' (another width, activation, ... is a ValueError).

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
    keys = ("seed", "data", "data_table")
    same = [k for k in keys if continued.attrs.get(k) != results.attrs.get(k)]
    if same or continued.attrs.get("first_epoch") != results.attrs["epochs"]:
        raise ValueError(
            "continued holds runs of other results (different "
            f"{', '.join(same) or 'epochs: its first_epoch is not their epochs'})"
        )
    dims = grid_dims(results)
    links = run_links(continued).rename(columns={"source_run": "run"})
    index = tuple(positions(links, results, dim, "continued") for dim in (*dims, "run"))
    like = results["converged_epoch"].transpose(*dims, "run")
    expected = links_at(results, np.ravel_multi_index(index, like.shape))
    differ = [k for k in LINK[:-1] if expected[k].tolist() != links[k].tolist()]
    if differ:
        raise ValueError(
            f"continued holds runs of other results (different {', '.join(differ)}): "
            "pass the results it was continued from, or a selection holding its runs"
        )
    out = results.copy()
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
        if holds_continued(results):
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


def _blocks(links: pd.DataFrame, block_size: int) -> list[np.ndarray]:
    """The rows of ``links`` cut into blocks: those sharing a :data:`~.continued_links.SETTING`
    (a TrainingState's networks), ``block_size`` at most. A run's numbers do not depend
    on the cut; the blocks are the units an interrupted continuation resumes by."""
    groups = links.groupby(list(SETTING), sort=False).indices.values()
    return [rows[i : i + block_size] for rows in groups for i in range(0, len(rows), block_size)]


def _request(
    source: xr.Dataset, epochs: int, links: pd.DataFrame, engine: str, block_size: int
) -> dict[str, Any]:
    """What identifies a continuation's blocks: the source's settings, the epochs, the runs,
    the engine and the cut."""
    import hashlib
    import json

    kept = {k: source.attrs[k] for k in ("seed", "data", "update", "epochs") if k in source.attrs}
    runs = links[list(LINK)].to_csv(index=False).encode()
    return {
        "source": json.loads(json.dumps(kept, default=str)),
        "epochs": epochs,
        "engine": engine,
        "block_size": block_size,
        "runs": hashlib.sha256(runs).hexdigest(),
    }


def _rebuilt_state(source: xr.Dataset, links: pd.DataFrame, engine: str) -> TrainingState:
    """The runs of ``links`` (of one setting) at the sweep's last epoch, trained again from
    their initial networks (once), after checking that this gives the stored numbers."""
    dims = grid_dims(source)
    parts, order = [], []
    by = list(dims) if dims else np.zeros(len(links), np.int64)
    for point, group in links.groupby(by, sort=False):
        given = dict(zip(dims, point, strict=True)) if dims else {}
        parts.append(replay(source, group["source_run"].to_numpy(np.int64), **given))
        order.append(np.arange(len(links))[links.index.get_indexer(group.index)])
    population = Population.concat(parts)[np.argsort(np.concatenate(order), kind="stable")]
    attrs, setting = source.attrs, links.iloc[0]
    state = TrainingState.start(
        population,
        links["lr"].to_numpy(np.float64),
        data=table_of(attrs),
        update=attrs.get("update", "article"),
        activation=setting["activation"],
        gradient=setting["gradient"],
        engine=engine,
    )
    res, state = train_on_arrays(state, int(attrs["epochs"]))
    _check_reproduced(source, dims, links, res, exact=engine == recorded(attrs))
    return state


def _check_reproduced(
    source: xr.Dataset, dims: tuple, links: pd.DataFrame, res: dict, exact: bool
) -> None:
    flat = links["position"].to_numpy()
    for name in ("total_loss", "converged_epoch") if exact else ("total_loss",):
        if name not in source:
            continue
        stored = source[name].transpose(*dims, "run").values.reshape(-1)[flat]
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
    """The state that continued results (of :func:`continue_runs`) hold, to train them on.

    A state holds networks of one width, activation and gradient convention:
    continued results of several take one of them at a time, e.g.
    ``state_of(continued.isel(run=continued.hidden.values == 4))``.
    """
    settings = run_links(continued)[list(SETTING)].drop_duplicates()
    if len(settings) != 1:
        raise ValueError(
            f"continued holds runs of {len(settings)} settings of {SETTING}, a TrainingState "
            "one: pass the runs of one, e.g. continued.isel(run=continued.hidden.values == 4)"
        )
    width, activation, gradient = settings.iloc[0]
    attrs = continued.attrs
    values = {name: continued[name].values for name in PARAMETER_NAMES}
    values["hidden_weights"] = values["hidden_weights"][:, :, :width]
    values["output_weights"] = values["output_weights"][:, :width]
    values["hidden_bias"] = values["hidden_bias"][:, None, :width]  # (run, 1, units)
    values["output_bias"] = values["output_bias"][:, None, :]
    return TrainingState(
        Population(**values),
        int(attrs["epochs"]),
        continued["lr"].values.astype(np.float64),
        continued["last_wrong"].values.astype(np.int64),
        continued["loss_sum"].values,
        continued["pending"].values,
        table_of(attrs),
        attrs["update"],
        str(activation),
        str(gradient),
        attrs["engine"],
    )


def _to_dataset(links: pd.DataFrame, parts: list, attrs: Mapping, trained: int) -> xr.Dataset:
    """Continued results: ``parts`` is ``(rows, res, state)`` of each group of ``links``' rows."""
    runs, width, state = len(links), int(links["hidden"].max()), parts[0][2]
    shapes = {"total_loss": (), "final_loss": (), "converged_epoch": (), "last_wrong": ()}
    shapes.update(loss_sum=(2,), pending=state.pending.shape[1:])
    out = {name: np.empty((runs, *shape)) for name, shape in shapes.items()}
    out["last_wrong"] = np.empty(runs, np.int64)
    n_in, n_out = state.population.hidden_weights.shape[1], state.population.output_bias.shape[2]
    sizes = {"input": n_in, "unit": width, "output": n_out}
    for name, dims in _PARAM_DIMS.items():
        out[name] = np.full((runs, *(sizes[d] for d in dims)), np.nan)
    for rows, res, state in parts:
        for name in ("total_loss", "final_loss", "converged_epoch"):
            out[name][rows] = res[name]
        for name in ("last_wrong", "loss_sum", "pending"):
            out[name][rows] = getattr(state, name)
        w = state.population.hidden_weights.shape[2]
        out["hidden_weights"][rows, :, :w] = res["hidden_weights"]
        out["hidden_bias"][rows, :w] = res["hidden_bias"][:, 0]
        out["output_weights"][rows, :w] = res["output_weights"]
        out["output_bias"][rows] = res["output_bias"][:, 0]
    data_vars = {
        "total_loss": ("run", out["total_loss"]),
        "final_loss": ("run", out["final_loss"]),
        "converged_epoch": ("run", out["converged_epoch"]),
        "converged": ("run", ~np.isnan(out["converged_epoch"])),
        "last_wrong": ("run", out["last_wrong"]),
        "loss_sum": (("run", "loss_part"), out["loss_sum"]),
        "pending": (("run", "pending_epoch", "sample", "output"), out["pending"]),
        **{name: (("run", *dims), out[name]) for name, dims in _PARAM_DIMS.items()},
    }
    coords = {"run": np.arange(runs), **{k: ("run", _column(links[k])) for k in LINK}}
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update({k: attrs[k] for k in _KEPT if k in attrs})
    for name in _SHARED:
        values = list(dict.fromkeys(links[name].tolist()))
        ds.attrs[name] = values[0] if len(values) == 1 else values
    ds.attrs.update(
        update=state.update,
        engine=state.engine,
        epochs=state.epoch,
        first_epoch=trained,
        schema=CONTINUED_SCHEMA,
    )
    ds.converged_epoch.attrs.update(long_name="first epoch from which all predictions are right")
    return ds


def _column(values: pd.Series) -> np.ndarray:
    """A link column as a coordinate: numbers as they are, names as Python strings."""
    array = values.to_numpy()
    return array.astype(object) if array.dtype.kind in "OUT" else array


def _stored(
    store: str | os.PathLike, source: xr.Dataset, epochs: int, links: pd.DataFrame
) -> xr.Dataset:
    """The continued runs already in ``store``, if they are this request's; else a ValueError."""
    held = open_continued(store)
    mismatch = [
        k
        for k in ("seed", "data", "data_table", "update")
        if k in source.attrs and held.attrs.get(k) != source.attrs[k]
    ]
    if held.attrs.get("epochs") != epochs:
        mismatch.append("epochs")
    if held.attrs.get("first_epoch") != int(source.attrs["epochs"]):
        mismatch.append("first_epoch")
    stored = run_links(held)
    same_runs = len(stored) == len(links) and all(
        stored[k].tolist() == links[k].tolist() for k in LINK
    )
    if not same_runs:
        mismatch.append("runs")
    if mismatch:
        raise ValueError(
            f"store {store} holds continued runs of another configuration (different "
            f"{', '.join(mismatch)}): choose another path"
        )
    return held
