"""Mean-field predictions: fixed points, the order-to-chaos line and depth scales.

References are independent of the module's quadrature: seeded Monte Carlo
estimates, scipy's adaptive quadrature, closed forms (erf, ReLU) and finite
differences of the maps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, special

import xorsweep
from xorsweep.model import meanfield as mf

SMOOTH = {
    "tanh": (np.tanh, lambda u: 1.0 - np.tanh(u) ** 2),
    "sigmoid": (special.expit, lambda u: special.expit(u) * (1.0 - special.expit(u))),
}


@pytest.fixture(scope="module")
def normals() -> np.ndarray:
    """10**6 seeded standard normals, shape (10**6,)."""
    return np.random.default_rng(20170101).standard_normal(10**6)


def monte_carlo_chi_1(activation: str, sigma_w: float, sigma_b: float, z: np.ndarray) -> float:
    """chi_1 from samples: q* as the root of the sampled length map, then the mean slope squared."""
    phi, slope = SMOOTH[activation]
    excess = lambda q: sigma_w**2 * np.mean(phi(math.sqrt(q) * z) ** 2) + sigma_b**2 - q  # noqa: E731
    q = optimize.brentq(excess, 0.0, sigma_w**2 + sigma_b**2, xtol=1e-12)  # excess(0) > 0 here
    return sigma_w**2 * float(np.mean(slope(math.sqrt(q) * z) ** 2))


def adaptive(f, q: float) -> float:
    """E[f(sqrt(q) z)] by scipy.integrate.quad, split where the integrand bends."""
    density = lambda z: f(math.sqrt(q) * z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cuts = (-40.0, -1.0, 0.0, 1.0, 40.0)
    return sum(
        integrate.quad(density, a, b, epsabs=1e-15, epsrel=1e-12, limit=400)[0]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    )


def test_tanh_without_bias_is_critical_at_one():
    assert abs(mf.critical_sigma_w("tanh", 0.0) - 1.0) < 1e-8


def test_tanh_matches_the_published_critical_point():
    # Schoenholz et al. 2017 (Fig. 1, sigma_b**2 = 0.05): sigma_w**2 about 1.76
    assert abs(mf.critical_sigma_w("tanh", math.sqrt(0.05)) ** 2 - 1.76) < 0.01


@pytest.mark.parametrize(
    ("activation", "sigma_b"),
    [
        ("tanh", 0.05),
        ("tanh", math.sqrt(0.05)),
        ("tanh", 0.3),
        ("tanh", 1.0),
        ("sigmoid", 0.0),
        ("sigmoid", 0.3),
    ],
)
def test_chi_1_is_one_at_the_critical_gain_by_monte_carlo(activation, sigma_b, normals):
    critical = mf.critical_sigma_w(activation, sigma_b)
    assert abs(monte_carlo_chi_1(activation, critical, sigma_b, normals) - 1.0) < 3e-3
    # 2 % away from it the same estimate is clearly off 1, so the check has teeth
    assert monte_carlo_chi_1(activation, 1.02 * critical, sigma_b, normals) > 1.0 + 6e-3
    assert monte_carlo_chi_1(activation, 0.98 * critical, sigma_b, normals) < 1.0 - 6e-3


def test_critical_line_rises_with_the_bias():
    gains = [mf.critical_sigma_w("tanh", b) for b in (0.0, 0.1, 0.3, 1.0, 2.0)]
    assert all(a < b for a, b in zip(gains[:-1], gains[1:], strict=True))


def test_sigmoid_is_critical_far_above_four():
    # sigmoid'(0) = 1/4 bounds chi_1 <= sigma_w**2 / 16, so the gain is above 4; the mean
    # 1/2 pushes q* above sigma_w**2 / 4 and the units into saturation, which moves it further
    sigmoid = mf.critical_sigma_w("sigmoid", 0.0)
    assert sigmoid > 2.5 * 4.0
    assert mf.chi_1("sigmoid", 4.0, 0.0) < 0.5
    # for large q, E[sigmoid'**2] ~ (1/6) / sqrt(2 pi q) and q* ~ sigma_w**2 / 2:
    # chi_1 ~ sigma_w / (6 sqrt(pi)), crossing 1 near 10.6
    assert abs(sigmoid - 6 * math.sqrt(math.pi)) < 1.0


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("sigma_w", [0.3, 1.0, 1.3, 2.5, 11.0])
@pytest.mark.parametrize("sigma_b", [0.0, 0.05, 0.3, 1.0])
def test_q_star_is_a_fixed_point(activation, sigma_w, sigma_b):
    if activation == "relu" and sigma_w >= math.sqrt(2):
        with pytest.raises(ValueError, match=r"sigma_w must be < 1\.41421 for relu"):
            mf.fixed_point_q(activation, sigma_w, sigma_b)
        return
    q = mf.fixed_point_q(activation, sigma_w, sigma_b)
    assert abs(mf.length_map(activation, q, sigma_w, sigma_b) - q) <= 1e-10 * max(1.0, q)


def test_tanh_without_bias_leaves_zero_only_when_chaotic():
    assert mf.fixed_point_q("tanh", 0.99, 0.0) == 0.0
    assert mf.fixed_point_q("tanh", 1.01, 0.0) > 0.0
    # above 1, the positive fixed point is the stable one: the map's slope there is below 1
    assert mf.mean_field("tanh", 1.5, 0.0).xi_q < math.inf


@pytest.mark.parametrize(
    ("activation", "sigma_w", "sigma_b"),
    [("tanh", 0.9, 0.2), ("tanh", 2.0, 0.3), ("sigmoid", 6.0, 0.5)],
)
def test_xi_q_is_the_length_maps_slope(activation, sigma_w, sigma_b):
    point = mf.mean_field(activation, sigma_w, sigma_b)
    h = 1e-4 * point.q_star
    slope = (
        mf.length_map(activation, point.q_star + h, sigma_w, sigma_b)
        - mf.length_map(activation, point.q_star - h, sigma_w, sigma_b)
    ) / (2 * h)
    assert abs(math.exp(-1.0 / point.xi_q) - slope) < 1e-6


@pytest.mark.parametrize(
    ("activation", "sigma_w", "sigma_b"),
    [("tanh", 1.5, 0.3), ("tanh", 2.0, 0.0), ("sigmoid", 10.5, 0.3)],
)
def test_chaotic_c_star_is_a_stable_fixed_point(activation, sigma_w, sigma_b):
    point = mf.mean_field(activation, sigma_w, sigma_b)
    assert point.phase == "chaotic" and 0.0 <= point.c_star < 1.0
    c = point.c_star
    assert abs(mf.correlation_map(activation, c, sigma_w, sigma_b) - c) < 1e-10
    h = 1e-5
    slope = (
        mf.correlation_map(activation, c + h, sigma_w, sigma_b)
        - mf.correlation_map(activation, c - h, sigma_w, sigma_b)
    ) / (2 * h)
    assert abs(point.chi_c - slope) < 1e-6
    assert point.chi_c < 1.0 < point.chi_1


def test_ordered_correlations_go_to_one():
    point = mf.mean_field("tanh", 1.1, 0.3)
    assert (point.phase, point.c_star) == ("ordered", 1.0)
    assert point.chi_c == point.chi_1
    assert point.xi_c == pytest.approx(-1.0 / math.log(point.chi_1), rel=1e-14)


@pytest.mark.parametrize(
    ("activation", "sigma_b"), [("tanh", 0.0), ("tanh", 0.3), ("sigmoid", 0.3), ("relu", 0.3)]
)
def test_xi_c_diverges_at_the_critical_gain(activation, sigma_b):
    critical = mf.critical_sigma_w(activation, sigma_b)
    far, near = (mf.mean_field(activation, critical * (1 - e), sigma_b).xi_c for e in (0.1, 1e-3))
    assert near > 10 * far
    if activation != "relu":  # relu has no chaotic phase
        far, near = (
            mf.mean_field(activation, critical * (1 + e), sigma_b).xi_c for e in (0.1, 1e-3)
        )
        assert near > 10 * far
        point = mf.mean_field(activation, critical, sigma_b)
        assert (point.phase, point.xi_c) == ("critical", math.inf)


def test_relu_is_critical_at_he_gain_with_no_chaotic_phase():
    for sigma_b in (0.0, 0.3, 2.0):
        assert mf.critical_sigma_w("relu", sigma_b) == pytest.approx(math.sqrt(2), abs=1e-15)
    point = mf.mean_field("relu", 1.0, 0.5)
    assert point.q_star == pytest.approx(0.25 / 0.5, rel=1e-14)
    assert (point.c_star, point.chi_1) == (1.0, 0.5)
    assert point.xi_q == point.xi_c == pytest.approx(1 / math.log(2), rel=1e-14)
    with pytest.raises(ValueError, match="no fixed point"):
        mf.mean_field("relu", 1.5, 0.1)
    with pytest.raises(ValueError, match="no fixed point"):
        mf.mean_field("relu", mf.critical_sigma_w("relu"), 0.1)


def test_relu_correlation_map_is_the_arc_cosine_kernel(normals):
    # Monte Carlo of one layer at q* from pairs of correlated inputs
    sigma_w, sigma_b, c = 1.2, 0.4, 0.3
    q = mf.fixed_point_q("relu", sigma_w, sigma_b)
    z2 = np.roll(normals, 1)
    u1, u2 = math.sqrt(q) * normals, math.sqrt(q) * (c * normals + math.sqrt(1 - c * c) * z2)
    sampled = (sigma_w**2 * np.mean(np.maximum(u1, 0) * np.maximum(u2, 0)) + sigma_b**2) / q
    assert abs(mf.correlation_map("relu", c, sigma_w, sigma_b) - sampled) < 5e-3


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_quadrature_matches_adaptive_integration(activation):
    phi, slope = SMOOTH[activation]
    act = mf._ACTIVATIONS[activation]
    for q in (0.1, 1.0, 5.0, 20.0) + ((50.0,) if activation == "sigmoid" else ()):
        assert abs(act.kernel(q, 1.0) - adaptive(lambda u: phi(u) ** 2, q)) < 1e-12
        assert abs(act.slope_kernel(q, 1.0) - adaptive(lambda u: slope(u) ** 2, q)) < 1e-12
        mean = adaptive(phi, q)
        tolerance = 1e-12 if q <= 5 or activation == "sigmoid" else 1e-6
        assert abs(act.kernel(q, 0.0) - mean**2) < tolerance  # the product rule at c = 0


@pytest.mark.parametrize("q", [0.1, 1.0, 5.0])
@pytest.mark.parametrize("c", [-0.9, 0.0, 0.4, 0.99])
def test_product_rule_matches_the_erf_kernel(q, c):
    # Williams (1997): E[erf(u1) erf(u2)] = (2 / pi) arcsin(2 q c / (1 + 2 q))
    exact = 2 / math.pi * math.asin(2 * q * c / (1 + 2 * q))
    assert abs(mf._pair(special.erf, special.erf, q, c) - exact) < 1e-12


def test_rule_is_numpys_hermite_e():
    z, w = mf._rule(100)
    nz, nw = np.polynomial.hermite_e.hermegauss(100)
    np.testing.assert_allclose(z, nz, atol=1e-12)
    np.testing.assert_allclose(w, nw / math.sqrt(2 * math.pi), atol=1e-15)


def test_gain_over_glorot_places_lecun_and_he():
    for fan_in, fan_out in ((2, 4), (4, 4), (4, 1), (64, 3)):
        glorot = xorsweep.glorot_std(fan_in, fan_out)
        for sigma_w in (1.0, math.sqrt(2), 2.7):
            ratio = mf.gain_over_glorot(sigma_w, fan_in, fan_out)
            assert ratio * glorot == pytest.approx(sigma_w / math.sqrt(fan_in), rel=1e-14)
    assert mf.gain_over_glorot(1.3, 8, 8) == pytest.approx(1.3, rel=1e-15)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mf.critical_sigma_w("tanh", -0.1), r"sigma_b must be a finite number >= 0"),
        (lambda: mf.mean_field("tanh", 1.0, -1.0), r"sigma_b must be a finite number >= 0"),
        (lambda: mf.mean_field("softplus", 1.0), r"activation must be one of 'sigmoid', 'tanh'"),
        (lambda: mf.critical_sigma_w("elu"), r"activation must be one of .*'relu'"),
        (lambda: mf.mean_field("tanh", 0.0), r"sigma_w must be a finite number > 0"),
        (lambda: mf.chi_1("tanh", -1.0, 0.0), r"sigma_w must be a finite number > 0"),
        (lambda: mf.length_map("tanh", 1.0, math.nan, 0.0), r"sigma_w must be a finite number"),
        (lambda: mf.length_map("tanh", -1.0, 1.0, 0.0), r"q must be a finite number >= 0"),
        (
            lambda: mf.correlation_map("tanh", 1.5, 1.0, 0.0),
            r"c must be a correlation in \[-1, 1\]",
        ),
        (lambda: mf.gain_over_glorot(0.0, 2, 2), r"sigma_w must be a finite number > 0"),
        (lambda: mf.gain_over_glorot(1.0, 0, 2), r"fan_in must be an integer >= 1"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_point_is_frozen():
    point = mf.mean_field("tanh", 0.5)
    with pytest.raises(AttributeError):
        point.q_star = 1.0  # type: ignore[misc]
