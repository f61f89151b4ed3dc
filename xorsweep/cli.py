"""The ``xorsweep`` command line: the only place that prints.

Each subcommand has an ``_add_<name>(subparsers)`` function that declares its
options and sets ``func`` to the function that runs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="xorsweep",
        description="Train populations of XOR networks and study the initial weights' std.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


_SUBCOMMANDS: list = []


def _add_sweep(subparsers: argparse._SubParsersAction) -> None:
    import math

    from .training import DEFAULT_BLOCK, UPDATES

    parser = subparsers.add_parser(
        "sweep",
        help="train many networks at every point of a grid of stds into a results store",
        description=(
            "Train RUNS networks at each of POINTS hidden-layer stds, log-spaced from STD_MIN "
            "to STD_MAX, and write their losses into the Zarr store STORE. The defaults are the "
            "article's sweep (its 400 points exp(linspace(-3, 4, 400)), output std 0.8165, "
            "lr 0.1, 10,000 epochs), with 10 runs per point (--runs 10000 is the article's "
            "4 million runs). Re-running the same command resumes an interrupted sweep; a "
            "larger --runs adds runs to the store. A store of another configuration is refused."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        required=True,
        default=argparse.SUPPRESS,
        help="results directory (created if missing)",
    )
    parser.add_argument("--runs", type=int, default=10, help="runs per grid point")
    parser.add_argument("--points", type=int, default=400, help="number of hidden-layer stds")
    parser.add_argument(
        "--std-min", type=float, default=math.exp(-3.0), help="smallest hidden std (e^-3)"
    )
    parser.add_argument(
        "--std-max", type=float, default=math.exp(4.0), help="largest hidden std (e^4)"
    )
    parser.add_argument("--output-std", type=float, default=0.8165, help="output-layer std")
    parser.add_argument("--epochs", type=int, default=10_000, help="gradient steps per run")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="root seed of every run")
    parser.add_argument(
        "--update", default="article", choices=UPDATES, help="order of the layers' updates"
    )
    parser.add_argument(
        "--workers",
        type=int,
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
        "--total-runs",
        type=int,
        metavar="T",
        default=argparse.SUPPRESS,
        help="then add runs where the relative error of the mean loss is largest "
        "(xorsweep.allocate) until the store holds T runs (default: no such runs)",
    )
    parser.add_argument(
        "--block-size", type=int, default=DEFAULT_BLOCK, help="target runs per block"
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.set_defaults(func=_run_sweep)


def _run_sweep(args: argparse.Namespace) -> int:
    from .sweep import SweepConfig, article_grid, run_sweep

    config = SweepConfig(
        hidden_std=article_grid(args.points, args.std_min, args.std_max),
        output_std=args.output_std,
        lr=args.lr,
        epochs=args.epochs,
        seed=args.seed,
        update=args.update,
    )
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
    from pathlib import Path

    from ._interrupts import sigterm_as_interrupt

    try:
        with sigterm_as_interrupt():  # SIGTERM cleans up as Ctrl-C does
            _, report = run_sweep(
                config,
                args.runs,
                store=args.store,
                workers=workers,
                client=client,
                progress=not args.no_progress,
                block_size=args.block_size,
                total_runs=getattr(args, "total_runs", None),
            )
    except KeyboardInterrupt:
        if Path(args.store, "zarr.json").is_file():
            said = f"the finished blocks are in {args.store}; run the same command again to resume"
        else:
            said = f"no store was made at {args.store}"
        print(f"interrupted: {said}", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            client.close()
    if report.runs:
        print(
            f"{args.store}: computed {report.runs:,} runs in {report.blocks:,} blocks in "
            f"{report.seconds:.1f} s ({report.net_epochs_per_second:.3g} net-epochs/s); "
            f"the store holds {report.present:,} runs"
        )
    else:
        print(f"{args.store}: nothing to compute; the store holds {report.present:,} runs")
    return 0


_SUBCOMMANDS.append(_add_sweep)


#: Formats of ``xorsweep figures``; the same as ``xorsweep.plots.FORMATS`` (kept here so
#: that building the parser does not import matplotlib).
_FIGURE_FORMATS = ("png", "svg", "pdf")


def _add_figures(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "figures",
        help="draw the article's eight figures and two more from a sweep's results",
        description=(
            "Draw the ten figures from the results in STORE and write them into DIR as "
            "fig01_xor_boundaries ... fig10_converged_epoch. Figures 1 to 7 train a few "
            "example networks (seeded); figures 8 to 10 summarise the sweep."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("store", metavar="STORE", help="results written by `xorsweep sweep`")
    parser.add_argument(
        "--out", metavar="DIR", required=True, help="directory for the figures (created if missing)"
    )
    parser.add_argument(
        "--format", default="png", choices=_FIGURE_FORMATS, help="file format of the figures"
    )
    parser.add_argument(
        "--dpi", type=int, default=150, help="resolution of PNG files, dots per inch"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the example networks of figures 1 and 5 to 7"
    )
    parser.set_defaults(func=_run_figures)


def _run_figures(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import plots
    from .store import open_results

    fmt = plots.check_format(args.format)
    if args.dpi < 10:
        raise ValueError(f"--dpi must be an integer >= 10, got {args.dpi}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} exists and is not a directory")
    data = plots.figure_data(open_results(args.store), seed=args.seed)
    for note in data.notes:
        print(f"note: {note}")
    out.mkdir(parents=True, exist_ok=True)
    for name, fig in plots.article_figures(data).items():
        path = out / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, dpi=args.dpi)
        print(f"wrote {path}")
    return 0


_SUBCOMMANDS.append(_add_figures)


def _add_fit(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit",
        help="fit the optimal hidden std and measure the article's claims from a results store",
        description=(
            "Fit the mean total loss against log(hidden std) near its minimum in the results "
            "in STORE (xorsweep.fit_optimum: the optimal std with a bootstrap confidence "
            "interval, the fitted loss at 1/sqrt(2) and 1), then measure the article's five "
            "claims (xorsweep.claims), and print both. The exit status is 1 if the fit "
            "failed (the output says why), 2 for bad input."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("store", metavar="STORE", help="results written by `xorsweep sweep`")
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="also write the fit and the claims as JSON to PATH; '-' writes only the JSON, "
        "to standard output (default: no JSON)",
    )
    parser.add_argument(
        "--select",
        metavar="DIM=VALUE",
        action="append",
        default=argparse.SUPPRESS,
        help="for a store with output_std or lr dimensions: the slice to fit, e.g. "
        "--select output_std=0.8165 (repeat for each dimension; the nearest stored value, "
        "which must agree to 1e-6) (default: none)",
    )
    parser.add_argument(
        "--n-boot", type=int, default=1000, help="bootstrap replicates of every interval"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the bootstraps and the plateau networks"
    )
    parser.add_argument(
        "--degree", type=int, default=3, choices=(2, 3), help="degree of the fitted polynomial"
    )
    parser.add_argument(
        "--level",
        type=float,
        default=0.25,
        help="fit window: points whose smoothed mean is within this fraction of the minimum",
    )
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
        "--plateau-runs", type=int, default=256, help="networks trained for the plateau claim"
    )
    parser.set_defaults(func=_run_fit)


def _select(ds: Any, selections: list[str]) -> Any:
    import numpy as np

    for item in selections:
        dim, sep, text = item.partition("=")
        if not sep or dim not in ds.dims or dim in ("hidden_std", "run"):
            others = [d for d in ds.dims if d not in ("hidden_std", "run")]
            allowed = f"one of {', '.join(others)}" if others else "none: it has no such dimension"
            raise ValueError(
                f"--select must be DIM=VALUE with DIM a grid dimension of this store besides "
                f"hidden_std ({allowed}), got {item!r}"
            )
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"--select {dim}: {text!r} is not a number") from None
        stored = ds[dim].values
        nearest = float(stored[np.argmin(np.abs(stored - value))])
        if abs(nearest - value) > 1e-6 * max(1.0, abs(value)):
            raise ValueError(
                f"--select {dim}={text}: the store's {dim} values are "
                f"{', '.join(f'{v:g}' for v in stored)}"
            )
        ds = ds.sel({dim: nearest})
    longer = [d for d in ds.dims if d not in ("hidden_std", "run") and ds.sizes[d] > 1]
    if longer:
        dim = longer[0]
        raise ValueError(
            f"the store has a {dim} dimension ({', '.join(f'{v:g}' for v in ds[dim].values)}): "
            f"choose one slice with --select {dim}=VALUE"
        )
    return ds


def _json_ready(value: Any) -> Any:
    """NaN and infinities to None, NumPy scalars to Python ones (for strict JSON)."""
    import math

    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _claims_text(table: Any) -> str:
    def num(v: float) -> str:
        if v != v:
            return "-"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"

    lines = []
    for i, row in enumerate(table.itertuples(index=False), start=1):
        lines.append(
            f"{i}. {row.claim}\n   article {num(row.article)}, measured {num(row.measured)} "
            f"[{num(row.ci_low)}, {num(row.ci_high)}] {row.unit}: {row.verdict.upper()}\n"
            f"   {row.note}"
        )
    return "\n".join(lines)


def _run_fit(args: argparse.Namespace) -> int:
    import json

    from .claims import claims
    from .fit import fit_optimum
    from .store import open_results

    ds = _select(open_results(args.store), getattr(args, "select", []))
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
    path = getattr(args, "json", None)
    if path is not None:
        selected = {d: float(ds[d]) for d in ("output_std", "lr") if d in ds.coords}
        doc = {
            "store": str(args.store),
            "selection": selected,
            "fit": fit.to_dict(),
            "claims": table.to_dict(orient="records"),
            "confidence": table.attrs.get("confidence"),
        }
        text = json.dumps(_json_ready(doc), indent=2, allow_nan=False)
        if path == "-":
            print(text)
            return 0 if fit.ok else 1
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(repr(fit))
    print()
    print(f"The article's claims ({100 * table.attrs['confidence']:g}% intervals):")
    print(_claims_text(table))
    if path is not None:
        print(f"\nwrote {path}")
    return 0 if fit.ok else 1


_SUBCOMMANDS.append(_add_fit)


#: Sweep sizes of ``xorsweep reproduce``: the quick one takes a minute or two on two cores,
#: the full one is the article's 400 points x 10,000 runs (4 million networks).
_SCALES = {"quick": {"points": 80, "runs": 2_000}, "full": {"points": 400, "runs": 10_000}}


def _add_reproduce(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="reproduce the article end to end: sweep, fit, claims, figures and a report",
        description=(
            "Run the article's sweep over the hidden std (output std 0.8165, lr 0.1, 10,000 "
            "epochs) into DIR/results.zarr, fit the optimal std, measure the article's claims, "
            "draw the ten figures into DIR/figures and write DIR/report.md showing them "
            "together (with DIR/claims.csv and DIR/fit.json for machines). --scale quick "
            f"trains {_SCALES['quick']['points']} stds x {_SCALES['quick']['runs']:,} runs "
            "(a few minutes on two cores); --scale full is the article's "
            f"{_SCALES['full']['points']} x {_SCALES['full']['runs']:,}. Re-running resumes "
            "the sweep where it stopped."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        default=argparse.SUPPRESS,
        help="output directory (created if missing)",
    )
    parser.add_argument(
        "--scale", default="quick", choices=tuple(_SCALES), help="size of the sweep"
    )
    parser.add_argument(
        "--points",
        type=int,
        default=argparse.SUPPRESS,
        help="number of stds from e^-3 to e^4 (default: the scale's)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=argparse.SUPPRESS,
        help="runs per std (default: the scale's)",
    )
    parser.add_argument("--epochs", type=int, default=10_000, help="gradient steps per run")
    parser.add_argument("--seed", type=int, default=0, help="root seed of the sweep and figures")
    parser.add_argument(
        "--n-boot", type=int, default=1000, help="bootstrap replicates of every interval"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=argparse.SUPPRESS,
        help="local worker processes (default: every CPU this process may use)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=argparse.SUPPRESS,
        help="run the sweep on this Dask scheduler instead of local processes (default: local)",
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    parser.set_defaults(func=_run_reproduce)


def _run_reproduce(args: argparse.Namespace) -> int:
    import json
    import time
    from pathlib import Path

    from . import plots
    from .claims import claims
    from .fit import fit_optimum
    from .report import render_report
    from .store import open_results

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"--out {out} exists and is not a directory")
    scale = _SCALES[args.scale]
    points = getattr(args, "points", scale["points"])
    runs = getattr(args, "runs", scale["runs"])
    store = out / "results.zarr"
    seconds = {}
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    # the sweep command's own parser supplies the article's configuration (its defaults)
    sweep_argv = ["sweep", "--store", str(store), "--runs", str(runs), "--points", str(points)]
    sweep_argv += ["--epochs", str(args.epochs), "--seed", str(args.seed)]
    for option in ("workers", "scheduler"):
        if hasattr(args, option):
            sweep_argv += [f"--{option}", str(getattr(args, option))]
    if args.no_progress:
        sweep_argv.append("--no-progress")
    sweep_args = build_parser().parse_args(sweep_argv)
    status = _run_sweep(sweep_args)
    if status:
        return status
    seconds["sweep"] = time.perf_counter() - start
    start = time.perf_counter()
    results = open_results(store)
    data = plots.figure_data(results, seed=args.seed, epochs=args.epochs)
    fit = data.fit or fit_optimum(results, n_boot=args.n_boot, rng=args.seed, errors="ignore")
    table = claims(results, fit=fit, n_boot=args.n_boot, rng=args.seed)
    seconds["fit and claims"] = time.perf_counter() - start
    start = time.perf_counter()
    figures = {}
    (out / "figures").mkdir(exist_ok=True)
    for name, fig in plots.article_figures(data).items():
        path = Path("figures") / f"{name}.png"
        fig.savefig(out / path, dpi=150)
        figures[name] = path.as_posix()
    seconds["figures"] = time.perf_counter() - start
    table.to_csv(out / "claims.csv", index=False)
    (out / "fit.json").write_text(
        json.dumps(_json_ready(fit.to_dict()), indent=2, allow_nan=False) + "\n"
    )
    command = f"xorsweep reproduce --out {args.out} --scale {args.scale}"
    report = render_report(
        results,
        fit,
        table,
        figures,
        scale=args.scale,
        seconds=seconds,
        notes=data.notes,
        command=command,
    )
    (out / "report.md").write_text(report, encoding="utf-8")
    print(f"wrote {out / 'report.md'} with {len(figures)} figures in {out / 'figures'}")
    print(repr(fit))
    return 0


_SUBCOMMANDS.append(_add_reproduce)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileExistsError, FileNotFoundError) as exc:
        print(f"xorsweep {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
