"""The depth study's report: one table per line, the figures, and the summary files.

:func:`render_report` is the Markdown text from the analysis alone (no file is
read); :func:`write_report` draws the figures and writes every file.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from ..report import json_text
from .plan import LINES, RULE_NAMES, DepthScale

__all__ = ["LINE_TITLES", "optimum_text", "render_report", "write_report"]

#: Each line's heading in the report.
LINE_TITLES = {
    "depth": "Depth line: XOR, width 4, gradient descent",
    "fan_in": "Fan-in line: n-bit parity, width 4, sigmoid, gradient descent",
    "optimizer": "Optimiser line: XOR, width 4, sigmoid",
}

_DPI = 120


def optimum_text(row: Mapping[str, Any]) -> str:
    """``"0.62 [0.55, 0.71]"``, or ``"no optimum: <reason>"`` without a number.

    >>> optimum_text({"ok": True, "optimum": 0.6234, "low": 0.55, "high": 0.71})
    '0.623 [0.55, 0.71]'
    >>> optimum_text({"ok": False, "reason": "lowest at the grid's end"})
    "no optimum: lowest at the grid's end"
    """
    if not row["ok"]:
        return f"no optimum: {row['reason']}"
    return f"{row['optimum']:.3g} [{row['low']:.3g}, {row['high']:.3g}]"


def _share(value: float) -> str:
    """A share in percent, with a decimal below 1% so that a few solved runs do not read 0%.

    >>> _share(1 / 256), _share(0.0), _share(0.976), _share(math.nan)
    ('0.4%', '0%', '98%', 'n/a')
    """
    if math.isnan(value):
        return "n/a"
    return f"{100 * value:.1f}%" if 0 < value < 0.01 else f"{100 * value:.0f}%"


def _epochs(value: float) -> str:
    return "none solved" if math.isnan(value) else f"{value:,.0f}"


def _setting(row: Mapping[str, Any]) -> str:
    parts = {
        "depth": f"depth {row['depth']}, {row['activation']}, {row['weights']}",
        "fan_in": f"{row['task']}, depth {row['depth']}",
        "optimizer": f"{row['optimizer']}, depth {row['depth']}",
    }
    return parts[row["line"]]


def _table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| configuration | optimum gain [95% interval] | rules inside | solved at optimum "
        "| solved at Glorot | median epochs to solve at optimum | at Glorot |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        inside = ", ".join(row["rules_inside"]) or ("none" if row["ok"] else "-")
        at_optimum = _epochs(row["median_epochs_at_optimum"]) if row["ok"] else "n/a"
        lines.append(
            f"| {_setting(row)} | {optimum_text(row)} | {inside} "
            f"| {_share(row['solved_at_optimum'])} | {_share(row['solved_at_glorot'])} "
            f"| {at_optimum} | {_epochs(row['median_epochs_at_glorot'])} |"
        )
    return lines


def _diverged(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """A sentence on the configurations with diverged runs (non-finite loss), if any."""
    parts = [
        f"{_setting(r)}: {r['diverged_runs']:,} of {r['runs']:,}"
        for r in rows
        if r["diverged_runs"]
    ]
    if not parts:
        return []
    return [
        "",
        "Runs whose loss overflowed to a non-finite value (diverged) count as unsolved and "
        "are left out of the mean loss: " + "; ".join(parts) + ".",
    ]


def _rules_text() -> str:
    return (
        "Every gain multiplies Glorot's std sqrt(2 / (fan_in + fan_out)) of every layer, the "
        "output layer's too; biases are drawn like their layer's weights. The rules on the "
        "same axis: Glorot = 1; LeCun and He by their stds' ratio to Glorot's (geometric mean "
        "over the hidden layers); 4x; `critical` = the mean-field order-to-chaos gain "
        "(chi_1 = 1 at bias std 0) as a gain over Glorot's. 'rules inside' lists the rules "
        f"({', '.join(RULE_NAMES)}) whose gain lies in the optimum's interval. 'solved at "
        "optimum' is the share solved at the grid gain nearest the optimum."
    )


def render_report(
    size: DepthScale,
    optima: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
    figures: Mapping[str, str],
) -> str:
    """The report's Markdown: sizes, one table per line, the figures, the command."""
    seconds = context["seconds"]
    text = [
        "# Where does Glorot hold? Depth, fan-in and optimisers",
        "",
        f"Scale **{context['scale']}**: {size.runs:,} runs at each of {size.points} "
        f"log-spaced gains from {size.gain_range[0]:g} to {size.gain_range[1]:g} times "
        f"Glorot's std, {size.epochs:,} epochs at lr {size.lr:g} (every optimiser), "
        f"{len(optima)} configurations, seed {context['seed']}, engine {context['engine']}. "
        f"Training took {seconds['training recorded']:.0f} s of computing (the sum over "
        "configurations recorded in the store)"
        + (_resumed_text(len(context["trained"])) if _resumed(context, optima) else "")
        + f"; the fits {seconds['analysis']:.0f} s ({size.n_boot:,} bootstrap replicates). "
        f"The budget is {size.epochs:,} epochs: a network not right at the end of it is "
        "unsolved.",
        "",
        _rules_text(),
        "",
        "The optimum is fitted by `fit_optimum` (a weighted cubic in log(gain) near the "
        "smoothed minimum of the mean total loss, a percentile bootstrap over runs); where "
        "it finds none the table says why and gives no number.",
    ]
    for line in LINES:
        rows = [r for r in optima if r["line"] == line]
        if not rows:
            continue
        text += ["", f"## {LINE_TITLES[line]}", "", *_table(rows), *_diverged(rows)]
        if f"loss_{line}" in figures:
            text += [
                "",
                f"![Mean total loss against the gain, {line} line]({figures[f'loss_{line}']})",
            ]
    if "optimum_vs_depth" in figures:
        text += [
            "",
            "## Optimum gain against depth",
            "",
            f"![Optimum gain against depth]({figures['optimum_vs_depth']})",
        ]
    text += [
        "",
        "## Regenerate",
        "",
        f"`xorsweep reproduce --study depth --scale {context['scale']} --out DIR"
        + (f" --engine {context['engine']}" if context["engine"] != "auto" else "")
        + (f" --seed {context['seed']}" if context["seed"] else "")
        + "` (a killed run resumes at the first configuration not in DIR/stores/depth.zarr).",
        "",
    ]
    return "\n".join(text)


def _resumed_text(trained: int) -> str:
    """What a resumed run did, e.g. '; this run trained 1 of them and read the others'."""
    if not trained:
        return "; this run read them all from the store"
    return f"; this run trained {trained} of them and read the others"


def _resumed(context: Mapping[str, Any], optima: Sequence[Mapping[str, Any]]) -> bool:
    return len(context["trained"]) < len(optima)


def _figures(
    points: xr.Dataset, optima: Sequence[Mapping[str, Any]], directory: Path
) -> dict[str, str]:
    """Draw the study's figures into ``directory``; name -> path relative to its parent."""
    from matplotlib.figure import Figure

    from ...plots._depth import plot_gain_loss, plot_optimum_vs_depth

    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for line in LINES:
        rows = [r for r in optima if r["line"] == line]
        if not rows:
            continue
        cols = min(4, len(rows))
        nrows = math.ceil(len(rows) / cols)
        fig = Figure(figsize=(3.2 * cols, 2.6 * nrows), layout="constrained")
        axes = fig.subplots(nrows, cols, squeeze=False).ravel()
        for ax, row in zip(axes, rows, strict=False):
            optimum = (row["optimum"], row["low"], row["high"]) if row["ok"] else None
            plot_gain_loss(
                points.sel(config=row["config"]), row["rules"], optimum, title=_setting(row), ax=ax
            )
        for ax in axes[len(rows) :]:
            ax.set_visible(False)
        axes[0].legend(fontsize="xx-small")
        paths[f"loss_{line}"] = _save(fig, directory / f"loss_{line}.png")
    depth_rows = [r for r in optima if r["line"] == "depth"]
    if depth_rows:
        fig = Figure(figsize=(6.0, 4.0), layout="constrained")
        plot_optimum_vs_depth(depth_rows, ax=fig.subplots())
        paths["optimum_vs_depth"] = _save(fig, directory / "optimum_vs_depth.png")
    return paths


def _save(fig: Any, path: Path) -> str:
    fig.savefig(path, dpi=_DPI)
    return f"{path.parent.name}/{path.name}"


def _write(path: Path, text: str) -> None:
    """``text`` into ``path``, whole or not at all (written aside, then renamed)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def write_report(
    out: Path,
    size: DepthScale,
    points: xr.Dataset,
    optima: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
) -> Path:
    """Write ``figures/``, ``summary.csv``, ``optima.csv``, ``summary.json`` and ``report.md``.

    Returns ``out / "report.md"``.
    """
    import pandas as pd

    start = time.perf_counter()
    figures = _figures(points, optima, out / "figures")
    context = {**context, "seconds": {**context["seconds"], "figures": time.perf_counter() - start}}
    _write(out / "summary.csv", points.to_dataframe().to_csv())
    table = pd.DataFrame(
        [
            {
                **{k: v for k, v in r.items() if k != "rules"},
                **{f"gain_{k}": v for k, v in r["rules"].items()},
            }
            for r in optima
        ]
    )
    table["rules_inside"] = table["rules_inside"].map(" ".join)
    _write(out / "optima.csv", table.to_csv(index=False))
    summary = {"context": dict(context), "sizes": _sizes(size), "optima": list(optima)}
    _write(out / "summary.json", json_text(summary) + "\n")
    report = out / "report.md"
    _write(report, render_report(size, optima, context, figures))
    return report


def _sizes(size: DepthScale) -> dict[str, Any]:
    return {
        "runs": size.runs,
        "points": size.points,
        "epochs": size.epochs,
        "n_boot": size.n_boot,
        "gain_range": list(size.gain_range),
        "lr": size.lr,
    }
