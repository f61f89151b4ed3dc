"""The article's study, run: :func:`run_article` sweeps the hidden std into ``out/results.zarr``
(resuming it), then fits, measures the claims, draws the figures and writes the report.

It is what ``xorsweep reproduce`` does; the command line plans the study
(:func:`~xorsweep.studies.article.plan.plan_article`), prints its estimate, and calls
:func:`run_plan`.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .plan import (
    ANALYSIS_DEFAULTS,
    SCALES,
    ArticlePlan,
    analysis_seconds,
    plan_article,
    regenerate_command,
    scale_title,
)
from .report import Analysis, ArticleReport, analyse

__all__ = [
    "ANALYSIS_DEFAULTS",
    "SCALES",
    "Analysis",
    "ArticlePlan",
    "ArticleReport",
    "analyse",
    "analysis_seconds",
    "plan_article",
    "regenerate_command",
    "run_article",
    "run_plan",
    "scale_title",
]


def run_article(
    out: str | os.PathLike,
    scale: str = "quick",
    *,
    workers: int | None = None,
    client: Any = None,
    progress: bool = True,
    **options: Any,
) -> ArticleReport:
    """Reproduce the article into ``out``: sweep, fit, claims, figures and report.

    Parameters
    ----------
    out : str or path-like
        The report's directory (made if missing): ``results.zarr`` (every run),
        ``report.md``, ``claims.csv``, ``fit.json`` and ``figures/*.png``.
        Running again resumes the sweep, or reuses it when it is complete.
    scale : {"quick", "full"}
        The sweep's size (:data:`SCALES`): 80 stds x 2,000 runs, or the
        article's 400 x 10,000.
    workers : int, optional
        Local processes; default every core.
    client : distributed.Client, optional
        Runs the sweep's blocks on a Dask cluster instead.
    progress : bool
        The sweep's progress bar.
    **options
        Those of :func:`~xorsweep.studies.article.plan.plan_article`: ``points``
        and ``runs`` (stds from e^-3 to e^4 and runs per std, instead of the
        scale's), ``epochs``, ``seed`` (of the sweep, the bootstraps and the
        example networks), ``n_boot`` (bootstrap replicates, >= 20), ``level``
        (the fit's window, as :func:`xorsweep.fit_optimum`'s) and ``engine``
        (a store keeps its own).

    Returns
    -------
    ArticleReport
        The report's path, its figures, the fit and the sweep's report.

    Raises
    ------
    TypeError, ValueError
        For an argument out of range, an ``out`` that is not a writable
        directory, or a store of another sweep under ``out``: one line naming
        it, and nothing written.
    """
    plan = plan_article(out, scale, **options)
    return run_plan(plan, workers=workers, client=client, progress=progress)


def run_plan(
    plan: ArticlePlan, *, workers: int | None = None, client: Any = None, progress: bool = True
) -> ArticleReport:
    """Run the study ``plan`` holds (see :func:`run_article`); its :class:`ArticleReport`."""
    from ...sweeps import budget
    from ...sweeps.run import run_sweep
    from ...sweeps.store import open_results
    from .report import write_report

    start = time.perf_counter()
    _, sweep = run_sweep(
        plan.config,
        plan.runs,
        store=plan.store,
        workers=workers,
        client=client,
        progress=progress,
    )
    seconds = {"sweep": time.perf_counter() - start}
    budget.check_readable(plan.store, budget.available_memory())  # and fitted in memory
    return write_report(plan, open_results(plan.store), seconds, sweep)
