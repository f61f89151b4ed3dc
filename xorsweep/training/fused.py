"""A fused training kernel compiled with numba: all the epochs of a chunk of runs in one loop.

The NumPy engine (:mod:`xorsweep.training.trainer`) makes a pass over memory per
equation and epoch. Here a chunk of :data:`LANES` runs keeps its parameters
and work values in a few kilobytes (L1 cache) for all its epochs. Each epoch
is, for each sample, a forward, loss and backward pass over the chunk, then a
step (the equations of :mod:`xorsweep.training.reference`); each pass is a loop over
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
and width, per-run learning rates, records, every hidden activation and
optimiser of the tables (:mod:`xorsweep.model.activations`, :mod:`xorsweep.training.optimizers`;
their arithmetic in :mod:`xorsweep.training._fused_math`, selected by each entry's
``code``) and either gradient (``"mean"`` scales the output error).

The state buffer is float64, or float32 with ``settings.precision``: every
helper computes in its arguments' type (:func:`~xorsweep.training._fused_math._like`
types the constants), and float32 fills twice the SIMD lanes. In float64 the
numbers are the NumPy engine's to about 1e-13 (tests: 1e-10 over 10,000
epochs); float32's are float64's to its tolerance (``tests/test_precision.py``).
A probability of exactly 0.5 counts as a wrong prediction, as in the reference.
The article's 2-2-1 networks trained by gd on 4 samples take each epoch from
:func:`xorsweep.training._fused_small.epoch_in_registers` instead: the same
equations in three loops over the lanes that keep a lane's values in registers
(BENCHMARKS.md: its speed against JAX). float32 flushes subnormal numbers
to zero while the kernel runs (:func:`~xorsweep.training._fused_math._flush_subnormals`).
The tricks, each in a helper below:

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

import math
from collections import namedtuple

import numpy as np

from ..model.network import CLIP, Population
from ..model.truth_tables import TruthTable
from ._fused_math import _activate, _carry, _delta, _jit, _like, _sigmoid, _updated, exp
from ._fused_small import SCRATCH_ROWS, epoch_in_registers
from .budgets import fused_marks, inside, with_last
from .fused_results import LANES, chunked, converged, mean_loss, parameters, scores

# isort: split
from ._fused_math import _flush_subnormals, _restore_subnormals
from .fused_results import to_rows, unchunked
from .settings import TrainingSettings

__all__ = ["train_block", "warm", "exp", "LANES"]

# --- the chunk's state -------------------------------------------------------------------

#: Where each part of a chunk's state starts, in rows of ``LANES`` values (run last).
#: ``wh`` (in + 1, hidden) and ``wo`` (hidden + 1, out) hold the parameters as
#: :mod:`xorsweep.training.trainer` does, the bias as the last row of its weight matrix. The work
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
def _activation(shape):
    """The hidden activation's ``code`` (:data:`xorsweep.model.activations.TABLE`), the length of
    ``shape[3]``: a constant of each compilation, so that the loops hold no branch."""
    return len(shape[3])


@_jit(inline="always")
def _optimizer(shape):
    """The optimiser's ``code`` (:data:`~xorsweep.training.optimizers.TABLE`): ``len(shape[4])``."""
    return len(shape[4])


@_jit(inline="always")
def _at(row, r):
    """Index of lane ``r`` of ``row`` in the flat state buffer."""
    return row * LANES + r


# --- one epoch, as in xorsweep.training.reference: forward, loss, backward, step -----------------
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
    st[_at(lay.hid + j, r)] = _activate(a + bias, _activation(shape))


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
                st[_at(lay.hid + j, r)] = _activate(a + bias, _activation(shape))
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
    carry = 16 if st.itemsize == 8 else 2  # factors in the product: 1e-240 or 1e-30 at least
    for r in range(LANES):
        product = st[_at(lay.mantissa, r)]
        right = True
        for o in range(n_out):
            p = _sigmoid(sign[s, o] * st[_at(lay.z + o, r)])
            right &= p > 0.5  # a tie (or NaN) is wrong, as in the reference
            clipped = min(max(p, _like(p, CLIP)), _like(p, 1.0 - CLIP))  # float32: 1 on top
            st[_at(lay.prob + o, r)] = clipped
            st[_at(lay.err + o, r)] = (p - _like(p, 1.0)) * (sign[s, o] * st[_at(lay.lr, r)])
            product *= clipped
            if o % carry == carry - 1 or o == n_out - 1:  # factors >= 1e-15: no underflow
                product, exponent = _carry(product)
                st[_at(lay.exponent, r)] += exponent
        st[_at(lay.mantissa, r)] = product
        last_wrong = st[_at(lay.last_wrong, r)]
        st[_at(lay.last_wrong, r)] = last_wrong if right else _like(product, epoch + 1.0)


@_jit
def _backward_unit(st, x, s, shape, o, j, r):
    """Add hidden unit ``j``'s terms for output ``o`` in lane ``r`` to the gradient sums."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    err = st[_at(lay.err + o, r)]
    h = st[_at(lay.hid + j, r)]
    st[_at(lay.grad_o + j * n_out + o, r)] += h * err
    delta = _delta(err, h, _activation(shape))  # times w_o[j, o] in the step, after the sum
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
                    delta = _delta(err, h, _activation(shape))  # times w_o[j, o], in the step
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


# --- the optimisers' step (training.optimizers): one branch per optimiser's code ---------
# Their state follows the chunk's rows (_layout's ``rows``): the learning rate row, then two
# rows per parameter (row base + 1 + p and base + 1 + n_par + p for parameter row p).


@_jit(inline="always")
def _update_row(st, kind, p, grad, base, n_par, hp, c1, c2):
    """Step parameter row ``p`` of every lane by the gradient in row ``grad``."""
    for r in range(LANES):
        w, s0, s1 = _updated(
            kind, st[_at(p, r)], st[_at(grad, r)], st[_at(base + 1 + p, r)],
            st[_at(base + 1 + n_par + p, r)], st[_at(base, r)], hp, c1, c2,
        )  # fmt: skip
        st[_at(p, r)] = w
        st[_at(base + 1 + p, r)] = s0
        st[_at(base + 1 + n_par + p, r)] = s1


@_jit
def _hidden_gradient(st, shape):
    """The hidden layer's gradient ``sum_o w_o[j, o] * acc_h[i, j, o]`` into ``acc_h[i, j, 0]``."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    for q in range(lay.wo):  # q = i * hidden + j
        j = q % hidden
        for r in range(LANES):
            g = 0.0
            for o in range(n_out):
                g += st[_at(lay.wo + j * n_out + o, r)] * st[_at(lay.acc_h + q * n_out + o, r)]
            st[_at(lay.acc_h + q * n_out, r)] = g


@_jit
def _optimizer_step(st, shape, article, epoch, hp):
    """The optimiser's step of every parameter; ``article``: the hidden layer's gradient at
    the output layer's new weights, else every gradient at the same parameters."""
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    kind, n_par, base = _optimizer(shape), lay.acc_h, lay.rows
    t = epoch + 1.0  # the step's number
    c1, c2 = 1.0 - hp[0] ** t, math.sqrt(1.0 - hp[1] ** t)
    if not article:
        _hidden_gradient(st, shape)
    for p in range(lay.wo, lay.acc_h):
        _update_row(st, kind, p, lay.grad_o + p - lay.wo, base, n_par, hp, c1, c2)
    if article:
        _hidden_gradient(st, shape)
    for p in range(lay.wo):
        _update_row(st, kind, p, lay.acc_h + p * n_out, base, n_par, hp, c1, c2)
    st[lay.acc_h * LANES : lay.hid * LANES] = 0.0  # acc_h and grad_o, for the next epoch


@_jit
def _epoch(st, x, sign, shape, epoch, article, record, hp):
    """One epoch of one chunk; if ``record`` is not empty, it receives the parameters
    before the step and the clipped probabilities, sample by sample. ``hp``: the
    optimiser's hyper-parameters."""
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
    if _optimizer(shape) == 0:  # the article's gd, lr in the gradient sums
        _step(st, shape, article)
    else:
        _optimizer_step(st, shape, article, epoch, hp)


@_jit
def _train_chunks(
    states, x, sign, shape, first, epochs, article, record_every, history, final, hp, budgets, marks
):
    """Train every chunk from epoch ``first`` to ``epochs``, then score the trained networks.

    ``states`` (chunk, rows * LANES); ``x`` (sample, in); ``sign`` (sample,
    out). ``history`` (chunk, record, (acc_h + sample * out) * LANES) receives
    the records of the epochs from ``first`` on that are multiples of ``k =
    record_every`` (0 for none); ``final`` (chunk, (3 + 2 * sample * out) *
    LANES) the running product (mantissa, exponent) over the epochs and
    ``last_wrong``, then each sample's logits and clipped probabilities of the
    trained networks. At each epoch of ``budgets`` (ascending, from ``first``, < epochs),
    ``marks`` (chunk, budget, 3 * LANES) receives the running product before it and
    ``last_wrong`` after its forward pass (:mod:`xorsweep.training.budgets`).
    """
    n_in, hidden, n_out = _sizes(shape)
    lay = _layout(n_in, hidden, n_out)
    block = n_out * LANES
    no_record = states[0, :0]  # empty, of the states' type
    skipped = -(-first // record_every) if record_every > 0 else 0  # records before `first`
    in_registers = _sizes(shape) == (2, 2, 1) and _optimizer(shape) == 0 and x.shape[0] == 4
    mxcsr = _flush_subnormals(x[0, 0])  # float32: subnormals are zero (slow otherwise)
    for c in range(states.shape[0]):
        st = states[c]
        k = 0
        for epoch in range(first, epochs):
            recording = record_every > 0 and epoch % record_every == 0
            record = history[c, epoch // record_every - skipped] if recording else no_record
            marking = k < budgets.size and epoch == budgets[k]
            if marking:  # the losses of the epochs before: a training of `epoch` epochs
                marks[c, k, : 2 * LANES] = st[lay.mantissa * LANES : lay.last_wrong * LANES]
            if in_registers:  # the article's networks: _fused_small
                epoch_in_registers(st, x, sign, epoch, article, shape[3], record)
            else:
                _epoch(st, x, sign, shape, epoch, article, record, hp)
            if marking:  # and whether the networks of `epoch` updates are right
                marks[c, k, 2 * LANES :] = st[lay.last_wrong * LANES : (lay.last_wrong + 1) * LANES]
                k += 1
        out = final[c]
        out[: 3 * LANES] = st[lay.mantissa * LANES : (lay.last_wrong + 1) * LANES]
        for s in range(x.shape[0]):  # the trained networks, right or wrong at epoch `epochs`
            _forward(st, x, s, shape)
            _loss(st, sign, s, shape, epochs)
            start = 3 * LANES + 2 * s * block
            out[start : start + 2 * block] = st[lay.z * LANES : lay.z * LANES + 2 * block]
    _restore_subnormals(x[0, 0], mxcsr)


# --- the block: NumPy arrays in, NumPy arrays out --------------------------------------------


def train_block(
    population: Population,
    data: TruthTable,
    rates: tuple[np.ndarray, np.ndarray],
    settings: TrainingSettings,
    first_epoch: int = 0,
    carry: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Train ``population`` with the fused kernel: the NumPy engine's block, computed faster.

    The arguments are taken as checked by :func:`xorsweep.train`.

    Parameters
    ----------
    population : Population
        The block's initial networks; not modified.
    data : TruthTable
        Training data, with the population's numbers of inputs and outputs.
    rates : tuple of two ndarray, each of shape (run,)
        The factor of the output error: the learning rate times the gradient's
        scale (:func:`xorsweep.model.activations.gradient_scale`) for ``"gd"``, which
        folds it in, else the scale alone; and the optimiser's learning rates.
    settings : TrainingSettings
        Epochs, update order, activation, optimiser and its hyper-parameters,
        recording (multiples of ``record_every`` from ``first_epoch`` on).
    first_epoch : int
        The epoch ``population`` has reached, <= ``settings.epochs``: training goes on from it.
    carry : dict of str to ndarray, optional
        The running bookkeeping at ``first_epoch`` (``last_wrong`` (run,),
        ``loss_sum`` (run, 2) and ``optimizer_state`` (run, k, parameter), as
        this function returns them); None: epoch 0.

    Returns
    -------
    dict of str to ndarray
        The keys, shapes and dtypes of the NumPy engine's block:
        ``total_loss``, ``final_loss``, ``converged_epoch`` (run,),
        ``predictions`` (run, sample, out), the four parameters shaped as in
        :class:`Population`, and with ``record_every`` also ``epoch_loss``
        (run, epoch) and ``<parameter>_history`` (run, epoch, ...), with
        ``budgets`` ``budget_total_loss`` and ``budget_converged_epoch`` (run,
        budget). A run's
        numbers do not depend on the other runs of the block. Also the
        bookkeeping to train on from ``epochs``: ``last_wrong`` (run,), int64,
        ``loss_sum`` (run, 2), the running product of the clipped probabilities
        as (mantissa, exponent), ``pending`` (run, 0, sample, out), empty, and
        ``optimizer_state`` (run, k, parameter).

    Examples
    --------
    >>> from xorsweep import init_population, xor
    >>> from xorsweep.training.settings import TrainingSettings
    >>> rates = (np.full(3, 0.1), np.full(3, 0.1))
    >>> res = train_block(init_population(3, seed=0), xor(), rates, TrainingSettings(2000))
    >>> res["total_loss"].shape, res["predictions"].shape
    ((3,), (3, 4, 1))
    """
    runs, n_in, hidden, n_out = (
        population.runs,
        population.n_in,
        population.hidden,
        population.n_out,
    )
    samples, epochs, record_every = data.samples, settings.epochs, settings.record_every
    entry = settings.optimizer_entry
    lay = _layout(n_in, hidden, n_out)
    n_par, n_state = lay.acc_h, len(entry.state)
    # gd: the rows of _fused_small's epoch; else the optimiser's lr and state rows
    extra = SCRATCH_ROWS if entry.code == 0 else 1 + 2 * n_par
    chunks = -(-runs // LANES)
    # (row, run); padding lanes: all zero, lr 0
    dtype = np.dtype(settings.precision)  # the kernel computes in the state's type
    lanes = np.zeros((lay.rows + extra, chunks * LANES), dtype)
    lanes[: lay.wo, :runs] = to_rows(population.hidden_weights, population.hidden_bias)
    lanes[lay.wo : lay.acc_h, :runs] = to_rows(population.output_weights, population.output_bias)
    lanes[lay.mantissa] = 1.0
    if carry is not None:
        lanes[lay.mantissa : lay.last_wrong, :runs] = carry["loss_sum"].T
        lanes[lay.last_wrong, :runs] = carry["last_wrong"]
        moments = carry["optimizer_state"]  # (run, k, parameter)
        for k in range(moments.shape[1]):
            start = lay.rows + 1 + k * n_par
            lanes[start : start + n_par, :runs] = moments[:, k].T
    lanes[lay.lr, :runs] = rates[0]
    if extra:
        lanes[lay.rows, :runs] = rates[1]
    states = chunked(lanes)
    records = 0  # the multiples of record_every from first_epoch to epochs - 1
    if record_every:
        records = -(-epochs // record_every) - -(-first_epoch // record_every)
    history = np.empty((chunks, records, (lay.acc_h + samples * n_out) * LANES), dtype)
    final = np.empty((chunks, (3 + 2 * samples * n_out) * LANES), dtype)
    marked = inside(settings.budgets, epochs)
    marks = np.empty((chunks, marked.size, 3 * LANES), dtype)
    shape = (
        (0,) * n_in, (0,) * hidden, (0,) * n_out,
        (0,) * settings.activation_entry.code, (0,) * entry.code,
    )  # fmt: skip
    sign = (2.0 * data.targets - 1.0).astype(dtype)
    article = settings.update == "article"
    args = (first_epoch, epochs, article, record_every or 0, history, final)
    _train_chunks(
        states, data.inputs.astype(dtype), sign, shape, *args, entry.vector(settings.hyper),
        marked, marks,
    )  # fmt: skip
    scored = unchunked(final, runs).astype(np.float64)  # results in float64 either way
    trained = unchunked(states, runs).astype(np.float64)
    res = scores(scored, epochs, samples, n_out)
    res["converged_epoch"] = converged(trained[lay.last_wrong], epochs)
    res.update(parameters(trained[: lay.acc_h], n_in, hidden))
    res["last_wrong"] = scored[2].astype(np.int64)
    res["loss_sum"] = np.ascontiguousarray(scored[:2].T)
    res["pending"] = np.empty((runs, 0, samples, n_out))
    moments = trained[lay.rows + 1 : lay.rows + 1 + n_state * n_par]  # (k * parameter, run)
    res["optimizer_state"] = np.ascontiguousarray(moments.T.reshape(runs, n_state, n_par))
    if settings.budgets:
        rows = unchunked(marks.reshape(chunks, 3 * marked.size, LANES), runs)
        rows = rows.reshape(marked.size, 3, runs)
        res.update(with_last(fused_marks(rows, marked, samples * n_out), res, settings.budgets))
    if record_every:
        rec = unchunked(history, runs).astype(np.float64)  # (record, row, run)
        loss = mean_loss(np.moveaxis(rec[:, lay.acc_h :], 1, 0))  # (record, run)
        res["epoch_loss"] = np.ascontiguousarray(loss.T)
        for name, value in parameters(rec[:, : lay.acc_h], n_in, hidden).items():
            res[f"{name}_history"] = value
    return res


def warm(
    n_in: int,
    hidden: int,
    n_out: int,
    activation: str = "sigmoid",
    precision: str = "float64",
    optimizer: str = "gd",
) -> None:
    """Compile (or load from numba's cache) the kernel for networks ``n_in -> hidden -> n_out``
    with this hidden ``activation``, ``precision`` and ``optimizer``: trains one network for no
    epoch.

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
    settings = TrainingSettings(
        0, activation=activation, engine="numba", precision=precision, optimizer=optimizer
    )
    train_block(pop, data, (np.ones(1), np.ones(1)), settings)
