"""One block of networks of any depth trained in place with NumPy.

The NumPy engine's epoch for networks of several hidden layers; one hidden
layer keeps the tuned epoch of :mod:`xorsweep.training._numpy_kernel` (the article's
numbers bit for bit), and both share its :class:`ParameterBlock` layout,
:class:`Descent` and :class:`LossTally`, and the trainer's loop. The run axis
is last; layer ``l`` of the block is the matrix ``blk.layers[l]`` of shape
``(n_l + 1, n_{l+1}, r)`` with its bias as the last row, ``l = 0`` the first
hidden layer and ``l = L`` (the depth) the output layer.

The epoch, for every network of the block at once (``a_0 = x``, ``f`` the
hidden activation, ``err`` the output error ``y_hat - y`` times the folded
learning rate and gradient scale):

* forward: ``z_{l+1} = a_l W_l + b_l``, ``a_{l+1} = f(z_{l+1})`` for the hidden
  layers, ``y_hat = sigmoid(z_{L+1})``;
* backward, from the output layer down: the gradient of layer ``l`` is
  ``a_l.T delta_{l+1}`` (and ``sum_s delta_{l+1}`` for its bias), with
  ``delta_{L+1} = err`` and ``delta_l = (delta_{l+1} W_l.T) * f'(z_l)``.

``update="article"`` steps each layer as soon as its gradient is taken, so the
layer below takes its ``delta`` with the already-stepped weights above it
(the article's order, extended downwards); ``"simultaneous"`` takes every
gradient at the same parameters and then steps all of them (textbook
backpropagation). Letters: ``s`` sample, ``h`` a layer's inputs, ``k`` its
units, ``o`` output, ``r`` run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..model.activations import Activation
from ..model.network import sigmoid
from ..model.truth_tables import TruthTable
from ._numpy_kernel import Descent, ParameterBlock

__all__ = ["DeepWorkspace", "deep_forward_pass", "deep_gradient_step"]


@dataclass
class DeepWorkspace:
    """The arrays an epoch of a deep block reads and writes besides the parameters."""

    x: np.ndarray  # (s, i+1): [x, 1], gives z_1 in one product
    x_t: np.ndarray  # (i+1, s): [x, 1].T, contiguous
    neg_sign: np.ndarray  # (s, o, 1): -1 where the target is 1, +1 where it is 0
    signed_lr: np.ndarray  # (s, o, r): lr * sign, lr including the gradient's scale
    one: np.ndarray  # 1.0, 0-d
    acts: list[np.ndarray]  # a_1 .. a_L, each (s, h_l, r)
    deltas: list[np.ndarray]  # delta_1 .. delta_L, each (s, h_l, r)
    z: np.ndarray  # (s, o, r): the output layer's logits
    prob: np.ndarray  # (s, o, r): probability given to the correct target
    err: np.ndarray  # (s, o, r): lr * (y_hat - y)
    grads: ParameterBlock  # gradients, in the parameters' layout

    @classmethod
    def for_block(cls, blk: ParameterBlock, data: TruthTable, lr: np.ndarray) -> DeepWorkspace:
        """The work arrays of ``blk`` trained on ``data`` with learning rates ``lr`` (r,)."""
        s, o = data.samples, data.n_out
        r = blk.wh.shape[2]
        x1 = np.hstack([data.inputs, np.ones((s, 1))])
        sign = 2.0 * data.targets[:, :, None] - 1.0  # (s, o, 1), as in Workspace
        widths = [layer.shape[1] for layer in blk.layers[:-1]]
        return cls(
            x=x1,
            x_t=np.ascontiguousarray(x1.T),
            neg_sign=-sign,
            signed_lr=sign * lr,
            one=np.ones(()),
            acts=[np.empty((s, h, r)) for h in widths],
            deltas=[np.empty((s, h, r)) for h in widths],
            z=np.empty((s, o, r)),
            prob=np.empty((s, o, r)),
            err=np.empty((s, o, r)),
            grads=ParameterBlock.empty(x1.shape[1] - 1, blk.hidden, o, r),
        )

    def predictions(self) -> np.ndarray:
        """``y_hat = sigmoid(z_o)`` of the last forward pass, shape (s, o, r)."""
        return sigmoid(self.z)


def deep_forward_pass(
    blk: ParameterBlock, ws: DeepWorkspace, activation: Activation
) -> Callable[[], None]:
    """The forward pass: hidden outputs ``ws.acts``, logits ``ws.z``, probabilities ``ws.prob``."""
    acts, z, prob, one, neg_sign = ws.acts, ws.z, ws.prob, ws.one, ws.neg_sign
    f = activation.function
    s, h1, r = acts[0].shape
    first, first_out = blk.wh.reshape(-1, h1 * r), acts[0].reshape(s, h1 * r)

    def forward() -> None:
        np.matmul(ws.x, first, out=first_out)  # z_1, bias included: [x, 1] @ W_0
        acts[0][...] = f(acts[0])
        for layer, below, above in zip(blk.layers[1:-1], acts[:-1], acts[1:], strict=True):
            np.einsum("shr,hkr->skr", below, layer[:-1], out=above)
            np.add(above, layer[-1], above)
            above[...] = f(above)
        np.einsum("shr,hor->sor", acts[-1], blk.wo[:-1], out=z)
        np.add(z, blk.wo[-1], z)
        np.multiply(z, neg_sign, prob)
        np.exp(prob, prob)
        np.add(prob, one, prob)
        np.divide(one, prob, prob)  # p = sigmoid(sign * z_o)

    return forward


def deep_gradient_step(
    blk: ParameterBlock,
    ws: DeepWorkspace,
    article: bool,
    activation: Activation,
    descend: Descent,
) -> Callable[[], None]:
    """One step on ``blk`` from the last forward pass, in ``article`` or simultaneous order."""
    acts, deltas, err, one, grads = ws.acts, ws.deltas, ws.err, ws.one, ws.grads
    slope = activation.slope
    depth = len(blk.layers) - 1
    s, h1, r = deltas[0].shape
    first_grad, first_delta = grads.wh.reshape(-1, h1 * r), deltas[0].reshape(s, h1 * r)
    errors = [*deltas, err]  # the error at the units of layer l: errors[l]

    def step() -> None:
        np.subtract(ws.prob, one, err)
        np.multiply(err, ws.signed_lr, err)  # lr * (y_hat - y) (scaled)
        for k in range(depth, 0, -1):  # layer k's inputs are acts[k - 1]
            delta, grad = errors[k], grads.layers[k]
            np.einsum("shr,skr->hkr", acts[k - 1], delta, out=grad[:-1])
            np.add.reduce(delta, 0, None, grad[-1])
            if article:  # stepped now: the layer below takes its error through the new weights
                descend(k)
            below = errors[k - 1]
            np.einsum("skr,hkr->shr", delta, blk.layers[k][:-1], out=below)
            np.multiply(below, slope(acts[k - 1]), below)
        np.matmul(ws.x_t, first_delta, out=first_grad)  # weights and bias: [x, 1].T @ delta_1
        descend(0 if article else "all")

    return step
