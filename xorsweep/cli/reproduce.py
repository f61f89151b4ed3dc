"""``xorsweep reproduce``: the article end to end, from sweep to report.

The study is :mod:`xorsweep.studies.article` (and :mod:`~xorsweep.studies.beyond`,
:mod:`~xorsweep.studies.failures`); this command parses, plans, prints the estimate
and runs it.
"""

from __future__ import annotations

import argparse
from typing import Any

from .options import ARTICLE, EXIT, MAX_HOURS, add_execution, add_level, command, integer
from .sweep import announced

__all__ = ["STUDIES", "add", "run"]

#: The studies ``--study`` runs: the article's, and those beyond it (:mod:`xorsweep.studies`).
STUDIES = ("article", "beyond", "failures", "depth")
#: Options of the article's study alone, with their defaults; the other studies' sizes are
#: their ``--scale``'s, and they refuse these options rather than ignore them.
_ARTICLE_ONLY = ("points", "runs", "epochs", "n_boot", "level", "max_hours", "scheduler")


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``reproduce`` and its options."""
    from ..studies.article.plan import ANALYSIS_DEFAULTS, SCALES

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
    from ..studies.article.plan import ANALYSIS_DEFAULTS, SCALES

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

    if getattr(args, "precision", "float64") != "float64":
        raise ValueError(
            f"--precision {args.precision}: the {args.study} study runs in float64 only"
        )
    return run_study(args, outputs.writable_directory(args.out, "--out"))


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep reproduce``; returns the exit status."""
    args = _article_options(args)
    if args.study != "article":
        return _run_study(args)
    from .._core import outputs
    from ..studies.article.plan import plan_article
    from ..studies.article.run import run_plan

    outputs.writable_directory(args.out, "--out")
    plan = plan_article(
        args.out,
        args.scale,
        points=getattr(args, "points", None),
        runs=getattr(args, "runs", None),
        **{name: getattr(args, name) for name in ("epochs", "seed", "n_boot", "level", "engine")},
    )

    def work(**execution: Any) -> tuple[Any, Any]:
        done = run_plan(plan, **execution)
        return done.sweep, done

    status, done = announced(plan.config, plan.runs, plan.store, args, work, plan.after_seconds())
    if status:
        return status
    print(f"wrote {done.report} with {len(done.figures)} figures in {plan.out / 'figures'}")
    print(repr(done.fit))
    if not done.fit.ok and "level" in done.fit.message:
        print(f"note: the fit's window is --level (here {args.level:g}); rerun with another one")
    return 0
