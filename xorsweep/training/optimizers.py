"""The optimisers: one entry of :data:`TABLE` per name, with PyTorch's semantics and defaults.

Each :class:`Optimizer` owns its state (``state`` arrays shaped like the
parameters, per run, zero at the start) and its update; both engines read it:
the NumPy engine calls ``update`` on a block's rows, the compiled kernel
(:mod:`xorsweep.training.fused`) selects its update step by the entry's ``code``.
``g`` is the gradient of the loss (with ``gradient="mean"`` the scaled one),
``t`` the step's number counted from 1 (epoch + 1).

=============  ===================================================  ==========================
name           update                                               PyTorch
=============  ===================================================  ==========================
``gd``         ``theta -= lr * g`` (the article's)                  ``SGD``
``momentum``   ``v = mu v + g``; ``theta -= lr * v``                ``SGD(momentum=mu)``
``nesterov``   ``v = mu v + g``; ``theta -= lr * (g + mu v)``       ``SGD(..., nesterov=True)``
``adam``       ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2)     ``Adam``
               g**2``; ``theta -= lr / (1 - b1**t) * m /
               (sqrt(v) / sqrt(1 - b2**t) + eps)``
``rmsprop``    ``v = a v + (1 - a) g**2``; ``theta -= lr * g /      ``RMSprop``
               (sqrt(v) + eps)``
=============  ===================================================  ==========================

With ``v = 0`` at the start, the first momentum step has ``v = g``: PyTorch's
first buffer (no dampening). ``"gd"`` folds ``lr`` into the output error, as
the article's loop does (``folds_lr``), so its numbers stay the article's bit
for bit. The update order (``update=`` of :func:`xorsweep.train`) applies to
every optimiser: ``"article"`` steps the output layer (with its state) first
and takes the hidden layer's gradient at its new weights, then steps the
hidden layer; ``"simultaneous"`` takes every gradient at the same parameters
and then steps all of them. Adding an optimiser is one entry here, its update
step in the compiled kernel and its tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core.checks import check_choice, check_real

__all__ = ["OPTIMIZERS", "TABLE", "Optimizer", "check_optimizer", "hyper_parameters"]


@dataclass(frozen=True)
class Optimizer:
    """One optimiser: its hyper-parameters' defaults, its state and its update.

    ``update(theta, g, state, lr, hyper, t)`` steps the parameters ``theta``
    (k, run) in place from their gradient ``g`` (k, run), its ``state`` (one
    (k, run) array per name of ``state``, updated in place), learning rates
    ``lr`` (run,), ``hyper`` (the hyper-parameters, by name) and the step's
    number ``t`` (from 1). ``vector`` lists the hyper-parameters in the order
    the compiled kernel reads them.
    """

    name: str
    defaults: tuple[tuple[str, Any], ...]  # PyTorch's
    state: tuple[str, ...]  # per parameter and run
    update: Callable[..., None]
    code: int  # the compiled kernel's selector (xorsweep.training.fused)
    folds_lr: bool = False  # lr is in the gradient already (the article's gd)

    def vector(self, hyper: Mapping[str, Any]) -> np.ndarray:
        """The hyper-parameters as the compiled kernel reads them, (4,) float64."""
        values = [float(v) for name, _ in self.defaults for v in np.ravel(hyper[name])]
        return np.array(values + [0.0] * (4 - len(values)))


def _gd(theta, g, state, lr, hyper, t) -> None:
    np.subtract(theta, g, theta)  # g holds lr * gradient: the article's step


def _momentum(theta, g, state, lr, hyper, t) -> None:
    (v,) = state
    np.multiply(v, hyper["momentum"], v)
    np.add(v, g, v)
    np.subtract(theta, lr * v, theta)


def _nesterov(theta, g, state, lr, hyper, t) -> None:
    (v,) = state
    mu = hyper["momentum"]
    np.multiply(v, mu, v)
    np.add(v, g, v)
    np.subtract(theta, lr * (g + mu * v), theta)


def _adam(theta, g, state, lr, hyper, t) -> None:
    m, v = state
    b1, b2 = hyper["betas"]
    m[...] = b1 * m + (1.0 - b1) * g
    v[...] = b2 * v + (1.0 - b2) * (g * g)
    denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + hyper["eps"]
    np.subtract(theta, (lr / (1.0 - b1**t)) * (m / denom), theta)


def _rmsprop(theta, g, state, lr, hyper, t) -> None:
    (v,) = state
    alpha = hyper["alpha"]
    v[...] = alpha * v + (1.0 - alpha) * (g * g)
    np.subtract(theta, lr * (g / (np.sqrt(v) + hyper["eps"])), theta)


#: The optimisers by name; the first, the article's, is the default.
TABLE: dict[str, Optimizer] = {
    "gd": Optimizer("gd", (), (), _gd, 0, folds_lr=True),
    "momentum": Optimizer("momentum", (("momentum", 0.9),), ("velocity",), _momentum, 1),
    "nesterov": Optimizer("nesterov", (("momentum", 0.9),), ("velocity",), _nesterov, 2),
    "adam": Optimizer("adam", (("betas", (0.9, 0.999)), ("eps", 1e-8)), ("m", "v"), _adam, 3),
    "rmsprop": Optimizer("rmsprop", (("alpha", 0.99), ("eps", 1e-8)), ("square_avg",), _rmsprop, 4),
}

#: The names ``optimizer=`` accepts; the first is the default.
OPTIMIZERS = tuple(TABLE)

# each hyper-parameter's range, as (low, high, low excluded)
_RANGES = {"momentum": (0.0, 1.0, False), "beta": (0.0, 1.0, False), "alpha": (0.0, 1.0, False)}


def check_optimizer(value: object) -> Optimizer:
    """The entry of ``value``, one of :data:`OPTIMIZERS`, else a ValueError naming them.

    >>> check_optimizer("adam").state
    ('m', 'v')
    """
    return TABLE[check_choice(value, "optimizer", OPTIMIZERS)]


def hyper_parameters(optimizer: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``optimizer``'s hyper-parameters: its defaults, updated with ``params``, checked.

    >>> hyper_parameters("adam", {"betas": (0.8, 0.99)})
    {'betas': (0.8, 0.99), 'eps': 1e-08}
    >>> hyper_parameters("momentum", {"beta": 0.5})
    Traceback (most recent call last):
    ...
    ValueError: optimizer_params for 'momentum' takes 'momentum', got 'beta'
    """
    entry = check_optimizer(optimizer)
    hyper = dict(entry.defaults)
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise TypeError(f"optimizer_params must be a dict, got {type(params).__name__}")
    for name, value in params.items():
        if name not in hyper:
            takes = ", ".join(repr(n) for n in hyper) or "no hyper-parameter"
            raise ValueError(f"optimizer_params for {optimizer!r} takes {takes}, got {name!r}")
        if name == "betas":
            if np.shape(value) != (2,):
                raise ValueError(f"optimizer_params['betas'] must be two numbers, got {value!r}")
            value = tuple(
                check_real(b, f"optimizer_params['betas'][{k}]", 0.0, 1.0)
                for k, b in enumerate(value)
            )
        elif name == "eps":
            value = check_real(value, "optimizer_params['eps']", 0.0, strict=True)
        else:
            low, high, strict = _RANGES[name]
            value = check_real(value, f"optimizer_params[{name!r}]", low, high, strict=strict)
        hyper[name] = value
    return hyper
