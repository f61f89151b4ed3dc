"""The training settings: one frozen value that travels whole from the caller to the kernels.

:class:`TrainingSettings` holds everything a training's numbers depend on
besides the networks and the data: epochs, learning rate, update order,
hidden activation, gradient convention, optimiser and its hyper-parameters,
engine and recording. :func:`xorsweep.train` builds one from its keyword
arguments (or takes one), checks it once, and passes it whole to either
engine. The engines' names live here with the settings that name them;
:func:`xorsweep.training.engines.settle` is the one place where
``engine="auto"`` becomes the engine that computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core.checks import check_choice, check_count
from ..model.activations import TABLE as ACTIVATION_TABLE
from ..model.activations import Activation, check_activation, check_gradient
from .optimizers import TABLE as OPTIMIZER_TABLE
from .optimizers import Optimizer, check_optimizer, hyper_parameters

__all__ = [
    "ARTICLE_EPOCHS",
    "ARTICLE_LR",
    "COMPUTING",
    "ENGINES",
    "MAX_LR",
    "PRECISIONS",
    "TrainingSettings",
    "UPDATES",
    "check_budgets",
    "check_engine",
]

#: The names ``engine=`` accepts; the first is the default (:mod:`xorsweep.training.engines`).
ENGINES = ("auto", "numpy", "numba")

#: The engines that compute, as results record them.
COMPUTING = ("numpy", "numba")

#: The two update orders ``train`` knows.
UPDATES = ("article", "simultaneous")

#: The floating-point types the numba engine computes in; the first, the article's, is the
#: default and the only one of the NumPy engine. float32 doubles the SIMD lanes; its numbers
#: differ from float64's by its rounding (docs: the engines guide; BENCHMARKS.md).
PRECISIONS = ("float64", "float32")

#: Most epochs float32 trains: its running epoch counts stay exact integers up to 2**24.
MAX_EPOCHS_32 = 2**24

#: The article's training: 10,000 epochs of full-batch gradient descent at learning rate 0.1.
ARTICLE_EPOCHS = 10_000
ARTICLE_LR = 0.1

#: Largest learning rate accepted (gradients are bounded by the number of samples,
#: so parameters stay finite for any lr up to this over 10**8 epochs).
MAX_LR = 1e6


def check_engine(value: object) -> str:
    """``value`` if it is one of :data:`ENGINES`, else a ValueError naming them.

    >>> check_engine("numba")
    'numba'
    """
    return check_choice(value, "engine", ENGINES)


def check_budgets(value: object, epochs: int) -> tuple[int, ...] | None:
    """``value`` as a tuple of ints, strictly increasing, each from 1 to ``epochs``; None stays.

    >>> check_budgets([1000, 2000], 5000)
    (1000, 2000)
    >>> check_budgets((2000, 1000), 5000)
    Traceback (most recent call last):
    ...
    ValueError: budgets must be strictly increasing integers from 1 to epochs=5000, got (2000, 1000)
    """
    if value is None:
        return None
    allowed = f"budgets must be strictly increasing integers from 1 to epochs={epochs}"
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{allowed}, got {value!r}")
    items = tuple(value)  # type: ignore[arg-type]
    if not items or not all(
        isinstance(b, (int, np.integer)) and not isinstance(b, bool) for b in items
    ):
        raise ValueError(f"{allowed}, got {items!r}")
    budgets = tuple(int(b) for b in items)
    rising = all(a < b for a, b in zip(budgets[:-1], budgets[1:], strict=True))
    if budgets[0] < 1 or budgets[-1] > epochs or not rising:
        raise ValueError(f"{allowed}, got {budgets!r}")
    return budgets


@dataclass(frozen=True)
class TrainingSettings:
    """How networks are trained: checked when made, the same value everywhere after.

    Examples
    --------
    >>> s = TrainingSettings(epochs=500, optimizer="adam", optimizer_params={"eps": 1e-6})
    >>> s.hyper, s.engine
    ({'betas': (0.9, 0.999), 'eps': 1e-06}, 'auto')
    >>> TrainingSettings(optimizer="lbfgs")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: optimizer must be one of 'gd', 'momentum', ..., got 'lbfgs'
    """

    # gradient steps, >= 0 (the article's 10,000)
    epochs: int = ARTICLE_EPOCHS
    # learning rate: one number, or one per run (a tuple), each finite, > 0 and <= MAX_LR
    lr: float | tuple[float, ...] = ARTICLE_LR
    # "article": the output layer's step first, the hidden layer's gradient at its new
    # weights (each layer below at the stepped ones above it, with several hidden layers);
    # "simultaneous": every gradient at the same parameters (textbook backprop)
    update: str = "article"
    # the hidden layer's, a name of xorsweep.model.activations.ACTIVATIONS; the output is a sigmoid
    activation: str = "sigmoid"
    # the output error summed over samples, "sum" (the article), or averaged, "mean"
    gradient: str = "sum"
    # a name of xorsweep.training.optimizers.OPTIMIZERS ("gd", the article's)
    optimizer: str = "gd"
    # the optimiser's hyper-parameters: given ones (a dict), kept with every default filled in
    optimizer_params: Mapping[str, Any] | tuple = field(default=())
    # "auto", "numpy" or "numba" (xorsweep.training.engines.settle gives the computing one)
    engine: str = "auto"
    # k >= 1: also record the loss and parameters every k epochs; None: no records
    record_every: int | None = None
    # the numba engine's arithmetic, one of PRECISIONS: "float64" (the article's) or "float32"
    precision: str = "float64"
    # epochs at which to also score each run as if trained that long, strictly increasing,
    # each from 1 to epochs (a tuple); None: none
    budgets: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        lr = self.lr
        values = np.asarray(lr, dtype=float) if not isinstance(lr, str) else None
        if values is None or values.ndim > 1 or not np.all(np.isfinite(values)):
            raise ValueError(f"lr must be a finite number > 0 and <= {MAX_LR:g}, or one per run")
        if np.any(values <= 0) or np.any(values > MAX_LR):
            bad = values[(values <= 0) | (values > MAX_LR)].ravel()[0]
            raise ValueError(f"lr must be a finite number > 0 and <= {MAX_LR:g}, got {bad:g}")
        params = self.optimizer_params
        given = dict(params) if isinstance(params, (Mapping, tuple)) else params
        norm = {
            "epochs": check_count(self.epochs, "epochs", minimum=0),
            "lr": float(values) if values.ndim == 0 else tuple(values.tolist()),
            "update": check_choice(self.update, "update", UPDATES),
            "activation": check_activation(self.activation),
            "gradient": check_gradient(self.gradient),
            "optimizer": check_optimizer(self.optimizer).name,
            "engine": check_engine(self.engine),
            "record_every": None
            if self.record_every is None
            else check_count(self.record_every, "record_every"),
            "precision": check_choice(self.precision, "precision", PRECISIONS),
        }
        norm["budgets"] = check_budgets(self.budgets, norm["epochs"])
        if norm["precision"] == "float32" and norm["epochs"] > MAX_EPOCHS_32:
            raise ValueError(f"epochs must be <= {MAX_EPOCHS_32:,} with precision='float32'")
        hyper = hyper_parameters(norm["optimizer"], given)
        norm["optimizer_params"] = tuple(hyper.items())
        for name, value in norm.items():
            object.__setattr__(self, name, value)

    @property
    def hyper(self) -> dict[str, Any]:
        """The optimiser's hyper-parameters by name, every default filled in."""
        return dict(self.optimizer_params)

    @property
    def optimizer_entry(self) -> Optimizer:
        """The optimiser's entry of :data:`xorsweep.training.optimizers.TABLE`."""
        return OPTIMIZER_TABLE[self.optimizer]

    @property
    def activation_entry(self) -> Activation:
        """The hidden activation's entry of :data:`xorsweep.model.activations.TABLE`."""
        return ACTIVATION_TABLE[self.activation]

    def attrs(self) -> dict[str, Any]:
        """The settings as results' attributes (JSON-like; not ``lr`` and the recording).

        >>> TrainingSettings(optimizer="momentum").attrs()["optimizer_params"]
        '{"momentum": 0.9}'
        """
        import json

        return {
            "epochs": self.epochs,
            "update": self.update,
            "activation": self.activation,
            "gradient": self.gradient,
            "optimizer": self.optimizer,
            "optimizer_params": json.dumps(self.hyper),
            "engine": self.engine,
            "precision": self.precision,
        }
