"""Basin maps after Kolen and Pollack (1990): training outcomes over a plane of initial networks.

Kolen and Pollack trained the 2-2-1 XOR network from every point of a 2-D
slice through weight space and coloured each point by the epochs it needed:
the convergent region had cliffy, ring-like boundaries that grew with the
training length. Here a slice is a plane of packed parameter vectors

    theta(alpha, beta) = origin + alpha * d_alpha + beta * d_beta

on an ``a x b`` grid of (alpha, beta), made by :func:`direction_slice` (two
directions through a reference network) or :func:`parameter_slice` (two
entries of the reference varied, the rest fixed). :func:`basin_map` trains
every network of a slice with :func:`xorsweep.train`'s trainer and returns the
outcomes over (alpha, beta), at one or several training lengths from one run
of training; :func:`basin_summary` gives the converged share and the
boundary's cliffiness at each length. Parameters are packed as in
:func:`xorsweep.model.network.unpack_parameters`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._core.checks import check_count, check_real
from ..model.network import PARAMETER_NAMES, Population, n_parameters, parameter_shapes
from ..model.truth_tables import TruthTable, truth_table, xor
from ..training.state import TrainingState, train_on_arrays
from ..training.trainer import ARTICLE_EPOCHS, ARTICLE_LR, DEFAULT_BLOCK
from .end_states import END_STATES, Tolerances, classify, measure

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "BasinSlice",
    "MAP_CHUNK",
    "MAX_SIDE",
    "basin_map",
    "basin_summary",
    "boundary_share",
    "direction_slice",
    "parameter_labels",
    "parameter_slice",
]

#: Most grid points along each axis of a slice (2048 x 2048 networks hold 300 MB of parameters).
MAX_SIDE = 2048

#: Networks trained and diagnosed together by :func:`basin_map`: bounds the memory of the
#: end-state measures, whatever the size of the map; results do not depend on it.
MAP_CHUNK = 65_536


@dataclass(frozen=True, eq=False)
class BasinSlice:
    """The initial networks of a 2-D slice, ``origin + alpha * d_alpha + beta * d_beta``.

    Parameters
    ----------
    population : Population
        ``a * b`` networks; run ``i * b + j`` is the grid point ``(alpha[i], beta[j])``.
    alpha : ndarray, shape (a,)
    beta : ndarray, shape (b,)
        Coordinates along the two directions, increasing.
    origin : ndarray, shape (p,)
        The packed parameters at ``alpha = beta = 0``.
    directions : ndarray, shape (2, p)
        ``d_alpha`` and ``d_beta``, packed.
    labels : tuple of str
        What ``alpha`` and ``beta`` measure, for tables and figures.
    """

    population: Population
    alpha: np.ndarray
    beta: np.ndarray
    origin: np.ndarray
    directions: np.ndarray
    labels: tuple[str, str]

    def __post_init__(self) -> None:
        pop = self.population
        p = n_parameters(pop.n_in, pop.hidden, pop.n_out)
        arrays = {"alpha": (-1,), "beta": (-1,), "origin": (p,), "directions": (2, p)}
        for name, shape in arrays.items():
            arr = np.array(getattr(self, name), dtype=np.float64)
            if arr.ndim != len(shape) or (arr.shape[-1] != p and name in ("origin", "directions")):
                raise ValueError(f"{name} must have shape {shape} (-1: any), got {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if pop.runs != self.alpha.size * self.beta.size:
            raise ValueError(
                f"population must hold len(alpha) * len(beta) = {self.alpha.size * self.beta.size} "
                f"networks, got {pop.runs}"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """Grid points along alpha and beta, ``(a, b)``."""
        return (self.alpha.size, self.beta.size)


def parameter_labels(n_in: int, hidden: int, n_out: int) -> list[str]:
    """Names of the packed parameters, such as ``"hidden_weights[0, 1]"``, in packing order.

    >>> parameter_labels(2, 2, 1)[:3], parameter_labels(2, 2, 1)[-1]
    (['hidden_weights[0, 0]', 'hidden_weights[0, 1]', 'hidden_weights[1, 0]'], 'output_bias[0, 0]')
    """
    return [
        f"{name}[{i}, {j}]"
        for name, (rows, cols) in parameter_shapes(n_in, hidden, n_out).items()
        for i in range(rows)
        for j in range(cols)
    ]


def _check_reference(reference: object) -> Population:
    if not isinstance(reference, Population):
        raise TypeError(
            "reference must be a xorsweep.Population of one network, "
            f"got {type(reference).__name__}"
        )
    if reference.runs != 1:
        raise ValueError(
            f"reference must hold exactly one network, got {reference.runs}; "
            "select one with population[k]"
        )
    return reference


def _packed(pop: Population) -> np.ndarray:
    """The parameters of the first network of ``pop`` as one vector, in packing order."""
    return np.concatenate([getattr(pop, name)[0].reshape(-1) for name in PARAMETER_NAMES])


def _axis(value: object, n: int, name: str) -> np.ndarray:
    """Grid coordinates: a number ``e`` centred on 0, or a pair ``(low, high)``; shape (n,).

    ``e`` gives ``e * (k - n // 2) / (n // 2)`` for ``k = 0 .. n - 1``: from ``-e``
    to ``e`` for odd ``n`` (one step short of ``e`` for even ``n``), 0 exactly at ``n // 2``.
    """
    allowed = (
        f"{name} must be a finite number > 0 or a pair (low, high) of finite numbers, low < high"
    )
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        extent = float(value)
        if not (np.isfinite(extent) and extent > 0):
            raise ValueError(f"{allowed}, got {value!r}")
        half = n // 2
        return extent * ((np.arange(n) - half) / half)
    if isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2:
        pair = [v for v in value if isinstance(v, numbers.Real) and not isinstance(v, bool)]
        if len(pair) == 2 and np.all(np.isfinite(pair)) and float(pair[0]) < float(pair[1]):
            return np.linspace(float(pair[0]), float(pair[1]), n)
    raise ValueError(f"{allowed}, got {value!r}")


def _plane(
    origin: np.ndarray,
    directions: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    reference: Population,
    labels: tuple[str, str],
) -> BasinSlice:
    """The slice's networks: ``origin + alpha[i] * d_alpha + beta[j] * d_beta``, run ``i*b + j``."""
    theta = origin + alpha[:, None, None] * directions[0]  # (a, 1, p)
    theta = (theta + beta[None, :, None] * directions[1]).reshape(alpha.size * beta.size, -1)
    params, start = {}, 0
    for name, shape in parameter_shapes(reference.n_in, reference.hidden, reference.n_out).items():
        stop = start + shape[0] * shape[1]
        params[name] = theta[:, start:stop].reshape(-1, *shape)
        start = stop
    return BasinSlice(Population(**params), alpha, beta, origin, directions, labels)


def _random_directions(p: int, seed: object) -> np.ndarray:
    """Two orthonormal directions in R^p from ``seed``, by Gram-Schmidt on two normals."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    first, second = rng.standard_normal((2, p))
    first /= np.linalg.norm(first)
    second -= (second @ first) * first
    return np.stack([first, second / np.linalg.norm(second)])


def _check_directions(directions: object, p: int) -> np.ndarray:
    arr = np.asarray(directions)
    if arr.dtype.kind not in "iuf" or arr.shape != (2, p):
        raise ValueError(
            f"directions must be a real array of shape (2, {p}): two packed parameter vectors, "
            f"got {arr.dtype} of shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or np.linalg.matrix_rank(arr) < 2:
        raise ValueError("directions must be finite and linearly independent (neither zero)")
    return arr


def direction_slice(
    reference: Population,
    n: int,
    extent: float | tuple[float, float] = 1.0,
    *,
    directions: np.ndarray | None = None,
    relative: bool = True,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
) -> BasinSlice:
    """The ``n x n`` networks of a plane through ``reference`` spanned by two directions.

    Parameters
    ----------
    reference : Population
        One network (``population[k]``): the slice's origin.
    n : int
        Grid points along each axis, from 2 to :data:`MAX_SIDE`.
    extent : float or (float, float)
        The range of ``alpha`` and of ``beta``: a number ``e`` gives a grid from
        ``-e`` to ``e`` with the reference exactly at point ``(n // 2, n // 2)``
        (for even ``n`` the grid stops one step short of ``+e``); a pair
        ``(low, high)`` gives ``linspace(low, high, n)``.
    directions : array_like, shape (2, p), optional
        Two packed parameter vectors (p = :func:`xorsweep.model.network.n_parameters`),
        linearly independent, used as given. By default two random orthonormal ones.
    relative : bool
        Whether ``alpha`` and ``beta`` are in units of the reference's parameter
        norm (the stored directions are scaled by it) or absolute.
    seed : int, SeedSequence, Generator or None
        Source of the random directions.

    Returns
    -------
    BasinSlice

    Examples
    --------
    >>> from xorsweep import init_population
    >>> ref = init_population(1, seed=3)
    >>> s = direction_slice(ref, 5, extent=0.5, seed=0)
    >>> s.population.runs, s.alpha.tolist()
    (25, [-0.5, -0.25, 0.0, 0.25, 0.5])
    >>> s.population[2 * 5 + 2] == ref
    True
    """
    reference = _check_reference(reference)
    n = check_count(n, "n", minimum=2, maximum=MAX_SIDE)
    coords = _axis(extent, n, "extent")
    p = n_parameters(reference.n_in, reference.hidden, reference.n_out)
    if directions is None:
        directions = _random_directions(p, seed)
    else:
        directions = _check_directions(directions, p)
    origin = _packed(reference)
    if not isinstance(relative, bool):
        raise TypeError(f"relative must be True or False, got {relative!r}")
    if relative:
        norm = float(np.linalg.norm(origin))
        if norm == 0.0:
            raise ValueError("relative=True needs a reference with nonzero parameters (norm 0)")
        directions = directions * norm
    unit = "reference norm" if relative else "absolute"
    labels = (f"direction 1 ({unit})", f"direction 2 ({unit})")
    return _plane(origin, directions, coords, coords.copy(), reference, labels)


def _entry(value: object, name: str, reference: Population) -> tuple[int, str]:
    """The packed position and label of a named entry such as ``("hidden_weights", (0, 1))``."""
    form = f"{name} must be (parameter name, (row, column)) with a name of {PARAMETER_NAMES}"
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"{form}, got {value!r}")
    param, index = value
    shapes = parameter_shapes(reference.n_in, reference.hidden, reference.n_out)
    if param not in shapes:
        raise ValueError(f"{name} names no parameter: {param!r}; one of {PARAMETER_NAMES}")
    rows, cols = shapes[param]
    ints = isinstance(index, (tuple, list)) and len(index) == 2
    ints = ints and all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in index)
    if not (ints and 0 <= index[0] < rows and 0 <= index[1] < cols):
        raise ValueError(
            f"{name} index {index!r} is out of range for {param} of shape ({rows}, {cols}): "
            f"(row, column) with 0 <= row < {rows} and 0 <= column < {cols}"
        )
    offset = 0
    for other, (r, c) in shapes.items():
        if other == param:
            break
        offset += r * c
    return offset + int(index[0]) * cols + int(index[1]), f"{param}[{index[0]}, {index[1]}]"


def parameter_slice(
    reference: Population,
    n: int,
    alpha: tuple[str, tuple[int, int]],
    beta: tuple[str, tuple[int, int]],
    alpha_range: float | tuple[float, float],
    beta_range: float | tuple[float, float],
) -> BasinSlice:
    """The ``n x n`` networks of ``reference`` with two of its entries set over a grid.

    Parameters
    ----------
    reference : Population
        One network (``population[k]``); every other entry keeps its value.
    n : int
        Grid points along each axis, from 2 to :data:`MAX_SIDE`.
    alpha, beta : (str, (int, int))
        Two different entries, a parameter name of :data:`xorsweep.PARAMETER_NAMES`
        and its (row, column) in :class:`xorsweep.Population`'s layout (a bias is
        one row: ``("output_bias", (0, 0))``).
    alpha_range, beta_range : float or (float, float)
        The entries' values: ``e`` from ``-e`` to ``e`` (0 exactly at ``n // 2``),
        or ``(low, high)``, as ``extent`` in :func:`direction_slice`.

    Returns
    -------
    BasinSlice
        Directions are the two unit vectors; the origin is the reference with the
        two entries 0, so every network holds exactly the grid's values there.

    Examples
    --------
    >>> from xorsweep import init_population
    >>> ref = init_population(1, seed=3)
    >>> s = parameter_slice(ref, 3, ("hidden_weights", (0, 1)), ("output_bias", (0, 0)), 4, (-1, 1))
    >>> s.population.hidden_weights[:, 0, 1].tolist(), s.population.output_bias[:3, 0, 0].tolist()
    ([-4.0, -4.0, -4.0, 0.0, 0.0, 0.0, 4.0, 4.0, 4.0], [-1.0, 0.0, 1.0])
    """
    reference = _check_reference(reference)
    n = check_count(n, "n", minimum=2, maximum=MAX_SIDE)
    (k_alpha, label_alpha), (k_beta, label_beta) = (
        _entry(alpha, "alpha", reference),
        _entry(beta, "beta", reference),
    )
    if k_alpha == k_beta:
        raise ValueError(f"alpha and beta must be different entries, both are {label_alpha}")
    coords_alpha = _axis(alpha_range, n, "alpha_range")
    coords_beta = _axis(beta_range, n, "beta_range")
    origin = _packed(reference)
    origin[[k_alpha, k_beta]] = 0.0
    directions = np.zeros((2, origin.size))
    directions[0, k_alpha] = directions[1, k_beta] = 1.0
    return _plane(
        origin, directions, coords_alpha, coords_beta, reference, (label_alpha, label_beta)
    )


def _check_lengths(epochs: object) -> tuple[list[int], bool]:
    """Training lengths, strictly increasing, and whether one number was given."""
    if isinstance(epochs, numbers.Integral) and not isinstance(epochs, bool):
        return [check_count(epochs, "epochs", minimum=0)], True
    try:
        lengths = [check_count(e, "epochs", minimum=0) for e in epochs]  # type: ignore[attr-defined]
    except TypeError:
        raise ValueError(
            f"epochs must be an integer >= 0 or a list of them, strictly increasing, got {epochs!r}"
        ) from None
    if not lengths or any(b <= a for a, b in zip(lengths, lengths[1:], strict=False)):
        raise ValueError(f"epochs must be a non-empty list strictly increasing, got {lengths}")
    return lengths, False


def _train_stages(
    pop: Population, lengths: list[int], lr: float, options: dict, tol: Tolerances
) -> dict[str, np.ndarray]:
    """Train ``pop`` to each length in turn, going on from the last (:func:`xorsweep.train_on`:
    the numbers of training to each length in one go, bit for bit); results (length, run)."""
    names = ("converged_epoch", "total_loss", "final_loss", "state")
    out: dict[str, list[np.ndarray]] = {name: [] for name in names}
    block_size = options.pop("block_size")
    state = TrainingState.start(pop, lr, **options)
    for length in lengths:
        res, state = train_on_arrays(state, length, block_size=block_size)
        for name in names[:3]:
            out[name].append(res[name])
        measured = measure(
            state.population, options["data"], tol=tol, activation=options["activation"]
        )
        out["state"].append(classify(measured))
    return {name: np.stack(values) for name, values in out.items() if values}


def basin_map(
    slice_: BasinSlice,
    epochs: int | list[int] = ARTICLE_EPOCHS,
    lr: float = ARTICLE_LR,
    *,
    data: TruthTable | str | None = None,
    update: str = "article",
    activation: str = "sigmoid",
    gradient: str = "sum",
    tol: Tolerances = Tolerances(),  # noqa: B008 - frozen, so one shared default is safe
    block_size: int = DEFAULT_BLOCK,
    engine: str = "auto",
) -> xr.Dataset:
    """Train every network of a slice and map the outcomes over (alpha, beta).

    Parameters
    ----------
    slice_ : BasinSlice
        From :func:`direction_slice` or :func:`parameter_slice`.
    epochs : int or list of int
        The training length, or several, strictly increasing: one training
        run continued from each length to the next, the same numbers as
        training to each length directly, bit for bit.
    lr : float
        Learning rate, one for all networks.
    data, update, activation, gradient, block_size, engine
        As in :func:`xorsweep.train`.
    tol : Tolerances
        Thresholds of the end states (:mod:`xorsweep.analysis.end_states`).

    Returns
    -------
    xarray.Dataset
        Over (``epochs``, ``alpha``, ``beta``), without ``epochs`` for one length:
        ``converged_epoch`` (as in :func:`xorsweep.train`: the first epoch from
        which every prediction is right up to the end; NaN if the last is wrong),
        ``converged``, ``total_loss``, ``final_loss`` and ``state`` (the end-state
        class, :func:`xorsweep.analysis.end_states.classify`, for any activation). Over
        ``parameter``: ``origin``,
        ``direction_alpha``, ``direction_beta``: the slice.

    Notes
    -----
    A network right at one length may be wrong at a longer one (a step can
    push an output back across 0.5), so the converged share need not grow with
    the length; the convergence epoch never decreases where it is defined.

    Examples
    --------
    >>> from xorsweep import init_population
    >>> s = direction_slice(init_population(1, seed=3), 4, seed=0)
    >>> ds = basin_map(s, epochs=[100, 300], lr=1.0)
    >>> dict(ds.sizes), ds.state.dims
    ({'epochs': 2, 'alpha': 4, 'beta': 4, 'parameter': 9}, ('epochs', 'alpha', 'beta'))
    """
    if not isinstance(slice_, BasinSlice):
        raise TypeError(f"slice_ must be a BasinSlice (see direction_slice), got {slice_!r}")
    lengths, single = _check_lengths(epochs)
    lr = check_real(lr, "lr", 0.0)
    if not isinstance(tol, Tolerances):
        raise TypeError(
            f"tol must be a xorsweep.analysis.end_states.Tolerances, got {type(tol).__name__}"
        )
    table = xor() if data is None else truth_table(data)
    options = dict(data=table, update=update, activation=activation, gradient=gradient)
    pop = slice_.population
    options.update(engine=engine, block_size=block_size)
    parts = [
        _train_stages(pop[start : start + MAP_CHUNK], lengths, lr, dict(options), tol)
        for start in range(0, pop.runs, MAP_CHUNK)
    ]
    results = {name: np.concatenate([p[name] for p in parts], axis=1) for name in parts[0]}
    attrs = dict(lr=lr, update=update, activation=activation, gradient=gradient, data=table.name)
    ds = _to_dataset(results, slice_, lengths, attrs)
    return ds.isel(epochs=0) if single else ds


def _to_dataset(
    results: dict[str, np.ndarray], slice_: BasinSlice, lengths: list[int], attrs: dict
) -> xr.Dataset:
    import xarray as xr  # here: the slices do without it

    dims = ("epochs", "alpha", "beta")
    grid = (len(lengths), *slice_.shape)
    variables = {name: (dims, value.reshape(grid)) for name, value in results.items()}
    variables["converged"] = (dims, ~np.isnan(results["converged_epoch"]).reshape(grid))
    variables["origin"] = ("parameter", slice_.origin)
    variables["direction_alpha"] = ("parameter", slice_.directions[0])
    variables["direction_beta"] = ("parameter", slice_.directions[1])
    pop = slice_.population
    coords = {
        "epochs": lengths,
        "alpha": slice_.alpha,
        "beta": slice_.beta,
        "parameter": parameter_labels(pop.n_in, pop.hidden, pop.n_out),
    }
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs.update(attrs, alpha_label=slice_.labels[0], beta_label=slice_.labels[1])
    ds.alpha.attrs.update(long_name=slice_.labels[0])
    ds.beta.attrs.update(long_name=slice_.labels[1])
    ds.converged_epoch.attrs.update(long_name="first epoch from which all predictions are right")
    return ds


def boundary_share(outcome: xr.DataArray) -> xr.DataArray:
    """The share of neighbouring grid points with different outcomes: the boundary's cliffiness.

    Pairs are the points next to each other along ``alpha`` or along ``beta``.
    A straight boundary across an ``n x n`` map gives about ``1 / n``; ring-like,
    ragged or scattered boundaries give more.

    Parameters
    ----------
    outcome : xarray.DataArray
        Over ``alpha`` and ``beta`` (and any other dimensions, kept), such as
        ``converged`` or ``state`` of :func:`basin_map`; compared with ``!=``.

    Returns
    -------
    xarray.DataArray
        Over the other dimensions, values in [0, 1].

    Examples
    --------
    >>> import xarray as xr
    >>> half = xr.DataArray(np.arange(16).reshape(4, 4) >= 8, dims=("alpha", "beta"))
    >>> float(boundary_share(half))  # 4 of the 24 pairs cross the line
    0.16666666666666666
    """
    import xarray as xr

    if not isinstance(outcome, xr.DataArray) or not {"alpha", "beta"} <= set(outcome.dims):
        raise ValueError("outcome must be an xarray.DataArray over 'alpha' and 'beta'")
    rest = [d for d in outcome.dims if d not in ("alpha", "beta")]
    values = outcome.transpose(*rest, "alpha", "beta").values
    along_alpha = values[..., 1:, :] != values[..., :-1, :]
    along_beta = values[..., :, 1:] != values[..., :, :-1]
    a, b = values.shape[-2:]
    pairs = (a - 1) * b + a * (b - 1)
    differ = along_alpha.sum(axis=(-2, -1)) + along_beta.sum(axis=(-2, -1))
    return xr.DataArray(
        differ / pairs, dims=rest, coords={d: outcome[d] for d in rest if d in outcome.coords}
    )


def basin_summary(ds: xr.Dataset) -> xr.Dataset:
    """The converged share, the end-state shares and the boundaries' cliffiness of a map.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`basin_map`.

    Returns
    -------
    xarray.Dataset
        Over ``epochs`` (if the map has it): ``converged_share`` (of the slice's
        networks), ``median_converged_epoch`` (of those converged; NaN if none),
        ``boundary_converged`` (:func:`boundary_share` of ``converged``) and, with
        ``state``, ``boundary_state`` and ``state_share`` over ``state``
        (:data:`xorsweep.analysis.end_states.END_STATES`, adding to 1).
    """
    import xarray as xr

    if not isinstance(ds, xr.Dataset) or not {"converged", "converged_epoch"} <= set(ds):
        raise ValueError("ds must be a basin map Dataset with 'converged' (see basin_map)")
    plane = ("alpha", "beta")
    out = xr.Dataset(
        {
            "converged_share": ds.converged.mean(plane),
            "median_converged_epoch": ds.converged_epoch.median(plane),
            "boundary_converged": boundary_share(ds.converged),
        }
    )
    if "state" in ds:
        out["boundary_state"] = boundary_share(ds.state)
        names = xr.DataArray(list(END_STATES), dims="state", coords={"state": list(END_STATES)})
        out["state_share"] = (ds.state == names).mean(plane)
    return out
