"""A sweep's cost, said before it starts; what the machine cannot hold or finish is refused."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import xorsweep as xs
from xorsweep import cli
from xorsweep._core import outputs
from xorsweep.sweeps import budget
from xorsweep.sweeps.config import SweepConfig

SMALL = ["--points", "4", "--std-min", "0.25", "--std-max", "4", "--epochs", "80", "--no-progress"]


def _config(points=4, epochs=80, **kw):
    return SweepConfig(hidden_std=xs.article_grid(points, 0.25, 4.0), epochs=epochs, **kw)


def test_cost_of_a_new_sweep():
    cost = budget.sweep_cost(_config(points=5, epochs=300), 1000)
    assert (cost.runs, cost.points, cost.epochs, cost.net_epochs) == (5000, 5, 300, 1_500_000)
    assert cost.store_bytes >= 24 * 5000  # three float64 a run, at least
    assert cost.analysis_bytes == budget.analysis_bytes(5, 1000) > 5 * 1000 * 24
    # over a grid of output stds every (hidden, output) point counts
    grid = budget.sweep_cost(_config(points=5, output_std=[0.5, 1.0]), 10)
    assert (grid.runs, grid.points) == (100, 10)


def test_cost_of_a_resumed_sweep_counts_only_the_missing_runs():
    present = np.array([10, 4, 0, 12])  # finished runs per point
    cost = budget.sweep_cost(_config(), 10, present, stored_runs=12)
    assert (cost.runs, cost.points) == (6 + 10, 2)
    done = budget.sweep_cost(_config(), 10, np.array([10, 10, 10, 12]), stored_runs=12)
    assert (done.runs, done.points, done.store_bytes) == (0, 0, 0 + 8 * 4 * 1)
    # then up to 100 runs in all: 40 + 2 held beyond 10 at the last point, 58 more
    more = budget.sweep_cost(_config(), 10, np.array([10, 10, 10, 12]), 12, total_runs=100)
    assert more.runs == 58
    # numbers past int64 stay exact
    huge = budget.sweep_cost(_config(), 10**20, present, stored_runs=12)
    assert huge.runs == 4 * 10**20 - 26


def test_time_estimate_is_the_probe_times_the_work():
    speed = budget.Speed(per_run=2e-6, per_net_epoch=1e-7, per_point=1e-5)
    cost = budget.sweep_cost(_config(points=4, epochs=1000), 500)
    one = 2000 * 2e-6 + 2_000_000 * 1e-7 + 4 * 1e-5
    assert speed.seconds(cost, 1) == pytest.approx(one, rel=1e-12)
    assert speed.seconds(cost, 4) == pytest.approx(one / 4, rel=1e-12)
    assert speed.net_epochs_per_second == pytest.approx(1e7)


def test_probe_measures_this_machine():
    """The probe gives plausible numbers (how close they come: benchmarks/bench_estimate.py)."""
    speed = budget.probe_speed(_config())
    assert 0 < speed.per_net_epoch < 1e-5 and 0 < speed.per_run < 1e-3 and speed.per_point >= 0
    assert speed.workers == 1 and speed.parallel == 1.0


def test_workers_timed_together_count_as_many_as_they_were_worth():
    alone = budget.Speed(per_run=0.0, per_net_epoch=1e-8, per_point=0.0)
    shared = budget.Speed(per_run=0.0, per_net_epoch=1e-8, per_point=0.0, workers=2, parallel=1.2)
    cost = budget.SweepCost(1000, 1, 10_000, 0, 0, 0)
    assert alone.seconds(cost, 2) == pytest.approx(0.05)
    assert shared.seconds(cost, 2) == pytest.approx(0.1 / 1.2)
    assert shared.seconds(cost, 4) == pytest.approx(0.1 / 2.4)  # as efficient each
    two = budget.probe_speed(_config(), workers=2)  # the numba engine: timed in two threads
    assert two.workers == 2 and 0 < two.parallel <= 2


def test_check_cost_names_the_limit_that_is_exceeded():
    cost = budget.SweepCost(
        runs=10**6, points=4, epochs=10, store_bytes=3 << 30, memory_bytes=1 << 20,
        analysis_bytes=5 << 30,
    )  # fmt: skip
    budget.check_cost(cost, 3600.0, memory=8 << 30, disk=4 << 30, max_hours=1.0)  # fits
    budget.check_cost(cost, 3600.0, memory=None, disk=None, max_hours=1.0)  # unknown: no check
    with pytest.raises(ValueError, match=r"fitting these results .* 5 GiB of memory .* 4 GiB av"):
        budget.check_cost(cost, 1.0, memory=4 << 30, disk=None, max_hours=1.0)
    with pytest.raises(ValueError, match=r"up to 3 GiB on disk and 2 GiB are free"):
        budget.check_cost(cost, 1.0, memory=None, disk=2 << 30, max_hours=1.0)
    with pytest.raises(ValueError, match=r"about 2 hours .* more than --max-hours 1\b"):
        budget.check_cost(cost, 7200.0, memory=None, disk=None, max_hours=1.0)


def test_sizes_and_durations_read_well():
    assert budget.format_bytes(512) == "512 B" and budget.format_bytes(96e6) == "91.6 MiB"
    assert budget.format_bytes(80e12) == "72.8 TiB"
    assert budget.format_hours(0.25) == "less than a second"
    assert budget.format_hours(2.5) == "2.5 s" and budget.format_hours(20 * 60) == "20 min"
    assert budget.format_hours(3.6e6) == "1e+03 hours"
    assert budget.available_memory() > 0


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------


def test_sweep_says_its_work_and_time_before_it_starts(tmp_path, capsys):
    store = tmp_path / "r.zarr"
    argv = ["sweep", "--store", str(store), "--runs", "5", "--workers", "1", *SMALL]
    assert cli.main(argv) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        rf"{store}: 20 runs x 80 epochs = 1\.6e\+03 network-epochs to compute, "
        r"(about \S+ \S+|less than a second) of computing on 1 worker "
        r"\(\S+ network-epochs/s each alone, timed just now\); "
        r"up to \S+ \S+ on disk",
        first,
    ), first
    assert second.startswith(f"{store}: computed 20 runs")
    # resumed with more runs: only the missing ones
    assert cli.main([*argv[:4], "8", *argv[5:]]) == 0
    assert capsys.readouterr().out.startswith(f"{store}: 12 runs x 80 epochs")
    assert cli.main([*argv[:4], "8", *argv[5:]]) == 0  # nothing left: no estimate
    assert capsys.readouterr().out.splitlines() == [
        f"{store}: nothing to compute; the store holds 32 runs"
    ]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--epochs", "1e16"], r"would take about [\d.e+]+ hours \(.*\), more than --max-hours 24"),
        (["--runs", "10000000000000"], r"needs about [\d.]+ [TP]iB of memory and this machine"),
        (["--runs", "1000000000", "--points", "3"], r"about [\d.]+ GiB of memory"),
        (["--points", "100000000"], r"[\d.]+ [GT]iB of memory and this machine has"),
        (["--max-hours", "1e-9"], r"more than --max-hours 1e-09"),
        (["--max-hours", "0"], r"--max-hours must be a number > 0, got 0.0"),
    ],
)
def test_sweep_refuses_what_cannot_be_done_with_the_number(tmp_path, capsys, extra, message):
    store = tmp_path / "r.zarr"
    assert cli.main(["sweep", "--store", str(store), *SMALL, *extra]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err.startswith("xorsweep sweep: error: ") and len(captured.err.splitlines()) == 1
    )
    assert re.search(message, captured.err), captured.err
    assert not store.exists()


def test_sweep_refuses_a_store_larger_than_the_free_disk(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(outputs, "free_space", lambda path: 1000)
    store = tmp_path / "r.zarr"
    assert cli.main(["sweep", "--store", str(store), "--runs", "100", *SMALL]) == 2
    assert re.search(r"up to [\d.]+ KiB on disk and 1000 B are free", capsys.readouterr().err)
    assert not store.exists()


def test_fit_and_figures_refuse_a_store_larger_than_memory(tmp_path, monkeypatch, capsys):
    store = tmp_path / "r.zarr"
    assert cli.main(["sweep", "--store", str(store), "--runs", "6", "--workers", "1", *SMALL]) == 0
    capsys.readouterr()
    need = budget.analysis_bytes(4, 6)
    monkeypatch.setattr(budget, "available_memory", lambda: need - 1)
    assert cli.main(["fit", str(store)]) == 2
    err = capsys.readouterr().err
    assert f"reading and fitting {store} (4 grid points x 6 runs) needs about" in err
    assert f"{budget.format_bytes(need - 1)} available" in err
    assert cli.main(["figures", str(store), "--out", str(tmp_path / "f")]) == 2
    assert "needs about" in capsys.readouterr().err and not (tmp_path / "f").exists()


def test_integers_may_be_written_in_scientific_notation():
    args = cli.build_parser().parse_args(
        ["sweep", "--store", "s", "--runs", "1e4", "--epochs", "2_000"]
    )
    assert (args.runs, args.epochs) == (10_000, 2_000) and isinstance(args.runs, int)
    assert math.isinf(
        cli.build_parser().parse_args(["sweep", "--store", "s", "--max-hours", "inf"]).max_hours
    )
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["sweep", "--store", "s", "--runs", "1.5"])


def test_probe_never_claims_an_impossible_speed_when_its_timings_are_noise(monkeypatch):
    """When training the long block looks no slower than the short one (other work on the
    machine, a kernel loading meanwhile), the cost per network-epoch is bounded by the long
    block's whole time instead of dividing noise (it once printed 1e15 network-epochs/s)."""
    import types

    clock = [0.0]  # a fake clock: every block takes 0.01 s, whatever its epochs

    def same_time_whatever_the_epochs(task):
        clock[0] += 0.01

    fake_time = types.SimpleNamespace(perf_counter=lambda: clock[0])
    monkeypatch.setattr(budget, "time", fake_time)
    monkeypatch.setattr(budget, "compute_block", same_time_whatever_the_epochs)
    speed = budget.probe_speed(_config(), runs=4096, epochs=256)
    assert speed.per_net_epoch >= 0.01 / (4096 * 256)
    assert speed.net_epochs_per_second < 1e9
