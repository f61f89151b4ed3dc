"""A plain one-network-at-a-time trainer written from the article's equations.

This is the independent reference that :func:`xorsweep.train` is tested and
benchmarked against. It favours being obviously right over being fast: one
network, one epoch, one NumPy call per equation.

For one network with inputs ``x`` (sample, in) and targets ``y`` (sample, out),
and the hidden layer's activation ``f`` (the sigmoid by default, tanh or ReLU; see
:mod:`xorsweep.model.activations`):

* forward: ``h = f(x @ W_h + b_h)``, ``y_hat = sigmoid(h @ W_o + b_o)``;
* loss: the binary cross-entropy of ``clip(y_hat, 1e-15, 1 - 1e-15)``,
  averaged over samples and outputs, summed over epochs into ``total_loss``.
  It is ``-log p`` with ``p`` the clipped probability given to the correct
  target: ``y_hat`` where ``y = 1`` and ``1 - y_hat`` where ``y = 0``. The
  latter is evaluated as ``sigmoid(-z)``, the same number as the article's
  ``1 - y_hat`` without its cancellation: when ``y_hat`` is within 1e-12 of 1,
  the subtraction keeps fewer than 4 significant digits;
* output error ``d = y_hat - y`` summed (not averaged) over samples; with
  ``gradient="mean"`` it is divided by ``samples * outputs`` first, the
  gradient of the mean loss;
* ``update="article"``: ``W_o -= lr * h.T @ d`` and ``b_o -= lr * sum(d)``
  first, then the hidden error ``(d @ W_o.T) * f'`` with the updated ``W_o``,
  where ``f' = h * (1 - h)`` for the sigmoid, ``1 - h**2`` for tanh and ``h > 0`` for ReLU;
  ``update="simultaneous"`` uses the ``W_o`` from before the update.
"""

from __future__ import annotations

import numpy as np

from ..model.activations import activate, check_activation, check_gradient, gradient_scale, slope
from ..model.network import CLIP, Population, sigmoid
from ..model.truth_tables import TruthTable, xor

__all__ = ["train_one", "train_reference", "CLIP"]


def _correct_probability(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Clipped probability the network gives the correct target, from its logits ``z``."""
    return np.clip(sigmoid(np.where(y == 1.0, z, -z)), CLIP, 1.0 - CLIP)


def _forward(
    x: np.ndarray, y: np.ndarray, w_h, b_h, w_o, b_o, activation: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hidden outputs (s, h), then logits, predictions, clipped correct probabilities (s, o)."""
    hidden_output = activate(activation, x @ w_h + b_h)
    z = hidden_output @ w_o + b_o
    return hidden_output, z, sigmoid(z), _correct_probability(y, z)


def train_one(
    hidden_weights: np.ndarray,
    hidden_bias: np.ndarray,
    output_weights: np.ndarray,
    output_bias: np.ndarray,
    *,
    epochs: int = 10_000,
    lr: float = 0.1,
    data: TruthTable | None = None,
    update: str = "article",
    activation: str = "sigmoid",
    gradient: str = "sum",
    record_every: int | None = None,
) -> dict:
    """Train one network and return its metrics and final parameters.

    Parameters
    ----------
    hidden_weights : ndarray, shape (in, hidden)
    hidden_bias : ndarray, shape (1, hidden)
    output_weights : ndarray, shape (hidden, out)
    output_bias : ndarray, shape (1, out)
        Initial parameters; copied, never modified.
    epochs, lr, data, update, activation, gradient
        As in :func:`xorsweep.train`.
    record_every : int, optional
        Also return ``epoch_loss``, the mean loss at epochs 0, k, 2k, ...

    Returns
    -------
    dict
        ``total_loss``, ``final_loss`` (float), ``predictions`` (sample, out),
        ``converged_epoch`` (int, or None if the last predictions are wrong),
        the four final parameters, and ``epoch_loss`` if recorded.
    """
    data = xor() if data is None else data
    x, y = data.inputs, data.targets
    activation, gradient = check_activation(activation), check_gradient(gradient)
    scale = gradient_scale(gradient, *y.shape)  # 1, or 1 / (samples * outputs)
    w_h, b_h, w_o, b_o = (
        np.array(a, dtype=float) for a in (hidden_weights, hidden_bias, output_weights, output_bias)
    )
    total_loss = 0.0
    last_wrong = -1  # last epoch whose predictions were not all correct
    history = []
    for epoch in range(epochs):
        hidden_output, z, y_hat, p = _forward(x, y, w_h, b_h, w_o, b_o, activation)
        loss = float(np.mean(-np.log(p)))
        total_loss += loss
        if record_every and epoch % record_every == 0:
            history.append(loss)
        if not np.all(p > 0.5):  # some prediction on the wrong side of 0.5
            last_wrong = epoch
        d = scale * (y_hat - y)
        old_w_o = w_o.copy()
        w_o = w_o - lr * (hidden_output.T @ d)
        b_o = b_o - lr * np.sum(d, axis=0, keepdims=True)
        back_w = w_o if update == "article" else old_w_o
        d_hidden = (d @ back_w.T) * slope(activation, hidden_output)
        w_h = w_h - lr * (x.T @ d_hidden)
        b_h = b_h - lr * np.sum(d_hidden, axis=0, keepdims=True)
    _, _, y_hat, p = _forward(x, y, w_h, b_h, w_o, b_o, activation)
    if not np.all(p > 0.5):
        last_wrong = epochs
    result = {
        "total_loss": total_loss,
        "final_loss": float(np.mean(-np.log(p))),
        "predictions": y_hat,
        "converged_epoch": None if last_wrong == epochs else last_wrong + 1,
        "hidden_weights": w_h,
        "hidden_bias": b_h,
        "output_weights": w_o,
        "output_bias": b_o,
    }
    if record_every:
        result["epoch_loss"] = np.array(history)
    return result


def train_reference(
    population: Population,
    epochs: int = 10_000,
    lr: float | np.ndarray = 0.1,
    *,
    data: TruthTable | None = None,
    update: str = "article",
    activation: str = "sigmoid",
    gradient: str = "sum",
) -> list[dict]:
    """Train each network of ``population`` alone with :func:`train_one`.

    ``lr`` may be one value or one per run; the other arguments as in
    :func:`train_one`. Returns one result dict per run.
    """
    lrs = np.broadcast_to(np.asarray(lr, dtype=float), (population.runs,))
    return [
        train_one(
            *(p[r] for p in population.parameters().values()),
            epochs=epochs,
            lr=float(lrs[r]),
            data=data,
            update=update,
            activation=activation,
            gradient=gradient,
        )
        for r in range(population.runs)
    ]
