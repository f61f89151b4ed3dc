"""The study beyond the article's line without its files: fits, tables, answer and report text.

:func:`analyse_beyond` fits the three sweeps' results (through
:func:`xorsweep.analysis.beyond_figure_data.beyond_figure_data`, which the figures
draw from, so that the report and the figures show one set of fits) and
ranks 1 against 1/sqrt(2); :func:`tables`, :func:`answer`,
:func:`summary_dict` and :func:`render_report` turn that into tables, the
answer in words, ``summary.json``'s content and ``report.md``'s text.
:mod:`xorsweep.studies.beyond.run` writes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...analysis.beyond_figure_data import BEYOND_FIGURE_TITLES, RULE_LABELS, std_ranking
from ...analysis.slices import RULE_VARIABLES, SLICE_VARIABLES
from ...model.network import GLOROT_STD
from ..report import markdown_table

__all__ = [
    "BeyondAnalysis",
    "analyse_beyond",
    "answer",
    "render_report",
    "rule_table",
    "slice_table",
    "summary_dict",
    "surface_table",
    "tables",
]

_Z = 1.959963984540054  # the normal distribution's 97.5% quantile


@dataclass(frozen=True)
class BeyondAnalysis:
    """The study's numbers, computed by :func:`analyse_beyond`."""

    figures: Any  # BeyondFigureData: the summaries and fits the figures draw
    summaries: dict[str, xr.Dataset]  # xorsweep.summarize of each sweep's results
    ranking: xr.Dataset  # std_ranking over (activation, gradient, bias)

    @property
    def surface(self) -> Any:
        """The map's :class:`xorsweep.SurfaceFit`."""
        return self.figures.surface

    @property
    def widths(self) -> xr.Dataset:
        """:func:`xorsweep.fit_slices` over ``hidden``."""
        return self.figures.widths

    @property
    def settings(self) -> xr.Dataset:
        """:func:`xorsweep.fit_slices` over (activation, gradient, bias)."""
        return self.figures.settings


def analyse_beyond(results: Mapping[str, xr.Dataset], *, n_boot: int, seed: int) -> BeyondAnalysis:
    """Fit and summarize the results of the study's sweeps ``map``, ``widths`` and ``settings``.

    The fits are :func:`xorsweep.fit_surface` of ``map`` and
    :func:`xorsweep.fit_slices` of the others, each with ``n_boot``
    replicates from ``seed``; the ranking is
    :func:`xorsweep.analysis.beyond_figure_data.std_ranking` of the settings' means.
    """
    from ...analysis.beyond_figure_data import beyond_figure_data
    from ...analysis.stats import summarize

    data = beyond_figure_data(
        surface_results=results["map"],
        width_results=results["widths"],
        setting_results=results["settings"],
        n_boot=n_boot,
        rng=seed,
    )
    summaries = {name: summarize(ds) for name, ds in results.items()}
    return BeyondAnalysis(data, summaries, std_ranking(summaries["settings"]))


def _slice_dims(fits: xr.Dataset) -> list[str]:
    return [str(d) for d in fits.optimum.dims]


def _grid_loss(summary: xr.Dataset, std: float) -> tuple[float, float]:
    """Mean and sem at ``std``, linear in log std between the neighbours with runs, else NaN."""
    s = np.asarray(summary.hidden_std.values, dtype=np.float64)
    mean = np.asarray(summary["mean"].values, dtype=np.float64)
    sem = np.asarray(summary["sem"].values, dtype=np.float64)
    keep = np.isfinite(mean) & np.isfinite(sem)
    s, mean, sem = s[keep], mean[keep], sem[keep]
    if s.size < 2 or not s[0] <= std <= s[-1]:
        return math.nan, math.nan
    k = int(np.clip(np.searchsorted(s, std) - 1, 0, s.size - 2))
    w = (math.log(std) - math.log(s[k])) / (math.log(s[k + 1]) - math.log(s[k]))
    return (1 - w) * mean[k] + w * mean[k + 1], math.hypot((1 - w) * sem[k], w * sem[k + 1])


def _grid_penalty(point: xr.Dataset, summary: xr.Dataset, std: float) -> tuple[float, ...]:
    """Penalty (%) of ``std`` from the grid's means against the fitted optimum, and a normal
    interval on the log of the ratio (the mean's sem and the optimum's interval combined)."""
    mean, sem = _grid_loss(summary, std)
    best = float(point.loss_at_optimum)
    low, high = float(point.loss_at_optimum_low), float(point.loss_at_optimum_high)
    if not (math.isfinite(mean) and math.isfinite(best) and mean > 0 and best > 0):
        return math.nan, math.nan, math.nan
    spread = (math.log(high) - math.log(low)) / (2 * _Z) if low > 0 else math.nan
    sd = math.hypot(sem / mean, spread)
    ratio = mean / best
    return tuple(100 * (ratio * math.exp(k * _Z * sd) - 1) for k in (0, -1, 1))


def slice_table(fits: xr.Dataset) -> pd.DataFrame:
    """One row per slice of a :func:`xorsweep.fit_slices` Dataset: its coordinates and fit.

    Adds ``closest_rule``, the rule whose std lies fewest CI half-widths from the optimum.
    """
    dims = _slice_dims(fits)
    frame = fits[list(SLICE_VARIABLES)].to_dataframe().reset_index()
    frame = frame[[*dims, *SLICE_VARIABLES]]
    distance = np.abs(fits.rule_distance.transpose(*dims, "rule").values).reshape(len(frame), -1)
    rules = [str(r) for r in fits.rule.values]
    closest = [rules[int(np.nanargmin(row))] if np.isfinite(row).any() else "" for row in distance]
    return frame.assign(closest_rule=closest)


def rule_table(fits: xr.Dataset, summary: xr.Dataset) -> pd.DataFrame:
    """One row per slice and rule: the rule's std, whether it lies in the optimum's CI, and
    the loss penalty (%) of using it instead of the optimum, with its interval.

    ``source`` says where the penalty comes from: ``"fit"`` (the fitted curve and its
    bootstrap, :func:`xorsweep.fit_slices`) or, for a std outside the fit's window,
    ``"grid"`` (the means of ``summary``, the same sweep's :func:`xorsweep.summarize`,
    interpolated in log std; see :func:`_grid_penalty`); ``""`` where neither reaches.
    """
    dims = _slice_dims(fits)
    rows = []
    for index in np.ndindex(*fits.optimum.shape):
        at = dict(zip(dims, index, strict=True))
        point = fits.isel(at)
        where = {d: point[d].values.item() for d in dims}
        part = summary.sel(where) if where else summary
        for rule in map(str, fits.rule.values):
            r = point.sel(rule=rule)
            row = {**where, "rule": rule, **{v: float(r[v]) for v in RULE_VARIABLES}}
            source = "fit" if math.isfinite(row["penalty"]) else ""
            if not source and math.isfinite(row["rule_std"]):
                penalty = _grid_penalty(point, part, row["rule_std"])
                if math.isfinite(penalty[0]):
                    row["penalty"], row["penalty_low"], row["penalty_high"] = penalty
                    source = "grid"
            row["in_ci"] = bool(abs(row["rule_distance"]) <= 1.0)
            row["source"] = source
            rows.append(row)
    return pd.DataFrame(rows)


def surface_table(surface: Any) -> pd.DataFrame:
    """The rules' (hidden, output) pairs on the map: loss, penalty with its interval, distance
    from the optimum in region radii and whether the pair lies in the 95% region."""
    frame = surface.rules.to_dataframe().reset_index()
    with np.errstate(invalid="ignore"):
        return frame.assign(in_region=frame["distance"].to_numpy() <= 1.0)


def ranking_table(ranking: xr.Dataset) -> pd.DataFrame:
    """The ranking of 1 against 1/sqrt(2), one row per (activation, gradient, bias)."""
    return ranking.to_dataframe().reset_index()


def tables(analysis: BeyondAnalysis) -> dict[str, pd.DataFrame]:
    """Every table of the report by file stem (the files under ``fits/``)."""
    return {
        "surface_rules": surface_table(analysis.surface),
        "widths": slice_table(analysis.widths),
        "widths_rules": rule_table(analysis.widths, analysis.summaries["widths"]),
        "settings": slice_table(analysis.settings),
        "settings_rules": rule_table(analysis.settings, analysis.summaries["settings"]),
        "ranking": ranking_table(analysis.ranking),
    }


def num(value: Any) -> str:
    """A number to 4 significant digits, an en dash for NaN.

    >>> num(0.59612), num(float("nan")), num(1234.6)
    ('0.5961', '–', '1235')
    """
    v = float(value)
    return f"{v:.4g}" if math.isfinite(v) else "–"


def with_ci(value: Any, low: Any, high: Any) -> str:
    """``"value [low, high]"``, each to 4 significant digits; an en dash without a value.

    >>> with_ci(0.5961, 0.59, 0.6028), with_ci(float("nan"), 0.59, 0.6028)
    ('0.5961 [0.59, 0.6028]', '–')
    """
    return f"{num(value)} [{num(low)}, {num(high)}]" if math.isfinite(float(value)) else "–"


def _pick(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    return frame[frame["rule"] == rule].reset_index(drop=True)


def _surface_answer(surface: Any) -> str:
    if not math.isfinite(surface.optimum[0]):
        return f"Both layers at width 2: the map's fit found no optimum ({surface.reason})."
    g = surface.rules.sel(rule="glorot_normal")
    where = "inside" if float(g.distance) <= 1 else "outside"
    return (
        f"Both layers at width 2: the joint optimum is hidden std "
        f"{with_ci(surface.optimum[0], *surface.hidden_ci)} and output std "
        f"{with_ci(surface.optimum[1], *surface.output_ci)}. Glorot's pair "
        f"({num(g.hidden_std)}, {num(g.output_std)}) loses "
        f"{with_ci(g.penalty, g.penalty_low, g.penalty_high)}% more than the optimum, "
        f"{num(g.distance)} region radii away ({where} the 95% region)."
    )


def _slices_answer(fits: xr.Dataset, rules: pd.DataFrame, what: str) -> str:
    """How often Glorot's std lies in the optimum's interval, and where the optima lie."""
    glorot = _pick(rules, "glorot_normal")
    dims = _slice_dims(fits)
    labels = [", ".join(str(row[d]) for d in dims) for _, row in glorot.iterrows()]
    inside = [label for label, ok in zip(labels, glorot["in_ci"], strict=True) if ok]
    optima = fits.optimum.values.ravel()
    found = optima[np.isfinite(optima)]
    span = f"from {num(found.min())} to {num(found.max())}" if found.size else "nowhere"
    listed = f" ({'; '.join(inside)})" if inside else ""
    return (
        f"{what}: the fitted optimal hidden std ranges {span}; Glorot's std lies in the "
        f"optimum's 95% interval at {len(inside)} of {len(labels)}{listed}."
    )


def _ranking_answer(ranking: pd.DataFrame) -> list[str]:
    lines = []
    for _, r in ranking.iterrows():
        if r["lower"] in ("unknown", "neither"):
            verdict = "no ranking" if r["lower"] == "neither" else "not on the grid"
        else:
            verdict = f"{r['lower']} lower"
        lines.append(
            f"{r['activation']}, {r['bias']} biases, gradient {r['gradient']}: {verdict} "
            f"(L(1) / L(1/sqrt 2) - 1 = {num(r['gain'])}%, {num(r['z'])} standard errors)"
        )
    return lines


def answer(analysis: BeyondAnalysis, tabled: Mapping[str, pd.DataFrame] | None = None) -> list[str]:
    """The study's answer in sentences, every number from the fits (``tables(analysis)``)."""
    t = tables(analysis) if tabled is None else tabled
    widths = analysis.widths
    lines = [
        _surface_answer(analysis.surface),
        _slices_answer(widths, t["widths_rules"], "Widths (output std Glorot's)"),
        _slices_answer(analysis.settings, t["settings_rules"], "Activation x gradient x bias"),
    ]
    return lines + _ranking_answer(t["ranking"])


def summary_dict(analysis: BeyondAnalysis, context: Mapping[str, Any]) -> dict[str, Any]:
    """``summary.json``'s content: the context, the answer, the surface fit and every table."""
    t = tables(analysis)
    return {
        **context,
        "answer": answer(analysis, t),
        "surface": analysis.surface.to_dict(),
        "tables": {name: frame.to_dict(orient="records") for name, frame in t.items()},
        "notes": list(analysis.figures.notes),
    }


def _slice_rows(frame: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **{d: frame[d].astype(str) for d in dims},
            "optimum [95% CI]": [
                with_ci(r.optimum, r.optimum_low, r.optimum_high) if r.ok else "no optimum"
                for r in frame.itertuples()
            ],
            "loss there [95% CI]": [
                with_ci(r.loss_at_optimum, r.loss_at_optimum_low, r.loss_at_optimum_high)
                if r.ok
                else "–"
                for r in frame.itertuples()
            ],
            "closest rule": [RULE_LABELS.get(r, r) for r in frame["closest_rule"]],
            "fit window": [
                f"{num(a)} to {num(b)}"
                for a, b in zip(frame.window_low, frame.window_high, strict=True)
            ],
            "points": frame["n_points"],
            "note": [
                f"no optimum: {r}" if not ok else n
                for r, n, ok in zip(frame.reason, frame.notes, frame.ok, strict=True)
            ],
        }
    )


def _yes_no(flags: pd.Series, distance: pd.Series) -> list[str]:
    """ "yes" / "no", or an en dash where the distance is unknown (no fit)."""
    return [
        "–" if not math.isfinite(d) else ("yes" if f else "no")
        for f, d in zip(flags, distance, strict=True)
    ]


def _rule_rows(frame: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **{d: frame[d].astype(str) for d in dims},
            "rule": [RULE_LABELS.get(r, r) for r in frame["rule"]],
            "std": [num(v) for v in frame["rule_std"]],
            "in the CI": _yes_no(frame["in_ci"], frame["rule_distance"]),
            "CI half-widths away": [num(v) for v in frame["rule_distance"]],
            "penalty % [95% CI]": [
                with_ci(r.penalty, r.penalty_low, r.penalty_high) for r in frame.itertuples()
            ],
            "from": frame["source"],
        }
    )


def _surface_rows(surface: Any) -> pd.DataFrame:
    frame = surface_table(surface)
    return pd.DataFrame(
        {
            "rule": [RULE_LABELS.get(r, r) for r in frame["rule"]],
            "hidden std": [num(v) for v in frame["hidden_std"]],
            "output std": [num(v) for v in frame["output_std"]],
            "penalty % [95% CI]": [
                with_ci(r.penalty, r.penalty_low, r.penalty_high) for r in frame.itertuples()
            ],
            "region radii away": [num(v) for v in frame["distance"]],
            "in the region": _yes_no(frame["in_region"], frame["distance"]),
            "from": frame["source"],
        }
    )


def _ranking_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "activation": frame["activation"],
            "bias": frame["bias"],
            "gradient": frame["gradient"],
            "L(1) ± sem": [
                f"{num(a)} ± {num(b)}" for a, b in zip(frame.loss_one, frame.sem_one, strict=True)
            ],
            "L(1/√2) ± sem": [
                f"{num(a)} ± {num(b)}"
                for a, b in zip(frame.loss_glorot, frame.sem_glorot, strict=True)
            ],
            "L(1) / L(1/√2) − 1 (%)": [num(v) for v in frame["gain"]],
            "standard errors": [num(v) for v in frame["z"]],
            "lower": frame["lower"],
        }
    )


def _figure(context: Mapping[str, Any], name: str) -> str:
    path = context["figures"].get(name)
    return f"![{BEYOND_FIGURE_TITLES[name]}]({path})" if path else "(figure not drawn)"


def _surface_section(surface: Any, context: Mapping[str, Any]) -> list[str]:
    pct = f"{100 * surface.confidence:g}%"
    lines = [
        "## 1. Both layers at width 2: the loss map",
        "",
        "The mean total loss over hidden std x output std (sigmoid, summed gradient, scaled "
        "biases), fitted by `xorsweep.fit_surface`: a weighted polynomial surface in the two "
        f"log stds around the minimum, bootstrap over runs; the {pct} region is an ellipse in "
        "the log stds holding that share of the replicates' optima. Each rule's pair is "
        "(its std of the 2 -> 2 hidden layer, its std of the 2 -> 1 output layer).",
        "",
        f"- optimum: hidden std {with_ci(surface.optimum[0], *surface.hidden_ci)}, output std "
        f"{with_ci(surface.optimum[1], *surface.output_ci)}"
        if surface.ok
        else f"- no optimum: {surface.reason}",
        f"- fitted mean total loss there: "
        f"{with_ci(surface.loss_at_optimum, *surface.loss_at_optimum_ci)}"
        if surface.ok
        else "- fitted mean total loss there: –",
        f"- model: {surface.model or '–'}, {surface.n_points} grid points in the window, "
        f"{surface.n_runs:,} runs; lack of fit p = {num(surface.p_value)}",
    ]
    lines += [f"- note: {note}" for note in surface.notes]
    return lines + [
        "",
        markdown_table(_surface_rows(surface), index=False),
        "",
        _figure(context, "beyond_loss_map"),
        "",
    ]


def _slices_section(
    title: str, intro: str, fits: xr.Dataset, t: Mapping[str, pd.DataFrame], key: str
) -> list[str]:
    dims = _slice_dims(fits)
    return [
        title,
        "",
        intro,
        "",
        markdown_table(_slice_rows(t[key], dims), index=False),
        "",
        "Each rule's std of the hidden layer (fans 2 and the width), whether it lies in the "
        "optimum's 95% interval, its distance from the optimum in half-widths of that "
        "interval, and the loss penalty of starting there instead of at the optimum: "
        "`100 (L(rule) / L(optimum) - 1)`, from the fitted curve and its bootstrap where "
        "the rule lies in the fit's window (`fit`), else from the grid's means interpolated "
        "in log std, with a normal interval (`grid`).",
        "",
        markdown_table(_rule_rows(t[f"{key}_rules"], dims), index=False),
        "",
    ]


def _spans_text(sizes: Mapping[str, Any]) -> str:
    """Which stds of the width sweep's grid each width has runs at, in words."""
    if not sizes["width_spans"]:
        return ""
    parts = [
        f"{w}: {num(low)} to {num(high)}" + (f" (every {stride} points)" if stride > 1 else "")
        for w, (low, high, stride) in zip(sizes["widths"], sizes["width_spans"], strict=True)
    ]
    return ", runs only around each width's optimum (width: stds) " + "; ".join(parts)


def _configuration(context: Mapping[str, Any]) -> list[str]:
    rows = []
    for name, s in context["sweeps"].items():
        cfg = s["config"]
        rows.append(
            {
                "sweep": name,
                "dims": " x ".join(s["dims"]),
                "grid": " x ".join(map(str, s["grid_shape"])),
                "points with runs": s["points_with_runs"],
                "runs": s["runs"],
                "network-epochs": f"{s['network_epochs']:.3g}",
                "engine": cfg["engine"],
                "compute s": num(s["compute_seconds"] or math.nan),
            }
        )
    sizes = context["sizes"]
    return [
        "## Configuration",
        "",
        markdown_table(pd.DataFrame(rows), index=False),
        "",
        f"Every point: {sizes['runs']:,} runs of {sizes['epochs']:,} epochs at learning rate "
        f"0.1 (the article's update order), seed {context['seed']}; {sizes['n_boot']:,} "
        "bootstrap replicates per interval. Grids (lowest, highest, points; log-spaced): "
        f"map hidden {sizes['map_hidden']}, output {sizes['map_output']}; widths "
        f"{sizes['widths']} over hidden {sizes['width_hidden']}"
        + _spans_text(sizes)
        + f"; settings over hidden {sizes['setting_hidden']} plus 1/√2 and 1.",
        "",
    ]


def _ranking_section(ranking: pd.DataFrame, context: Mapping[str, Any]) -> list[str]:
    return [
        "## 4. Summed or averaged gradient: 1 against 1/√2",
        "",
        "The article finds std 1/√2 better than 1 with the gradient summed over the samples. "
        "The mean total loss at exactly those two stds (both are grid points of the settings "
        "sweep), and their difference in standard errors; a ranking needs two.",
        "",
        markdown_table(_ranking_rows(ranking), index=False),
        "",
        _figure(context, "beyond_gradient_conventions"),
        "",
    ]


def render_report(analysis: BeyondAnalysis, context: Mapping[str, Any]) -> str:
    """``report.md``: the answer, then each sweep's fits and figure, configuration and times.

    ``context`` is what :func:`xorsweep.studies.beyond.run.run_beyond` knows besides the fits:
    ``scale``, ``sizes``, ``seed``, ``sweeps``, ``seconds``, ``figures`` and ``command``.
    """
    t = tables(analysis)
    sizes = context["sizes"]
    lines = [
        "# Beyond the article's line: does the fitted optimum follow Glorot's rule?",
        "",
        f"{context['scale']} scale: {sizes['runs']:,} runs a point, {sizes['epochs']:,} epochs. "
        "The article fits the hidden std on one line (width 2, output std 0.8165, sigmoid, "
        "gradient summed over the samples, biases drawn like the weights; its optimum is "
        f"near 0.6 against Glorot's 1/√2 = {GLOROT_STD:.4f}). Here the same fit on the "
        "map of both layers' stds, at every width, and under every activation, gradient "
        "and bias initialization.",
        "",
        "## The answer",
        "",
        *[f"- {line}" for line in answer(analysis, t)],
        "",
        *_surface_section(analysis.surface, context),
        *_slices_section(
            "## 2. The optimum against the width",
            "Output std Glorot's sqrt(2 / (width + 1)) at every width (the article's 0.8165 "
            "at width 2), sigmoid, summed gradient, scaled biases; `xorsweep.fit_slices` "
            "fits the optimal hidden std width by width.",
            analysis.widths,
            t,
            "widths",
        ),
        _figure(context, "beyond_optimum_vs_width"),
        "",
        *_slices_section(
            "## 3. Activation, gradient and bias at width 2",
            "Output std 0.8165; the rules with a gain use the hidden activation's "
            "(`xorsweep.init_rules`).",
            analysis.settings,
            t,
            "settings",
        ),
        _figure(context, "beyond_optimum_by_setting"),
        "",
        *_ranking_section(t["ranking"], context),
        *_configuration(context),
        "## Wall time",
        "",
        "Of this call's stages, in seconds: a sweep whose store was already complete only "
        "reads it. The wall time of the computing over every call that filled a store is its "
        "`compute s` above.",
        "",
        markdown_table(
            pd.DataFrame(
                {
                    "stage": list(context["seconds"]),
                    "seconds": [num(v) for v in context["seconds"].values()],
                }
            ),
            index=False,
        ),
        "",
        "## Files and how to regenerate them",
        "",
        "`summary.json` (everything above as data), `fits/*.csv` and `fits/surface.json` (the "
        "fits), `summaries/*.csv` (per grid point: mean, sem, median, failure rate, ...), "
        "`figures/*.png`. The per-run results are the Zarr stores `stores/*.zarr`; this "
        "command makes them again (and resumes them where they exist):",
        "",
        f"    {context['command']}",
        "",
    ]
    notes = list(analysis.figures.notes)
    if notes:
        lines += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(lines)
