"""``xorsweep reproduce``: the article end to end, from sweep to report."""

from __future__ import annotations

import argparse
import os
import time

from .figures import save_figures, staged
from .options import ARTICLE, DPI, EXIT, MAX_HOURS, add_execution, add_level, command, integer
from .sweep import sweep_into

__all__ = ["STUDIES", "add", "run"]

#: The studies ``--study`` runs: the article's, and those beyond it (:mod:`xorsweep.studies`).
STUDIES = ("article", "beyond", "failures", "depth")
#: Options of the article's study alone, with their defaults; the other studies' sizes are
#: their ``--scale``'s, and they refuse these options rather than ignore them.
_ARTICLE_ONLY = ("points", "runs", "epochs", "n_boot", "level", "max_hours", "scheduler")


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``reproduce`` and its options."""
    from ..studies.article.run import ANALYSIS_DEFAULTS, SCALES

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
            "`xorsweep sweep`. --study beyond runs the study beyond the article's line "
            "(widths, output stds, activations, gradient conventions, bias init: "
            "xorsweep.studies.beyond.run), --study failures the anatomy of the runs that never "
            "learn (xorsweep.studies.failures.run) and --study depth where Glorot's rule "
            "holds over depth, fan-in and optimisers (xorsweep.studies.depth.run), each writing "
            "DIR/report.md at its --scale (tiny, quick or full; the article's: quick or full); "
            "--points, --runs, --epochs, --n-boot, --level, "
            f"--max-hours (default {MAX_HOURS:g}) and --scheduler belong to the article's "
            f"study and are refused with the others. {EXIT}"
        ),
    )
    parser.add_argument(
        "--study", default="article", choices=STUDIES, help="which study to run and report"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        default=argparse.SUPPRESS,
        help="output directory (created if missing)",
    )
    parser.add_argument(
        "--scale", default="quick", choices=(*SCALES, "tiny"), help="size of the sweep"
    )
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
        "--epochs",
        type=integer,
        default=argparse.SUPPRESS,
        help=f"gradient steps per run (default: {defaults['epochs']:,})",
    )
    parser.add_argument(
        "--seed", type=integer, default=defaults["seed"], help="root seed of the sweeps and figures"
    )
    parser.add_argument(
        "--n-boot",
        type=integer,
        default=argparse.SUPPRESS,
        help=f"bootstrap replicates of every interval (default: {defaults['n_boot']:,})",
    )
    add_level(parser, default=argparse.SUPPRESS)
    add_execution(parser, max_hours=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def _article_options(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the article-only options that were not given set to their defaults;
    refused with the other studies if any was given."""
    from ..studies.article.run import ANALYSIS_DEFAULTS, SCALES

    if args.study == "article" and args.scale not in SCALES:
        raise ValueError(f"--scale {args.scale}: the article's study has the scales quick and full")
    given = [name for name in _ARTICLE_ONLY if name in vars(args)]
    if args.study != "article" and given:
        names = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ValueError(
            f"{names}: option(s) of --study article only; the {args.study} study's sizes are "
            f"those of its --scale (quick or full)"
        )
    # the defaults of those that have one (--points and --runs: the scale's; --scheduler: none)
    defaults = {**ANALYSIS_DEFAULTS, "max_hours": MAX_HOURS}
    for name in _ARTICLE_ONLY:
        if name not in vars(args) and name in defaults:
            setattr(args, name, defaults[name])
    return args


def _run_study(args: argparse.Namespace) -> int:
    """Run ``--study beyond`` or ``--study failures`` into ``--out``."""
    from .._core import outputs
    from .studies import run_study

    return run_study(args, outputs.writable_directory(args.out, "--out"))


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep reproduce``; returns the exit status."""
    args = _article_options(args)
    if args.study != "article":
        return _run_study(args)
    from .._core import outputs
    from ..studies.article import run as reproduction
    from ..studies.report import json_text, render_report
    from ..sweeps.config import SweepConfig, article_grid
    from ..sweeps.store import COMPUTE_SECONDS, read_header

    out = outputs.writable_directory(args.out, "--out")
    scale = reproduction.SCALES[args.scale]
    points = getattr(args, "points", scale["points"])
    runs = getattr(args, "runs", scale["runs"])
    store = out / "results.zarr"
    # the article's sweep: SweepConfig's defaults but for the grid's size, epochs and seed
    config = SweepConfig(hidden_std=article_grid(points), epochs=args.epochs, seed=args.seed)
    start = time.perf_counter()
    after = reproduction.analysis_seconds(points, runs, args.n_boot, args.epochs)
    status = sweep_into(config, runs, store, args, after)
    if status:
        return status
    seconds = {"sweep": time.perf_counter() - start}
    results = args.read_store(str(store), [])
    options = {name: getattr(args, name) for name in reproduction.ANALYSIS_DEFAULTS}
    analysis, stages = reproduction.analyse(
        results, seed=args.seed, epochs=args.epochs, n_boot=args.n_boot, level=args.level
    )
    start = time.perf_counter()
    with staged(out / "figures") as temp:  # all the figures or none
        saved = list(save_figures(analysis.figures, temp, "png", DPI))
    figures = {path.stem: f"figures/{path.name}" for path in saved}
    seconds.update(stages)
    seconds["figures"] += time.perf_counter() - start
    fit = analysis.fit
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
    texts = {
        "claims.csv": analysis.claims.to_csv(index=False),
        "fit.json": json_text(fit.to_dict()) + "\n",
        "report.md": report,
    }
    for name, text in texts.items():  # each whole or not at all: written aside, then renamed
        temp = out / f".{name}.{os.getpid()}.partial"
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, out / name)
    print(f"wrote {out / 'report.md'} with {len(figures)} figures in {out / 'figures'}")
    print(repr(fit))
    if not fit.ok and "level" in fit.message:
        print(f"note: the fit's window is --level (here {args.level:g}); rerun with another one")
    return 0
