"""The training layer: the trainer (:mod:`~xorsweep.training.trainer`), its NumPy
and fused numba engines, the state of unfinished runs and an independent
reference loop. Imports only ``model`` and ``_core``.

The trainer's public names are served here too (``from xorsweep.training import
train``), each imported on first use.
"""

from __future__ import annotations

from .._core.moved import served

__getattr__ = served(__name__, "trainer")
