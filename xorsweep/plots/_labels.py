"""What a figure says about its data: the subtitle, the axis names and the rules it marks.

Every figure reads here what its data stand for, so that a figure of a width-4
tanh slice says width 4 and tanh and marks Glorot's std for width 4. A setting
is read from the data, in this order: a scalar coordinate (a grid's selected
point), a variable holding one value (``lr`` of a ``train`` Dataset), a
scalar attribute (a sweep's single value), and for the network the sizes of a
``train`` Dataset (``input``, ``unit``). What the data do not say is not
written. Only a rule's mark needs a network: where the data name none it is
the article's 2-2-1 sigmoid network, as :func:`xorsweep.analysis.slices.slice_setting`
takes it. Axis names come from the variables' CF attributes
(:mod:`xorsweep._core.cf_attrs`), so that a figure and xarray's own plots name a
quantity alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from .._core.cf_attrs import CF_ATTRS, cf_attrs
from ..analysis.axis import MARKS, rule_gains, swept_axis
from ..analysis.beyond_figure_data import RULE_LABELS
from ..analysis.slices import slice_setting
from ..model.initialization import init_rules_by_layer
from ..model.network import output_std_for
from ..model.truth_tables import truth_table
from ._style import GAIN_STYLES, RULE_STYLES

#: How the subtitle names the truth tables it knows; others by their own name.
TASK_NAMES = {"xor": "XOR", "and": "AND", "or": "OR", "xnor": "XNOR"}

#: The settings the subtitle writes only where they differ from the article's, and how.
_UNLESS_ARTICLE = {
    "gradient": ("sum", "gradient {}"),
    "bias": ("scaled", "{} biases"),
    "update": ("article", "{} update"),
}
_LINE_STYLES = ("-", "--", ":", "-.")  # one per network when a figure marks several


@dataclass(frozen=True)
class Network:
    """The network a figure's data (or one slice of them) stand for."""

    n_in: int
    width: int
    n_out: int
    activation: str

    @property
    def is_article(self) -> bool:
        """Whether it is the article's 2-2-1 sigmoid network."""
        return (self.n_in, self.width, self.n_out, self.activation) == (2, 2, 1, "sigmoid")


@dataclass(frozen=True)
class Mark:
    """A rule's std marked on a figure: where, what the legend says, which rule."""

    value: float
    label: str
    rule: str
    network: Network


def setting(ds: xr.Dataset, name: str) -> Any:
    """The one value of setting ``name`` that ``ds`` holds, or None (see the module docstring)."""
    if name in ds.coords and ds[name].ndim == 0:
        return ds[name].values.item()
    if name in ds.data_vars and name not in ds.dims:
        values = np.unique(np.asarray(ds[name].values))
        if values.size == 1:
            return values[0].item()
    value = ds.attrs.get(name)
    if value is None or np.ndim(value) != 0:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _task(ds: xr.Dataset) -> Any:
    """The truth table named by ``ds``'s ``data`` setting, or None."""
    name = setting(ds, "data")
    try:
        return None if name is None else truth_table(name)
    except (TypeError, ValueError):  # a custom table: its name only
        return None


def network(ds: xr.Dataset) -> Network:
    """The network of ``ds`` (one slice): its settings, a ``train`` Dataset's sizes, or the
    article's."""
    table = _task(ds)
    sizes = {
        "n_in": ds.sizes.get("input", table.n_in if table else None),
        "hidden": ds.sizes.get("unit"),
        "n_out": ds.sizes.get("output", table.n_out if table else None),
    }
    values = {}
    for name in ("n_in", "hidden", "n_out", "activation"):
        value = setting(ds, name)
        if value is None:
            value = sizes.get(name)
        values[name] = slice_setting(ds, name) if value is None else value
    return Network(
        int(values["n_in"]), int(values["hidden"]), int(values["n_out"]), values["activation"]
    )


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, (int, np.integer)) else f"{value:.4g}"


def subtitle(ds: xr.Dataset, skip: Sequence[str] = ()) -> str:
    """What ``ds`` stands for, in one line: ``"XOR, width 4, tanh, output std 0.8165, lr 0.1,
    10,000 epochs"``.

    Each part only where ``ds`` says it (see the module docstring), and not for
    the names in ``skip`` (the figure's own axes). ``gradient``, ``bias`` and
    ``update`` are written only where they differ from the article's.
    """
    parts = []
    data = setting(ds, "data")
    if data is not None and "data" not in skip:
        parts.append(TASK_NAMES.get(str(data), str(data)))
    width = setting(ds, "hidden")
    width = ds.sizes.get("unit") if width is None else width
    if width is not None and "hidden" not in skip:
        parts.append(f"width {int(width)}")
    activation = setting(ds, "activation")
    if activation is not None and "activation" not in skip:
        parts.append(str(activation))
    depth = setting(ds, "depth")
    if depth is not None and int(depth) > 1 and "depth" not in skip:
        parts.append(f"{int(depth)} hidden layers")
    weights = setting(ds, "weights")
    if weights is not None and weights != "normal" and "weights" not in skip:
        parts.append(f"{weights} weights")
    output_std = setting(ds, "output_std")
    if output_std == "rule":  # a gain sweep: the axis says what every layer's std is
        output_std = None
    if output_std is not None and "output_std" not in skip:
        if isinstance(output_std, str):
            known = width is not None and "hidden" not in skip
            resolved = output_std_for(output_std, int(width), network(ds).n_out) if known else None
            shown = f"Glorot's ({resolved:.4g})" if resolved is not None else "Glorot's"
            parts.append(f"output std {shown}")
        else:
            parts.append(f"output std {_number(output_std)}")
    lr = setting(ds, "lr")
    if lr is not None and "lr" not in skip:
        parts.append(f"lr {_number(float(lr))}")
    epochs = setting(ds, "epochs")
    if epochs is not None and "epochs" not in skip:
        parts.append(f"{int(epochs):,} epochs")
    for name, (article, text) in _UNLESS_ARTICLE.items():
        value = setting(ds, name)
        if value is not None and value != article and name not in skip:
            parts.append(text.format(value))
    return ", ".join(parts)


def title(main: str, ds: xr.Dataset, skip: Sequence[str] = ()) -> str:
    """``main``, and under it :func:`subtitle` of ``ds`` if it says anything."""
    below = subtitle(ds, skip)
    return f"{main}\n{below}" if below else main


def axis_label(
    ds: xr.Dataset,
    name: str,
    *,
    symbol: str = "",
    units_note: str = "",
    scale: str = "",
    wrap: bool = False,
) -> str:
    """An axis name from the CF attributes of ``ds[name]`` (else of the table, else
    ``name``): ``"mean total loss\\n(nats summed over 10,000 epochs)"``.

    ``symbol`` follows the long name, ``units_note`` the units (``"1"`` is
    written ``dimensionless``), ``scale`` (``"log scale"``) comes last in the
    brackets; ``wrap`` puts the brackets on a line of their own.
    """
    attrs = ds[name].attrs if name in ds.variables else {}
    table = cf_attrs(name, ds.attrs.get("confidence")) if name in CF_ATTRS else {"long_name": name}
    long_name = attrs.get("long_name", table["long_name"])
    units = attrs.get("units", table.get("units"))
    units = "dimensionless" if units == "1" else units
    inside = [" ".join(p for p in (units, units_note) if p), scale]
    inside = [p for p in inside if p]
    head = f"{long_name} {symbol}".strip()
    if not inside:
        return head
    return head + ("\n" if wrap else " ") + f"({', '.join(inside)})"


def _networks(ds: xr.Dataset) -> list[Network]:
    """Each network of ``ds``: one per value of its ``hidden`` and ``activation`` dimensions."""
    dims = [d for d in ("hidden", "activation") if d in ds.dims]
    if not dims:
        return [network(ds)]
    found = []
    for values in itertools.product(*(ds[d].values.tolist() for d in dims)):
        found.append(network(ds.sel(dict(zip(dims, values, strict=True)))))
    return list(dict.fromkeys(found))


def _mark_label(rule: str, net: Network, value: float, several: bool) -> str:
    if rule == "glorot_normal" and net.is_article and not several:
        return r"$1/\sqrt{2} \approx 0.707$ (Glorot)"
    where = f"width {net.width}" + ("" if net.activation == "sigmoid" else f", {net.activation}")
    if rule == "glorot_normal":
        return rf"Glorot $\sqrt{{2/({net.n_in}+{net.width})}} \approx {value:.3f}$ ({where})"
    return rf"{RULE_LABELS.get(rule, rule)} $\approx {value:.3f}$ ({where})"


def rule_marks(ds: xr.Dataset, rules: Sequence[str] = ("glorot_normal",)) -> list[Mark]:
    """Each rule's std of the hidden layer for each network of ``ds``, labelled.

    The stds are :func:`xorsweep.model.initialization.init_rules_by_layer`'s (Glorot's
    is :func:`xorsweep.model.network.glorot_std` of the layer's fans). A ``hidden``
    or ``activation`` dimension gives one network per value; the article's
    network keeps the article's label, ``1/sqrt(2) ~ 0.707 (Glorot)``.

    Examples
    --------
    >>> ds = xr.Dataset(coords={"hidden": 4}, attrs={"activation": "tanh"})
    >>> [(round(m.value, 4), m.label) for m in rule_marks(ds)]
    [(0.5774, 'Glorot $\\\\sqrt{2/(2+4)} \\\\approx 0.577$ (width 4, tanh)')]
    """
    nets = _networks(ds)
    if _gain_rule(ds) is not None:
        return _gain_marks(ds, nets)
    marks = []
    for net in nets:
        table = init_rules_by_layer(net.width, net.activation, n_in=net.n_in, n_out=net.n_out)
        for rule in rules:
            value = float(table.sel(layer="hidden", rule=rule))
            several = len(nets) > 1
            marks.append(Mark(value, _mark_label(rule, net, value, several), rule, net))
    return marks


def _gain_rule(ds: xr.Dataset) -> str | None:
    """The rule of a gain sweep's data, or None (raw stds, or data of no sweep)."""
    try:
        return swept_axis(ds).rule
    except ValueError:
        return None


def _gain_marks(ds: xr.Dataset, nets: list[Network]) -> list[Mark]:
    """Each rule's gain on a gain sweep's axis (:func:`xorsweep.analysis.axis.rule_gains`),
    for each network of ``ds``: Glorot, LeCun, He, 4x Glorot and the critical gain."""
    rule, depth = _gain_rule(ds), int(setting(ds, "depth") or 1)
    marks = []
    for net in nets:
        gains = rule_gains(str(rule), (net.n_in, *(net.width,) * depth), net.activation)
        where = f", width {net.width}, {net.activation}" if len(nets) > 1 else ""
        for key, gain in gains.items():
            label = f"{MARKS[key]}{' (mean field)' if key == 'critical' else ''}: gain {gain:.3g}"
            marks.append(Mark(gain, label + where, GAIN_STYLES[key], net))
    return marks


def draw_rule_marks(
    ax: Axes,
    ds: xr.Dataset,
    rules: Sequence[str] = ("glorot_normal",),
    *,
    label: bool = True,
    lw: float = 1.5,
) -> list[Mark]:
    """Draw :func:`rule_marks` of ``ds`` as vertical lines on ``ax``; returns the marks.

    Each rule in its colour (:data:`~xorsweep.plots.RULE_STYLES`); several
    networks take a line style each, in order. On a gain sweep's axis every rule's
    gain is marked, whatever ``rules`` says.
    """
    marks = rule_marks(ds, rules)
    styles = {
        net: _LINE_STYLES[k % len(_LINE_STYLES)]
        for k, net in enumerate(dict.fromkeys(m.network for m in marks))
    }
    for mark in marks:
        ax.axvline(
            mark.value,
            color=RULE_STYLES.get(mark.rule, {}).get("color", "black"),
            ls=styles[mark.network],
            lw=lw,
            label=mark.label if label else None,
            zorder=1,
        )
    return marks
