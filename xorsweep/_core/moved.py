"""Old module paths (before the package was cut into layers) that keep importing.

``import xorsweep.fit`` gives the module ``xorsweep.analysis.fit`` itself (the same
object, so its names and patches are shared) with a DeprecationWarning naming the
new path. :func:`install` puts the finder on ``sys.meta_path``; ``xorsweep``
calls it on import.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: Old path -> new path, both under ``xorsweep``.
MOVED = {
    "_checks": "_core.checks",
    "_compat": "_core.compat",
    "_interrupts": "_core.interrupts",
    "outputs": "_core.outputs",
    "cf_attrs": "_core.cf_attrs",
    "network": "model.network",
    "truth_tables": "model.truth_tables",
    "activations": "model.activations",
    "initialization": "model.initialization",
    "meanfield": "model.meanfield",
    "_numpy_kernel": "training._numpy_kernel",
    "fused": "training.fused",
    "fused_results": "training.fused_results",
    "engines": "training.engines",
    "training_state": "training.state",
    "reference": "training.reference",
    "settings": "training.settings",
    "optimizers": "training.optimizers",
    "_fused_math": "training._fused_math",
    "_numba_cache": "training._numba_cache",
    "budget": "sweeps.budget",
    "store": "sweeps.store",
    "seeding": "sweeps.seeding",
    "continuation": "sweeps.continuation",
    "continued_store": "sweeps.continued_store",
    "continued_links": "sweeps.continued_links",
    "combining": "sweeps.combining",
    "stats": "analysis.stats",
    "fit": "analysis.fit",
    "fit_result": "analysis.fit_result",
    "_window_fit": "analysis._window_fit",
    "_surface_fit": "analysis._surface_fit",
    "surface": "analysis.surface",
    "slices": "analysis.slices",
    "article_claims": "analysis.claims",
    "survival": "analysis.survival",
    "tails": "analysis.tails",
    "end_states": "analysis.end_states",
    "basins": "analysis.basins",
    "grouping": "analysis.grouping",
    "selection": "analysis.selection",
    "figure_data": "analysis.figure_data",
    "beyond_figure_data": "analysis.beyond_figure_data",
    "report": "studies.report",
    "reproduction": "studies.article.run",
    "studies._beyond_report": "studies.beyond.report",
    "studies._failures_report": "studies.failures.report",
    "studies._failures_text": "studies.failures.text",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path after the path finder did not, and loads its new module."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, old = fullname.partition(".")
        if package != "xorsweep" or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = "xorsweep." + MOVED[spec.name.partition(".")[2]]
        warnings.warn(f"{spec.name} has moved to {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """The new module is already executed."""


def install() -> None:
    """Put the finder of old paths on ``sys.meta_path`` (once), right after the path finder.

    Right after it, so that an editable install of another copy of the package (whose
    finder comes later) cannot answer an old path with that copy's module.
    """
    if any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        return
    places = [i for i, f in enumerate(sys.meta_path) if f is importlib.machinery.PathFinder]
    sys.meta_path.insert(places[0] + 1 if places else len(sys.meta_path), _MovedFinder())


def served(package: str, module: str) -> Callable[[str], Any]:
    """A ``__getattr__`` for the package ``package`` that serves the public names of its
    module ``module`` (``from xorsweep.training import train``), importing it on first use."""

    def __getattr__(name: str) -> Any:
        if not name.startswith("_"):
            found = importlib.import_module(f"{package}.{module}")
            if hasattr(found, name):
                return getattr(found, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
