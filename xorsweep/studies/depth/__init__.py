"""The depth study, "Where does Glorot hold?": its plan
(:mod:`~xorsweep.studies.depth.plan`), runs (:mod:`~xorsweep.studies.depth.run`),
statistics and fits (:mod:`~xorsweep.studies.depth.analysis`), tables
(:mod:`~xorsweep.studies.depth.tables`) and report
(:mod:`~xorsweep.studies.depth.report`). The run's public names are served here, each
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["run_depth"]  # with the run module's other public names, served on first use

_SERVED = "run"  # the module whose public names this package serves


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        module = importlib.import_module(f"{__name__}.{_SERVED}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
