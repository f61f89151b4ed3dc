"""Training stopped and taken up again: a population's state between two calls.

A :class:`TrainingState` holds networks part-way through training together
with what training them on needs so that the numbers equal one training in
one go, bit for bit within an engine: the parameters, the running sum of the
loss that becomes ``total_loss``, the last epoch with a wrong prediction (for
``converged_epoch``), the epoch reached, and the training's settings.
:func:`train_on` trains a state on to a later epoch and returns the results
with the state there::

    state = TrainingState.start(population, 0.1)
    first, state = train_on(state, 10_000)  # first.total_loss: epochs 0..9,999
    more, state = train_on(state, 100_000)  # == train(population, 100_000), bit for bit

The running sum is the engine's own: the NumPy engine sums the logs of
products of a group of epochs (:class:`xorsweep.training._numpy_kernel.LossTally`;
groups start at multiples of its length counted from epoch 0, and ``pending``
holds the clipped probabilities of a group that was cut), the numba engine
keeps the product as a mantissa and an exponent. So a state goes on with the
engine that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .._core.checks import check_count
from ..model.network import Population, parameter_names
from ..model.truth_tables import TruthTable
from .trainer import (
    ARTICLE_LR,
    DEFAULT_BLOCK,
    STATE_KEYS,
    TrainingJob,
    TrainingSettings,
    _settings,
    run_training,
    to_dataset,
    without_state,
)

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["TrainingState", "train_on", "train_on_arrays"]


@dataclass(frozen=True, eq=False)
class TrainingState:
    """Networks after ``epoch`` epochs of training, and what training them on needs.

    Make one with :meth:`start` (epoch 0) or take it from :func:`train_on`.

    Attributes
    ----------
    population : Population
        The parameters after ``epoch`` gradient steps.
    epoch : int
        Epochs trained, >= 0.
    lr : ndarray, shape (run,)
        Learning rates as given to :func:`xorsweep.train` (before the gradient's scale).
    last_wrong : ndarray of int64, shape (run,)
        1 + the last epoch before ``epoch`` at which some prediction was wrong, 0 if none.
    loss_sum : ndarray, shape (run, 2)
        The engine's running sum of ``log p`` (clipped probabilities of the
        correct targets) over the epochs before ``epoch``: NumPy ``(sum, 0)``
        without the ``pending`` epochs; numba the product as ``(mantissa, exponent)``.
    pending : ndarray, shape (run, k, sample, output)
        The NumPy engine's clipped probabilities of the last ``k`` epochs, a
        group not yet summed (``k = 0`` for numba, and at multiples of the group).
    data : TruthTable
    update, activation, gradient : str
        The training's settings, as in :func:`xorsweep.train`.
    engine : {"numpy", "numba"}
        The engine that computed the state, and that trains it on.
    optimizer, optimizer_params
        The optimiser and its hyper-parameters (as pairs), as in :func:`xorsweep.train`.
    optimizer_state : ndarray, shape (run, k, parameter), optional
        The optimiser's state per run (:data:`xorsweep.training.optimizers.TABLE`), the
        parameters in :func:`xorsweep.model.network.unpack_parameters`'s packing; None: zero.
    """

    population: Population
    epoch: int
    lr: np.ndarray
    last_wrong: np.ndarray
    loss_sum: np.ndarray
    pending: np.ndarray
    data: TruthTable
    update: str = "article"
    activation: str = "sigmoid"
    gradient: str = "sum"
    engine: str = "numpy"
    optimizer: str = "gd"
    optimizer_params: tuple = ()
    optimizer_state: np.ndarray | None = None

    def __post_init__(self) -> None:
        r, table = self.population.runs, self.data
        shapes = {
            "lr": (r,),
            "last_wrong": (r,),
            "loss_sum": (r, 2),
            "pending": (r, self.pending.shape[1] if self.pending.ndim == 4 else -1)
            + (table.samples, table.n_out),
        }
        for name, shape in shapes.items():
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(
                    f"state.{name} must have shape {shape} for {r} runs of {table.name!r}, "
                    f"got {np.shape(getattr(self, name))}"
                )
        if self.engine == "numba" and self.pending.shape[1]:
            raise ValueError("state.pending must be empty for a state of the numba engine")

    @classmethod
    def start(
        cls,
        population: Population,
        lr: float | np.ndarray = ARTICLE_LR,
        *,
        data: TruthTable | str | None = None,
        update: str = "article",
        activation: str = "sigmoid",
        gradient: str = "sum",
        engine: str = "auto",
        optimizer: str = "gd",
        optimizer_params: dict | None = None,
    ) -> TrainingState:
        """The state of ``population`` before training (epoch 0).

        The arguments are :func:`xorsweep.train`'s, checked as it checks them;
        ``engine="auto"`` is settled here (numba where it compiles).

        Examples
        --------
        >>> from xorsweep import init_population
        >>> state = TrainingState.start(init_population(3, seed=0), 0.1, engine="numpy")
        >>> state.epoch, state.runs, state.engine
        (0, 3, 'numpy')
        """
        if isinstance(population, Population) and population.depth > 1:
            if engine == "numba":  # its kernel for several hidden layers keeps no state
                raise ValueError(
                    "engine='numba' trains networks of several hidden layers from epoch 0 only: "
                    "use engine='numpy' (or 'auto') for a TrainingState"
                )
            engine = "numpy" if engine == "auto" else engine
        options = dict(update=update, activation=activation, gradient=gradient, engine=engine)
        options.update(optimizer=optimizer, optimizer_params=optimizer_params or {})
        job = TrainingJob.checked(population, _settings(population, 0, lr, None, options), data, 1)
        r, table = job.population.runs, job.table
        loss_sum = np.zeros((r, 2))
        if job.engine == "numba":
            loss_sum[:, 0] = 1.0  # the running product's mantissa
        return cls(
            job.population,
            0,
            job.lrs,
            np.zeros(r, dtype=np.int64),
            loss_sum,
            np.empty((r, 0, table.samples, table.n_out)),
            table,
            job.update,
            job.activation,
            job.gradient,
            job.engine,
            job.settings.optimizer,
            job.settings.optimizer_params,
        )

    @property
    def runs(self) -> int:
        """Networks in the state."""
        return self.population.runs

    def __getitem__(self, index: object) -> TrainingState:
        """The state of some runs: ``index`` an int, slice, index array or boolean mask (run,)."""
        runs = np.arange(self.runs)[index]  # type: ignore[index]
        runs = np.atleast_1d(runs)
        return replace(
            self,
            population=self.population[runs],
            lr=self.lr[runs],
            last_wrong=self.last_wrong[runs],
            loss_sum=self.loss_sum[runs],
            pending=self.pending[runs],
            optimizer_state=None if self.optimizer_state is None else self.optimizer_state[runs],
        )

    def job(self, epochs: int, record_every: int | None, block_size: int) -> TrainingJob:
        """The :class:`~xorsweep.training.trainer.TrainingJob` training this state to ``epochs``."""
        carry = {name: getattr(self, name) for name in STATE_KEYS if name != "optimizer_state"}
        state = self.optimizer_state
        carry["optimizer_state"] = np.empty((self.runs, 0, 0)) if state is None else state
        settings = TrainingSettings(
            epochs, tuple(self.lr.tolist()), self.update, self.activation, self.gradient,
            self.optimizer, self.optimizer_params, self.engine, record_every,
        )  # fmt: skip
        return TrainingJob(
            self.population,
            settings,
            self.lr,
            self.data,
            block_size,
            first_epoch=self.epoch,
            carry=None if self.epoch == 0 else carry,
        )


def _checked_job(state: object, epochs: object, record_every: object, block_size: object):
    if not isinstance(state, TrainingState):
        raise TypeError(
            f"state must be a xorsweep.TrainingState (TrainingState.start or train_on), "
            f"got {type(state).__name__}"
        )
    epochs = check_count(epochs, "epochs", minimum=0)
    if epochs < state.epoch:
        raise ValueError(
            f"epochs must be >= {state.epoch}, the epochs the state has trained "
            f"(training goes on to epoch `epochs`), got {epochs}"
        )
    if record_every is not None:
        record_every = check_count(record_every, "record_every")
    block_size = check_count(block_size, "block_size")
    return state.job(epochs, record_every, block_size)


def _end_state(state: TrainingState, res: dict[str, np.ndarray], epochs: int) -> TrainingState:
    """The state at ``epochs`` from :func:`~xorsweep.training.trainer.run_training`'s results."""
    return replace(
        state,
        population=Population.from_parameters(
            {name: res[name] for name in parameter_names(state.population.depth)}
        ),
        epoch=epochs,
        **{name: res[name] for name in STATE_KEYS},
    )


def train_on_arrays(
    state: TrainingState,
    epochs: int,
    *,
    record_every: int | None = None,
    block_size: int = DEFAULT_BLOCK,
) -> tuple[dict[str, np.ndarray], TrainingState]:
    """Train ``state`` on to epoch ``epochs``: :func:`train_on` without xarray.

    Returns
    -------
    results : dict of str to ndarray
        :func:`xorsweep.train_arrays`'s arrays, run first, for the whole
        training from epoch 0 to ``epochs`` (``total_loss`` sums every epoch,
        ``converged_epoch`` counts from 0); the records, with ``record_every``,
        are of the epochs from ``state.epoch`` on.
    state : TrainingState
        The state at ``epochs``.
    """
    job = _checked_job(state, epochs, record_every, block_size)
    res = run_training(job)
    return {**without_state(res), "lr": job.lrs}, _end_state(state, res, job.epochs)


def train_on(
    state: TrainingState,
    epochs: int,
    *,
    record_every: int | None = None,
    block_size: int = DEFAULT_BLOCK,
) -> tuple[xr.Dataset, TrainingState]:
    """Train ``state`` on to epoch ``epochs``; the same numbers as training in one go.

    Parameters
    ----------
    state : TrainingState
        From :meth:`TrainingState.start` or an earlier :func:`train_on`.
    epochs : int
        The epoch to reach, >= ``state.epoch`` (not a number of further epochs).
    record_every : int, optional
        k >= 1: record the loss and the parameters at the multiples of k from
        ``state.epoch`` to ``epochs - 1`` (the ``epoch`` coordinate counts from 0).
    block_size : int
        As in :func:`xorsweep.train`.

    Returns
    -------
    results : xarray.Dataset
        :func:`xorsweep.train`'s Dataset for the training from epoch 0 to
        ``epochs``: bit for bit what ``train(population, epochs, ...)`` gives
        with the same engine, however the training was cut. Attribute
        ``first_epoch``: ``state.epoch``.
    state : TrainingState
        The state at ``epochs``, to train on further.

    Raises
    ------
    TypeError, ValueError
        For a ``state`` that is not a TrainingState, ``epochs`` below
        ``state.epoch`` and bad ``record_every`` or ``block_size``.

    Examples
    --------
    >>> from xorsweep import init_population, train
    >>> pop = init_population(4, seed=0)
    >>> part, state = train_on(TrainingState.start(pop, 0.1, engine="numpy"), 1000)
    >>> whole, state = train_on(state, 3000)
    >>> bool((whole.total_loss == train(pop, 3000, engine="numpy").total_loss).all())
    True
    """
    job = _checked_job(state, epochs, record_every, block_size)
    res = run_training(job)
    ds = to_dataset(without_state(res), job)
    ds.attrs.update(first_epoch=state.epoch)
    return ds, _end_state(state, res, job.epochs)
