"""Private APIs of NumPy that the package relies on for speed, each with its fallback.

``tests/test_compat.py`` fails if one of them stops working or stops giving
the public function's numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip", "FAST_CLIP"]

# ``np.clip`` is a Python function whose argument checks cost more than clipping a thousand
# numbers; the ufunc it ends in computes the same values. Training clips every epoch.
try:
    from numpy._core.umath import clip
except ImportError:  # pragma: no cover - other NumPy versions
    clip = np.clip

#: Whether :func:`clip` is NumPy's clip ufunc (True) or the slower ``np.clip`` (False).
FAST_CLIP = clip is not np.clip
