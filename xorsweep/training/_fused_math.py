"""The compiled kernel's arithmetic: the fast ``exp`` and the table entries' functions.

The helpers of :mod:`xorsweep.training.fused` that do not depend on the chunk's layout:
the tricks that let LLVM vectorise (an ``exp`` from bit operations, the running
product's carry), and one branch per entry of the activation and optimiser
tables (:mod:`xorsweep.model.activations`, :mod:`xorsweep.training.optimizers`), selected by
the entry's ``code``, a constant of each compilation. Adding an activation or
an optimiser adds its branch here.

Each helper computes in the type of its arguments, float64 or float32: the
functions that differ (``exp``, the running product's carry, the reciprocal)
are chosen by type with numba's ``overload``, and :func:`_like` gives a
constant the arguments' type (a literal such as ``1.0`` is a float64 in numba,
which would turn float32 arithmetic into float64).
"""

from __future__ import annotations

import functools
import math
import platform

import numpy as np

try:
    import numba
    from llvmlite import ir
    from numba.extending import intrinsic, overload
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
    """The bits of a float64 as an int64, of a float32 as an int32 (a no-op LLVM vectorises)."""
    width = 32 if x == numba.float32 else 64

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(width))

    return (numba.int32 if width == 32 else numba.int64)(x), codegen


@intrinsic
def _as_float(typingctx, bits):  # noqa: ARG001
    """The float64 whose bits are the int64 ``bits``."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return numba.float64(numba.int64), codegen


@intrinsic
def _as_float32(typingctx, bits):  # noqa: ARG001
    """The float32 whose bits are the low 32 of the integer ``bits``."""

    def codegen(context, builder, signature, args):
        low = builder.trunc(args[0], ir.IntType(32)) if bits.bitwidth > 32 else args[0]
        return builder.bitcast(low, ir.FloatType())

    return numba.float32(bits), codegen


#: The MXCSR bits that flush subnormal results to zero and read subnormal inputs as zero (x86).
_FTZ_DAZ = 0x8040
_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")


@intrinsic
def _swap_mxcsr(typingctx, bits):  # noqa: ARG001
    """Set the x86 SIMD control register (MXCSR) to the uint32 ``bits``; its old value."""

    def codegen(context, builder, signature, args):
        slot = builder.alloca(ir.IntType(32))
        pointer = ir.FunctionType(ir.VoidType(), [ir.PointerType()])
        store = builder.module.declare_intrinsic("llvm.x86.sse.stmxcsr", fnty=pointer)
        load = builder.module.declare_intrinsic("llvm.x86.sse.ldmxcsr", fnty=pointer)
        builder.call(store, [slot])
        old = builder.load(slot)
        builder.store(args[0], slot)
        builder.call(load, [slot])
        return old

    return numba.uint32(numba.uint32), codegen


def _flush_subnormals(x):
    """In float32 (by ``x``'s type) on x86, flush subnormal numbers to zero until
    :func:`_restore_subnormals` with the returned value: an operation on one takes a
    hundred cycles or more (float32's arguments reach them where the logits are large, |z|
    > 87); a subnormal is below 1.2e-38. float64 and other CPUs: nothing changes."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_flush_subnormals, inline="always")
def _flush_subnormals_typed(x):
    if x == numba.float32 and _X86:

        def flush(x):
            old = _swap_mxcsr(numba.uint32(0))
            _swap_mxcsr(old | numba.uint32(_FTZ_DAZ))
            return old

        return flush
    return lambda x: numba.uint32(0)


def _restore_subnormals(x, old):
    """Undo :func:`_flush_subnormals`, which returned ``old``."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_restore_subnormals, inline="always")
def _restore_subnormals_typed(x, old):
    if x == numba.float32 and _X86:
        return lambda x, old: _swap_mxcsr(old)
    return lambda x, old: old


def _like(x, value):
    """``value`` in the floating-point type of ``x`` (float32 or float64), in compiled code:
    a literal such as ``1.0`` is a float64, which would turn float32 arithmetic into float64."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_like, inline="always")
def _like_typed(x, value):
    if x == numba.float32:
        return lambda x, value: np.float32(value)
    return lambda x, value: np.float64(value)


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 bits: k * _LN2_HI is exact for |k| < 2**21
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer, kept in the low bits
_C = tuple(1.0 / math.factorial(k) for k in range(14))  # exp(r) to 4e-18 for |r| <= ln(2) / 2
_EXP_MAX = 708.0  # exp(x) and 2**k stay normal numbers for |x| <= this

# the same in float32: ln 2 in 9 bits (k * hi exact for |k| < 2**15), 1.5 * 2**23, exp(r)
# to 6e-9 (a tenth of float32's rounding) with the terms up to r**7, |x| <= 87
_LOG2E_32 = np.float32(_LOG2E)
_LN2_HI_32 = np.float32(0.693359375)
_LN2_LO_32 = np.float32(math.log(2.0) - 0.693359375)
_ROUND_32 = np.float32(12582912.0)
_C32 = tuple(np.float32(c) for c in _C[:8])
_EXP_MAX_32 = np.float32(87.0)


@_jit(inline="always")
def _exp64(x):
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


@_jit(inline="always")
def _exp32(x):
    """``exp(x)`` of a float32 within 2 ulp, for ``|x| <= _EXP_MAX_32``: :func:`_exp64`'s steps."""
    t = x * _LOG2E_32 + _ROUND_32
    k = t - _ROUND_32
    r = (x - k * _LN2_HI_32) - k * _LN2_LO_32
    r2 = r * r
    c2_5 = (_C32[5] * r + _C32[4]) * r2 + (_C32[3] * r + _C32[2])
    c6_7 = _C32[7] * r + _C32[6]
    exp_r = np.float32(1.0) + ((c6_7 * (r2 * r2) + c2_5) * r2 + r)
    return exp_r * _as_float32((_as_int(t) - _as_int(_ROUND_32) + 127) << 23)


def _exp(x):
    """``exp(x)`` in the kernel's precision: :func:`_exp64` or :func:`_exp32` by ``x``'s type."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_exp, inline="always")
def _exp_typed(x):
    if x == numba.float32:
        return lambda x: _exp32(x)
    return lambda x: _exp64(x)


@_jit
def exp(x, out):
    """The kernel's ``exp`` of each element of ``x`` into ``out`` (1-D arrays, both float64 or
    both float32, ``|x|`` at most 708 or 87); returns ``out``."""
    for k in range(x.size):
        out[k] = _exp(x[k])
    return out


#: Bits whose difference with a positive number's bits are those of its reciprocal to 5.1%
#: (the exponent negated, the mantissa's reciprocal by a line): float64, float32.
_RECIP_SEED = 0x7FDE623822FC16E6
_RECIP_SEED_32 = 0x7EF311C7


@_jit(inline="always")
def _newton(x, y):
    """A Newton step towards ``1 / x`` from ``y``: two fused multiply-adds, the relative error
    squared."""
    return y + y * (_like(x, 1.0) - x * y)


@_jit(inline="always")
def _reciprocal(x):
    """``1 / x`` for a normal ``x > 0`` within 1 ulp: a seed from the bits refined by Newton
    steps (relative error 5.1%, 2.6e-3, 6.5e-6, 4.2e-11, 1.8e-21): three for float32, four for
    float64. Multiplications and additions, where a division's throughput is 4 to 8 times
    lower."""
    y = _newton(x, _newton(x, _newton(x, _seed(x))))
    return _fourth(x, y)


def _seed(x):
    """The reciprocal's first guess from the bits of ``x``."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_seed, inline="always")
def _seed_typed(x):
    if x == numba.float32:
        return lambda x: _as_float32(_RECIP_SEED_32 - _as_int(x))
    return lambda x: _as_float(_RECIP_SEED - _as_int(x))


def _fourth(x, y):
    """The fourth Newton step, float64's alone."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_fourth, inline="always")
def _fourth_typed(x, y):
    if x == numba.float32:
        return lambda x, y: y
    return lambda x, y: _newton(x, y)


def _inverse(x):
    """``1 / x`` as the kernel takes it: a division in float64 (the article's numbers, bit for
    bit), :func:`_reciprocal` in float32 where :data:`NEWTON_32`."""
    raise NotImplementedError("compiled code only (numba overloads it)")


#: Whether float32 takes its reciprocals by Newton steps rather than by division.
NEWTON_32 = True


@overload(_inverse, inline="always")
def _inverse_typed(x):
    if x == numba.float32 and NEWTON_32:
        return lambda x: _reciprocal(x)
    return lambda x: _like(x, 1.0) / x


@_jit(inline="always")
def _sigmoid(z):
    """``1 / (1 + exp(-z))``, within 3.3e-308 of it where ``|z| > _EXP_MAX`` (float32: 1.2e-38
    beyond 87), the division an :func:`_inverse`."""
    bound = _exp_max(z)
    return _inverse(_like(z, 1.0) + _exp(min(max(-z, -bound), bound)))


@_jit(inline="always")
def _tanh(z):
    """``tanh(z) = 2 sigmoid(2z) - 1``: the sigmoid's one exp and one division, vectorised
    (numba's ``math.tanh`` is libm's, one number at a time); within 1.2e-16 of it."""
    two = _like(z, 2.0)
    return two * _sigmoid(two * z) - _like(z, 1.0)


def _exp_max(x):
    """:data:`_EXP_MAX` or :data:`_EXP_MAX_32`, by ``x``'s type."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_exp_max, inline="always")
def _exp_max_typed(x):
    if x == numba.float32:
        return lambda x: _EXP_MAX_32
    return lambda x: _EXP_MAX


_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE = 0x3FF0000000000000  # the bits of 1.0
_TWO52 = 0x4330000000000000  # the bits of 2**52: or-ed with a small integer n, gives 2**52 + n


@_jit(inline="always")
def _carry64(product):
    """``(m, e)`` with ``product = m * 2**e`` exactly, m in [1, 2), e a float; product normal."""
    bits = _as_int(product)
    exponent = _as_float((bits >> 52) | _TWO52) - (2.0**52 + 1023.0)
    return _as_float((bits & _MANTISSA) | _ONE), exponent


@_jit(inline="always")
def _carry32(product):
    """:func:`_carry64` for a float32: 23 bits of mantissa, the bits of 2**23, a bias of 127."""
    bits = _as_int(product)
    exponent = _as_float32((bits >> 23) | 0x4B000000) - np.float32(2.0**23 + 127.0)
    return _as_float32((bits & 0x007FFFFF) | 0x3F800000), exponent


def _carry(product):
    """:func:`_carry64` or :func:`_carry32`, by ``product``'s type."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_carry, inline="always")
def _carry_typed(product):
    if product == numba.float32:
        return lambda product: _carry32(product)
    return lambda product: _carry64(product)


# --- the table entries: one branch per code ---------------------------------------------


@_jit(inline="always")
def _relu(z):
    """``max(z, 0)``."""
    zero = _like(z, 0.0)
    return z if z > zero else zero


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
    one, zero = _like(h, 1.0), _like(h, 0.0)
    if kind == 1:
        return err * (one - h * h)
    if kind == 2:
        return err * (one if h > zero else zero)
    return err * h * (one - h)


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
