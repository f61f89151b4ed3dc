"""The training engines side by side: fused numba kernel, NumPy, JAX, the reference loop.

One core (the script pins itself and its helper processes to one CPU; BLAS and
XLA get one thread), float64, XOR, ``--epochs`` epochs per timing. For each
population size every implementation is timed in turn, ``--repeats`` times,
and the medians are reported as net-epochs per second (one network trained
for one epoch over the 4 samples) with their ratios:

* ``numba``: ``train_arrays(..., engine="numba")`` (the fused kernel of
  :mod:`xorsweep.training.fused`) compiled for this CPU (numba's default), in this process;
* ``numba AVX2``: the same compiled for a plain AVX2 + FMA target
  (``NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES=""``), in a helper process;
* ``numba 512-bit`` (only on a CPU with AVX-512): the native target with 512-bit
  vectors allowed (LLVM prefers 256-bit ones on many AVX-512 CPUs), in a helper;
* ``NumPy``: ``train_arrays(..., engine="numpy")`` (the NumPy engine);
* ``JAX``: ``jit`` of a ``lax.scan`` over epochs, run axis last, at its best
  block size (see ``bench_train.py``);
* ``reference``: the one-network loop of :mod:`xorsweep.training.reference`.

Time is each process's CPU time (``time.process_time``): the machine is shared,
and a process's CPU time leaves out what other processes take from its core.
Also measured: the kernel's compile time (a fresh process with an empty numba
cache) and first call (a fresh process with the cache filled), the agreement
of the engines, and a roofline: the exps, divisions, logs and other
floating-point operations of one network-epoch, this CPU's throughput for
each (numba and NumPy microbenchmarks on L1/L2-resident arrays), and the
engine's share of the time they set as a limit.

With ``--steps``, also what each of the kernel's tricks buys: the kernel is
timed against copies of :mod:`xorsweep.training.fused` with one trick undone each
(made from its source in a temporary directory), at 10,000 runs.

Run from the repository root (JAX comes with the ``bench`` extra)::

    python benchmarks/bench_engines.py --steps      # about 4 minutes
    python benchmarks/bench_engines.py --quick      # under 2 minutes
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _machine import describe_cpu, pin_to_one_core  # noqa: E402
from bench_train import JaxTrainer  # noqa: E402

import xorsweep as xs  # noqa: E402
from xorsweep.training import _fused_math, fused  # noqa: E402
from xorsweep.training.reference import train_reference  # noqa: E402
from xorsweep.training.settings import TrainingSettings  # noqa: E402
from xorsweep.training.trainer import train_arrays  # noqa: E402

JAX_BLOCKS = [64, 128, 256, 512, 1024, 4096]

# A helper process: trains populations under its own numba target or XLA flags and answers
# each request "kind runs epochs precision block" (kind numba or jax) with the CPU seconds of
# the training alone (after an untimed call that compiles).
_SERVER = r"""
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
sys.path.insert(0, sys.argv[2])
import xorsweep as xs
from xorsweep.training import train_arrays
trainers = {}
print("ready", flush=True)
for line in sys.stdin:
    kind, runs, epochs, precision, block = line.split()
    runs, epochs, block = int(runs), int(epochs), int(block)
    pop = xs.init_population(runs, seed=0)
    if kind == "jax":
        from bench_train import JaxTrainer
        key = (epochs, precision)
        trainer = trainers.setdefault(key, None) or JaxTrainer(epochs, dtype=precision)
        trainers[key] = trainer
        trainer(pop[:block], block)
        start = time.process_time()
        trainer(pop, block)
    else:
        train_arrays(pop[:64], 1, engine="numba", precision=precision)
        start = time.process_time()
        train_arrays(pop, epochs, engine="numba", precision=precision)
    print(time.process_time() - start, flush=True)
"""

_FIRST_CALL = r"""
import time
start = time.perf_counter()
import numpy as np, xorsweep as xs
from xorsweep.training import fused
from xorsweep.settings import TrainingSettings
imported = time.perf_counter()
rates = (np.full(1, 0.1),) * 2
fused.train_block(xs.init_population(1, seed=0), xs.xor(), rates, TrainingSettings(1))
print(imported - start, time.perf_counter() - imported)
"""


class Server:
    """A helper process training with numba or JAX under extra environment variables."""

    def __init__(self, cpu: int, env: dict[str, str], kind: str = "numba"):
        self.kind = kind
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(cpu), str(Path(__file__).parent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        assert self.proc.stdout.readline().strip() == "ready"

    def rate(self, runs: int, epochs: int, precision: str = "float64", block: int = 0) -> float:
        self.proc.stdin.write(f"{self.kind} {runs} {epochs} {precision} {block}\n")
        self.proc.stdin.flush()
        return runs * epochs / float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _train(pop: xs.Population, epochs: int, engine: str, precision: str = "float64") -> None:
    train_arrays(pop, epochs, engine=engine, precision=precision)


def cpu_rate(work: float, fn, *args) -> float:
    """``work`` divided by the CPU seconds ``fn(*args)`` takes."""
    start = time.process_time()
    fn(*args)
    return work / (time.process_time() - start)


def has_avx512() -> bool:
    from llvmlite import binding

    return bool(binding.get_host_cpu_features().get("avx512f"))


def compile_times() -> tuple[tuple[float, float], tuple[float, float]]:
    """(import, first call) seconds of a fresh process: with an empty cache, then a filled one."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [
            subprocess.run(
                [sys.executable, "-c", _FIRST_CALL], env=env, check=True, capture_output=True
            )
            for _ in range(2)
        ]
    cold, warm = (tuple(map(float, r.stdout.split())) for r in runs)
    return cold, warm


def agreement(epochs: int) -> str:
    """How far the fused kernel is from the NumPy engine and from the reference loop."""
    stds = np.exp(np.linspace(np.log(0.05), np.log(50.0), 300))
    pop = xs.init_population(300, hidden_std=stds, output_std=0.8165, seed=3)
    ours = train_arrays(pop, epochs, engine="numba")
    theirs = train_arrays(pop, epochs, engine="numpy")
    refs = train_reference(pop[::60], epochs)
    ref_total = np.array([r["total_loss"] for r in refs])
    to_numpy = np.max(np.abs(ours["total_loss"] / theirs["total_loss"] - 1))
    to_ref = np.max(np.abs(ours["total_loss"][::60] / ref_total - 1))
    same = np.array_equal(ours["converged_epoch"], theirs["converged_epoch"], equal_nan=True)
    return (
        f"# numba against NumPy: total_loss within {to_numpy:.1e} (relative, 300 runs, std 0.05 "
        f"to 50, {epochs:,} epochs), converged epochs {'identical' if same else 'DIFFERENT'}; "
        f"against the reference loop: {to_ref:.1e} (5 runs)"
    )


def jax_blocks(jax_trainer: JaxTrainer, epochs: int) -> dict[int, float]:
    """JAX's speed (net-epochs/s, median of 3) for each block size, on 16,384 runs."""
    probe = xs.init_population(16_384, seed=2)
    jax_trainer(probe[:64], 64)  # the first call pays for more than compiling
    rates = {}
    for block in JAX_BLOCKS:
        jax_trainer(probe[:block], block)  # compile for this block shape
        work = probe.runs * epochs
        rates[block] = statistics.median(
            cpu_rate(work, jax_trainer, probe, block) for _ in range(3)
        )
    return rates


def best_block(runs: int, rates: dict[int, float]) -> int:
    """JAX's fastest block for ``runs``: not above it, or the first one that covers it."""
    cover = min((b for b in rates if b >= runs), default=max(rates))
    return max((b for b in rates if b <= cover), key=rates.__getitem__)


def time_engines(args, servers: dict[str, Server], jax_trainers, rates) -> list[dict]:
    """Median net-epochs/s of every engine, build and precision at every size, timed in turns:
    each row's keys are ``"<name> <precision>"``."""
    rows = []
    ref_pop = xs.init_population(2, seed=1)
    for runs in args.sizes:
        pop = xs.init_population(runs, seed=0)
        block = best_block(runs, rates)
        timers = {"NumPy float64": (_train, pop, args.epochs, "numpy")}
        for precision, trainer in jax_trainers.items():
            trainer(pop[:block], block)
            timers[f"numba {precision}"] = (_train, pop, args.epochs, "numba", precision)
            timers[f"JAX {precision}"] = (trainer, pop, block)
        work = runs * args.epochs
        found = {}
        for _ in range(args.repeats):
            for name, call in timers.items():
                found.setdefault(name, []).append(cpu_rate(work, *call))
            for name, server in servers.items():
                for precision in jax_trainers:
                    rate = server.rate(runs, args.epochs, precision, block)
                    found.setdefault(f"{name} {precision}", []).append(rate)
            found.setdefault("reference float64", []).append(
                cpu_rate(1000, train_reference, ref_pop, 500)
            )
        rows.append(
            {"runs": runs, "block": block} | {k: statistics.median(v) for k, v in found.items()}
        )
    return rows


def print_table(rows: list[dict], names: list[str]) -> None:
    """Each implementation's medians in both precisions and its ratios to JAX on its ISA."""
    print("| runs | implementation | float64 | float32 | float32 / float64 "
          "| / JAX float64 | / JAX float32 |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        for name in names:
            f64, f32 = row.get(f"{name} float64"), row.get(f"{name} float32")
            jax = "JAX AVX2" if "AVX2" in name else "JAX"
            cells = [f"{v:,.0f}" if v else "" for v in (f64, f32)]
            ratio = f"{f32 / f64:.2f}" if f64 and f32 else ""
            to_jax = [
                f"{v / row[f'{jax} {p}']:.2f}" if v and f"{jax} {p}" in row else ""
                for v, p in ((f64, "float64"), (f32, "float32"))
            ]
            print(f"| {row['runs']:,} | {name} | " + " | ".join([*cells, ratio, *to_jax]) + " |")


# --- the roofline ----------------------------------------------------------------------------


def kernel_counts(samples: int, n_in: int, hidden: int, n_out: int) -> dict[str, float]:
    """Operations of one network-epoch in the fused kernel, counted from its source.

    Per sample: the forward pass takes 2 * in operations per hidden unit (products and
    sums with the bias), 4 per sigmoid (negation, two clamps, 1 + e) and 2 * hidden per
    output; the loss 12 per output (sign * z, the sigmoid's 4, the comparison with 0.5,
    the clip's 2, the error's 3, the product) and 3 per sample (the exponent's float
    operations and the wrong-epoch select; the carry's 4 integer operations are not
    counted); the backward pass 1 + hidden * (6 + 2 * in) per output. The step: one
    subtraction per output weight, and per hidden weight a select, a product and a
    subtraction for each of the in + 1 rows.
    """
    forward = hidden * 2 * n_in + 4 * hidden + n_out * 2 * hidden
    loss = 12 * n_out + 3
    backward = n_out * (1 + hidden * (6 + 2 * n_in))
    step = (hidden + 1) * n_out + hidden * n_out * (1 + 2 * (n_in + 1))
    return {
        "exp": samples * (hidden + n_out),
        "division": samples * (hidden + n_out),  # 1 / (1 + exp(-z)), one per sigmoid
        "flop": samples * (forward + loss + backward) + step,
    }


def _loops():
    """The microbenchmarks' loops, compiled here: ``n`` passes over ``x`` into ``out``."""
    import math

    import numba

    jit = numba.njit(error_model="numpy")

    @jit
    def kernel_exp(x, out, n):
        for _ in range(n):
            fused.exp(x, out)

    @jit
    def division(x, out, n):
        for _ in range(n):
            for k in range(x.size):
                out[k] = 1.0 / x[k]

    @jit
    def flop(x, out, n):  # 35 multiplications and additions per element, 4 chains
        for _ in range(n):
            for k in range(x.size):
                a = b = c = d = x[k]
                for _ in range(4):
                    a, b = a * 1.0000001 + 0.1, b * 0.999 + 0.3
                    c, d = c * 1.1 + 0.2, d * 0.9 + 0.4
                out[k] = a + b + c + d

    @jit
    def libm_exp(x, out, n):
        for _ in range(n):
            for k in range(x.size):
                out[k] = math.exp(x[k])

    @jit
    def libm_log(x, out, n):
        for _ in range(n):
            for k in range(x.size):
                out[k] = math.log(x[k])

    return {
        "exp (the kernel's, vectorised)": (kernel_exp, 1),
        "division (vectorised)": (division, 1),
        "flop (multiply or add, vectorised)": (flop, 35),
        "exp (libm, numba's math.exp)": (libm_exp, 1),
        "log (libm, numba's math.log)": (libm_log, 1),
    }


def throughputs() -> dict[str, float]:
    """Nanoseconds per operation on this core (median of 5): numba loops on 1,024 numbers (in
    L1), NumPy's ufuncs on 65,536 (in L2, so that a call's own cost does not count)."""
    rng = np.random.default_rng(0)
    small, big = rng.uniform(0.1, 5.0, 1024), rng.uniform(0.1, 5.0, 65_536)
    out_small, out_big = np.empty_like(small), np.empty_like(big)
    found = {}
    for name, (loop, ops) in _loops().items():
        loop(small, out_small, 1)
        n = 20_000
        found[name] = statistics.median(
            1e9 / cpu_rate(small.size * n * ops, loop, small, out_small, n) for _ in range(5)
        )
    for name, ufunc in (("exp (NumPy's np.exp)", np.exp), ("log (NumPy's np.log)", np.log)):
        found[name] = statistics.median(
            1e9 / cpu_rate(big.size * 300, _repeat, ufunc, big, out_big, 300) for _ in range(5)
        )
    return found


def _repeat(ufunc, x, out, n):
    for _ in range(n):
        ufunc(x, out=out)


def roofline(rate: float) -> list[str]:
    """The roofline table for the fused kernel at ``rate`` net-epochs/s."""
    counts = kernel_counts(4, 2, 2, 1)
    ns = throughputs()
    t_exp = min(v for k, v in ns.items() if k.startswith("exp"))
    t_div, t_flop = ns["division (vectorised)"], ns["flop (multiply or add, vectorised)"]
    parts = {
        "exp": counts["exp"] * t_exp,
        "division": counts["division"] * t_div,
        "flop": counts["flop"] * t_flop,
    }
    serial, overlapped = sum(parts.values()), max(parts["division"], parts["exp"] + parts["flop"])
    measured = 1e9 / rate
    lines = [
        "| operation | ns each on this core |",
        "|---|---:|",
        *(f"| {name} | {value:.3f} |" for name, value in ns.items()),
        "",
        "| one network-epoch | count | ns at the fastest rate above |",
        "|---|---:|---:|",
        f"| exp | {counts['exp']} | {parts['exp']:.2f} |",
        f"| division | {counts['division']} | {parts['division']:.2f} |",
        "| log | 1 per run (1 / epochs) | 0 |",
        f"| other floating-point operations | {counts['flop']} | {parts['flop']:.2f} |",
        f"| limit, nothing overlapping | | {serial:.2f} |",
        f"| limit, divisions overlapping the rest | | {overlapped:.2f} |",
        f"| **the fused kernel, measured** | | **{measured:.2f}** |",
        "",
        f"Share of the limit: {serial / measured:.0%} (nothing overlapping), "
        f"{overlapped / measured:.0%} (divisions overlapping the rest).",
    ]
    return lines


# --- what each trick buys ----------------------------------------------------------------

#: Each trick of the kernel and the source change that undoes it.
STEPS = {
    "numba's math.exp (libm, one number at a time) instead of the kernel's exp": (
        "_inverse(_like(z, 1.0) + _exp(min(",
        "_inverse(_like(z, 1.0) + math.exp(min(",
    ),
    "no fused multiply-adds (without fastmath contract)": (
        ', fastmath={"contract"}',
        "",
    ),
    "a libm log of every probability instead of the carried product": (
        "            product *= clipped\n",
        "            st[_at(lay.exponent, r)] += math.log(clipped) / math.log(2.0)\n"
        "            product *= 1.0\n",
    ),
}


def undone(directory: Path) -> dict[str, object]:
    """Copies of the kernel's module with one trick undone each, imported from ``directory``."""
    # the kernel's module with its arithmetic (xorsweep.training._fused_math) written in, one file
    maths = Path(_fused_math.__file__).read_text()
    maths = maths.replace("from __future__ import annotations\n", "")
    source = Path(fused.__file__).read_text()
    imported = next(line for line in source.splitlines() if line.startswith("from ._fused_math"))
    source = source.replace(imported + "\n", maths).replace("from .", "from xorsweep.")
    modules = {}
    for k, (name, (old, new)) in enumerate(STEPS.items()):
        assert source.count(old) == 1, f"the kernel's source changed: {old!r}"
        path = directory / f"fused_undone_{k}.py"
        path.write_text(source.replace(old, new))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[name])
    return modules


def steps(repeats: int, epochs: int, runs: int = 10_000) -> list[str]:
    """The kernel against its copies with a trick undone and the NumPy engine, timed in turns."""
    pop, lr, table = xs.init_population(runs, seed=0), np.full(runs, 0.1), xs.xor()
    with tempfile.TemporaryDirectory() as tmp:
        variants = {"the kernel": fused, **undone(Path(tmp))}
        for module in variants.values():
            module.train_block(pop[:64], table, (lr[:64],) * 2, TrainingSettings(2))  # compile
        found = {name: [] for name in [*variants, "NumPy engine"]}
        for _ in range(repeats):
            for name, module in variants.items():
                call = (module.train_block, pop, table, (lr, lr), TrainingSettings(epochs))
                found[name].append(cpu_rate(runs * epochs, *call))
            found["NumPy engine"].append(cpu_rate(runs * epochs, _train, pop, epochs, "numpy"))
    rates = {name: statistics.median(v) for name, v in found.items()}
    lines = ["| the kernel with | net-epochs/s | the kernel is faster by |", "|---|---:|---:|"]
    for name, rate in rates.items():
        lines.append(f"| {name} | {rate:,.0f} | {rates['the kernel'] / rate:.2f}x |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per cell (median)")
    parser.add_argument("--epochs", type=int, default=1000, help="epochs per timing")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--steps", action="store_true", help="also time the kernel's tricks")
    skip = "skip the compile times (fresh processes with an empty cache)"
    parser.add_argument("--no-compile", action="store_true", help=skip)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.epochs = 3, 200
    cpu = pin_to_one_core()

    import jax
    from llvmlite import binding
    from numba.core import config

    print(f"# xorsweep {xs.__version__}, numpy {np.__version__}, jax {jax.__version__}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}, pinned to CPU {cpu}, XOR 2-2-1")
    print("\n".join(describe_cpu()))
    print(f"# load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    wide = "prefer-256-bit" in (config.CPU_FEATURES or "")
    vectors = "512-bit vectors" if wide else "LLVM's default vectors"
    print(f"# numba's build in this process: {binding.get_host_cpu_name()}, {vectors}")
    if not args.no_compile:
        (cold_import, cold_call), (warm_import, warm_call) = compile_times()
        print(
            f"# fused kernel, fresh process: import {cold_import:.2f} s, first call "
            f"{cold_call:.1f} s with an empty numba cache (compiling); {warm_import:.2f} s and "
            f"{warm_call:.2f} s cached"
        )
    print(agreement(10_000))
    xla = os.environ["XLA_FLAGS"]
    servers = {
        "numba AVX2": Server(cpu, {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": ""}),
        "JAX AVX2": Server(cpu, {"XLA_FLAGS": f"{xla} --xla_cpu_max_isa=AVX2"}, "jax"),
    }
    if has_avx512():  # LLVM's own choice there: 256-bit vectors
        features = binding.get_host_cpu_features().flatten()
        servers["numba 256-bit"] = Server(cpu, {"NUMBA_CPU_FEATURES": features})
    trainers = {p: JaxTrainer(args.epochs, dtype=p) for p in ("float64", "float32")}
    rates = jax_blocks(trainers["float64"], args.epochs)
    print("# JAX block sizes (M net-epochs/s, median of 3 on 16,384 runs):", end="")
    print("".join(f" {b}: {r / 1e6:.2f}" for b, r in rates.items()))
    for precision in trainers:
        _train(xs.init_population(64, seed=0), 2, "numba", precision)
    rows = time_engines(args, servers, trainers, rates)
    for server in servers.values():
        server.close()
    print(f"\nMedians of {args.repeats}, {args.epochs:,} epochs per timing, net-epochs/s "
          "(JAX at its best block size):\n")  # fmt: skip
    names = ["numba", *(n for n in servers if n.startswith("numba")), "JAX", "JAX AVX2", "NumPy"]
    print_table(rows, [*names, "reference"])
    print()
    print("\n".join(roofline(rows[-1]["numba float64"])))
    if args.steps:
        print(f"\nWhat each trick buys (10,000 runs, medians of {args.repeats}):\n")
        print("\n".join(steps(args.repeats, args.epochs)))


if __name__ == "__main__":
    main()
