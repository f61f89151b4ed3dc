"""``xorsweep fit``: fit the optimal hidden std and measure the article's claims."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
            "claims (xorsweep.claims), and print both. A store with more grid dimensions "
            "(output_std, lr, hidden, activation, gradient, bias) is fitted slice by slice "
            "(xorsweep.fit_slices), unless --select chooses one: a row per slice with the "
            "optimum, each initialization rule's std, whether it lies in the interval and the "
            "loss penalty of using it. A gain sweep's store (xorsweep sweep --rule) is fitted "
            "along its gain the same way, with the rules' gains on that axis (Glorot, LeCun, "
            "He, 4x Glorot, the mean-field critical gain) instead of the article's claims. "
            "--surface fits the joint optimum of the hidden and "
            "output stds (xorsweep.fit_surface). A fit without an optimum (a minimum on the "
            "grid's or window's edge, too few runs) says so in words and shows no optimum; "
            "the exit status is 0 whenever the fits ran, whatever they found. " + EXIT
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
        "--surface",
        action="store_true",
        help="fit the joint optimum over hidden_std x output_std (a store with an output_std "
        "dimension of 3 values or more; --select any other dimension): the optimum, its "
        "confidence region and each rule's pair, Glorot's with its loss relative to the optimum",
    )
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
        help="losses of claims 1 and 2: the fitted curve, or the interpolated means "
        "(claims: one slice only)",
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
    from .._core import outputs
    from ..analysis.axis import swept_axis
    from ..analysis.claims import claims
    from ..analysis.fit import fit_optimum
    from ..studies.report import claims_text, fit_json

    path = getattr(args, "json", None)
    if path not in (None, "-"):
        outputs.writable_file(path, "--json")
    selections = getattr(args, "select", [])
    ds = args.read_store(args.store, selections, None)
    if args.surface:
        return _surface(args, ds, path)
    axis = swept_axis(ds)  # a gain axis: its fit and the rules' gains (no article's claims)
    if axis.rule is not None or any(
        ds.sizes[d] > 1 for d in ds.dims if d not in (axis.name, "run")
    ):
        return _slices(args, ds, path)
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
            return 0
        Path(path).write_text(text + "\n", encoding="utf-8")
    print(repr(fit))
    print()
    print(f"The article's claims ({100 * table.attrs['confidence']:g}% intervals):")
    print(claims_text(table))
    if path is not None:
        print(f"\nwrote {path}")
    return 0


def _selection(ds: Any) -> dict[str, Any]:
    """The store's slice that ``ds`` is: its grid dimensions chosen by ``--select``."""
    return {name: c.item() for name, c in ds.coords.items() if c.ndim == 0 and name != "run"}


def _write(path: str | None, document: dict[str, Any], text: str) -> None:
    """Print ``text``, and the JSON ``document`` to ``path`` ('-': print only the JSON)."""
    from ..studies.report import json_text

    if path == "-":
        print(json_text(document))
        return
    print(text)
    if path is not None:
        Path(path).write_text(json_text(document) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")


def _slices(args: argparse.Namespace, ds: Any, path: str | None) -> int:
    """Fit every slice of ``ds``; a row each. Exit status 0: the fits ran."""
    from ..analysis.slices import fit_slices
    from .grid_fits import slice_records, slices_text

    fits = fit_slices(ds, degree=args.degree, level=args.level, n_boot=args.n_boot, rng=args.seed)
    settings = ("model", "degree", "level", "smooth", "min_runs", "min_points", "n_boot")
    document = {
        "store": str(args.store),
        "selection": _selection(ds),
        "dims": list(fits.optimum.dims),
        "settings": {name: fits.attrs[name] for name in (*settings, "confidence")},
        "slices": slice_records(fits),
    }
    _write(path, document, slices_text(fits))
    return 0


def _surface(args: argparse.Namespace, ds: Any, path: str | None) -> int:
    """Fit the joint optimum of the hidden and output stds of ``ds``."""
    from ..analysis.selection import select_slice
    from ..analysis.surface import fit_surface
    from .grid_fits import surface_record, surface_text

    if "output_std" not in ds.dims:
        raise ValueError(
            f"--surface needs a store with an output_std dimension of 3 values or more (made "
            f"by xorsweep sweep --output-std MIN:MAX:N); {args.store}"
            f"{' after --select' if getattr(args, 'select', []) else ''} has the dimensions "
            f"{', '.join(d for d in ds.dims)}"
        )
    ds = select_slice(ds, [], keep=("output_std",))  # any other dimension: one value
    fit = fit_surface(
        ds, degree=args.degree, level=args.level, n_boot=args.n_boot, rng=args.seed, errors="ignore"
    )
    document = {
        "store": str(args.store),
        "selection": _selection(ds),
        "surface": surface_record(fit),
    }
    _write(path, document, surface_text(fit))
    return 0
