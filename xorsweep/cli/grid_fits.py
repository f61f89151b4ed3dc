"""What ``xorsweep fit`` says of a grid: a row per slice, or the joint optimum of two stds.

Pure text and JSON-ready values from the results of
:func:`xorsweep.fit_slices` (a Dataset over the slices and ``rule``) and
:func:`xorsweep.fit_surface` (a :class:`~xorsweep.SurfaceFit`); the
command prints and writes them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..analysis.axis import swept_axis
from ..analysis.fit import plain_value
from ..analysis.slices import RULE_VARIABLES, SLICE_VARIABLES
from ..studies.report import markdown_table

__all__ = ["slice_records", "slices_text", "surface_record", "surface_text"]


def _number(value: float, fmt: str = ".4g") -> str:
    return format(value, fmt) if math.isfinite(value) else "–"


def _slices(fits: xr.Dataset) -> list[xr.Dataset]:
    """Each slice of ``fits``, in the grid's order (one for fits over no dimension)."""
    dims = list(fits.optimum.dims)
    return [
        fits.isel(dict(zip(dims, index, strict=True))) for index in np.ndindex(fits.optimum.shape)
    ]


def _where(one: xr.Dataset) -> dict[str, Any]:
    """A slice's coordinates along the fitted dimensions."""
    return {d: one[d].item() for d in one.optimum.coords if one[d].ndim == 0}


def _in_ci(distance: float) -> bool | None:
    """Whether a rule at ``distance`` CI half-widths lies in the CI; None without a fit."""
    return None if math.isnan(distance) else bool(abs(distance) <= 1)


def slice_records(fits: xr.Dataset) -> list[dict[str, Any]]:
    """One dictionary per slice: its coordinates, the fit's numbers, and per rule
    :data:`~xorsweep.analysis.slices.RULE_VARIABLES` with ``in_ci``: whether the rule's std lies in
    the CI (None where the slice has no optimum)."""
    records = []
    for one in _slices(fits):
        record = {**_where(one), **{v: one[v].item() for v in SLICE_VARIABLES}}
        record["rules"] = {
            str(rule): {
                **{v: one[v].sel(rule=rule).item() for v in RULE_VARIABLES},
                "in_ci": _in_ci(one.rule_distance.sel(rule=rule).item()),
            }
            for rule in one.rule.values
        }
        records.append(record)
    return records


def _rule_cell(rule: dict[str, Any]) -> str:
    """A rule in a slice's row: its std, whether it is in the CI, its penalty in %."""
    inside = {True: "in", False: "out", None: "–"}[rule["in_ci"]]
    penalty = rule["penalty"]
    said = f"{penalty:+.3g}%" if math.isfinite(penalty) else "–"
    return f"{_number(rule['rule_std'])} {inside} {said}"


def slices_text(fits: xr.Dataset) -> str:
    """A table with a row per slice (optimum and CI, or "no optimum"; each rule's std, in
    the CI or not, loss penalty in %), the rules' legend, and why each slice without an
    optimum has none."""
    pct = f"{100 * fits.attrs['confidence']:g}%"
    rows, failed = [], []
    for record in slice_records(fits):
        where = {d: record[d] for d in fits.optimum.dims}
        if record["ok"]:
            ci = f"[{_number(record['optimum_low'])}, {_number(record['optimum_high'])}]"
            said_optimum = f"{_number(record['optimum'])} {ci}"
        else:
            said_optimum = "no optimum"
        row = {**where, f"optimum [{pct} CI]": said_optimum}
        row.update({rule: _rule_cell(value) for rule, value in record["rules"].items()})
        rows.append(row)
        if not record["ok"]:
            said = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in where.items()
            )
            failed.append(f"  {said or 'the store'}: {record['reason']}")
    axis = swept_axis(fits)
    place = "the hidden layer's std" if axis.rule is None else f"its gain on the {axis.words} axis"
    lines = [
        f"Optimal {axis.words} of each slice ({fits.attrs['model']}); for each rule, {place}, "
        f"whether it lies in the {pct} CI, and the loss penalty of using it "
        "instead of the optimum (%, on the fitted curve; – outside its window):",
        "",
        markdown_table(pd.DataFrame(rows), index=False),
    ]
    if failed:
        lines += ["", f"{len(failed)} of {len(rows)} slices have no optimum:", *failed]
    return "\n".join(lines)


def surface_record(fit: Any) -> dict[str, Any]:
    """A SurfaceFit's :meth:`~xorsweep.SurfaceFit.to_dict`, with its region's boundary."""
    hidden, output = (plain_value(stds) for stds in fit.region_boundary())
    return {**fit.to_dict(), "region_boundary": {"hidden_std": hidden, "output_std": output}}


def surface_text(fit: Any) -> str:
    """The joint optimum (the fit's repr), the confidence region's extent, and each
    rule's pair with its loss penalty and distance in region radii."""
    pct = f"{100 * fit.confidence:g}%"
    lines = [repr(fit)]
    hidden, output = fit.region_boundary()
    if np.all(np.isfinite(hidden)):
        lines.append(
            f"  {pct} confidence region: an ellipse in the log stds, hidden std "
            f"{hidden.min():.4g} to {hidden.max():.4g}, output std {output.min():.4g} to "
            f"{output.max():.4g}"
        )
    rules = fit.rules
    if rules.sizes.get("rule", 0):
        inside = fit.contains(rules.hidden_std.values, rules.output_std.values)
        frame = pd.DataFrame(
            {
                "hidden std": rules.hidden_std.values,
                "output std": rules.output_std.values,
                "loss": rules.loss.values,
                "penalty %": rules.penalty.values,
                f"penalty {pct} CI": [
                    f"[{_number(lo, '.3g')}, {_number(hi, '.3g')}]"
                    for lo, hi in zip(
                        rules.penalty_low.values, rules.penalty_high.values, strict=True
                    )
                ],
                "region radii": rules.distance.values,
                "in region": np.where(
                    np.isfinite(rules.distance.values), np.where(inside, "yes", "no"), "–"
                ),
            },
            index=pd.Index(rules.rule.values, name="rule"),
        )
        lines += ["", "The rules' (hidden, output) pairs:", markdown_table(frame)]
    return "\n".join(lines)
