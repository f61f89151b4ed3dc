"""The fit of the optimal std: its model on real losses, its coverage, and its speed.

Three measurements, each optional:

``--model-check``
    Sweep the article's grid points between 0.15 and 3.2 (175 of its 400
    stds) with ``--runs`` runs each at the article's settings (10,000 epochs,
    lr 0.1, output std 0.8165), then fit the minimum with a quadratic and a
    cubic at several window levels. A model that represents the curve gives
    the same optimum whatever the window and a lack-of-fit p-value that is
    not small. About 4 minutes per core with the default 2,000 runs.
``--coverage N``
    Fit N synthetic sweeps with a planted optimum (the generator of
    ``tests/_datasets.py``) and count how often the 95% interval covers it.
``--thin N``
    The same for N sweeps in each of the thin cases: coarse grids whose window
    holds 6 to 8 points, flat curves (the curvature divided by 4 and 10), and
    256 to 1,024 runs a point; a table of each case's window, share of fits
    with an optimum, coverage among them, and how often two seeds' intervals
    overlap.
``--timing``
    Time ``fit_optimum`` and ``claims`` on synthetic results of the article's
    size (400 stds x 10,000 runs) with 1,000 bootstrap replicates.

Run from the repository root::

    python benchmarks/bench_fit.py --model-check --workers 2
    python benchmarks/bench_fit.py --coverage 1000 --timing
    python benchmarks/bench_fit.py --thin 200
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import xorsweep as xs
from xorsweep.analysis.fit import THIN_DOF

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import _datasets as synth  # noqa: E402


def model_check(runs: int, workers: int) -> None:
    grid = xs.article_grid()
    stds = grid[(grid > 0.15) & (grid < 3.2)]
    start = time.perf_counter()
    ds = xs.sweep(stds, runs=runs, seed=1, workers=workers, progress=False)
    print(f"swept {stds.size} stds x {runs} runs in {time.perf_counter() - start:.0f} s")
    print("degree level  optimum  95% CI           window           points  chi2/dof  p")
    for degree in (2, 3):
        for level in (0.1, 0.15, 0.25, 0.35):
            fit = xs.fit_optimum(ds, degree=degree, level=level, rng=0, errors="ignore")
            lo, hi = fit.optimum_ci
            print(
                f"{degree:6d} {level:5.2f}  {fit.optimum:.4f}   {lo:.4f} to {hi:.4f}  "
                f"{fit.window[0]:.3f} to {fit.window[1]:.3f}  {fit.n_points:6d}  "
                f"{fit.chi2:6.1f}/{fit.dof:<3d} {fit.p_value:.3g}"
                + ("" if fit.ok else f"  no optimum: {fit.reason}")
            )
    fit = xs.fit_optimum(ds, rng=0)
    print(fit)
    table = xs.claims(ds, fit=fit, rng=0)
    print(table.drop(columns="note").to_string())


def coverage(repeats: int) -> None:
    rng = np.random.default_rng(1)
    covered = failed = 0
    start = time.perf_counter()
    for _ in range(repeats):
        fit = xs.fit_optimum(synth.planted(rng), n_boot=300, rng=rng, errors="ignore")
        failed += not fit.ok
        covered += fit.ok and fit.optimum_ci[0] <= synth.OPTIMUM <= fit.optimum_ci[1]
    p = covered / repeats
    se = (p * (1 - p) / repeats) ** 0.5
    print(
        f"coverage of the 95% interval: {covered}/{repeats} = {p:.3f} (binomial se {se:.3f}); "
        f"{failed} fits not ok; {time.perf_counter() - start:.1f} s"
    )


#: The thin cases of ``--thin``: (name, grid points from 0.15 to 3, flatness, runs a point).
THIN_CASES = (
    ("41 points, 400 runs (reference)", 41, 1.0, 400),
    ("9 points, 1,024 runs", 9, 1.0, 1024),
    ("13 points, 256 runs", 13, 1.0, 256),
    ("13 points, 1,024 runs", 13, 1.0, 1024),
    ("15 points, 256 runs", 15, 1.0, 256),
    ("16 points, 1,024 runs", 16, 1.0, 1024),
    ("21 points, flat / 4, 256 runs", 21, 0.25, 256),
    ("21 points, flat / 4, 1,024 runs", 21, 0.25, 1024),
    ("41 points, flat / 10, 512 runs", 41, 0.1, 512),
    ("13 points, flat / 4, 1,024 runs", 13, 0.25, 1024),
)


def _flat(rng: np.random.Generator, points: int, flatness: float, runs: int):
    """Planted results whose curvature is ``flatness`` times the reference's."""
    stds = np.geomspace(0.15, 3.0, points)
    ds = synth.planted(rng, stds=stds, runs=runs)
    ratio = (synth.A + flatness * (synth.planted_mean(stds) - synth.A)) / synth.planted_mean(stds)
    return ds.assign(total_loss=ds.total_loss * ratio[:, None])


def thin(repeats: int) -> None:
    """Coverage and seed-to-seed overlap of the 95% interval in each thin case."""
    print(
        "| case | points in the window (median) | dof < 4 | fits with an optimum "
        "| coverage among them (se) | two seeds' intervals overlap | s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, points, flatness, runs in THIN_CASES:
        rng = np.random.default_rng(points * 1000 + runs)
        start = time.perf_counter()
        fits = [
            xs.fit_optimum(_flat(rng, points, flatness, runs), n_boot=300, rng=rng, errors="ignore")
            for _ in range(repeats)
        ]
        ok = [f for f in fits if f.ok]
        covered = sum(f.optimum_ci[0] <= synth.OPTIMUM <= f.optimum_ci[1] for f in ok)
        pairs = [(a, b) for a, b in zip(fits[::2], fits[1::2], strict=False) if a.ok and b.ok]
        overlap = sum(
            a.optimum_ci[0] <= b.optimum_ci[1] and b.optimum_ci[0] <= a.optimum_ci[1]
            for a, b in pairs
        )
        n_points = [f.n_points for f in fits if f.n_points]
        thin_dof = sum(f.n_points > 0 and f.dof < THIN_DOF for f in fits)
        p = covered / len(ok) if ok else float("nan")
        se = (p * (1 - p) / len(ok)) ** 0.5 if ok else float("nan")
        print(
            f"| {name} | {np.median(n_points) if n_points else 0:g} | {thin_dof}/{repeats} "
            f"| {len(ok)}/{repeats} | {p:.3f} ({se:.3f}) | {overlap}/{len(pairs)} "
            f"| {time.perf_counter() - start:.0f} |",
            flush=True,
        )


def timing() -> None:
    stds = xs.article_grid()
    ds = synth.planted(np.random.default_rng(0), stds=stds, runs=10_000)
    start, cpu = time.perf_counter(), time.process_time()
    fit = xs.fit_optimum(ds, rng=0)
    fit_s, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    xs.claims(ds, fit=fit, rng=0)
    claims_s, claims_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{stds.size} stds x 10,000 runs, {fit.n_points} points in the window, 1,000 "
        f"replicates: fit_optimum {fit_s:.1f} s ({fit_cpu:.1f} s CPU), claims (given the "
        f"fit) {claims_s:.1f} s ({claims_cpu:.1f} s CPU)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-check", action="store_true", help="sweep and fit real losses")
    parser.add_argument("--runs", type=int, default=2000, help="runs per std for --model-check")
    parser.add_argument("--workers", type=int, default=1, help="processes for --model-check")
    parser.add_argument("--coverage", type=int, default=0, metavar="N", help="synthetic repeats")
    parser.add_argument("--thin", type=int, default=0, metavar="N", help="repeats per thin case")
    parser.add_argument("--timing", action="store_true", help="time the article-sized fit")
    args = parser.parse_args()
    if args.model_check:
        model_check(args.runs, args.workers)
    if args.coverage:
        coverage(args.coverage)
    if args.thin:
        thin(args.thin)
    if args.timing:
        timing()


if __name__ == "__main__":
    main()
