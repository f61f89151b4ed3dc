"""One block of networks trained in place with NumPy: the schedule behind :mod:`.training`.

Every network follows exactly the equations of :mod:`xorsweep.training.reference`, but
all networks of a block advance together, one NumPy call per equation and
epoch, so the interpreter's cost is shared by thousands of networks. All work
arrays are made once and every call writes into them; constants are 0-d
arrays, which NumPy takes faster than Python floats. Every elementwise
operation is its own correctly rounded ufunc call, so a network's numbers do
not depend on its position in the block or on the block's size.

Inside a block the run axis is last (contiguous), and the parameters are one
flat buffer in the packing of :func:`xorsweep.model.network.unpack_parameters` with
the run axis last. Each layer's bias row follows its weight rows, so each
layer is one matrix with the bias as its last row:

* ``wh`` has shape (in + 1, hidden, run): rows ``0..in-1`` the weights, row ``in`` the bias;
* ``wo`` has shape (hidden + 1, out, run), likewise.

This makes the forward pass and the hidden layer's gradient each a single
matrix product with the inputs ``[x, 1]``.

The hidden layer's activation is an entry of :data:`xorsweep.model.activations.TABLE`,
whose in-place steps compute it and its derivative; the gradient's reduction
(:func:`~xorsweep.model.activations.gradient_scale`) is folded into the output error
by the caller, with the learning rate for ``"gd"``. :class:`Descent` applies an
entry of :data:`xorsweep.training.optimizers.TABLE` to a layer's rows with its state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core.compat import clip
from ..model.activations import Activation
from ..model.network import (
    CLIP,
    Population,
    n_parameters,
    sigmoid,
    unpack_parameters,
    widths_of,
)
from ..model.truth_tables import TruthTable

__all__ = [
    "ParameterBlock",
    "Workspace",
    "Descent",
    "LossTally",
    "forward_pass",
    "gradient_step",
]

# Products of at most this many clipped probabilities (each >= 1e-15) cannot underflow.
_PRODUCT_CHUNK = 16


@dataclass
class ParameterBlock:
    """Parameters of ``B`` networks in the block layout, in one flat buffer.

    ``params`` holds each layer's matrix in turn, first to output (all views
    of it), so that one NumPy call can update every parameter of the block.
    """

    params: np.ndarray  # (n,) with n = n_parameters(i, hidden, o) * r
    wh: np.ndarray  # (i+1, h, r): the first hidden layer, bias row last
    wo: np.ndarray  # (h_L+1, o, r): the output layer, bias row last
    layers: tuple[np.ndarray, ...] = ()  # every layer (n_l+1, n_{l+1}, r), wh first, wo last

    @classmethod
    def empty(
        cls, n_in: int, hidden: int | tuple[int, ...], n_out: int, runs: int
    ) -> ParameterBlock:
        """A block of uninitialised parameters (also used for gradients)."""
        sizes = (n_in, *widths_of(hidden), n_out)
        params = np.empty(n_parameters(n_in, hidden, n_out) * runs)
        layers, start = [], 0
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            stop = start + (fan_in + 1) * fan_out * runs  # the weights, then the bias row
            layers.append(params[start:stop].reshape(fan_in + 1, fan_out, runs))
            start = stop
        return cls(params, layers[0], layers[-1], tuple(layers))

    @classmethod
    def from_population(cls, pop: Population, start: int, stop: int) -> ParameterBlock:
        """The networks ``start`` to ``stop - 1`` of ``pop``."""
        blk = cls.empty(pop.n_in, pop.hidden, pop.n_out, stop - start)
        params = pop.parameters()
        for name, view in blk.tensors().items():
            view[...] = params[name][start:stop].transpose(1, 2, 0)
        return blk

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.layers) - 1

    @property
    def hidden(self) -> int | tuple[int, ...]:
        """The hidden width (one layer) or widths, as :attr:`Population.hidden`."""
        widths = tuple(layer.shape[1] for layer in self.layers[:-1])
        return widths[0] if len(widths) == 1 else widths

    def tensors(self) -> dict[str, np.ndarray]:
        """Views of the tensors, run last: (i, h, r), (1, h, r), ..., (h, o, r), (1, o, r)."""
        i1, _, r = self.wh.shape
        return unpack_parameters(
            self.params.reshape(-1, r), i1 - 1, self.hidden, self.wo.shape[1], run_last=True
        )

    def parameters(self) -> dict[str, np.ndarray]:
        """Copies of the tensors in the public layout (run first)."""
        return {name: view.transpose(2, 0, 1).copy() for name, view in self.tensors().items()}


@dataclass
class Workspace:
    """The arrays an epoch reads and writes besides the parameters.

    Shapes: hidden work arrays (s, h, r), output work arrays (s, o, r).
    """

    x: np.ndarray  # (s, i+1): [x, 1], gives z_h in one product
    neg_x: np.ndarray  # (s, i+1): -[x, 1], gives -z_h in one product
    x_t: np.ndarray  # (i+1, s): [x, 1].T, contiguous
    neg_sign: np.ndarray  # (s, o, 1): -1 where the target is 1, +1 where it is 0
    signed_lr: np.ndarray  # (s, o, r): lr * sign, lr including the gradient's scale
    one: np.ndarray  # 1.0, 0-d
    hid: np.ndarray  # hidden outputs
    work: np.ndarray  # products, then the hidden layer's error
    z: np.ndarray  # z_o, the output layer's logits
    prob: np.ndarray  # probability given to the correct target
    err: np.ndarray  # lr * (y_hat - y)
    grads: ParameterBlock  # gradients, in the parameters' layout

    @classmethod
    def for_block(cls, blk: ParameterBlock, data: TruthTable, lr: np.ndarray) -> Workspace:
        """The work arrays of ``blk`` trained on ``data`` with learning rates ``lr`` (r,)."""
        s, o = data.samples, data.n_out
        i1, h, r = blk.wh.shape
        x1 = np.hstack([data.inputs, np.ones((s, 1))])  # (s, i+1)
        # sign[s, o] = +1 where the target is 1 and -1 where it is 0, so that the
        # probability given to the correct target is p = sigmoid(sign * z_o) and the
        # output error is y_hat - y = sign * (p - 1).
        sign = 2.0 * data.targets[:, :, None] - 1.0  # (s, o, 1)
        return cls(
            x=x1,
            neg_x=-x1,
            x_t=np.ascontiguousarray(x1.T),
            neg_sign=-sign,
            signed_lr=sign * lr,
            one=np.ones(()),
            hid=np.empty((s, h, r)),
            work=np.empty((s, h, r)),
            z=np.empty((s, o, r)),
            prob=np.empty((s, o, r)),
            err=np.empty((s, o, r)),
            grads=ParameterBlock.empty(i1 - 1, blk.hidden, o, r),
        )

    def predictions(self) -> np.ndarray:
        """``y_hat = sigmoid(z_o)`` of the last forward pass, shape (s, o, r)."""
        return sigmoid(self.z)


class Descent:
    """The optimiser's step on a block, a layer's rows at a time, with its state.

    Called with a layer's index (0 the first hidden layer, ``depth`` the
    output layer; ``"hidden"`` and ``"output"`` name the first and the last)
    or ``"all"`` once those rows' gradients are in ``grads``: steps the rows
    of ``blk`` by the optimiser of ``settings``
    (:data:`xorsweep.training.optimizers.TABLE`) at learning rates ``lr``
    (r,). The state is one array (n, r) per name of the optimiser's
    ``state``, zero at epoch 0 or ``moments`` (r, k, n) from a carry; the
    step's number counts from ``first_epoch + 1`` and goes up once the first
    layer's rows (the last stepped in either order) are stepped.
    """

    def __init__(self, blk, grads, settings, lr, moments, first_epoch: int) -> None:
        entry, r = settings.optimizer_entry, blk.wh.shape[2]
        params, grad = blk.params.reshape(-1, r), grads.params.reshape(-1, r)
        if moments is None or moments.shape[1] == 0:
            self.state = np.zeros((len(entry.state), *params.shape))
        else:
            self.state = np.ascontiguousarray(moments.transpose(1, 2, 0))  # (k, n, r)
        bounds = np.cumsum([0] + [layer.size // r for layer in blk.layers])
        rows: dict[object, slice] = {
            k: slice(int(a), int(b))
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
        }
        rows["all"] = slice(None)
        self.views = {
            part: (params[sl], grad[sl], tuple(s[sl] for s in self.state))
            for part, sl in rows.items()
        }
        self.names = {"hidden": 0, "output": len(blk.layers) - 1}
        self.update, self.lr, self.hyper = entry.update, lr, settings.hyper
        self.step = first_epoch + 1

    def __call__(self, part: object) -> None:
        part = self.names.get(part, part)  # type: ignore[call-overload]
        theta, grad, state = self.views[part]
        self.update(theta, grad, state, self.lr, self.hyper, self.step)
        if part in (0, "all"):  # the first layer's rows come last in each epoch
            self.step += 1

    def saved(self) -> np.ndarray:
        """The state as a carry holds it, (r, k, n)."""
        return self.state.transpose(2, 0, 1).copy()


def forward_pass(blk: ParameterBlock, ws: Workspace, activation: Activation) -> Callable[[], None]:
    """The forward pass: hidden outputs ``ws.hid``, logits ``ws.z``, probabilities ``ws.prob``.

    A closure over the arrays, made once: an epoch is short enough at small
    blocks that attribute look-ups would show. ``activation`` is the hidden
    layer's table entry (:data:`xorsweep.model.activations.TABLE`).
    """
    hid, work, z, prob, one = ws.hid, ws.work, ws.z, ws.prob, ws.one
    neg_sign, apply = ws.neg_sign, activation.apply
    x_h = ws.neg_x if activation.negated else ws.x  # the sigmoid is computed from -z_h
    s, h, r = hid.shape
    wh2, hid2 = blk.wh.reshape(-1, h * r), hid.reshape(s, h * r)
    w_out, b_out = blk.wo[:h], blk.wo[h]  # (h, o, r), (o, r)
    single = z.shape[1] == 1
    # z_o[s, r] = sum_h hid[s, h, r] * w_o[h, r] with one output: products, then a
    # sum over h in order (faster than np.add.reduce over a middle axis)
    w_out1, z1 = w_out[:, 0], z[:, 0]
    work_h = [work[:, k] for k in range(h)]
    sums = [(work_h[0], work_h[1] if h > 1 else np.zeros(()))]
    sums += [(z1, term) for term in work_h[2:]]

    def forward() -> None:
        np.matmul(x_h, wh2, out=hid2)  # z_h (or -z_h), bias included
        apply(hid, one)  # f(z_h)
        if single:
            np.multiply(hid, w_out1, work)
            for left, right in sums:
                np.add(left, right, z1)
        else:
            np.einsum("shr,hor->sor", hid, w_out, out=z)
        np.add(z, b_out, z)
        np.multiply(z, neg_sign, prob)
        np.exp(prob, prob)
        np.add(prob, one, prob)
        np.divide(one, prob, prob)  # p = sigmoid(sign * z_o)

    return forward


def gradient_step(
    blk: ParameterBlock, ws: Workspace, article: bool, activation: Activation, descend: Descent
) -> Callable[[], None]:
    """One step on ``blk`` from the last forward pass (a closure, as above).

    ``article``: update the output layer first and take the hidden layer's
    error with its new weights; otherwise every gradient is taken at the same
    parameters. ``activation``: the hidden layer's table entry, as in
    :func:`forward_pass`. ``descend`` applies the optimiser's step to the rows
    of a layer once its gradient is in ``ws.grads``. Overwrites ``ws.hid``.
    """
    hid, work, err, one, prob, signed_lr = ws.hid, ws.work, ws.err, ws.one, ws.prob, ws.signed_lr
    grads = ws.grads
    s, h, r = hid.shape
    grad_o, grad_b = grads.wo[:h], grads.wo[h]  # (h, o, r), (o, r)
    w_out = blk.wo[:h]
    x_t, work2, grad_h2 = ws.x_t, work.reshape(s, h * r), grads.wh.reshape(-1, h * r)
    single, delta = err.shape[1] == 1, activation.delta
    err1 = None
    if single:  # one output: drop the o axis
        err1, grad_o1, w_out2 = err.reshape(-1, 1, r), grad_o.reshape(h, r), w_out.reshape(-1)

    def step() -> None:
        np.subtract(prob, one, err)
        np.multiply(err, signed_lr, err)  # lr * (y_hat - y) (scaled), summed over samples below
        # output layer: w_o[h, o] -= sum_s hid[s, h] * err[s, o]; b_o[o] -= sum_s err[s, o]
        if single:
            np.multiply(hid, err1, work)
            np.add.reduce(work, 0, None, grad_o1)
        else:
            np.einsum("shr,sor->hor", hid, err, out=grad_o)
        np.add.reduce(err, 0, None, grad_b)
        if article:  # the output layer first: the hidden layer then sees its new weights
            descend("output")
        # hidden layer: delta[s, h] = sum_o err[s, o] w_o[h, o] f'(z_h)[s, h]. With one
        # output, w_o[h] does not depend on s and comes out of the sum over s below.
        if not single:
            np.einsum("sor,hor->shr", err, w_out, out=work)
        delta(work, hid, one, err1)  # hid is not needed after this step
        # weights and bias at once: [x, 1].T @ delta, (i+1, s) @ (s, h*r)
        np.matmul(x_t, work2, out=grad_h2)
        if single:
            np.multiply(grad_h2, w_out2, grad_h2)
        # article: the hidden layer; simultaneous: every gradient was taken at the same parameters
        descend("hidden" if article else "all")

    return step


class LossTally:
    """The loss and the wrong predictions of every epoch, kept a group of epochs at a time.

    Each epoch, :meth:`record` clips its probabilities ``prob`` (s, o, r) into
    its own rows of ``clipped``; :meth:`score_group` then takes, for a whole
    group of ``group`` epochs at once, the log of their product (added to
    ``log_total``) and the last epoch at which some prediction was on the
    wrong side (``last_wrong``). A group holds as many epochs as fit
    ``_PRODUCT_CHUNK`` probabilities, 4 for XOR: fewer calls to ``log``.
    Groups start at the multiples of ``group`` epochs counted from epoch 0, so
    that training stopped and continued (:meth:`restore`, :meth:`pending`) adds
    the same products in the same order as training in one go.
    """

    def __init__(self, prob: np.ndarray):
        s, o, r = prob.shape
        self.prob = prob
        self.clip_low, self.clip_high = np.full((), CLIP), np.full((), 1.0 - CLIP)
        self.half = np.full((), 0.5)
        self.n_terms = s * o
        self.group = max(1, _PRODUCT_CHUNK // self.n_terms)
        # clipped[g * s * o : (g + 1) * s * o] holds the clipped probabilities of epoch g
        self.clipped = np.empty((self.group * self.n_terms, r))
        self.clipped_epoch = [
            self.clipped[g * self.n_terms : (g + 1) * self.n_terms].reshape(s, o, r)
            for g in range(self.group)
        ]
        self.lowest = np.empty((self.group, r))  # smallest clipped p of each epoch
        self.wrong = np.empty((self.group, r), dtype=bool)
        self.wrong_epoch = np.empty((self.group, r), dtype=np.int64)
        self.row_offset = np.arange(self.group, dtype=np.int64)[:, None]
        self.row_epoch = np.empty((self.group, 1), dtype=np.int64)  # 1 + each row's epoch
        self.log_total = np.zeros(r)  # sum over epochs of sum over samples of log p
        self.last_wrong = np.zeros(r, dtype=np.int64)  # 1 + last epoch with a wrong prediction
        self.newest_wrong = np.empty(r, dtype=np.int64)

    def record(self, row: int) -> None:
        """Clip this epoch's ``prob`` into the group's row ``row`` of ``clipped``."""
        clip(self.prob, self.clip_low, self.clip_high, out=self.clipped_epoch[row])

    def log_likelihood(self, rows: slice) -> np.ndarray:
        """Sum of log(clipped p) over the given rows of ``clipped``, shape (r,)."""
        values = self.clipped[rows]
        total = np.log(np.multiply.reduce(values[:_PRODUCT_CHUNK], axis=0))
        for start in range(_PRODUCT_CHUNK, values.shape[0], _PRODUCT_CHUNK):
            total += np.log(np.multiply.reduce(values[start : start + _PRODUCT_CHUNK], axis=0))
        return total

    def epoch_log_likelihood(self, row: int) -> np.ndarray:
        """Sum of log(clipped p) of the group's epoch ``row``, shape (r,)."""
        return self.log_likelihood(slice(row * self.n_terms, (row + 1) * self.n_terms))

    def epoch_loss(self, row: int) -> np.ndarray:
        """Mean clipped BCE over samples and outputs of the group's epoch ``row``, shape (r,)."""
        return -self.epoch_log_likelihood(row) / self.n_terms

    def wrong_rows(self, rows: int) -> np.ndarray:
        """Whether each of the first ``rows`` epochs of the group has a wrong prediction."""
        lowest, wrong = self.lowest[:rows], self.wrong[:rows]
        values = self.clipped[: rows * self.n_terms].reshape(rows, self.n_terms, -1)
        np.minimum.reduce(values, 1, None, lowest)
        return np.less_equal(lowest, self.half, wrong)

    def restore(self, log_total: np.ndarray, last_wrong: np.ndarray, pending: np.ndarray) -> None:
        """Start from running totals (r,) and the clipped probabilities ``pending``
        (r, k, s, o) of the group's first ``k`` epochs, trained before."""
        self.log_total[...] = log_total
        self.last_wrong[...] = last_wrong
        for row in range(pending.shape[1]):
            self.clipped_epoch[row][...] = pending[:, row].transpose(1, 2, 0)

    def pending(self, rows: int) -> np.ndarray:
        """The clipped probabilities of the group's first ``rows`` epochs, (r, rows, s, o)."""
        s, o, r = self.clipped_epoch[0].shape
        values = self.clipped[: rows * self.n_terms].reshape(rows, s, o, r)
        return values.transpose(3, 0, 1, 2).copy()

    def score_group(self, rows: int, first: int) -> None:
        """Add the first ``rows`` epochs of the group starting at epoch ``first`` to the
        running totals."""
        np.add(self.row_offset, first + 1, self.row_epoch)
        if self.n_terms * rows <= _PRODUCT_CHUNK:  # one product, one log
            total = self.lowest[0]
            np.multiply.reduce(self.clipped[: rows * self.n_terms], 0, None, total)
            np.log(total, total)
        else:
            total = self.log_likelihood(slice(0, rows * self.n_terms))
        np.add(self.log_total, total, self.log_total)
        wrong_epoch = self.wrong_epoch[:rows]  # 1 + epoch where wrong, else 0
        np.multiply(self.wrong_rows(rows), self.row_epoch[:rows], wrong_epoch)
        np.maximum.reduce(wrong_epoch, 0, None, self.newest_wrong)
        np.maximum(self.last_wrong, self.newest_wrong, out=self.last_wrong)
