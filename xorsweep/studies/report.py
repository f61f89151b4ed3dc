"""The reproduction report: sweep, fit, claims and figures in one Markdown page.

Pure text: :func:`render_report` takes what was computed and returns the page;
the ``xorsweep reproduce`` command writes it next to the figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..analysis.figure_data import FIGURE_TITLES
from ..model.network import GLOROT_STD
from ..training.engines import recorded

__all__ = [
    "claims_text",
    "fit_json",
    "json_ready",
    "json_text",
    "markdown_table",
    "render_report",
]


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return "–"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3g}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:.4g}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, index: bool = True) -> str:
    """A pipe table of ``frame``; NaN shows as an en dash.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"a": [1.5, float("nan")]}, index=["x", "y"])))
    |  | a |
    |---|---:|
    | x | 1.5 |
    | y | – |
    """
    cols = list(frame.columns)
    head = ([str(frame.index.name or "")] if index else []) + [str(c) for c in cols]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in cols]
    align = (["---"] if index else []) + ["---:" if n else "---" for n in numeric]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for key, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = ([_cell(key)] if index else []) + [_cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def json_ready(value: Any) -> Any:
    """NaN and infinities to None, NumPy scalars to Python ones (for strict JSON).

    Examples
    --------
    >>> json_ready({"a": np.float64("nan"), "b": [np.int64(2), 0.5]})
    {'a': None, 'b': [2, 0.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_text(value: Any) -> str:
    """``value`` as strict JSON, indented by 2 (:func:`json_ready` first).

    >>> print(json_text({"optimum": np.float64(0.6), "ci": [float("nan"), 1.0]}))
    {
      "optimum": 0.6,
      "ci": [
        null,
        1.0
      ]
    }
    """
    return json.dumps(json_ready(value), indent=2, allow_nan=False)


def fit_json(store: str, results: xr.Dataset, fit: Any, claims_table: pd.DataFrame) -> str:
    """The JSON text of ``xorsweep fit --json``: the store and the slice of it that
    ``results`` are, the fit (a FitResult) and the claims table of :func:`xorsweep.claims`."""
    selected = {d: c.item() for d, c in results.coords.items() if c.ndim == 0}
    return json_text(
        {
            "store": store,
            "selection": selected,
            "fit": fit.to_dict(),
            "claims": claims_table.to_dict(orient="records"),
            "confidence": claims_table.attrs.get("confidence"),
            "power": claims_table.attrs.get("power", ""),
        }
    )


def claims_text(table: pd.DataFrame) -> str:
    """The claims table of :func:`xorsweep.claims` as numbered plain text."""

    def num(v: float) -> str:
        if v != v:
            return "-"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"

    lines = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        lines.append(
            f"{i}. {row.claim}\n   article {num(row.article)}, measured {num(row.measured)} "
            f"[{num(row.measured_low)}, {num(row.measured_high)}] {row.unit}: "
            f"{row.verdict.upper()}\n"
            f"   {row.note}"
        )
    if table.attrs.get("power"):
        lines.append(f"\n{table.attrs['power']}")
    return "\n".join(lines)


def _timing(seconds: Mapping[str, float], total: float | None) -> list[str]:
    """The stages' seconds; the sweep's is the store's total compute time where it has one."""
    stages = {name: float(v) for name, v in seconds.items()}
    how = dict.fromkeys(stages, "wall time of this command")
    if "sweep" in stages:
        if total is not None and math.isfinite(total) and total > 0:
            stages["sweep"] = float(total)
            how["sweep"] = "compute time of every run in the store (its compute_seconds)"
        else:
            how["sweep"] = (
                "wall time of this command (the store does not record its compute time; a "
                "resumed sweep counts only the blocks it computed)"
            )
    timing = pd.DataFrame(
        {"seconds": list(stages.values()), "measured as": list(how.values())}, index=stages
    )
    timing.index.name = "stage"
    return ["Time of each stage:", "", markdown_table(timing), ""]


def _configuration(results: xr.Dataset) -> pd.DataFrame:
    grid = results["hidden_std"].values
    present = np.isfinite(results["total_loss"].values)
    attrs = results.attrs
    runs = int(present.sum())
    epochs = int(attrs.get("epochs", 0))
    rows = {
        "hidden std grid": f"{grid.size} points, {grid.min():.4g} to {grid.max():.4g} (log-spaced)",
        "runs": f"{runs:,} ({runs / grid.size:,.0f} per point on average)",
        "output std": attrs.get("output_std", "–"),
        "learning rate": attrs.get("lr", "–"),
        "epochs": f"{epochs:,}",
        "net-epochs": f"{runs * epochs:.3g}",
        "update order": attrs.get("update", "–"),
        "training engine": recorded(attrs),
        "seed": attrs.get("seed", "–"),
        "xorsweep": attrs.get("xorsweep_version", "–"),
    }
    return pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows))


def render_report(
    results: xr.Dataset,
    fit: Any,
    claims_table: pd.DataFrame,
    figures: Mapping[str, str],
    *,
    scale: str,
    seconds: Mapping[str, float] | None = None,
    compute_seconds: float | None = None,
    notes: Sequence[str] = (),
    command: str = "",
) -> str:
    """The Markdown report of a reproduction.

    Parameters
    ----------
    results : xarray.Dataset
        The sweep's results (dims hidden_std, run), with its attributes.
    fit : FitResult
        :func:`xorsweep.fit_optimum` of ``results``.
    claims_table : pandas.DataFrame
        :func:`xorsweep.claims` of ``results``.
    figures : mapping of str to str
        Figure name (e.g. ``"fig08_loss_vs_std"``) to its path relative to the report.
    scale : str
        The sweep's size as the title shows it, e.g. ``"quick scale"`` or
        ``"custom scale: 12 points x 60 runs x 300 epochs"``.
    seconds : mapping of str to float, optional
        Wall time of each stage.
    compute_seconds : float, optional
        The store's total compute time over every run of the sweep, resumes
        included; shown for ``"sweep"`` instead of its wall time where given.
    notes : sequence of str
        Remarks for the reader (a failed fit, an example network that did not converge).
    command : str
        The command that regenerates the report.

    Returns
    -------
    str
        Markdown text.
    """
    out = [f"# Machine Learning XOR from Scratch, reproduced ({scale})", ""]
    out += [
        "The article trains a 2-2-1 sigmoid network on XOR and asks how the standard deviation "
        "of the hidden layer's initial weights changes learning. This report is regenerated "
        "from data by `xorsweep`.",
        "",
    ]
    if command:
        out += ["Regenerate (re-running resumes the sweep):", "", f"    {command}", ""]
    out += ["## Configuration", "", markdown_table(_configuration(results)), ""]
    if seconds:
        out += _timing(seconds, compute_seconds)
    if "fig08_loss_vs_std" in figures:
        out += ["## The headline", "", f"![figure 8]({figures['fig08_loss_vs_std']})", ""]
    out += ["## The optimal std against Glorot's 1/√2", ""]
    if getattr(fit, "ok", False):
        lo, hi = fit.optimum_ci
        out += [
            f"Fitted optimum **{fit.optimum:.3f}** (95% CI {lo:.3f} to {hi:.3f}); "
            f"Glorot's 1/√2 = {GLOROT_STD:.4f} lies {abs(fit.glorot_distance):.2f} CI half-widths "
            f"{'below' if fit.glorot_distance < 0 else 'above'} it.",
            "",
        ]
    else:
        out += [f"No optimum: {getattr(fit, 'reason', 'no fit')}", ""]
    out += ["```", repr(fit), "```", ""]
    out += [markdown_table(fit.to_frame()), ""]
    out += ["## The article's claims, measured", ""]
    conf = claims_table.attrs.get("confidence", 0.95)
    cols = ["claim", "article", "measured", "measured_low", "measured_high", "unit", "verdict"]
    shown = claims_table[cols].rename(
        columns={"measured_low": f"{conf:.0%} low", "measured_high": f"{conf:.0%} high"}
    )
    out += [markdown_table(shown, index=False), ""]
    if claims_table.attrs.get("power"):
        out += [claims_table.attrs["power"], ""]
    out += ["How each was measured:", ""]
    out += [f"{i}. {note}" for i, note in enumerate(claims_table["note"], start=1)]
    out += [""]
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    out += ["## All figures", ""]
    for name, path in figures.items():
        out += [f"### {FIGURE_TITLES.get(name, name)}", "", f"![{name}]({path})", ""]
    return "\n".join(out)
