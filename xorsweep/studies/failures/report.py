"""Writing a failure study: the output directory's check, figures, Datasets, report, summary.

The edge of :func:`xorsweep.studies.failures.run.run_failures`: the only part of the
study that touches the file system or draws.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import xarray as xr

from ..._core.outputs import writable_directory
from ..report import json_text
from .text import render, summary

if TYPE_CHECKING:
    from .plan import FailureStudy

__all__ = ["DATASETS", "STORE", "check_out", "open_study", "write_study"]

#: The Zarr store (format 2, which keeps the end states as strings) holding the Datasets.
STORE = "data/failures.zarr"

#: Its groups: the FailureStudy attribute each holds -> what it is.
DATASETS = {
    "runs": "every run of the article stage over (hidden_std, run), the failures' epoch "
    "followed to the end (followed_epoch) and the epochs each was trained",
    "failures": "the article's failures over failure (hidden_std and run link them to runs): "
    "end states and diagnostics at both lengths",
    "survival": "Kaplan-Meier curves with 95% bands over (hidden_std, epoch)",
    "between": "the share converging between the article's length and the longest",
    "tails": "the tail laws fitted after the article's length",
    "shares": "end-state shares of the failures over (length, hidden_std, state), and pooled",
    "classes": "per end state after the article's length: failures, converged later",
    "groups": "the failures by final-loss group and end state, with medians",
    "examples": "one example network of each class (a train result)",
    "maps": "the basin maps over (epochs, alpha, beta): converged_epoch (float32), converged, "
    "state, and the plane",
    "basins": "the basin maps' summary over epochs",
}

_REPORT_FILES = ("report.md", "summary.json", "figures", "data")
_DPI = 110  # figures' resolution (PNG)


def check_out(out: object) -> Path:
    """``out`` as a Path, if it can receive a report: new, empty, or a failure report.

    Raises ValueError naming ``out`` otherwise; nothing is created.
    """
    if not isinstance(out, (str, Path)):
        raise TypeError(f"out must be a path (str or pathlib.Path), got {type(out).__name__}")
    path = writable_directory(out, "out")
    if path.is_dir() and any(path.iterdir()):
        summary_file = path / "summary.json"
        try:
            ours = json.loads(summary_file.read_text(encoding="utf-8")).get("study") == "failures"
        except (OSError, ValueError, AttributeError):
            ours = False
        strangers = [p.name for p in path.iterdir() if p.name not in _REPORT_FILES]
        if not ours or strangers:
            raise ValueError(
                f"out {path} is a non-empty directory that is not a failure report (no "
                "summary.json of one, or other files in it): give a new or empty directory"
            )
    return path


def _save(fig: object, path: Path) -> str:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=_DPI)  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return path.name


def draw_figures(study: FailureStudy, directory: Path) -> dict[str, str]:
    """Draw the five figures into ``directory`` as PNG; name -> file name."""
    import matplotlib.pyplot as plt

    import xorsweep.plots as xp

    directory.mkdir(parents=True, exist_ok=True)
    names = {}
    ax = xp.plot_survival(study.survival, mark=study.scale.article)
    names["survival"] = _save(ax.figure, directory / "survival.png")
    with xp.theme():
        fig, axes = plt.subplots(1, 2, figsize=(16, 4.8), layout="constrained", sharey=True)
    for ax, length in zip(axes, study.shares.length.values, strict=True):
        xp.plot_end_states(study.shares.sel(length=length), ax=ax, failing_only=True)
        ax.set_title(f"The article's failures after {int(length):,} epochs")
    names["end_states"] = _save(fig, directory / "end_states.png")
    ex = study.examples
    with xp.theme():
        fig, axes = plt.subplots(
            1, ex.sizes["run"], figsize=(5.5 * ex.sizes["run"], 6.2), layout="constrained",
            squeeze=False,
        )  # fmt: skip
    for k, ax in enumerate(axes[0]):
        xp.plot_xor_boundaries(ex, run=k, ax=ax)
        ax.set_title(f"{ex.state.values[k]}: hidden std {float(ex.hidden_std[k]):.3g}")
    names["examples"] = _save(fig, directory / "examples.png")
    for by, name in (("converged_epoch", "basin_epochs"), ("state", "basin_states")):
        axes = xp.plot_basin_growth(study.maps, by=by)
        names[name] = _save(axes[0].figure, directory / f"{name}.png")
    return names


def _stored(study: FailureStudy, name: str) -> xr.Dataset:
    ds = getattr(study, name)
    if name == "maps":
        ds = ds.drop_vars(["total_loss", "final_loss"], errors="ignore")
        ds = ds.assign(converged_epoch=ds.converged_epoch.astype("float32"))
    return ds


def write_datasets(study: FailureStudy, path: Path) -> None:
    """The study's Datasets as the groups :data:`DATASETS` of one Zarr store (format 2)."""
    if path.exists():
        shutil.rmtree(path)
    for name in DATASETS:
        _stored(study, name).to_zarr(path, group=name, mode="a", zarr_format=2, consolidated=False)


def open_study(out: str | Path) -> dict[str, xr.Dataset]:
    """The Datasets of a written report, by group name of :data:`DATASETS`."""
    store = Path(out) / STORE
    return {
        name: xr.open_zarr(store, group=name, zarr_format=2, consolidated=False).load()
        for name in DATASETS
    }


def _command(study: FailureStudy, out: Path) -> str:
    """The command that writes this report again: ``xorsweep reproduce`` for its scales."""
    if study.name in ("quick", "full"):
        seed = "" if study.seed == 0 else f" --seed {study.seed}"
        return (
            f"xorsweep reproduce --study failures --scale {study.name} --out {out} "
            f"--engine {study.engine}{seed}"
        )
    engine = f", engine={study.engine!r}"
    seed = "" if study.seed == 0 else f", seed={study.seed}"
    return (
        'python -c "from xorsweep.studies.failures import run_failures; '
        f'run_failures({str(out)!r}, {study.name!r}{engine}{seed})"'
    )


def write_study(
    study: FailureStudy,
    out: Path,
    *,
    say: Callable[[str], None] | None = None,
    started: float | None = None,
) -> Path:
    """Write the figures, the Datasets, ``summary.json`` and ``report.md`` into ``out``.

    ``started`` (a ``time.perf_counter()`` reading) adds the whole call's wall
    time. Returns the report's path.
    """
    say = say or (lambda line: None)
    seconds = dict(study.seconds)
    began = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    figures = {k: f"figures/{v}" for k, v in draw_figures(study, out / "figures").items()}
    seconds["figures"] = time.perf_counter() - began
    began = time.perf_counter()
    write_datasets(study, out / STORE)
    seconds["writing the Datasets"] = time.perf_counter() - began
    files = {f"{STORE}/{name}": what for name, what in DATASETS.items()}
    files["summary.json"] = "the main numbers, for machines"
    numbers = summary(study, seconds, figures)
    total = None if started is None else time.perf_counter() - started
    numbers["total_seconds"] = total
    (out / "summary.json").write_text(json_text(numbers) + "\n", encoding="utf-8")
    text = render(study, figures, seconds, _command(study, out), files, total)
    report = out / "report.md"
    report.write_text(text, encoding="utf-8")
    return report
