"""The study beyond the article: sweeps over the settings the article fixed
(:mod:`~xorsweep.studies.beyond.run`) and its report
(:mod:`~xorsweep.studies.beyond.report`). The run's public names are served here,
each imported on first use.
"""

from __future__ import annotations

from ..._core.moved import served

__getattr__ = served(__name__, "run")
