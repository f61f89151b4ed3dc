"""Full-batch gradient descent of a whole population of networks in lockstep.

Every network follows exactly the equations of :mod:`xorsweep.reference`;
the difference is that all networks of a block advance together, one NumPy
call per equation and epoch for the whole block, so the interpreter's cost is
shared by thousands of networks.

Inside a block the run axis is last (contiguous) and each layer's bias is
stored as one more row of its weight matrix, so that the forward pass and the
hidden layer's gradient are each a single matrix product with the inputs:

* ``wh`` has shape (in + 1, hidden, run): rows ``0..in-1`` are the weights,
  row ``in`` the bias;
* ``wo`` has shape (hidden + 1, out, run), likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._checks import check_choice, check_count, check_per_run
from .network import PARAMETER_NAMES, Population
from .reference import CLIP
from .truth_tables import TruthTable, truth_table, xor

if TYPE_CHECKING:  # xarray is imported when results are made: workers do without it
    import xarray as xr

__all__ = ["train", "train_arrays", "UPDATES", "DEFAULT_BLOCK"]

#: The two update orders ``train`` knows.
UPDATES = ("article", "simultaneous")

#: Runs trained together in one block; chosen by ``benchmarks/bench_train.py``.
DEFAULT_BLOCK = 8192

#: Largest learning rate accepted (gradients are bounded by the number of samples,
#: so parameters stay finite for any lr up to this over 10**8 epochs).
MAX_LR = 1e6

# Products of at most this many clipped probabilities (each >= 1e-15) cannot underflow.
_PRODUCT_CHUNK = 16

# ``np.clip`` is a Python function whose argument checks cost more than clipping a
# thousand numbers; the ufunc it ends in computes the same values.
try:
    from numpy._core.umath import clip as _clip
except ImportError:  # pragma: no cover - other NumPy versions
    _clip = np.clip


@dataclass
class _Block:
    """Parameters of ``B`` networks in the block layout, in one flat buffer.

    ``params`` holds ``wh`` then ``wo`` (both views of it), so that one NumPy
    call can update every parameter of the block.
    """

    params: np.ndarray  # (n,) with n = ((i+1) * h + (h+1) * o) * r
    wh: np.ndarray  # (i+1, h, r)
    wo: np.ndarray  # (h+1, o, r)

    @classmethod
    def from_population(cls, pop: Population, start: int, stop: int) -> _Block:
        wh = np.concatenate([pop.hidden_weights[start:stop], pop.hidden_bias[start:stop]], axis=1)
        wo = np.concatenate([pop.output_weights[start:stop], pop.output_bias[start:stop]], axis=1)
        blk = cls.empty(wh.shape[1] - 1, wh.shape[2], wo.shape[2], stop - start)
        blk.wh[...] = wh.transpose(1, 2, 0)
        blk.wo[...] = wo.transpose(1, 2, 0)
        return blk

    @classmethod
    def empty(cls, n_in: int, hidden: int, n_out: int, runs: int) -> _Block:
        """A block of uninitialised parameters (also used for gradients)."""
        n_h = (n_in + 1) * hidden * runs
        params = np.empty(n_h + (hidden + 1) * n_out * runs)
        wh = params[:n_h].reshape(n_in + 1, hidden, runs)
        wo = params[n_h:].reshape(hidden + 1, n_out, runs)
        return cls(params, wh, wo)

    def parameters(self) -> dict[str, np.ndarray]:
        """The four tensors in the public layout (run first)."""
        wh = self.wh.transpose(2, 0, 1)
        wo = self.wo.transpose(2, 0, 1)
        return {
            "hidden_weights": wh[:, :-1].copy(),
            "hidden_bias": wh[:, -1:].copy(),
            "output_weights": wo[:, :-1].copy(),
            "output_bias": wo[:, -1:].copy(),
        }


class _Kernel:
    """Forward pass, loss terms and update of one block of ``B`` networks, in place.

    All work arrays and views are made once, so an epoch is a fixed sequence of
    NumPy calls writing into preallocated memory; constants are 0-d arrays,
    which NumPy takes faster than Python floats. Every elementwise operation is
    its own correctly rounded ufunc call, so a network's numbers do not depend
    on its position in the block or on the block's size. Shapes: hidden work
    arrays (s, h, r), output work arrays (s, o, r), the block's parameters as
    in :class:`_Block`.

    The loss bookkeeping is batched over a group of ``group`` epochs (as many
    as fit ``_PRODUCT_CHUNK`` clipped probabilities, 4 for XOR): each epoch
    clips its probabilities into its own rows of ``clipped``, and
    :meth:`score_group` then takes, for the whole group at once, the log of
    their product (added to the running total) and the epochs at which some
    prediction was on the wrong side.
    """

    def __init__(self, blk: _Block, data: TruthTable, lr: np.ndarray, update: str):
        s, o = data.samples, data.n_out
        i1, h, r = blk.wh.shape
        self.blk = blk
        self.article = update == "article"
        ones = np.ones((s, 1))
        self.neg_x = -np.hstack([data.inputs, ones])  # (s, i+1): gives -z_h in one product
        self.x_t = np.ascontiguousarray(np.hstack([data.inputs, ones]).T)  # (i+1, s)
        # sign[s, o] = +1 where the target is 1 and -1 where it is 0, so that the
        # probability given to the correct target is p = sigmoid(sign * z_o) and the
        # output error is y_hat - y = sign * (p - 1).
        sign = 2.0 * data.targets[:, :, None] - 1.0  # (s, o, 1)
        self.neg_sign = -sign
        self.signed_lr = sign * lr  # (s, o, r)
        self.one = np.ones(())
        self.clip_low, self.clip_high = np.full((), CLIP), np.full((), 1.0 - CLIP)
        self.half = np.full((), 0.5)
        self.hid = np.empty((s, h, r))  # hidden outputs
        self.work = np.empty((s, h, r))  # products, then the hidden layer's error
        self.z = np.empty((s, o, r))  # z_o, the output layer's logits
        self.prob = np.empty((s, o, r))  # probability given to the correct target
        self.err = np.empty((s, o, r))  # lr * (y_hat - y)
        self.grads = _Block.empty(i1 - 1, h, o, r)  # gradients, in the parameters' layout
        # loss bookkeeping for a group of epochs: clipped[g * s * o : (g + 1) * s * o] holds
        # the clipped probabilities of the group's epoch g
        self.n_terms = s * o
        self.group = max(1, _PRODUCT_CHUNK // self.n_terms)
        self.clipped = np.empty((self.group * self.n_terms, r))
        self.clipped_epoch = [
            self.clipped[g * self.n_terms : (g + 1) * self.n_terms].reshape(s, o, r)
            for g in range(self.group)
        ]
        self.lowest = np.empty((self.group, r))  # smallest clipped p of each epoch
        self.wrong = np.empty((self.group, r), dtype=bool)
        self.wrong_epoch = np.empty((self.group, r), dtype=np.int64)
        # 1 + the epoch of each row of the current group
        self.row_epoch = np.arange(1 - self.group, 1, dtype=np.int64)[:, None]
        self.log_total = np.zeros(r)  # sum over epochs of sum over samples of log p
        self.last_wrong = np.zeros(r, dtype=np.int64)  # 1 + last epoch with a wrong prediction
        self.newest_wrong = np.empty(r, dtype=np.int64)
        # views, made once
        self.wh2 = blk.wh.reshape(i1, h * r)
        self.hid2 = self.hid.reshape(s, h * r)
        self.work2 = self.work.reshape(s, h * r)
        self.grad_h2 = self.grads.wh.reshape(i1, h * r)
        self.w_out = blk.wo[:h]  # (h, o, r)
        self.b_out = blk.wo[h]  # (o, r)
        self.grad_o = self.grads.wo[:h]
        self.grad_b = self.grads.wo[h]
        self.single = o == 1
        self.forward = self._forward_pass()
        self.backward = self._backward_pass()

    def _forward_pass(self) -> Callable[[], None]:
        """The forward pass: hidden outputs ``hid``, logits ``z``, probabilities ``prob``.

        Built once as a closure over the block's arrays: an epoch is short enough
        at small blocks that attribute look-ups would show.
        """
        hid, work, z, prob, one = self.hid, self.work, self.z, self.prob, self.one
        neg_x, wh2, hid2, w_out, b_out, neg_sign = (
            self.neg_x,
            self.wh2,
            self.hid2,
            self.w_out,
            self.b_out,
            self.neg_sign,
        )
        # z_o[s, r] = sum_h hid[s, h, r] * w_o[h, r] with one output: products, then a
        # sum over h in order (faster than np.add.reduce over a middle axis)
        w_out1, z1 = w_out[:, 0], z[:, 0]
        work_h = [work[:, k] for k in range(work.shape[1])]
        sums = [(work_h[0], work_h[1] if len(work_h) > 1 else np.zeros(()))]
        sums += [(z1, term) for term in work_h[2:]]

        def forward() -> None:
            np.matmul(neg_x, wh2, out=hid2)  # -z_h, bias included
            np.exp(hid, hid)
            np.add(hid, one, hid)
            np.divide(one, hid, hid)  # sigmoid(z_h); a division is faster than np.reciprocal
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

        single = self.single
        return forward

    def predictions(self) -> np.ndarray:
        """``y_hat = sigmoid(z_o)`` of the last forward pass, shape (s, o, r)."""
        y_hat = np.negative(self.z)
        np.exp(y_hat, out=y_hat)
        y_hat += 1.0
        return np.divide(1.0, y_hat, out=y_hat)

    def clip(self, row: int) -> None:
        """Clip this epoch's ``prob`` into its rows ``row`` of the group's ``clipped``."""
        _clip(self.prob, self.clip_low, self.clip_high, out=self.clipped_epoch[row])

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

    def wrong_rows(self, rows: int) -> np.ndarray:
        """Whether each of the first ``rows`` epochs of the group has a wrong prediction."""
        lowest, wrong = self.lowest[:rows], self.wrong[:rows]
        values = self.clipped[: rows * self.n_terms].reshape(rows, self.n_terms, -1)
        np.minimum.reduce(values, 1, None, lowest)
        return np.less_equal(lowest, self.half, wrong)

    def score_group(self, rows: int) -> None:
        """Add the group's first ``rows`` epochs to the running totals, then start the next."""
        np.add(self.row_epoch, rows, self.row_epoch)
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

    def _backward_pass(self) -> Callable[[], None]:
        """One gradient step on the block from the last forward pass (a closure, as above)."""
        hid, work, err, one, prob, signed_lr = (
            self.hid,
            self.work,
            self.err,
            self.one,
            self.prob,
            self.signed_lr,
        )
        params, wh, wo, w_out = self.blk.params, self.blk.wh, self.blk.wo, self.w_out
        grads, grad_o, grad_b, grad_h2 = self.grads, self.grad_o, self.grad_b, self.grad_h2
        x_t, work2 = self.x_t, self.work2
        single, article = self.single, self.article
        h, r = w_out.shape[0], w_out.shape[2]
        if single:  # one output: drop the o axis
            err1, grad_o1, w_out2 = err.reshape(-1, 1, r), grad_o.reshape(h, r), w_out.reshape(-1)

        def backward() -> None:
            np.subtract(prob, one, err)
            np.multiply(err, signed_lr, err)  # lr * (y_hat - y), summed over samples below
            # output layer: w_o[h, o] -= sum_s hid[s, h] * err[s, o]; b_o[o] -= sum_s err[s, o]
            if single:
                np.multiply(hid, err1, work)
                np.add.reduce(work, 0, None, grad_o1)
            else:
                np.einsum("shr,sor->hor", hid, err, out=grad_o)
            np.add.reduce(err, 0, None, grad_b)
            if article:  # the output layer first: the hidden layer then sees its new weights
                np.subtract(wo, grads.wo, wo)
            # hidden layer: delta[s, h] = sum_o err[s, o] w_o[h, o] hid[s, h] (1 - hid[s, h]).
            # With one output, w_o[h] does not depend on s and comes out of the sum over s
            # below, and work = hid * err is already there.
            if not single:
                np.einsum("sor,hor->shr", err, w_out, out=work)
                np.multiply(work, hid, work)
            np.subtract(one, hid, hid)  # hid is not needed after this step
            np.multiply(work, hid, work)
            # weights and bias at once: [x, 1].T @ delta, (i+1, s) @ (s, h*r)
            np.matmul(x_t, work2, out=grad_h2)
            if single:
                np.multiply(grad_h2, w_out2, grad_h2)
            if article:
                np.subtract(wh, grads.wh, wh)
            else:  # every gradient was taken at the same parameters
                np.subtract(params, grads.params, params)

        return backward


def _train_block(
    blk: _Block,
    data: TruthTable,
    lr: np.ndarray,
    epochs: int,
    update: str,
    record_every: int | None,
) -> dict[str, np.ndarray]:
    kernel = _Kernel(blk, data, lr, update)
    forward, clip, backward, group = kernel.forward, kernel.clip, kernel.backward, kernel.group
    n_terms = kernel.n_terms
    history: dict[str, list[np.ndarray]] = {"epoch_loss": []}
    history.update({name: [] for name in PARAMETER_NAMES})
    with np.errstate(over="ignore"):  # exp(-z) -> inf is the correct limit of the sigmoid
        for first in range(0, epochs, group):
            rows = min(group, epochs - first)
            for row in range(rows):
                forward()
                clip(row)
                if record_every and (first + row) % record_every == 0:
                    history["epoch_loss"].append(-kernel.epoch_log_likelihood(row) / n_terms)
                    for name, value in blk.parameters().items():
                        history[name].append(value)
                backward()
            kernel.score_group(rows)
        forward()
        clip(0)
        final_ll = kernel.epoch_log_likelihood(0)
        final_wrong = kernel.wrong_rows(1)[0]
        predictions = kernel.predictions().transpose(2, 0, 1).copy()  # (r, s, o)
    last_wrong = kernel.last_wrong - 1  # -1: never wrong
    np.copyto(last_wrong, epochs, where=final_wrong)
    converged = np.where(last_wrong == epochs, np.nan, last_wrong + 1.0)
    result = {
        "total_loss": -kernel.log_total / n_terms,
        "final_loss": -final_ll / n_terms,
        "predictions": predictions,
        "converged_epoch": converged,
        **blk.parameters(),
    }
    if record_every:
        for name, values in history.items():
            result[f"{name}_history" if name != "epoch_loss" else name] = np.stack(values, axis=1)
    return result


def _check_population(population: object) -> Population:
    if not isinstance(population, Population):
        raise TypeError(
            f"population must be a xorsweep.Population (see init_population), "
            f"got {type(population).__name__}"
        )
    return population


def train(
    population: Population,
    epochs: int = 10_000,
    lr: float | np.ndarray = 0.1,
    *,
    data: TruthTable | str | None = None,
    update: str = "article",
    record_every: int | None = None,
    block_size: int = DEFAULT_BLOCK,
) -> xr.Dataset:
    """Train every network of ``population`` at once by full-batch gradient descent.

    Sigmoid layers, binary cross-entropy, and the article's gradient: the
    output error ``y_hat - y`` is summed over the samples (not divided by their
    number), while the recorded loss is the mean over samples and outputs.

    Parameters
    ----------
    population : Population
        Initial networks; not modified.
    epochs : int
        Number of gradient steps, >= 0.
    lr : float or array_like, shape (run,)
        Learning rate, one value or one per run; finite, > 0 and <= 1e6.
    data : TruthTable or str, optional
        Training data; XOR by default. A name such as ``"and"`` or
        ``"parity3"`` is looked up with :func:`xorsweep.truth_table`. Its
        number of inputs and outputs must match the population's.
    update : {"article", "simultaneous"}
        ``"article"`` updates the output layer first and computes the hidden
        layer's error with the already-updated output weights, exactly as the
        article's loop does; ``"simultaneous"`` is textbook backpropagation,
        every gradient taken at the same parameters.
    record_every : int, optional
        If given (k >= 1), also record the loss and all four parameters at
        epochs 0, k, 2k, ... (before that epoch's update) along an ``epoch``
        dimension. Off by default, and free when off.
    block_size : int
        Most networks trained together; the population is cut into equal
        blocks of at most this many. Memory is proportional to it, not to the
        population size. Results do not depend on it.

    Returns
    -------
    xarray.Dataset
        Dimensions ``run``, ``sample`` and the parameter axes. Variables:

        ``total_loss`` (run)
            Sum over epochs 0..epochs-1 of the mean clipped BCE over samples:
            the article's metric. A network that never learns XOR scores about
            ``epochs * log 2`` (6,931 for 10,000 epochs).
        ``final_loss`` (run)
            Mean BCE of the trained networks.
        ``predictions`` (run, sample) or (run, sample, output)
            Outputs of the trained networks (the output axis only if out > 1).
        ``converged_epoch`` (run)
            Let the predictions at epoch ``e`` be those of the parameters after
            ``e`` updates (``e = epochs`` is the trained network). A run is
            right at ``e`` if, for every sample and output, the clipped
            probability it gives the correct target exceeds 0.5. The value is
            the smallest ``e`` such that the run is right at every epoch from
            ``e`` to ``epochs``; NaN if the trained network is not right
            (the run never converged).
        ``converged`` (run)
            Whether ``converged_epoch`` is defined.
        ``hidden_weights``, ``hidden_bias``, ``output_weights``, ``output_bias``
            The trained parameters, shaped as in :class:`Population`.
        ``epoch_loss`` (run, epoch) and ``<parameter>_history``
            Only with ``record_every``.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type, shape or range; the message names the
        argument and what is allowed.

    Examples
    --------
    >>> from xorsweep import init_population, train
    >>> ds = train(init_population(4, seed=0), epochs=2000)
    >>> ds.total_loss.dims, ds.predictions.shape
    (('run',), (4, 4))
    """
    job = _Job.checked(population, epochs, lr, data, update, record_every, block_size)
    return _to_dataset(_train_job(job), job)


def train_arrays(
    population: Population,
    epochs: int = 10_000,
    lr: float | np.ndarray = 0.1,
    *,
    data: TruthTable | str | None = None,
    update: str = "article",
    record_every: int | None = None,
    block_size: int = DEFAULT_BLOCK,
) -> dict[str, np.ndarray]:
    """:func:`train` without xarray: the same numbers as plain NumPy arrays.

    For code that only needs the numbers (a sweep's worker processes): it does
    not import xarray, whose first Dataset costs a third of a second.

    Parameters
    ----------
    population, epochs, lr, data, update, record_every, block_size
        As in :func:`train`.

    Returns
    -------
    dict of str to numpy.ndarray
        Run first: ``total_loss``, ``final_loss``, ``converged_epoch`` and
        ``lr`` of shape (run,), ``predictions`` of shape (run, sample,
        output), the four parameters shaped as in :class:`Population`, and with
        ``record_every`` also ``epoch_loss`` (run, epoch) and
        ``<parameter>_history`` (run, epoch, ...). Values are bit-identical to
        :func:`train`'s.
    """
    job = _Job.checked(population, epochs, lr, data, update, record_every, block_size)
    return {**_train_job(job), "lr": job.lrs}


@dataclass(frozen=True)
class _Job:
    """The checked arguments of :func:`train` and :func:`train_arrays`."""

    population: Population
    epochs: int
    lrs: np.ndarray  # (run,)
    table: TruthTable
    update: str
    record_every: int | None
    block_size: int

    @classmethod
    def checked(
        cls,
        population: object,
        epochs: object,
        lr: object,
        data: object,
        update: object,
        record_every: object,
        block_size: object,
    ) -> _Job:
        population = _check_population(population)
        epochs = check_count(epochs, "epochs", minimum=0)
        lrs = check_per_run(lr, "lr", population.runs, positive=True, upper=MAX_LR)
        table = xor() if data is None else truth_table(data)
        update = check_choice(update, "update", UPDATES)
        block_size = check_count(block_size, "block_size")
        if record_every is not None:
            record_every = check_count(record_every, "record_every")
        if table.n_in != population.n_in or table.n_out != population.n_out:
            raise ValueError(
                f"data has {table.n_in} inputs and {table.n_out} outputs but the population's "
                f"networks have {population.n_in} and {population.n_out}"
            )
        return cls(population, epochs, lrs, table, update, record_every, block_size)


def _train_job(job: _Job) -> dict[str, np.ndarray]:
    """Every block's results, run first, each in its slice of one array per name."""
    runs = job.population.runs
    merged: dict[str, np.ndarray] = {}
    # equal blocks of at most block_size runs: 10,000 runs are two blocks of 5,000, not
    # 8,192 + 1,808 (a small block trains each run at a higher cost)
    n_blocks = -(-runs // job.block_size)
    size = -(-runs // n_blocks)
    for start in range(0, runs, size):
        stop = min(start + size, runs)
        blk = _Block.from_population(job.population, start, stop)
        lrs = job.lrs[start:stop]
        part = _train_block(blk, job.table, lrs, job.epochs, job.update, job.record_every)
        for name, value in part.items():
            if name not in merged:
                merged[name] = np.empty((runs, *value.shape[1:]), value.dtype)
            merged[name][start:stop] = value
    return merged


def _to_dataset(res: dict[str, np.ndarray], job: _Job) -> xr.Dataset:
    import xarray as xr  # here, not at the top: see train_arrays

    table, epochs, lrs, update, record_every = (
        job.table,
        job.epochs,
        job.lrs,
        job.update,
        job.record_every,
    )

    param_dims = {
        "hidden_weights": ("input", "hidden"),
        "hidden_bias": ("hidden",),
        "output_weights": ("hidden", "output"),
        "output_bias": ("output",),
    }
    for name in ("hidden_bias", "output_bias"):  # drop the bias row axis of length 1
        res[name] = res[name][:, 0]
        if record_every:
            res[f"{name}_history"] = res[f"{name}_history"][:, :, 0]
    predictions = res["predictions"]
    pred_dims: tuple[str, ...] = ("run", "sample", "output")
    if table.n_out == 1:
        predictions = predictions[:, :, 0]
        pred_dims = ("run", "sample")
    data_vars = {
        "total_loss": ("run", res["total_loss"]),
        "final_loss": ("run", res["final_loss"]),
        "predictions": (pred_dims, predictions),
        "converged_epoch": ("run", res["converged_epoch"]),
        "converged": ("run", ~np.isnan(res["converged_epoch"])),
        "lr": ("run", lrs),
    }
    for name, dims in param_dims.items():
        data_vars[name] = (("run", *dims), res[name])
    coords = {"run": np.arange(lrs.shape[0])}
    if record_every:
        data_vars["epoch_loss"] = (("run", "epoch"), res["epoch_loss"])
        for name, dims in param_dims.items():
            data_vars[f"{name}_history"] = (("run", "epoch", *dims), res[f"{name}_history"])
        coords["epoch"] = np.arange(0, epochs, record_every)
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(
        epochs=epochs,
        update=update,
        data=table.name,
        loss="mean binary cross-entropy over samples, predictions clipped to [1e-15, 1-1e-15]",
    )
    ds.total_loss.attrs.update(long_name="total loss", units="sum over epochs of mean BCE (nats)")
    ds.converged_epoch.attrs.update(long_name="first epoch from which all predictions are right")
    return ds
