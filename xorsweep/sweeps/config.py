"""A sweep's configuration: the grid and the training settings that determine its results.

:class:`SweepConfig` is everything a sweep's numbers depend on (not how the
work is run); it travels whole from the sweep to each block's computation and
is written into the results' attributes, so a store describes itself.
Imports NumPy and the core modules only: worker processes load it with a
block's task.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from .._core.checks import check_choice, check_count, check_grid
from ..model.activations import ACTIVATIONS, GRADIENTS
from ..model.initialization import RULES, WEIGHTS, check_rule, check_weights
from ..model.network import (
    ARTICLE_OUTPUT_STD,
    BIASES,
    GLOROT,
    MAX_DEPTH,
    MAX_HIDDEN,
    check_hidden,
    output_std_for,
)
from ..model.truth_tables import TruthTable, truth_table
from ..training.engines import check_engine, recorded, settle
from ..training.optimizers import OPTIMIZERS, hyper_parameters
from ..training.settings import (
    ARTICLE_EPOCHS,
    ARTICLE_LR,
    MAX_LR,
    PRECISIONS,
    UPDATES,
    TrainingSettings,
    check_budgets,
)

__all__ = [
    "CONFIG_ATTR",
    "GAIN_GRID",
    "GRID_DIMS",
    "NAMED_DIMS",
    "SWEPT_DIMS",
    "PointSetting",
    "SweepConfig",
    "article_grid",
    "unpacked_attrs",
]

#: Grid dimensions in the order they appear in results (before ``run``).
GRID_DIMS = (
    "hidden_std", "output_std", "lr", "hidden", "activation", "gradient", "bias", "optimizer",
)  # fmt: skip

#: The grid dimensions whose values are names, and the names each allows.
NAMED_DIMS = {
    "activation": ACTIVATIONS,
    "gradient": GRADIENTS,
    "bias": BIASES,
    "optimizer": OPTIMIZERS,
}

#: How a run's initial normals are drawn, as the results' attribute ``seeding`` says.
SEEDING = (
    "run r at point (h, o, lr) starts from numpy.random.default_rng(SeedSequence(seed, "
    "spawn_key=(bits(h), bits(o), bits(lr), r))).standard_normal(n_parameters) for the "
    "point's width, bits = float64 bit pattern as uint64; o is the point's output std "
    "(output_std 'glorot': sqrt(2/(hidden+n_out)) of its width). The width, activation, "
    "gradient and bias are not in the key: every width draws from the same stream, and runs "
    "that differ only in activation, gradient or bias start from the same normals (bias "
    "'zero' zeroes the biases of that draw); see xorsweep.replay. With depth L > 1 every "
    "network has L hidden layers of the point's width, n_parameters that of the whole "
    "network, every hidden layer drawn with h; weights 'orthogonal' turns each run's and "
    "layer's weight normals into a Haar orthogonal matrix (xorsweep.init_population)"
)

#: The seeding rule's words for a gain sweep (``rule`` given), added to :data:`SEEDING`.
GAIN_SEEDING = (
    "; in a gain sweep (attribute rule) h and o are both the point's gain g, and every "
    "layer's std, output layer's included, is the rule's std for its fans times g "
    "(xorsweep.init_population(rule=rule, gain=g))"
)

#: What the first grid dimension sweeps: the hidden layer's raw std, or a rule's gain.
SWEPT_DIMS = ("hidden_std", "gain")
#: The gains a gain sweep takes by default: 25 log-spaced from 0.1 to 10.
GAIN_GRID = tuple(np.geomspace(0.1, 10.0, 25).tolist())
#: A gain sweep's ``output_std``: the output layer's std is the rule's times the gain.
RULE_OUTPUT = "rule"

#: Attributes that results record only where they differ from these, the values of results
#: made before they existed.
ARCHITECTURE = {"depth": 1, "weights": WEIGHTS[0]}


#: The attribute of a store that holds its configuration, as JSON (written once, when the
#: store is made; :meth:`SweepConfig.store_attrs`, :func:`unpacked_attrs`).
CONFIG_ATTR = "config"


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


def _output_axis(value: Any, rule: str | None = None) -> float | str | tuple[float, ...]:
    """``output_std``: as :func:`_axis`, or ``"glorot"``; in a gain sweep (``rule``)
    :data:`RULE_OUTPUT`, which the default (0.8165, not given) becomes."""
    if rule is not None:
        default = isinstance(value, float) and value == ARTICLE_OUTPUT_STD
        if default or (isinstance(value, str) and value == RULE_OUTPUT):
            return RULE_OUTPUT
        raise ValueError(
            f"output_std cannot be given with rule={rule!r}: every layer's std, the output "
            f"layer's too, is the rule's times the gain; got {value!r}"
        )
    if isinstance(value, str):
        if value != GLOROT:
            raise ValueError(
                f"output_std must be a finite number > 0, a list of them, or {GLOROT!r}, "
                f"got {value!r}"
            )
        return value
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
        raise ValueError(
            f"output_std must be a finite number > 0, a list of them, or {GLOROT!r} (alone), "
            f"got {list(value)!r}"
        )
    return _axis(value, "output_std")


def _swept(hidden_std: Any, rule: Any, gain: Any) -> dict[str, Any]:
    """The first grid dimension's fields: raw ``hidden_std`` (the article's grid where None),
    or a ``rule`` of :data:`RULES` and its ``gain`` values (:data:`GAIN_GRID` where None)."""
    if rule is None and gain is not None:
        raise ValueError(f"gain needs a rule, one of {', '.join(map(repr, RULES))}")
    if rule is not None and hidden_std is not None:
        raise ValueError("give hidden_std (raw stds) or rule and gain (a rule's gains), not both")
    name = "hidden_std" if rule is None else "gain"
    default = article_grid().tolist() if rule is None else GAIN_GRID
    values = {"hidden_std": hidden_std, "gain": gain}[name]
    values = default if values is None else values
    if np.ndim(values) == 0 and not isinstance(values, (str, bytes)):
        values = [values]
    swept = {"hidden_std": None, "gain": None, name: _axis(values, name)}
    return {**swept, "rule": None if rule is None else check_rule(rule)}


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) == 1


def _distinct(values: tuple, name: str, allowed: str) -> tuple:
    """``values`` if they are not empty and distinct; ``allowed`` says what ``name`` takes."""
    if not values:
        raise ValueError(f"{name} must be {allowed}, or a non-empty list of them; got []")
    seen = [v for k, v in enumerate(values) if v in values[:k]]
    if seen:
        raise ValueError(f"{name} must hold distinct values, got {seen[0]!r} twice")
    return values


def _widths(value: Any) -> int | tuple[int, ...]:
    """``hidden``: one width, or a tuple of distinct widths (a grid dimension)."""
    if _is_list(value):
        widths = tuple(check_hidden(v) for v in value)
        if len(widths) > 1 and len(set(widths)) == 1:  # one width per layer, as elsewhere
            raise ValueError(
                f"hidden lists distinct widths (a grid dimension), got {widths}: for "
                f"{len(widths)} hidden layers of width {widths[0]} give hidden={widths[0]}, "
                f"depth={len(widths)}"
            )
        return _distinct(widths, "hidden", f"an integer from 1 to {MAX_HIDDEN}")
    return check_hidden(value)


def _names(value: Any, name: str) -> str | tuple[str, ...]:
    """``activation``, ``gradient`` or ``bias``: one name, or a tuple of distinct names."""
    allowed = "one of " + ", ".join(repr(a) for a in NAMED_DIMS[name])
    values = list(value) if _is_list(value) else [value]
    for v in values:
        if not isinstance(v, str) or v not in NAMED_DIMS[name]:
            raise ValueError(f"{name} must be {allowed}, or a list of them; got {v!r}")
    return _distinct(tuple(map(str, values)), name, allowed) if _is_list(value) else str(value)


def _table(value: Any) -> str | TruthTable:
    """``data``: the name of a known table, or a custom :class:`TruthTable`."""
    table = truth_table(value)
    if isinstance(value, str):
        return table.name
    try:
        named = truth_table(table.name)
    except ValueError:
        return table
    same = np.array_equal(named.inputs, table.inputs) and np.array_equal(
        named.targets, table.targets
    )
    return named.name if same else table


def _values(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


@dataclass(frozen=True)
class PointSetting:
    """Every value of a grid point but its hidden std: what one block of runs shares."""

    output_std: float  # "glorot" resolved for the point's width
    lr: float
    hidden: int
    activation: str
    gradient: str
    bias: str
    optimizer: str = "gd"


@dataclass(frozen=True, eq=False)
class SweepConfig:
    """Everything that determines a sweep's results (but not how the work is run).

    Arrays given for ``hidden_std``, ``output_std`` or ``lr`` are kept as
    tuples of exact floats; a list or tuple for ``output_std``, ``lr``,
    ``hidden``, ``activation``, ``gradient`` or ``bias`` (even of one value)
    adds that dimension to the results, in the order of :data:`GRID_DIMS`;
    a single value stays an attribute. The configuration is written into the
    results' attributes, so a store describes itself, and adding runs to a
    store requires the same configuration. Two configurations are equal when
    their :meth:`identity` is. Given ``rule``, the first dimension is ``gain`` (:attr:`axis`).

    Examples
    --------
    >>> cfg = SweepConfig(hidden_std=[0.5, 1.0], lr=[0.1, 0.2], epochs=500)
    >>> cfg.grid_dims, cfg.grid_shape, cfg.output_std
    (('hidden_std', 'lr'), (2, 2), 0.8165)
    >>> cfg = SweepConfig(hidden_std=[1.0], output_std="glorot", hidden=[2, 8], bias=["zero"])
    >>> cfg.grid_dims, cfg.grid_shape, cfg.coords["hidden"].dtype.name
    (('hidden_std', 'hidden', 'bias'), (1, 2, 1), 'int64')
    """

    # hidden layer's weight and bias std at each grid point (the article's x axis):
    # distinct, finite, > 0; the default is the article's exp(linspace(-3, 4, 400)); None in
    # a gain sweep (rule given), whose first dimension is gain
    hidden_std: tuple[float, ...] | None = None
    # output layer's weight and bias std: one value (the article's 0.8165), a tuple of
    # values (an output_std dimension), or "glorot": sqrt(2 / (hidden + n_out)) at each width
    output_std: float | str | tuple[float, ...] = ARTICLE_OUTPUT_STD
    # learning rate: one value (the article's 0.1) or a tuple of values (an lr dimension)
    lr: float | tuple[float, ...] = ARTICLE_LR
    # gradient steps per run (the article's 10,000)
    epochs: int = ARTICLE_EPOCHS
    # root of every run's SeedSequence, an integer >= 0
    seed: int = 0
    # update order, "article" or "simultaneous" (see xorsweep.train)
    update: str = "article"
    # training data: a truth table's name (see xorsweep.truth_table) or a custom TruthTable
    data: str | TruthTable = "xor"
    # hidden units per network, from 1 to 256 (xorsweep.model.network.MAX_HIDDEN), or a tuple
    # of widths (a hidden dimension)
    hidden: int | tuple[int, ...] = 2
    # the training engine (xorsweep.training.engines): "auto" until the sweep settles it (settled),
    # then the one that computes, "numpy" or "numba", as the results record it
    engine: str = "auto"
    # the hidden layer's activation, "sigmoid" (the article) or "tanh", or a tuple of them
    activation: str | tuple[str, ...] = "sigmoid"
    # the output error summed over samples, "sum" (the article), or averaged, "mean"
    gradient: str | tuple[str, ...] = "sum"
    # initial biases drawn like their layer's weights, "scaled" (the article), or "zero"
    bias: str | tuple[str, ...] = "scaled"
    # the optimiser (xorsweep.training.optimizers), "gd" (the article), or a tuple of them
    optimizer: str | tuple[str, ...] = "gd"
    # hyper-parameters other than PyTorch's defaults: {optimizer name: {name: value}}; kept
    # as pairs with every default filled in, for each optimiser of the sweep
    optimizer_params: Any = ()
    depth: int = 1  # hidden layers, each of the point's width: 1 (the article's) to 16
    # the initial weights: "normal" (the article's) or "orthogonal" (scaled Haar draws)
    weights: str = "normal"
    precision: str = "float64"  # the numba engine's arithmetic: "float64" or "float32"
    # None (the article's): the first dimension sweeps the raw hidden std; a rule of RULES:
    # it sweeps gain, every layer's std the rule's for its fans times the gain
    rule: str | None = None
    gain: tuple[float, ...] | None = None  # distinct, finite, > 0; default GAIN_GRID
    # epochs at which every run is also scored as if trained that long (train's budgets):
    # strictly increasing, each from 1 to epochs; None: none (not recorded)
    budgets: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        norm = {
            **_swept(self.hidden_std, self.rule, self.gain),
            "output_std": _output_axis(self.output_std, self.rule),
            "lr": _axis(self.lr, "lr", upper=MAX_LR),
            "epochs": check_count(self.epochs, "epochs", minimum=1),
            "seed": check_count(self.seed, "seed", minimum=0),
            "update": check_choice(self.update, "update", UPDATES),
            "data": _table(self.data),
            "hidden": _widths(self.hidden),
            "engine": check_engine(self.engine),
            "precision": check_choice(self.precision, "precision", PRECISIONS),
            **{name: _names(getattr(self, name), name) for name in NAMED_DIMS},
            "depth": check_count(self.depth, "depth", minimum=1, maximum=MAX_DEPTH),
            "weights": check_weights(self.weights),
        }
        norm["budgets"] = check_budgets(self.budgets, norm["epochs"])
        given = dict(self.optimizer_params)
        unknown = [name for name in given if name not in _values(norm["optimizer"])]
        if unknown:
            raise ValueError(
                f"optimizer_params names an optimiser the sweep does not train: {unknown[0]!r}"
            )
        norm["optimizer_params"] = tuple(
            (name, tuple(hyper_parameters(name, dict(given.get(name, ()))).items()))
            for name in _values(norm["optimizer"])
        )
        for name, value in norm.items():
            object.__setattr__(self, name, value)

    def hyper(self, optimizer: str) -> dict[str, Any]:
        """The hyper-parameters of one of the sweep's optimisers, every default filled in."""
        return dict(dict(self.optimizer_params)[optimizer])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SweepConfig):
            return NotImplemented
        return self.identity() == other.identity()

    def __hash__(self) -> int:
        return hash(json.dumps(self.identity(), sort_keys=True))

    @property
    def table(self) -> TruthTable:
        """The training data."""
        return truth_table(self.data)

    def architecture(self, width: int) -> int | tuple[int, ...]:
        """The hidden widths of the networks of a point of width ``width``: an int at
        depth 1, else ``depth`` times ``width``.

        >>> SweepConfig(hidden_std=[1.0], depth=3).architecture(4)
        (4, 4, 4)
        """
        return width if self.depth == 1 else (width,) * self.depth

    @property
    def axis(self) -> str:
        """The first grid dimension: ``"hidden_std"``, or ``"gain"`` in a gain sweep."""
        return SWEPT_DIMS[self.rule is not None]

    @property
    def swept(self) -> tuple[float, ...]:
        """The values of the first grid dimension (:attr:`axis`): stds or gains."""
        return getattr(self, self.axis)

    @property
    def grid_dims(self) -> tuple[str, ...]:
        """:attr:`axis`, then each other dimension of :data:`GRID_DIMS` given as a tuple."""
        rest = (d for d in GRID_DIMS[1:] if isinstance(getattr(self, d), tuple))
        return (self.axis, *rest)

    @property
    def coords(self) -> dict[str, np.ndarray]:
        """The grid's values by dimension: stds and lr float64, ``hidden`` int64, names str."""
        dtypes = {"hidden": np.int64, **dict.fromkeys(NAMED_DIMS, str)}
        return {
            d: np.array(getattr(self, d), dtype=dtypes.get(d, np.float64)) for d in self.grid_dims
        }

    @property
    def grid_shape(self) -> tuple[int, ...]:
        """Number of values along each grid dimension."""
        return tuple(len(getattr(self, d)) for d in self.grid_dims)

    def settings(self) -> Iterator[tuple[tuple[int, ...], PointSetting]]:
        """Each point of the grid dimensions after the first: its index along them
        (C order, the last fastest) and its :class:`PointSetting` (its ``output_std`` NaN
        in a gain sweep: the output layer's std is then the rule's times the point's gain)."""
        others, n_out = self.grid_dims[1:], self.table.n_out
        for index in np.ndindex(*self.grid_shape[1:]):
            where = dict(zip(others, index, strict=True))
            value = {
                d: getattr(self, d)[where[d]] if d in where else getattr(self, d)
                for d in GRID_DIMS[1:]
            }
            value["output_std"] = (
                math.nan
                if self.rule is not None
                else float(output_std_for(value["output_std"], value["hidden"], n_out))
            )
            yield tuple(int(i) for i in index), PointSetting(**value)

    def training(self, setting: PointSetting, lr: float | None = None) -> TrainingSettings:
        """The :class:`~xorsweep.training.settings.TrainingSettings` of the grid point
        ``setting`` (its ``lr``, or ``lr``), with this configuration's epochs, update,
        hyper-parameters and engine: what travels to the kernels."""
        return TrainingSettings(
            epochs=self.epochs,
            lr=setting.lr if lr is None else lr,
            update=self.update,
            activation=setting.activation,
            gradient=setting.gradient,
            optimizer=setting.optimizer,
            optimizer_params=self.hyper(setting.optimizer),
            engine=self.engine,
            precision=self.precision,
            budgets=self.budgets,
        )

    def identity(self) -> dict[str, Any]:
        """The settings that must match to add runs to existing results (JSON-like)."""

        def plain(v: Any) -> Any:
            return list(v) if isinstance(v, tuple) else v

        data = self.data
        if isinstance(data, TruthTable):  # a custom table: its values are its identity
            data = {
                "name": data.name,
                "inputs": data.inputs.tolist(),
                "targets": data.targets.tolist(),
            }
        return {
            self.axis: list(self.swept),
            "output_std": plain(self.output_std),
            "lr": plain(self.lr),
            "epochs": self.epochs,
            "seed": self.seed,
            "update": self.update,
            "data": data,
            "hidden": plain(self.hidden),
            "engine": self.engine,
            "precision": self.precision,
            **{name: plain(getattr(self, name)) for name in NAMED_DIMS},
            "optimizer_params": json.dumps({k: dict(v) for k, v in self.optimizer_params}),
            # recorded where not the article's, so results made before keep their identity
            **{k: getattr(self, k) for k, v in ARCHITECTURE.items() if getattr(self, k) != v},
            **({} if self.rule is None else {"rule": self.rule}),  # a gain sweep's rule
            **({"budgets": list(self.budgets)} if self.budgets else {}),  # where given
        }

    def attrs(self) -> dict[str, Any]:
        """Attributes of the results: the configuration, the seeding rule and versions.

        ``data`` is the table's name; a custom table's values are ``data_table``
        (``inputs`` and ``targets`` as nested lists), so that results describe
        themselves and resume.
        """
        table = self.table
        ident = self.identity()
        del ident[self.axis]  # it is the coordinate
        if isinstance(ident["data"], dict):
            custom = ident.pop("data")
            ident["data"] = custom.pop("name")
            ident["data_table"] = custom
        return {
            **ident,
            "n_in": table.n_in,
            "n_out": table.n_out,
            "loss": "mean binary cross-entropy over samples, predictions clipped to "
            "[1e-15, 1-1e-15]",
            "seeding": SEEDING if self.rule is None else SEEDING + GAIN_SEEDING,
            **_versions(),
        }

    def store_attrs(self) -> dict[str, Any]:
        """:meth:`attrs` as a store keeps them: the configuration in one attribute,
        :data:`CONFIG_ATTR` (JSON), beside the seeding rule, shapes and versions.
        :func:`unpacked_attrs` gives :meth:`attrs` back.

        >>> cfg = SweepConfig(hidden_std=[1.0], epochs=50)
        >>> unpacked_attrs(cfg.store_attrs()) == cfg.attrs()
        True
        """
        flat, keys = self.attrs(), {*self.identity(), "data_table"}
        settings = {name: flat.pop(name) for name in list(flat) if name in keys}
        return {CONFIG_ATTR: json.dumps(settings, sort_keys=True), **flat}

    def settled(self, stored: SweepConfig | None = None, what: str = "the results") -> SweepConfig:
        """This configuration with the engine that computes it, ``"numpy"`` or ``"numba"``.

        Each network shape and activation of the grid is settled by
        :func:`xorsweep.training.engines.settle` (one engine for all: NumPy if
        any shape needs it); results being added to (``stored``, the
        configuration they record) keep theirs: ``"auto"`` is their engine,
        another is refused with a ValueError naming both and ``what``.
        """
        table, recorded_engine = self.table, None if stored is None else stored.engine
        settings = TrainingSettings(engine=self.engine, precision=self.precision)
        chosen = {
            settle(
                replace(settings, activation=activation),
                table.n_in,
                self.architecture(width),
                table.n_out,
                recorded_engine,
                what,
            ).engine
            for width in _values(self.hidden)
            for activation in _values(self.activation)
        }
        return replace(self, engine="numpy" if "numpy" in chosen else "numba")

    @classmethod
    def from_attrs(cls, attrs: dict[str, Any], hidden_std: Sequence[float]) -> SweepConfig:
        """The configuration recorded in results' attributes and first coordinate
        (``hidden_std``, or the gains where the attributes record a ``rule``).

        Results made before a setting existed count as its default: the NumPy
        engine, float64, the sigmoid, the summed gradient and scaled biases.
        """
        names = ("output_std", "lr", "epochs", "seed", "update", "data", "hidden")
        missing = [n for n in names if n not in attrs]
        if missing:
            raise ValueError(f"the results' attributes lack {', '.join(missing)}")
        kwargs = {n: attrs[n] for n in names}
        kwargs["engine"] = recorded(attrs)
        kwargs["precision"] = attrs.get("precision", "float64")  # before float32 existed
        kwargs["budgets"] = attrs.get("budgets")  # None: recorded none
        for name in (*NAMED_DIMS, *ARCHITECTURE):
            kwargs[name] = attrs.get(name, cls.__dataclass_fields__[name].default)
        for n, value in kwargs.items():
            if isinstance(value, (list, np.ndarray)):
                value = np.asarray(value).tolist()
                kwargs[n] = (
                    tuple(float(v) for v in value) if n in ("output_std", "lr") else tuple(value)
                )
        if "optimizer_params" in attrs:
            kwargs["optimizer_params"] = json.loads(attrs["optimizer_params"])
        if "data_table" in attrs:
            table = attrs["data_table"]
            kwargs["data"] = TruthTable(table["inputs"], table["targets"], attrs["data"])
        swept = tuple(np.asarray(hidden_std, dtype=np.float64).tolist())
        if attrs.get("rule") is not None:
            return cls(rule=attrs["rule"], gain=swept, **kwargs)
        return cls(hidden_std=swept, **kwargs)


def unpacked_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A store's attributes with its configuration (:data:`CONFIG_ATTR`) spread out, as
    :meth:`SweepConfig.attrs` gives them; those of a store written before the configuration
    was one attribute are already spread out, and come back as they are."""
    out = dict(attrs)
    packed = out.pop(CONFIG_ATTR, None)
    return out if packed is None else {**json.loads(packed), **out}


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("xorsweep", "numpy", "xarray", "zarr"):
        try:
            out[f"{pkg}_version"] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            out[f"{pkg}_version"] = "unknown"
    return out
