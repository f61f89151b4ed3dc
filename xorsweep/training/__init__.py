"""The training layer: the trainer (:mod:`~xorsweep.training.trainer`), its NumPy
and fused numba engines, the state of unfinished runs and an independent
reference loop. Imports only ``model`` and ``_core``.

The trainer's public names are served here too (``from xorsweep.training import
train``), each imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_SERVED = "trainer"  # the module whose public names this package serves


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        module = importlib.import_module(f"{__name__}.{_SERVED}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
