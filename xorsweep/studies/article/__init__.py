"""The article's study: its sweep planned (:mod:`~xorsweep.studies.article.plan`), run
(:mod:`~xorsweep.studies.article.run`) and reported (:mod:`~xorsweep.studies.article.report`).
The run's public names are served here, each imported on first use.
"""

from __future__ import annotations

from ..._core.moved import served

__getattr__ = served(__name__, "run")
