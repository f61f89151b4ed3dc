"""Mean-field predictions for deep networks: fixed points, the order-to-chaos line, depth scales.

A layer ``h = W x + b`` whose weights have variance ``sigma_w**2 / fan_in`` and
whose biases have variance ``sigma_b**2``, fed the previous layer's
``x = phi(h)``, maps the preactivations' variance ``q`` and the correlation
``c`` of two inputs' preactivations to the next layer's (Poole et al. 2016,
"Exponential expressivity in deep neural networks through transient chaos";
Schoenholz et al. 2017, "Deep information propagation"), with ``z``, ``z1``,
``z2`` independent standard normals, ``u1 = sqrt(q) z1`` and
``u2 = sqrt(q) (c z1 + sqrt(1 - c**2) z2)``:

* the length map ``q' = sigma_w**2 E[phi(sqrt(q) z)**2] + sigma_b**2``
  (:func:`length_map`) and its stable fixed point ``q*`` (:func:`fixed_point_q`);
* ``chi_1 = sigma_w**2 E[phi'(sqrt(q*) z)**2]`` (:func:`chi_1`): the order-to-chaos
  line is ``chi_1 = 1`` (:func:`critical_sigma_w`);
* the correlation map ``c' = (sigma_w**2 E[phi(u1) phi(u2)] + sigma_b**2) / q*``
  (:func:`correlation_map`) and its stable fixed point ``c*``: 1 in the ordered
  phase (``chi_1 < 1``), below 1 in the chaotic one;
* the depth scales ``xi_q = -1 / ln(chi_1 + sigma_w**2 E[phi phi''])`` and
  ``xi_c = -1 / ln(chi_c)``, ``chi_c = sigma_w**2 E[phi'(u1) phi'(u2)]`` at ``c*``
  (``chi_c = chi_1`` when ``c* = 1``); both are infinite at ``chi_1 = 1``
  (:func:`mean_field` returns all of them).

Activations (:data:`MEAN_FIELD_ACTIVATIONS`): ``"sigmoid"``, ``"tanh"``, ``"relu"``.
The smooth ones' Gaussian expectations use Gauss-Hermite quadrature (probabilists'
weight ``exp(-z**2 / 2)``; nodes of :func:`scipy.special.roots_hermitenorm`,
the rule of ``numpy.polynomial.hermite_e.hermegauss``, which overflows above a
few hundred nodes). An integrand ``f(sqrt(q) z)`` has poles at a distance
``pi / (2 sqrt(q))`` (tanh) or ``pi / sqrt(q)`` (sigmoid) from the real axis,
so the error grows with ``q``. Against adaptive quadrature, :data:`NODES` (1-D:
length map, ``chi_1``, ``xi_q``) keeps it below 1e-12 for tanh up to ``q = 20``
(2e-8 at 50) and for the sigmoid up to ``q = 100``; :data:`PAIR_NODES` (each
axis of the 2-D product rule: correlation map, ``chi_c``) below 1e-12 for tanh
up to ``q = 5`` (2e-7 at 20) and 1e-9 for the sigmoid up to ``q = 50``. On the
order-to-chaos lines, ``q*`` is below 8 for tanh (``sigma_b <= 2``) and about 46
for the sigmoid.

ReLU is positively homogeneous, so its expectations are closed forms (the
arc-cosine kernel of Cho and Saul 2009): ``chi_1 = sigma_w**2 / 2`` at every
``q``, the critical gain is ``sqrt(2)`` at every ``sigma_b`` (He et al. 2015), and
there is no chaotic phase in Poole's sense: above ``sqrt(2)`` the length map has
no fixed point (lengths grow as ``(sigma_w**2 / 2)**depth``), so :func:`mean_field`
accepts ``sigma_w < sqrt(2)`` only, where ``c* = 1`` and ``xi_q = xi_c = -1 / ln(chi_1)``.

To mark the critical gain on a gain-times-Glorot axis, see :func:`gain_over_glorot`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core.checks import check_choice, check_count, check_real

__all__ = [
    "CRITICAL_TOLERANCE",
    "MEAN_FIELD_ACTIVATIONS",
    "NODES",
    "PAIR_NODES",
    "MeanField",
    "chi_1",
    "correlation_map",
    "critical_sigma_w",
    "fixed_point_c",
    "fixed_point_q",
    "gain_over_glorot",
    "length_map",
    "mean_field",
]

Ufunc = Callable[[np.ndarray], np.ndarray]

#: Activations with mean-field predictions.
MEAN_FIELD_ACTIVATIONS = ("sigmoid", "tanh", "relu")

#: Gauss-Hermite nodes of the 1-D expectations (length map, chi_1, xi_q).
NODES = 3000

#: Gauss-Hermite nodes on each axis of the 2-D expectations (correlation map, chi_c).
PAIR_NODES = 600

#: |chi_1 - 1| below which a point counts as critical.
CRITICAL_TOLERANCE = 1e-9

#: The largest sigma_w searched for the order-to-chaos line.
_MAX_SIGMA_W = 1e3


def _expit(u: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(u)


def _sigmoid_d1(u: np.ndarray) -> np.ndarray:
    s = _expit(u)
    return s * (1.0 - s)


def _sigmoid_d2(u: np.ndarray) -> np.ndarray:
    s = _expit(u)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _tanh_d1(u: np.ndarray) -> np.ndarray:
    return 1.0 - np.tanh(u) ** 2


def _tanh_d2(u: np.ndarray) -> np.ndarray:
    t = np.tanh(u)
    return -2.0 * t * (1.0 - t * t)


@dataclass(frozen=True)
class _Smooth:
    """A smooth activation: ``phi`` and its first two derivatives, expectations by quadrature."""

    phi: Ufunc
    d1: Ufunc
    d2: Ufunc
    bound: float  # sup |phi|: the length map stays below sigma_w**2 bound**2 + sigma_b**2

    homogeneous = False

    def kernel(self, q: float, c: float) -> float:
        """``E[phi(u1) phi(u2)]``; ``E[phi(sqrt(q) z)**2]`` at ``c = 1``."""
        return _pair(self.phi, self.phi, q, c)

    def slope_kernel(self, q: float, c: float) -> float:
        """``E[phi'(u1) phi'(u2)]``; ``E[phi'(sqrt(q) z)**2]`` at ``c = 1``."""
        return _pair(self.d1, self.d1, q, c)

    def curvature(self, q: float) -> float:
        """``E[phi(sqrt(q) z) phi''(sqrt(q) z)]``."""
        return _pair(self.phi, self.d2, q, 1.0)


class _ReLU:
    """ReLU's expectations in closed form (the arc-cosine kernel of degree 1)."""

    homogeneous = True
    bound = math.inf

    @staticmethod
    def kernel(q: float, c: float) -> float:
        return q * (math.sqrt(max(1.0 - c * c, 0.0)) + (math.pi - math.acos(c)) * c) / (2 * math.pi)

    @staticmethod
    def slope_kernel(q: float, c: float) -> float:
        return (math.pi - math.acos(c)) / (2 * math.pi)

    @staticmethod
    def curvature(q: float) -> float:
        return 0.0  # phi'' is a point mass at 0, where phi vanishes


_ACTIVATIONS = {
    "sigmoid": _Smooth(_expit, _sigmoid_d1, _sigmoid_d2, 1.0),
    "tanh": _Smooth(np.tanh, _tanh_d1, _tanh_d2, 1.0),
    "relu": _ReLU(),
}


@functools.cache
def _rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights for ``E[f(z)]``, ``z ~ N(0, 1)``; shapes ``(n,)``."""
    from scipy.special import roots_hermitenorm

    z, w = roots_hermitenorm(n)
    return z, w / math.sqrt(2.0 * math.pi)


def _pair(f: Ufunc, g: Ufunc, q: float, c: float) -> float:
    """``E[f(u1) g(u2)]`` by Gauss-Hermite quadrature: 1-D at ``c = 1``, else a product rule."""
    root = math.sqrt(q)
    if c == 1.0:
        z, w = _rule(NODES)
        u = root * z
        return float(w @ (f(u) * g(u)))
    z, w = _rule(PAIR_NODES)
    u1 = root * z[:, None]  # (n, 1): z1 along the rows
    u2 = root * (c * z[:, None] + math.sqrt(1.0 - c * c) * z[None, :])  # (n, n): z2 along columns
    return float(w @ (f(u1) * g(u2)) @ w)


def _activation(activation: object) -> _Smooth | _ReLU:
    return _ACTIVATIONS[check_choice(activation, "activation", MEAN_FIELD_ACTIVATIONS)]


def _check_weights(sigma_w: object, sigma_b: object) -> tuple[float, float]:
    sigma_w = check_real(sigma_w, "sigma_w", 0.0, strict=True)
    return sigma_w, check_real(sigma_b, "sigma_b", 0.0)


def length_map(activation: str, q: float, sigma_w: float, sigma_b: float) -> float:
    """The next layer's preactivation variance ``sigma_w**2 E[phi(sqrt(q) z)**2] + sigma_b**2``.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    q : float
        This layer's preactivation variance, >= 0.
    sigma_w, sigma_b : float
        Weight gain (> 0; weights' variance ``sigma_w**2 / fan_in``) and bias std (>= 0).

    Returns
    -------
    float

    Examples
    --------
    >>> round(length_map("relu", 3.0, 1.0, 0.5), 12)  # q / 2 + sigma_b**2
    1.75
    >>> round(length_map("sigmoid", 0.0, 2.0, 0.0), 12)  # sigmoid(0)**2 * 4
    1.0
    """
    sigma_w, sigma_b = _check_weights(sigma_w, sigma_b)
    q = check_real(q, "q", 0.0)
    return sigma_w**2 * _activation(activation).kernel(q, 1.0) + sigma_b**2


def fixed_point_q(activation: str, sigma_w: float, sigma_b: float) -> float:
    """The stable fixed point ``q*`` of :func:`length_map`.

    For tanh with ``sigma_b = 0`` it is 0 up to ``sigma_w = 1`` and positive above
    (where 0 is unstable). ReLU's is ``sigma_b**2 / (1 - sigma_w**2 / 2)``, and
    none exists for ``sigma_w >= sqrt(2)`` (a ValueError).

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    sigma_w, sigma_b : float
        Weight gain (> 0) and bias std (>= 0).

    Returns
    -------
    float
        ``q*`` (>= 0), found by Brent's method to a relative 1e-15.

    Examples
    --------
    >>> fixed_point_q("tanh", 0.9, 0.0)
    0.0
    >>> q = fixed_point_q("tanh", 1.5, 0.3)
    >>> abs(length_map("tanh", q, 1.5, 0.3) - q) < 1e-12
    True
    """
    sigma_w, sigma_b = _check_weights(sigma_w, sigma_b)
    act = _activation(activation)
    if act.homogeneous:
        slope = sigma_w**2 * act.kernel(1.0, 1.0)
        if slope >= 1.0 - CRITICAL_TOLERANCE:
            raise ValueError(
                f"sigma_w must be < {1 / math.sqrt(act.kernel(1.0, 1.0)):.6g} for {activation}"
                f" (at and above it the length map has no fixed point), got {sigma_w:.10g}"
            )
        return sigma_b**2 / (1.0 - slope)
    from scipy.optimize import brentq

    def excess(q: float) -> float:
        return sigma_w**2 * act.kernel(q, 1.0) + sigma_b**2 - q

    low, high = 0.0, sigma_w**2 * act.bound**2 + sigma_b**2
    if excess(0.0) <= 0.0:  # phi(0) = 0 and sigma_b = 0: 0 is a fixed point
        if sigma_w**2 * act.slope_kernel(0.0, 1.0) <= 1.0 or excess(1e-200) <= 0.0:
            return 0.0
        low = 1e-200  # 0 is unstable: the stable fixed point is the positive one
    return float(brentq(excess, low, high, xtol=1e-300, rtol=4 * np.finfo(float).eps))


def chi_1(activation: str, sigma_w: float, sigma_b: float) -> float:
    """``chi_1 = sigma_w**2 E[phi'(sqrt(q*) z)**2]``: > 1 chaotic, < 1 ordered.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    sigma_w, sigma_b : float
        Weight gain (> 0) and bias std (>= 0).

    Returns
    -------
    float

    Examples
    --------
    >>> round(chi_1("tanh", 0.5, 0.0), 12), chi_1("relu", 1.0, 3.0)  # q* = 0: sigma_w**2
    (0.25, 0.5)
    """
    sigma_w, sigma_b = _check_weights(sigma_w, sigma_b)
    act = _activation(activation)
    q = 1.0 if act.homogeneous else fixed_point_q(activation, sigma_w, sigma_b)
    return sigma_w**2 * act.slope_kernel(q, 1.0)


def critical_sigma_w(activation: str, sigma_b: float = 0.0) -> float:
    """The weight gain on the order-to-chaos line, where ``chi_1 = 1``, for bias std ``sigma_b``.

    Found by Brent's method on ``chi_1(sigma_w) - 1``. For ReLU, ``chi_1 = sigma_w**2 / 2``
    at every ``q``, so the answer is ``sqrt(2)`` (He et al.'s gain) whatever ``sigma_b``.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    sigma_b : float, default 0
        Bias std, >= 0 (the biases' variance is ``sigma_b**2``).

    Returns
    -------
    float
        The critical ``sigma_w`` (weights' variance ``sigma_w**2 / fan_in``).

    Examples
    --------
    >>> round(critical_sigma_w("tanh"), 10), round(critical_sigma_w("relu", 0.3), 10)
    (1.0, 1.4142135624)
    >>> round(critical_sigma_w("tanh", math.sqrt(0.05)) ** 2, 2)  # sigma_b**2 = 0.05
    1.76
    """
    sigma_b = check_real(sigma_b, "sigma_b", 0.0)
    act = _activation(activation)
    if act.homogeneous:
        return 1.0 / math.sqrt(act.slope_kernel(1.0, 1.0))
    from scipy.optimize import brentq

    def excess(sigma_w: float) -> float:
        return chi_1(activation, sigma_w, sigma_b) - 1.0

    low = high = 1.0
    while excess(low) >= 0.0:
        low /= 2.0
    while excess(high) <= 0.0:
        if high > _MAX_SIGMA_W:
            raise ValueError(
                f"no order-to-chaos transition for {activation} at sigma_b={sigma_b:g}"
                f" with sigma_w up to {_MAX_SIGMA_W:g}"
            )
        high *= 2.0
    return float(brentq(excess, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps))


def correlation_map(activation: str, c: float, sigma_w: float, sigma_b: float) -> float:
    """The next layer's correlation ``(sigma_w**2 E[phi(u1) phi(u2)] + sigma_b**2) / q*``.

    Both inputs' preactivations have the variance ``q*`` of :func:`fixed_point_q`.
    Where ``q* = 0`` (tanh, ``sigma_b = 0``, ``sigma_w <= 1``), the limit
    ``q -> 0``: ``chi_1 c``. For ReLU, homogeneity gives
    ``sigma_w**2 k(c) + 1 - sigma_w**2 / 2`` (``k`` the kernel at ``q = 1``) at every ``sigma_b``.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    c : float
        This layer's correlation, in [-1, 1].
    sigma_w, sigma_b : float
        Weight gain (> 0) and bias std (>= 0).

    Returns
    -------
    float

    Examples
    --------
    >>> round(correlation_map("tanh", 1.0, 1.3, 0.2), 12)
    1.0
    >>> abs(correlation_map("tanh", 0.0, 2.0, 0.0)) < 1e-15  # odd phi, no bias: 0 stays 0
    True
    """
    sigma_w, sigma_b = _check_weights(sigma_w, sigma_b)
    c = check_real(c, "c", -math.inf)
    if not -1.0 <= c <= 1.0:
        raise ValueError(f"c must be a correlation in [-1, 1], got {c:g}")
    act = _activation(activation)
    if act.homogeneous:
        fixed_point_q(activation, sigma_w, sigma_b)  # raises where there is none
        return sigma_w**2 * (act.kernel(1.0, c) - act.kernel(1.0, 1.0)) + 1.0
    q = fixed_point_q(activation, sigma_w, sigma_b)
    if q == 0.0:
        return sigma_w**2 * act.slope_kernel(0.0, 1.0) * c
    return (sigma_w**2 * act.kernel(q, c) + sigma_b**2) / q


def fixed_point_c(activation: str, sigma_w: float, sigma_b: float) -> float:
    """The stable fixed point ``c*`` of :func:`correlation_map`: 1 unless ``chi_1 > 1``.

    In the chaotic phase ``c = 1`` is unstable and ``c*`` is the fixed point in
    ``[0, 1)`` (0 for tanh without bias), found by Brent's method.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    sigma_w, sigma_b : float
        Weight gain (> 0) and bias std (>= 0).

    Returns
    -------
    float

    Examples
    --------
    >>> fixed_point_c("tanh", 0.8, 0.1), fixed_point_c("tanh", 2.0, 0.0)
    (1.0, 0.0)
    >>> 0.0 < fixed_point_c("tanh", 2.0, 0.3) < 1.0
    True
    """
    if chi_1(activation, sigma_w, sigma_b) <= 1.0 + CRITICAL_TOLERANCE:
        return 1.0
    from scipy.optimize import brentq

    def excess(c: float) -> float:
        return correlation_map(activation, c, sigma_w, sigma_b) - c

    if excess(0.0) <= 0.0:  # 0 is a fixed point (odd phi, sigma_b = 0)
        return 0.0
    gap = 0.5
    while excess(1.0 - gap) >= 0.0:  # c* lies within gap of 1: move closer
        gap /= 4.0
        if gap < 1e-12:
            return 1.0  # indistinguishable from 1 at this precision
    return float(brentq(excess, 0.0, 1.0 - gap, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def _depth(chi: float) -> float:
    """``-1 / ln(chi)``, infinite at ``chi >= 1`` (no exponential approach)."""
    return -1.0 / math.log(chi) if chi < 1.0 else math.inf


@dataclass(frozen=True)
class MeanField:
    """The mean-field picture of a deep network at one (activation, sigma_w, sigma_b).

    Attributes
    ----------
    activation : str
    sigma_w, sigma_b : float
        Weight gain (weights' variance ``sigma_w**2 / fan_in``) and bias std.
    q_star : float
        Fixed point of the preactivations' variance.
    c_star : float
        Stable fixed point of two inputs' correlation (1 unless chaotic).
    chi_1, chi_c : float
        Slopes of the correlation map at ``c = 1`` and at ``c*``.
    xi_q, xi_c : float
        Depth scales of the length and of the correlation; ``xi_c`` is ``math.inf`` at
        criticality, ``xi_q`` only where ``q* = 0`` there (tanh without bias).
    phase : {"ordered", "critical", "chaotic"}
        ``chi_1`` below, within :data:`CRITICAL_TOLERANCE` of, or above 1.
    """

    activation: str
    sigma_w: float
    sigma_b: float
    q_star: float
    c_star: float
    chi_1: float
    chi_c: float
    xi_q: float
    xi_c: float
    phase: str


def mean_field(activation: str, sigma_w: float, sigma_b: float = 0.0) -> MeanField:
    """Fixed points, slopes and depth scales at one point (Schoenholz et al. 2017).

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    sigma_w : float
        Weight gain, > 0 (< sqrt(2) for ReLU, whose lengths diverge above).
    sigma_b : float, default 0
        Bias std, >= 0.

    Returns
    -------
    MeanField

    See Also
    --------
    critical_sigma_w : where ``xi_c`` diverges.

    Examples
    --------
    >>> mf = mean_field("tanh", 0.9, 0.0)
    >>> mf.phase, mf.q_star, mf.c_star, round(mf.xi_c, 4)  # -1 / ln(0.81)
    ('ordered', 0.0, 1.0, 4.7456)
    >>> mean_field("tanh", 2.0, 0.3).phase
    'chaotic'
    """
    sigma_w, sigma_b = _check_weights(sigma_w, sigma_b)
    act = _activation(activation)
    q = fixed_point_q(activation, sigma_w, sigma_b)
    one = chi_1(activation, sigma_w, sigma_b)
    c = fixed_point_c(activation, sigma_w, sigma_b)
    at = 1.0 if act.homogeneous else q
    chi_c = one if c == 1.0 else sigma_w**2 * act.slope_kernel(at, c)
    chi_q = one + sigma_w**2 * act.curvature(at)
    if abs(one - 1.0) <= CRITICAL_TOLERANCE:
        phase, chi_c = "critical", 1.0  # xi_c diverges; xi_q need not (tanh with a bias)
    else:
        phase = "ordered" if one < 1.0 else "chaotic"
    return MeanField(
        activation, sigma_w, sigma_b, q, c, one, chi_c, _depth(chi_q), _depth(chi_c), phase
    )


def gain_over_glorot(sigma_w: float, fan_in: int, fan_out: int) -> float:
    """A mean-field weight gain as a multiple of Glorot's std for one layer.

    The mean-field weights have variance ``sigma_w**2 / fan_in``; Glorot's,
    ``2 / (fan_in + fan_out)``; the ratio of the stds is
    ``sigma_w * sqrt((fan_in + fan_out) / (2 fan_in))``. ``sigma_w = 1`` is
    LeCun's rule and ``sigma_w = sqrt(2)`` He's, so the same function places
    them on a gain-times-Glorot axis.

    Parameters
    ----------
    sigma_w : float
        Weight gain, > 0 (e.g. :func:`critical_sigma_w`).
    fan_in, fan_out : int
        The layer's inputs and outputs, >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> gain_over_glorot(1.0, 4, 4), round(gain_over_glorot(1.0, 2, 4), 6)
    (1.0, 1.224745)
    """
    sigma_w = check_real(sigma_w, "sigma_w", 0.0, strict=True)
    fan_in = check_count(fan_in, "fan_in")
    fan_out = check_count(fan_out, "fan_out")
    return sigma_w * math.sqrt((fan_in + fan_out) / (2.0 * fan_in))
