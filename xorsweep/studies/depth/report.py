"""The depth study's report: one table per line, the lr map, the optimum at each budget, the
rule each regime follows, the figures, and the summary files.

:func:`render_report` is the Markdown text from the analysis alone (no file is
read); :func:`write_report` draws the figures and writes every file. The tables
are :mod:`~xorsweep.studies.depth.tables`'.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..report import json_text
from .analysis import DepthAnalysis, lr_answer
from .plan import LINES, RULE_NAMES, DepthScale
from .tables import (
    budget_table,
    diverged_text,
    line_table,
    lr_table,
    optimum_text,
    rule_table,
    setting,
)

__all__ = ["LINE_TITLES", "optimum_text", "render_report", "write_report"]

#: Each line's heading in the report.
LINE_TITLES = {
    "depth": "Depth line: XOR, width 4, gradient descent",
    "fan_in": "Fan-in line: n-bit parity, width 4, sigmoid, gradient descent",
    "optimizer": "Optimiser line: XOR, width 4, sigmoid",
    "lr_map": "Learning rate x gain: XOR, depth 1, width 4, sigmoid",
}

_DPI = 120


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


def _sizes_text(size: DepthScale, optima: Sequence[Mapping[str, Any]], context) -> str:
    seconds = context["seconds"]
    configs = len({r["config"] for r in optima})
    return (
        f"Scale **{context['scale']}**: {size.runs:,} runs at each of {size.points} "
        f"log-spaced gains from {size.gain_range[0]:g} to {size.gain_range[1]:g} times "
        f"Glorot's std, {size.epochs:,} epochs at lr {size.lr:g} (every optimiser; the lr map "
        f"at lr {', '.join(f'{x:g}' for x in size.map_lrs)}, the same networks at every lr), "
        f"each run scored at {', '.join(f'{b:,}' for b in size.budgets)} epochs, "
        f"{configs} configurations, seed {context['seed']}, engine {context['engine']}. "
        f"Training took {seconds['training recorded']:.0f} s of computing (the sum over "
        "configurations recorded in the store)"
        + (_resumed_text(len(context["trained"])) if len(context["trained"]) < configs else "")
        + f"; the fits {seconds['analysis']:.0f} s ({size.n_boot:,} bootstrap replicates). "
        f"The budget of the line tables is {size.epochs:,} epochs: a network not right at the "
        "end of it is unsolved."
    )


def _lr_map_section(rows: Sequence[Mapping[str, Any]], size: DepthScale, figures) -> list[str]:
    """The lr map: per optimiser its table of optima and the answer, then the figure."""
    text = [
        "",
        f"## {LINE_TITLES['lr_map']}",
        "",
        "Is the article's optimum a property of its learning rate "
        f"{size.lr:g}? Each cell is the optimum gain [95% interval] fitted at that lr and "
        "budget; 'rules inside' is at the longest budget.",
    ]
    for opt in dict.fromkeys(r["optimizer"] for r in rows):
        mine = [r for r in rows if r["optimizer"] == opt]
        text += ["", f"### {opt}", "", *lr_table(mine), ""]
        text += [" ".join(lr_answer(mine, size.lr))]
    text += diverged_text(rows)
    if "lr_map" in figures:
        text += ["", f"![Mean total loss over learning rate and gain]({figures['lr_map']})"]
    return text


def render_report(
    size: DepthScale,
    optima: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
    figures: Mapping[str, str],
) -> str:
    """The report's Markdown: sizes, one table per line, the lr map, the budgets, the rules
    each regime follows, the figures, the command."""
    text = [
        "# Where does Glorot hold? Depth, fan-in and optimisers",
        "",
        _sizes_text(size, optima, context),
        "",
        _rules_text(),
        "",
        "The optimum is fitted by `fit_optimum` (a weighted cubic in log(gain) near the "
        "smoothed minimum of the mean total loss, a percentile bootstrap over runs); where "
        "it finds none the table says why and gives no number.",
    ]
    for line in LINES[:-1]:
        rows = [r for r in optima if r["line"] == line]
        if not rows:
            continue
        text += ["", f"## {LINE_TITLES[line]}", "", *line_table(rows), *diverged_text(rows)]
        if f"loss_{line}" in figures:
            text += [
                "",
                f"![Mean total loss against the gain, {line} line]({figures[f'loss_{line}']})",
            ]
    mapped = [r for r in optima if r["line"] == "lr_map"]
    if mapped:
        text += _lr_map_section(mapped, size, figures)
    lines = [r for r in optima if r["line"] != "lr_map"]
    if lines and len(size.budgets) > 1:
        text += [
            "",
            "## Optimum at each budget",
            "",
            "Every run is scored at each budget (its total loss over the first epochs, and "
            "solved if right from some epoch to the end of the budget); the optimum is fitted "
            "again at each. The lr map's are in its tables above.",
            "",
            *budget_table(lines),
        ]
    text += [
        "",
        "## Which rule each regime's optimum follows",
        "",
        f"At {size.epochs:,} epochs: the rules whose gain lies inside the optimum's 95% "
        "interval, 'none' where no rule's does, and 'no optimum' with the fit's reason where "
        "there is no optimum to compare.",
        "",
        *rule_table(optima),
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


def _figures(analysis: DepthAnalysis, directory: Path) -> dict[str, str]:
    """Draw the study's figures into ``directory``; name -> path relative to its parent."""
    from matplotlib.figure import Figure

    from ...plots._depth import plot_gain_loss, plot_lr_gain_map, plot_optimum_vs_depth

    directory.mkdir(parents=True, exist_ok=True)
    paths, optima = {}, analysis.optima
    for line in LINES[:-1]:
        rows = [r for r in optima if r["line"] == line]
        if not rows:
            continue
        cols = min(4, len(rows))
        nrows = math.ceil(len(rows) / cols)
        fig = Figure(figsize=(3.2 * cols, 2.6 * nrows), layout="constrained")
        axes = fig.subplots(nrows, cols, squeeze=False).ravel()
        for ax, row in zip(axes, rows, strict=False):
            optimum = (row["optimum"], row["low"], row["high"]) if row["ok"] else None
            points = analysis.points.sel(config=row["config"])
            plot_gain_loss(points, row["rules"], optimum, title=setting(row), ax=ax)
        for ax in axes[len(rows) :]:
            ax.set_visible(False)
        axes[0].legend(fontsize="xx-small")
        paths[f"loss_{line}"] = _save(fig, directory / f"loss_{line}.png")
    mapped = [r for r in optima if r["line"] == "lr_map"]
    if mapped and analysis.lr_points is not None:
        configs = list(dict.fromkeys(r["config"] for r in mapped))
        fig = Figure(figsize=(5.2 * len(configs), 4.0), layout="constrained")
        axes = fig.subplots(1, len(configs), squeeze=False).ravel()
        for ax, name in zip(axes, configs, strict=True):
            rows = [r for r in mapped if r["config"] == name]
            title = f"{rows[0]['optimizer']}, {rows[0]['epochs']:,} epochs"
            plot_lr_gain_map(analysis.lr_points.sel(config=name), rows, title=title, ax=ax)
        paths["lr_map"] = _save(fig, directory / "lr_map.png")
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


def _tables(optima: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """``optima.csv`` (one row per regime) and ``budgets.csv`` (per regime and budget)."""
    import pandas as pd

    skip = ("rules", "budgets")
    table = pd.DataFrame(
        [
            {
                **{k: v for k, v in r.items() if k not in skip},
                **{f"gain_{k}": v for k, v in r["rules"].items()},
            }
            for r in optima
        ]
    )
    table["rules_inside"] = table["rules_inside"].map(" ".join)
    keys = ("config", "line", "optimizer", "depth", "lr")
    budgets = pd.DataFrame([{**{k: r[k] for k in keys}, **b} for r in optima for b in r["budgets"]])
    budgets["rules_inside"] = budgets["rules_inside"].map(" ".join)
    return table, budgets


def write_report(
    out: Path, size: DepthScale, analysis: DepthAnalysis, context: Mapping[str, Any]
) -> Path:
    """Write ``figures/``, ``summary.csv``, ``lr_map.csv``, ``optima.csv``, ``budgets.csv``,
    ``summary.json`` and ``report.md``.

    Returns ``out / "report.md"``.
    """
    start = time.perf_counter()
    figures = _figures(analysis, out / "figures")
    context = {**context, "seconds": {**context["seconds"], "figures": time.perf_counter() - start}}
    if analysis.points is not None:
        _write(out / "summary.csv", analysis.points.to_dataframe().to_csv())
    if analysis.lr_points is not None:
        _write(out / "lr_map.csv", analysis.lr_points.to_dataframe().to_csv())
    table, budgets = _tables(analysis.optima)
    _write(out / "optima.csv", table.to_csv(index=False))
    _write(out / "budgets.csv", budgets.to_csv(index=False))
    summary = {"context": dict(context), "sizes": _sizes(size), "optima": analysis.optima}
    _write(out / "summary.json", json_text(summary) + "\n")
    report = out / "report.md"
    _write(report, render_report(size, analysis.optima, context, figures))
    return report


def _sizes(size: DepthScale) -> dict[str, Any]:
    return {
        "runs": size.runs,
        "points": size.points,
        "epochs": size.epochs,
        "n_boot": size.n_boot,
        "gain_range": list(size.gain_range),
        "lr": size.lr,
        "budgets": list(size.budgets),
        "map_lrs": list(size.map_lrs),
    }
