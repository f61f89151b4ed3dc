"""float32 against float64: the same sweep in both precisions, statistics compared.

20 hidden stds spread over the article's grid (every 21st of its 400, from
exp(-3) to exp(4)), ``--runs`` runs each (4,096), the article's training
(10,000 epochs, lr 0.1, output std 0.8165, seed 0), trained by the numba engine
in float64 and in float32 on one worker. The two share every initial network
(same seeds), so their runs are paired; the test below treats them as
independent samples, which is stricter than needed for a shift in the mean
(the paired differences are reported too). Checked:

* at every std, the mean total loss and the convergence share of float32
  agree with float64's within 3 combined standard errors
  (``|a - b| <= 3 sqrt(se_a**2 + se_b**2)``);
* :func:`xorsweep.fit_optimum`'s 95% interval of the optimum std in float32
  overlaps float64's;
* measured: the share of runs whose convergence flag (converged or not)
  differs between the precisions, and the runs' median and largest relative
  difference of total loss.

Writes ``benchmarks/results/float32_equivalence.json`` (per std and the
summary) and prints a Markdown table. Exit status 1 if a check fails.

Run from the repository root::

    python benchmarks/bench_float32.py             # 2 x 8.2e8 net-epochs: minutes
    python benchmarks/bench_float32.py --runs 256  # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

import xorsweep as xs
from xorsweep.sweeps.config import article_grid

RESULT = Path(__file__).parent / "results" / "float32_equivalence.json"
PRECISIONS = ("float64", "float32")


def _cpu_seconds() -> float:
    """CPU seconds of this process and its ended children (the sweep's worker)."""
    own, ended = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def run(precision: str, stds: np.ndarray, runs: int, epochs: int) -> tuple[object, float, float]:
    """The sweep in ``precision`` (in memory, one worker), its wall and CPU seconds."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    ds = xs.sweep(
        hidden_std=stds, runs=runs, epochs=epochs, engine="numba", precision=precision,
        workers=1, progress=False,
    )  # fmt: skip
    return ds, time.perf_counter() - wall, _cpu_seconds() - cpu


def per_std(ds64, ds32) -> list[dict]:
    """Each std's means, shares, their standard errors and the checks' margins."""
    rows = []
    for k, std in enumerate(ds64.hidden_std.values):
        a = ds64.total_loss.values[k]
        b = ds32.total_loss.values[k]
        ca = np.isfinite(ds64.converged_epoch.values[k])
        cb = np.isfinite(ds32.converged_epoch.values[k])
        n = a.size
        se_loss = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(n)
        pa, pb = ca.mean(), cb.mean()
        se_share = np.sqrt((pa * (1 - pa) + pb * (1 - pb)) / n)
        rel = np.abs(b / a - 1)
        rows.append(
            {
                "hidden_std": float(std),
                "mean_loss_64": float(a.mean()),
                "mean_loss_32": float(b.mean()),
                "loss_diff_in_se": float(abs(a.mean() - b.mean()) / se_loss),
                "paired_mean_loss_diff": float((b - a).mean()),
                "share_64": float(pa),
                "share_32": float(pb),
                "share_diff_in_se": float(abs(pa - pb) / se_share) if se_share > 0 else 0.0,
                "flag_differs": float(np.mean(ca != cb)),
                "median_rel_loss_diff": float(np.median(rel)),
                "max_rel_loss_diff": float(rel.max()),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=4096, help="runs per std")
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=RESULT, help="the JSON result")
    args = parser.parse_args(argv)
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    stds = article_grid()[::21]  # 20 of the 400: exp(-3) to exp(4)
    xs.train(xs.init_population(64, seed=0), 2, engine="numba", precision="float32")  # compile
    found, timing = {}, {}
    for precision in PRECISIONS:
        found[precision], wall, cpu_s = run(precision, stds, args.runs, args.epochs)
        rate = stds.size * args.runs * args.epochs / cpu_s
        timing[precision] = {"wall_s": wall, "cpu_s": cpu_s, "net_epochs_per_cpu_s": rate}
        print(
            f"# {precision}: {wall:.0f} s wall, {cpu_s:.0f} s CPU, {rate / 1e6:.1f}M net-epochs/s"
        )
    rows = per_std(found["float64"], found["float32"])
    fits = {p: xs.fit_optimum(found[p], errors="ignore") for p in PRECISIONS}
    ci = {p: [float(v) for v in fits[p].optimum_ci] for p in PRECISIONS}
    overlap = all(f.ok for f in fits.values()) and max(c[0] for c in ci.values()) <= min(
        c[1] for c in ci.values()
    )
    flags = np.mean([r["flag_differs"] for r in rows])
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load_average": os.getloadavg(),
        "runs_per_std": args.runs,
        "epochs": args.epochs,
        "stds": stds.size,
        "timing": timing,
        "max_loss_diff_in_se": max(r["loss_diff_in_se"] for r in rows),
        "max_share_diff_in_se": max(r["share_diff_in_se"] for r in rows),
        "optimum": {p: float(fits[p].optimum) for p in PRECISIONS},
        "optimum_ci": ci,
        "optimum_reason": {p: fits[p].reason for p in PRECISIONS},
        "intervals_overlap": bool(overlap),
        "share_of_runs_whose_flag_differs": float(flags),
        "max_rel_loss_diff": max(r["max_rel_loss_diff"] for r in rows),
        "median_rel_loss_diff": float(np.median([r["median_rel_loss_diff"] for r in rows])),
    }
    passed = (
        summary["max_loss_diff_in_se"] <= 3 and summary["max_share_diff_in_se"] <= 3 and overlap
    )
    summary["passed"] = bool(passed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "per_std": rows}, indent=1) + "\n")
    print(
        "| hidden std | mean loss f64 | f32 | diff / SE | share f64 | f32 | diff / SE "
        "| flag differs | max rel. loss diff |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        print(
            f"| {r['hidden_std']:.4g} | {r['mean_loss_64']:.2f} | {r['mean_loss_32']:.2f} "
            f"| {r['loss_diff_in_se']:.3f} | {r['share_64']:.4f} | {r['share_32']:.4f} "
            f"| {r['share_diff_in_se']:.3f} | {r['flag_differs']:.2%} "
            f"| {r['max_rel_loss_diff']:.1e} |"
        )
    for p in PRECISIONS:
        print(
            f"# optimum {p}: {fits[p].optimum:.4f}, 95% interval {ci[p][0]:.4f} to {ci[p][1]:.4f}"
        )
    print(f"# intervals overlap: {overlap}; flags differ in {flags:.3%} of runs; passed: {passed}")
    print(f"# written to {args.out}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
