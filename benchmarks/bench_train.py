"""Speed and memory of ``xorsweep.train`` (both engines) against the reference loop and JAX.

Everything runs on one core in float64: the process pins itself to one CPU and
asks BLAS and XLA for one thread. For each population size the reference loop,
JAX and ``train`` with ``engine="numba"`` and ``engine="numpy"`` are timed side
by side, in turns, ``--repeats`` times, and the medians are reported as
net-epochs per second (one network, one epoch over the 4 XOR samples) together
with the ratios. Peak memory is the maximum resident set size of a fresh
process that draws and trains a population, with each engine.

Run from the repository root (JAX comes with the ``bench`` extra)::

    pip install -e '.[bench]'
    python benchmarks/bench_train.py            # full table, about 10 minutes
    python benchmarks/bench_train.py --quick    # smaller, about 2 minutes
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from _machine import cpu_model, pin_to_one_core  # noqa: E402

import xorsweep as xs  # noqa: E402
from xorsweep.training.reference import train_reference  # noqa: E402


def time_reference(runs: int, epochs: int) -> float:
    """Net-epochs per second of the one-network-at-a-time loop."""
    pop = xs.init_population(runs, seed=1)
    start = time.perf_counter()
    train_reference(pop, epochs)
    return runs * epochs / (time.perf_counter() - start)


def time_train(pop: xs.Population, epochs: int, engine: str = "numpy") -> float:
    start = time.perf_counter()
    xs.train(pop, epochs, engine=engine)
    return pop.runs * epochs / (time.perf_counter() - start)


class JaxTrainer:
    """The same math in JAX: ``jit`` of a ``lax.scan`` over epochs, vectorised over runs.

    The layout puts the run axis last, as XLA vectorises along the minor axis;
    the population is cut into blocks of ``block`` runs.
    """

    def __init__(self, epochs: int, lr: float = 0.1, dtype: str = "float64"):
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)  # float32 arrays still compute in float32
        self.jax, self.jnp, self.dtype = jax, jnp, dtype
        table = xs.xor()
        x = jnp.asarray(table.inputs, dtype)  # (s, i)
        y = jnp.asarray(table.targets, dtype)[:, :, None]  # (s, o, 1)
        clip = 1e-15

        def epoch(params, _):
            wh, bh, wo, bo = params  # (i, h, r), (h, r), (h, o, r), (o, r)
            hid = jax.nn.sigmoid(jnp.einsum("si,ihr->shr", x, wh) + bh)
            z = jnp.einsum("shr,hor->sor", hid, wo) + bo
            y_hat = jax.nn.sigmoid(z)
            p = jnp.clip(jnp.where(y == 1.0, y_hat, jax.nn.sigmoid(-z)), clip, 1.0 - clip)
            loss = -jnp.log(p).mean(axis=(0, 1))
            err = y_hat - y
            wo = wo - lr * jnp.einsum("shr,sor->hor", hid, err)
            bo = bo - lr * err.sum(axis=0)
            d_hid = jnp.einsum("sor,hor->shr", err, wo) * hid * (1.0 - hid)
            wh = wh - lr * jnp.einsum("si,shr->ihr", x, d_hid)
            bh = bh - lr * d_hid.sum(axis=0)
            return (wh, bh, wo, bo), loss

        @jax.jit
        def run(wh, bh, wo, bo):
            params, losses = jax.lax.scan(epoch, (wh, bh, wo, bo), None, length=epochs)
            return params, losses.sum(axis=0)

        self._run = run

    def __call__(self, pop: xs.Population, block: int) -> np.ndarray:
        jnp = self.jnp
        totals = []
        for start in range(0, pop.runs, block):
            part = pop[start : start + block]
            # pad a short last block to the block size: one compiled shape for every call
            pad = [(0, 0)] * 2 + [(0, block - part.runs)]
            args = (
                np.pad(part.hidden_weights.transpose(1, 2, 0), pad),
                np.pad(part.hidden_bias[:, 0].T, pad[1:]),
                np.pad(part.output_weights.transpose(1, 2, 0), pad),
                np.pad(part.output_bias[:, 0].T, pad[1:]),
            )
            _, total = self._run(*(jnp.asarray(a, self.dtype) for a in args))
            totals.append(np.asarray(total)[: part.runs])
        return np.concatenate(totals)

    def rate(self, pop: xs.Population, block: int, epochs: int) -> float:
        self(pop[:block], block)  # compile for this block shape
        start = time.perf_counter()
        self(pop, block)
        return pop.runs * epochs / (time.perf_counter() - start)


def peak_memory_mib(runs: int, epochs: int, engine: str) -> float:
    """Peak RSS (MiB) of a fresh process that draws and trains ``runs`` networks."""
    # VmHWM belongs to the new process image; getrusage's ru_maxrss would also count the
    # resident set of this (large) parent at the time of the fork.
    code = (
        "import re, xorsweep as xs\n"
        f"xs.train(xs.init_population({runs}, seed=0), {epochs}, engine={engine!r})\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller populations and fewer epochs")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per cell (median)")
    args = parser.parse_args(argv)
    cpu = pin_to_one_core()
    sizes = [1_000, 10_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    epochs = 100 if args.quick else 200
    jax_blocks = [64, 128, 256, 512, 1024, 4096]

    import jax

    print(f"# xorsweep {xs.__version__}, numpy {np.__version__}, jax {jax.__version__}")
    print(f"# {cpu_model()}, pinned to CPU {cpu}, float64")
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, epochs per timing: {epochs}")

    jax_trainer = JaxTrainer(epochs)
    check = xs.init_population(300, hidden_std=np.exp(np.linspace(-3, 4, 300)), seed=3)
    for engine in ("numba", "numpy"):
        ours = xs.train(check, epochs, engine=engine).total_loss.values
        agree = np.max(np.abs(jax_trainer(check, 128) / ours - 1))
        print(f"# JAX and train({engine}) agree on total_loss to {agree:.1e} (relative, 300 runs)")
        assert agree < 1e-10, "the JAX implementation does not compute the same thing"
    probe = xs.init_population(16_384, seed=2)
    probe_rates = {
        b: statistics.median(jax_trainer.rate(probe, b, epochs) for _ in range(3))
        for b in jax_blocks
    }
    print("# JAX block sizes (M net-epochs/s, median of 3 on 16,384 runs):", end="")
    for b, rate in probe_rates.items():
        print(f" {b}: {rate / 1e6:.2f}", end="")
    print()

    def best_block(runs: int) -> int:
        """JAX's fastest block size for ``runs``: not above it, or the first one above it
        (the population padded to one block)."""
        cover = min((b for b in jax_blocks if b >= runs), default=max(jax_blocks))
        return max((b for b in jax_blocks if b <= cover), key=probe_rates.__getitem__)

    for engine in ("numba", "numpy"):  # warm up imports, the allocator and numba's kernel
        xs.train(probe[:1000], 10, engine=engine)
    # where the NumPy engine's time goes: a fixed cost per epoch (NumPy calls on a one-run
    # block) and a cost per network-epoch (a block of DEFAULT_BLOCK runs, less that fixed cost)
    one = statistics.median(1 / time_train(probe[:1], 2000) for _ in range(3))
    full = statistics.median(
        1 / time_train(probe[: xs.training.trainer.DEFAULT_BLOCK], epochs) for _ in range(3)
    )
    per_net = full - one / xs.training.trainer.DEFAULT_BLOCK
    print(
        f"# train(engine='numpy'): {one * 1e6:.1f} us per epoch whatever the block, then "
        f"{per_net * 1e9:.1f} ns per network-epoch (median of 3)"
    )

    rows = []
    for runs in sizes:
        pop = xs.init_population(runs, seed=0)
        found: dict[str, list[float]] = {"ref": [], "numba": [], "numpy": [], "jax": []}
        for _ in range(args.repeats):
            found["ref"].append(time_reference(4, 500))
            found["numba"].append(time_train(pop, epochs, "numba"))
            found["numpy"].append(time_train(pop, epochs, "numpy"))
            found["jax"].append(jax_trainer.rate(pop, best_block(runs), epochs))
        rows.append((runs, best_block(runs), {k: statistics.median(v) for k, v in found.items()}))

    print()
    print(
        "| runs | reference | JAX (block) | train, numba | train, numpy "
        "| numba / reference | numba / JAX | numba / numpy | numpy / JAX |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for runs, block, r in rows:
        print(
            f"| {runs:,} | {r['ref']:,.0f} | {r['jax']:,.0f} ({block:,}) | {r['numba']:,.0f} "
            f"| {r['numpy']:,.0f} | {r['numba'] / r['ref']:,.0f} | {r['numba'] / r['jax']:.2f} "
            f"| {r['numba'] / r['numpy']:.2f} | {r['numpy'] / r['jax']:.2f} |"
        )

    print()
    print("| runs | peak RSS, numba (MiB) | peak RSS, numpy (MiB) |")
    print("|---:|---:|---:|")
    for runs in [1_000, 100_000, 1_000_000]:
        mib = [peak_memory_mib(runs, 5, engine) for engine in ("numba", "numpy")]
        print(f"| {runs:,} | {mib[0]:,.0f} | {mib[1]:,.0f} |")


if __name__ == "__main__":
    main()
