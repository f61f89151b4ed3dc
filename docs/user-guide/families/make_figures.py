"""The family figures of the user guide's page on families of curves, each drawn by one call.

Usage, from the repository's root (a few minutes on two cores)::

    python docs/user-guide/families/make_figures.py

Two sweeps, each over a grid of hidden stds and one more dimension: the learning rate (the
article's network) and the width (output std Glorot's per width). Each is fitted once with
:func:`xorsweep.fit_slices`; every figure is one call of :mod:`xorsweep.plots`. The sweeps'
stores go to a temporary folder; the figures and the fits' table land beside this script.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import xorsweep as xs
import xorsweep.plots as xp

HERE = Path(__file__).resolve().parent
STDS = np.exp(np.linspace(-3, 2, 30))  # e^-3 to e^2, the part of the article's grid that bends
RUNS, EPOCHS, SEED = 512, 10_000, 0
LRS = [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
WIDTHS = [2, 3, 4, 6, 8]


def family(store: Path, **axis) -> tuple:
    """Sweep, summarise and fit one family; its summary, fits and seconds."""
    start = time.perf_counter()
    results = xs.sweep(STDS, runs=RUNS, epochs=EPOCHS, seed=SEED, store=store, **axis)
    return xs.summarize(results), xs.fit_slices(results), time.perf_counter() - start


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="xorsweep-families-") as folder:
        lr_summary, lr_fits, lr_s = family(Path(folder) / "lr.zarr", lr=LRS)
        width_summary, width_fits, width_s = family(
            Path(folder) / "width.zarr", hidden=WIDTHS, output_std="glorot"
        )
    figures = {
        "loss_by_lr.png": xp.plot_loss_vs_std(lr_summary, lr_fits, hue="lr"),
        "optimum_vs_lr.png": xp.plot_optimum_vs(lr_fits, "lr"),
        "loss_by_width.png": xp.plot_loss_vs_std(width_summary, width_fits, col="hidden"),
        "optimum_vs_width.png": xp.plot_optimum_vs(width_fits, "hidden"),
    }
    for name, drawn in figures.items():
        first = np.ravel(drawn)[0] if isinstance(drawn, np.ndarray | list | tuple) else drawn
        first.figure.savefig(HERE / name, dpi=110, bbox_inches="tight")
    columns = ["optimum", "optimum_low", "optimum_high", "ok", "reason"]
    for fits, name in ((lr_fits, "lr"), (width_fits, "width")):
        table = fits[columns].squeeze(drop=True).to_dataframe()[columns]
        table.to_csv(HERE / f"optimum_by_{name}.csv")
    print(f"learning rates: {lr_s:.0f} s; widths: {width_s:.0f} s; figures in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
