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
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._core.checks import check_count
from .activations import check_activation, gain, torch_gain
from .network import check_hidden, glorot_std

if TYPE_CHECKING:  # xarray is imported when a table is made
    import xarray as xr

__all__ = ["INIT_RULES", "init_rules", "init_rules_by_layer"]

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
