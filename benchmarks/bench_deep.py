"""The deep fused kernel against the 2-2-1 kernel and JAX, depth by depth.

One core (the script pins itself; BLAS and XLA get one thread), float64, XOR,
width 4, the article's gd and update order, ``--runs`` networks for ``--epochs``
epochs per timing, CPU time (``time.process_time``), medians of ``--repeats``:

* ``deep``: :func:`xorsweep.training.fused_deep.train_deep`, depths ``--depths``;
* ``2-2-1``: ``train_arrays(..., engine="numba")`` on 2-2-1 networks (the kernel of
  :mod:`xorsweep.training.fused`, compiled for that shape), the yardstick;
* ``fused 2-4-1``: the same kernel on 2-4-1 networks, depth 1 at width 4;
* ``JAX``: ``jit`` of a ``lax.scan`` over epochs of the same deep training
  (forward, clipped BCE summed over epochs, textbook backprop, the article's
  order; run axis first, ``einsum`` per layer) on the same population.

The work of a network-epoch is counted in multiply-adds of its forward pass,
``samples * sum_l (n_l + 1) n_{l+1}`` (the bias as one); the backward pass
costs about twice that in every implementation. Run from the repository root::

    python benchmarks/bench_deep.py            # about 2 minutes
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from _machine import cpu_model, numpy_simd, pin_to_one_core  # noqa: E402

import xorsweep as xs  # noqa: E402
from xorsweep.model.network import CLIP  # noqa: E402
from xorsweep.training.fused_deep import train_deep  # noqa: E402
from xorsweep.training.settings import TrainingSettings  # noqa: E402
from xorsweep.training.trainer import train_arrays  # noqa: E402


def deep_population(runs: int, n_in: int, widths: list[int], seed: int = 0) -> tuple:
    """Normal weights and biases (std 1 / sqrt(fan-in)) of ``runs`` networks."""
    rng = np.random.default_rng(seed)
    sizes = [n_in, *widths, 1]
    weights = [rng.normal(0, a**-0.5, (runs, a, b)) for a, b in zip(sizes, sizes[1:], strict=False)]
    biases = [rng.normal(0, a**-0.5, (runs, 1, b)) for a, b in zip(sizes, sizes[1:], strict=False)]
    return weights, biases


def multiply_adds(samples: int, sizes: list[int]) -> int:
    """Forward multiply-adds of one network-epoch, the bias counted as one."""
    return samples * sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))


def jax_trainer(epochs: int):
    """``train(weights, biases, x, y, lr) -> (total_loss, weights, biases)``, jit-compiled:
    a ``lax.scan`` over epochs of forward, loss and the article's backward order."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def epoch(carry, _):
        weights, biases, total, x, sign, lr = carry
        acts = [jnp.broadcast_to(x, (weights[0].shape[0], *x.shape))]  # (run, sample, unit)
        for w, b in zip(weights[:-1], biases[:-1], strict=True):
            acts.append(jax.nn.sigmoid(jnp.einsum("rsi,rij->rsj", acts[-1], w) + b))
        z = jnp.einsum("rsi,rij->rsj", acts[-1], weights[-1]) + biases[-1]
        p = jax.nn.sigmoid(sign * z)
        total = total - jnp.mean(jnp.log(jnp.clip(p, CLIP, 1.0 - CLIP)), axis=(1, 2))
        delta = lr[:, None, None] * sign * (p - 1.0)  # lr * (y_hat - y)
        new_w, new_b = list(weights), list(biases)
        for k in range(len(weights) - 1, -1, -1):  # each layer stepped before the one below
            new_w[k] = weights[k] - jnp.einsum("rsi,rsj->rij", acts[k], delta)
            new_b[k] = biases[k] - jnp.sum(delta, axis=1, keepdims=True)
            if k:
                h = acts[k]
                delta = jnp.einsum("rsj,rij->rsi", delta, new_w[k]) * h * (1.0 - h)
        return (new_w, new_b, total, x, sign, lr), None

    @jax.jit
    def train(weights, biases, x, y, lr):
        start = (weights, biases, jnp.zeros(lr.shape), x, 2.0 * y - 1.0, lr)
        (w, b, total, *_), _ = jax.lax.scan(epoch, start, None, length=epochs)
        return total, w, b

    return train


def median_seconds(repeats: int, fn, *args) -> float:
    """Median CPU seconds of ``repeats`` calls of ``fn(*args)``."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn(*args)
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--base-epochs", type=int, default=1000, help="epochs of the 2-x-1 rows")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--depths", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--no-jax", action="store_true")
    args = parser.parse_args()
    pin_to_one_core()
    simd = numpy_simd()
    print(f"# {cpu_model()}; numpy SIMD baseline {simd['baseline']}, found {simd['found']}")
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, runs {args.runs}, "
        f"epochs {args.epochs}, medians of {args.repeats}, CPU time, one core"
    )
    data, runs, epochs = xs.xor(), args.runs, args.epochs
    x, y, rates = data.inputs, data.targets, np.full(runs, 0.1)
    settings = TrainingSettings(epochs, engine="numba")
    base_settings = TrainingSettings(args.base_epochs, engine="numba")
    rows = []
    for hidden in (2, args.width):
        pop = xs.init_population(runs, seed=0, hidden=hidden)
        train_arrays(pop[:1], settings=base_settings)  # compile, or load numba's cache
        sec = median_seconds(args.repeats, lambda p=pop: train_arrays(p, settings=base_settings))
        macs = multiply_adds(4, [2, hidden, 1])
        rows.append((f"fused 2-{hidden}-1", 1, macs, runs * args.base_epochs, sec, None))
    base = rows[0][4] / (rows[0][3] * rows[0][2])  # seconds per multiply-add of the 2-2-1 kernel
    train = None if args.no_jax else jax_trainer(epochs)
    for depth in args.depths:
        sizes = [2, *[args.width] * depth, 1]
        w, b = deep_population(runs, 2, sizes[1:-1])
        train_deep(w, b, x, y, 1, rates, settings)  # compile, or load numba's cache
        sec = median_seconds(args.repeats, train_deep, w, b, x, y, epochs, rates, settings)
        jax_sec = None
        if train is not None:
            ours = train_deep(w, b, x, y, epochs, rates, settings)["total_loss"]
            theirs = np.asarray(train(w, b, x, y, rates)[0])  # and compiled for this depth
            gap = np.max(np.abs(ours - theirs) / np.abs(theirs))
            print(f"# depth {depth}: JAX's total_loss within {gap:.1e} of train_deep's")
            jax_sec = median_seconds(
                args.repeats, lambda w=w, b=b: train(w, b, x, y, rates)[0].block_until_ready()
            )
        rows.append((f"deep 2-{args.width}x{depth}-1", depth, multiply_adds(4, sizes),
                     runs * epochs, sec, jax_sec))  # fmt: skip
    print(
        "| kernel | depth | multiply-adds / net-epoch | net-epochs/s | ns / multiply-add "
        "| / 2-2-1's | JAX net-epochs/s | JAX time / deep's |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, depth, macs, work, sec, jax_sec in rows:
        per = sec / (work * macs)
        jax_cells = ["", ""]
        if jax_sec is not None:
            jax_cells = [f"{work / jax_sec:.3g}", f"{jax_sec / sec:.2f}"]
        cells = [name, str(depth), str(macs), f"{work / sec:.3g}", f"{per * 1e9:.3f}",
                 f"{per / base:.2f}", *jax_cells]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
