"""A sweep's configuration: the grid and the training settings that determine its results.

:class:`SweepConfig` is everything a sweep's numbers depend on (not how the
work is run); it travels whole from the sweep to each block's computation and
is written into the results' attributes, so a store describes itself.
Imports NumPy and the core modules only: worker processes load it with a
block's task.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from .._checks import check_choice, check_count, check_grid
from ..network import ARTICLE_OUTPUT_STD, check_hidden, n_parameters
from ..training import ARTICLE_EPOCHS, ARTICLE_LR, MAX_LR, UPDATES
from ..truth_tables import truth_table

__all__ = ["GRID_DIMS", "SweepConfig", "article_grid"]

#: Grid dimensions in the order they appear in results (before ``run``).
GRID_DIMS = ("hidden_std", "output_std", "lr")


def article_grid(
    points: int = 400, std_min: float = math.exp(-3.0), std_max: float = math.exp(4.0)
) -> np.ndarray:
    """Log-spaced stds ``exp(linspace(log(std_min), log(std_max), points))``.

    The defaults give the article's grid ``exp(linspace(-3, 4, 400))`` bit for
    bit (``log(exp(-3.0))`` is exactly -3.0, likewise 4.0).

    Parameters
    ----------
    points : int
        Number of values, >= 1 (1 gives ``[std_min]``).
    std_min, std_max : float
        First and last value, finite and > 0, ``std_min < std_max`` unless
        ``points`` is 1.

    Returns
    -------
    ndarray, shape (points,)

    Examples
    --------
    >>> grid = article_grid()
    >>> grid.shape, bool(np.array_equal(grid, np.exp(np.linspace(-3, 4, 400))))
    ((400,), True)
    >>> article_grid(3, 0.1, 10.0).round(6).tolist()
    [0.1, 1.0, 10.0]
    """
    points = check_count(points, "points")
    lo = float(check_grid(std_min, "std_min"))
    hi = float(check_grid(std_max, "std_max"))
    if points > 1 and not lo < hi:
        raise ValueError(f"std_min must be < std_max, got {lo:g} and {hi:g}")
    return np.exp(np.linspace(np.log(lo), np.log(hi), points))


def _axis(value: Any, name: str, upper: float = np.inf) -> float | tuple[float, ...]:
    """A scalar stays a float; an array becomes a tuple of floats (a grid dimension)."""
    if isinstance(value, tuple):
        value = list(value)
    arr = check_grid(value, name, upper=upper)
    return float(arr) if arr.ndim == 0 else tuple(float(v) for v in arr)


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's results (but not how the work is run).

    Arrays given for ``hidden_std``, ``output_std`` or ``lr`` are kept as
    tuples of exact floats; a tuple for ``output_std`` or ``lr`` (even of one
    value) adds that dimension to the results. The configuration is written
    into the results' attributes, so a store describes itself, and adding runs
    to a store requires the same configuration.

    Examples
    --------
    >>> cfg = SweepConfig(hidden_std=[0.5, 1.0], lr=[0.1, 0.2], epochs=500)
    >>> cfg.grid_dims, cfg.grid_shape, cfg.output_std
    (('hidden_std', 'lr'), (2, 2), 0.8165)
    """

    # hidden layer's weight and bias std at each grid point (the article's x axis):
    # distinct, finite, > 0; the default is the article's exp(linspace(-3, 4, 400))
    hidden_std: tuple[float, ...] = field(default_factory=lambda: tuple(article_grid().tolist()))
    # output layer's weight and bias std: one value (the article's 0.8165) or a tuple of
    # values, which adds an output_std dimension
    output_std: float | tuple[float, ...] = ARTICLE_OUTPUT_STD
    # learning rate: one value (the article's 0.1) or a tuple of values (an lr dimension)
    lr: float | tuple[float, ...] = ARTICLE_LR
    # gradient steps per run (the article's 10,000)
    epochs: int = ARTICLE_EPOCHS
    # root of every run's SeedSequence, an integer >= 0
    seed: int = 0
    # update order, "article" or "simultaneous" (see xorsweep.train)
    update: str = "article"
    # training data: a truth table's name (see xorsweep.truth_table)
    data: str = "xor"
    # hidden units per network, from 1 to 256 (xorsweep.network.MAX_HIDDEN)
    hidden: int = 2

    def __post_init__(self) -> None:
        hidden_std = self.hidden_std
        if np.ndim(hidden_std) == 0 and not isinstance(hidden_std, (str, bytes)):
            hidden_std = [hidden_std]
        hs = _axis(hidden_std, "hidden_std")
        norm = {
            "hidden_std": hs,
            "output_std": _axis(self.output_std, "output_std"),
            "lr": _axis(self.lr, "lr", upper=MAX_LR),
            "epochs": check_count(self.epochs, "epochs", minimum=1),
            "seed": check_count(self.seed, "seed", minimum=0),
            "update": check_choice(self.update, "update", UPDATES),
            "data": truth_table(self.data).name,
            "hidden": check_hidden(self.hidden),
        }
        for name, value in norm.items():
            object.__setattr__(self, name, value)

    @property
    def grid_dims(self) -> tuple[str, ...]:
        """``hidden_std``, then ``output_std`` and ``lr`` if they are grids."""
        return tuple(d for d in GRID_DIMS if isinstance(getattr(self, d), tuple))

    @property
    def coords(self) -> dict[str, np.ndarray]:
        """The grid's values by dimension, float64."""
        return {d: np.array(getattr(self, d), dtype=np.float64) for d in self.grid_dims}

    @property
    def grid_shape(self) -> tuple[int, ...]:
        """Number of values along each grid dimension."""
        return tuple(len(getattr(self, d)) for d in self.grid_dims)

    @property
    def n_parameters(self) -> int:
        """Weights and biases per network."""
        table = truth_table(self.data)
        return n_parameters(table.n_in, self.hidden, table.n_out)

    def identity(self) -> dict[str, Any]:
        """The settings that must match to add runs to existing results (JSON-like)."""

        def plain(v: Any) -> Any:
            return list(v) if isinstance(v, tuple) else v

        return {
            "hidden_std": list(self.hidden_std),
            "output_std": plain(self.output_std),
            "lr": plain(self.lr),
            "epochs": self.epochs,
            "seed": self.seed,
            "update": self.update,
            "data": self.data,
            "hidden": self.hidden,
        }

    def attrs(self) -> dict[str, Any]:
        """Attributes of the results: the configuration, the seeding rule and versions."""
        table = truth_table(self.data)
        ident = self.identity()
        del ident["hidden_std"]  # it is the coordinate
        return {
            **ident,
            "n_in": table.n_in,
            "n_out": table.n_out,
            "loss": "mean binary cross-entropy over samples, predictions clipped to "
            "[1e-15, 1-1e-15]",
            "seeding": "run r at point (h, o, lr) starts from numpy.random.default_rng("
            "SeedSequence(seed, spawn_key=(bits(h), bits(o), bits(lr), r))).standard_normal, "
            "bits = float64 bit pattern as uint64; see xorsweep.replay",
            **_versions(),
        }

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any], hidden_std: Sequence[float]) -> SweepConfig:
        """The configuration recorded in results' attributes and ``hidden_std`` coordinate."""
        names = ("output_std", "lr", "epochs", "seed", "update", "data", "hidden")
        missing = [n for n in names if n not in attrs]
        if missing:
            raise ValueError(f"the results' attributes lack {', '.join(missing)}")
        kwargs = {n: attrs[n] for n in names}
        for n in ("output_std", "lr"):
            if isinstance(kwargs[n], (list, np.ndarray)):
                kwargs[n] = tuple(np.asarray(kwargs[n], dtype=np.float64).tolist())
        return cls(hidden_std=tuple(np.asarray(hidden_std, dtype=np.float64).tolist()), **kwargs)


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("xorsweep", "numpy", "xarray", "zarr"):
        try:
            out[f"{pkg}_version"] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            out[f"{pkg}_version"] = "unknown"
    return out
