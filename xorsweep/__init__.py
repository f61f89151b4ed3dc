"""xorsweep: populations of small XOR networks trained in lockstep, and what
the initial weights' standard deviation does to their learning.

The public API is re-exported here; the modules are named after their ideas.
Each name is imported from its module on first use, so that ``import
xorsweep`` is quick and a sweep's worker processes load only what training
needs (NumPy and numba; not xarray, pandas or SciPy's fits). The figures live in the submodule
``xorsweep.plots`` (``import xorsweep.plots``), which is not re-exported here,
so that the package never loads matplotlib unasked.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import VERSION as __version__

__all__ = [
    "ENGINES",
    "BasinSlice",
    "PARAMETER_NAMES",
    "FitResult",
    "MEAN_FIELD_ACTIVATIONS",
    "MeanField",
    "Population",
    "SurfaceFit",
    "SweepConfig",
    "TrainingState",
    "TruthTable",
    "UPDATES",
    "__version__",
    "allocate",
    "and_",
    "article_grid",
    "basin_map",
    "basin_summary",
    "chi_1",
    "claims",
    "combine",
    "continue_runs",
    "correlation_map",
    "critical_sigma_w",
    "converged_between",
    "diagnose",
    "direction_slice",
    "fit_optimum",
    "fixed_point_c",
    "fixed_point_q",
    "fit_slices",
    "fit_surface",
    "gain_over_glorot",
    "glorot_std",
    "init_population",
    "init_rules",
    "length_map",
    "mean_field",
    "open_results",
    "or_",
    "parameter_slice",
    "parity",
    "reference",
    "replay",
    "summarize",
    "state_shares",
    "survival_curves",
    "sweep",
    "tail_test",
    "to_article_frame",
    "train",
    "train_on",
    "truth_table",
    "wilson_interval",
    "with_continued",
    "xnor",
    "xor",
]

#: The module defining each public name (``reference`` is itself a module).
_SOURCES = {
    "reference": "reference",
    "ENGINES": "engines",
    "claims": "article_claims",
    "combine": "combining",
    "continue_runs": "continuation",
    "with_continued": "continuation",
    "BasinSlice": "basins",
    "basin_map": "basins",
    "basin_summary": "basins",
    "direction_slice": "basins",
    "parameter_slice": "basins",
    "diagnose": "end_states",
    "state_shares": "end_states",
    "FitResult": "fit",
    "fit_optimum": "fit",
    "fit_slices": "slices",
    "SurfaceFit": "surface",
    "fit_surface": "surface",
    "PARAMETER_NAMES": "network",
    "Population": "network",
    "glorot_std": "network",
    "init_population": "network",
    "init_rules": "initialization",
    "MEAN_FIELD_ACTIVATIONS": "meanfield",
    "MeanField": "meanfield",
    "chi_1": "meanfield",
    "correlation_map": "meanfield",
    "critical_sigma_w": "meanfield",
    "fixed_point_c": "meanfield",
    "fixed_point_q": "meanfield",
    "gain_over_glorot": "meanfield",
    "length_map": "meanfield",
    "mean_field": "meanfield",
    "summarize": "stats",
    "converged_between": "survival",
    "survival_curves": "survival",
    "wilson_interval": "stats",
    "open_results": "store",
    "SweepConfig": "sweeps.config",
    "tail_test": "tails",
    "allocate": "sweeps.results",
    "article_grid": "sweeps.config",
    "replay": "sweeps.results",
    "sweep": "sweeps.run",
    "to_article_frame": "sweeps.results",
    "UPDATES": "training",
    "train": "training",
    "TrainingState": "training_state",
    "train_on": "training_state",
    "TruthTable": "truth_tables",
    "and_": "truth_tables",
    "or_": "truth_tables",
    "parity": "truth_tables",
    "truth_table": "truth_tables",
    "xnor": "truth_tables",
    "xor": "truth_tables",
}


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_SOURCES[name]}")
    value = module if name == "reference" else getattr(module, name)
    globals()[name] = value  # later look-ups find it at once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # the same names, for type checkers and editors
    from . import reference
    from .article_claims import claims
    from .basins import BasinSlice, basin_map, basin_summary, direction_slice, parameter_slice
    from .combining import combine
    from .continuation import continue_runs, with_continued
    from .end_states import diagnose, state_shares
    from .engines import ENGINES
    from .fit import FitResult, fit_optimum
    from .initialization import init_rules
    from .meanfield import (
        MEAN_FIELD_ACTIVATIONS,
        MeanField,
        chi_1,
        correlation_map,
        critical_sigma_w,
        fixed_point_c,
        fixed_point_q,
        gain_over_glorot,
        length_map,
        mean_field,
    )
    from .network import PARAMETER_NAMES, Population, glorot_std, init_population
    from .slices import fit_slices
    from .stats import summarize, wilson_interval
    from .store import open_results
    from .surface import SurfaceFit, fit_surface
    from .survival import converged_between, survival_curves
    from .sweeps.config import SweepConfig, article_grid
    from .sweeps.results import allocate, replay, to_article_frame
    from .sweeps.run import sweep
    from .tails import tail_test
    from .training import UPDATES, train
    from .training_state import TrainingState, train_on
    from .truth_tables import TruthTable, and_, or_, parity, truth_table, xnor, xor
