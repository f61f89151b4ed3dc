"""Initialization rules: the std each textbook rule gives a layer, to compare with a fitted optimum.

A rule maps a layer's fan-in and fan-out (and the activation, for the rules
with a gain) to the std of its initial weights:

=====================  =========================================  ==============================
rule                   std                                        source
=====================  =========================================  ==============================
``glorot_normal``      ``sqrt(2 / (fan_in + fan_out))``           Glorot and Bengio (2010)
``glorot_uniform``     ``limit / sqrt(3)``, ``limit =             the same paper's uniform draw;
                       sqrt(6 / (fan_in + fan_out))``             the same variance
``he``                 ``sqrt(2 / fan_in)``                       He et al. (2015), for ReLU
``lecun``              ``sqrt(1 / fan_in)``                       LeCun et al. (1998)
``glorot_slope_gain``  ``gain * glorot_normal``, gain 1 / f'(0):  Glorot's derivation assumes
                       4 for the sigmoid, 1 for tanh (He's        slope 1 at zero
                       sqrt(2) for ReLU)
``glorot_torch_gain``  ``gain * glorot_normal``, PyTorch's        ``torch.nn.init``'s
                       ``calculate_gain``: 1 sigmoid, 5/3 tanh,   convention
                       sqrt(2) ReLU
=====================  =========================================  ==============================

The two gain conventions disagree for the sigmoid (4 against 1), so both are
given; the gains are :func:`xorsweep.model.activations.gain` and
:func:`~xorsweep.model.activations.torch_gain`.

Networks are drawn by rule and gain (``init_population(..., rule=, gain=)``)
with the rules of :data:`RULES`: each layer's std is the rule's for the
layer's fans times the gain (:func:`layer_stds`):

=============  ==============================================================
``article``    the article's fixed stds whatever the fans: :data:`GLOROT_STD`
               (1/sqrt(2)) for every hidden layer, :data:`ARTICLE_OUTPUT_STD`
               (0.8165) for the output layer
``glorot``     ``sqrt(2 / (fan_in + fan_out))``
``lecun``      ``sqrt(1 / fan_in)``
``he``         ``sqrt(2 / fan_in)``
=============  ==============================================================

The weights are drawn normal or orthogonal (:data:`WEIGHTS`, :func:`orthogonal`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._core.checks import check_choice, check_count, check_per_run, check_std
from .activations import check_activation, gain, torch_gain
from .network import (
    ARTICLE_OUTPUT_STD,
    BIASES,
    GLOROT_STD,
    Population,
    check_hidden,
    check_widths,
    glorot_std,
    output_std_for,
    parameter_names,
    parameter_shapes,
    widths_of,
)

if TYPE_CHECKING:  # xarray is imported when a table is made
    import xarray as xr

__all__ = [
    "init_population",
    "population_from_normals",
    "INIT_RULES",
    "init_rules",
    "init_rules_by_layer",
    "RULES",
    "WEIGHTS",
    "rule_std",
    "layer_stds",
    "orthogonal",
    "check_rule",
    "check_weights",
]

#: The rules ``init_population(rule=...)`` and a sweep's ``rule`` know.
RULES = ("article", "glorot", "lecun", "he")

#: How the weights are drawn: independent normals, or a scaled Haar orthogonal matrix.
WEIGHTS = ("normal", "orthogonal")


def check_rule(value: object) -> str:
    """``value`` if it is one of :data:`RULES`, else a ValueError naming them."""
    return check_choice(value, "rule", RULES)


def check_weights(value: object) -> str:
    """``value`` if it is one of :data:`WEIGHTS`, else a ValueError naming them."""
    return check_choice(value, "weights", WEIGHTS)


def rule_std(rule: str, fan_in: int, fan_out: int, *, output: bool = False) -> float:
    """The std a rule of :data:`RULES` gives a layer of ``fan_in`` inputs and ``fan_out`` units.

    ``output``: whether the layer is the output layer (only ``"article"`` cares).

    >>> rule_std("glorot", 2, 2) == glorot_std(2, 2), rule_std("he", 8, 1), rule_std("lecun", 4, 9)
    (True, 0.5, 0.5)
    >>> rule_std("article", 5, 5), rule_std("article", 5, 1, output=True)
    (0.7071067811865475, 0.8165)
    """
    rule = check_rule(rule)
    fan_in, fan_out = check_count(fan_in, "fan_in"), check_count(fan_out, "fan_out")
    if rule == "article":
        return ARTICLE_OUTPUT_STD if output else GLOROT_STD
    if rule == "glorot":
        return glorot_std(fan_in, fan_out)
    return math.sqrt((1.0 if rule == "lecun" else 2.0) / fan_in)


def layer_stds(
    rule: str,
    sizes: Sequence[int],
    runs: int,
    gain: float | np.ndarray = 1.0,
    output_gain: float | np.ndarray | None = None,
) -> list[np.ndarray]:
    """Each layer's std under ``rule`` times ``gain``, one (run,) array per layer.

    Parameters
    ----------
    rule : {"article", "glorot", "lecun", "he"}
    sizes : sequence of int
        ``(n_in, h_1, ..., h_L, n_out)``: layer ``l`` has fans ``sizes[l], sizes[l+1]``.
    runs : int
    gain : float or array_like, shape (run,)
        Finite and > 0: the factor of every layer's std.
    output_gain : float or array_like, shape (run,), optional
        The output layer's factor instead of ``gain``.

    Returns
    -------
    list of ndarray, shape (run,)
        ``len(sizes) - 1`` arrays, the output layer's last.

    Examples
    --------
    >>> [s.tolist() for s in layer_stds("he", (2, 8, 1), 2, gain=[1.0, 2.0])]
    [[1.0, 2.0], [0.5, 1.0]]
    """
    rule = check_rule(rule)
    gains = check_per_run(gain, "gain", runs, positive=True)
    out_gains = (
        gains
        if output_gain is None
        else check_per_run(output_gain, "output_gain", runs, positive=True)
    )
    last = len(sizes) - 2
    return [
        (out_gains if k == last else gains) * rule_std(rule, a, b, output=k == last)
        for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))
    ]


def orthogonal(normals: np.ndarray, *, sign_correction: bool = True) -> np.ndarray:
    """Haar-distributed semi-orthogonal matrices from standard normals, one per run.

    The QR decomposition of a Gaussian matrix ``G = Q R`` (taken of ``G.T``
    where ``G`` is wide), with each column of ``Q`` multiplied by the sign of
    ``R``'s diagonal: without that correction LAPACK's ``Q`` is not Haar
    distributed (Mezzadri 2007, "How to generate random matrices from the
    classical compact groups", section 5).

    Parameters
    ----------
    normals : ndarray, shape (run, m, n)
        Independent standard normals.
    sign_correction : bool
        False gives LAPACK's ``Q`` as it is (for the tests that show the difference).

    Returns
    -------
    ndarray, shape (run, m, n)
        ``Q.T @ Q = I`` (n x n) where ``m >= n``, ``Q @ Q.T = I`` (m x m) where ``m < n``.

    Examples
    --------
    >>> q = orthogonal(np.random.default_rng(0).standard_normal((2, 5, 3)))
    >>> bool(np.allclose(q[1].T @ q[1], np.eye(3)))
    True
    """
    wide = normals.shape[1] < normals.shape[2]
    tall = np.swapaxes(normals, 1, 2) if wide else normals
    q, r = np.linalg.qr(tall)
    if sign_correction:
        signs = np.sign(np.diagonal(r, axis1=1, axis2=2))
        signs[signs == 0] = 1.0  # a zero diagonal has probability 0
        q = q * signs[:, None, :]
    return np.ascontiguousarray(np.swapaxes(q, 1, 2) if wide else q)


#: The rules :func:`init_rules` knows, in the order it gives them.
INIT_RULES = (
    "glorot_normal",
    "glorot_uniform",
    "he",
    "lecun",
    "glorot_slope_gain",
    "glorot_torch_gain",
)


def init_rules(fan_in: int, fan_out: int, activation: str = "sigmoid") -> dict[str, float]:
    """The std of a layer's initial weights under each rule of :data:`INIT_RULES`.

    Parameters
    ----------
    fan_in, fan_out : int
        The layer's inputs and outputs, each at least 1.
    activation : {"sigmoid", "tanh", "relu"}
        The activation of the layer's units, for the two rules with a gain.

    Returns
    -------
    dict of str to float
        One std per rule, in :data:`INIT_RULES` order.

    See Also
    --------
    init_rules_by_layer : the same for each layer of a network, as a DataArray.

    Examples
    --------
    >>> rules = init_rules(2, 2)
    >>> {name: round(std, 4) for name, std in rules.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'glorot_normal': 0.7071, 'glorot_uniform': 0.7071, 'he': 1.0, 'lecun': 0.7071,
     'glorot_slope_gain': 2.8284, 'glorot_torch_gain': 0.7071}
    """
    fan_in = check_count(fan_in, "fan_in")
    fan_out = check_count(fan_out, "fan_out")
    activation = check_activation(activation)
    glorot = glorot_std(fan_in, fan_out)
    limit = math.sqrt(6.0 / (fan_in + fan_out))  # Glorot uniform draws from U(-limit, limit)
    return {
        "glorot_normal": glorot,
        "glorot_uniform": limit / math.sqrt(3.0),
        "he": math.sqrt(2.0 / fan_in),
        "lecun": math.sqrt(1.0 / fan_in),
        "glorot_slope_gain": gain(activation) * glorot,
        "glorot_torch_gain": torch_gain(activation) * glorot,
    }


def init_rules_by_layer(
    hidden: int | Sequence[int] = 2,
    activation: str = "sigmoid",
    *,
    n_in: int = 2,
    n_out: int = 1,
) -> xr.DataArray:
    """Each rule's std for both layers of ``n_in -> hidden -> n_out`` networks.

    Parameters
    ----------
    hidden : int or sequence of int
        Hidden width(s), each from 1 to 256. A sequence adds a ``hidden`` dimension.
    activation : {"sigmoid", "tanh", "relu"}
        The hidden layer's activation. The output layer's gains are those of
        its sigmoid whatever ``activation`` is.
    n_in, n_out : int
        Inputs and outputs.

    Returns
    -------
    xarray.DataArray, shape (layer, rule) or (hidden, layer, rule)
        ``layer`` is ``["hidden", "output"]`` (fans ``(n_in, hidden)`` and
        ``(hidden, n_out)``), ``rule`` is :data:`INIT_RULES`.

    Examples
    --------
    >>> table = init_rules_by_layer(2)
    >>> table.sizes["layer"], table.sizes["rule"]
    (2, 6)
    >>> round(float(table.sel(layer="output", rule="glorot_normal")), 4)
    0.8165
    >>> init_rules_by_layer([2, 8], "tanh").dims
    ('hidden', 'layer', 'rule')
    """
    import xarray as xr

    activation = check_activation(activation)
    n_in, n_out = check_count(n_in, "n_in"), check_count(n_out, "n_out")
    scalar = isinstance(hidden, numbers.Integral)
    widths = [hidden] if scalar else list(hidden)
    widths = [check_hidden(h) for h in widths]
    if not widths:
        raise ValueError("hidden must be a width from 1 to 256 or a non-empty sequence of them")
    values = [
        [
            list(init_rules(n_in, h, activation).values()),
            list(init_rules(h, n_out, "sigmoid").values()),
        ]
        for h in widths
    ]
    table = xr.DataArray(
        values,
        dims=("hidden", "layer", "rule"),
        coords={"hidden": widths, "layer": ["hidden", "output"], "rule": list(INIT_RULES)},
        name="std",
        attrs={"activation": activation, "n_in": n_in, "n_out": n_out},
    )
    return table.isel(hidden=0) if scalar else table


def init_population(
    runs: int,
    hidden_std: float | np.ndarray | None = None,
    output_std: float | np.ndarray | str | None = None,
    *,
    hidden: int | Sequence[int] = 2,
    n_in: int = 2,
    n_out: int = 1,
    bias: str = "scaled",
    rule: str | None = None,
    gain: float | np.ndarray = 1.0,
    output_gain: float | np.ndarray | None = None,
    weights: str = "normal",
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
) -> Population:
    """Draw ``runs`` networks, each layer's weights with a std from raw values or a rule.

    Raw stds (the article's): every hidden layer's weights and bias use ``hidden_std``, the
    output layer's ``output_std``. With ``rule``: the rule's std for the fans times ``gain``.

    Parameters
    ----------
    runs : int
        Number of networks, at least 1 (a sweep's ``runs`` is per grid point).
    hidden_std, output_std : float or array_like, shape (run,), optional
        One value or one per run, finite and >= 0 (0: all-zero parameters);
        ``output_std="glorot"``: ``glorot_std(last width, n_out)``. Defaults: 1
        (the article's ``train``) and :data:`ARTICLE_OUTPUT_STD` (0.8165, its
        sweep's). Not with ``rule``.
    hidden : int or sequence of int
        Hidden width from 1 to :data:`MAX_HIDDEN` (256), or one per hidden
        layer, 1 to :data:`MAX_DEPTH` (16) layers.
    n_in, n_out : int
        Inputs and outputs, each at least 1.
    bias : {"scaled", "zero"}
        Biases drawn like their layer's weights (the article's) or the same draw zeroed.
    rule : {"article", "glorot", "lecun", "he"}, optional
        Each layer's std from its fans (:data:`xorsweep.model.initialization.RULES`).
    gain, output_gain : float or array_like, shape (run,)
        With ``rule``: the factor (> 0) of every layer's std, and of the output
        layer's if ``output_gain`` is given.
    weights : {"normal", "orthogonal"}
        ``"orthogonal"``: each run's and layer's weights a Haar semi-orthogonal
        matrix made from the same normals, its entries' mean square the std
        squared (:func:`xorsweep.model.initialization.orthogonal`).
    seed : int, SeedSequence, Generator or None
        Source of randomness; None draws fresh entropy.

    Returns
    -------
    Population
        From standard normals drawn in :func:`parameter_names` order, a ``(runs, ...)`` block each.

    Examples
    --------
    >>> zero = init_population(5, 0.5, "glorot", hidden=8, bias="zero", seed=1)
    >>> scaled = init_population(5, 0.5, glorot_std(8, 1), hidden=8, seed=1)
    >>> bool((zero.output_weights == scaled.output_weights).all()), bool(zero.hidden_bias.any())
    (True, False)
    >>> deep = init_population(2, rule="glorot", gain=2.0, weights="orthogonal",
    ...                        hidden=(4, 4), n_in=2, seed=0)
    >>> w = deep.inner[0][0][0]  # run 0's 4 x 4 weights: glorot std 0.5, times 2
    >>> bool(np.allclose(w.T @ w, 4.0 * np.eye(4)))
    True
    """
    runs = check_count(runs, "runs")
    hidden = check_widths(hidden)
    sizes = (check_count(n_in, "n_in"), *widths_of(hidden), check_count(n_out, "n_out"))
    bias = check_choice(bias, "bias", BIASES)
    weights = check_weights(weights)
    if rule is None:
        stds = _raw_stds(runs, hidden_std, output_std, sizes)
    elif hidden_std is not None or output_std is not None:
        raise ValueError("give either hidden_std and output_std or rule and gain, not both")
    else:
        stds = layer_stds(rule, sizes, runs, gain, output_gain)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    shapes = parameter_shapes(sizes[0], hidden, sizes[-1])
    normals = {name: rng.standard_normal((runs, *shape)) for name, shape in shapes.items()}
    return population_from_normals(normals, stds[:-1], stds[-1], bias=bias, weights=weights)


def _raw_stds(runs: int, hidden_std: object, output_std: object, sizes: tuple) -> list:
    """Each layer's std (run,) from raw stds: ``hidden_std`` for every hidden layer."""
    raw_h = 1.0 if hidden_std is None else hidden_std
    raw_o = ARTICLE_OUTPUT_STD if output_std is None else output_std
    h_std = check_std(raw_h, "hidden_std", runs)
    o_std = check_std(output_std_for(raw_o, sizes[-2], sizes[-1]), "output_std", runs)
    return [h_std] * (len(sizes) - 2) + [o_std]


def population_from_normals(
    normals: Mapping[str, np.ndarray],
    hidden_std: np.ndarray | Sequence[np.ndarray],
    output_std: np.ndarray,
    *,
    bias: str = "scaled",
    weights: str = "normal",
) -> Population:
    """Networks from standard normals: each layer's normals times the run's std for it.

    The one way initial networks are made from their normals, however these
    were drawn (:func:`init_population`, or a sweep's seeding rule).

    Parameters
    ----------
    normals : mapping of str to ndarray
        The tensors by name, each of shape ``(run, *shape)`` as in
        :func:`parameter_shapes` (e.g. :func:`unpack_parameters` of packed normals).
    hidden_std : ndarray, shape (run,), or a sequence of them, one per hidden layer
        The stds of the hidden layers (one array: the same for every hidden layer).
    output_std : ndarray, shape (run,)
        The std of the output layer. Both are checked by the caller.
    bias : {"scaled", "zero"}
        As in :func:`init_population`.
    weights : {"normal", "orthogonal"}
        As in :func:`init_population`.

    Returns
    -------
    Population
    """
    names = [name for name in normals if name.endswith("_weights")]
    depth = len(names) - 1
    if isinstance(hidden_std, np.ndarray) and hidden_std.ndim == 1:
        hidden_std = [hidden_std] * depth
    stds = [*hidden_std, output_std]
    params = {}
    for name, std in zip(parameter_names(depth)[::2], stds, strict=True):
        draw = normals[name]
        if weights == "orthogonal":
            draw = orthogonal(draw) * math.sqrt(max(draw.shape[1:]))
        bias_name = name.replace("_weights", "_bias")
        params[name] = draw * std[:, None, None]
        params[bias_name] = normals[bias_name] * std[:, None, None]
        if bias == "zero":
            params[bias_name][...] = 0.0
    return Population.from_parameters(params)
