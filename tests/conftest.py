"""Small seeded fixtures shared by the tests."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)


@pytest.fixture(params=["numpy", "numba"])
def engine(request):
    """Each training engine in turn (xorsweep.engines)."""
    return request.param
