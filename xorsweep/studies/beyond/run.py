"""The study beyond the article's line: does the fitted optimum follow Glorot's rule?

The article varies the hidden layer's initial std along one line of a larger
space (output std 0.8165, width 2, sigmoid hidden layer, gradient summed over
the samples, biases drawn like the weights). Three sweeps look beyond it, each
into its own resumable Zarr store under ``out/stores/``:

* ``map``: hidden std x output std at width 2, fitted with
  :func:`xorsweep.fit_surface`: the joint optimum, its 95% region, and the
  loss of Glorot's pair (1/sqrt(2), sqrt(2/3)) relative to it;
* ``widths``: widths 2 to 32 over the hidden std, each with Glorot's output
  std sqrt(2 / (width + 1)) (``output_std="glorot"``; at width 2 it is the
  article's 0.8165), fitted width by width with :func:`xorsweep.fit_slices`.
  Glorot's rule is a statement about every layer; a fixed 0.8165 would let
  the output's pre-activation variance grow with the width and mix a second
  effect into the hidden std's optimum;
* ``settings``: every (activation, gradient, bias) at width 2 and output std
  0.8165, over a hidden-std grid that holds 1/sqrt(2) and 1 exactly, fitted
  setting by setting; the ranking of 1 against 1/sqrt(2) under the summed and
  the averaged gradient is read from the means at those two points.

:func:`run_beyond` runs the sweeps, then
:func:`xorsweep.studies.beyond.report.analyse_beyond` fits them and the
report's text comes from the same module; this module only checks, runs and
writes. :data:`SCALES` holds the sizes: ``"tiny"`` (tests, seconds),
``"quick"`` (minutes) and ``"full"`` (the issue's: 2,000 runs a point,
10,000 epochs, a 30 x 30 map).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..._core.checks import check_choice, check_count
from ...model.network import ARTICLE_OUTPUT_STD, GLOROT_STD
from ...sweeps.config import SweepConfig, article_grid
from ...training.engines import check_engine

__all__ = ["SCALES", "STAGES", "BeyondScale", "beyond_sweeps", "run_beyond"]

#: The study's sweeps, in the order they run.
STAGES = ("map", "widths", "settings")

#: A log-spaced grid of stds: (lowest, highest, points), see :func:`xorsweep.article_grid`.
Grid = tuple[float, float, int]


@dataclass(frozen=True)
class BeyondScale:
    """The sizes of the study's three sweeps and of its bootstrap.

    Examples
    --------
    >>> SCALES["full"].runs, SCALES["full"].epochs, SCALES["full"].map_points
    (2000, 10000, 900)
    """

    runs: int  # networks per grid point (the issue asks at least 2,000 at full scale)
    epochs: int  # gradient steps per network (the article's 10,000)
    n_boot: int  # bootstrap replicates of every interval
    map_hidden: Grid  # hidden stds of the map (width 2)
    map_output: Grid  # output stds of the map
    widths: tuple[int, ...]  # hidden widths of the width sweep
    width_hidden: Grid  # hidden stds of the width sweep, one grid for every width
    # per width, the part of the grid that gets runs, around that width's optimum: (lowest
    # std, highest std, stride), every stride-th grid point from the lowest; empty: every
    # std at every width
    width_spans: tuple[tuple[float, float, int], ...] = ()
    # hidden stds of the settings sweep; 1/sqrt(2) and 1 are added to them
    setting_hidden: Grid = (0.01, 30.0, 40)

    def __post_init__(self) -> None:
        if self.width_spans and len(self.width_spans) != len(self.widths):
            raise ValueError(
                f"width_spans must hold one (lowest, highest, stride) per width "
                f"({len(self.widths)}), got {len(self.width_spans)}"
            )

    @property
    def map_points(self) -> int:
        """Grid points of the map."""
        return self.map_hidden[2] * self.map_output[2]


#: The study's sizes by name. The grids are wide enough that every fitted optimum lies well
#: inside them (width 32 aside: its loss is flat above a std of about 15, see the report).
#: The width spans hold each width's fit window with a margin on both sides: at the full
#: scale, the quick scale's windows widened by about a grid step; at the quick scale, the
#: full scale's widened about 2.5-fold.
SCALES = {
    "tiny": BeyondScale(
        runs=16,
        epochs=300,
        n_boot=20,
        map_hidden=(0.1, 10.0, 6),
        map_output=(0.1, 30.0, 6),
        widths=(2, 3),
        width_hidden=(0.1, 10.0, 7),
        setting_hidden=(0.05, 10.0, 6),
    ),
    "quick": BeyondScale(
        runs=200,
        epochs=10_000,
        n_boot=1000,
        map_hidden=(0.03, 10.0, 18),
        map_output=(0.1, 100.0, 18),
        widths=(2, 3, 4, 6, 8, 12, 16, 32),
        width_hidden=(0.1, 400.0, 22),
        width_spans=(
            (0.1, 3.5, 1),
            (0.15, 5.0, 1),
            (0.25, 8.0, 1),
            (0.4, 12.0, 1),
            (0.5, 16.0, 1),
            (1.0, 30.0, 1),
            (1.5, 60.0, 1),
            (3.0, 400.0, 1),
        ),
        setting_hidden=(0.01, 100.0, 24),
    ),
    "full": BeyondScale(
        runs=2_000,
        epochs=10_000,
        n_boot=1000,
        map_hidden=(0.03, 10.0, 30),
        map_output=(0.1, 100.0, 30),
        widths=(2, 3, 4, 6, 8, 12, 16, 32),
        width_hidden=(0.1, 400.0, 34),
        width_spans=(
            (0.12, 2.9, 1),
            (0.17, 4.2, 1),
            (0.26, 6.4, 1),
            (0.39, 9.6, 1),
            (0.58, 14.0, 1),
            (1.25, 32.0, 1),
            (1.95, 51.0, 1),
            (4.3, 400.0, 3),
        ),
        setting_hidden=(0.01, 100.0, 38),
    ),
}


def _grid(grid: Grid) -> np.ndarray:
    low, high, points = grid
    return article_grid(points, low, high)


def _width_runs(scale: BeyondScale, stds: np.ndarray) -> np.ndarray:
    """Runs per (hidden_std, width): ``scale.runs`` inside each width's span and at the two
    grid points around each rule's std of that width (so that the loss there is measured
    even where the span does not reach), else 0."""
    from ...model.initialization import init_rules_by_layer

    runs = np.zeros((stds.size, len(scale.widths)), dtype=np.int64)
    spans = scale.width_spans or [(stds[0], stds[-1], 1)] * len(scale.widths)
    rules = init_rules_by_layer(list(scale.widths)).sel(layer="hidden").values  # (width, rule)
    for k, (low, high, stride) in enumerate(spans):
        inside = np.flatnonzero((stds >= low * (1 - 1e-12)) & (stds <= high * (1 + 1e-12)))
        runs[inside[::stride], k] = scale.runs
        above = np.clip(np.searchsorted(stds, rules[k]), 1, stds.size - 1)
        runs[np.union1d(above - 1, above), k] = scale.runs
    return runs


def beyond_sweeps(
    scale: BeyondScale, *, seed: int = 0, engine: str = "auto"
) -> dict[str, tuple[SweepConfig, np.ndarray]]:
    """Each sweep of the study: its configuration and the runs of each grid point.

    Parameters
    ----------
    scale : BeyondScale
        The sizes, e.g. ``SCALES["quick"]``.
    seed : int
        Root seed of every sweep (>= 0).
    engine : {"auto", "numpy", "numba"}

    Returns
    -------
    dict
        :data:`STAGES` -> ``(SweepConfig, runs)``, ``runs`` an int64 array of
        the configuration's ``grid_shape``.

    Examples
    --------
    >>> sweeps = beyond_sweeps(SCALES["tiny"])
    >>> {name: cfg.grid_dims for name, (cfg, runs) in sweeps.items()}["settings"]
    ('hidden_std', 'activation', 'gradient', 'bias')
    >>> sweeps["widths"][1].shape
    (7, 2)
    """
    common = dict(epochs=scale.epochs, seed=seed, engine=engine)
    width_stds = _grid(scale.width_hidden)
    setting_stds = np.union1d(_grid(scale.setting_hidden), [GLOROT_STD, 1.0])
    configs = {
        "map": SweepConfig(
            hidden_std=_grid(scale.map_hidden), output_std=_grid(scale.map_output), **common
        ),
        "widths": SweepConfig(
            hidden_std=width_stds, output_std="glorot", hidden=list(scale.widths), **common
        ),
        "settings": SweepConfig(
            hidden_std=setting_stds,
            output_std=ARTICLE_OUTPUT_STD,
            activation=["sigmoid", "tanh"],
            gradient=["sum", "mean"],
            bias=["scaled", "zero"],
            **common,
        ),
    }
    runs = {
        name: np.full(cfg.grid_shape, scale.runs, dtype=np.int64) for name, cfg in configs.items()
    }
    runs["widths"] = _width_runs(scale, width_stds)
    return {name: (configs[name], runs[name]) for name in STAGES}


def network_epochs(config: SweepConfig, runs: np.ndarray) -> float:
    """Network-epochs of a sweep, each weighted by its width over 2 (the cost of training).

    >>> cfg, runs = beyond_sweeps(SCALES["tiny"])["widths"]
    >>> network_epochs(cfg, runs) == 7 * 16 * 300 * (2 + 3) / 2
    True
    """
    widths = np.ones(config.grid_shape)
    if "hidden" in config.grid_dims:
        axis = config.grid_dims.index("hidden")
        shape = [1] * len(config.grid_shape)
        shape[axis] = -1
        widths = np.broadcast_to(np.reshape(config.coords["hidden"], shape), config.grid_shape)
    else:
        widths = widths * config.hidden
    return float((runs * widths / 2).sum() * config.epochs)


@dataclass(frozen=True)
class _Plan:
    """Everything :func:`run_beyond` does, checked before anything is written."""

    out: Path
    scale_name: str
    scale: BeyondScale
    sweeps: dict[str, tuple[SweepConfig, np.ndarray]]
    stores: dict[str, Path]
    workers: int | None
    progress: bool
    seed: int


def _check_scale(scale: object) -> tuple[str, BeyondScale]:
    if isinstance(scale, BeyondScale):
        return "custom", scale
    name = check_choice(scale, "scale", tuple(SCALES))
    return name, SCALES[name]


def _check_store(config: SweepConfig, path: Path) -> SweepConfig:
    """``config`` settled on its engine; a store already at ``path`` must hold the same sweep."""
    from ...sweeps.run import settle
    from ...sweeps.store import check_compatible, path_state, read_header

    settled = settle(config, path)
    if path_state(path) == "store":
        header = read_header(path)
        stored = SweepConfig.from_attrs(header.attrs, header.coords["hidden_std"])
        check_compatible(stored.identity(), settled.identity(), path)
    return settled


def _plan(
    out: object, scale: object, engine: object, workers: object, progress: object, seed: object
) -> _Plan:
    """Check every argument and every store (ValueError or TypeError naming it); write nothing."""
    from ..._core.outputs import writable_directory

    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a directory path, got {out!r}")
    scale_name, sizes = _check_scale(scale)
    engine = check_engine(engine)
    if workers is not None:
        workers = check_count(workers, "workers")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    seed = check_count(seed, "seed", minimum=0)
    path = writable_directory(out, "out")
    sweeps = beyond_sweeps(sizes, seed=seed, engine=engine)
    stores = {name: path / "stores" / f"{name}.zarr" for name in STAGES}
    sweeps = {name: (_check_store(cfg, stores[name]), runs) for name, (cfg, runs) in sweeps.items()}
    return _Plan(path, scale_name, sizes, sweeps, stores, workers, bool(progress), seed)


def run_beyond(
    out: str | os.PathLike,
    scale: str | BeyondScale = "quick",
    *,
    engine: str = "auto",
    workers: int | None = None,
    progress: bool = True,
    seed: int = 0,
) -> Path:
    """Run the study beyond the article's line and write its report into ``out``.

    Parameters
    ----------
    out : str or path-like
        The report's directory (made if missing): ``report.md``,
        ``summary.json``, ``figures/*.png``, ``fits/`` (the fits as CSV and
        JSON), ``summaries/`` (per grid point: :func:`xorsweep.summarize` as
        CSV) and ``stores/*.zarr`` (every run). Running again resumes the
        stores, or reuses them when they are complete.
    scale : {"tiny", "quick", "full"} or BeyondScale
        The sizes (:data:`SCALES`).
    engine : {"auto", "numpy", "numba"}
        The training engine of every sweep (as :func:`xorsweep.sweep`'s).
    workers : int, optional
        Local processes; default every core.
    progress : bool
        Progress bars of the sweeps.
    seed : int
        Root seed of the sweeps and of the bootstraps (>= 0).

    Returns
    -------
    pathlib.Path
        The path of ``report.md``.

    Raises
    ------
    TypeError, ValueError
        For an argument out of range, an ``out`` that is not a writable
        directory, or a store under ``out/stores`` of another configuration or
        engine: one line naming it, and nothing written.
    """
    plan = _plan(out, scale, engine, workers, progress, seed)
    seconds: dict[str, float] = {}
    results = {}
    for name in STAGES:
        seconds[f"sweep: {name}"], results[name] = _sweep(plan, name)
    return _write(plan, results, seconds)


def _sweep(plan: _Plan, name: str) -> tuple[float, Any]:
    """Run (or resume) one sweep into its store; its wall time and results."""
    from ...sweeps.run import run_sweep
    from ...sweeps.store import open_results

    config, runs = plan.sweeps[name]
    start = time.perf_counter()
    run_sweep(config, runs, store=plan.stores[name], workers=plan.workers, progress=plan.progress)
    took = time.perf_counter() - start
    return took, open_results(plan.stores[name])


def _write(plan: _Plan, results: Mapping[str, Any], seconds: dict[str, float]) -> Path:
    """Fit, draw and write every file of the report; the path of ``report.md``."""
    from ...sweeps.store import COMPUTE_SECONDS, read_header
    from ..report import json_text
    from .report import analyse_beyond, render_report, summary_dict, tables

    start = time.perf_counter()
    analysis = analyse_beyond(results, n_boot=plan.scale.n_boot, seed=plan.seed)
    seconds["fits"] = time.perf_counter() - start
    start = time.perf_counter()
    figures = _save_figures(analysis.figures, plan.out / "figures")
    seconds["figures"] = time.perf_counter() - start
    start = time.perf_counter()
    for directory in ("fits", "summaries"):
        (plan.out / directory).mkdir(exist_ok=True)
    for name, frame in tables(analysis).items():
        frame.to_csv(plan.out / "fits" / f"{name}.csv", index=False)
    (plan.out / "fits" / "surface.json").write_text(
        json_text(analysis.figures.surface.to_dict()) + "\n"
    )
    for name, summary in analysis.summaries.items():
        summary.to_dataframe().to_csv(plan.out / "summaries" / f"{name}.csv")
    compute = {n: read_header(plan.stores[n]).attrs.get(COMPUTE_SECONDS) for n in STAGES}
    context = _context(plan, compute, seconds, figures)
    (plan.out / "summary.json").write_text(json_text(summary_dict(analysis, context)) + "\n")
    seconds["writing"] = time.perf_counter() - start
    report = plan.out / "report.md"
    report.write_text(render_report(analysis, context), encoding="utf-8")
    return report


def _context(
    plan: _Plan,
    compute: Mapping[str, float | None],
    seconds: Mapping[str, float],
    figures: Mapping[str, str],
) -> dict[str, Any]:
    """What the report says besides the fits: sizes, configurations, times, figures, command."""
    sweeps = {}
    for name, (config, runs) in plan.sweeps.items():
        sweeps[name] = {
            "dims": list(config.grid_dims),
            "grid_shape": list(config.grid_shape),
            "points_with_runs": int((runs > 0).sum()),
            "runs": int(runs.sum()),
            "network_epochs": int(runs.sum()) * config.epochs,
            "width_weighted_network_epochs": network_epochs(config, runs),
            "compute_seconds": compute[name],
            "store": plan.stores[name].relative_to(plan.out).as_posix(),
            "config": config.identity(),
        }
    seed = f", seed={plan.seed}" if plan.seed else ""
    call = f"run_beyond({str(plan.out)!r}, {plan.scale_name!r}, engine={_engine(plan)!r}{seed})"
    command = f'python -c "from xorsweep.studies.beyond import run_beyond; {call}"'
    if plan.scale_name in ("quick", "full"):  # the scales of the command line
        command = (
            f"xorsweep reproduce --study beyond --scale {plan.scale_name} --out {plan.out} "
            f"--engine {_engine(plan)}" + (f" --seed {plan.seed}" if plan.seed else "")
        )
    return {
        "scale": plan.scale_name,
        "sizes": _sizes(plan.scale),
        "seed": plan.seed,
        "sweeps": sweeps,
        "seconds": dict(seconds),
        "figures": dict(figures),
        "command": command,
    }


def _engine(plan: _Plan) -> str:
    engines = {config.engine for config, _ in plan.sweeps.values()}
    return engines.pop() if len(engines) == 1 else "auto"


def _sizes(scale: BeyondScale) -> dict[str, Any]:
    return {
        "runs": scale.runs,
        "epochs": scale.epochs,
        "n_boot": scale.n_boot,
        "map_hidden": list(scale.map_hidden),
        "map_output": list(scale.map_output),
        "widths": list(scale.widths),
        "width_hidden": list(scale.width_hidden),
        "width_spans": [list(span) for span in scale.width_spans],
        "setting_hidden": list(scale.setting_hidden),
    }


def _save_figures(data: Any, directory: Path, dpi: int = 150) -> dict[str, str]:
    """Draw the study's figures into ``directory`` as PNG; name -> path relative to ``out``."""
    from ...plots import beyond_figures

    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, fig in beyond_figures(data).items():
        path = directory / f"{name}.png"
        fig.savefig(path, format="png", dpi=dpi)
        paths[name] = f"{directory.name}/{path.name}"
    return paths
