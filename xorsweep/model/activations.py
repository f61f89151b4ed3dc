"""The training options beyond the article: the hidden layer's activation and the gradient.

Every trainer (the NumPy kernel, the reference loop, the compiled kernel)
reads the options and their meaning from here:

* ``activation`` of the hidden layer: one entry of :data:`TABLE` per name of
  :data:`ACTIVATIONS` (``"sigmoid"``, the article's; ``"tanh"``; ``"relu"``).
  An :class:`Activation` holds the function ``a = f(z)``, its derivative
  written with the output, ``f'(z) = g(a)`` (how backpropagation uses it),
  the two gains of the initialisation rules, and the in-place steps of the
  NumPy engine. The compiled kernel selects its helpers by the entry's
  ``code``. The output layer is always a sigmoid trained with binary
  cross-entropy.
* ``gradient``, :data:`GRADIENTS`: ``"sum"`` (the article) steps along
  ``y_hat - y`` summed over the samples; ``"mean"`` along the gradient of the
  loss that is reported, the binary cross-entropy averaged over samples *and*
  outputs, so the output error is divided by ``samples * outputs``
  (:func:`gradient_scale`). For XOR ``"mean"`` is ``"sum"`` at a learning rate
  four times smaller.

Adding an activation is one entry here, its two lines in the compiled kernel's
selectors (:mod:`xorsweep.training.fused`, by ``code``) and its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core.checks import check_choice
from .network import sigmoid

__all__ = [
    "ACTIVATIONS",
    "GRADIENTS",
    "TABLE",
    "Activation",
    "activate",
    "slope",
    "gain",
    "torch_gain",
    "gradient_scale",
    "check_activation",
    "check_gradient",
]


@dataclass(frozen=True)
class Activation:
    """One hidden activation: its function, derivative, gains and NumPy engine steps.

    ``apply(hid, one)`` turns ``hid`` (s, h, r), holding ``z`` (or ``-z`` where
    ``negated``), into ``f(z)`` in place. ``delta(work, hid, one, err1)`` sets
    ``work`` (s, h, r) to the hidden error ``err * f'(z)`` and may overwrite
    ``hid = f(z)``: with several outputs (``err1`` None) ``work`` holds the
    back-propagated error ``err @ w_o.T``; with one, ``err1`` (s, 1, r) is the
    output error and ``work`` holds ``hid * err1`` (``w_o`` comes in later).
    """

    name: str
    function: Callable[[np.ndarray], np.ndarray]  # f(z), elementwise
    slope: Callable[[np.ndarray], np.ndarray]  # f'(z) written with a = f(z)
    gain: float  # Glorot's slope convention: 1 / f'(0); He's sqrt(2) for ReLU
    torch_gain: float  # torch.nn.init.calculate_gain
    code: int  # the compiled kernel's selector (xorsweep.training.fused)
    negated: bool  # the NumPy engine's apply takes -z
    apply: Callable[[np.ndarray, np.ndarray], None]
    delta: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None], None]


def _sigmoid_apply(hid: np.ndarray, one: np.ndarray) -> None:
    np.exp(hid, hid)  # hid held -z
    np.add(hid, one, hid)
    np.divide(one, hid, hid)  # a division is faster than np.reciprocal


def _sigmoid_delta(work, hid, one, err1) -> None:
    if err1 is None:  # with one output, work = hid * err is already there
        np.multiply(work, hid, work)
    np.subtract(one, hid, hid)
    np.multiply(work, hid, work)


def _times_slope(work, slope, err1) -> None:
    """work = err * f' from ``slope`` = f' (s, h, r)."""
    if err1 is None:
        np.multiply(work, slope, work)
    else:
        np.multiply(err1, slope, work)


def _tanh_delta(work, hid, one, err1) -> None:
    np.multiply(hid, hid, hid)
    np.subtract(one, hid, hid)
    _times_slope(work, hid, err1)


def _relu_apply(hid: np.ndarray, one: np.ndarray) -> None:
    np.maximum(hid, 0.0, out=hid)


def _relu_slope(a):
    return np.greater(a, 0.0).astype(float)  # 0 at z = 0, as PyTorch


def _relu_delta(work, hid, one, err1) -> None:
    np.greater(hid, 0.0, out=hid, casting="unsafe")  # 1.0 where z > 0, else 0.0
    _times_slope(work, hid, err1)


#: The hidden activations by name; the first is the article's.
TABLE: dict[str, Activation] = {
    "sigmoid": Activation(
        "sigmoid", sigmoid, lambda a: a * (1.0 - a), 4.0, 1.0, 0, True,
        _sigmoid_apply, _sigmoid_delta,
    ),
    "tanh": Activation(
        "tanh", np.tanh, lambda a: 1.0 - a * a, 1.0, 5.0 / 3.0, 1, False,
        lambda hid, one: np.tanh(hid, hid), _tanh_delta,
    ),
    "relu": Activation(
        "relu", lambda z: np.maximum(z, 0.0), _relu_slope, math.sqrt(2.0), math.sqrt(2.0), 2,
        False, _relu_apply, _relu_delta,
    ),
}  # fmt: skip

#: Activations of the hidden layer; the first is the article's.
ACTIVATIONS = tuple(TABLE)

#: How the output error is reduced over samples; the first is the article's.
GRADIENTS = ("sum", "mean")


def check_activation(value: object) -> str:
    """``value`` if it is one of :data:`ACTIVATIONS`, else a ValueError naming them."""
    return check_choice(value, "activation", ACTIVATIONS)


def check_gradient(value: object) -> str:
    """``value`` if it is one of :data:`GRADIENTS`, else a ValueError naming them."""
    return check_choice(value, "gradient", GRADIENTS)


def activate(activation: str, z: np.ndarray) -> np.ndarray:
    """The hidden layer's output ``f(z)``, elementwise.

    >>> activate("tanh", np.array([0.0])).tolist(), activate("sigmoid", np.array([0.0])).tolist()
    ([0.0], [0.5])
    >>> activate("relu", np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return TABLE[check_activation(activation)].function(z)


def slope(activation: str, a: np.ndarray | float) -> np.ndarray | float:
    """The derivative ``f'(z)`` written with the output ``a = f(z)``, elementwise.

    >>> slope("sigmoid", 0.5), slope("tanh", 0.0), slope("relu", np.array([0.0, 3.0])).tolist()
    (0.25, 1.0, [0.0, 1.0])
    """
    return TABLE[check_activation(activation)].slope(a)


def gain(activation: str) -> float:
    """The slope convention's gain: ``1 / f'(0)``, 4 for the sigmoid and 1 for tanh.

    Glorot and Bengio derive their std for a unit of slope 1 at zero; a unit of
    slope ``f'(0)`` keeps the variance of the back-propagated gradients only if
    the weights are ``1 / f'(0)`` times larger (the factor 4 for the sigmoid of
    Bengio's *Practical recommendations*, 2012). ReLU has slope 1 where it is
    on but passes half the variance: He et al.'s (2015) ``sqrt(2)``.

    >>> gain("sigmoid"), gain("tanh"), round(gain("relu"), 4)
    (4.0, 1.0, 1.4142)
    """
    return TABLE[check_activation(activation)].gain


def torch_gain(activation: str) -> float:
    """PyTorch's ``torch.nn.init.calculate_gain``: 1 sigmoid, 5/3 tanh, sqrt(2) ReLU.

    >>> torch_gain("sigmoid"), round(torch_gain("tanh"), 4), round(torch_gain("relu"), 4)
    (1.0, 1.6667, 1.4142)
    """
    return TABLE[check_activation(activation)].torch_gain


def gradient_scale(gradient: str, samples: int, outputs: int) -> float:
    """The factor of ``y_hat - y``: 1 for ``"sum"``, ``1 / (samples * outputs)`` for ``"mean"``.

    >>> gradient_scale("sum", 4, 1), gradient_scale("mean", 4, 1)
    (1.0, 0.25)
    """
    if check_gradient(gradient) == "sum":
        return 1.0
    return 1.0 / (samples * outputs)
