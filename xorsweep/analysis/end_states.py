"""End states: what a network that still fails after training is doing, from its parameters.

Every quantity is computed for a whole population at once from the parameter
tensors (and the gradient they imply), so it applies to the trained networks
of :func:`xorsweep.train` or to any snapshot. The central notion is *merged
samples*: two samples whose hidden vectors coincide (within ``Tolerances.same``)
look the same to the output layer, which can then do no better than output the
mean of their targets. With ``k`` merged samples of mixed targets the loss
cannot fall below ``merge_floor``: for XOR, 2 merged samples (one of each
target) give ``log 2 / 2``, 3 merged (two to one) give ``3 H(1/3) / 4 = 0.477``
and all 4 give ``log 2`` -- the three final-loss groups of failed runs. When
every hidden unit is saturated on the merged samples (its slope relative to the
activation's steepest, ``4 h (1 - h)`` for the sigmoid, below
``Tolerances.saturation``), the gradient that could pull them apart vanishes,
and gradient descent only drives the weights outward: the network is stuck.

Classes, each a predicate on :func:`measure`'s result (a network may satisfy
several; :func:`classify` takes the first in :data:`END_STATES` order):

``converged``
    Every sample right (the clipped probability of the target > 0.5, as in
    :func:`xorsweep.train`).
``stuck``
    A wrong sample is merged with samples of another target, and every hidden
    unit is saturated on all of them.
``plateau``
    Failing with a tiny gradient, and a wrong sample's output is undecided
    (near 0.5): near a saddle, such as the small-std start where both hidden
    units are nearly constant.
``symmetric``
    Failing, and two live hidden units compute the same or the mirrored
    feature (``f(-z) = c - f(z)``: ``c`` 1 for the sigmoid, 0 for tanh; ReLU
    has no mirror): the network has in effect fewer units.

Any width and any hidden activation of :data:`xorsweep.model.activations.TABLE`
(``activation=``): an activation's steepest slope and its mirror are read from
its entry's function and slope. The measures are of the parameters and the
loss's gradient, whatever optimiser trained them.
``slow``
    Failing with a gradient that is not tiny: still moving.
``other``
    Failing in none of the ways above.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.checks import check_count, check_real
from ..model.activations import activate, check_activation, slope
from ..model.network import CLIP, PARAMETER_NAMES, Population, sigmoid
from ..model.truth_tables import TruthTable, truth_table, xor

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "END_STATES",
    "LOSS_GROUPS",
    "Tolerances",
    "classify",
    "diagnose",
    "gradient",
    "is_converged",
    "is_plateau",
    "is_slow",
    "is_stuck",
    "is_symmetric",
    "loss_group",
    "measure",
    "state_shares",
]

#: The end-state classes, in the order :func:`classify` tries them.
END_STATES = ("converged", "stuck", "plateau", "symmetric", "slow", "other")

#: The final-loss groups of failed runs: name -> (low, high) bounds on the mean loss.
LOSS_GROUPS = {
    "log 2 / 2": (np.log(2) / 2 - 0.05, np.log(2) / 2 + 0.05),
    "about 0.5": (0.4, 0.6),
    "log 2": (np.log(2) - 0.05, np.log(2) + 0.05),
}


@dataclass(frozen=True)
class Tolerances:
    """Thresholds of the end-state classes.

    Parameters
    ----------
    same : float
        Two hidden outputs closer than this are equal: samples whose hidden
        vectors differ by less in every unit are merged; units whose outputs
        differ by less on every sample compute the same feature; a unit whose
        outputs span less is dead (constant).
    saturation : float
        A unit is saturated on a sample where its slope relative to the
        activation's steepest (``4 h (1 - h)`` for the sigmoid) is below this
        (``|z| > 6`` for 0.01).
    undecided : float
        An output is undecided where ``|y_hat - 0.5|`` is below this.
    gradient : float
        A gradient (of the loss summed over samples, the one the article's
        step follows) is tiny below this norm: at learning rate 0.1 the
        parameters then move less than 1e-4 per epoch.
    """

    same: float = 0.05
    saturation: float = 0.01
    undecided: float = 0.05
    gradient: float = 1e-3

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            check_real(value, f"tol.{name}", 0.0, strict=True)


def _as_population(value: object, name: str) -> Population:
    """A Population, or one rebuilt from the trained parameters of a ``train`` Dataset."""
    if isinstance(value, Population):
        return value
    if all(hasattr(value, "data_vars") and n in value.data_vars for n in PARAMETER_NAMES):
        arrays = {n: np.asarray(value[n].values) for n in PARAMETER_NAMES}
        if arrays["hidden_weights"].ndim != 3:
            raise ValueError(f"{name} must have parameters over (run, input, unit)")
        for bias in ("hidden_bias", "output_bias"):
            arrays[bias] = arrays[bias][:, None]  # (run, 1, units)
        if arrays["output_weights"].ndim == 2:  # one output: train drops the axis
            arrays["output_weights"] = arrays["output_weights"][:, :, None]
        return Population(**arrays)
    raise TypeError(
        f"{name} must be a xorsweep.Population or a Dataset of trained parameters, "
        f"got {type(value).__name__}"
    )


def _data(population: Population, data: TruthTable | str | None) -> TruthTable:
    table = xor() if data is None else truth_table(data)
    if (table.n_in, table.n_out) != (population.n_in, population.n_out):
        raise ValueError(
            f"data has {table.n_in} inputs and {table.n_out} outputs but the networks have "
            f"{population.n_in} and {population.n_out}"
        )
    return table


def _shape(activation: str) -> tuple[float, float | None]:
    """The activation's steepest slope and its mirror ``c`` (``f(-z) = c - f(z)``, or
    None), read from its table entry on a grid of ``z``.

    >>> _shape("sigmoid"), _shape("tanh"), _shape("relu")
    ((0.25, 1.0), (1.0, 0.0), (1.0, None))
    """
    z = np.linspace(-4.0, 4.0, 81)
    a, mirrored = activate(activation, z), activate(activation, -z)
    sums = a + mirrored
    mirror = float(np.round(sums[0], 12)) if np.ptp(sums) < 1e-12 else None
    return float(np.max(slope(activation, a))), mirror


def _forward(
    pop: Population, table: TruthTable, activation: str = "sigmoid"
) -> tuple[np.ndarray, np.ndarray]:
    """Hidden outputs (r, s, h) and output logits (r, s, o)."""
    logits = np.einsum("si,rih->rsh", table.inputs, pop.hidden_weights) + pop.hidden_bias
    hid = activate(activation, logits)
    return hid, np.einsum("rsh,rho->rso", hid, pop.output_weights) + pop.output_bias


def gradient(
    population: Population, data: TruthTable | str | None = None, activation: str = "sigmoid"
) -> dict[str, np.ndarray]:
    """Gradient of the binary cross-entropy summed over samples, for every network.

    This is the direction of the article's update divided by the learning
    rate, with every layer's gradient taken at the same parameters
    (``update="simultaneous"``): one step of :func:`xorsweep.train` with that
    update is ``parameters - lr * gradient``.

    Parameters
    ----------
    population : Population or xarray.Dataset
        Networks (or a ``train`` result, whose trained parameters are used).
    data : TruthTable or str, optional
        Training data; XOR by default.
    activation : str
        The hidden layer's, one of :data:`xorsweep.model.activations.ACTIVATIONS`.

    Returns
    -------
    dict of str to ndarray
        One array per name of :data:`xorsweep.PARAMETER_NAMES`, shaped like
        that parameter, e.g. ``hidden_weights`` (run, in, hidden).
    """
    pop = _as_population(population, "population")
    table = _data(pop, data)
    hid, z = _forward(pop, table, check_activation(activation))
    err = sigmoid(z) - table.targets  # (r, s, o): y_hat - y
    delta = np.einsum("rso,rho->rsh", err, pop.output_weights) * slope(activation, hid)
    return {
        "hidden_weights": np.einsum("si,rsh->rih", table.inputs, delta),
        "hidden_bias": delta.sum(axis=1, keepdims=True),
        "output_weights": np.einsum("rsh,rso->rho", hid, err),
        "output_bias": err.sum(axis=1, keepdims=True),
    }


def _flat(params: dict[str, np.ndarray]) -> np.ndarray:
    """All parameters of each run as one vector, shape (run, n)."""
    return np.concatenate([params[n].reshape(params[n].shape[0], -1) for n in PARAMETER_NAMES], 1)


def _merges(
    hid: np.ndarray, targets: np.ndarray, saturated: np.ndarray, same: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merged and trapped samples (r, s) and the loss floor of the merges (r,).

    ``hid`` (r, s, h), ``targets`` (s, o), ``saturated`` (r, s): saturated in
    every hidden unit. Samples are grouped by chains of close hidden vectors.
    """
    samples = hid.shape[1]
    close = (np.abs(hid[:, :, None, :] - hid[:, None, :, :]) < same).all(axis=-1)  # (r, s, s)
    group = close.astype(np.int64)
    for _ in range(int(np.ceil(np.log2(max(samples - 1, 1))))):  # paths of length 2, 4, ...
        group = (group @ group > 0).astype(np.int64)
    mean = np.einsum("rst,to->rso", group, targets) / group.sum(axis=-1)[..., None]
    merged = ((mean > 0) & (mean < 1)).any(axis=-1)  # the group holds another target
    trapped = merged & ~((group > 0) & ~saturated[:, None, :]).any(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(mean * np.log(mean) + (1 - mean) * np.log1p(-mean))
    floor = np.where((mean > 0) & (mean < 1), entropy, 0.0).mean(axis=(1, 2))
    return merged, trapped, floor


def _duplicates(hid: np.ndarray, live: np.ndarray, same: float, mirror: float | None) -> np.ndarray:
    """Whether two live units compute the same or the mirrored feature (their outputs sum
    to ``mirror``; None: none), (r,) from (r, s, h)."""
    units = hid.shape[2]
    pairs = np.abs(hid[:, :, :, None] - hid[:, :, None, :]).max(axis=1) < same
    if mirror is not None:
        pairs |= np.abs(hid[:, :, :, None] + hid[:, :, None, :] - mirror).max(axis=1) < same
    pairs &= live[:, :, None] & live[:, None, :]
    return (pairs & np.triu(np.ones((units, units), bool), k=1)).any(axis=(1, 2))


def _motion(
    pop: Population, previous: object, epochs_between: object, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Growth of the parameter norm and distance moved per epoch since ``previous``, (r,)."""
    if previous is None:
        if epochs_between is not None:
            raise ValueError("epochs_between needs previous, the earlier snapshot")
        return np.full(pop.runs, np.nan), np.full(pop.runs, np.nan)
    before = _as_population(previous, "previous")
    if before.hidden_weights.shape != pop.hidden_weights.shape or before.n_out != pop.n_out:
        raise ValueError(
            f"previous must be networks of the same shape as population ({pop!r}), got {before!r}"
        )
    if epochs_between is None:
        raise ValueError("epochs_between must be given with previous (an integer >= 1)")
    steps = check_count(epochs_between, "epochs_between")
    old = _flat(before.parameters())
    growth = (np.linalg.norm(theta, axis=1) - np.linalg.norm(old, axis=1)) / steps
    return growth, np.linalg.norm(theta - old, axis=1) / steps


def measure(
    population: Population,
    data: TruthTable | str | None = None,
    *,
    previous: Population | None = None,
    epochs_between: int | None = None,
    tol: Tolerances = Tolerances(),  # noqa: B008 - frozen, so one shared default is safe
    activation: str = "sigmoid",
) -> dict[str, np.ndarray]:
    """The quantities that define the end states, for every network.

    Parameters
    ----------
    population : Population or xarray.Dataset
        The networks (or a ``train`` result: its trained parameters).
    data : TruthTable or str, optional
        Training data; XOR by default.
    previous : Population or xarray.Dataset, optional
        The same networks ``epochs_between`` epochs earlier, for ``growth``
        and ``speed``.
    epochs_between : int, optional
        Epochs between ``previous`` and ``population``, >= 1.
    tol : Tolerances
        Thresholds.
    activation : str
        The hidden layer's, one of :data:`xorsweep.model.activations.ACTIVATIONS`.

    Returns
    -------
    dict of str to ndarray
        Over (run,): ``grad_norm`` (:func:`gradient`'s norm), ``tiny_gradient``,
        ``weight_norm``, ``outward`` (cosine between the descent direction
        and the parameters: > 0 when gradient descent grows the weights),
        ``merge_floor`` (the least loss the merges allow), ``duplicate``,
        ``growth`` and ``speed`` (per epoch since ``previous``, else NaN).
        Over (run, sample): ``wrong``, ``undecided``, ``merged`` (shares its
        hidden vector with a sample of another target), ``trapped`` (merged,
        and every unit saturated on its whole group). Over (run, unit):
        ``dead``. Over (run, sample, unit): ``hidden_output``,
        ``saturated``. Over (run, sample, output): ``output``.
    """
    pop = _as_population(population, "population")
    table = _data(pop, data)
    if not isinstance(tol, Tolerances):
        raise TypeError(
            f"tol must be a xorsweep.analysis.end_states.Tolerances, got {type(tol).__name__}"
        )
    activation = check_activation(activation)
    steepest, mirror = _shape(activation)
    hid, z = _forward(pop, table, activation)
    sign = 2.0 * table.targets - 1.0  # (s, o): +1 where the target is 1
    right = np.clip(sigmoid(sign * z), CLIP, 1.0 - CLIP) > 0.5  # the rule of train
    y_hat = sigmoid(z)
    saturated = slope(activation, hid) / steepest < tol.saturation
    dead = np.ptp(hid, axis=1) < tol.same
    merged, trapped, floor = _merges(hid, table.targets, saturated.all(axis=2), tol.same)
    theta, grad = _flat(pop.parameters()), _flat(gradient(pop, table, activation))
    grad_norm, weight_norm = np.linalg.norm(grad, axis=1), np.linalg.norm(theta, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        outward = np.nan_to_num(-np.sum(theta * grad, axis=1) / (grad_norm * weight_norm))
    growth, speed = _motion(pop, previous, epochs_between, theta)
    return {
        "grad_norm": grad_norm,
        "tiny_gradient": grad_norm < tol.gradient,
        "weight_norm": weight_norm,
        "outward": outward,
        "merge_floor": floor,
        "duplicate": _duplicates(hid, ~dead, tol.same, mirror),
        "growth": growth,
        "speed": speed,
        "wrong": ~right.all(axis=2),
        "undecided": (np.abs(y_hat - 0.5) < tol.undecided).any(axis=2),
        "merged": merged,
        "trapped": trapped,
        "dead": dead,
        "hidden_output": hid,
        "saturated": saturated,
        "output": y_hat,
    }


def _failing(m: dict[str, np.ndarray]) -> np.ndarray:
    return m["wrong"].any(axis=1)


def is_converged(m: dict[str, np.ndarray]) -> np.ndarray:
    """Every sample right; ``m`` from :func:`measure`. Shape (run,), bool."""
    return ~_failing(m)


def is_stuck(m: dict[str, np.ndarray]) -> np.ndarray:
    """A wrong sample is merged with another target's samples, all saturated in every unit."""
    return (m["wrong"] & m["trapped"]).any(axis=1)


def is_plateau(m: dict[str, np.ndarray]) -> np.ndarray:
    """Failing with a tiny gradient and an undecided output on a wrong sample."""
    return _failing(m) & m["tiny_gradient"] & (m["wrong"] & m["undecided"]).any(axis=1)


def is_symmetric(m: dict[str, np.ndarray]) -> np.ndarray:
    """Failing, with two live hidden units computing the same or the mirrored feature."""
    return _failing(m) & m["duplicate"]


def is_slow(m: dict[str, np.ndarray]) -> np.ndarray:
    """Failing with a gradient that is not tiny: still moving."""
    return _failing(m) & ~m["tiny_gradient"]


def classify(m: dict[str, np.ndarray]) -> np.ndarray:
    """Each network's end state: the first class of :data:`END_STATES` it belongs to.

    Parameters
    ----------
    m : dict of str to ndarray
        From :func:`measure`.

    Returns
    -------
    ndarray of str, shape (run,)
        One of :data:`END_STATES`; ``"other"`` if no predicate holds.

    Examples
    --------
    >>> from xorsweep import init_population
    >>> classify(measure(init_population(1, hidden_std=0.0, output_std=0.0))).tolist()
    ['plateau']
    """
    tests = (is_converged, is_stuck, is_plateau, is_symmetric, is_slow)
    return np.select([t(m) for t in tests], END_STATES[: len(tests)], default=END_STATES[-1])


def loss_group(final_loss: object) -> np.ndarray:
    """The final-loss group of each run: a name of :data:`LOSS_GROUPS`, else ``"other"``.

    Examples
    --------
    >>> loss_group([0.35, 0.477, 0.69, 0.01]).tolist()
    ['log 2 / 2', 'about 0.5', 'log 2', 'other']
    """
    loss = np.asarray(final_loss, dtype=np.float64)
    inside = [(low <= loss) & (loss <= high) for low, high in LOSS_GROUPS.values()]
    return np.select(inside, list(LOSS_GROUPS), default="other")


#: Dimensions of :func:`measure`'s arrays after ``run``, for :func:`diagnose`.
_DIMS = {
    "wrong": ("sample",),
    "undecided": ("sample",),
    "merged": ("sample",),
    "trapped": ("sample",),
    "dead": ("unit",),
    "hidden_output": ("sample", "unit"),
    "saturated": ("sample", "unit"),
    "output": ("sample", "output"),
}


def diagnose(
    population: Population | xr.Dataset,
    data: TruthTable | str | None = None,
    *,
    previous: Population | xr.Dataset | None = None,
    epochs_between: int | None = None,
    tol: Tolerances = Tolerances(),  # noqa: B008 - frozen, so one shared default is safe
    activation: str = "sigmoid",
) -> xr.Dataset:
    """Diagnose each network: its end state and the quantities behind it, as a Dataset over ``run``.

    Parameters
    ----------
    population, data, previous, epochs_between, tol, activation
        As in :func:`measure`. Coordinates along ``run`` of a Dataset
        ``population`` (such as a per-run ``hidden_std``) are kept.

    Returns
    -------
    xarray.Dataset
        ``state`` (run): one of :data:`END_STATES`; every array of
        :func:`measure` over ``run`` and ``sample``, ``unit`` (the hidden units), ``output``.

    Examples
    --------
    >>> import xorsweep as xs
    >>> trained = xs.train(xs.init_population(8, seed=1), epochs=3000)
    >>> states = diagnose(trained)
    >>> bool(((states.state == "converged") == trained.converged).all())
    True
    """
    import xarray as xr  # here: the NumPy functions above do without it

    m = measure(
        population,
        data,
        previous=previous,
        epochs_between=epochs_between,
        tol=tol,
        activation=activation,
    )
    variables = {name: (("run", *_DIMS.get(name, ())), value) for name, value in m.items()}
    variables["state"] = ("run", classify(m))
    coords: dict[str, Any] = {"run": np.arange(m["grad_norm"].shape[0])}
    if hasattr(population, "coords"):
        coords.update({k: c for k, c in population.coords.items() if c.dims == ("run",)})
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs.update({f"tol_{name}": value for name, value in asdict(tol).items()})
    return ds


def state_shares(states: xr.Dataset, by: Any = "hidden_std") -> xr.Dataset:
    """The share of runs in each end state, per value of ``by``.

    Parameters
    ----------
    states : xarray.Dataset
        With a ``state`` variable, from :func:`diagnose`.
    by : hashable or None
        A coordinate of ``states`` to group the runs by; None pools them.

    Returns
    -------
    xarray.Dataset
        ``runs_in_state`` and ``share`` over (``by``, ``state``) with
        ``state`` the names of :data:`END_STATES`, and ``runs`` over ``by``.
    """
    from .grouping import split_runs, stack_groups

    if not hasattr(states, "data_vars") or "state" not in states.data_vars:
        raise ValueError("states must be a Dataset with a 'state' variable (see diagnose)")
    labels, groups = split_runs(states, {"state": states["state"]}, by)
    rows = []
    for g in groups:
        count = np.array([np.sum(g["state"] == name) for name in END_STATES])
        rows.append(
            {"runs_in_state": count, "share": count / max(count.sum(), 1), "runs": count.sum()}
        )
    return stack_groups(labels, rows, ("state",), {"state": list(END_STATES)})
