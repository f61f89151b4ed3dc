"""The article's study, reported: fit, claims and figures of its sweep, written into ``out``.

:func:`analyse` computes what the report shows; :func:`write_report` writes it:
``report.md``, ``claims.csv``, ``fit.json`` and ``figures/*.png``, each whole or not at all.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import xarray as xr

    from ...analysis.figure_data import FigureData
    from .plan import ArticlePlan

__all__ = ["Analysis", "ArticleReport", "analyse", "write_report"]

_DPI = 150  # the figures' resolution, as `xorsweep figures`' default


@dataclass(frozen=True)
class Analysis:
    """What the report shows of a sweep's results."""

    fit: Any  # FitResult
    claims: Any  # pandas.DataFrame from xorsweep.claims
    figures: FigureData  # with the same fit


@dataclass(frozen=True)
class ArticleReport:
    """What :func:`~xorsweep.studies.article.run.run_article` wrote and found."""

    report: Path  # report.md
    figures: dict[str, str]  # figure name: its path relative to the report
    fit: Any  # FitResult of the sweep
    sweep: Any  # SweepReport of this call's sweep (nothing computed when it was complete)


def analyse(
    results: xr.Dataset, *, seed: int, epochs: int, n_boot: int, level: float
) -> tuple[Analysis, dict[str, float]]:
    """Fit, claims and the figures' data of ``results``, and the seconds of each stage.

    The fit uses ``level``, ``n_boot`` and ``seed`` (``rng``); the claims
    and the figures use that fit.
    """
    from ...analysis.claims import claims
    from ...analysis.figure_data import figure_data
    from ...analysis.fit import fit_optimum

    start = time.perf_counter()
    fit = fit_optimum(results, level=level, n_boot=n_boot, rng=seed, errors="ignore")
    table = claims(results, fit=fit, n_boot=n_boot, rng=seed)
    middle = time.perf_counter()
    data = figure_data(results, seed=seed, epochs=epochs, fit=fit)
    seconds = {"fit and claims": middle - start, "figures": time.perf_counter() - middle}
    return Analysis(fit, table, data), seconds


def write_report(
    plan: ArticlePlan, results: xr.Dataset, seconds: dict[str, float], sweep: Any
) -> ArticleReport:
    """Analyse ``results`` (the store of ``plan``) and write every file of the report;
    ``seconds`` holds the sweep's wall time and gains the other stages'."""
    from ..._core.outputs import save_figures, staged
    from ...plots import article_figures
    from ...sweeps.store import COMPUTE_SECONDS, read_header
    from ..report import json_text, render_report

    analysis, stages = analyse(
        results, seed=plan.seed, epochs=plan.epochs, n_boot=plan.n_boot, level=plan.level
    )
    start = time.perf_counter()
    with staged(plan.out / "figures") as temp:  # all the figures or none
        saved = list(save_figures(article_figures(analysis.figures), temp, "png", _DPI))
    figures = {path.stem: f"figures/{path.name}" for path in saved}
    seconds.update(stages)
    seconds["figures"] += time.perf_counter() - start
    report = render_report(
        results,
        analysis.fit,
        analysis.claims,
        figures,
        scale=plan.title(),
        seconds=seconds,
        compute_seconds=read_header(plan.store).attrs.get(COMPUTE_SECONDS),
        notes=analysis.figures.notes,
        command=plan.command(),
    )
    texts = {
        "claims.csv": analysis.claims.to_csv(index=False),
        "fit.json": json_text(analysis.fit.to_dict()) + "\n",
        "report.md": report,
    }
    for name, text in texts.items():  # each whole or not at all: written aside, then renamed
        temp = plan.out / f".{name}.{os.getpid()}.partial"
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, plan.out / name)
    return ArticleReport(plan.out / "report.md", figures, analysis.fit, sweep)
