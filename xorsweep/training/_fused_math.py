"""The compiled kernel's arithmetic: the fast ``exp`` and the table entries' functions.

The helpers of :mod:`xorsweep.training.fused` that do not depend on the chunk's layout:
the tricks that let LLVM vectorise (an ``exp`` from bit operations, the running
product's carry), and one branch per entry of the activation and optimiser
tables (:mod:`xorsweep.model.activations`, :mod:`xorsweep.training.optimizers`), selected by
the entry's ``code``, a constant of each compilation. Adding an activation or
an optimiser adds its branch here.
"""

from __future__ import annotations

import functools
import math

try:
    import numba
    from llvmlite import ir
    from numba.extending import intrinsic
except ImportError as err:  # pragma: no cover - numba is a dependency
    raise ImportError(f"the numba engine needs numba: {err}") from err

from ._numba_cache import njit

__all__ = ["exp"]

# error_model: x / 0 gives inf instead of raising (a branch that would stop vectorisation);
# contract: a * b + c may become one fused multiply-add (one rounding instead of two);
# nogil: threads can train blocks at the same time
# cache: compiled once per shape, kept in a per-user folder (never the package's, _numba_cache)
_jit = functools.partial(njit, nogil=True, error_model="numpy", fastmath={"contract"})


# --- the tricks -------------------------------------------------------------------------


@intrinsic
def _as_int(typingctx, x):  # noqa: ARG001 - numba's signature
    """The bits of a float64 as an int64 (a no-op that LLVM vectorises)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return numba.int64(numba.float64), codegen


@intrinsic
def _as_float(typingctx, bits):  # noqa: ARG001
    """The float64 whose bits are the int64 ``bits``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return numba.float64(numba.int64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits: k * _LN2_HI is exact for |k| < 2**21
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer, kept in the low bits
_C = tuple(1.0 / math.factorial(k) for k in range(14))  # exp(r) to 4e-18 for |r| <= ln(2) / 2
_EXP_MAX = 708.0  # exp(x) and 2**k stay normal numbers for |x| <= this


@_jit(inline="always")
def _exp(x):
    """``exp(x)`` within 1 ulp, for ``|x| <= _EXP_MAX``."""
    t = x * _LOG2E + _ROUND
    k = t - _ROUND  # x / ln 2 rounded to an integer
    r = (x - k * _LN2_HI) - k * _LN2_LO  # x - k ln 2, |r| <= ln(2) / 2
    # exp(r) = 1 + (r + r**2 * tail(r)), the 1 added last (one rounding of the result); the
    # tail by Estrin's scheme: a shorter chain of dependent operations than Horner's
    r2 = r * r
    r4 = r2 * r2
    c2_5 = (_C[5] * r + _C[4]) * r2 + (_C[3] * r + _C[2])  # terms 2 to 5
    c6_9 = (_C[9] * r + _C[8]) * r2 + (_C[7] * r + _C[6])
    c10_13 = (_C[13] * r + _C[12]) * r2 + (_C[11] * r + _C[10])
    tail = (c10_13 * r4 + c6_9) * r4 + c2_5
    exp_r = 1.0 + (tail * r2 + r)
    return exp_r * _as_float((_as_int(t) - _as_int(_ROUND) + 1023) << 52)  # times 2**k


@_jit
def exp(x, out):
    """The kernel's ``exp`` of each element of ``x`` into ``out`` (1-D float64 arrays, ``|x|``
    at most 708), for tests and benchmarks; returns ``out``."""
    for k in range(x.size):
        out[k] = _exp(x[k])
    return out


@_jit(inline="always")
def _sigmoid(z):
    """``1 / (1 + exp(-z))``, within 3.3e-308 of it where ``|z| > _EXP_MAX``."""
    return 1.0 / (1.0 + _exp(min(max(-z, -_EXP_MAX), _EXP_MAX)))


@_jit(inline="always")
def _tanh(z):
    """``tanh(z) = 2 sigmoid(2z) - 1``: the sigmoid's one exp and one division, vectorised
    (numba's ``math.tanh`` is libm's, one number at a time); within 1.2e-16 of it."""
    return 2.0 / (1.0 + _exp(min(max(-2.0 * z, -_EXP_MAX), _EXP_MAX))) - 1.0


_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE = 0x3FF0000000000000  # the bits of 1.0
_TWO52 = 0x4330000000000000  # the bits of 2**52: or-ed with a small integer n, gives 2**52 + n


@_jit(inline="always")
def _carry(product):
    """``(m, e)`` with ``product = m * 2**e`` exactly, m in [1, 2), e a float; product normal."""
    bits = _as_int(product)
    exponent = _as_float((bits >> 52) | _TWO52) - (2.0**52 + 1023.0)
    return _as_float((bits & _MANTISSA) | _ONE), exponent


# --- the table entries: one branch per code ---------------------------------------------


@_jit(inline="always")
def _relu(z):
    """``max(z, 0)``."""
    return z if z > 0.0 else 0.0


@_jit(inline="always")
def _activate(a, kind):
    """The hidden layer's output for its logit ``a``: one line per activation's ``code``."""
    if kind == 1:
        return _tanh(a)
    if kind == 2:
        return _relu(a)
    return _sigmoid(a)


@_jit(inline="always")
def _delta(err, h, kind):
    """``err * f'(z)`` written with the output ``h = f(z)``: ``h (1 - h)`` for the sigmoid,
    ``1 - h**2`` for tanh, 1 where ``h > 0`` else 0 for ReLU; one line per ``code``."""
    if kind == 1:
        return err * (1.0 - h * h)
    if kind == 2:
        return err * (1.0 if h > 0.0 else 0.0)
    return err * h * (1.0 - h)


@_jit(inline="always")
def _updated(kind, w, g, s0, s1, lr, hp, c1, c2):
    """One parameter's step from its gradient ``g``: (new w, new s0, new s1). ``hp``: the
    hyper-parameters (Optimizer.vector); Adam's ``c1 = 1 - b1**t``, ``c2 = sqrt(1 - b2**t)``."""
    if kind == 1:  # momentum: v = mu v + g
        v = hp[0] * s0 + g
        return w - lr * v, v, s1
    if kind == 2:  # nesterov: v = mu v + g, along g + mu v
        v = hp[0] * s0 + g
        return w - lr * (g + hp[0] * v), v, s1
    if kind == 3:  # adam: (m, v), bias-corrected
        m = hp[0] * s0 + (1.0 - hp[0]) * g
        v = hp[1] * s1 + (1.0 - hp[1]) * (g * g)
        return w - (lr / c1) * (m / (math.sqrt(v) / c2 + hp[2])), m, v
    if kind == 4:  # rmsprop: v = a v + (1 - a) g**2
        v = hp[0] * s0 + (1.0 - hp[0]) * (g * g)
        return w - lr * (g / (math.sqrt(v) + hp[1])), v, s1
    return w - g, s0, s1  # gd: lr is in g
