"""The study of failures: how runs fail, in which basins
(:mod:`~xorsweep.studies.failures.run`), and its report and text
(:mod:`~xorsweep.studies.failures.report`, :mod:`~xorsweep.studies.failures.text`).
The run's public names are served here, each imported on first use.
"""

from __future__ import annotations

from ..._core.moved import served

__getattr__ = served(__name__, "run")
