"""What a sweep's worker process costs to start, with numba's SciPy imports and without.

A worker is started as :class:`xorsweep.sweeps.workers.LocalWorkers` starts it
(``sys.executable -c`` the workers' boot line, the caller's ``sys.path``, one
BLAS thread), except that the boot line first sets ``workers.KEPT_OUT``:
``()`` gives the worker of old, in which numba imports SciPy and
``scipy.linalg``, and ``("scipy",)`` the worker of now, which keeps SciPy out.
This process then speaks the workers' protocol: it sends the warm-up (an
article's network for one epoch, whose kernel numba loads from its cache) and
waits for "ready", then sends a first block (``--runs`` runs at 2 stds, the
article's settings, ``--epochs`` epochs) and waits for its result. Per fresh
process:

* ready: seconds from starting the process to its "ready";
* first block: seconds from starting the process to the first block's result;
* memory, read from ``/proc/PID`` after the first block: the resident set
  (VmRSS), its peak (VmHWM), its anonymous part (RssAnon), the proportional
  set (Pss, shared pages divided among the processes sharing them) and the
  unique set (USS, pages no other process shares);
* SciPy mapped: whether a shared object of SciPy's package is mapped;
* imports: in another fresh worker started with ``python -X importtime``, the
  seconds spent importing (the top-level imports' cumulative times) and the
  modules imported (failed attempts at kept-out packages not counted).

The two kinds alternate, ``--repeats`` processes of each (after one of each
unmeasured, which fills numba's cache if need be); the table gives medians.

Run from the repository root::

    python benchmarks/bench_worker_start.py   # about half a minute
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _machine import describe_cpu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from xorsweep.sweeps import workers  # noqa: E402
from xorsweep.sweeps.tasks import task_of_points  # noqa: E402

#: The kinds of worker: a name, what ``workers.KEPT_OUT`` is set to, and the engine.
KINDS = {
    "numba engine, numba's imports (SciPy loaded)": ((), "auto"),
    "numba engine, SciPy kept out (now)": (("scipy",), "auto"),
    "NumPy engine (for comparison: no numba)": (("scipy",), "numpy"),
}

#: The boot line of LocalWorkers, with KEPT_OUT set first (``{}``).
_BOOT = (
    "import sys; sys.path[:] = sys.argv[1:]; from xorsweep.sweeps import workers; "
    "workers.KEPT_OUT = {}; workers.serve()"
)

_MIB = 1024  # kB in a MiB


def _proc_kb(pid: int, name: str, keys: tuple[str, ...]) -> dict[str, int]:
    """Fields ``keys`` (in kB) of ``/proc/PID/name``."""
    out = {}
    for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            out[key] = int(value.split()[0])
    return out


def _start(kept_out: tuple[str, ...], importtime: bool) -> subprocess.Popen:
    flags = ["-X", "importtime"] if importtime else []
    env = {**os.environ, **dict.fromkeys(workers.THREAD_VARIABLES, "1")}
    command = [sys.executable, *flags, "-c", _BOOT.format(kept_out), *map(str, sys.path)]
    stderr = subprocess.PIPE if importtime else None
    return subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env
    )


def _expect(proc: subprocess.Popen, kind: str) -> object:
    message = workers._receive(proc.stdout)
    if message[0] != kind:
        raise RuntimeError(f"the worker answered {message[0]!r}: {message[1]}")
    return message[1]


def measure(kept_out: tuple[str, ...], warm_up: object, block: object) -> dict[str, float]:
    """Start a worker, warm it up, compute ``block``; its times and memory."""
    start = time.perf_counter()
    proc = _start(kept_out, importtime=False)
    workers._send(proc.stdin, warm_up)
    _expect(proc, "ready")
    ready = time.perf_counter() - start
    workers._send(proc.stdin, block)
    _expect(proc, "done")
    first = time.perf_counter() - start
    status = _proc_kb(proc.pid, "status", ("VmRSS", "VmHWM", "RssAnon"))
    rollup = _proc_kb(proc.pid, "smaps_rollup", ("Pss", "Private_Clean", "Private_Dirty"))
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    proc.stdin.close()
    proc.wait()
    uss = rollup["Private_Clean"] + rollup["Private_Dirty"]
    return {
        "ready": ready,
        "first": first,
        **{key: value / _MIB for key, value in status.items()},
        "Pss": rollup["Pss"] / _MIB,
        "USS": uss / _MIB,
        "scipy": float(f"{os.sep}scipy{os.sep}" in maps),
    }


def imports(kept_out: tuple[str, ...], warm_up: object) -> dict[str, float]:
    """Seconds importing and modules imported by a worker started with -X importtime."""
    proc = _start(kept_out, importtime=True)
    workers._send(proc.stdin, warm_up)
    _expect(proc, "ready")
    proc.stdin.close()
    proc.wait()
    seconds, modules = 0.0, 0
    for line in proc.stderr.read().decode().splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        module = name.strip()
        if kept_out and module.split(".")[0] in kept_out:
            continue  # an attempt that failed at once
        modules += 1
        if not name[1:].startswith(" "):  # a top-level import: its time includes its children
            seconds += int(cumulative) / 1e6
    return {"import": seconds, "modules": modules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="processes of each kind")
    parser.add_argument("--runs", type=int, default=2048, help="runs in the first block")
    parser.add_argument("--epochs", type=int, default=1000, help="epochs of the first block")
    args = parser.parse_args()
    half = args.runs // 2
    points, lo = np.array([0.5, 1.0]), np.zeros(2, dtype=np.int64)

    def task(engine: str, n: int, runs: int, epochs: int) -> object:
        """Runs 0 .. runs - 1 at the first ``n`` points, as a block for ``engine``."""
        ones, lr, start = np.ones(n), np.full(n, 0.1), lo[:n]
        return task_of_points(
            points[:n], ones, lr, start, start + runs, epochs=epochs, engine=engine
        )

    def tasks(engine: str) -> tuple[object, object]:
        """The warm-up (one network, one epoch) and the first block, for ``engine``."""
        return task(engine, 1, 1, 1), task(engine, 2, half, args.epochs)

    work = {name: (kept_out, *tasks(engine)) for name, (kept_out, engine) in KINDS.items()}
    for kept_out, warm_up, block in work.values():  # unmeasured: numba's cache filled
        measure(kept_out, warm_up, block)
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in KINDS}
    began = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for turn in range(args.repeats):
        names = list(KINDS) if turn % 2 == 0 else list(reversed(KINDS))
        for name in names:
            kept_out, warm_up, block = work[name]
            rows[name].append({**measure(kept_out, warm_up, block), **imports(kept_out, warm_up)})
    print(f"# {began}, medians of {args.repeats} fresh worker processes of each kind")
    print("\n".join(describe_cpu()))
    print(f"# first block: {2 * half:,} runs x {args.epochs:,} epochs\n")
    print(
        "| worker | ready | first block done | importing | modules | VmRSS | VmHWM "
        "| anonymous | USS | PSS | SciPy mapped |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, runs in rows.items():
        m = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(
            f"| {name} | {m['ready']:.3f} s | {m['first']:.3f} s | {m['import']:.3f} s "
            f"| {m['modules']:.0f} | {m['VmRSS']:.0f} MiB | {m['VmHWM']:.0f} MiB "
            f"| {m['RssAnon']:.0f} MiB | {m['USS']:.0f} MiB | {m['Pss']:.0f} MiB "
            f"| {'yes' if m['scipy'] else 'no'} |"
        )


if __name__ == "__main__":
    main()
