"""The article's study, planned: its scales and options, checked into one :class:`ArticlePlan`
before anything is written, with the analysis's time and the report's title and command.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..._core.checks import check_choice, check_count, check_real
from ...training.trainer import ARTICLE_EPOCHS

__all__ = [
    "ANALYSIS_DEFAULTS",
    "SCALES",
    "ArticlePlan",
    "analysis_seconds",
    "plan_article",
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
class ArticlePlan:
    """Everything the article's study does, checked: its sweep (``config``, settled on the
    engine of a store already at ``store``), its sizes and the analysis's options."""

    out: Path  # the report's directory
    given: str  # ``out`` as given, for the command that regenerates the report
    scale: str  # "quick" or "full"
    points: int  # stds of the sweep
    runs: int  # runs per std
    epochs: int
    seed: int  # root seed of the sweep, the bootstraps and the example networks
    n_boot: int  # bootstrap replicates of every interval
    level: float  # the fit's window
    engine: str  # the engine asked for ("auto", "numpy" or "numba")
    config: Any  # SweepConfig, settled on its engine

    @property
    def store(self) -> Path:
        """The sweep's results: ``out/results.zarr``."""
        return self.out / "results.zarr"

    def after_seconds(self) -> dict[str, float]:
        """About how long the analysis and figures take after the sweep."""
        return analysis_seconds(self.points, self.runs, self.n_boot, self.epochs)

    def title(self) -> str:
        """The report's size: the scale's name, or the sizes (:func:`scale_title`)."""
        return scale_title(self.scale, self.points, self.runs, self.epochs)

    def command(self) -> str:
        """The ``xorsweep reproduce`` command that makes the same report again."""
        options = {name: getattr(self, name) for name in ANALYSIS_DEFAULTS}
        return regenerate_command(self.given, self.scale, self.points, self.runs, **options)


def plan_article(
    out: str | os.PathLike,
    scale: str = "quick",
    *,
    points: int | None = None,
    runs: int | None = None,
    epochs: int = ARTICLE_EPOCHS,
    seed: int = 0,
    n_boot: int = 1000,
    level: float = 0.25,
    engine: str = "auto",
) -> ArticlePlan:
    """Check the arguments of :func:`~xorsweep.studies.article.run.run_article` and the
    store under ``out`` (one line naming what is wrong); write nothing but ``out``."""
    from ..._core.outputs import writable_directory
    from ...sweeps.config import SweepConfig, article_grid
    from ...sweeps.run import settle

    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a directory path, got {out!r}")
    scale = check_choice(scale, "scale", tuple(SCALES))
    points = check_count(SCALES[scale]["points"] if points is None else points, "points")
    runs = check_count(SCALES[scale]["runs"] if runs is None else runs, "runs")
    n_boot = check_count(n_boot, "n_boot", minimum=20)
    level = check_real(level, "level", 0.0, strict=True)
    path = writable_directory(out, "out")
    # the article's sweep: SweepConfig's defaults but for the grid's size, epochs and seed
    config = SweepConfig(hidden_std=article_grid(points), epochs=epochs, seed=seed, engine=engine)
    config = settle(config, path / "results.zarr")  # a store keeps its own engine
    return ArticlePlan(
        path,
        os.fspath(out),
        scale,
        points,
        runs,
        config.epochs,
        config.seed,
        n_boot,
        level,
        engine,
        config,
    )


# The analysis's times on this project's 2-core Xeon (the reports' "Time of each stage",
# `xorsweep reproduce --scale quick` and `--scale full`): fit and claims 2.2 s for 160,000
# runs and 28.8 s for 4,000,000 with 1,000 bootstrap replicates; figures 3.5 to 3.9 s.
_FIT_SECONDS = 1.1  # fit and claims: what does not grow with the runs
_FIT_SECONDS_PER_RUN = 6.9e-6  # and what does, per run, with 1,000 replicates
_FIGURE_SECONDS = 3.9  # the figures, whose example networks train the article's epochs


def analysis_seconds(points: int, runs: int, n_boot: int, epochs: int) -> dict[str, float]:
    """About how long the analysis and the figures take for ``points`` x ``runs`` runs,
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
