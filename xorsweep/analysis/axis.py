"""Which axis a sweep's results vary: the hidden layer's raw std, or a gain times a rule's std.

A sweep's first dimension is ``hidden_std`` (the article's: the hidden layer's
initial std, the output layer's fixed) or ``gain`` (a sweep given ``rule``:
every layer's std is the rule's for its fans times the gain).
:func:`swept_axis` is the one place that says which, what it means in words,
and where the textbook rules sit on it (:func:`rule_gains`); the fits, the
figures and the command line ask it rather than name ``hidden_std``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ..model.initialization import check_rule, rule_std
from ..model.meanfield import MEAN_FIELD_ACTIVATIONS, critical_sigma_w
from ..model.network import GLOROT_STD
from ..sweeps.config import SWEPT_DIMS
from .stats import only_dims

__all__ = ["RULE_NAMES", "SweptAxis", "along_swept", "rule_gains", "swept_axis", "to_hidden_std"]

#: How each rule of :data:`xorsweep.model.initialization.RULES` is named in words.
RULE_NAMES = {"article": "the article's", "glorot": "Glorot's", "lecun": "LeCun's", "he": "He's"}

#: The marks :func:`rule_gains` gives, in order, and their names in words.
MARKS = {
    "glorot": "Glorot",
    "lecun": "LeCun",
    "he": "He",
    "4x": "4x Glorot",
    "critical": "critical",
}


@dataclass(frozen=True)
class SweptAxis:
    """The first dimension of a sweep's results and what it means.

    Attributes
    ----------
    name : {"hidden_std", "gain"}
        The dimension's name.
    rule : str or None
        A gain sweep's rule (``"article"``, ``"glorot"``, ``"lecun"``, ``"he"``).
    marks : dict of str to float
        Where rules sit on the axis, by name in words: on ``hidden_std`` Glorot's
        1/sqrt(2) (the article's 2-2-1 network); on ``gain`` the gains of
        :func:`rule_gains` (Glorot, LeCun, He, 4x Glorot and, where the mean-field
        theory covers the activation, the critical gain).
    """

    name: str
    rule: str | None = None
    marks: dict[str, float] = field(default_factory=dict)

    @property
    def words(self) -> str:
        """The axis in words, for labels and messages: ``"hidden std"`` or
        ``"gain x Glorot's std"``."""
        if self.rule is None:
            return "hidden std"
        return f"gain x {RULE_NAMES[self.rule]} std" + ("s" if self.rule == "article" else "")

    @property
    def long_words(self) -> str:
        """:attr:`words` with what the axis scales: for an axis label or a caption."""
        if self.rule is None:
            return "hidden-layer initial std (output layer's fixed)"
        return f"{self.words} (every layer)"

    @property
    def glorot(self) -> float:
        """Glorot's rule on this axis: 1/sqrt(2) (a std), or its gain."""
        return self.marks.get("Glorot", GLOROT_STD)

    @property
    def glorot_name(self) -> str:
        """How :attr:`glorot` is named in messages: ``"1/sqrt(2)"`` or ``"Glorot's gain"``."""
        return "1/sqrt(2)" if self.rule is None else "Glorot's gain"

    def say(self, text: str) -> str:
        """``text`` written for ``hidden_std`` (a fit's reason or note) said of this axis."""
        if self.rule is None:
            return text
        text = text.replace("log(hidden_std)", "log(gain)").replace("hidden_std", "gain")
        return text.replace("hidden stds", "gains").replace("hidden std", "gain")


def swept_axis(results: xr.Dataset | xr.DataArray, what: str = "results") -> SweptAxis:
    """The axis that ``results`` (a sweep's results, a slice or a summary) vary along.

    Parameters
    ----------
    results : xarray.Dataset or DataArray
        With a ``hidden_std`` or a ``gain`` dimension (or scalar coordinate), or
        :func:`xorsweep.fit_slices`' numbers (attribute ``swept``); a gain sweep's
        attributes record its ``rule`` and architecture (a ``gain`` without a ``rule``
        attribute, as the depth study records its results, is of Glorot's std).
    what : str
        How the error message names ``results``.

    Returns
    -------
    SweptAxis

    Raises
    ------
    ValueError
        If ``results`` have neither, or both.

    Examples
    --------
    >>> ds = xr.Dataset({"total_loss": (("gain", "run"), np.ones((2, 3)))},
    ...                 coords={"gain": [0.5, 2.0]}, attrs={"rule": "glorot", "n_in": 2,
    ...                 "n_out": 1, "hidden": 4, "depth": 2, "activation": "tanh"})
    >>> axis = swept_axis(ds)
    >>> axis.name, axis.words, {k: round(v, 4) for k, v in axis.marks.items()}
    ('gain', "gain x Glorot's std", {'Glorot': 1.0, 'LeCun': 1.1067, 'He': 1.5651, '4x Glorot': 4.0, 'critical': 1.1067})
    """  # noqa: E501
    found = [d for d in SWEPT_DIMS if d in results.dims or d in results.coords]
    if not found and results.attrs.get("swept") in SWEPT_DIMS:  # fit_slices' numbers
        found = [results.attrs["swept"]]
    if len(found) != 1:
        raise ValueError(
            f"{what} must have a hidden_std dimension (the hidden layer's std) or a gain one "
            f"(a rule's std times a gain), not both; got dims {tuple(results.dims)}"
        )
    if found[0] == "hidden_std":
        return SweptAxis("hidden_std", None, {"Glorot": GLOROT_STD})
    attrs = results.attrs
    rule = check_rule(attrs.get("rule", "glorot"))
    width, activation = _one(results, "hidden", 2), str(_one(results, "activation", "sigmoid"))
    sizes = (int(attrs.get("n_in", 2)), *(int(width),) * int(attrs.get("depth", 1)))
    gains = rule_gains(rule, sizes, activation)
    return SweptAxis("gain", rule, {MARKS[k]: v for k, v in gains.items()})


def _one(results: Any, name: str, default: Any) -> Any:
    """A setting's one value: a scalar (or length-1) coordinate, else the attribute."""
    if name in results.coords and results[name].size == 1:
        return results[name].values.reshape(-1)[0].item()
    value = results.attrs.get(name, default)
    return value[0] if isinstance(value, (list, tuple, np.ndarray)) else value


def rule_gains(rule: str, sizes: tuple[int, ...], activation: str = "sigmoid") -> dict[str, float]:
    """Where each rule sits on the axis of gains times ``rule``'s std.

    A rule whose ratio to ``rule``'s std differs from layer to layer is placed
    at the geometric mean of its ratios over the hidden layers' weights (the
    output layer left out). ``"4x"`` is four times Glorot's std (the sigmoid's
    ``1 / f'(0)``); ``"critical"`` is the mean-field order-to-chaos weight gain
    (:func:`xorsweep.critical_sigma_w`, bias std 0, weights' variance
    ``sigma_w**2 / fan_in``), given only for the activations the theory covers.

    Parameters
    ----------
    rule : {"article", "glorot", "lecun", "he"}
        The rule the gains multiply.
    sizes : tuple of int
        ``(n_in, h_1, ..., h_L)``: the hidden layers' fans.
    activation : str
        The hidden layers' activation.

    Returns
    -------
    dict of str to float
        Keys ``glorot``, ``lecun``, ``he``, ``4x`` and, where defined, ``critical``.

    Examples
    --------
    >>> {k: round(v, 4) for k, v in rule_gains("glorot", (2, 2)).items()}
    {'glorot': 1.0, 'lecun': 1.0, 'he': 1.4142, '4x': 4.0, 'critical': 10.1493}
    >>> round(rule_gains("he", (2, 8, 8))["glorot"], 4)
    0.5623
    """
    rule = check_rule(rule)
    fans = list(zip(sizes[:-1], sizes[1:], strict=True))

    def mean_ratio(std: Any) -> float:
        logs = [math.log(std(a, b) / rule_std(rule, a, b)) for a, b in fans]
        return math.exp(sum(logs) / len(logs))

    names = ("glorot", "lecun", "he")
    out = {name: mean_ratio(functools.partial(rule_std, name)) for name in names}
    out["4x"] = 4.0 * out["glorot"]
    if activation in MEAN_FIELD_ACTIVATIONS:
        sigma_w = critical_sigma_w(activation, 0.0)
        out["critical"] = mean_ratio(lambda a, b: sigma_w / math.sqrt(a))
    return out


def along_swept(ds: xr.Dataset, what: str = "ds", hint: str = "") -> tuple[xr.Dataset, SweptAxis]:
    """``ds`` along its swept dimension (and ``run``) only, sorted along it, and its axis.

    As :func:`xorsweep.analysis.stats.along_hidden_std` for either axis: other
    dimensions of length 1 are dropped, longer ones refused (``hint`` ends the message).
    """
    axis = swept_axis(ds, what)
    ds = only_dims(ds, (axis.name,), what, hint)
    if axis.name not in ds.dims:
        raise ValueError(f"{what} must have a {axis.name} dimension, got dims {tuple(ds.dims)}")
    return ds.sortby(axis.name), axis


def to_hidden_std(results: xr.Dataset) -> tuple[xr.Dataset, SweptAxis]:
    """``results`` with their swept dimension named ``hidden_std`` (as the fits compute),
    and the :class:`SweptAxis` they came with, to name it back."""
    axis = swept_axis(results)
    if axis.name == "hidden_std":
        return results, axis
    return results.rename({axis.name: "hidden_std"}), axis
