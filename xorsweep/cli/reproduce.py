"""``xorsweep reproduce``: the article end to end, from sweep to report."""

from __future__ import annotations

import argparse
import time

from .figures import save_figures
from .options import ARTICLE, DPI, EXIT, add_execution, add_level, command, integer
from .sweep import sweep_into

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``reproduce`` and its options."""
    from ..reproduction import ANALYSIS_DEFAULTS, SCALES

    parser = command(
        subparsers,
        "reproduce",
        help="reproduce the article end to end: sweep, fit, claims, figures and a report",
        description=(
            f"Run the article's sweep over the hidden std ({ARTICLE}) into "
            "DIR/results.zarr, fit the optimal std, measure the article's claims, "
            "draw the ten figures into DIR/figures and write DIR/report.md showing them "
            "together (with DIR/claims.csv and DIR/fit.json for machines); the report gives "
            "the command that regenerates it. --scale quick "
            f"trains {SCALES['quick']['points']} stds x {SCALES['quick']['runs']:,} runs "
            "(a few minutes on two cores); --scale full is the article's "
            f"{SCALES['full']['points']} x {SCALES['full']['runs']:,}. Re-running resumes "
            "the sweep where it stopped. The sweep's estimate and limits are those of "
            f"`xorsweep sweep`. {EXIT}"
        ),
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        default=argparse.SUPPRESS,
        help="output directory (created if missing)",
    )
    parser.add_argument("--scale", default="quick", choices=tuple(SCALES), help="size of the sweep")
    parser.add_argument(
        "--points",
        type=integer,
        default=argparse.SUPPRESS,
        help="number of stds from e^-3 to e^4 (default: the scale's)",
    )
    parser.add_argument(
        "--runs",
        type=integer,
        default=argparse.SUPPRESS,
        help="runs per std (default: the scale's)",
    )
    defaults = ANALYSIS_DEFAULTS
    parser.add_argument(
        "--epochs", type=integer, default=defaults["epochs"], help="gradient steps per run"
    )
    parser.add_argument(
        "--seed", type=integer, default=defaults["seed"], help="root seed of the sweep and figures"
    )
    parser.add_argument(
        "--n-boot",
        type=integer,
        default=defaults["n_boot"],
        help="bootstrap replicates of every interval",
    )
    add_level(parser)
    add_execution(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep reproduce``; returns the exit status."""
    from .. import outputs, reproduction
    from ..report import json_text, render_report
    from ..store import COMPUTE_SECONDS, read_header
    from ..sweeps.config import SweepConfig, article_grid

    out = outputs.writable_directory(args.out, "--out")
    scale = reproduction.SCALES[args.scale]
    points = getattr(args, "points", scale["points"])
    runs = getattr(args, "runs", scale["runs"])
    store = out / "results.zarr"
    # the article's sweep: SweepConfig's defaults but for the grid's size, epochs and seed
    config = SweepConfig(hidden_std=article_grid(points), epochs=args.epochs, seed=args.seed)
    start = time.perf_counter()
    status = sweep_into(config, runs, store, args)
    if status:
        return status
    seconds = {"sweep": time.perf_counter() - start}
    results = args.read_store(str(store), [])
    options = {name: getattr(args, name) for name in reproduction.ANALYSIS_DEFAULTS}
    analysis, stages = reproduction.analyse(
        results, seed=args.seed, epochs=args.epochs, n_boot=args.n_boot, level=args.level
    )
    start = time.perf_counter()
    figures = {
        path.stem: path.relative_to(out).as_posix()
        for path in save_figures(analysis.figures, out / "figures", "png", DPI)
    }
    seconds.update(stages)
    seconds["figures"] += time.perf_counter() - start
    analysis.claims.to_csv(out / "claims.csv", index=False)
    fit = analysis.fit
    (out / "fit.json").write_text(json_text(fit.to_dict()) + "\n")
    report = render_report(
        results,
        fit,
        analysis.claims,
        figures,
        scale=reproduction.scale_title(args.scale, points, runs, args.epochs),
        seconds=seconds,
        compute_seconds=read_header(store).attrs.get(COMPUTE_SECONDS),
        notes=analysis.figures.notes,
        command=reproduction.regenerate_command(args.out, args.scale, points, runs, **options),
    )
    (out / "report.md").write_text(report, encoding="utf-8")
    print(f"wrote {out / 'report.md'} with {len(figures)} figures in {out / 'figures'}")
    print(repr(fit))
    if not fit.ok and "level" in fit.message:
        print(f"note: the fit's window is --level (here {args.level:g}); rerun with another one")
    return 0
