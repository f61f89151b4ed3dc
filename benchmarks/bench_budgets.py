"""What training budgets cost: the fused kernels with and without ``budgets``, side by side.

The same population (``--runs`` networks, the article's 2-2-1 and a 3-layer net of width 4)
is trained by the numba engine for ``--epochs`` epochs (lr 0.1, gd), without budgets and
with four (a tenth, a fifth, half and all of the epochs), alternately ``--repeats``
times on one pinned core; the least CPU time of each is kept (CPU time, so that other
processes on a shared machine count less). Prints the CPU and, per network, the two
times and their ratio (with / without). Also checks that the budgets change
nothing else (``total_loss`` bit for bit).

Run from the repository root::

    python benchmarks/bench_budgets.py                 # 4,096 runs, 2,000 epochs
    python benchmarks/bench_budgets.py --runs 1024     # a quick look
"""

from __future__ import annotations

import argparse
import time

from _machine import cpu_model, pin_to_one_core


def timed(train) -> tuple[float, object]:
    """CPU seconds of one call of ``train()`` (not the time other processes take the
    core from it), and its result."""
    start = time.process_time()
    out = train()
    return time.process_time() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    core = pin_to_one_core()
    import numpy as np

    import xorsweep as xs

    e = args.epochs
    budgets = (e // 10, e // 5, e // 2, e)
    print(f"# CPU: {cpu_model()} (pinned to core {core})")
    print(f"# {args.runs} runs, {e} epochs, budgets {budgets}, best of {args.repeats}")
    print("| network | without budgets (CPU s) | with budgets (CPU s) | ratio |")
    print("|---|---:|---:|---:|")
    for label, hidden in (("2-2-1", 2), ("2-4-4-4-1", (4, 4, 4))):
        pop = xs.init_population(args.runs, hidden_std=1.0, hidden=hidden, seed=0)
        kw = dict(engine="numba")
        xs.train(pop[:64], 10, budgets=(5,), **kw)  # compiled before timing
        plain, with_b = float("inf"), float("inf")
        for _ in range(args.repeats):  # alternate, so a slower spell of the machine hits both
            t, a = timed(lambda: xs.train(pop, e, **kw))  # noqa: B023
            plain = min(plain, t)
            t, b = timed(lambda: xs.train(pop, e, budgets=budgets, **kw))  # noqa: B023
            with_b = min(with_b, t)
        assert np.array_equal(a.total_loss.values, b.total_loss.values)
        print(f"| {label} | {plain:.3f} | {with_b:.3f} | {with_b / plain:.3f} |")


if __name__ == "__main__":
    main()
