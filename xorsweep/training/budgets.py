"""Training budgets: each run scored as if training had stopped after ``b`` epochs.

With ``budgets=(b_1, ..., b_k)`` (:class:`~xorsweep.training.settings.TrainingSettings`),
one training of ``epochs`` epochs also gives, per run and budget ``b``, what a
training of ``b`` epochs of the same networks would have given: the total loss
over epochs ``0..b-1`` and the converged epoch with ``epochs=b``. Both are read
at the loop level when epoch ``b`` starts: the running sum of the losses then
covers the epochs before it, and that epoch's forward pass scores the networks
that ``b`` updates made. A budget equal to ``epochs`` is the training's own
``total_loss`` and ``converged_epoch``.

The NumPy engine's marks are :class:`BudgetMarks` (over the trainer's
:class:`~xorsweep.training._numpy_kernel.LossTally`); the fused kernels copy the
rows of their running product and ``last_wrong`` into an array that
:func:`fused_marks` reads.
"""

from __future__ import annotations

import numpy as np

from ..model.network import parameter_names
from ._numpy_kernel import _PRODUCT_CHUNK, LossTally
from .fused_results import converged, summed_loss

__all__ = [
    "BudgetMarks",
    "converged_epoch",
    "fused_marks",
    "inside",
    "mark_diverged",
    "no_carry",
    "with_last",
]

#: The names of the budgets' results, each (run, budget).
KEYS = ("budget_total_loss", "budget_converged_epoch")


def inside(budgets: tuple[int, ...] | None, epochs: int) -> np.ndarray:
    """The budgets that end before ``epochs`` (the kernels mark those), int64.

    >>> inside((10, 20, 30), 30), inside(None, 30)
    (array([10, 20]), array([], dtype=int64))
    """
    return np.array([b for b in budgets or () if b < epochs], dtype=np.int64)


def no_carry(budgets: tuple[int, ...] | None, first_epoch: int) -> None:
    """Raise if ``budgets`` are asked of a training that starts after epoch 0."""
    if budgets and first_epoch:
        raise ValueError(
            f"budgets are recorded from epoch 0 only: this training goes on from epoch "
            f"{first_epoch}; train without budgets or from the start"
        )


def converged_epoch(last_wrong: np.ndarray, final_wrong: np.ndarray, epochs: int) -> np.ndarray:
    """The first epoch from which every prediction is right, NaN if the last one is wrong.

    ``last_wrong`` (r,) is 1 + the last trained epoch with a wrong prediction
    (0: none), ``final_wrong`` (r,) whether the trained networks' is wrong.

    >>> converged_epoch(np.array([0, 3, 3]), np.array([False, False, True]), 5)
    array([ 0.,  3., nan])
    """
    last = last_wrong - 1  # -1: never wrong
    np.copyto(last, epochs, where=final_wrong)
    return np.where(last == epochs, np.nan, last + 1.0)


class BudgetMarks:
    """The NumPy engine's scores at each budget, taken from a :class:`LossTally`.

    The trainer calls :meth:`take` at epoch :attr:`next` once its probabilities
    are recorded (row ``row`` of the group that starts at epoch ``first``); the
    sum over the epochs before it is computed as the tally's own last,
    unfinished group would be, so a budget's numbers are those of a training
    of that many epochs bit for bit.
    """

    def __init__(self, budgets: np.ndarray, runs: int) -> None:
        self.budgets = budgets
        self.log_total = np.empty((runs, budgets.size))  # sum of log p over the budget
        self.converged = np.empty((runs, budgets.size))
        self.k = 0
        self.next = int(budgets[0]) if budgets.size else -1  # the epoch of the next mark

    def take(self, tally: LossTally, row: int, first: int) -> None:
        """Mark budget ``first + row``: the tally has scored the groups before ``first``."""
        n_rows = row * tally.n_terms
        total = tally.log_total
        if row:  # as LossTally.score_group would add a last group of `row` epochs
            if n_rows <= _PRODUCT_CHUNK:
                part = np.multiply.reduce(tally.clipped[:n_rows], 0)
                np.log(part, part)
            else:
                part = tally.log_likelihood(slice(0, n_rows))
            total = np.add(total, part)
        wrong = tally.wrong_rows(row + 1)  # the group's epochs, this one last
        last_wrong = tally.last_wrong.copy()
        for earlier in range(row):
            np.maximum(last_wrong, wrong[earlier] * (first + earlier + 1), out=last_wrong)
        self.log_total[:, self.k] = total
        self.converged[:, self.k] = converged_epoch(last_wrong, wrong[row], first + row)
        self.k += 1
        self.next = int(self.budgets[self.k]) if self.k < self.budgets.size else -1

    def results(self, n_terms: int) -> dict[str, np.ndarray]:
        """:data:`KEYS`, (run, budget), for the budgets marked."""
        return {KEYS[0]: -self.log_total / n_terms, KEYS[1]: self.converged}


def fused_marks(marks: np.ndarray, budgets: np.ndarray, terms: int) -> dict[str, np.ndarray]:
    """:data:`KEYS` from a fused kernel's marks (budget, 3, run): at each budget the
    running product's mantissa and exponent before its epoch, and ``last_wrong`` after
    its forward pass, as a training of that many epochs ends with them."""
    if not budgets.size:
        return {key: np.empty((marks.shape[-1], 0)) for key in KEYS}
    marks = marks.astype(np.float64)
    total = summed_loss(marks[:, 0], marks[:, 1], terms)  # (budget, run)
    conv = [converged(marks[k, 2], int(b)) for k, b in enumerate(budgets)]
    return {KEYS[0]: np.ascontiguousarray(total.T), KEYS[1]: np.stack(conv, axis=1)}


def with_last(marked: dict[str, np.ndarray], res: dict[str, np.ndarray], budgets) -> dict:
    """The budgets' results (run, budget), ``budgets`` all of them: those marked, then, if
    the last is the training's epochs, its ``total_loss`` and ``converged_epoch``."""
    out = dict(marked)
    if len(budgets) > marked[KEYS[0]].shape[1]:
        for key, name in zip(KEYS, ("total_loss", "converged_epoch"), strict=True):
            out[key] = np.concatenate([marked[key], res[name][:, None]], axis=1)
    return out


def mark_diverged(merged: dict[str, np.ndarray], depth: int) -> None:
    """Set the losses of every run whose trained parameters are not finite to NaN, in place.

    Such a run diverged. NumPy's loss of it is NaN already; the numba kernels' arithmetic
    assumes finite numbers, and their loss of it can be any number, even negative. Neither
    says when it diverged, so it counts as diverged at every budget.
    """
    runs = merged["total_loss"].shape[0]
    finite = np.ones(runs, dtype=bool)
    for name in parameter_names(depth):
        finite &= np.isfinite(merged[name].reshape(runs, -1)).all(axis=1)
    if finite.all():
        return
    for name in ("total_loss", "final_loss", *KEYS):
        if name in merged and merged[name].dtype.kind == "f":
            merged[name][~finite] = np.nan
