"""The depth study's plan: its configurations, its scales and the rules' gains.

A configuration (:class:`DepthConfig`) is one network and trainer: task, hidden
widths, activation, weight draw and optimiser. Its networks are drawn with
``init_population(rule="glorot", gain=g)``: every layer's std is Glorot's for
its fans times ``g`` (the output layer's too), biases drawn like their layer's
weights (the article's convention). The study's lines (:data:`LINES`):

* ``depth``: XOR, width 4, depths 1, 2, 3, 4, 6, 8, sigmoid, tanh and ReLU,
  normal and orthogonal weights, plain gradient descent;
* ``fan_in``: n-bit parity, n = 2 to 5, one and three hidden layers of width 4;
* ``optimizer``: gd, momentum and Adam at depths 1 and 4 (XOR, sigmoid, width 4);
* ``lr_map``: gd and Adam at depth 1 (XOR, sigmoid, width 4) at each learning rate
  of the scale's :attr:`DepthScale.map_lrs` (the other lines train at lr 0.1).

Every configuration has a fixed place in :func:`all_configs`, and its networks at
gain index ``k`` are seeded by ``SeedSequence(seed, spawn_key=(place, k))``
(:func:`point_seed`), so a scale that runs a subset draws the same networks as
the full one and no number depends on the order the points ran in. The
``lr_map`` configurations train the same networks at every learning rate
(common random numbers: the draws at a gain index do not depend on the lr).
Every run records its loss and convergence at each of the scale's
:attr:`DepthScale.budgets` (epochs), the last of which is the scale's epochs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._core.checks import check_choice
from ...model.initialization import rule_std
from ...model.meanfield import critical_sigma_w, gain_over_glorot

__all__ = [
    "LINES",
    "MAP_LRS",
    "SCALES",
    "RULE_NAMES",
    "DepthConfig",
    "DepthScale",
    "all_configs",
    "check_scale",
    "point_seed",
    "rule_gains",
]

#: The study's lines, in the order the report gives them.
LINES = ("depth", "fan_in", "optimizer", "lr_map")

#: The rules placed on the gain axis, in the order the report gives them.
RULE_NAMES = ("glorot", "lecun", "he", "4x", "critical")

_WIDTH = 4  # every hidden layer's width
_DEPTHS = (1, 2, 3, 4, 6, 8)

#: The learning-rate x gain map's learning rates at the quick and full scales: about
#: log-spaced from 0.01 to 1, with the article's 0.1.
MAP_LRS = (0.01, 0.0215, 0.0464, 0.1, 0.215, 0.464, 1.0)


@dataclass(frozen=True)
class DepthConfig:
    """One configuration of the study: a network, its task and its trainer.

    Examples
    --------
    >>> DepthConfig("depth", 2, 3).name, DepthConfig("fan_in", 5, 1).hidden
    ('depth-xor-d3-sigmoid-normal-gd', (4,))
    """

    line: str  # which line of LINES it belongs to
    n_in: int  # inputs: 2 for XOR, n for n-bit parity
    depth: int  # hidden layers, each of width 4
    activation: str = "sigmoid"  # the hidden layers' activation
    weights: str = "normal"  # "normal" or "orthogonal" draws
    optimizer: str = "gd"  # the trainer's step

    @property
    def task(self) -> str:
        """The truth table's name: ``"xor"`` or ``"parityN"``."""
        return "xor" if self.n_in == 2 and self.line != "fan_in" else f"parity{self.n_in}"

    @property
    def hidden(self) -> tuple[int, ...]:
        """The hidden widths, one per layer."""
        return (_WIDTH,) * self.depth

    @property
    def name(self) -> str:
        """A label unique among :func:`all_configs`, also the name of its store group."""
        return (
            f"{self.line}-{self.task}-d{self.depth}-{self.activation}-{self.weights}"
            f"-{self.optimizer}"
        )


def all_configs() -> tuple[DepthConfig, ...]:
    """Every configuration of the full study, in a fixed order (their seeds' addresses).

    >>> len(all_configs()), all_configs()[0].name
    (52, 'depth-xor-d1-sigmoid-normal-gd')
    """
    depth = [
        DepthConfig("depth", 2, d, act, w)
        for w in ("normal", "orthogonal")
        for act in ("sigmoid", "tanh", "relu")
        for d in _DEPTHS
    ]
    fan_in = [DepthConfig("fan_in", n, d) for d in (1, 3) for n in (2, 3, 4, 5)]
    optimizer = [
        DepthConfig("optimizer", 2, d, optimizer=opt)
        for d in (1, 4)
        for opt in ("gd", "momentum", "adam")
    ]
    lr_map = [DepthConfig("lr_map", 2, 1, optimizer=opt) for opt in ("gd", "adam")]
    return tuple(depth + fan_in + optimizer + lr_map)


@dataclass(frozen=True)
class DepthScale:
    """The sizes of one scale of the study.

    Examples
    --------
    >>> s = SCALES["full"]
    >>> s.runs, s.points, len(s.gains()), float(s.gains()[0]), float(s.gains()[-1])
    (1024, 25, 25, 0.1, 10.0)
    >>> s.budgets, s.map_lrs[3]
    ((1000, 2000, 5000, 10000), 0.1)
    """

    runs: int  # networks per (configuration, gain)
    points: int  # log-spaced gains from gain_range[0] to gain_range[1]
    epochs: int  # gradient steps per network
    n_boot: int  # bootstrap replicates of each fitted optimum
    configs: tuple[str, ...] | None = None  # the names of those run; None: all_configs()
    gain_range: tuple[float, float] = (0.1, 10.0)  # in multiples of Glorot's std
    lr: float = 0.1  # every optimiser's learning rate (the article's), but the lr map's
    budgets: tuple[int, ...] = ()  # epochs at which every run is also scored; () = (epochs,)
    map_lrs: tuple[float, ...] = MAP_LRS  # the lr map's learning rates, lr among them

    def __post_init__(self) -> None:
        budgets = self.budgets or (self.epochs,)
        if (
            any(isinstance(b, bool) or not isinstance(b, int) for b in budgets)
            or list(budgets) != sorted(set(budgets))
            or budgets[0] < 1
            or budgets[-1] != self.epochs
        ):
            raise ValueError(
                f"budgets must be increasing integers >= 1 ending at epochs ({self.epochs}), "
                f"got {self.budgets!r}"
            )
        lrs = self.map_lrs
        if not lrs or any(not 0 < x <= 1e6 for x in lrs) or list(lrs) != sorted(set(lrs)):
            raise ValueError(f"map_lrs must be increasing numbers in (0, 1e6], got {lrs!r}")
        if self.lr not in lrs:
            raise ValueError(f"map_lrs must hold the other lines' lr {self.lr:g}, got {lrs!r}")
        object.__setattr__(self, "budgets", tuple(budgets))

    def gains(self) -> np.ndarray:
        """The gains, shape (points,), log-spaced over :attr:`gain_range`."""
        low, high = self.gain_range
        return np.geomspace(low, high, self.points)

    def selected(self) -> list[tuple[int, DepthConfig]]:
        """``(place in all_configs(), config)`` of each configuration this scale runs."""
        every = list(enumerate(all_configs()))
        if self.configs is None:
            return every
        by_name = {c.name: (k, c) for k, c in every}
        return [by_name[name] for name in self.configs]

    def lrs(self, config: DepthConfig) -> tuple[float, ...]:
        """The learning rates ``config`` trains at: the map's, or ``(lr,)``."""
        return self.map_lrs if config.line == "lr_map" else (self.lr,)

    def network_epochs(self, line: str | None = None) -> float:
        """Work in network-epochs, each weighted by its number of weights over 2-4-1's (17).

        ``line``: of that line's configurations only (None: all of the scale's).
        """
        total = 0.0
        for _, c in self.selected():
            if line is not None and c.line != line:
                continue
            sizes = (c.n_in, *c.hidden, 1)
            weights = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
            samples = 2**c.n_in / 4
            runs = self.points * self.runs * len(self.lrs(c))
            total += runs * self.epochs * weights / 17 * samples
        return total


def _names(*configs: DepthConfig) -> tuple[str, ...]:
    return tuple(c.name for c in configs)


#: The quick scale's subset: the depth line with normal weights whole, orthogonal weights
#: for the sigmoid and tanh at depths 1, 2, 4 and 8 (not ReLU's), the fan-in, the
#: optimiser and the lr map's lines whole.
_QUICK = tuple(
    c.name
    for c in all_configs()
    if not (c.weights == "orthogonal" and (c.activation == "relu" or c.depth in (3, 6)))
)

#: The study's sizes by name: ``tiny`` for the tests (seconds), ``quick`` (minutes on two
#: cores with the NumPy engine), ``full`` (the issue's: 1,024 runs a point, 25 gains).
SCALES = {
    "tiny": DepthScale(
        runs=12,
        points=7,
        epochs=200,
        n_boot=20,
        configs=_names(
            DepthConfig("depth", 2, 1),
            DepthConfig("depth", 2, 2, "tanh", "orthogonal"),
            DepthConfig("optimizer", 2, 1, optimizer="adam"),
            DepthConfig("lr_map", 2, 1, optimizer="gd"),
            DepthConfig("lr_map", 2, 1, optimizer="adam"),
        ),
        budgets=(50, 100, 200),
        map_lrs=(0.01, 0.1, 1.0),
    ),
    "quick": DepthScale(
        runs=256,
        points=13,
        epochs=2_000,
        n_boot=500,
        configs=_QUICK,
        budgets=(500, 1_000, 2_000),
    ),
    "full": DepthScale(
        runs=1_024, points=25, epochs=10_000, n_boot=1_000, budgets=(1_000, 2_000, 5_000, 10_000)
    ),
}


def check_scale(scale: object) -> DepthScale:
    """The :class:`DepthScale` named ``scale``, else a ValueError naming the scales."""
    return SCALES[check_choice(scale, "scale", tuple(SCALES))]


def point_seed(seed: int, place: int, gain_index: int) -> np.random.SeedSequence:
    """The seed of the networks of configuration ``place`` at gain index ``gain_index``.

    >>> point_seed(0, 3, 5).spawn_key
    (3, 5)
    """
    return np.random.SeedSequence(seed, spawn_key=(place, gain_index))


def _hidden_fans(config: DepthConfig) -> list[tuple[int, int]]:
    sizes = (config.n_in, *config.hidden)
    return list(zip(sizes[:-1], sizes[1:], strict=True))


def rule_gains(config: DepthConfig) -> dict[str, float]:
    """Each rule of :data:`RULE_NAMES` as a gain over Glorot's std for ``config``.

    A rule whose ratio to Glorot's std differs from layer to layer (LeCun, He and
    the mean-field critical gain, whose variance is ``sigma_w**2 / fan_in``) is
    placed at the geometric mean of its ratios over the hidden layers' weights
    (the output layer left out). ``critical`` is
    :func:`~xorsweep.model.meanfield.critical_sigma_w` at bias std 0 (for the
    sigmoid, whose ``phi(0) = 1/2`` keeps ``q*`` large, about 10.15).

    >>> {k: round(v, 4) for k, v in rule_gains(DepthConfig("depth", 2, 1)).items()}
    {'glorot': 1.0, 'lecun': 1.2247, 'he': 1.7321, '4x': 4.0, 'critical': 12.4303}
    """
    fans = _hidden_fans(config)

    def mean_ratio(ratios: list[float]) -> float:
        return math.exp(sum(math.log(r) for r in ratios) / len(ratios))

    def rule(name: str) -> float:
        return mean_ratio([rule_std(name, a, b) / rule_std("glorot", a, b) for a, b in fans])

    sigma_w = critical_sigma_w(config.activation, 0.0)
    return {
        "glorot": 1.0,
        "lecun": rule("lecun"),
        "he": rule("he"),
        "4x": 4.0,
        "critical": mean_ratio([gain_over_glorot(sigma_w, a, b) for a, b in fans]),
    }
