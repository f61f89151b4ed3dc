"""The depth study's report tables: one per line, the optimum at each budget, the rule each
regime follows, and the learning-rate x gain map's optima, as Markdown lines.

Each function takes :func:`~xorsweep.studies.depth.analysis.analyse_depth`'s
optima (rows) and returns lines of text; no file is read or written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .analysis import budget_verdict, rules_followed

__all__ = [
    "budget_table",
    "diverged_text",
    "line_table",
    "lr_table",
    "optimum_text",
    "rule_table",
    "setting",
    "share",
]


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


def share(value: float) -> str:
    """A share in percent, with a decimal below 1% so that a few solved runs do not read 0%.

    >>> share(1 / 256), share(0.0), share(0.976), share(math.nan)
    ('0.4%', '0%', '98%', 'n/a')
    """
    if math.isnan(value):
        return "n/a"
    return f"{100 * value:.1f}%" if 0 < value < 0.01 else f"{100 * value:.0f}%"


def _epochs(value: float) -> str:
    return "none solved" if math.isnan(value) else f"{value:,.0f}"


def setting(row: Mapping[str, Any]) -> str:
    """A regime's label within its line, e.g. ``"depth 3, tanh, normal"`` or ``"gd, lr 0.5"``.

    >>> setting({"line": "lr_map", "optimizer": "adam", "lr": 0.0464, "depth": 1})
    'adam, lr 0.0464, depth 1'
    """
    line = row["line"]
    if line == "depth":
        return f"depth {row['depth']}, {row['activation']}, {row['weights']}"
    if line == "fan_in":
        return f"{row['task']}, depth {row['depth']}"
    if line == "lr_map":
        return f"{row['optimizer']}, lr {row['lr']:g}, depth {row['depth']}"
    return f"{row['optimizer']}, depth {row['depth']}"


def line_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line's table: optimum, rules inside, shares solved and median epochs."""
    lines = [
        "| configuration | optimum gain [95% interval] | rules inside | solved at optimum "
        "| solved at Glorot | median epochs to solve at optimum | at Glorot |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        inside = ", ".join(row["rules_inside"]) or ("none" if row["ok"] else "-")
        at_optimum = _epochs(row["median_epochs_at_optimum"]) if row["ok"] else "n/a"
        lines.append(
            f"| {setting(row)} | {optimum_text(row)} | {inside} "
            f"| {share(row['solved_at_optimum'])} | {share(row['solved_at_glorot'])} "
            f"| {at_optimum} | {_epochs(row['median_epochs_at_glorot'])} |"
        )
    return lines


def diverged_text(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """A sentence on the configurations with diverged runs (non-finite loss), if any."""
    parts = [
        f"{setting(r)}: {r['diverged_runs']:,} of {r['runs']:,}" for r in rows if r["diverged_runs"]
    ]
    if not parts:
        return []
    return [
        "",
        "Runs whose loss or parameters overflowed to non-finite values (diverged) count as "
        "unsolved at every budget and are left out of the mean loss: " + "; ".join(parts) + ".",
    ]


def _cell(fit: Mapping[str, Any]) -> str:
    """A compact optimum for a grid of budgets: the number and interval, or ``"no optimum"``."""
    if not fit["ok"]:
        return "no optimum"
    return f"{fit['optimum']:.3g} [{fit['low']:.3g}, {fit['high']:.3g}]"


def _reasons(items: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """One line listing why each ``(label, fit)`` without an optimum has none, if any."""
    missing = [f"{label}: {fit['reason']}" for label, fit in items if not fit["ok"]]
    if not missing:
        return []
    return ["", "Without an optimum (why): " + "; ".join(missing) + "."]


def budget_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The optimum of each regime at each budget, whether a longer budget moves it, and a
    sentence counting where it moves."""
    budgets = [b["budget"] for b in rows[0]["budgets"]]
    lines = [
        "| configuration | "
        + " | ".join(f"{b:,} epochs" for b in budgets)
        + " | a longer budget |",
        "|---|" + "---|" * (len(budgets) + 1),
    ]
    verdicts, missing = [], []
    for row in rows:
        code, words = budget_verdict(row)
        verdicts.append((code, setting(row)))
        cells = " | ".join(_cell(b) for b in row["budgets"])
        lines.append(f"| {setting(row)} | {cells} | {words} |")
        missing += [(f"{setting(row)} at {b['budget']:,}", b) for b in row["budgets"]]
    moves = [name for code, name in verdicts if code == "moves"]
    stays = [name for code, name in verdicts if code == "stays"]
    told = len(moves) + len(stays)
    if told == 0:
        summary = "No configuration has an optimum at two budgets: the budget's effect is untold."
    else:
        summary = (
            f"A longer budget moves the optimum (the 95% intervals at the shortest and the "
            f"longest budget with an optimum are disjoint) in {len(moves)} of the {told} "
            "configurations with an optimum at two budgets or more"
            + (": " + "; ".join(moves) if moves else "")
            + f". In the other {len(stays)} the intervals overlap."
        )
    untold = len(verdicts) - told
    if untold:
        summary += f" {untold} have an optimum at fewer than two budgets."
    return [*lines, *_reasons(missing), "", summary]


def rule_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One table: the rule(s) whose gain lies in each regime's interval, ``none``, or
    ``no optimum: <reason>``; then a sentence naming the regimes that follow none."""
    lines = [
        "| line | regime | optimum gain [95% interval] | follows |",
        "|---|---|---|---|",
    ]
    for row in rows:
        shown = optimum_text(row) if row["ok"] else "-"
        lines.append(f"| {row['line']} | {setting(row)} | {shown} | {rules_followed(row)} |")
    none = [setting(r) for r in rows if r["ok"] and rules_followed(r) == "none"]
    without = sum(not r["ok"] for r in rows)
    found = len(rows) - without
    text = (
        f"No rule's gain lies inside the interval in {len(none)} of the {found} regimes with an "
        "optimum" + (": " + "; ".join(none) if none else "") + "."
    )
    if without:
        text += f" {without} regime(s) have no optimum, so no rule can be placed there."
    return [*lines, "", text]


def lr_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lr map's optimum for each (learning rate, budget) of one optimiser."""
    rows = sorted(rows, key=lambda r: r["lr"])
    budgets = [b["budget"] for b in rows[0]["budgets"]]
    lines = [
        "| lr | " + " | ".join(f"{b:,} epochs" for b in budgets) + " | rules inside |",
        "|---|" + "---|" * (len(budgets) + 1),
    ]
    for row in rows:
        cells = " | ".join(_cell(b) for b in row["budgets"])
        lines.append(f"| {row['lr']:g} | {cells} | {rules_followed(row)} |")
    labels = [(f"lr {r['lr']:g} at {b['budget']:,}", b) for r in rows for b in r["budgets"]]
    return [*lines, *_reasons(labels)]
