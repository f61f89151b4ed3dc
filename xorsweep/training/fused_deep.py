"""The fused numba kernel for networks of any depth and width: all epochs of a chunk in one loop.

:mod:`xorsweep.training.fused` is compiled for each network shape; this kernel
is compiled once, for every depth and width: the shapes are arrays read at run
time (``sizes``, the offsets of each layer's rows), and the hidden activation
and the optimiser are codes (:data:`xorsweep.model.activations.TABLE`,
:data:`xorsweep.training.optimizers.TABLE`) whose branches sit outside the loops
over runs. As in :mod:`~xorsweep.training.fused`, a chunk of :data:`LANES` runs
is trained together, each number of a network a row of ``LANES`` values (run
last): every pass is a loop over the lanes that LLVM turns into SIMD
instructions, one lane per run, and no lane reads another's numbers.

An epoch, for layers ``l = 0..L`` (``L`` hidden layers, then the output layer)
with ``a_0 = x``, ``a_{l+1} = f(a_l @ W_l + b_l)`` and the output a sigmoid:

* forward, sample by sample, keeping every layer's outputs;
* loss: the clipped probability of the correct target into a running product
  (a mantissa and an exponent, :func:`~xorsweep.training._fused_math._carry`),
  the output error ``d_{L+1} = c (y_hat - y)``, ``c`` the learning rate (gd, which
  folds it in) times the gradient's scale (:func:`xorsweep.model.activations.gradient_scale`);
* backward, layer by layer from the top: the gradient ``a_l.T @ d_{l+1}`` summed
  over samples, then ``d_l = (d_{l+1} @ W_l.T) f'(a_l)`` written over ``a_l``.
  ``update="article"`` steps ``W_l`` before ``d_l`` is taken, so each layer's
  gradient is taken at the already stepped weights above it (for one hidden
  layer, the article's loop); ``"simultaneous"`` steps every layer at the end.

Measurements are in BENCHMARKS.md (``benchmarks/bench_deep.py``).
"""

from __future__ import annotations

import math

import numpy as np

from ..model.activations import gradient_scale
from ..model.network import CLIP
from ._fused_math import _activate, _carry, _jit, _sigmoid, _updated
from .budgets import fused_marks, inside, with_last
from .fused_results import converged, mean_loss, summed_loss
from .settings import TrainingSettings, check_budgets

__all__ = ["train_deep", "LANES"]

#: Runs trained together, one per SIMD lane: a multiple of every SIMD width.
LANES = 64

# rows of ``misc`` (row, lane): the running product as mantissa * 2**exponent, 1 + the last
# epoch with a probability <= 0.5 (0: none), the output error's factor, the optimiser's lr
_MANTISSA, _EXPONENT, _LAST_WRONG, _FACTOR, _LR = range(5)


# --- forward and loss ------------------------------------------------------------------------
# ``a`` (unit, lane) holds one sample's units: the inputs, then each layer's outputs; the
# weights of layer l are the rows ``w + i * n_b + j`` of ``par`` (row, lane), its bias rows
# ``w + n_a * n_b + j``.


@_jit(inline="always")
def _activate_row(a, row, kind):
    """``f`` of row ``row`` in place; the branch outside the lanes' loop."""
    if kind == 1:
        for r in range(LANES):
            a[row, r] = _activate(a[row, r], 1)
    elif kind == 2:
        for r in range(LANES):
            a[row, r] = _activate(a[row, r], 2)
    else:
        for r in range(LANES):
            a[row, r] = _activate(a[row, r], 0)


@_jit
def _forward(par, a, sizes, w_at, a_at, kind):
    """One sample's hidden outputs and output logits, every layer's rows of ``a``."""
    depth = w_at.size
    for k in range(depth):
        n_a, n_b, w, lo, hi = sizes[k], sizes[k + 1], w_at[k], a_at[k], a_at[k + 1]
        for j in range(n_b):  # the biases, then the inputs' terms in the parameters' order
            for r in range(LANES):
                a[hi + j, r] = par[w + n_a * n_b + j, r]
        for i in range(n_a):
            for j in range(n_b):
                row = w + i * n_b + j
                for r in range(LANES):
                    a[hi + j, r] += a[lo + i, r] * par[row, r]
        if k < depth - 1:
            for j in range(n_b):
                _activate_row(a, hi + j, kind)


@_jit
def _loss(a, misc, sign, s, out, epoch, final):
    """The clipped probabilities into the running product, a wrong one, and the output error
    ``factor * (y_hat - y)`` over the logits; ``final`` (2 * out, lane), if not empty, receives
    the logits and the clipped probabilities."""
    for o in range(sign.shape[1]):
        row, sg = out + o, sign[s, o]
        if final.size:  # the trained networks: their logits and clipped probabilities
            for r in range(LANES):
                final[o, r] = a[row, r]
                final[sign.shape[1] + o, r] = min(max(_sigmoid(sg * a[row, r]), CLIP), 1.0 - CLIP)
        for r in range(LANES):
            p = _sigmoid(sg * a[row, r])  # the probability given to the correct target
            clipped = min(max(p, CLIP), 1.0 - CLIP)
            product, exponent = _carry(misc[_MANTISSA, r] * clipped)
            misc[_MANTISSA, r] = product
            misc[_EXPONENT, r] += exponent
            wrong = misc[_LAST_WRONG, r]
            misc[_LAST_WRONG, r] = wrong if p > 0.5 else epoch + 1.0  # a tie or NaN is wrong
            a[row, r] = (p - 1.0) * (sg * misc[_FACTOR, r])


# --- backward and step -----------------------------------------------------------------------


@_jit
def _gradient(grad, act, n_a, n_b, w, lo, hi):
    """Layer ``w``'s gradient, summed over samples: ``a_l.T @ d_{l+1}`` and ``sum d_{l+1}``."""
    bias = w + n_a * n_b
    for q in range(w, bias + n_b):
        for r in range(LANES):
            grad[q, r] = 0.0
    for s in range(act.shape[0]):
        a = act[s]
        for i in range(n_a):
            for j in range(n_b):
                row = w + i * n_b + j
                for r in range(LANES):
                    grad[row, r] += a[lo + i, r] * a[hi + j, r]
        for j in range(n_b):
            for r in range(LANES):
                grad[bias + j, r] += a[hi + j, r]


@_jit
def _delta(par, a, tmp, n_a, n_b, w, lo, hi, kind):
    """One sample's ``d_l = (d_{l+1} @ W_l.T) f'(a_l)`` over its outputs ``a_l`` (rows ``lo``)."""
    for i in range(n_a):
        for r in range(LANES):
            tmp[r] = a[hi, r] * par[w + i * n_b, r]
        for j in range(1, n_b):
            row = w + i * n_b + j
            for r in range(LANES):
                tmp[r] += a[hi + j, r] * par[row, r]
        u = lo + i
        if kind == 1:  # f' from the output h: 1 - h**2 (tanh), h > 0 (ReLU), h (1 - h)
            for r in range(LANES):
                a[u, r] = tmp[r] * (1.0 - a[u, r] * a[u, r])
        elif kind == 2:
            for r in range(LANES):
                a[u, r] = tmp[r] * (1.0 if a[u, r] > 0.0 else 0.0)
        else:
            for r in range(LANES):
                a[u, r] = tmp[r] * a[u, r] * (1.0 - a[u, r])


@_jit(inline="always")
def _step_kind(par, grad, opt, misc, lo, hi, kind, hp, c1, c2):
    """Rows ``lo`` to ``hi`` of ``par`` stepped by optimiser ``kind`` (a constant here)."""
    n_par = par.shape[0]
    for p in range(lo, hi):
        for r in range(LANES):
            w, s0, s1 = _updated(
                kind, par[p, r], grad[p, r], opt[p, r], opt[n_par + p, r], misc[_LR, r], hp, c1, c2
            )
            par[p, r] = w
            opt[p, r] = s0
            opt[n_par + p, r] = s1


@_jit
def _step(par, grad, opt, misc, lo, hi, kind, hp, c1, c2):
    """The optimiser's step of rows ``lo`` to ``hi``: one branch per code, outside the loops."""
    if kind == 0:  # gd: the learning rate is in the gradient
        for p in range(lo, hi):
            for r in range(LANES):
                par[p, r] -= grad[p, r]
    elif kind == 1:
        _step_kind(par, grad, opt, misc, lo, hi, 1, hp, c1, c2)
    elif kind == 2:
        _step_kind(par, grad, opt, misc, lo, hi, 2, hp, c1, c2)
    elif kind == 3:
        _step_kind(par, grad, opt, misc, lo, hi, 3, hp, c1, c2)
    else:
        _step_kind(par, grad, opt, misc, lo, hi, 4, hp, c1, c2)


@_jit
def _epoch(par, grad, opt, misc, act, tmp, sign, sizes, w_at, a_at, codes, epoch, article, hp):
    """One epoch of one chunk: forward and loss for every sample, then backward and step."""
    kind, optimizer = codes[0], codes[1]
    depth = w_at.size
    none = np.empty((0, LANES))
    for s in range(act.shape[0]):
        _forward(par, act[s], sizes, w_at, a_at, kind)
        _loss(act[s], misc, sign, s, a_at[depth], epoch, none)
    t = epoch + 1.0  # the step's number, for Adam's bias corrections
    c1, c2 = 1.0 - hp[0] ** t, math.sqrt(1.0 - hp[1] ** t)
    for k in range(depth - 1, -1, -1):
        n_a, n_b, w = sizes[k], sizes[k + 1], w_at[k]
        _gradient(grad, act, n_a, n_b, w, a_at[k], a_at[k + 1])
        if article:  # this layer first: the layers below see its new weights
            _step(par, grad, opt, misc, w, w + (n_a + 1) * n_b, optimizer, hp, c1, c2)
        if k > 0:
            for s in range(act.shape[0]):
                _delta(par, act[s], tmp, n_a, n_b, w, a_at[k], a_at[k + 1], kind)
    if not article:
        _step(par, grad, opt, misc, 0, par.shape[0], optimizer, hp, c1, c2)


@_jit
def _train_chunks(
    par, opt, misc, act, sign, sizes, w_at, a_at, codes, epochs, article, hp, final, budgets, marks
):
    """Train every chunk (first axis of ``par``, ``opt``, ``misc``) for ``epochs`` epochs, then
    score the trained networks into ``final`` (chunk, sample, 2 * out, lane). At each epoch
    ``b`` of ``budgets`` (ascending, < epochs), ``marks`` (chunk, budget, 3, lane) receives the
    running product before it and ``last_wrong`` after its forward pass (module
    :mod:`xorsweep.training.budgets`)."""
    grad = np.empty((par.shape[1], LANES))
    tmp = np.empty(LANES)
    depth = w_at.size
    for c in range(par.shape[0]):
        k = 0
        for epoch in range(epochs):
            marking = k < budgets.size and epoch == budgets[k]
            if marking:  # the losses of the epochs before: a training of `epoch` epochs
                marks[c, k, :_LAST_WRONG] = misc[c, :_LAST_WRONG]
            _epoch(
                par[c], grad, opt[c], misc[c], act, tmp, sign, sizes, w_at, a_at, codes,
                epoch, article, hp,
            )  # fmt: skip
            if marking:  # and whether the networks of `epoch` updates are right
                marks[c, k, _LAST_WRONG] = misc[c, _LAST_WRONG]
                k += 1
        kept = misc[c, : _EXPONENT + 1].copy()  # the sum over the trained epochs' losses
        for s in range(act.shape[0]):  # the trained networks, right or wrong at epoch `epochs`
            _forward(par[c], act[s], sizes, w_at, a_at, codes[0])
            _loss(act[s], misc[c], sign, s, a_at[depth], epochs, final[c, s])
        misc[c, : _EXPONENT + 1] = kept


# --- the population: NumPy arrays in, NumPy arrays out ------------------------------------------


def train_deep(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    epochs: int,
    rates: np.ndarray,
    settings: TrainingSettings,
    budgets: tuple[int, ...] | None = None,
) -> dict:
    """Train a population of deep networks with the fused kernel, every run in lockstep.

    Parameters
    ----------
    weights : list of ndarray, shapes (run, n_l, n_{l+1})
        Layer ``l``'s weights for ``l = 0..L``: ``L >= 1`` hidden layers, then the
        output layer; ``n_0 = in``, ``n_{L+1} = out``. Not modified.
    biases : list of ndarray, shapes (run, 1, n_{l+1})
        Layer ``l``'s biases. Not modified.
    x : ndarray, shape (sample, in)
        The inputs.
    y : ndarray, shape (sample, out)
        The targets, each 0 or 1.
    epochs : int
        Gradient steps, >= 0.
    rates : ndarray, shape (run,)
        Each run's learning rate, finite and > 0.
    settings : TrainingSettings
        Its ``activation`` (the hidden layers'; the output is a sigmoid),
        ``gradient``, ``optimizer`` with its hyper-parameters and ``update`` are
        read; its ``epochs``, ``lr`` and ``budgets`` are not (the arguments are).
    budgets : tuple of int, optional
        Strictly increasing epochs from 1 to ``epochs``, each also scored as if training
        had stopped there (:mod:`xorsweep.training.budgets`).

    Returns
    -------
    dict
        ``total_loss`` (run,): the mean clipped BCE over samples and outputs,
        summed over epochs 0..epochs-1; ``final_loss`` (run,): the trained
        networks'; ``converged_epoch`` (run,): the first epoch from which every
        prediction is right to the end, NaN if the trained network is wrong
        (as :func:`xorsweep.train`); ``predictions`` (run, sample, out); and the
        trained ``weights`` and ``biases``, lists shaped as the arguments. With
        ``budgets``, also ``budget_total_loss`` and ``budget_converged_epoch``
        (run, budget): those of a training of each budget's epochs.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> shapes = [(2, 4), (4, 4), (4, 1)]
    >>> w = [rng.normal(size=(3, a, b)) for a, b in shapes]
    >>> b = [rng.normal(size=(3, 1, n)) for _, n in shapes]
    >>> x, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [1], [1], [0]])
    >>> res = train_deep(w, b, x, y, 100, np.full(3, 0.1), TrainingSettings())
    >>> res["total_loss"].shape, [v.shape for v in res["weights"]]
    ((3,), [(3, 2, 4), (3, 4, 4), (3, 4, 1)])
    """
    weights, biases, x, y, rates, sizes = _checked(weights, biases, x, y, rates, settings)
    epochs = _check_epochs(epochs)
    budgets = check_budgets(budgets, epochs)
    marked = inside(budgets, epochs)
    runs, samples, n_out = rates.shape[0], x.shape[0], y.shape[1]
    n_par = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    w_at = np.cumsum([0] + [(a + 1) * b for a, b in zip(sizes[:-2], sizes[1:-1], strict=True)])
    a_at = np.cumsum([0, *sizes[:-1]])
    chunks = -(-runs // LANES)
    entry = settings.optimizer_entry
    act = np.zeros((samples, int(a_at[-1]) + n_out, LANES))
    act[:, : x.shape[1]] = x[:, :, None]  # the inputs: rows no pass writes
    opt = np.zeros((chunks, 0 if entry.folds_lr else 2 * n_par, LANES))
    final = np.empty((chunks, samples, 2 * n_out, LANES))
    marks = np.empty((chunks, marked.size, 3, LANES))
    par = _chunked(_packed(weights, biases, w_at, n_par, chunks))
    misc_c = _chunked(_misc(rates, settings, samples, n_out, chunks))
    codes = np.array([settings.activation_entry.code, entry.code], dtype=np.int64)
    _train_chunks(
        par, opt, misc_c, act, 2.0 * y - 1.0, np.asarray(sizes, dtype=np.int64), w_at, a_at,
        codes, epochs, settings.update == "article", entry.vector(settings.hyper), final,
        marked, marks,
    )  # fmt: skip
    res = _results(_unchunked(misc_c, runs), _unchunked(final.reshape(chunks, -1, LANES), runs),
                   epochs, n_out)  # fmt: skip
    res["weights"], res["biases"] = _unpacked(_unchunked(par, runs), w_at, sizes)
    if budgets:
        rows = _unchunked(marks.reshape(chunks, -1, LANES), runs).reshape(marked.size, 3, runs)
        res.update(with_last(fused_marks(rows, marked, samples * n_out), res, budgets))
    return res


def _misc(rates, settings, samples: int, n_out: int, chunks: int) -> np.ndarray:
    """The rows of ``misc`` (row, run) at epoch 0, padded to whole chunks (rates 0)."""
    entry, runs = settings.optimizer_entry, rates.shape[0]
    scale = gradient_scale(settings.gradient, samples, n_out)
    misc = np.zeros((5, chunks * LANES))
    misc[_MANTISSA] = 1.0
    misc[_FACTOR, :runs] = rates * scale if entry.folds_lr else scale
    misc[_LR, :runs] = rates
    return misc


def _packed(weights, biases, w_at, n_par: int, chunks: int) -> np.ndarray:
    """Every layer's weights, then its bias, as rows (parameter, run) padded to whole chunks
    (padding lanes zero)."""
    runs = weights[0].shape[0]
    rows = np.zeros((n_par, chunks * LANES))
    for w, b, at in zip(weights, biases, w_at, strict=True):
        both = np.concatenate([w, b], axis=1)  # (run, n_a + 1, n_b), the bias last
        rows[at : at + both[0].size, :runs] = both.reshape(runs, -1).T
    return rows


def _unpacked(trained: np.ndarray, w_at, sizes) -> tuple[list, list]:
    """Every layer's weights (run, n_a, n_b) and bias (run, 1, n_b) from the rows (row, run)."""
    weights, biases, runs = [], [], trained.shape[1]
    for at, n_a, n_b in zip(w_at, sizes[:-1], sizes[1:], strict=False):
        both = trained[at : at + (n_a + 1) * n_b].T.reshape(runs, n_a + 1, n_b)
        weights.append(np.ascontiguousarray(both[:, :n_a]))
        biases.append(np.ascontiguousarray(both[:, n_a:]))
    return weights, biases


def _results(misc: np.ndarray, scored: np.ndarray, epochs: int, n_out: int) -> dict:
    """The losses, convergence and predictions from ``misc`` (row, run) and the trained
    networks' logits and clipped probabilities ``scored`` (sample * 2 * out, run)."""
    runs = misc.shape[1]
    scored = scored.reshape(-1, 2, n_out, runs)  # (sample, logit | clipped, out, run)
    terms = scored.shape[0] * n_out
    with np.errstate(over="ignore"):  # exp(-z) -> inf is the correct limit of the sigmoid
        y_hat = 1.0 / (1.0 + np.exp(-scored[:, 0]))
    return {
        "total_loss": summed_loss(misc[_MANTISSA], misc[_EXPONENT], terms),
        "final_loss": mean_loss(scored[:, 1].reshape(terms, runs)),
        "converged_epoch": converged(misc[_LAST_WRONG], epochs),
        "predictions": np.ascontiguousarray(y_hat.transpose(2, 0, 1)),
    }


def _check_epochs(epochs: object) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    return int(epochs)


def _checked(weights, biases, x, y, rates, settings) -> tuple:
    """The arguments as float64 arrays and the units of each layer, or a ValueError naming
    the first bad one."""
    if not isinstance(settings, TrainingSettings):
        raise ValueError(f"settings must be a TrainingSettings, got {type(settings).__name__}")
    if not isinstance(weights, (list, tuple)) or len(weights) < 2:
        raise ValueError("weights must be a list of at least 2 layers (>= 1 hidden, then output)")
    if not isinstance(biases, (list, tuple)) or len(biases) != len(weights):
        raise ValueError(f"biases must be a list of {len(weights)} layers, one per weights'")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be a finite (sample, in) array, got shape {x.shape}")
    if y.shape[:1] != x.shape[:1] or y.ndim != 2 or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"y must be a (sample={x.shape[0]}, out) array of 0s and 1s")
    rates = np.asarray(rates, dtype=float)
    if rates.ndim != 1 or rates.size == 0 or not np.all(np.isfinite(rates) & (rates > 0)):
        raise ValueError("rates must be a (run,) array of finite learning rates > 0, run >= 1")
    runs, sizes = rates.shape[0], [x.shape[1]]
    weights = [np.asarray(w, dtype=float) for w in weights]
    biases = [np.asarray(b, dtype=float) for b in biases]
    for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
        if w.ndim != 3 or w.shape[:2] != (runs, sizes[-1]) or w.shape[2] == 0:
            raise ValueError(
                f"weights[{k}] must have shape (run={runs}, {sizes[-1]}, units >= 1), got {w.shape}"
            )
        if b.shape != (runs, 1, w.shape[2]):
            raise ValueError(f"biases[{k}] must have shape {(runs, 1, w.shape[2])}, got {b.shape}")
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            raise ValueError(f"weights[{k}] and biases[{k}] must be finite")
        sizes.append(w.shape[2])
    if sizes[-1] != y.shape[1]:
        raise ValueError(f"the output layer has {sizes[-1]} units but y has {y.shape[1]} columns")
    return weights, biases, x, y, rates, sizes


def _chunked(lanes: np.ndarray) -> np.ndarray:
    """(row, run) with whole chunks of runs as (chunk, row, LANES), each chunk contiguous."""
    rows = lanes.shape[0]
    return np.ascontiguousarray(lanes.reshape(rows, -1, LANES).transpose(1, 0, 2))


def _unchunked(chunked: np.ndarray, runs: int) -> np.ndarray:
    """(chunk, row, LANES) as (row, run), without the padding lanes."""
    moved = chunked.transpose(1, 0, 2)
    return moved.reshape(chunked.shape[1], -1)[:, :runs]
