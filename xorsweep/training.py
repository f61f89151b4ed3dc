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

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ._checks import check_choice, check_count, check_per_run
from .network import PARAMETER_NAMES, Population
from .reference import CLIP
from .truth_tables import TruthTable, truth_table, xor

__all__ = ["train", "UPDATES", "DEFAULT_BLOCK"]

#: The two update orders ``train`` knows.
UPDATES = ("article", "simultaneous")

#: Runs trained together in one block; chosen by ``benchmarks/bench_train.py``.
DEFAULT_BLOCK = 8192

#: Largest learning rate accepted (gradients are bounded by the number of samples,
#: so parameters stay finite for any lr up to this over 10**8 epochs).
MAX_LR = 1e6

# Products of at most this many clipped probabilities (each >= 1e-15) cannot underflow.
_PRODUCT_CHUNK = 16


@dataclass
class _Block:
    """Parameters of ``B`` networks in the block layout, plus reusable work buffers."""

    wh: np.ndarray  # (i+1, h, r)
    wo: np.ndarray  # (h+1, o, r)

    @classmethod
    def from_population(cls, pop: Population, start: int, stop: int) -> _Block:
        wh = np.concatenate([pop.hidden_weights[start:stop], pop.hidden_bias[start:stop]], axis=1)
        wo = np.concatenate([pop.output_weights[start:stop], pop.output_bias[start:stop]], axis=1)
        return cls(
            np.ascontiguousarray(wh.transpose(1, 2, 0)), np.ascontiguousarray(wo.transpose(1, 2, 0))
        )

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
    """One epoch of forward pass, loss and update for a block of ``B`` networks.

    Shapes: ``x`` (s, i), ``y`` (s, o); work arrays are (s, h, r) and (s, o, r).
    """

    def __init__(self, data: TruthTable, hidden: int, runs: int, lr: np.ndarray, update: str):
        s, i, o, h, r = data.samples, data.n_in, data.n_out, hidden, runs
        self.s, self.o, self.h = s, o, h
        ones = np.ones((s, 1))
        self.neg_x = -np.hstack([data.inputs, ones])  # (s, i+1): gives -z_h in one product
        self.x_t = np.ascontiguousarray(np.hstack([data.inputs, ones]).T)  # (i+1, s)
        # sign[s, o] = +1 where the target is 1 and -1 where it is 0, so that the
        # probability given to the correct target is p = sigmoid(sign * z_o) and the
        # output error is y_hat - y = sign * (p - 1).
        sign = 2.0 * data.targets[:, :, None] - 1.0  # (s, o, 1)
        self.neg_sign = -sign
        self.signed_lr = sign * lr  # (s, o, r)
        self.simultaneous = update == "simultaneous"
        self.hid = np.empty((s, h, r))  # hidden outputs
        self.work = np.empty((s, h, r))  # products, then the hidden error
        self.z = np.empty((s, o, r))  # z_o, the output layer's logits
        self.prob = np.empty((s, o, r))  # probability given to the correct target
        self.clipped = np.empty((s, o, r))  # the same, clipped as in the article
        self.err = np.empty((s, o, r))  # lr * (y_hat - y)
        self.grad_o = np.empty((h, o, r))
        self.grad_h = np.empty((i + 1, h, r))
        self.row = np.empty(r)
        self.wrong = np.empty(r, dtype=bool)

    def forward(self, blk: _Block) -> None:
        """Hidden outputs ``hid`` (s, h, r), logits ``z`` and probabilities ``prob`` (s, o, r)."""
        s, h, o = self.s, self.h, self.o
        hid = self.hid
        np.matmul(self.neg_x, blk.wh.reshape(blk.wh.shape[0], -1), out=hid.reshape(s, -1))  # -z_h
        np.exp(hid, out=hid)
        hid += 1.0
        np.reciprocal(hid, out=hid)  # sigmoid(z_h)
        z = self.z
        if o == 1:  # z_o[s, r] = sum_h hid[s, h, r] * w_o[h, r] + b_o[r]
            np.multiply(hid, blk.wo[:h, 0], out=self.work)
            np.add.reduce(self.work, axis=1, out=z[:, 0])
        else:
            np.einsum("shr,hor->sor", hid, blk.wo[:h], out=z)
        z += blk.wo[h]
        prob = self.prob
        np.multiply(z, self.neg_sign, out=prob)
        np.exp(prob, out=prob)
        prob += 1.0
        np.reciprocal(prob, out=prob)  # p = sigmoid(sign * z_o)

    def predictions(self) -> np.ndarray:
        """``y_hat = sigmoid(z_o)`` of the last forward pass, shape (s, o, r)."""
        y_hat = np.negative(self.z)
        np.exp(y_hat, out=y_hat)
        y_hat += 1.0
        return np.reciprocal(y_hat, out=y_hat)

    def log_likelihood(self) -> np.ndarray:
        """Sum over samples and outputs of log(clipped p), shape (r,); sets ``self.wrong``."""
        prob = np.clip(self.prob, CLIP, 1.0 - CLIP, out=self.clipped)
        flat = prob.reshape(-1, prob.shape[-1])
        np.minimum.reduce(flat, axis=0, out=self.row)
        np.less_equal(self.row, 0.5, out=self.wrong)  # some prediction on the wrong side
        total = np.multiply.reduce(flat[:_PRODUCT_CHUNK], axis=0, out=self.row)
        np.log(total, out=total)
        for start in range(_PRODUCT_CHUNK, flat.shape[0], _PRODUCT_CHUNK):
            total += np.log(np.multiply.reduce(flat[start : start + _PRODUCT_CHUNK], axis=0))
        return total

    def backward(self, blk: _Block) -> None:
        """One gradient step on ``blk`` from the last forward pass."""
        s, h, o = self.s, self.h, self.o
        hid, work, err = self.hid, self.work, self.err
        np.subtract(self.prob, 1.0, out=err)
        err *= self.signed_lr  # (s, o, r): lr * (y_hat - y), summed (not averaged) over samples
        back = blk.wo[:h].copy() if self.simultaneous else blk.wo[:h]  # (h, o, r)
        # output layer: w_o[h, o] -= sum_s hid[s, h] * err[s, o]; b_o[o] -= sum_s err[s, o]
        if o == 1:
            np.multiply(hid, err, out=work)
            np.add.reduce(work, axis=0, out=self.grad_o[:, 0])
        else:
            np.einsum("shr,sor->hor", hid, err, out=self.grad_o)
        blk.wo[:h] -= self.grad_o
        blk.wo[h] -= np.add.reduce(err, axis=0)
        # hidden layer: delta[s, h] = sum_o err[s, o] * w_o[h, o] * hid[s, h] * (1 - hid[s, h]),
        # with the updated w_o in the article's order (``back`` is a view of it).
        # With one output, w_o[h] does not depend on s and comes out of the sum over s
        # below, and work = hid * err is already there.
        if o != 1:
            np.einsum("sor,hor->shr", err, back, out=work)
            work *= hid
        np.subtract(1.0, hid, out=hid)  # hid is not needed after this step
        work *= hid
        # weights and bias at once: [x, 1].T @ delta, (i+1, s) @ (s, h*r)
        grad_h = self.grad_h
        np.matmul(self.x_t, work.reshape(s, -1), out=grad_h.reshape(grad_h.shape[0], -1))
        if o == 1:
            grad_h *= back[:, 0]
        blk.wh -= grad_h


def _train_block(
    blk: _Block,
    data: TruthTable,
    lr: np.ndarray,
    epochs: int,
    update: str,
    record_every: int | None,
) -> dict[str, np.ndarray]:
    runs = lr.shape[0]
    kernel = _Kernel(data, blk.wh.shape[1], runs, lr, update)
    n_terms = data.samples * data.n_out
    log_sum = np.zeros(runs)  # sum over epochs of sum over samples of log p
    last_wrong = np.full(runs, -1, dtype=np.int64)
    history: dict[str, list[np.ndarray]] = {"epoch_loss": []}
    history.update({name: [] for name in PARAMETER_NAMES})
    with np.errstate(over="ignore"):  # exp(-z) -> inf is the correct limit of the sigmoid
        for epoch in range(epochs):
            kernel.forward(blk)
            ll = kernel.log_likelihood()
            log_sum += ll
            np.copyto(last_wrong, epoch, where=kernel.wrong)
            if record_every and epoch % record_every == 0:
                history["epoch_loss"].append(-ll / n_terms)
                for name, value in blk.parameters().items():
                    history[name].append(value)
            kernel.backward(blk)
        kernel.forward(blk)
        final_ll = kernel.log_likelihood()
        predictions = kernel.predictions().transpose(2, 0, 1).copy()  # (r, s, o)
    np.copyto(last_wrong, epochs, where=kernel.wrong)
    converged = np.where(last_wrong == epochs, np.nan, last_wrong + 1.0)
    result = {
        "total_loss": -log_sum / n_terms,
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
        Networks trained together; memory is proportional to it, not to the
        population size. The default suits a 1 MiB L2 cache.

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
    parts = []
    for start in range(0, population.runs, block_size):
        stop = min(start + block_size, population.runs)
        blk = _Block.from_population(population, start, stop)
        parts.append(_train_block(blk, table, lrs[start:stop], epochs, update, record_every))
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return _to_dataset(merged, table, epochs, lrs, update, record_every)


def _to_dataset(
    res: dict[str, np.ndarray],
    table: TruthTable,
    epochs: int,
    lrs: np.ndarray,
    update: str,
    record_every: int | None,
) -> xr.Dataset:
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
