"""Small seeded fixtures shared by the tests, and numba's cache when pytest-xdist runs them."""

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

# With pytest-xdist (``-n 2``) the workers share one numba cache, in the project's
# .pytest_cache unless NUMBA_CACHE_DIR names one: each kernel is compiled by one worker and
# loaded by the other (xorsweep.training._numba_cache locks the cache for processes that share
# it). Set before anything imports numba, which reads it once.
if "PYTEST_XDIST_WORKER" in os.environ:
    _base = os.environ.get("NUMBA_CACHE_DIR") or Path(__file__).parents[1] / ".pytest_cache"
    os.environ["NUMBA_CACHE_DIR"] = str(Path(_base) / "numba")


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)


@pytest.fixture(params=["numpy", "numba"])
def engine(request):
    """Each training engine in turn (xorsweep.training.engines)."""
    return request.param
