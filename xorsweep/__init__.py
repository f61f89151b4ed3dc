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
    "claims",
    "combine",
    "continue_runs",
    "converged_between",
    "diagnose",
    "direction_slice",
    "fit_optimum",
    "fit_slices",
    "fit_surface",
    "glorot_std",
    "init_population",
    "init_rules",
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
