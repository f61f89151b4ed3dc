"""``xorsweep fit``: fit the optimal hidden std and measure the article's claims."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import EXIT, add_level, add_select, command, integer

__all__ = ["add", "run"]


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare ``fit`` and its options."""
    parser = command(
        subparsers,
        "fit",
        help="fit the optimal hidden std and measure the article's claims from a results store",
        description=(
            "Fit the mean total loss against log(hidden std) near its minimum in the results "
            "in STORE (xorsweep.fit_optimum: the optimal std with a bootstrap confidence "
            "interval, the fitted loss at 1/sqrt(2) and 1), then measure the article's five "
            "claims (xorsweep.claims), and print both. The exit status is 1 if the fit "
            "failed (the output says why). " + EXIT
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
    add_select(parser, "fit")
    parser.add_argument(
        "--n-boot", type=integer, default=1000, help="bootstrap replicates of every interval"
    )
    parser.add_argument(
        "--seed", type=integer, default=0, help="seed of the bootstraps and the plateau networks"
    )
    parser.add_argument(
        "--degree", type=int, default=3, choices=(2, 3), help="degree of the fitted polynomial"
    )
    add_level(parser)
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
        "--plateau-runs", type=integer, default=256, help="networks trained for the plateau claim"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``xorsweep fit``; returns the exit status."""
    from .. import outputs
    from ..article_claims import claims
    from ..fit import fit_optimum
    from ..report import claims_text, fit_json

    path = getattr(args, "json", None)
    if path not in (None, "-"):
        outputs.writable_file(path, "--json")
    ds = args.read_store(args.store, getattr(args, "select", []))
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
