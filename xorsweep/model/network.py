"""Populations of small feed-forward networks stored as stacked tensors.

This module owns what every other one shares about a network: the sigmoid,
the clip of the loss, the packing of the parameters, the Glorot stds, the
widths and depths allowed and how the initial parameters are drawn.
Letters used for shapes throughout the package: ``r`` run, ``s`` sample,
``i`` input, ``h`` hidden unit, ``o`` output.

A network has one hidden layer (``hidden`` an int, the article's) or several
(``hidden`` a tuple of widths, one per hidden layer, as scikit-learn's
``hidden_layer_sizes``). Its parameters are named, in packing order,
``hidden_weights``, ``hidden_bias`` (the first hidden layer), ``hidden2_weights``,
``hidden2_bias``, ..., ``hiddenL_weights``, ``hiddenL_bias`` (the layers
between hidden layers) and ``output_weights``, ``output_bias``
(:func:`parameter_names`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.checks import check_count, check_finite, check_real_dtype

__all__ = [
    "Population",
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
    "check_widths",
    "widths_of",
    "parameter_names",
    "MAX_DEPTH",
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

#: The most hidden layers accepted.
MAX_DEPTH = 16


def check_hidden(value: object, name: str = "hidden") -> int:
    """A hidden width: an integer from 1 to :data:`MAX_HIDDEN`, returned as an int."""
    return check_count(value, name, minimum=1, maximum=MAX_HIDDEN)


def check_widths(value: object, name: str = "hidden") -> int | tuple[int, ...]:
    """Hidden widths: an int (one layer) or a sequence of 1 to :data:`MAX_DEPTH` of them.

    Returned as an int for one hidden layer (``(4,)`` is ``4``) and as a tuple
    of ints for several.

    >>> check_widths((4, 4)), check_widths([3]), check_widths(2)
    ((4, 4), 3, 2)
    >>> check_widths((4, 0))
    Traceback (most recent call last):
    ...
    ValueError: hidden[1] must be an integer from 1 to 256, got 0
    """
    if isinstance(value, (numbers.Integral, np.integer)) or isinstance(value, bool):
        return check_hidden(value, name)
    if isinstance(value, str) or not isinstance(value, (tuple, list, np.ndarray)):
        raise TypeError(
            f"{name} must be a width from 1 to {MAX_HIDDEN} or a tuple of 1 to {MAX_DEPTH} "
            f"widths (one per hidden layer), got {value!r}"
        )
    widths = list(value)
    if not 1 <= len(widths) <= MAX_DEPTH:
        raise ValueError(
            f"{name} must hold 1 to {MAX_DEPTH} widths (one per hidden layer), got {len(widths)}"
        )
    widths = [check_hidden(w, f"{name}[{k}]") for k, w in enumerate(widths)]
    return widths[0] if len(widths) == 1 else tuple(widths)


def widths_of(hidden: int | tuple[int, ...]) -> tuple[int, ...]:
    """The hidden widths as a tuple, one per hidden layer (``hidden`` checked).

    >>> widths_of(2), widths_of((4, 3))
    ((2,), (4, 3))
    """
    return (int(hidden),) if np.ndim(hidden) == 0 else tuple(int(w) for w in hidden)


def parameter_names(depth: int = 1) -> tuple[str, ...]:
    """The parameter tensors of a network with ``depth`` hidden layers, in packing order.

    >>> parameter_names(2)  # doctest: +NORMALIZE_WHITESPACE
    ('hidden_weights', 'hidden_bias', 'hidden2_weights', 'hidden2_bias',
     'output_weights', 'output_bias')
    """
    inner = [f"hidden{k}_{part}" for k in range(2, depth + 1) for part in ("weights", "bias")]
    return (*PARAMETER_NAMES[:2], *inner, *PARAMETER_NAMES[2:])


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise.

    Where ``exp(-z)`` overflows the result is 0, the correct limit, without a warning.

    >>> sigmoid(np.array([-800.0, 0.0, 800.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def parameter_shapes(
    n_in: int, hidden: int | tuple[int, ...], n_out: int
) -> dict[str, tuple[int, int]]:
    """One network's parameter tensors and their shapes, in packing order.

    ``hidden``: one width, or one per hidden layer (names from :func:`parameter_names`).

    >>> parameter_shapes(2, 2, 1)["hidden_weights"], n_parameters(2, 2, 1)
    ((2, 2), 9)
    >>> parameter_shapes(3, (4, 5), 1)["hidden2_weights"], n_parameters(3, (4, 5), 1)
    ((4, 5), 47)
    """
    sizes = (n_in, *widths_of(hidden), n_out)
    shapes = [s for a, b in zip(sizes[:-1], sizes[1:], strict=True) for s in ((a, b), (1, b))]
    return dict(zip(parameter_names(len(sizes) - 2), shapes, strict=True))


def n_parameters(n_in: int, hidden: int | tuple[int, ...], n_out: int) -> int:
    """Numbers in one network's parameters: ``(in + 1) * hidden + (hidden + 1) * out``
    for one hidden layer, ``sum_l (n_l + 1) * n_{l+1}`` over the layers for several."""
    return sum(a * b for a, b in parameter_shapes(n_in, hidden, n_out).values())


def unpack_parameters(
    packed: np.ndarray,
    n_in: int,
    hidden: int | tuple[int, ...],
    n_out: int,
    *,
    run_last: bool = False,
) -> dict[str, np.ndarray]:
    """Views of the parameter tensors in a packed parameter array.

    The packing of one network: its tensors in :func:`parameter_names` order
    (:data:`PARAMETER_NAMES` for one hidden layer), each row-major,
    ``n_parameters(n_in, hidden, n_out)`` numbers in all.

    Parameters
    ----------
    packed : ndarray, shape (run, n) or, with ``run_last``, (n, run)
        Contiguous along the packing axis for the results to be views.
    n_in, n_out : int
        Inputs and outputs.
    hidden : int or tuple of int
        Hidden width, or one per hidden layer.
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
    """``run`` independent feed-forward networks with sigmoid outputs, stacked per layer.

    One hidden layer (the article's) is the four tensors below. Deeper
    networks keep the first hidden layer and the output layer in the same
    fields and the layers between hidden layers in ``inner``. All tensors are
    float64 and finite and agree on ``run`` and on the widths they share. They
    are copied on construction and read-only afterwards, so a population can
    be trained several times and always starts from the same parameters.

    Parameters
    ----------
    hidden_weights : ndarray, shape (run, in, h_1)
    hidden_bias : ndarray, shape (run, 1, h_1)
    output_weights : ndarray, shape (run, h_L, out)
    output_bias : ndarray, shape (run, 1, out)
    inner : tuple of (weights, bias) pairs, optional
        For ``L >= 2`` hidden layers, the ``L - 1`` layers from hidden layer
        ``k`` to ``k + 1``: weights (run, h_k, h_{k+1}), bias (run, 1, h_{k+1}),
        named ``hidden{k+1}_weights`` and ``hidden{k+1}_bias`` in
        :meth:`parameters`. Empty (the default) for one hidden layer.

    Examples
    --------
    >>> from xorsweep import init_population
    >>> pop = init_population(3, hidden_std=0.5, seed=0)
    >>> pop.runs, pop.n_in, pop.hidden, pop.n_out
    (3, 2, 2, 1)
    >>> pop[1].hidden_weights.shape
    (1, 2, 2)
    >>> deep = init_population(3, 0.5, hidden=(4, 5), n_in=3, seed=0)
    >>> deep.hidden, deep.depth, [w.shape for w, b in deep.layers]
    ((4, 5), 2, [(3, 3, 4), (3, 4, 5), (3, 5, 1)])
    """

    hidden_weights: np.ndarray
    hidden_bias: np.ndarray
    output_weights: np.ndarray
    output_bias: np.ndarray
    inner: tuple = ()

    def __post_init__(self) -> None:
        if not isinstance(self.inner, (tuple, list)) or len(self.inner) > MAX_DEPTH - 1:
            raise ValueError(f"inner must be a tuple of 0 to {MAX_DEPTH - 1} (weights, bias) pairs")
        names = parameter_names(len(self.inner) + 1)
        given = [self.hidden_weights, self.hidden_bias]
        for pair in self.inner:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError("inner must be a tuple of (weights, bias) pairs")
            given += list(pair)
        given += [self.output_weights, self.output_bias]
        arrays = {}
        for name, value in zip(names, given, strict=True):
            arr = check_real_dtype(value, name)
            if arr.ndim != 3:
                raise ValueError(f"{name} must be 3-D (run, ., .), got shape {arr.shape}")
            arr = check_finite(np.array(arr, dtype=np.float64, copy=True), name)
            arr.setflags(write=False)
            arrays[name] = arr
        runs, n_in, first = arrays["hidden_weights"].shape
        hidden = tuple(arrays[n].shape[2] for n in names[0:-2:2])
        n_out = arrays["output_weights"].shape[2]
        if runs < 1 or n_in < 1 or min(hidden) < 1 or n_out < 1:
            raise ValueError(
                f"hidden_weights must have shape (run, in, hidden) with every size >= 1, "
                f"got {arrays['hidden_weights'].shape}"
            )
        width = hidden[0] if len(hidden) == 1 else hidden
        for name, shape in parameter_shapes(n_in, width, n_out).items():
            if arrays[name].shape != (runs, *shape):
                raise ValueError(
                    f"{name} must have shape {(runs, *shape)} (run, in, hidden, out = {runs}, "
                    f"{n_in}, {width}, {n_out}), got {arrays[name].shape}"
                )
        for name in PARAMETER_NAMES:
            object.__setattr__(self, name, arrays[name])
        pairs = [(arrays[w], arrays[b]) for w, b in zip(names[2:-2:2], names[3:-2:2], strict=True)]
        object.__setattr__(self, "inner", tuple(pairs))

    @classmethod
    def from_parameters(cls, params: Mapping[str, np.ndarray]) -> Population:
        """A population from its tensors by name (:meth:`parameters`, any depth)."""
        depth = 1 + sum(1 for name in params if name.endswith("_weights")) - 2
        names = parameter_names(max(depth, 1))
        missing = [name for name in names if name not in params]
        if missing:
            raise ValueError(f"parameters lack {', '.join(missing)}")
        inner = tuple(
            (params[w], params[b]) for w, b in zip(names[2:-2:2], names[3:-2:2], strict=True)
        )
        return cls(*(params[name] for name in PARAMETER_NAMES), inner=inner)

    @property
    def runs(self) -> int:
        """Number of networks."""
        return int(self.hidden_weights.shape[0])

    @property
    def n_in(self) -> int:
        """Inputs per network."""
        return int(self.hidden_weights.shape[1])

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return 1 + len(self.inner)

    @property
    def widths(self) -> tuple[int, ...]:
        """The hidden layers' widths, one per hidden layer."""
        return tuple(int(w.shape[1]) for w, _ in self.layers[1:])

    @property
    def hidden(self) -> int | tuple[int, ...]:
        """Hidden units per network: an int for one hidden layer, else one per layer."""
        widths = self.widths
        return widths[0] if len(widths) == 1 else widths

    @property
    def n_out(self) -> int:
        """Outputs per network."""
        return int(self.output_weights.shape[2])

    @property
    def layers(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Each layer's (weights (run, n_l, n_{l+1}), bias (run, 1, n_{l+1})), first to output."""
        return (
            (self.hidden_weights, self.hidden_bias),
            *self.inner,
            (self.output_weights, self.output_bias),
        )

    def parameters(self) -> dict[str, np.ndarray]:
        """The tensors by name, in :func:`parameter_names` order."""
        arrays = [a for pair in self.layers for a in pair]
        return dict(zip(parameter_names(self.depth), arrays, strict=True))

    def __len__(self) -> int:
        return self.runs

    def __getitem__(self, index: Any) -> Population:
        """Select runs (an int, slice, or index array); the result is a Population."""
        if isinstance(index, (int, np.integer)):
            if not -self.runs <= int(index) < self.runs:
                raise IndexError(f"run index {index} out of range for {self.runs} runs")
            index = slice(int(index), int(index) + 1 or None)
        return Population.from_parameters({k: v[index] for k, v in self.parameters().items()})

    @classmethod
    def concat(cls, populations: list[Population]) -> Population:
        """Stack populations of the same architecture along ``run``."""
        if not populations:
            raise ValueError("populations must hold at least one Population")
        names = populations[0].parameters()
        return cls.from_parameters(
            {name: np.concatenate([p.parameters()[name] for p in populations]) for name in names}
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Population):
            return NotImplemented
        mine, theirs = self.parameters(), other.parameters()
        return mine.keys() == theirs.keys() and all(
            np.array_equal(mine[n], theirs[n]) for n in mine
        )

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


def output_std_for(value: object, hidden: int, n_out: int) -> object:
    """``output_std`` with ``"glorot"`` replaced by ``glorot_std(hidden, n_out)``,
    ``hidden`` the last hidden layer's width.

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
