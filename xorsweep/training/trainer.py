"""Full-batch gradient descent of a whole population of networks in lockstep.

:func:`train` returns an xarray Dataset and :func:`train_arrays` the same
numbers as NumPy arrays. The population is cut into blocks of networks trained
together; a block's epochs are the loop of :func:`_train_block`, which reads
like :mod:`xorsweep.training.reference`'s: forward pass, record the loss, gradient step.
How one epoch of a block is computed in place is in :mod:`xorsweep.training._numpy_kernel`.
That is the NumPy engine; ``engine="numba"`` trains each block with the fused
kernel of :mod:`xorsweep.training.fused` instead (:mod:`xorsweep.training.engines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._core.cf_attrs import with_cf_attrs
from .._core.checks import check_count, check_per_run
from ..model.activations import gradient_scale
from ..model.network import Population, check_widths, parameter_names
from ..model.truth_tables import TruthTable, truth_table, xor
from ._numpy_deep import DeepWorkspace, deep_forward_pass, deep_gradient_step
from ._numpy_kernel import (
    Descent,
    LossTally,
    ParameterBlock,
    Workspace,
    forward_pass,
    gradient_step,
)
from .budgets import KEYS as BUDGET_KEYS
from .budgets import BudgetMarks, converged_epoch, inside, mark_diverged, no_carry, with_last
from .engines import settle
from .settings import ARTICLE_EPOCHS, ARTICLE_LR, MAX_LR, UPDATES, TrainingSettings

if TYPE_CHECKING:  # xarray is imported when results are made: workers do without it
    import xarray as xr

__all__ = [
    "train",
    "train_arrays",
    "TrainingJob",
    "TrainingSettings",
    "run_training",
    "without_state",
    "to_dataset",
    "parameter_dims",
    "predict",
    "STATE_KEYS",
    "UPDATES",
    "DEFAULT_BLOCK",
    "MAX_LR",
    "ARTICLE_EPOCHS",
    "ARTICLE_LR",
]

#: Runs trained together in one block; chosen by ``benchmarks/bench_train.py``.
DEFAULT_BLOCK = 8192

#: The running bookkeeping of each run that :func:`run_training` also returns, run first:
#: with the parameters, what training on from its last epoch needs (see
#: :class:`xorsweep.training.state.TrainingState`).
STATE_KEYS = ("last_wrong", "loss_sum", "pending", "optimizer_state")


def train(
    population: Population,
    epochs: int = ARTICLE_EPOCHS,
    lr: float | np.ndarray = ARTICLE_LR,
    *,
    data: TruthTable | str | None = None,
    update: str = "article",
    activation: str = "sigmoid",
    gradient: str = "sum",
    record_every: int | None = None,
    block_size: int = DEFAULT_BLOCK,
    engine: str = "auto",
    optimizer: str = "gd",
    optimizer_params: dict | None = None,
    precision: str = "float64",
    budgets: tuple[int, ...] | None = None,
    settings: TrainingSettings | None = None,
) -> xr.Dataset:
    """Train every network of ``population`` at once by full-batch gradient descent.

    By default the article's: sigmoid layers, binary cross-entropy, the error summed.

    Parameters
    ----------
    population : Population
        Initial networks; not modified.
    epochs : int
        Number of gradient steps, >= 0.
    lr : float or array_like, shape (run,)
        Learning rate, one value or one per run; finite, > 0 and <= 1e6.
    data : TruthTable or str, optional
        Training data, XOR by default, or a name for :func:`xorsweep.truth_table`
        (``"and"``, ``"parity3"``); its inputs and outputs must match the population's.
    update : {"article", "simultaneous"}
        ``"article"``: the output layer first, the hidden layer's error with its
        new weights, as the article's loop (with several hidden layers, each
        layer stepped as soon as its gradient is taken, from the output layer
        down, :mod:`xorsweep.training._numpy_deep`); ``"simultaneous"``: textbook backprop.
    activation : {"sigmoid", "tanh", "relu"}
        The hidden layers' (:mod:`xorsweep.model.activations`); the output stays a sigmoid.
    gradient : {"sum", "mean"}
        ``"sum"``: ``y_hat - y`` summed over the samples (the article);
        ``"mean"``: the gradient of the recorded mean loss (divided by samples * outputs).
    record_every : int, optional
        k >= 1: also record the loss and the parameters at epochs 0, k, 2k, ...
        (before that epoch's update) along ``epoch``.
    block_size : int
        Most networks trained together; memory grows with it, results do not change.
    engine : {"auto", "numpy", "numba"}
        Which computes (:mod:`xorsweep.training.engines`): ``"numba"``, the fused compiled
        kernel, several times faster; ``"numpy"``, the exactness anchor. They agree
        to about 1e-12. ``"auto"``: numba where it compiles, else NumPy with a warning.
    optimizer : {"gd", "momentum", "nesterov", "adam", "rmsprop"}
        The step (:mod:`xorsweep.training.optimizers`, PyTorch's semantics): ``"gd"``, the
        article's gradient descent; the others keep their state per parameter and run.
    optimizer_params : dict, optional
        Hyper-parameters other than PyTorch's defaults, e.g. ``{"betas": (0.9, 0.99)}``.
    precision : {"float64", "float32"}
        The numba engine's arithmetic: ``"float64"``, the article's; ``"float32"``, about twice
        as fast, within float32's rounding of it (the NumPy engine refuses it).
    budgets : sequence of int, optional
        Strictly increasing epochs from 1 to ``epochs``: each run is also scored as if
        training had stopped after each (:mod:`xorsweep.training.budgets`), at no
        noticeable cost. None: no ``budget`` axis, nothing else changes.
    settings : TrainingSettings, optional
        All of ``epochs`` to ``budgets`` but ``data`` and ``block_size`` in one
        value (:class:`~xorsweep.training.settings.TrainingSettings`); given, those
        arguments are ignored.

    Returns
    -------
    xarray.Dataset
        Dimensions ``run``, ``sample`` and the parameter axes ``input``, ``unit``
        (the hidden units) and ``output``; attributes ``epochs``, ``update``,
        ``activation``, ``gradient``, ``optimizer``, ``optimizer_params``, ``data``,
        ``engine`` (the one that computed: ``"numpy"`` or ``"numba"``) and ``precision``. Variables:

        ``total_loss`` (run)
            Sum over epochs 0..epochs-1 of the mean clipped BCE over samples and
            outputs: the article's metric (stuck at 0.5, ``epochs * log 2``); NaN
            for a run whose parameters overflowed (diverged), at every budget too.
        ``final_loss`` (run)
            Mean BCE of the trained networks.
        ``predictions`` (run, sample) or (run, sample, output)
            Outputs of the trained networks (the output axis only if out > 1).
        ``converged_epoch`` (run)
            The smallest ``e`` such that after ``e``, ``e + 1``, ..., ``epochs``
            updates the clipped probability of the correct target exceeds 0.5
            for every sample and output; NaN if the trained network is not right.
        ``converged`` (run)
            Whether ``converged_epoch`` is defined.
        ``hidden_weights``, ``hidden_bias``, ``output_weights``, ``output_bias``
            The trained parameters, shaped as in :class:`Population`; with several
            hidden layers also ``hidden2_weights`` (run, unit, unit2), ``hidden2_bias``
            (run, unit2), ... (:func:`parameter_dims`).
        ``epoch_loss`` (run, epoch) and ``<parameter>_history``
            Only with ``record_every``.
        ``budget_total_loss``, ``budget_converged_epoch``, ``budget_converged`` (run, budget)
            Only with ``budgets`` (coordinate ``budget``, in epochs): ``total_loss``,
            ``converged_epoch`` and ``converged`` of a training of ``budget`` epochs.

        Every variable and coordinate has a ``long_name`` and ``units``
        (:mod:`xorsweep._core.cf_attrs`).

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong type, shape or range, naming the argument.
        Also for ``engine="numba"`` where numba cannot compile the kernel.

    Examples
    --------
    >>> from xorsweep import init_population, train
    >>> ds = train(init_population(4, seed=0), epochs=2000)
    >>> ds.total_loss.dims, ds.predictions.shape
    (('run',), (4, 4))
    """
    if settings is None:
        options = dict(update=update, activation=activation, gradient=gradient, engine=engine)
        options.update(optimizer=optimizer, optimizer_params=optimizer_params or {})
        options.update(precision=precision, budgets=budgets)
        settings = _settings(population, epochs, lr, record_every, options)
    job = TrainingJob.checked(population, settings, data, block_size)
    return to_dataset(without_state(run_training(job)), job)


def train_arrays(
    population: Population,
    epochs: int = ARTICLE_EPOCHS,
    lr: float | np.ndarray = ARTICLE_LR,
    *,
    data: TruthTable | str | None = None,
    update: str = "article",
    activation: str = "sigmoid",
    gradient: str = "sum",
    record_every: int | None = None,
    block_size: int = DEFAULT_BLOCK,
    engine: str = "auto",
    optimizer: str = "gd",
    optimizer_params: dict | None = None,
    precision: str = "float64",
    budgets: tuple[int, ...] | None = None,
    settings: TrainingSettings | None = None,
) -> dict[str, np.ndarray]:
    """:func:`train` without xarray: the same numbers as plain NumPy arrays.

    For code that only needs the numbers (a sweep's worker processes): it does
    not import xarray, whose first Dataset costs a third of a second.

    Parameters
    ----------
    population, epochs, lr, data, update, activation, gradient, record_every, block_size, engine
    optimizer, optimizer_params, precision, budgets, settings
        As in :func:`train`.

    Returns
    -------
    dict of str to numpy.ndarray
        Run first: ``total_loss``, ``final_loss``, ``converged_epoch`` and
        ``lr`` of shape (run,), ``predictions`` of shape (run, sample,
        output), the four parameters shaped as in :class:`Population`, and with
        ``record_every`` also ``epoch_loss`` (run, epoch) and
        ``<parameter>_history`` (run, epoch, ...), with ``budgets`` also
        ``budget_total_loss`` and ``budget_converged_epoch`` (run, budget).
        Values are bit-identical to :func:`train`'s.
    """
    if settings is None:
        options = dict(update=update, activation=activation, gradient=gradient, engine=engine)
        options.update(optimizer=optimizer, optimizer_params=optimizer_params or {})
        options.update(precision=precision, budgets=budgets)
        settings = _settings(population, epochs, lr, record_every, options)
    job = TrainingJob.checked(population, settings, data, block_size)
    return {**without_state(run_training(job)), "lr": job.lrs}


def without_state(results: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``results`` of :func:`run_training` without :data:`STATE_KEYS`."""
    return {name: value for name, value in results.items() if name not in STATE_KEYS}


def _settings(population: object, epochs: object, lr: object, record_every: object, options):
    """:func:`train`'s keyword arguments as one :class:`TrainingSettings`."""
    population = _check_population(population)
    lrs = check_per_run(lr, "lr", population.runs, positive=True, upper=MAX_LR)
    lr = float(lrs[0]) if np.ndim(lr) == 0 else tuple(lrs.tolist())
    return TrainingSettings(epochs, lr, record_every=record_every, **options)


@dataclass(frozen=True)
class TrainingJob:
    """What :func:`run_training` reads: the networks, the data and the checked settings.

    :meth:`checked` makes one from a caller's arguments (``train``,
    ``train_arrays``). Code whose values are already checked, such as a
    sweep's block (its :class:`~xorsweep.sweeps.config.SweepConfig` checked
    them), makes one directly and nothing is checked again; its ``settings``
    name the engine that computes.

    Training starts at epoch ``first_epoch`` from ``population`` and the
    running bookkeeping ``carry`` (:data:`STATE_KEYS`, run first, as
    :func:`run_training` returns it), and ends at epoch ``settings.epochs``.
    """

    population: Population
    settings: TrainingSettings  # its engine one of COMPUTING (xorsweep.training.engines)
    lrs: np.ndarray  # (run,), finite, > 0 and <= MAX_LR
    table: TruthTable  # its inputs and outputs are the population's
    block_size: int = DEFAULT_BLOCK  # >= 1
    first_epoch: int = 0  # <= epochs: the epoch training starts at
    carry: dict[str, np.ndarray] | None = None  # STATE_KEYS at first_epoch; None: epoch 0

    epochs = property(lambda self: self.settings.epochs)
    update = property(lambda self: self.settings.update)
    activation = property(lambda self: self.settings.activation)
    gradient = property(lambda self: self.settings.gradient)
    record_every = property(lambda self: self.settings.record_every)
    engine = property(lambda self: self.settings.engine)

    @classmethod
    def checked(
        cls, population: object, settings: object, data: object, block_size: object
    ) -> TrainingJob:
        """:func:`train`'s networks, settings, data and block size, checked, the engine
        resolved; raises for bad ones."""
        population = _check_population(population)
        if not isinstance(settings, TrainingSettings):
            raise TypeError(
                "settings must be a xorsweep.TrainingSettings, got " + type(settings).__name__
            )
        lrs = check_per_run(settings.lr, "lr", population.runs, positive=True, upper=MAX_LR)
        table = xor() if data is None else truth_table(data)
        block_size = check_count(block_size, "block_size")
        if table.n_in != population.n_in or table.n_out != population.n_out:
            raise ValueError(
                f"data has {table.n_in} inputs and {table.n_out} outputs but the population's "
                f"networks have {population.n_in} and {population.n_out} (data {table.name!r}; "
                "init_population's n_in and n_out)"
            )
        settings = settle(settings, table.n_in, population.hidden, table.n_out)
        return cls(population, settings, lrs, table, block_size)


def _check_population(population: object) -> Population:
    if not isinstance(population, Population):
        raise TypeError(
            f"population must be a xorsweep.Population (see init_population), "
            f"got {type(population).__name__}"
        )
    check_widths(population.hidden, "population.hidden")
    return population


def run_training(job: TrainingJob) -> dict[str, np.ndarray]:
    """Train ``job``'s population; its arguments are taken as checked.

    Returns what :func:`train_arrays` returns but ``lr``, and
    :data:`STATE_KEYS`: every block's results, run first, each in its slice
    of one array per name.
    """
    runs = job.population.runs
    no_carry(job.settings.budgets, job.first_epoch)
    merged: dict[str, np.ndarray] = {}
    # equal blocks of at most block_size runs: 10,000 runs are two blocks of 5,000, not
    # 8,192 + 1,808 (a small block trains each run at a higher cost)
    n_blocks = -(-runs // job.block_size)
    size = -(-runs // n_blocks)
    # "mean" divides the output error by samples * outputs: the same as a smaller lr. The
    # article's gd folds lr into the output error too; other optimisers step with lr
    # from the (scaled) gradient
    scale = gradient_scale(job.gradient, job.table.samples, job.table.n_out)
    if job.settings.optimizer_entry.folds_lr:
        folded = job.lrs if scale == 1.0 else job.lrs * scale
    else:
        folded = np.full(runs, scale)
    for start in range(0, runs, size):
        stop = min(start + size, runs)
        carry = None if job.carry is None else {k: v[start:stop] for k, v in job.carry.items()}
        rates = (folded[start:stop], job.lrs[start:stop])
        if job.engine == "numba" and job.population.depth > 1:
            part = _train_fused_deep(job.population[start:stop], rates, job, carry)
        elif job.engine == "numba":
            part = _train_fused(job.population[start:stop], rates, job, carry)
        else:
            blk = ParameterBlock.from_population(job.population, start, stop)
            part = _train_block(blk, rates, job, carry)
        for name, value in part.items():
            if name not in merged:
                merged[name] = np.empty((runs, *value.shape[1:]), value.dtype)
            merged[name][start:stop] = value
    mark_diverged(merged, job.population.depth)
    # a network whose loss overflowed (NaN or inf) diverged: it never converged, whatever
    # its non-finite predictions compared as
    merged["converged_epoch"][~np.isfinite(merged["total_loss"])] = np.nan
    if job.settings.budgets:
        merged["budget_converged_epoch"][~np.isfinite(merged["budget_total_loss"])] = np.nan
    return merged


def _train_fused(
    population: Population, rates: tuple, job: TrainingJob, carry: dict | None
) -> dict[str, np.ndarray]:
    """The numba engine's results for ``population``; ``rates``: the factor of the output
    error and the optimiser's learning rates, each (r,)."""
    from . import fused  # imports numba: only where it is used

    return fused.train_block(population, job.table, rates, job.settings, job.first_epoch, carry)


def _train_fused_deep(
    population: Population, rates: tuple, job: TrainingJob, carry: dict | None
) -> dict[str, np.ndarray]:
    """The numba engine's results for networks of several hidden layers, from
    :func:`xorsweep.training.fused_deep.train_deep` (given the learning rates ``rates[1]``,
    it reads the gradient's scale and the optimiser from the settings)."""
    from . import fused_deep  # imports numba: only where it is used

    if carry is not None or job.first_epoch or job.record_every:
        raise ValueError(
            "engine='numba' trains networks of several hidden layers from epoch 0 without "
            "records: use engine='numpy' for record_every or training on"
        )
    weights = [np.ascontiguousarray(w) for w, _ in population.layers]
    biases = [np.ascontiguousarray(b) for _, b in population.layers]
    table = job.table
    res = fused_deep.train_deep(
        weights, biases, table.inputs, table.targets, job.epochs, rates[1], job.settings,
        job.settings.budgets,
    )  # fmt: skip
    # the trained tensors as they are: a diverged network's are not finite, which a
    # Population refuses
    pairs = list(zip(res["weights"], res["biases"], strict=True))
    arrays = [np.array(a) for pair in pairs for a in pair]
    return {
        "total_loss": np.asarray(res["total_loss"], dtype=np.float64),
        "final_loss": np.asarray(res["final_loss"], dtype=np.float64),
        "predictions": _forward(pairs, table.inputs, job.activation),
        "converged_epoch": np.asarray(res["converged_epoch"], dtype=np.float64),
        **{key: res[key] for key in BUDGET_KEYS if key in res},
        **dict(zip(parameter_names(population.depth), arrays, strict=True)),
    }


def predict(population: Population, inputs: np.ndarray, activation: str) -> np.ndarray:
    """The outputs of every network for ``inputs`` (s, i), shape (run, s, o).

    >>> from xorsweep import init_population
    >>> predict(init_population(3, hidden=(4, 4), seed=0), np.zeros((1, 2)), "tanh").shape
    (3, 1, 1)
    """
    return _forward(population.layers, inputs, activation)


def _forward(layers: list | tuple, inputs: np.ndarray, activation: str) -> np.ndarray:
    """:func:`predict` from the (weights (r, i, o), bias (r, 1, o)) pairs of every layer."""
    from ..model.activations import activate

    a = np.broadcast_to(inputs, (layers[0][0].shape[0], *inputs.shape))
    for weights, bias in layers[:-1]:
        a = activate(activation, a @ weights + bias)
    weights, bias = layers[-1]
    with np.errstate(over="ignore", invalid="ignore"):
        return 1.0 / (1.0 + np.exp(-(a @ weights + bias)))


def parameter_dims(depth: int) -> dict[str, tuple[str, ...]]:
    """Each parameter's dimensions in :func:`train`'s Dataset, run excluded.

    ``unit`` is the first hidden layer's units, ``unit2`` .. ``unitL`` those of
    the layers above it (a width is ``hidden``, as in sweep).

    >>> parameter_dims(2)["hidden2_weights"], parameter_dims(2)["output_weights"]
    (('unit', 'unit2'), ('unit2', 'output'))
    """
    units = ["input", "unit", *(f"unit{k}" for k in range(2, depth + 1)), "output"]
    names = parameter_names(depth)
    dims = {}
    for k, (w, b) in enumerate(zip(names[::2], names[1::2], strict=True)):
        dims[w], dims[b] = (units[k], units[k + 1]), (units[k + 1],)
    return dims


def _deep_epoch(blk: ParameterBlock) -> bool:
    """Whether ``blk`` trains with the epoch of :mod:`._numpy_deep` (several hidden layers)."""
    return blk.depth > 1


def _train_block(
    blk: ParameterBlock, rates: tuple, job: TrainingJob, carry: dict | None
) -> dict[str, np.ndarray]:
    """Train the networks of ``blk`` in place, from epoch ``job.first_epoch`` and its
    bookkeeping ``carry`` (None: from epoch 0). ``rates``: the factor of the output error
    (the learning rate for gd, with the gradient's scale) and the optimiser's learning
    rates, each (r,)."""
    epochs, record_every, table, settings = job.epochs, job.record_every, job.table, job.settings
    # one hidden layer: the tuned epoch of _numpy_kernel; several: that of _numpy_deep
    deep = _deep_epoch(blk)
    ws = (DeepWorkspace if deep else Workspace).for_block(blk, table, rates[0])
    moments = None if carry is None else carry["optimizer_state"]
    descend = Descent(blk, ws.grads, settings, rates[1], moments, job.first_epoch)
    forward = (deep_forward_pass if deep else forward_pass)(blk, ws, settings.activation_entry)
    step = (deep_gradient_step if deep else gradient_step)(
        blk, ws, job.update == "article", settings.activation_entry, descend
    )
    tally = LossTally(ws.prob)
    record, group = tally.record, tally.group
    names = parameter_names(blk.depth)
    history: dict[str, list[np.ndarray]] = {name: [] for name in ("epoch_loss", *names)}
    # the tally scores a group of epochs at once, the groups starting at multiples of
    # `group`; a start inside a group finds the group's first epochs in carry["pending"]
    begin = job.first_epoch - job.first_epoch % group
    done = job.first_epoch - begin  # epochs of the first group trained before
    if carry is not None:
        tally.restore(carry["loss_sum"][:, 0], carry["last_wrong"], carry["pending"])
    pending, log_kept = tally.pending(0), None  # an unfinished last group, and the sum before it
    marks = BudgetMarks(inside(settings.budgets, epochs), blk.wh.shape[2])
    with np.errstate(over="ignore"):  # exp(-z) -> inf is the correct limit of the sigmoid
        for first in range(begin, epochs, group):
            rows = min(group, epochs - first)
            for row in range(done, rows):  # epoch first + row
                forward()
                record(row)  # this epoch's loss terms, summed with the group's
                if first + row == marks.next:  # a budget: as if training stopped here
                    marks.take(tally, row, first)
                if record_every and (first + row) % record_every == 0:
                    _snapshot(history, tally.epoch_loss(row), blk)
                step()
            if rows < group:  # the last group, unfinished: training on finishes it
                pending, log_kept = tally.pending(rows), tally.log_total.copy()
            tally.score_group(rows, first)
            done = 0
        forward()  # the trained networks
        record(0)
        final_loss = tally.epoch_loss(0)
        final_wrong = tally.wrong_rows(1)[0]
        predictions = ws.predictions().transpose(2, 0, 1).copy()  # (r, s, o)
    kept = tally.log_total if log_kept is None else log_kept
    result = {
        "total_loss": -tally.log_total / tally.n_terms,
        "final_loss": final_loss,
        "predictions": predictions,
        "converged_epoch": converged_epoch(tally.last_wrong, final_wrong, epochs),
        **blk.parameters(),
        "last_wrong": tally.last_wrong,
        "loss_sum": np.stack([kept, np.zeros_like(kept)], axis=1),  # one number: the sum
        "pending": pending,
        "optimizer_state": descend.saved(),
    }
    if settings.budgets:
        result.update(with_last(marks.results(tally.n_terms), result, settings.budgets))
    if record_every:
        for name, values in history.items():
            like = result["final_loss" if name == "epoch_loss" else name]  # a record's shape
            stacked = (
                np.stack(values, axis=1)
                if values
                else np.empty((like.shape[0], 0, *like.shape[1:]))
            )
            result[f"{name}_history" if name != "epoch_loss" else name] = stacked
    return result


def _snapshot(history: dict[str, list[np.ndarray]], loss: np.ndarray, blk: ParameterBlock) -> None:
    """Append an epoch's loss (r,) and the block's parameters to ``history``."""
    history["epoch_loss"].append(loss)
    for name, value in blk.parameters().items():
        history[name].append(value)


def to_dataset(res: dict[str, np.ndarray], job: TrainingJob) -> xr.Dataset:
    """:func:`train`'s Dataset from the results of :func:`run_training` without
    :data:`STATE_KEYS`."""
    import xarray as xr  # here, not at the top: see train_arrays

    table, epochs, lrs, update, record_every = (
        job.table,
        job.epochs,
        job.lrs,
        job.update,
        job.record_every,
    )

    param_dims = parameter_dims(job.population.depth)
    for name in param_dims:  # drop the bias row axis of length 1
        if not name.endswith("_bias"):
            continue
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
        first = -(-job.first_epoch // record_every) * record_every  # absolute epochs
        coords["epoch"] = np.arange(first, epochs, record_every)
    if job.settings.budgets:
        coords["budget"] = np.array(job.settings.budgets, dtype=np.int64)
        data_vars["budget_total_loss"] = (("run", "budget"), res["budget_total_loss"])
        data_vars["budget_converged_epoch"] = (("run", "budget"), res["budget_converged_epoch"])
        data_vars["budget_converged"] = (("run", "budget"), ~np.isnan(res[BUDGET_KEYS[1]]))
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update(
        epochs=epochs,
        update=update,
        activation=job.activation,
        gradient=job.gradient,
        optimizer=job.settings.optimizer,
        optimizer_params=job.settings.attrs()["optimizer_params"],
        data=table.name,
        engine=job.engine,
        precision=job.settings.precision,
        loss="mean binary cross-entropy over samples, predictions clipped to [1e-15, 1-1e-15]",
    )
    return with_cf_attrs(ds)
