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

from ._core import moved as _moved
from ._version import VERSION as __version__

_moved.install()

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
    "along_budget",
    "and_",
    "article_grid",
    "at_budget",
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
    "reference": "training.reference",
    "ENGINES": "training.engines",
    "claims": "analysis.claims",
    "at_budget": "analysis.budgets",
    "along_budget": "analysis.budgets",
    "combine": "sweeps.combining",
    "continue_runs": "sweeps.continuation",
    "with_continued": "sweeps.continuation",
    "BasinSlice": "analysis.basins",
    "basin_map": "analysis.basins",
    "basin_summary": "analysis.basins",
    "direction_slice": "analysis.basins",
    "parameter_slice": "analysis.basins",
    "diagnose": "analysis.end_states",
    "state_shares": "analysis.end_states",
    "FitResult": "analysis.fit",
    "fit_optimum": "analysis.fit",
    "fit_slices": "analysis.slices",
    "SurfaceFit": "analysis.surface",
    "fit_surface": "analysis.surface",
    "PARAMETER_NAMES": "model.network",
    "Population": "model.network",
    "glorot_std": "model.network",
    "init_population": "model.initialization",
    "init_rules": "model.initialization",
    "MEAN_FIELD_ACTIVATIONS": "model.meanfield",
    "MeanField": "model.meanfield",
    "chi_1": "model.meanfield",
    "correlation_map": "model.meanfield",
    "critical_sigma_w": "model.meanfield",
    "fixed_point_c": "model.meanfield",
    "fixed_point_q": "model.meanfield",
    "gain_over_glorot": "model.meanfield",
    "length_map": "model.meanfield",
    "mean_field": "model.meanfield",
    "summarize": "analysis.stats",
    "converged_between": "analysis.survival",
    "survival_curves": "analysis.survival",
    "wilson_interval": "analysis.stats",
    "open_results": "sweeps.store",
    "SweepConfig": "sweeps.config",
    "tail_test": "analysis.tails",
    "allocate": "sweeps.results",
    "article_grid": "sweeps.config",
    "replay": "sweeps.results",
    "sweep": "sweeps.run",
    "to_article_frame": "sweeps.results",
    "UPDATES": "training.trainer",
    "train": "training.trainer",
    "TrainingState": "training.state",
    "train_on": "training.state",
    "TruthTable": "model.truth_tables",
    "and_": "model.truth_tables",
    "or_": "model.truth_tables",
    "parity": "model.truth_tables",
    "truth_table": "model.truth_tables",
    "xnor": "model.truth_tables",
    "xor": "model.truth_tables",
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
    from .analysis.basins import (
        BasinSlice,
        basin_map,
        basin_summary,
        direction_slice,
        parameter_slice,
    )
    from .analysis.claims import claims
    from .analysis.end_states import diagnose, state_shares
    from .analysis.fit import FitResult, fit_optimum
    from .analysis.slices import fit_slices
    from .analysis.stats import summarize, wilson_interval
    from .analysis.surface import SurfaceFit, fit_surface
    from .analysis.survival import converged_between, survival_curves
    from .analysis.tails import tail_test
    from .model.initialization import init_population, init_rules
    from .model.meanfield import (
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
    from .model.network import PARAMETER_NAMES, Population, glorot_std
    from .model.truth_tables import TruthTable, and_, or_, parity, truth_table, xnor, xor
    from .sweeps.combining import combine
    from .sweeps.config import SweepConfig, article_grid
    from .sweeps.continuation import continue_runs, with_continued
    from .sweeps.results import allocate, replay, to_article_frame
    from .sweeps.run import sweep
    from .sweeps.store import open_results
    from .training import reference
    from .training.engines import ENGINES
    from .training.state import TrainingState, train_on
    from .training.trainer import UPDATES, train
