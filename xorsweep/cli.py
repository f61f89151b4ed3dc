"""The ``xorsweep`` command line: the only place that prints.

Each subcommand has an ``_add_<name>(subparsers)`` function that declares its
options and sets ``func`` to the function that runs it. Output paths are
checked writable (:mod:`xorsweep.outputs`) and a sweep's cost estimated and
checked (:mod:`xorsweep.budget`) before any work starts; every error is one
line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._version import VERSION
from .engines import ENGINES
from .figure_data import FIGURE_NAMES, FORMATS
from .network import ARTICLE_OUTPUT_STD
from .training import ARTICLE_EPOCHS, ARTICLE_LR

#: A larger std can draw initial weights that overflow float64 (from about 1e307 on).
_MAX_STD = 1e300
#: From about this std up the sigmoids start saturated, and results stop changing with the
#: std (512 networks trained 2,000 epochs at stds 1e6 to 1e19 score as at 1e300, bit for bit).
_SATURATED_STD = 1e6
#: Said in the description of every command that computes.
_EXIT = "Exit status 2, with one line why: bad input, unwritable path, too little memory or disk."
#: What ``--engine`` chooses (:mod:`xorsweep.engines`).
_ENGINE = (
    "training engine: numba (a fused compiled kernel, several times faster), numpy (the "
    "exactness anchor; they agree to about 1e-12), or auto: numba where it compiles, else numpy "
    "with a warning. A store is resumed with the engine that made it; another is refused"
)
#: Resolution of PNG figures, dots per inch (``figures --dpi``, and ``reproduce``).
_DPI = 150
#: The article's training, as the descriptions say it.
_ARTICLE = f"output std {ARTICLE_OUTPUT_STD:g}, lr {ARTICLE_LR:g}, {ARTICLE_EPOCHS:,} epochs"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="xorsweep",
        description="Train populations of XOR networks and study the initial weights' std.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def _command(
    subparsers: argparse._SubParsersAction, name: str, **text: str
) -> argparse.ArgumentParser:
    """A subcommand's parser (``text``: its help and description), showing every default."""
    formatter = argparse.ArgumentDefaultsHelpFormatter
    return subparsers.add_parser(name, formatter_class=formatter, **text)


def _integer(text: str) -> int:
    """An integer option, written as 10000, 10_000 or 1e4 (a whole number)."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"invalid integer: {text!r}")
    return int(value)


def _add_execution(parser: argparse.ArgumentParser) -> None:
    """Where, how and how long a sweep runs: options of ``sweep`` and ``reproduce``."""
    parser.add_argument("--engine", default="auto", choices=ENGINES, help=_ENGINE)
    parser.add_argument(
        "--workers",
        type=_integer,
        default=argparse.SUPPRESS,
        help="local worker processes (default: every CPU this process may use)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=argparse.SUPPRESS,
        help="run the blocks on this Dask scheduler, e.g. tcp://10.0.0.1:8786, instead of "
        "local processes (default: local)",
    )
    parser.add_argument(
        "--max-hours",
        type=float,
        default=24.0,
        metavar="H",
        help="refuse a sweep whose estimated compute time is longer (the estimate, from a "
        "short timed training, is printed before the sweep starts; 'inf' for no limit)",
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def _add_sweep(subparsers: argparse._SubParsersAction) -> None:
    from .training import DEFAULT_BLOCK, UPDATES

    parser = _command(
        subparsers,
        "sweep",
        help="train many networks at every point of a grid of stds into a results store",
        description=(
            "Train RUNS networks at each of POINTS hidden-layer stds, log-spaced from STD_MIN "
            "to STD_MAX, and write their losses into the Zarr store STORE. The defaults are the "
            f"article's sweep (its 400 points exp(linspace(-3, 4, 400)), {_ARTICLE}), with 10 "
            "runs per point (--runs 10000 is the article's 4 million runs). Re-running the "
            "same command resumes an interrupted sweep; a larger --runs adds runs to the "
            "store. A store of another configuration is refused. Before starting, the sweep "
            "prints its work in network-epochs and about how long it takes, and refuses what "
            "would take longer than --max-hours, what would not fit on the disk, and what this "
            "machine could not hold in memory or read back to fit (xorsweep fit reads the "
            "whole store into memory). Stds are at most 1e300 (larger "
            f"ones can overflow); from about {_SATURATED_STD:g} up, results no longer change "
            f"with the std (the sigmoids start saturated). {_EXIT}"
        ),
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        required=True,
        default=argparse.SUPPRESS,
        help="results directory (created if missing)",
    )
    parser.add_argument("--runs", type=_integer, default=10, help="runs per grid point")
    parser.add_argument("--points", type=_integer, default=400, help="number of hidden-layer stds")
    parser.add_argument(
        "--std-min", type=float, default=math.exp(-3.0), help="smallest hidden std (e^-3)"
    )
    parser.add_argument(
        "--std-max", type=float, default=math.exp(4.0), help="largest hidden std (e^4)"
    )
    parser.add_argument(
        "--output-std", type=float, default=ARTICLE_OUTPUT_STD, help="output-layer std"
    )
    parser.add_argument(
        "--epochs", type=_integer, default=ARTICLE_EPOCHS, help="gradient steps per run"
    )
    parser.add_argument("--lr", type=float, default=ARTICLE_LR, help="learning rate")
    parser.add_argument("--seed", type=_integer, default=0, help="root seed of every run")
    parser.add_argument(
        "--update", default="article", choices=UPDATES, help="order of the layers' updates"
    )
    parser.add_argument(
        "--total-runs",
        type=_integer,
        metavar="T",
        default=argparse.SUPPRESS,
        help="then add runs where the relative error of the mean loss is largest "
        "(xorsweep.allocate) until the store holds T runs (default: no such runs)",
    )
    parser.add_argument(
        "--block-size", type=_integer, default=DEFAULT_BLOCK, help="target runs per block"
    )
    _add_execution(parser)
    parser.set_defaults(func=_run_sweep)


def _check_std(value: float, option: str) -> None:
    """Refuse a std that can overflow; say so when it is past saturation."""
    if value > _MAX_STD:
        raise ValueError(
            f"{option} must be at most {_MAX_STD:g} (a larger std can draw initial weights "
            f"that overflow float64), got {value:g}"
        )
    if value >= _SATURATED_STD:
        print(
            f"note: {option} {value:g}: from a std of about {_SATURATED_STD:g} up the sigmoids "
            "start saturated, and the results no longer change with the std"
        )


def _run_sweep(args: argparse.Namespace) -> int:
    from . import budget
    from .sweeps.config import SweepConfig, article_grid

    budget.check_grid(args.points, budget.available_memory())
    for option in ("std_min", "std_max", "output_std"):
        _check_std(getattr(args, option), f"--{option.replace('_', '-')}")
    config = SweepConfig(
        hidden_std=article_grid(args.points, args.std_min, args.std_max),
        output_std=args.output_std,
        lr=args.lr,
        epochs=args.epochs,
        seed=args.seed,
        update=args.update,
    )
    return _sweep_into(config, args.runs, Path(args.store), args)


def _sweep_into(config: Any, runs: int, path: Path, args: argparse.Namespace) -> int:
    """Run ``config``'s sweep to ``runs`` runs per point into the store ``path``."""
    from . import budget
    from ._checks import check_count
    from ._interrupts import sigterm_as_interrupt
    from .sweeps.execution import default_workers
    from .sweeps.run import run_sweep, settle
    from .training import DEFAULT_BLOCK

    runs = check_count(runs, "runs")
    if not args.max_hours > 0:
        raise ValueError(f"--max-hours must be a number > 0, got {args.max_hours}")
    workers = getattr(args, "workers", None)
    scheduler = getattr(args, "scheduler", None)
    client = None
    if scheduler is not None:
        if workers is not None:
            raise ValueError("give --workers (local processes) or --scheduler (Dask), not both")
        from distributed import Client

        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise ValueError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        if client is not None:
            n_workers = max(1, sum(client.nthreads().values()))
        else:
            n_workers = default_workers() if workers is None else check_count(workers, "workers")
        block = getattr(args, "block_size", DEFAULT_BLOCK)
        total = getattr(args, "total_runs", None)
        config = settle(replace(config, engine=args.engine), path)  # a store keeps its own
        said = budget.plan(config, runs, path, n_workers, block, total, args.max_hours)
        if said:
            print(f"{path}: {said}")
        with sigterm_as_interrupt():  # SIGTERM cleans up as Ctrl-C does
            _, report = run_sweep(
                config,
                runs,
                store=path,
                workers=workers,
                client=client,
                progress=not args.no_progress,
                block_size=getattr(args, "block_size", DEFAULT_BLOCK),
                total_runs=getattr(args, "total_runs", None),
            )
    except KeyboardInterrupt:
        if Path(path, "zarr.json").is_file():
            said = f"the finished blocks are in {path}; run the same command again to resume"
        else:
            said = f"no store was made at {path}"
        print(f"interrupted: {said}", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    if report.runs:
        print(
            f"{path}: computed {report.runs:,} runs in {report.blocks:,} blocks in "
            f"{report.seconds:.1f} s ({report.net_epochs_per_second:.3g} net-epochs/s); "
            f"the store holds {report.present:,} runs"
        )
    else:
        print(f"{path}: nothing to compute; the store holds {report.present:,} runs")
    return 0


def _add_select(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--select",
        metavar="DIM=VALUE",
        action="append",
        default=argparse.SUPPRESS,
        help=f"for a store with output_std or lr dimensions: the slice to {what}, e.g. "
        f"--select output_std={ARTICLE_OUTPUT_STD:g} (repeat for each dimension; the nearest "
        "stored value, which must agree to 1e-6) (default: none)",
    )


def _add_figures(subparsers: argparse._SubParsersAction) -> None:
    parser = _command(
        subparsers,
        "figures",
        help="draw the article's eight figures and two more from a sweep's results",
        description=(
            "Draw the ten figures from the results in STORE and write them into DIR as "
            f"{FIGURE_NAMES[0]} ... {FIGURE_NAMES[-1]}. Figures 1 to 7 train a few "
            "example networks (seeded); figures 8 to 10 summarise the sweep. " + _EXIT
        ),
    )
    parser.add_argument("store", metavar="STORE", help="results written by `xorsweep sweep`")
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        default=argparse.SUPPRESS,
        help="directory for the figures (created if missing)",
    )
    _add_select(parser, "draw")
    parser.add_argument(
        "--format", default="png", choices=FORMATS, help="file format of the figures"
    )
    parser.add_argument(
        "--dpi", type=_integer, default=_DPI, help="resolution of PNG files, dots per inch"
    )
    parser.add_argument(
        "--seed",
        type=_integer,
        default=0,
        help="seed of the example networks of figures 1 and 5 to 7",
    )
    parser.set_defaults(func=_run_figures)


def _save_figures(data: Any, directory: Path, fmt: str, dpi: int) -> Iterator[Path]:
    """Draw the ten figures of ``data`` (FigureData) into ``directory`` (made if missing)
    as NAME.fmt, yielding each path once it is written."""
    from .plots import article_figures

    directory.mkdir(parents=True, exist_ok=True)
    for name, fig in article_figures(data).items():
        path = directory / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, dpi=dpi)
        yield path


def _run_figures(args: argparse.Namespace) -> int:
    from . import outputs
    from ._checks import check_count
    from .figure_data import check_format, figure_data

    fmt = check_format(args.format)
    dpi = check_count(args.dpi, "--dpi", minimum=10)
    out = outputs.writable_directory(args.out, "--out")
    ds = _open(args.store, getattr(args, "select", []))
    output_std = float(ds["output_std"]) if "output_std" in ds.coords else None
    data = figure_data(ds, seed=args.seed, output_std=output_std)
    for note in data.notes:
        print(f"note: {note}")
    for path in _save_figures(data, out, fmt, dpi):
        print(f"wrote {path}")
    return 0


def _add_fit(subparsers: argparse._SubParsersAction) -> None:
    parser = _command(
        subparsers,
        "fit",
        help="fit the optimal hidden std and measure the article's claims from a results store",
        description=(
            "Fit the mean total loss against log(hidden std) near its minimum in the results "
            "in STORE (xorsweep.fit_optimum: the optimal std with a bootstrap confidence "
            "interval, the fitted loss at 1/sqrt(2) and 1), then measure the article's five "
            "claims (xorsweep.claims), and print both. The exit status is 1 if the fit "
            "failed (the output says why). " + _EXIT
        ),
    )
    parser.add_argument("store", metavar="STORE", help="results written by `xorsweep sweep`")
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="also write the fit and the claims as JSON to PATH; '-' writes only the JSON, "
        "to standard output (default: no JSON)",
    )
    _add_select(parser, "fit")
    parser.add_argument(
        "--n-boot", type=_integer, default=1000, help="bootstrap replicates of every interval"
    )
    parser.add_argument(
        "--seed", type=_integer, default=0, help="seed of the bootstraps and the plateau networks"
    )
    parser.add_argument(
        "--degree", type=int, default=3, choices=(2, 3), help="degree of the fitted polynomial"
    )
    _add_level(parser)
    parser.add_argument(
        "--method",
        default="fit",
        choices=("fit", "interpolate"),
        help="losses of claims 1 and 2: the fitted curve, or the interpolated means",
    )
    parser.add_argument(
        "--small-std", type=float, default=0.05, help="hidden std of the plateau claim's networks"
    )
    parser.add_argument(
        "--plateau-runs", type=_integer, default=256, help="networks trained for the plateau claim"
    )
    parser.set_defaults(func=_run_fit)


def _add_level(parser: argparse.ArgumentParser) -> None:
    from .reproduction import ANALYSIS_DEFAULTS

    parser.add_argument(
        "--level",
        type=float,
        default=ANALYSIS_DEFAULTS["level"],
        help="fit window: points whose smoothed mean is within this fraction of the minimum "
        "(a failed fit may suggest a larger or smaller one)",
    )


def _open(path: str, selections: list[str]) -> Any:
    """The results at ``path``, the slice ``selections`` chose; refused if they cannot be
    read and fitted in this machine's memory."""
    from . import budget
    from .selection import select_slice
    from .store import open_results

    budget.check_readable(path, budget.available_memory())
    return select_slice(open_results(path), selections)


def _run_fit(args: argparse.Namespace) -> int:
    from . import outputs
    from .article_claims import claims
    from .fit import fit_optimum
    from .report import claims_text, fit_json

    path = getattr(args, "json", None)
    if path not in (None, "-"):
        outputs.writable_file(path, "--json")
    ds = _open(args.store, getattr(args, "select", []))
    fit = fit_optimum(
        ds,
        degree=args.degree,
        level=args.level,
        n_boot=args.n_boot,
        rng=args.seed,
        errors="ignore",
    )
    table = claims(
        ds,
        fit=fit,
        method=args.method,
        n_boot=args.n_boot,
        rng=args.seed,
        small_std=args.small_std,
        plateau_runs=args.plateau_runs,
    )
    if path is not None:
        text = fit_json(str(args.store), ds, fit, table)
        if path == "-":
            print(text)
            return 0 if fit.ok else 1
        Path(path).write_text(text + "\n", encoding="utf-8")
    print(repr(fit))
    print()
    print(f"The article's claims ({100 * table.attrs['confidence']:g}% intervals):")
    print(claims_text(table))
    if path is not None:
        print(f"\nwrote {path}")
    return 0 if fit.ok else 1


def _add_reproduce(subparsers: argparse._SubParsersAction) -> None:
    from .reproduction import ANALYSIS_DEFAULTS, SCALES

    parser = _command(
        subparsers,
        "reproduce",
        help="reproduce the article end to end: sweep, fit, claims, figures and a report",
        description=(
            f"Run the article's sweep over the hidden std ({_ARTICLE}) into "
            "DIR/results.zarr, fit the optimal std, measure the article's claims, "
            "draw the ten figures into DIR/figures and write DIR/report.md showing them "
            "together (with DIR/claims.csv and DIR/fit.json for machines); the report gives "
            "the command that regenerates it. --scale quick "
            f"trains {SCALES['quick']['points']} stds x {SCALES['quick']['runs']:,} runs "
            "(a few minutes on two cores); --scale full is the article's "
            f"{SCALES['full']['points']} x {SCALES['full']['runs']:,}. Re-running resumes "
            "the sweep where it stopped. The sweep's estimate and limits are those of "
            f"`xorsweep sweep`. {_EXIT}"
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
        type=_integer,
        default=argparse.SUPPRESS,
        help="number of stds from e^-3 to e^4 (default: the scale's)",
    )
    parser.add_argument(
        "--runs",
        type=_integer,
        default=argparse.SUPPRESS,
        help="runs per std (default: the scale's)",
    )
    defaults = ANALYSIS_DEFAULTS
    parser.add_argument(
        "--epochs", type=_integer, default=defaults["epochs"], help="gradient steps per run"
    )
    parser.add_argument(
        "--seed", type=_integer, default=defaults["seed"], help="root seed of the sweep and figures"
    )
    parser.add_argument(
        "--n-boot",
        type=_integer,
        default=defaults["n_boot"],
        help="bootstrap replicates of every interval",
    )
    _add_level(parser)
    _add_execution(parser)
    parser.set_defaults(func=_run_reproduce)


def _run_reproduce(args: argparse.Namespace) -> int:
    from . import outputs, reproduction
    from .report import json_text, render_report
    from .store import COMPUTE_SECONDS, read_header
    from .sweeps.config import SweepConfig, article_grid

    out = outputs.writable_directory(args.out, "--out")
    scale = reproduction.SCALES[args.scale]
    points = getattr(args, "points", scale["points"])
    runs = getattr(args, "runs", scale["runs"])
    store = out / "results.zarr"
    # the article's sweep: SweepConfig's defaults but for the grid's size, epochs and seed
    config = SweepConfig(hidden_std=article_grid(points), epochs=args.epochs, seed=args.seed)
    start = time.perf_counter()
    status = _sweep_into(config, runs, store, args)
    if status:
        return status
    seconds = {"sweep": time.perf_counter() - start}
    results = _open(str(store), [])
    options = {name: getattr(args, name) for name in reproduction.ANALYSIS_DEFAULTS}
    analysis, stages = reproduction.analyse(
        results, seed=args.seed, epochs=args.epochs, n_boot=args.n_boot, level=args.level
    )
    start = time.perf_counter()
    figures = {
        path.stem: path.relative_to(out).as_posix()
        for path in _save_figures(analysis.figures, out / "figures", "png", _DPI)
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


#: Each subcommand's ``_add_<name>``, in the order ``--help`` lists them.
_SUBCOMMANDS = (_add_sweep, _add_figures, _add_fit, _add_reproduce)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as exc:
        message = str(exc)
    except OSError as exc:
        from .outputs import os_error_line

        message = os_error_line(exc)
    except MemoryError as exc:
        message = f"out of memory: {exc}" if str(exc) else "out of memory"
    except KeyboardInterrupt:  # a sweep says what it kept; elsewhere nothing was written yet
        print(f"xorsweep {args.command}: interrupted", file=sys.stderr)
        return 130
    print(f"xorsweep {args.command}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
