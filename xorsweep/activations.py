"""The training options beyond the article: the hidden layer's activation and the gradient.

Every trainer (the NumPy kernel, the reference loop, a compiled kernel) reads
the option names and their meaning from here:

* ``activation`` of the hidden layer, :data:`ACTIVATIONS`: ``"sigmoid"`` (the
  article) or ``"tanh"``. The output layer is always a sigmoid trained with
  binary cross-entropy. :func:`activate` is ``a = f(z)`` and :func:`slope`
  its derivative written with the output, ``f'(z) = g(a)``: ``a (1 - a)`` for
  the sigmoid, ``1 - a**2`` for tanh, which is how backpropagation uses it.
* ``gradient``, :data:`GRADIENTS`: ``"sum"`` (the article) steps along
  ``y_hat - y`` summed over the samples; ``"mean"`` along the gradient of the
  loss that is reported, the binary cross-entropy averaged over samples *and*
  outputs, so the output error is divided by ``samples * outputs``
  (:func:`gradient_scale`). For XOR ``"mean"`` is ``"sum"`` at a learning rate
  four times smaller.

The initial networks' options (``bias``, ``output_std="glorot"``, the width)
belong to :func:`xorsweep.network.init_population`.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_choice
from .network import sigmoid

__all__ = [
    "ACTIVATIONS",
    "GRADIENTS",
    "activate",
    "slope",
    "gain",
    "torch_gain",
    "gradient_scale",
    "check_activation",
    "check_gradient",
]

#: Activations of the hidden layer; the first is the article's.
ACTIVATIONS = ("sigmoid", "tanh")

#: How the output error is reduced over samples; the first is the article's.
GRADIENTS = ("sum", "mean")

#: PyTorch's ``torch.nn.init.calculate_gain`` for each activation.
_TORCH_GAINS = {"sigmoid": 1.0, "tanh": 5.0 / 3.0}


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
    """
    if check_activation(activation) == "tanh":
        return np.tanh(z)
    return sigmoid(z)


def slope(activation: str, a: np.ndarray | float) -> np.ndarray | float:
    """The derivative ``f'(z)`` written with the output ``a = f(z)``, elementwise.

    >>> slope("sigmoid", 0.5), slope("tanh", 0.0)
    (0.25, 1.0)
    """
    if check_activation(activation) == "tanh":
        return 1.0 - a * a
    return a * (1.0 - a)


def gain(activation: str) -> float:
    """The slope convention's gain: ``1 / f'(0)``, 4 for the sigmoid and 1 for tanh.

    Glorot and Bengio derive their std for a unit of slope 1 at zero; a unit of
    slope ``f'(0)`` keeps the variance of the back-propagated gradients only if
    the weights are ``1 / f'(0)`` times larger (the factor 4 for the sigmoid of
    Bengio's *Practical recommendations*, 2012).

    >>> gain("sigmoid"), gain("tanh")
    (4.0, 1.0)
    """
    at_zero = float(activate(activation, np.zeros(()))[()])
    return 1.0 / float(slope(activation, at_zero))


def torch_gain(activation: str) -> float:
    """PyTorch's convention, ``torch.nn.init.calculate_gain``: 1 for the sigmoid, 5/3 for tanh.

    >>> torch_gain("sigmoid"), round(torch_gain("tanh"), 4)
    (1.0, 1.6667)
    """
    return _TORCH_GAINS[check_activation(activation)]


def gradient_scale(gradient: str, samples: int, outputs: int) -> float:
    """The factor of ``y_hat - y``: 1 for ``"sum"``, ``1 / (samples * outputs)`` for ``"mean"``.

    >>> gradient_scale("sum", 4, 1), gradient_scale("mean", 4, 1)
    (1.0, 0.25)
    """
    if check_gradient(gradient) == "sum":
        return 1.0
    return 1.0 / (samples * outputs)
