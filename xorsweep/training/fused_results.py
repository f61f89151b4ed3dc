"""The fused kernel's results: its rows of numbers read back as the NumPy engine's arrays.

:mod:`xorsweep.training.fused` trains networks as rows of a state buffer (row, run);
these functions turn those rows into the parameters, losses and predictions
that :func:`xorsweep.train` returns.
"""

from __future__ import annotations

import math

import numpy as np

from ..model.network import PARAMETER_NAMES

__all__ = [
    "LANES", "chunked", "converged", "mean_loss", "parameters", "scores", "summed_loss",
    "to_rows", "unchunked",
]  # fmt: skip

#: Runs advanced together by one pass of the kernel: a multiple of every SIMD width.
LANES = 64


def parameters(rows: np.ndarray, n_in: int, hidden: int) -> dict[str, np.ndarray]:
    """The four parameters, run first, from the layout's rows (..., wo + (hidden + 1) * out, run).

    With leading axes (record), the result is (run, record, ...).
    """
    lead = rows.shape[:-2]
    runs = rows.shape[-1]
    wh = rows[..., : (n_in + 1) * hidden, :].reshape(*lead, n_in + 1, hidden, runs)
    n_out = (rows.shape[-2] - (n_in + 1) * hidden) // (hidden + 1)
    wo = rows[..., (n_in + 1) * hidden :, :].reshape(*lead, hidden + 1, n_out, runs)
    wh, wo = np.moveaxis(wh, -1, 0), np.moveaxis(wo, -1, 0)
    parts = (wh[..., :n_in, :], wh[..., n_in:, :], wo[..., :hidden, :], wo[..., hidden:, :])
    return {n: np.ascontiguousarray(p) for n, p in zip(PARAMETER_NAMES, parts, strict=True)}


def scores(final: np.ndarray, epochs: int, samples: int, n_out: int) -> dict[str, np.ndarray]:
    """Total loss, the trained networks' loss and predictions, from ``final`` (row, run).

    Rows: the running product's mantissa and exponent, ``last_wrong``, then for
    each sample its ``n_out`` logits and ``n_out`` clipped probabilities.
    """
    mantissa, exponent, per_sample = final[0], final[1], final[3:].reshape(samples, 2, n_out, -1)
    terms = samples * n_out
    with np.errstate(over="ignore"):  # exp(-z) -> inf is the correct limit of the sigmoid
        y_hat = 1.0 / (1.0 + np.exp(-per_sample[:, 0]))  # (sample, out, run)
    return {
        "total_loss": summed_loss(mantissa, exponent, terms),
        "final_loss": mean_loss(per_sample[:, 1].reshape(terms, -1)),
        "predictions": np.ascontiguousarray(y_hat.transpose(2, 0, 1)),
    }


def summed_loss(mantissa: np.ndarray, exponent: np.ndarray, terms: int) -> np.ndarray:
    """The total loss, the mean clipped BCE summed over epochs, from the running product of
    the clipped probabilities ``mantissa * 2**exponent`` over ``terms`` samples x outputs."""
    return -(np.log(mantissa) + exponent * math.log(2.0)) / terms


def converged(last_wrong: np.ndarray, epochs: int) -> np.ndarray:
    """``converged_epoch`` from 1 + the last epoch with a wrong prediction, 0 for none.

    The trained network's predictions count as epoch ``epochs``: wrong there, NaN.
    """
    return np.where(last_wrong == epochs + 1, np.nan, last_wrong)


def mean_loss(prob: np.ndarray) -> np.ndarray:
    """Mean of ``-log`` over the first axis (term, ...), summed in order: the same numbers
    whatever the other axes' lengths (NumPy's sums may pair terms up differently)."""
    total = -np.log(prob[0])
    for p in prob[1:]:
        total -= np.log(p)
    return total / prob.shape[0]


def to_rows(weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(run, a, b) weights and (run, 1, b) bias as rows ((a + 1) * b, run), the bias last."""
    both = np.concatenate([weights, bias], axis=1)
    return both.reshape(both.shape[0], -1).T


def chunked(lanes: np.ndarray) -> np.ndarray:
    """(row, run) with whole chunks of runs as (chunk, row * LANES), each chunk contiguous."""
    rows = lanes.shape[0]
    return np.ascontiguousarray(lanes.reshape(rows, -1, LANES).transpose(1, 0, 2)).reshape(
        -1, rows * LANES
    )


def unchunked(chunked: np.ndarray, runs: int) -> np.ndarray:
    """(chunk, ..., rows * LANES) as (..., rows, run), without the padding lanes."""
    rows = chunked.shape[-1] // LANES
    split = chunked.reshape(*chunked.shape[:-1], rows, LANES)  # (chunk, ..., row, lane)
    moved = np.moveaxis(split, 0, -2)  # (..., row, chunk, lane)
    return moved.reshape(*moved.shape[:-2], chunked.shape[0] * LANES)[..., :runs]
