"""``xorsweep reproduce --study beyond | failures | depth``: size, estimate, stages, then the run.

Before a study starts, one line says its work in network-epochs, about how long
it takes on this machine (a probe timed just now, :func:`xorsweep.sweeps.budget.probe_speed`)
and its stages; a run estimated over an hour asks first (:func:`.options.confirm`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .options import confirm

__all__ = ["run_study", "study_work"]

#: Of the failure study's article runs, the share that fail and are followed: 18,923 of
#: 50,000 at its full scale (docs/failures/summary.json).
_FAILING = 0.38
#: Seconds of the beyond study's fits, figures and files (5.7 s at its full scale,
#: docs/beyond/summary.json); the failure study's end states, survival and figures (6.7 s).
_AFTER = {"beyond": 6.0, "failures": 7.0}
#: Seconds of the depth study's figures and files (4.3 s at its quick scale), and of one
#: bootstrap replicate of one fit per gain of the grid (1.2 s for 40 fits x 500 replicates x
#: 13 gains at the quick scale; docs/depth/summary.json).
_DEPTH_AFTER = 5.0
_DEPTH_FIT = 1.2 / (40 * 500 * 13)


def study_work(study: str, scale: str, seed: int, engine: str) -> dict[str, float]:
    """Network-epochs (weighted by width over 2) of each training stage of ``study``."""
    if study == "beyond":
        from ..studies.beyond.run import SCALES, beyond_sweeps, network_epochs

        sweeps = beyond_sweeps(SCALES[scale], seed=seed, engine=engine)
        return {f"sweep: {name}": network_epochs(cfg, runs) for name, (cfg, runs) in sweeps.items()}
    from ..studies.failures.run import FAILURE_SCALES

    size = FAILURE_SCALES[scale]
    work = size.work(round(_FAILING * len(size.hidden_stds) * size.runs))
    return {name: float(value) for name, value in work.items()}


def _estimate(args: argparse.Namespace, workers: int) -> dict[str, float]:
    """Seconds of each stage of ``args.study`` at ``args.scale`` on ``workers`` workers."""
    from ..sweeps import budget
    from ..sweeps.config import SweepConfig

    speed = budget.probe_speed(SweepConfig(hidden_std=[1.0], engine=args.engine), workers=workers)
    per_second = workers * speed.parallel / speed.workers / speed.per_net_epoch
    work = study_work(args.study, args.scale, args.seed, args.engine)
    seconds = {name: value / per_second for name, value in work.items()}
    seconds["analysis and writing"] = _AFTER[args.study]
    total = sum(work.values())
    print(
        f"the {args.study} study at the {args.scale} scale: about {total:.3g} network-epochs "
        f"(weighted by width) on {workers} worker{'s' if workers > 1 else ''} "
        f"({1 / speed.per_net_epoch:.3g} network-epochs/s each alone, timed just now)"
    )
    return seconds


def run_study(args: argparse.Namespace, out: Any) -> int:
    """Run ``--study beyond`` or ``--study failures`` into ``out``; the exit status."""
    from ..sweeps.execution import default_workers
    from .options import stages_line

    if args.study == "depth":
        return _run_depth(args, out)
    if args.study == "beyond":
        from ..studies.beyond.run import run_beyond as run
    else:
        from ..studies.failures.run import run_failures as run
    workers = getattr(args, "workers", None) or default_workers()
    seconds = _estimate(args, workers)
    print(stages_line(seconds))
    if not confirm(sum(seconds.values()), args):
        print(f"not started; {out} is as it was", file=sys.stderr)
        return 1
    options = {"engine": args.engine, "progress": not args.no_progress, "seed": args.seed}
    if "workers" in vars(args):
        options["workers"] = args.workers
    report = run(out, args.scale, **options)
    print(f"wrote {report}")
    return 0


def _run_depth(args: argparse.Namespace, out: Any) -> int:
    """Run ``--study depth`` into ``out``; it trains in one process, so ``--workers`` is refused."""
    from ..studies.depth.plan import check_scale
    from ..studies.depth.run import estimate_seconds, run_depth
    from ..sweeps.budget import format_hours
    from .options import stages_line

    if "workers" in vars(args):
        raise ValueError("--workers: the depth study trains in one process; leave it out")
    size = check_scale(args.scale)
    by_line = estimate_seconds(size, args.engine)
    seconds = {f"training: {line}": value for line, value in by_line.items()}
    fits = sum(len(size.lrs(c)) for _, c in size.selected()) * len(size.budgets)
    seconds["fits and report"] = _DEPTH_AFTER + fits * size.n_boot * size.points * _DEPTH_FIT
    print(
        f"the depth study at the {args.scale} scale: {len(size.selected())} configurations x "
        f"{size.points} gains x {size.runs:,} runs x {size.epochs:,} epochs (budgets "
        f"{', '.join(f'{b:,}' for b in size.budgets)}), about {size.network_epochs():.3g} "
        "network-epochs (weighted by parameters; timed just now)"
    )
    mapped = [c for _, c in size.selected() if c.line == "lr_map"]
    if mapped:
        share = size.network_epochs("lr_map") / size.network_epochs()
        print(
            f"of which the lr map: {len(mapped)} configurations x {len(size.map_lrs)} lrs "
            f"({', '.join(f'{x:g}' for x in size.map_lrs)}), "
            f"{size.network_epochs('lr_map'):.3g} network-epochs ({share:.0%}), "
            f"about {format_hours(by_line['lr_map'])}"
        )
    print(stages_line(seconds))
    if not confirm(sum(seconds.values()), args):
        print(f"not started; {out} is as it was", file=sys.stderr)
        return 1
    progress = not args.no_progress
    report = run_depth(out, args.scale, engine=args.engine, progress=progress, seed=args.seed)
    print(f"wrote {report}")
    return 0
