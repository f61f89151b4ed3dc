"""xorsweep: populations of small XOR networks trained in lockstep, and what
the initial weights' standard deviation does to their learning.

The public API is re-exported here; the modules are named after their ideas.
The figures live in the submodule ``xorsweep.plots`` (``import xorsweep.plots``),
which is not imported here so that ``import xorsweep`` never loads matplotlib.
"""

from importlib.metadata import PackageNotFoundError, version

from . import reference
from .claims import claims
from .fit import FitResult, fit_optimum
from .network import PARAMETER_NAMES, Population, glorot_std, init_population
from .stats import summarize, wilson_interval
from .store import open_results
from .sweep import SweepConfig, allocate, article_grid, replay, sweep, to_article_frame
from .training import UPDATES, train
from .truth_tables import TruthTable, and_, or_, parity, truth_table, xnor, xor

try:
    __version__ = version("xorsweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "PARAMETER_NAMES",
    "FitResult",
    "Population",
    "SweepConfig",
    "TruthTable",
    "UPDATES",
    "__version__",
    "allocate",
    "and_",
    "article_grid",
    "claims",
    "fit_optimum",
    "glorot_std",
    "init_population",
    "open_results",
    "or_",
    "parity",
    "reference",
    "replay",
    "summarize",
    "sweep",
    "to_article_frame",
    "train",
    "truth_table",
    "wilson_interval",
    "xnor",
    "xor",
]
