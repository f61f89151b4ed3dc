"""A fused training kernel compiled with numba: all the epochs of a chunk of runs in one loop.

The NumPy engine (:mod:`xorsweep.training`) makes a pass over memory per
equation and epoch. Here a chunk of :data:`LANES` runs keeps its parameters
and work values in a few kilobytes (L1 cache) for all its epochs. Each epoch
is, for each sample, a forward, loss and backward pass over the chunk, then a
step (the equations of :mod:`xorsweep.reference`); each pass is a loop over
the runs that LLVM turns into SIMD instructions, one lane per run. No lane's
arithmetic depends on another's, so a run's numbers do not depend on the
chunk, the block or the order of the runs.

The chunk's state is one flat float64 buffer of rows of :data:`LANES` values
(run last), laid out by :func:`_layout`: rows at offsets known when compiling
let LLVM prove that they do not overlap, which it must before vectorising.
Wider than :data:`UNROLLED_WIDTH`, the lane loop goes inside the loops over
hidden units, vectorised at every width (``benchmarks/bench_widths.py``). The
kernel is compiled for each network shape (inputs, hidden units, outputs) and
hidden activation, once: numba caches it on disk. It trains
everything :func:`xorsweep.train` does: both update orders, any truth table
and width, per-run learning rates, records, a sigmoid or tanh hidden layer
and either gradient (``"mean"`` is a smaller learning rate).

The numbers are the NumPy engine's to about 1e-13 (tests: 1e-10 over 10,000
epochs). A probability of exactly 0.5 counts as a wrong prediction, as in
the reference. The tricks, each in a helper below:

* :func:`_exp` is ``exp`` from a Cody-Waite range reduction, a polynomial and
  a power of two built from its bits: numba's ``math.exp`` is a call into
  libm, one number at a time, which stops the loop from vectorising;
* ``fastmath={"contract"}`` lets LLVM fuse a multiplication and an addition
  into one FMA instruction where the CPU has it: fewer instructions, one
  rounding instead of two (so the last bits may differ between CPUs with and
  without FMA, as NumPy's own ``exp`` differs between CPUs);
* :func:`_carry` keeps the running product of the clipped probabilities as a
  mantissa in [1, 2) and an exponent, so that the log of the loss is taken
  once per run at the end instead of once per epoch.
"""

from __future__ import annotations

import functools
import math
from collections import namedtuple

import numpy as np

try:
    import numba
    from llvmlite import ir
    from numba.extending import intrinsic
except ImportError as err:  # pragma: no cover - numba is a dependency
    raise ImportError(f"the numba engine needs numba: {err}") from err

from ._numba_cache import njit
from .fused_results import converged, mean_loss, parameters, scores
from .network import CLIP, Population
from .truth_tables import TruthTable

__all__ = ["train_block", "warm", "exp", "LANES"]

#: Runs advanced together by one pass of the kernel: a multiple of every SIMD width.
LANES = 64

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


# --- the chunk's state -------------------------------------------------------------------

#: Where each part of a chunk's state starts, in rows of ``LANES`` values (run last).
#: ``wh`` (in + 1, hidden) and ``wo`` (hidden + 1, out) hold the parameters as
#: :mod:`xorsweep.training` does, the bias as the last row of its weight matrix. The work
#: rows (``hid`` to ``err``) hold the sample being trained.
_Layout = namedtuple(
    "_Layout",
    [
        "wh",  # row wh + i * hidden + j: w_h[i, j]; i = in is the bias
        "wo",  # row wo + j * out + o: w_o[j, o]; j = hidden is the bias
        "acc_h",  # (in + 1, hidden, out): sum over samples of x_i * err_o * f'(z_j)
        "grad_o",  # like wo: sum over samples of h_j * err_o, the step of w_o
        "hid",  # (hidden,): the sample's hidden outputs
        "z",  # (out,): its output logits
        "prob",  # (out,): the clipped probability given to the correct target
        "err",  # (out,): lr * (y_hat - y)
        "mantissa",  # running product of the clipped probabilities: mantissa * 2**exponent
        "exponent",
        "last_wrong",  # 1 + the last epoch with a probability <= 0.5, 0 if none
        "lr",
        "rows",  # rows in all
    ],
)


@_jit(inline="always")
def _layout(n_in, hidden, n_out):
    wo = (n_in + 1) * hidden
    acc_h = wo + (hidden + 1) * n_out
    grad_o = acc_h + (n_in + 1) * hidden * n_out
    hid = grad_o + (hidden + 1) * n_out
    z = hid + hidden
    m = z + 3 * n_out  # after z, prob and err
    return _Layout(
        0, wo, acc_h, grad_o, hid, z, z + n_out, z + 2 * n_out, m, m + 1, m + 2, m + 3, m + 4
    )


@_jit(inline="always")
def _sizes(shape):
    """(in, hidden, out) from ``shape``, a tuple of four tuples, the first three of those
    lengths: so the sizes and offsets are constants of each compilation, and LLVM unrolls the
    loops over units."""
    return len(shape[0]), len(shape[1]), len(shape[2])


@_jit(inline="always")
def _is_tanh(shape):
    """Whether the hidden layer is tanh (``shape[3]`` of length 1) or the sigmoid (length 0):
    a constant of each compilation, so that the loops hold no branch."""
    return len(shape[3]) == 1


@_jit(inline="always")
def _activate(a, tanh):
    """The hidden layer's output for its logit ``a`` (:mod:`xorsweep.activations`)."""
    return _tanh(a) if tanh else _sigmoid(a)


@_jit(inline="always")
def _delta(err, h, tanh):
    """``err * f'(z)`` written with the output ``h = f(z)``: ``1 - h**2`` for tanh, ``h (1 - h)``
    for the sigmoid."""
    return err * (1.0 - h * h) if tanh else err * h * (1.0 - h)


@_jit(inline="always")
def _at(row, r):
    """Index of lane ``r`` of ``row`` in the flat state buffer."""
    return row * LANES + r


# --- one epoch, as in xorsweep.reference: forward, loss, backward, step ---------------------
# The first three do sample ``s`` for every lane of the chunk's state ``st``. ``x`` (sample, in)
# holds the inputs; ``sign`` (sample, out) is +1 where the target is 1 and -1 where it is 0, so
# that the probability given to the correct target is p = sigmoid(sign * z) and the output
# error is y_hat - y = sign * (p - 1).


#: Widths up to which each pass loops over the lanes outside and the units inside, which LLVM
#: unrolls (one pass over the state: 8% faster at width 2); wider, it stops unrolling them (from
#: width 6 in the forward pass) and left the lanes scalar, so the lane loop goes inside: written
#: out there (calls or numba's inlining were up to 2.7 times slower). Same arithmetic either way.
UNROLLED_WIDTH = 4


@_jit(inline="always")
def _lanes_inside(shape):
    """Whether the passes loop over the lanes inside the loops over hidden units."""
    return len(shape[1]) > UNROLLED_WIDTH


@_jit
def _hidden_unit(st, x, s, shape, j, r):
    """Hidden unit ``j``'s output for sample ``s`` in lane ``r``."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    a = x[s, 0] * st[_at(lay.wh + j, r)]
    for i in range(1, n_in):
        a += x[s, i] * st[_at(lay.wh + i * hidden + j, r)]
    bias = st[_at(lay.wh + n_in * hidden + j, r)]
    st[_at(lay.hid + j, r)] = _activate(a + bias, _is_tanh(shape))


@_jit
def _logits(st, shape, r):
    """The output logits of lane ``r`` from its hidden outputs."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    for o in range(n_out):
        z = st[_at(lay.hid, r)] * st[_at(lay.wo + o, r)]
        for j in range(1, hidden):
            z += st[_at(lay.hid + j, r)] * st[_at(lay.wo + j * n_out + o, r)]
        st[_at(lay.z + o, r)] = z + st[_at(lay.wo + hidden * n_out + o, r)]


@_jit
def _forward(st, x, s, shape):
    """The sample's hidden outputs and output logits."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    if _lanes_inside(shape):
        for j in range(hidden):  # unit outside, lane inside: each unit's exp is vectorised alone
            for r in range(LANES):
                a = x[s, 0] * st[_at(lay.wh + j, r)]
                for i in range(1, n_in):
                    a += x[s, i] * st[_at(lay.wh + i * hidden + j, r)]
                bias = st[_at(lay.wh + n_in * hidden + j, r)]
                st[_at(lay.hid + j, r)] = _activate(a + bias, _is_tanh(shape))
        for r in range(LANES):
            for o in range(n_out):
                z = st[_at(lay.hid, r)] * st[_at(lay.wo + o, r)]
                for j in range(1, hidden):
                    z += st[_at(lay.hid + j, r)] * st[_at(lay.wo + j * n_out + o, r)]
                st[_at(lay.z + o, r)] = z + st[_at(lay.wo + hidden * n_out + o, r)]
    else:
        for r in range(LANES):
            for j in range(hidden):
                _hidden_unit(st, x, s, shape, j, r)
            _logits(st, shape, r)


@_jit
def _loss(st, sign, s, shape, epoch):
    """The clipped probabilities, into the running product; a wrong one; the errors."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    for r in range(LANES):
        product = st[_at(lay.mantissa, r)]
        right = True
        for o in range(n_out):
            p = _sigmoid(sign[s, o] * st[_at(lay.z + o, r)])
            right &= p > 0.5  # a tie (or NaN) is wrong, as in the reference
            clipped = min(max(p, CLIP), 1.0 - CLIP)
            st[_at(lay.prob + o, r)] = clipped
            st[_at(lay.err + o, r)] = (p - 1.0) * (sign[s, o] * st[_at(lay.lr, r)])
            product *= clipped
            if o % 16 == 15 or o == n_out - 1:  # <= 16 factors >= 1e-15 each: no underflow
                product, exponent = _carry(product)
                st[_at(lay.exponent, r)] += exponent
        st[_at(lay.mantissa, r)] = product
        last_wrong = st[_at(lay.last_wrong, r)]
        st[_at(lay.last_wrong, r)] = last_wrong if right else epoch + 1.0


@_jit
def _backward_unit(st, x, s, shape, o, j, r):
    """Add hidden unit ``j``'s terms for output ``o`` in lane ``r`` to the gradient sums."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    err = st[_at(lay.err + o, r)]
    h = st[_at(lay.hid + j, r)]
    st[_at(lay.grad_o + j * n_out + o, r)] += h * err
    delta = _delta(err, h, _is_tanh(shape))  # times w_o[j, o] in the step, after the sum
    st[_at(lay.acc_h + (n_in * hidden + j) * n_out + o, r)] += delta
    for i in range(n_in):
        st[_at(lay.acc_h + (i * hidden + j) * n_out + o, r)] += x[s, i] * delta


@_jit
def _backward(st, x, s, shape):
    """Add the sample's terms to the gradient sums."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    if _lanes_inside(shape):
        for o in range(n_out):
            for r in range(LANES):
                st[_at(lay.grad_o + hidden * n_out + o, r)] += st[_at(lay.err + o, r)]
            for j in range(hidden):
                for r in range(LANES):
                    err = st[_at(lay.err + o, r)]
                    h = st[_at(lay.hid + j, r)]
                    st[_at(lay.grad_o + j * n_out + o, r)] += h * err
                    delta = _delta(err, h, _is_tanh(shape))  # times w_o[j, o], in the step
                    st[_at(lay.acc_h + (n_in * hidden + j) * n_out + o, r)] += delta
                    for i in range(n_in):
                        st[_at(lay.acc_h + (i * hidden + j) * n_out + o, r)] += x[s, i] * delta
    else:
        for r in range(LANES):
            for o in range(n_out):
                st[_at(lay.grad_o + hidden * n_out + o, r)] += st[_at(lay.err + o, r)]
                for j in range(hidden):
                    _backward_unit(st, x, s, shape, o, j, r)


@_jit
def _step_unit(st, shape, article, j, o, r):
    """Subtract the steps of w_o[j, o] and of the hidden weights into unit ``j`` through it."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    w_old = st[_at(lay.wo + j * n_out + o, r)]
    w_new = w_old - st[_at(lay.grad_o + j * n_out + o, r)]
    st[_at(lay.wo + j * n_out + o, r)] = w_new
    st[_at(lay.grad_o + j * n_out + o, r)] = 0.0
    if j < hidden:  # d(loss)/d(w_h[i, j]) = sum_o w_o[j, o] * acc_h[i, j, o]
        w_back = w_new if article else w_old
        for i in range(n_in + 1):
            row = lay.acc_h + (i * hidden + j) * n_out + o
            st[_at(lay.wh + i * hidden + j, r)] -= w_back * st[_at(row, r)]
            st[_at(row, r)] = 0.0


@_jit
def _step(st, shape, article):
    """Subtract the gradient steps; ``article``: the hidden layer's uses the updated w_o."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    if _lanes_inside(shape):
        for j in range(hidden + 1):
            for o in range(n_out):
                for r in range(LANES):
                    w_old = st[_at(lay.wo + j * n_out + o, r)]
                    w_new = w_old - st[_at(lay.grad_o + j * n_out + o, r)]
                    st[_at(lay.wo + j * n_out + o, r)] = w_new
                    st[_at(lay.grad_o + j * n_out + o, r)] = 0.0
                    if j < hidden:  # d(loss)/d(w_h[i, j]) = sum_o w_o[j, o] * acc_h[i, j, o]
                        w_back = w_new if article else w_old
                        for i in range(n_in + 1):
                            row = lay.acc_h + (i * hidden + j) * n_out + o
                            st[_at(lay.wh + i * hidden + j, r)] -= w_back * st[_at(row, r)]
                            st[_at(row, r)] = 0.0
    else:
        for r in range(LANES):
            for j in range(hidden + 1):
                for o in range(n_out):
                    _step_unit(st, shape, article, j, o, r)


@_jit
def _epoch(st, x, sign, shape, epoch, article, record):
    """One epoch of one chunk; if ``record`` is not empty, it receives the parameters
    before the step and the clipped probabilities, sample by sample."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    params, block = lay.acc_h * LANES, n_out * LANES  # block: a sample's prob rows
    if record.size:
        record[:params] = st[:params]
    for s in range(x.shape[0]):
        _forward(st, x, s, shape)
        _loss(st, sign, s, shape, epoch)
        if record.size:
            start = params + s * block
            record[start : start + block] = st[lay.prob * LANES : lay.prob * LANES + block]
        _backward(st, x, s, shape)
    _step(st, shape, article)


@_jit
def _train_chunks(states, x, sign, shape, first, epochs, article, record_every, history, final):
    """Train every chunk from epoch ``first`` to ``epochs``, then score the trained networks.

    ``states`` (chunk, rows * LANES); ``x`` (sample, in); ``sign`` (sample,
    out). ``history`` (chunk, record, (acc_h + sample * out) * LANES) receives
    the records of the epochs from ``first`` on that are multiples of ``k =
    record_every`` (0 for none); ``final`` (chunk, (3 + 2 * sample * out) *
    LANES) the running product (mantissa, exponent) over the epochs and
    ``last_wrong``, then each sample's logits and clipped probabilities of the
    trained networks.
    """
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    block = n_out * LANES
    no_record = np.empty(0)
    skipped = -(-first // record_every) if record_every > 0 else 0  # records before `first`
    for c in range(states.shape[0]):
        st = states[c]
        for epoch in range(first, epochs):
            recording = record_every > 0 and epoch % record_every == 0
            record = history[c, epoch // record_every - skipped] if recording else no_record
            _epoch(st, x, sign, shape, epoch, article, record)
        out = final[c]
        out[: 3 * LANES] = st[lay.mantissa * LANES : (lay.last_wrong + 1) * LANES]
        for s in range(x.shape[0]):  # the trained networks, right or wrong at epoch `epochs`
            _forward(st, x, s, shape)
            _loss(st, sign, s, shape, epochs)
            start = 3 * LANES + 2 * s * block
            out[start : start + 2 * block] = st[lay.z * LANES : lay.z * LANES + 2 * block]


# --- the block: NumPy arrays in, NumPy arrays out --------------------------------------------


def train_block(
    population: Population,
    data: TruthTable,
    lr: np.ndarray,
    epochs: int,
    update: str,
    record_every: int | None,
    activation: str = "sigmoid",
    first_epoch: int = 0,
    carry: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Train ``population`` with the fused kernel: the NumPy engine's block, computed faster.

    The arguments are taken as checked by :func:`xorsweep.train`; ``lr`` includes the
    gradient's scale (:func:`xorsweep.activations.gradient_scale`).

    Parameters
    ----------
    population : Population
        The block's initial networks; not modified.
    data : TruthTable
        Training data, with the population's numbers of inputs and outputs.
    lr : ndarray, shape (run,)
        Learning rates, finite and > 0.
    epochs : int
        Gradient steps, >= 0.
    update : {"article", "simultaneous"}
        As in :func:`xorsweep.train`.
    record_every : int or None
        Also record the loss and the parameters at the epochs from
        ``first_epoch`` on that are multiples of k.
    activation : {"sigmoid", "tanh"}
        The hidden layer's.
    first_epoch : int
        The epoch ``population`` has reached, <= ``epochs``: training goes on from it.
    carry : dict of str to ndarray, optional
        The running bookkeeping at ``first_epoch`` (``last_wrong`` (run,) and
        ``loss_sum`` (run, 2), as this function returns them); None: epoch 0.

    Returns
    -------
    dict of str to ndarray
        The keys, shapes and dtypes of the NumPy engine's block:
        ``total_loss``, ``final_loss``, ``converged_epoch`` (run,),
        ``predictions`` (run, sample, out), the four parameters shaped as in
        :class:`Population`, and with ``record_every`` also ``epoch_loss``
        (run, epoch) and ``<parameter>_history`` (run, epoch, ...). A run's
        numbers do not depend on the other runs of the block. Also the
        bookkeeping to train on from ``epochs``: ``last_wrong`` (run,), int64,
        ``loss_sum`` (run, 2), the running product of the clipped probabilities
        as (mantissa, exponent), and ``pending`` (run, 0, sample, out), empty.

    Examples
    --------
    >>> from xorsweep import init_population, xor
    >>> res = train_block(init_population(3, seed=0), xor(), np.full(3, 0.1), 2000, "article", None)
    >>> res["total_loss"].shape, res["predictions"].shape
    ((3,), (3, 4, 1))
    """
    runs, n_in, hidden, n_out = (
        population.runs,
        population.n_in,
        population.hidden,
        population.n_out,
    )
    samples = data.samples
    lay = _layout(n_in, hidden, n_out)
    chunks = -(-runs // LANES)
    lanes = np.zeros((lay.rows, chunks * LANES))  # (row, run); padding lanes: all zero, lr 0
    lanes[: lay.wo, :runs] = _to_rows(population.hidden_weights, population.hidden_bias)
    lanes[lay.wo : lay.acc_h, :runs] = _to_rows(population.output_weights, population.output_bias)
    lanes[lay.mantissa] = 1.0
    if carry is not None:
        lanes[lay.mantissa : lay.last_wrong, :runs] = carry["loss_sum"].T
        lanes[lay.last_wrong, :runs] = carry["last_wrong"]
    lanes[lay.lr, :runs] = lr
    states = _chunked(lanes)
    records = 0  # the multiples of record_every from first_epoch to epochs - 1
    if record_every:
        records = -(-epochs // record_every) - -(-first_epoch // record_every)
    history = np.empty((chunks, records, (lay.acc_h + samples * n_out) * LANES))
    final = np.empty((chunks, (3 + 2 * samples * n_out) * LANES))
    shape = ((0,) * n_in, (0,) * hidden, (0,) * n_out, (0,) * (activation == "tanh"))
    sign = 2.0 * data.targets - 1.0
    article = update == "article"
    rec = record_every or 0
    first = first_epoch
    _train_chunks(states, data.inputs, sign, shape, first, epochs, article, rec, history, final)
    scored = _unchunked(final, runs)
    res = scores(scored, epochs, samples, n_out)
    res["converged_epoch"] = converged(_unchunked(states, runs)[lay.last_wrong], epochs)
    res.update(parameters(_unchunked(states, runs)[: lay.acc_h], n_in, hidden))
    res["last_wrong"] = scored[2].astype(np.int64)
    res["loss_sum"] = np.ascontiguousarray(scored[:2].T)
    res["pending"] = np.empty((runs, 0, samples, n_out))
    if record_every:
        rec = _unchunked(history, runs)  # (record, row, run)
        loss = mean_loss(np.moveaxis(rec[:, lay.acc_h :], 1, 0))  # (record, run)
        res["epoch_loss"] = np.ascontiguousarray(loss.T)
        for name, value in parameters(rec[:, : lay.acc_h], n_in, hidden).items():
            res[f"{name}_history"] = value
    return res


def warm(n_in: int, hidden: int, n_out: int, activation: str = "sigmoid") -> None:
    """Compile (or load from numba's cache) the kernel for networks ``n_in -> hidden -> n_out``
    with this hidden ``activation``: trains one network for no epoch.

    Raises what numba raises where it cannot compile (``NotImplementedError`` with
    ``NUMBA_DISABLE_JIT=1``).
    """
    pop = Population(
        np.zeros((1, n_in, hidden)),
        np.zeros((1, 1, hidden)),
        np.zeros((1, hidden, n_out)),
        np.zeros((1, 1, n_out)),
    )
    data = TruthTable(np.zeros((1, n_in)), np.zeros((1, n_out)), "warm-up")
    train_block(pop, data, np.ones(1), 0, "article", None, activation)


def _to_rows(weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(run, a, b) weights and (run, 1, b) bias as rows ((a + 1) * b, run), the bias last."""
    both = np.concatenate([weights, bias], axis=1)
    return both.reshape(both.shape[0], -1).T


def _chunked(lanes: np.ndarray) -> np.ndarray:
    """(row, run) with whole chunks of runs as (chunk, row * LANES), each chunk contiguous."""
    rows = lanes.shape[0]
    return np.ascontiguousarray(lanes.reshape(rows, -1, LANES).transpose(1, 0, 2)).reshape(
        -1, rows * LANES
    )


def _unchunked(chunked: np.ndarray, runs: int) -> np.ndarray:
    """(chunk, ..., rows * LANES) as (..., rows, run), without the padding lanes."""
    rows = chunked.shape[-1] // LANES
    split = chunked.reshape(*chunked.shape[:-1], rows, LANES)  # (chunk, ..., row, lane)
    moved = np.moveaxis(split, 0, -2)  # (..., row, chunk, lane)
    return moved.reshape(*moved.shape[:-2], chunked.shape[0] * LANES)[..., :runs]
