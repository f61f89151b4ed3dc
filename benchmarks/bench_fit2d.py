"""The 2-D fit of the hidden and output stds: its region's coverage, its bias, and its speed.

``--coverage N``
    Fit N synthetic sweeps over a 20 x 20 grid of (hidden_std, output_std)
    with a planted optimum (``planted_surface`` of ``tests/_datasets.py``:
    a tilted, asymmetric cubic surface in the log stds with the skewed,
    bimodal per-run noise of the 1-D benchmark) and count how often the 95%
    confidence region holds the planted optimum, and the marginal intervals
    each planted std. Also the share of Glorot's pair's penalty intervals
    that cover the planted penalty.
``--timing``
    Time ``fit_surface`` on a 30 x 30 grid with 2,000 runs a point and 1,000
    bootstrap replicates.
``--model-check``
    Sweep 20 hidden stds (0.15 to 3) x 20 output stds (0.1 to 8), ``--runs``
    runs each (500 by default) at the article's other settings, into
    ``--store`` (resumed if it exists), then fit the surface with a quadratic
    and a cubic at several window levels. About 4 minutes on one core.

Run from the repository root::

    python benchmarks/bench_fit2d.py --coverage 1000 --timing
    python benchmarks/bench_fit2d.py --coverage 1000 --smooth 0.1
    python benchmarks/bench_fit2d.py --model-check --runs 500 --store fit2d.zarr
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

import xorsweep as xs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import _datasets as synth  # noqa: E402


def coverage(
    n: int, runs: int, n_boot: int, degree: int, level: float, smooth: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    h_true, o_true = synth.OPTIMUM_2D
    glorot = xs.init_rules(2, 2)["glorot_normal"], xs.init_rules(2, 1)["glorot_normal"]
    true_penalty = 100 * (float(synth.planted_surface_mean(*glorot)) / synth.A - 1)
    region = hidden = output = penalty = failed = 0
    logs, radii = [], []
    start = time.perf_counter()
    for _ in range(n):
        ds = synth.planted_surface(rng, runs=runs)
        fit = xs.fit_surface(
            ds, degree=degree, level=level, smooth=smooth, n_boot=n_boot, rng=rng, errors="ignore"
        )
        if not fit.ok:
            failed += 1
            print(f"  no optimum: {fit.reason}")
            continue
        region += bool(fit.contains(h_true, o_true))
        hidden += fit.hidden_ci[0] <= h_true <= fit.hidden_ci[1]
        output += fit.output_ci[0] <= o_true <= fit.output_ci[1]
        g = fit.rules.sel(rule="glorot_normal")
        penalty += float(g.penalty_low) <= true_penalty <= float(g.penalty_high)
        logs.append(np.log(fit.optimum))
        radii.append(fit.region_radius)
    elapsed = time.perf_counter() - start
    fitted = n - failed
    print(
        f"{n} surfaces ({runs} runs a point, {n_boot} replicates, degree {degree}, level "
        f"{level}, smooth {smooth}): {failed} not ok, {elapsed:.1f} s"
    )
    for name, hits in (
        ("95% region holds the optimum", region),
        ("hidden_std interval covers", hidden),
        ("output_std interval covers", output),
        ("Glorot's penalty interval covers", penalty),
    ):
        p = hits / fitted
        se = math.sqrt(p * (1 - p) / fitted)
        print(f"  {name}: {hits} of {fitted} ({p:.3f}, binomial se {se:.3f})")
    logs_arr = np.array(logs)
    bias = logs_arr.mean(axis=0) - np.log([h_true, o_true])
    spread = logs_arr.std(axis=0, ddof=1)
    print(
        f"  bias of log optimum (hidden, output): {bias[0]:+.4f}, {bias[1]:+.4f}; "
        f"spread {spread[0]:.4f}, {spread[1]:.4f}; median region radius {np.median(radii):.3f} "
        f"(chi-square with 2 dof: {math.sqrt(-2 * math.log(0.05)):.3f})"
    )
    print(f"  planted Glorot penalty: {true_penalty:.2f}%")


def timing() -> None:
    rng = np.random.default_rng(0)
    ds = synth.planted_surface(
        rng, np.geomspace(0.12, 2.0, 30), np.geomspace(0.8, 16.0, 30), runs=2000
    )
    start = time.perf_counter()
    fit = xs.fit_surface(ds, rng=0)
    elapsed = time.perf_counter() - start
    print(f"fit_surface, 30 x 30 points x 2,000 runs, 1,000 replicates: {elapsed:.2f} s")
    print(fit)


def model_check(runs: int, store: str, workers: int) -> None:
    h, o = np.geomspace(0.15, 3.0, 20), np.geomspace(0.1, 8.0, 20)
    start = time.perf_counter()
    ds = xs.sweep(h, output_std=list(o), runs=runs, seed=3, store=store, workers=workers)
    print(f"swept 20 x 20 points x {runs} runs in {time.perf_counter() - start:.0f} s")
    print("degree level  hidden optimum [95% CI]    output optimum [95% CI]  points  chi2/dof  p")
    for degree in (2, 3):
        for level in (0.15, 0.25, 0.35):
            fit = xs.fit_surface(ds, degree=degree, level=level, rng=0, errors="ignore")
            (hs, os_), (hl, hh), (ol, oh) = fit.optimum, fit.hidden_ci, fit.output_ci
            print(
                f"{degree:6d} {level:5.2f}  {hs:.3f} [{hl:.3f}, {hh:.3f}]  {os_:8.3f} "
                f"[{ol:.3f}, {oh:.3f}]  {fit.n_points:6d}  {fit.chi2:6.1f}/{fit.dof:<3d} "
                f"{fit.p_value:.3g}" + ("" if fit.ok else f"  no optimum: {fit.reason}")
            )
    print(xs.fit_surface(ds, rng=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coverage", type=int, default=0, metavar="N")
    parser.add_argument(
        "--runs", type=int, help="runs a grid point (300 for --coverage, 500 for --model-check)"
    )
    parser.add_argument("--n-boot", type=int, default=300, help="replicates a fit (300)")
    parser.add_argument("--degree", type=int, default=3)
    parser.add_argument("--level", type=float, default=0.25)
    parser.add_argument("--smooth", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--model-check", action="store_true")
    parser.add_argument("--store", default="fit2d.zarr", help="the model check's store")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.model_check:
        model_check(args.runs or 500, args.store, args.workers)
    if args.coverage:
        coverage(
            args.coverage,
            args.runs or 300,
            args.n_boot,
            args.degree,
            args.level,
            args.smooth,
            args.seed,
        )
    if args.timing:
        timing()


if __name__ == "__main__":
    main()
