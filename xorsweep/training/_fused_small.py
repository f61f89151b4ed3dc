"""The article's networks' epoch in registers: 2 inputs, 2 hidden units, 1 output, 4 samples.

:func:`xorsweep.training.fused._epoch` makes a pass over the chunk's state per
sample and step (forward, loss, backward), each pass a loop over the lanes that
loads and stores every row it uses. For the article's 2-2-1 networks trained by
gd on a table of 4 samples (XOR, AND, OR...), :func:`epoch_in_registers` does
a whole epoch in one loop over the lanes instead: a lane's 9 parameters, its
gradient sums and the running product are local values, so LLVM keeps them in
registers and loads and stores each row once an epoch (the loop over the
samples is written out: LLVM does not unroll it by itself, and would then not
vectorise the loop over the lanes). The arithmetic is the same as the passes',
in the same order, but for two tricks, each in a helper:

* the sigmoids' divisions are grouped (:func:`_inverse_8`, :func:`_inverse_4`):
  in float64, one division gives the reciprocals of 8 (or 4) numbers from their
  products, against a division unit that takes 2 cycles a float64 lane, where
  the multiplications take 1/16; each reciprocal is within 4 ulp of ``1 / x``
  (measured: 4.0 in groups of 8, 3.1 of 4; ``tests/test_fused.py``), where the
  division is within 0.5 (float32 keeps its Newton steps, one number at a time);
* so that the products stay finite, the exps' argument is clamped at 88
  (not 708): a sigmoid beyond it is 6e-39 instead of 0 to 6e-39, which moves
  no number of the tests' or the sweeps' beyond 1e-30;
* the running product of the clipped probabilities is carried once an epoch
  (float32: every 2 samples), not after every sample: the same numbers.

The rows are those of :func:`xorsweep.training.fused._layout` for 2-2-1.
"""

from __future__ import annotations

import numba
from numba.extending import overload

from ..model.network import CLIP
from ._fused_math import _activate, _carry, _delta, _exp, _inverse, _jit, _like
from .fused_results import LANES

__all__ = ["epoch_in_registers"]


# the rows of the 2-2-1 layout (fused._layout(2, 2, 1)): parameters, then the running values
_W00, _W01, _W10, _W11, _B0, _B1, _V0, _V1, _C = range(9)
_HIDDEN_PARAMS = 9  # the parameters' rows, which a record holds
_MANTISSA, _EXPONENT, _LAST_WRONG, _LR = 23, 24, 25, 26
#: Rows after the layout's (27): the 8 hidden outputs (sample, unit), then the 4 samples'
#: probabilities (clipped after the loss), which a record takes
_HIDDEN, _PROB = 27, 35
SCRATCH_ROWS = 12

#: The exps' clamp for grouped reciprocals: (1 + e**88)**8 < 1.8e308, float64's largest.
_GROUP_EXP_MAX = 88.0


def _group_bound(x):
    """The exps' clamp: :data:`_GROUP_EXP_MAX`, in ``x``'s type."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_group_bound, inline="always")
def _group_bound_typed(x):
    if x == numba.float32:
        return lambda x: numba.float32(87.0)  # float32's own bound (_fused_math._EXP_MAX_32)
    return lambda x: _GROUP_EXP_MAX


@_jit(inline="always")
def _one_plus_exp(z):
    """``1 + exp(z)``, ``z`` clamped to the group's bound."""
    bound = _group_bound(z)
    return _like(z, 1.0) + _exp(min(max(z, -bound), bound))


@_jit(inline="always")
def _pair(a, b, inverse_ab):
    """``1 / a`` and ``1 / b`` from ``1 / (a b)``: two multiplications."""
    return b * inverse_ab, a * inverse_ab


def _inverse_4(a, b, c, d):
    """``1 / a``, ..., ``1 / d`` (each >= 1): in float64 one division, float32 four
    :func:`~xorsweep.training._fused_math._inverse`."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_inverse_4, inline="always")
def _inverse_4_typed(a, b, c, d):
    if a == numba.float32:
        return lambda a, b, c, d: (_inverse(a), _inverse(b), _inverse(c), _inverse(d))

    def grouped(a, b, c, d):
        ab, cd = a * b, c * d
        inverse_ab, inverse_cd = _pair(ab, cd, _like(a, 1.0) / (ab * cd))
        return (*_pair(a, b, inverse_ab), *_pair(c, d, inverse_cd))

    return grouped


def _inverse_8(a, b, c, d, e, f, g, h):
    """``1 / a``, ..., ``1 / h`` (each >= 1, their product finite): one division in float64."""
    raise NotImplementedError("compiled code only (numba overloads it)")


@overload(_inverse_8, inline="always")
def _inverse_8_typed(a, b, c, d, e, f, g, h):
    if a == numba.float32:
        return lambda a, b, c, d, e, f, g, h: (
            *_inverse_4(a, b, c, d), *_inverse_4(e, f, g, h),
        )  # fmt: skip

    def grouped(a, b, c, d, e, f, g, h):
        ab, cd, ef, gh = a * b, c * d, e * f, g * h
        abcd, efgh = ab * cd, ef * gh
        inverse_abcd, inverse_efgh = _pair(abcd, efgh, _like(a, 1.0) / (abcd * efgh))
        inverse_ab, inverse_cd = _pair(ab, cd, inverse_abcd)
        inverse_ef, inverse_gh = _pair(ef, gh, inverse_efgh)
        return (
            *_pair(a, b, inverse_ab), *_pair(c, d, inverse_cd),
            *_pair(e, f, inverse_ef), *_pair(g, h, inverse_gh),
        )  # fmt: skip

    return grouped


@_jit(inline="always")
def _logit(x, s, w_0j, w_1j, b_j):
    """Hidden unit ``j``'s logit for sample ``s``: the passes' order of operations."""
    return x[2 * s] * w_0j + x[2 * s + 1] * w_1j + b_j


@_jit(inline="always")
def _hidden(x, w, kind):
    """The hidden outputs (h0, h1) of the 4 samples, 8 values: sigmoids with grouped
    divisions, the other activations one by one."""
    a = (
        _logit(x, 0, w[0], w[2], w[4]), _logit(x, 0, w[1], w[3], w[5]),
        _logit(x, 1, w[0], w[2], w[4]), _logit(x, 1, w[1], w[3], w[5]),
        _logit(x, 2, w[0], w[2], w[4]), _logit(x, 2, w[1], w[3], w[5]),
        _logit(x, 3, w[0], w[2], w[4]), _logit(x, 3, w[1], w[3], w[5]),
    )  # fmt: skip
    if kind != 0:
        return (
            _activate(a[0], kind), _activate(a[1], kind), _activate(a[2], kind),
            _activate(a[3], kind), _activate(a[4], kind), _activate(a[5], kind),
            _activate(a[6], kind), _activate(a[7], kind),
        )  # fmt: skip
    return _inverse_8(
        _one_plus_exp(-a[0]), _one_plus_exp(-a[1]), _one_plus_exp(-a[2]), _one_plus_exp(-a[3]),
        _one_plus_exp(-a[4]), _one_plus_exp(-a[5]), _one_plus_exp(-a[6]), _one_plus_exp(-a[7]),
    )  # fmt: skip


@_jit(inline="always")
def _probabilities(sign, h, w):
    """The probability each sample's output gives its correct target: sigmoid(sign * z)."""
    z0 = h[0] * w[6] + h[1] * w[7] + w[8]
    z1 = h[2] * w[6] + h[3] * w[7] + w[8]
    z2 = h[4] * w[6] + h[5] * w[7] + w[8]
    z3 = h[6] * w[6] + h[7] * w[7] + w[8]
    return _inverse_4(
        _one_plus_exp(-(sign[0] * z0)), _one_plus_exp(-(sign[1] * z1)),
        _one_plus_exp(-(sign[2] * z2)), _one_plus_exp(-(sign[3] * z3)),
    )  # fmt: skip


@_jit(inline="always")
def _backward(g, x, s, h0, h1, err, kind):
    """The gradient sums ``g`` (w00, w01, w10, w11, b0, b1, v0, v1, c: each the sum over
    samples of its term) plus sample ``s``'s terms, in the passes' order."""
    d0, d1 = _delta(err, h0, kind), _delta(err, h1, kind)
    return (
        g[0] + x[2 * s] * d0, g[1] + x[2 * s] * d1,
        g[2] + x[2 * s + 1] * d0, g[3] + x[2 * s + 1] * d1,
        g[4] + d0, g[5] + d1, g[6] + h0 * err, g[7] + h1 * err, g[8] + err,
    )  # fmt: skip


@_jit(inline="always")
def _sample(x, sign, s, p, h0, h1, lr, kind, product, exponent, g):
    """Sample ``s``'s clipped probability into the running product (carried every 2
    samples), its error ``lr * (y_hat - y)`` into the gradient sums; and the clipped one."""
    clipped = min(max(p, _like(p, CLIP)), _like(p, 1.0 - CLIP))
    product *= clipped
    if s % 2 == 1:  # float32 needs a carry every 2 factors (>= 1e-30); exact in float64 too
        product, carried = _carry(product)
        exponent += carried
    err = (p - _like(p, 1.0)) * (sign[s] * lr)
    return product, exponent, _backward(g, x, s, h0, h1, err, kind), clipped


@_jit(inline="always")
def _rows4(st, first, r):
    """Lane ``r`` of the 4 rows from ``first`` on, as a tuple."""
    return (
        st[first * LANES + r], st[(first + 1) * LANES + r],
        st[(first + 2) * LANES + r], st[(first + 3) * LANES + r],
    )  # fmt: skip


@_jit(inline="always")
def _rows8(st, first, r):
    """Lane ``r`` of the 8 rows from ``first`` on, as a tuple."""
    return (*_rows4(st, first, r), *_rows4(st, first + 4, r))


@_jit(inline="always")
def _load(st, r):
    """Lane ``r``'s 9 parameters."""
    return (*_rows8(st, _W00, r), st[_C * LANES + r])


@_jit(inline="always")
def _store_step(st, r, w, g, article):
    """The gd step of lane ``r``: w_o first, then w_h through w_o (new if ``article``)."""
    v0, v1 = w[6] - g[6], w[7] - g[7]
    back0 = v0 if article else w[6]
    back1 = v1 if article else w[7]
    st[_W00 * LANES + r] = w[0] - back0 * g[0]
    st[_W01 * LANES + r] = w[1] - back1 * g[1]
    st[_W10 * LANES + r] = w[2] - back0 * g[2]
    st[_W11 * LANES + r] = w[3] - back1 * g[3]
    st[_B0 * LANES + r] = w[4] - back0 * g[4]
    st[_B1 * LANES + r] = w[5] - back1 * g[5]
    st[_V0 * LANES + r] = v0
    st[_V1 * LANES + r] = v1
    st[_C * LANES + r] = w[8] - g[8]


@_jit
def epoch_in_registers(st, x, sign, epoch, article, activation, record):
    """One gd epoch of a chunk of 2-2-1 networks on 4 samples.

    ``st`` is the chunk's state (rows of :data:`LANES`: fused's layout, then
    :data:`SCRATCH_ROWS`), ``x`` (4, 2) the inputs, ``sign`` (4, 1) +1 where
    the target is 1 and -1 where it is 0, ``activation`` a tuple whose length is
    the hidden activation's code (a constant of the compilation: no branch in
    the loops). The step sizes are in the ``lr`` row (the errors are ``lr *
    (y_hat - y)``). ``record``, if not empty, receives what
    :func:`xorsweep.training.fused._epoch` records: the parameters before the
    step, then each sample's clipped probabilities.

    Three loops over the lanes (the hidden layer, the output's probabilities,
    the loss, gradient and step), each short enough for the CPU to overlap a
    lane's long chains of dependent operations (an exp, a division) with the
    next lanes'.
    """
    zero, kind = _like(st[0], 0.0), len(activation)
    # the samples as tuples of numbers: numba's inlining would count references to arrays
    # inside the loops (calls that stop them from being vectorised)
    x = (x[0, 0], x[0, 1], x[1, 0], x[1, 1], x[2, 0], x[2, 1], x[3, 0], x[3, 1])
    sign = (sign[0, 0], sign[1, 0], sign[2, 0], sign[3, 0])
    for r in range(LANES):
        h = _hidden(x, _load(st, r), kind)
        for k in range(8):
            st[(_HIDDEN + k) * LANES + r] = h[k]
    for r in range(LANES):
        p = _probabilities(sign, _rows8(st, _HIDDEN, r), _load(st, r))
        for k in range(4):
            st[(_PROB + k) * LANES + r] = p[k]
    if record.size:
        record[: _HIDDEN_PARAMS * LANES] = st[: _HIDDEN_PARAMS * LANES]
    for r in range(LANES):
        w, h, p = _load(st, r), _rows8(st, _HIDDEN, r), _rows4(st, _PROB, r)
        lr = st[_LR * LANES + r]
        m, e = st[_MANTISSA * LANES + r], st[_EXPONENT * LANES + r]
        g = (zero, zero, zero, zero, zero, zero, zero, zero, zero)
        # the samples written out: LLVM would not unroll their loop, nor then vectorise this one
        m, e, g, c0 = _sample(x, sign, 0, p[0], h[0], h[1], lr, kind, m, e, g)
        m, e, g, c1 = _sample(x, sign, 1, p[1], h[2], h[3], lr, kind, m, e, g)
        m, e, g, c2 = _sample(x, sign, 2, p[2], h[4], h[5], lr, kind, m, e, g)
        m, e, g, c3 = _sample(x, sign, 3, p[3], h[6], h[7], lr, kind, m, e, g)
        st[_MANTISSA * LANES + r] = m
        st[_EXPONENT * LANES + r] = e
        right = (p[0] > 0.5) & (p[1] > 0.5) & (p[2] > 0.5) & (p[3] > 0.5)  # a tie is wrong
        last_wrong = st[_LAST_WRONG * LANES + r]
        st[_LAST_WRONG * LANES + r] = last_wrong if right else _like(m, epoch + 1.0)
        st[_PROB * LANES + r], st[(_PROB + 1) * LANES + r] = c0, c1
        st[(_PROB + 2) * LANES + r], st[(_PROB + 3) * LANES + r] = c2, c3
        _store_step(st, r, w, g, article)
    if record.size:
        start = _HIDDEN_PARAMS * LANES
        record[start : start + 4 * LANES] = st[_PROB * LANES : (_PROB + 4) * LANES]
