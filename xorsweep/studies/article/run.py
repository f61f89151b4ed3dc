"""The ``xorsweep reproduce`` pipeline, without its files: scales, analysis, title, command.

The command line runs the sweep, calls :func:`analyse` on its results and
writes what comes back; :func:`scale_title` and :func:`regenerate_command`
say in the report at which size it was made and how to make it again.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...training.trainer import ARTICLE_EPOCHS

if TYPE_CHECKING:
    import xarray as xr

    from ...analysis.figure_data import FigureData

__all__ = [
    "ANALYSIS_DEFAULTS",
    "SCALES",
    "Analysis",
    "analyse",
    "analysis_seconds",
    "regenerate_command",
    "scale_title",
]

#: Sweep sizes: the quick one takes a few minutes on two cores, the full one is the
#: article's 400 points x 10,000 runs (4 million networks).
SCALES = {"quick": {"points": 80, "runs": 2_000}, "full": {"points": 400, "runs": 10_000}}

#: The options of ``reproduce`` that change its numbers besides the scale, with their
#: defaults: the article's epochs, the root seed, bootstrap replicates, the fit's window
#: and the training engine (whose numbers differ in the last bits).
ANALYSIS_DEFAULTS = {
    "epochs": ARTICLE_EPOCHS,
    "seed": 0,
    "n_boot": 1000,
    "level": 0.25,
    "engine": "auto",
}


@dataclass(frozen=True)
class Analysis:
    """What the report shows of a sweep's results."""

    fit: Any  # FitResult
    claims: Any  # pandas.DataFrame from xorsweep.claims
    figures: FigureData  # with the same fit


def analyse(
    results: xr.Dataset, *, seed: int, epochs: int, n_boot: int, level: float
) -> tuple[Analysis, dict[str, float]]:
    """Fit, claims and the figures' data of ``results``, and the seconds of each stage.

    The fit uses ``level``, ``n_boot`` and ``seed`` (``rng``); the claims
    and the figures use that fit.
    """
    import time

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


# The analysis's times on this project's 2-core Xeon (the reports' "Time of each stage",
# `xorsweep reproduce --scale quick` and `--scale full`): fit and claims 2.2 s for 160,000
# runs and 28.8 s for 4,000,000 with 1,000 bootstrap replicates; figures 3.5 to 3.9 s.
_FIT_SECONDS = 1.1  # fit and claims: what does not grow with the runs
_FIT_SECONDS_PER_RUN = 6.9e-6  # and what does, per run, with 1,000 replicates
_FIGURE_SECONDS = 3.9  # the figures, whose example networks train the article's epochs


def analysis_seconds(points: int, runs: int, n_boot: int, epochs: int) -> dict[str, float]:
    """About how long :func:`analyse` and the figures take for ``points`` x ``runs`` runs,
    as ``{"fit and claims": s, "figures": s}`` (measured on a 2-core Xeon).

    >>> {k: round(v, 1) for k, v in analysis_seconds(80, 2000, 1000, 10_000).items()}
    {'fit and claims': 2.2, 'figures': 3.9}
    """
    fit = _FIT_SECONDS + _FIT_SECONDS_PER_RUN * points * runs * n_boot / 1000
    return {"fit and claims": fit, "figures": _FIGURE_SECONDS * max(epochs, 1000) / ARTICLE_EPOCHS}


def scale_title(scale: str, points: int, runs: int, epochs: int) -> str:
    """``"quick scale"`` when the sweep is the scale's, else the sizes it has.

    Examples
    --------
    >>> scale_title("quick", 80, 2000, 10_000)
    'quick scale'
    >>> scale_title("quick", 12, 60, 300)
    'custom scale: 12 points x 60 runs x 300 epochs'
    """
    size = SCALES[scale]
    if (points, runs, epochs) == (size["points"], size["runs"], ANALYSIS_DEFAULTS["epochs"]):
        return f"{scale} scale"
    return f"custom scale: {points:,} points x {runs:,} runs x {epochs:,} epochs"


def regenerate_command(out: str, scale: str, points: int, runs: int, **options: Any) -> str:
    """The ``xorsweep reproduce`` command that makes the same report again.

    ``options`` are the values of :data:`ANALYSIS_DEFAULTS`' options; only
    those that differ from the defaults (and points and runs that differ
    from the scale's) are written.

    Examples
    --------
    >>> regenerate_command("my report", "quick", 12, 2000, epochs=300, seed=0)
    "xorsweep reproduce --out 'my report' --scale quick --points 12 --epochs 300"
    >>> regenerate_command("out", "full", 400, 10_000, engine="numba")
    'xorsweep reproduce --out out --scale full --engine numba'
    """
    parts = ["xorsweep", "reproduce", "--out", shlex.quote(str(out)), "--scale", scale]
    size = SCALES[scale]
    for name, value in (("points", points), ("runs", runs)):
        if value != size[name]:
            parts += [f"--{name}", str(value)]
    for name, default in ANALYSIS_DEFAULTS.items():
        value = options.get(name, default)
        if value != default:
            parts += [
                f"--{name.replace('_', '-')}",
                f"{value:g}" if isinstance(value, float) else str(value),
            ]
    return " ".join(parts)
