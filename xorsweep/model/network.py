"""Populations of small two-layer networks stored as stacked tensors.

This module owns what every other one shares about a network: the sigmoid,
the clip of the loss, the packing of the parameters, the Glorot stds, the
widths allowed and how the initial parameters are drawn.
Letters used for shapes throughout the package: ``r`` run, ``s`` sample,
``i`` input, ``h`` hidden unit, ``o`` output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.checks import check_choice, check_count, check_finite, check_real_dtype, check_std

__all__ = [
    "Population",
    "init_population",
    "population_from_normals",
    "glorot_std",
    "sigmoid",
    "parameter_shapes",
    "n_parameters",
    "unpack_parameters",
    "PARAMETER_NAMES",
    "CLIP",
    "GLOROT_STD",
    "ARTICLE_OUTPUT_STD",
    "BIASES",
    "GLOROT",
    "MAX_HIDDEN",
    "check_hidden",
    "output_std_for",
]

#: The four parameter tensors of a population, in the article's names and packing order.
PARAMETER_NAMES = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")

#: Predictions are clipped to ``[CLIP, 1 - CLIP]`` before the logarithm, as in the article.
CLIP = 1e-15

#: Glorot's std of the 2 -> 2 hidden layer, 1/sqrt(2), computed as the article writes it;
#: ``glorot_std(2, 2)``, computed as sqrt(1/2), is the next float up.
GLOROT_STD = 1.0 / math.sqrt(2.0)

#: The article's output-layer std: Glorot's sqrt(2/3) for the 2 -> 1 layer, rounded.
ARTICLE_OUTPUT_STD = 0.8165

#: How the initial biases are drawn: like their layer's weights (the article) or zero (Glorot).
BIASES = ("scaled", "zero")

#: ``output_std="glorot"``: Glorot's std of the output layer, sqrt(2 / (hidden + n_out)),
#: at each width (:func:`output_std_for`).
GLOROT = "glorot"

#: The widest hidden layer accepted (the trainers' work arrays grow with it).
MAX_HIDDEN = 256


def check_hidden(value: object, name: str = "hidden") -> int:
    """A hidden width: an integer from 1 to :data:`MAX_HIDDEN`, returned as an int."""
    return check_count(value, name, minimum=1, maximum=MAX_HIDDEN)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise.

    Where ``exp(-z)`` overflows the result is 0, the correct limit, without a warning.

    >>> sigmoid(np.array([-800.0, 0.0, 800.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def parameter_shapes(n_in: int, hidden: int, n_out: int) -> dict[str, tuple[int, int]]:
    """One network's parameter tensors and their shapes, in packing order.

    >>> parameter_shapes(2, 2, 1)["hidden_weights"], n_parameters(2, 2, 1)
    ((2, 2), 9)
    """
    shapes = ((n_in, hidden), (1, hidden), (hidden, n_out), (1, n_out))
    return dict(zip(PARAMETER_NAMES, shapes, strict=True))


def n_parameters(n_in: int, hidden: int, n_out: int) -> int:
    """Numbers in one network's parameters: ``(in + 1) * hidden + (hidden + 1) * out``."""
    return sum(a * b for a, b in parameter_shapes(n_in, hidden, n_out).values())


def unpack_parameters(
    packed: np.ndarray, n_in: int, hidden: int, n_out: int, *, run_last: bool = False
) -> dict[str, np.ndarray]:
    """Views of the four tensors in a packed parameter array.

    The packing of one network: its tensors in :data:`PARAMETER_NAMES` order,
    each row-major, ``n_parameters(n_in, hidden, n_out)`` numbers in all.

    Parameters
    ----------
    packed : ndarray, shape (run, n) or, with ``run_last``, (n, run)
        Contiguous along the packing axis for the results to be views.
    n_in, hidden, n_out : int
        Layer widths.
    run_last : bool
        Whether the run axis is last.

    Returns
    -------
    dict of str to ndarray
        Each tensor, shape ``(run, *shape)`` or, with ``run_last``, ``(*shape, run)``.
    """
    out, start = {}, 0
    for name, shape in parameter_shapes(n_in, hidden, n_out).items():
        stop = start + shape[0] * shape[1]
        if run_last:
            out[name] = packed[start:stop].reshape(*shape, packed.shape[1])
        else:
            out[name] = packed[:, start:stop].reshape(packed.shape[0], *shape)
        start = stop
    return out


@dataclass(frozen=True, eq=False)
class Population:
    """``run`` independent networks ``in -> hidden -> out`` with sigmoid layers.

    All four tensors are float64 and finite, and agree on ``run``, ``hidden``
    and ``out``. They are copied on construction and read-only afterwards, so
    a population can be trained several times and always starts from the same
    parameters.

    Parameters
    ----------
    hidden_weights : ndarray, shape (run, in, hidden)
    hidden_bias : ndarray, shape (run, 1, hidden)
    output_weights : ndarray, shape (run, hidden, out)
    output_bias : ndarray, shape (run, 1, out)

    Examples
    --------
    >>> pop = init_population(3, hidden_std=0.5, seed=0)
    >>> pop.runs, pop.n_in, pop.hidden, pop.n_out
    (3, 2, 2, 1)
    >>> pop[1].hidden_weights.shape
    (1, 2, 2)
    """

    hidden_weights: np.ndarray
    hidden_bias: np.ndarray
    output_weights: np.ndarray
    output_bias: np.ndarray

    def __post_init__(self) -> None:
        arrays = {}
        for name in PARAMETER_NAMES:
            arr = check_real_dtype(getattr(self, name), name)
            if arr.ndim != 3:
                raise ValueError(f"{name} must be 3-D (run, ., .), got shape {arr.shape}")
            arr = check_finite(np.array(arr, dtype=np.float64, copy=True), name)
            arr.setflags(write=False)
            arrays[name] = arr
        runs, n_in, hidden = arrays["hidden_weights"].shape
        n_out = arrays["output_weights"].shape[2]
        expected = {
            name: (runs, *shape) for name, shape in parameter_shapes(n_in, hidden, n_out).items()
        }
        if runs < 1 or n_in < 1 or hidden < 1 or n_out < 1:
            raise ValueError(
                f"hidden_weights must have shape (run, in, hidden) with every size >= 1, "
                f"got {arrays['hidden_weights'].shape}"
            )
        for name, shape in expected.items():
            if arrays[name].shape != shape:
                raise ValueError(
                    f"{name} must have shape {shape} (run, in, hidden, out = {runs}, {n_in}, "
                    f"{hidden}, {n_out}), got {arrays[name].shape}"
                )
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)

    @property
    def runs(self) -> int:
        """Number of networks."""
        return int(self.hidden_weights.shape[0])

    @property
    def n_in(self) -> int:
        """Inputs per network."""
        return int(self.hidden_weights.shape[1])

    @property
    def hidden(self) -> int:
        """Hidden units per network."""
        return int(self.hidden_weights.shape[2])

    @property
    def n_out(self) -> int:
        """Outputs per network."""
        return int(self.output_weights.shape[2])

    def parameters(self) -> dict[str, np.ndarray]:
        """The four tensors by name, in :data:`PARAMETER_NAMES` order."""
        return {name: getattr(self, name) for name in PARAMETER_NAMES}

    def __len__(self) -> int:
        return self.runs

    def __getitem__(self, index: Any) -> Population:
        """Select runs (an int, slice, or index array); the result is a Population."""
        if isinstance(index, (int, np.integer)):
            if not -self.runs <= int(index) < self.runs:
                raise IndexError(f"run index {index} out of range for {self.runs} runs")
            index = slice(int(index), int(index) + 1 or None)
        return Population(**{k: v[index] for k, v in self.parameters().items()})

    @classmethod
    def concat(cls, populations: list[Population]) -> Population:
        """Stack populations of the same architecture along ``run``."""
        if not populations:
            raise ValueError("populations must hold at least one Population")
        return cls(
            **{
                name: np.concatenate([getattr(p, name) for p in populations])
                for name in PARAMETER_NAMES
            }
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Population):
            return NotImplemented
        return all(np.array_equal(getattr(self, n), getattr(other, n)) for n in PARAMETER_NAMES)

    def __repr__(self) -> str:
        return (
            f"Population(runs={self.runs}, in={self.n_in}, hidden={self.hidden}, out={self.n_out})"
        )


def glorot_std(fan_in: int, fan_out: int) -> float:
    """Xavier/Glorot normal standard deviation ``sqrt(2 / (fan_in + fan_out))``.

    See :data:`GLOROT_STD` and :data:`ARTICLE_OUTPUT_STD` for the article's two values.

    Examples
    --------
    >>> round(glorot_std(2, 2), 6), round(glorot_std(2, 1), 6)
    (0.707107, 0.816497)
    """
    fan_in = check_count(fan_in, "fan_in")
    fan_out = check_count(fan_out, "fan_out")
    return math.sqrt(2.0 / (fan_in + fan_out))


def init_population(
    runs: int,
    hidden_std: float | np.ndarray = 1.0,
    output_std: float | np.ndarray | str = ARTICLE_OUTPUT_STD,
    *,
    hidden: int = 2,
    n_in: int = 2,
    n_out: int = 1,
    bias: str = "scaled",
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
) -> Population:
    """Draw ``runs`` networks with every weight from N(0, std²).

    As in the article, the hidden layer's weights and bias use ``hidden_std``
    and the output layer's use ``output_std``.

    Parameters
    ----------
    runs : int
        Number of networks, at least 1; no default: a population's size is
        the caller's choice (:func:`xorsweep.sweep`'s ``runs``, default 10, is
        runs per grid point, not a population's size).
    hidden_std, output_std : float or array_like, shape (run,)
        Standard deviations: one value for all runs or one per run; finite
        and >= 0 (0 gives all-zero parameters). ``output_std="glorot"`` is
        ``glorot_std(hidden, n_out)``, Glorot's std of the output layer.
        Defaults: 1 for the hidden layer (the default of the article's
        ``train``) and :data:`ARTICLE_OUTPUT_STD` (0.8165) for the output
        layer, the article's sweep's, as in :func:`xorsweep.sweep`.
    hidden : int
        Hidden width, from 1 to :data:`MAX_HIDDEN` (256).
    n_in, n_out : int
        Inputs and outputs, each at least 1.
    bias : {"scaled", "zero"}
        ``"scaled"`` draws the biases like their layer's weights (the
        article); ``"zero"`` sets them to 0 (Glorot). The weights are the same
        under both for the same seed: the biases' normals are drawn either way.
    seed : int, SeedSequence, Generator or None
        Source of randomness; None draws fresh entropy.

    Returns
    -------
    Population
        For run ``r``, the standard normals are drawn in the order
        hidden_weights, hidden_bias, output_weights, output_bias, each as a
        ``(runs, ...)`` block, and scaled by the run's std.

    Examples
    --------
    >>> pop = init_population(1000, hidden_std=0.1, output_std=2.0, seed=1)
    >>> round(float(pop.hidden_weights.std()), 1), round(float(pop.output_weights.std()), 1)
    (0.1, 2.0)
    >>> zero = init_population(5, 0.5, "glorot", hidden=8, bias="zero", seed=1)
    >>> scaled = init_population(5, 0.5, glorot_std(8, 1), hidden=8, seed=1)
    >>> bool((zero.output_weights == scaled.output_weights).all()), bool(zero.hidden_bias.any())
    (True, False)
    """
    runs = check_count(runs, "runs")
    hidden = check_hidden(hidden)
    n_in = check_count(n_in, "n_in")
    n_out = check_count(n_out, "n_out")
    bias = check_choice(bias, "bias", BIASES)
    h_std = check_std(hidden_std, "hidden_std", runs)
    o_std = check_std(output_std_for(output_std, hidden, n_out), "output_std", runs)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    shapes = parameter_shapes(n_in, hidden, n_out)
    normals = {name: rng.standard_normal((runs, *shape)) for name, shape in shapes.items()}
    return population_from_normals(normals, h_std, o_std, bias=bias)


def population_from_normals(
    normals: Mapping[str, np.ndarray],
    hidden_std: np.ndarray,
    output_std: np.ndarray,
    *,
    bias: str = "scaled",
) -> Population:
    """Networks from standard normals: each layer's normals times the run's std for it.

    The one way initial networks are made from their normals, however these
    were drawn (:func:`init_population`, or a sweep's seeding rule).

    Parameters
    ----------
    normals : mapping of str to ndarray
        The four tensors by name, each of shape ``(run, *shape)`` as in
        :func:`parameter_shapes` (e.g. :func:`unpack_parameters` of packed normals).
    hidden_std, output_std : ndarray, shape (run,)
        The stds of the hidden and the output layer, checked by the caller.
    bias : {"scaled", "zero"}
        As in :func:`init_population`.

    Returns
    -------
    Population
    """
    std = {
        "hidden_weights": hidden_std,
        "hidden_bias": hidden_std,
        "output_weights": output_std,
        "output_bias": output_std,
    }
    params = {name: normals[name] * std[name][:, None, None] for name in PARAMETER_NAMES}
    if bias == "zero":
        for name in ("hidden_bias", "output_bias"):
            params[name][...] = 0.0
    return Population(**params)


def output_std_for(value: object, hidden: int, n_out: int) -> object:
    """``output_std`` with ``"glorot"`` replaced by ``glorot_std(hidden, n_out)``.

    >>> round(output_std_for("glorot", 8, 1), 6), output_std_for(0.5, 8, 1)
    (0.471405, 0.5)
    """
    if not isinstance(value, str):
        return value
    if value != GLOROT:
        raise ValueError(
            f"output_std must be a finite number >= 0, one per run, or {GLOROT!r}, got {value!r}"
        )
    return glorot_std(hidden, n_out)
