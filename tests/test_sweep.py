"""Sweeps: seeding, blocks, workers, Dask, replay, allocate and the article's frame."""

import dataclasses
import os
import struct
import threading
import time

import numpy as np
import pandas as pd
import psutil
import pytest
import xarray as xr
import zarr

import xorsweep as xs
from xorsweep.sweeps.config import SweepConfig, article_grid
from xorsweep.sweeps.results import _water_fill
from xorsweep.sweeps.seeding import pcg64_states
from xorsweep.sweeps.tasks import block_population, task_of_points
from xorsweep.sweeps.workers import LocalWorkers
from xorsweep.training.reference import train_reference

STDS = [0.3, 0.7071, 1.0, 2.5]
EPOCHS = 150
VARS = ("total_loss", "final_loss", "converged_epoch")


def _sweep(**kw):
    args = dict(hidden_std=STDS, runs=6, epochs=EPOCHS, workers=1, progress=False)
    args.update(kw)
    return xs.sweep(**args)


@pytest.fixture(scope="module")
def small():
    return _sweep()


def _bits(x):
    """float64 bit pattern, computed without NumPy."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# ---------------------------------------------------------------------------
# Reproducible by construction
# ---------------------------------------------------------------------------


def test_train_is_per_run_independent():
    """A run's numbers do not depend on its neighbours in a block: the basis of everything."""
    rng = np.random.default_rng(5)
    n = 40
    pop = xs.init_population(n, rng.uniform(0.1, 5, n), rng.uniform(0.3, 2, n), seed=rng)
    lr = rng.uniform(0.05, 0.5, n)
    together = xs.train(pop, 120, lr)
    perm = rng.permutation(n)
    shuffled = xs.train(pop[perm], 120, lr[perm])
    alone = xs.train(pop, 120, lr, block_size=1)
    for name in (*VARS, "hidden_weights", "output_bias"):
        np.testing.assert_array_equal(shuffled[name].values, together[name].values[perm])
        np.testing.assert_array_equal(alone[name].values, together[name].values)


def test_initial_networks_follow_the_documented_seeding_rule(small):
    """Run r at (h, o, lr): default_rng(SeedSequence(seed, (bits(h), bits(o), bits(lr), r)))."""
    for h, r in [(0.7071, 0), (2.5, 5), (0.3, 3)]:
        seq = np.random.SeedSequence(0, spawn_key=(_bits(h), _bits(0.8165), _bits(0.1), r))
        z = np.random.default_rng(seq).standard_normal(9)
        pop = xs.replay(small, run=r, hidden_std=h)
        np.testing.assert_array_equal(pop.hidden_weights.ravel(), z[:4] * h)
        np.testing.assert_array_equal(pop.hidden_bias.ravel(), z[4:6] * h)
        np.testing.assert_array_equal(pop.output_weights.ravel(), z[6:8] * 0.8165)
        np.testing.assert_array_equal(pop.output_bias.ravel(), z[8:] * 0.8165)


def test_results_are_the_replayed_runs_trained(small):
    """Every stored run equals its replayed network trained alone, bit for bit."""
    assert dict(small.sizes) == {"hidden_std": 4, "run": 6}
    for h in STDS:
        pop = xs.replay(small, run=range(6), hidden_std=h)
        alone = xs.train(pop, EPOCHS, 0.1, block_size=1)
        for name in VARS:
            np.testing.assert_array_equal(alone[name].values, small[name].sel(hidden_std=h))


def test_results_match_the_reference_loop(small):
    """Independently of xorsweep.train: the article's one-network loop on replayed runs."""
    pop = xs.replay(small, run=[1, 4], hidden_std=1.0)
    refs = train_reference(pop, EPOCHS, 0.1)
    got = small.total_loss.sel(hidden_std=1.0, run=[1, 4]).values
    np.testing.assert_allclose(got, [r["total_loss"] for r in refs], rtol=1e-10, atol=0)


def _rebuilt(ds, seed, epochs, output_std=0.8165, lr=0.1):
    """Each present run of ``ds`` (over hidden_std, run) rebuilt from NumPy's own
    SeedSequence and default_rng, one run at a time, as xorsweep.sweeps.seeding documents (the
    normals fill the hidden weights (in, hidden), hidden biases, output weights, output
    bias in that order, scaled by the layer's std), then trained with xorsweep.train."""
    present = np.argwhere(ds.total_loss.transpose("hidden_std", "run").notnull().values)
    assert present.size
    params = []
    for i, r in present:
        h = float(ds.hidden_std.values[i])
        key = (_bits(h), _bits(output_std), _bits(lr), int(r))
        z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key)).standard_normal(9)
        params.append(np.concatenate([z[:6] * h, z[6:] * output_std]))
    p = np.array(params)
    n = len(p)
    pop = xs.Population(
        p[:, :4].reshape(n, 2, 2),
        p[:, 4:6].reshape(n, 1, 2),
        p[:, 6:8].reshape(n, 2, 1),
        p[:, 8:].reshape(n, 1, 1),
    )
    return present, xs.train(pop, epochs, lr)


def assert_rebuilt(ds, seed=0, epochs=EPOCHS):
    """Every present run of ``ds`` equals its independent rebuild, bit for bit; and
    the runs that are not present are NaN in every variable."""
    present, trained = _rebuilt(ds, seed, epochs)
    for name in VARS:
        stored = ds[name].transpose("hidden_std", "run").values
        np.testing.assert_array_equal(stored[tuple(present.T)], trained[name].values, name)
    mask = np.zeros(ds.total_loss.shape, bool)
    mask[tuple(present.T)] = True
    for name in VARS:
        assert np.isnan(ds[name].transpose("hidden_std", "run").values[~mask]).all(), name


def test_a_stored_sweep_equals_its_runs_rebuilt_independently(tmp_path):
    ds = _sweep(runs=np.array([5, 2, 6, 1]), store=tmp_path / "r.zarr", seed=3)
    assert ds.total_loss.notnull().sum("run").values.tolist() == [5, 2, 6, 1]
    assert_rebuilt(ds, seed=3)
    assert_rebuilt(xs.open_results(tmp_path / "r.zarr"), seed=3)


def test_resuming_partly_filled_run_chunks_puts_every_run_in_its_slot(tmp_path):
    """Chunks of 3 runs, each point stopped inside one (2 of 3, 5 of 6, 1 of 3), then
    resumed to 6 runs, then to 8 and 9 (a new chunk holding 2, then filled): every run
    lands where its index says, as in a sweep done at once and as rebuilt independently."""
    path = tmp_path / "r.zarr"
    first = _sweep(runs=np.array([5, 2, 6, 1]), store=path, block_size=3)
    assert zarr.open_array(path / "total_loss").chunks[-1] == 3
    assert first.total_loss.notnull().sum("run").values.tolist() == [5, 2, 6, 1]
    for runs in (6, 8, 9):
        resumed = _sweep(runs=runs, store=path)
        xr.testing.assert_identical(resumed, _sweep(runs=runs))
        xr.testing.assert_identical(xs.open_results(path), resumed)
        assert_rebuilt(resumed)


def test_the_sweep_command_stores_the_runs_rebuilt_independently(tmp_path, capsys):
    from xorsweep import cli

    store = tmp_path / "r.zarr"
    grid = ["--points", "3", "--std-min", "0.25", "--std-max", "4", "--epochs", str(EPOCHS)]
    argv = ["sweep", "--store", str(store), "--seed", "7", "--workers", "1", *grid]
    assert cli.main([*argv, "--runs", "2", "--no-progress"]) == 0
    assert cli.main([*argv, "--runs", "5", "--no-progress"]) == 0  # resumed
    capsys.readouterr()
    ds = xs.open_results(store)
    np.testing.assert_array_equal(ds.hidden_std, article_grid(3, 0.25, 4.0))
    assert ds.total_loss.notnull().sum().item() == 15
    assert_rebuilt(ds, seed=7)


def test_block_population_equals_replay():
    ds = _sweep(hidden_std=[0.5, 3.0], runs=4, output_std=[0.5, 1.5], lr=[0.1, 0.3], epochs=5)
    task = task_of_points(
        hidden_std=np.array([3.0, 0.5]),
        output_std=np.array([1.5, 0.5]),
        lr=np.array([0.3, 0.1]),
        lo=np.array([1, 0]),
        hi=np.array([4, 2]),
        seed=0,
        epochs=5,
        update="article",
        data="xor",
        hidden=2,
    )
    pop, lrs = block_population(task)
    expected = xs.Population.concat(
        [
            xs.replay(ds, run=[1, 2, 3], hidden_std=3.0, output_std=1.5, lr=0.3),
            xs.replay(ds, run=[0, 1], hidden_std=0.5, output_std=0.5, lr=0.1),
        ]
    )
    assert pop == expected
    np.testing.assert_array_equal(lrs, [0.3, 0.3, 0.3, 0.1, 0.1])


@pytest.mark.parametrize("seed", [0, 12345, 2**32 + 5, 2**70 + 3, 2**130 + 11])
def test_block_population_draws_each_runs_numbers_from_its_own_generator(seed):
    """The block's vectorised seeding against one SeedSequence and default_rng per run,
    for seeds of one to five 32-bit words, stds whose bit patterns take one word (a
    subnormal) or two, an entry without runs, and run indices around 2**32 (two words)."""
    rng = np.random.default_rng(seed % 1000)
    entries = [  # (hidden std, output std, lr, first run, end)
        (0.5, 0.8165, 0.1, 3, 3),
        (5e-324, 1e300, 1e6, 0, 4),
        (float(rng.uniform(0.01, 50)), float(rng.uniform(0.1, 3)), 0.25, 97, 105),
        (2.5, 0.8165, 0.1, 0, 1),
    ]
    for far in (False, True):
        if far:
            entries[-1] = (2.5, 0.8165, 0.1, 2**32 - 2, 2**32 + 1)
        h, o, lr, lo, hi = (np.array(column) for column in zip(*entries, strict=True))
        task = task_of_points(h, o, lr, lo, hi, seed=seed, epochs=1, data="xor", hidden=2)
        pop, lrs = block_population(task)
        expected = []
        for hs, os_, lr_, a, b in entries:
            for r in range(a, b):
                key = (_bits(hs), _bits(os_), _bits(lr_), r)
                z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
                z = z.standard_normal(9)
                expected.append(np.concatenate([z[:6] * hs, z[6:] * os_]))
        got = np.concatenate(
            [
                pop.hidden_weights.reshape(pop.runs, -1),
                pop.hidden_bias.reshape(pop.runs, -1),
                pop.output_weights.reshape(pop.runs, -1),
                pop.output_bias.reshape(pop.runs, -1),
            ],
            axis=1,
        )
        np.testing.assert_array_equal(got, np.array(expected))
        np.testing.assert_array_equal(lrs, np.repeat(lr, hi - lo))
    # the fast path itself (block_population falls back on NumPy's objects if it disagrees)
    keys = [(_bits(hs), _bits(os_), _bits(lr_)) for hs, os_, lr_, *_ in entries[:-1]]
    states = pcg64_states(seed, keys, lo[:-1], hi[:-1])
    expected_states = [
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(*k, r))).state["state"]
        for k, (*_, a, b) in zip(keys, entries[:-1], strict=True)
        for r in range(a, b)
    ]
    assert len(states) == 12
    assert states == [(st["state"], st["inc"]) for st in expected_states]


def test_block_size_and_workers_do_not_change_results(small):
    xr.testing.assert_identical(_sweep(block_size=1), small)
    xr.testing.assert_identical(_sweep(block_size=7), small)
    xr.testing.assert_identical(_sweep(workers=2, block_size=5), small)


def _worker_processes():
    """This process's sweep workers (xorsweep.sweeps.workers), as psutil processes."""
    workers = "xorsweep.sweeps.workers"
    return [p for p in psutil.Process().children() if workers in " ".join(p.cmdline())]


def test_workers_start_with_one_blas_thread_and_this_environment_kept():
    """run_sweep starts its workers before making the store; they have one BLAS thread."""
    before = dict(os.environ)
    with LocalWorkers(2) as pool:
        pool.start()
        assert dict(os.environ) == before
        workers = _worker_processes()
        assert len(workers) == 2
        for worker in workers:
            assert worker.environ()["OPENBLAS_NUM_THREADS"] == "1"
        assert pool.ready()
    assert not _worker_processes()
    assert not [p for p in workers if p.is_running()]


def test_other_points_and_seed_change_results(small):
    """The key is the point's values, not its position: a sub-grid holds the same runs."""
    sub = _sweep(hidden_std=[2.5, 0.7071], runs=3)
    xr.testing.assert_equal(
        sub.sortby("hidden_std"), small.sel(hidden_std=[0.7071, 2.5]).isel(run=slice(0, 3))
    )
    other = _sweep(seed=1)
    assert not np.any(other.total_loss.values == small.total_loss.values)


# ---------------------------------------------------------------------------
# The results
# ---------------------------------------------------------------------------


def test_results_schema_and_attributes(small):
    np.testing.assert_array_equal(small.hidden_std.values, STDS)
    assert small.hidden_std.dtype == np.float64 and small.run.values.tolist() == list(range(6))
    for name in VARS:
        assert small[name].dims == ("hidden_std", "run") and small[name].dtype == np.float64
    assert small.total_loss.notnull().all()
    a = small.attrs
    assert (a["epochs"], a["lr"], a["output_std"], a["seed"]) == (EPOCHS, 0.1, 0.8165, 0)
    assert (a["update"], a["data"], a["hidden"], a["n_in"], a["n_out"]) == (
        "article",
        "xor",
        2,
        2,
        1,
    )
    assert a["numpy_version"] == np.__version__ and a["xorsweep_version"] == xs.__version__
    assert "SeedSequence" in a["seeding"]
    # present runs have finite losses; failed runs have a NaN converged_epoch only
    long = _sweep(hidden_std=[0.7071, 20.0], runs=8, epochs=3000)
    failed = long.total_loss.notnull() & long.converged_epoch.isnull()
    assert failed.any() and (~failed).any()
    done = long.converged_epoch.where(~failed)
    assert ((done >= 0) & (done <= 3000)).sum() == (~failed).sum()
    assert np.isfinite(long.final_loss).all()


def test_default_grid_is_the_articles():
    np.testing.assert_array_equal(article_grid(), np.exp(np.linspace(-3, 4, 400)))
    np.testing.assert_array_equal(SweepConfig().hidden_std, np.exp(np.linspace(-3, 4, 400)))
    cfg = SweepConfig()
    assert (cfg.output_std, cfg.lr, cfg.epochs, cfg.grid_dims) == (
        0.8165,
        0.1,
        10_000,
        ("hidden_std",),
    )


def test_grids_of_output_std_and_lr_add_dimensions():
    ds = _sweep(hidden_std=[0.5, 2.0], runs=3, output_std=[0.4, 1.6], lr=[0.1, 0.5, 1.0], epochs=60)
    assert ds.total_loss.dims == ("hidden_std", "output_std", "lr", "run")
    assert dict(ds.sizes) == {"hidden_std": 2, "output_std": 2, "lr": 3, "run": 3}
    assert ds.attrs["lr"] == [0.1, 0.5, 1.0] and ds.attrs["output_std"] == [0.4, 1.6]
    for h, o, lr in [(2.0, 0.4, 1.0), (0.5, 1.6, 0.1)]:
        pop = xs.replay(ds, run=[0, 1, 2], hidden_std=h, output_std=o, lr=lr)
        np.testing.assert_allclose(pop.output_weights.std(), o, rtol=1)  # scaled by o
        got = ds.total_loss.sel(hidden_std=h, output_std=o, lr=lr).values
        np.testing.assert_array_equal(xs.train(pop, 60, lr).total_loss.values, got)
    # a one-value grid is a dimension of length 1, a scalar is an attribute
    one = _sweep(hidden_std=[1.0], runs=2, lr=[0.1], epochs=10)
    assert one.total_loss.dims == ("hidden_std", "lr", "run") and "lr" in one.coords


def test_runs_per_point_leave_missing_runs_nan_in_all_variables(small):
    ds = _sweep(runs=np.array([6, 0, 2, 4]))
    assert ds.sizes["run"] == 6
    present = ds.total_loss.notnull()
    np.testing.assert_array_equal(present.sum("run"), [6, 0, 2, 4])
    for name in VARS:
        assert ds[name].where(~present).isnull().all(), name  # never zeros
        xr.testing.assert_equal(ds[name].where(present), small[name].where(present))


def test_sweep_config_is_frozen_and_round_trips_through_attributes(small):
    cfg = SweepConfig(hidden_std=np.array(STDS), epochs=EPOCHS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.epochs = 3
    assert cfg.hidden_std == tuple(STDS) and hash(cfg) == hash(SweepConfig(STDS, epochs=EPOCHS))
    back = SweepConfig.from_attrs(small.attrs, small.hidden_std.values)
    assert cfg.engine == "auto" and back.engine == "numba" and back == cfg.settled()
    assert xs.sweep(**dataclasses.asdict(cfg), runs=6, workers=1, progress=False).equals(small)
    assert xs.sweep(**dataclasses.asdict(back), runs=6, workers=1, progress=False).equals(small)


def test_replay_needs_an_exact_grid_value(small):
    with pytest.raises(ValueError, match="hidden_std must be given: the results have 4 values"):
        xs.replay(small, run=0)
    with pytest.raises(ValueError, match=r"hidden_std=0.7 is not one of the results' hidden_std"):
        xs.replay(small, run=0, hidden_std=0.7)
    with pytest.raises(ValueError, match="output_std=1.0 differs from the results' output_std"):
        xs.replay(small, run=0, hidden_std=1.0, output_std=1.0)
    with pytest.raises(ValueError, match="run must be an integer >= 0"):
        xs.replay(small, run=-1, hidden_std=1.0)
    picked = small.sel(hidden_std=0.71, method="nearest")
    assert xs.replay(picked, run=2) == xs.replay(small, run=2, hidden_std=0.7071)


# ---------------------------------------------------------------------------
# The article's frame
# ---------------------------------------------------------------------------


def test_article_frame_runs_the_articles_summary_unchanged():
    ds = _sweep(runs=np.array([6, 3, 0, 5]))
    df = xs.to_article_frame(ds)
    assert list(df.columns) == [
        "hidden_std_dev", "output_std_dev", "loss", "lr", "run", "final_loss", "converged_epoch",
    ]  # fmt: skip
    assert len(df) == 14 and (df["output_std_dev"] == 0.8165).all()
    # the article's own code:
    summary = df.groupby("hidden_std_dev")["loss"].agg(["mean", "std", "count"]).reset_index()
    x = summary["hidden_std_dev"].to_numpy()
    np.testing.assert_array_equal(x, [0.3, 0.7071, 2.5])  # the point without runs is absent
    for row in summary.itertuples():
        loss = ds.total_loss.sel(hidden_std=row.hidden_std_dev).values
        loss = loss[np.isfinite(loss)]
        assert row.count == loss.size
        np.testing.assert_allclose([row.mean, row.std], [loss.mean(), loss.std(ddof=1)], rtol=1e-12)
    one = df[(df.hidden_std_dev == 2.5) & (df.run == 4)].iloc[0]
    assert one.loss == ds.total_loss.sel(hidden_std=2.5, run=4)


def test_article_frame_of_a_grid():
    ds = _sweep(hidden_std=[0.5, 2.0], runs=2, output_std=[0.4, 1.6], epochs=20)
    df = xs.to_article_frame(ds)
    assert len(df) == 8 and sorted(set(df.output_std_dev)) == [0.4, 1.6]
    assert pd.api.types.is_float_dtype(df["loss"]) and (df["lr"] == 0.1).all()


# ---------------------------------------------------------------------------
# Allocating more runs
# ---------------------------------------------------------------------------


def _synthetic(cv, n, rng):
    """Loss samples of known coefficients of variation (lognormal, mean 1000)."""
    sigma = np.sqrt(np.log1p(np.asarray(cv) ** 2))
    mu = np.log(1000.0) - sigma**2 / 2
    return np.exp(mu[:, None] + sigma[:, None] * rng.standard_normal((len(cv), n)))


def _worst_rse(samples):
    return max(s.std(ddof=1) / s.mean() / np.sqrt(s.size) for s in samples)


def _allocated_vs_even(seed, cv, first_runs=20, budget=5000):
    """Worst relative SE after spending ``budget`` runs by allocate and evenly."""
    rng = np.random.default_rng(seed)
    first = _synthetic(cv, first_runs, rng)
    ds = xr.Dataset(
        {"total_loss": (("hidden_std", "run"), first)},
        coords={"hidden_std": np.geomspace(0.05, 50, len(cv))},
    )
    more = xs.allocate(ds, budget)
    assert more.name == "runs" and more.dims == ("hidden_std",) and more.dtype == np.int64
    assert int((more - first_runs).sum()) == budget and (more >= first_runs).all()
    # more runs where the measured relative error is larger (up to rounding)
    sample_cv = first.std(axis=1, ddof=1) / first.mean(axis=1)
    grew = more.values > first_runs
    assert np.all(np.diff(more.values[grew][np.argsort(sample_cv[grew])]) >= -1)
    assert sample_cv[~grew].max() < sample_cv[grew].min()
    # the same new runs, drawn once, spent both ways: the same compute
    extra = _synthetic(cv, int(more.max()), rng)
    even_share = budget // len(cv)
    smart = [
        np.concatenate([f, e[: m - first_runs]])
        for f, e, m in zip(first, extra, more.values, strict=True)
    ]
    even = [np.concatenate([f, e[:even_share]]) for f, e in zip(first, extra, strict=True)]
    assert sum(s.size for s in smart) == sum(s.size for s in even)
    return _worst_rse(smart) / _worst_rse(even)


def test_allocate_lowers_the_worst_relative_error_for_the_same_compute():
    cv = np.geomspace(0.02, 1.5, 25)  # points from nearly constant to very spread losses
    ratios = np.array([_allocated_vs_even(seed, cv) for seed in range(10)])
    assert ratios.max() < 1.0, ratios  # lower every time
    assert np.median(ratios) < 0.7, ratios  # and typically by a third or more


def test_water_fill_is_the_exact_minimax_and_tops_up_small_points():
    cv = np.array([0.1, 0.2, 0.4, np.nan])
    n = np.array([10, 10, 10, 0])
    totals = _water_fill(n, np.where(np.isnan(cv), 0.4, cv), 100, 2)
    assert totals.sum() == 130 and totals[3] >= 2 and np.all(totals >= n)
    # no single run moved from one point to another lowers the worst relative error
    c = np.array([0.1, 0.2, 0.4, 0.4])
    best = (c / np.sqrt(totals)).max()
    for i in range(4):
        for j in range(4):
            if i != j and totals[i] > max(n[i], 2):
                moved = totals.copy()
                moved[i] -= 1
                moved[j] += 1
                assert (c / np.sqrt(moved)).max() >= best - 1e-15
    # a budget smaller than the top-up goes to the emptiest points
    np.testing.assert_array_equal(_water_fill(np.array([0, 1, 5]), np.ones(3), 2, 2), [2, 1, 5])
    np.testing.assert_array_equal(_water_fill(np.array([4, 4]), np.zeros(2), 5, 2), [7, 6])


def test_allocation_feeds_a_sweep_and_total_runs_uses_it(small):
    more = xs.allocate(small, 16)
    assert int(more.sum()) == 24 + 16
    grown = _sweep(runs=more)
    np.testing.assert_array_equal(grown.total_loss.notnull().sum("run"), more.values)
    xr.testing.assert_equal(grown.isel(run=slice(0, 6)), small)
    auto = _sweep(total_runs=40)
    xr.testing.assert_identical(auto, grown)


def test_allocate_refuses_bad_input(small):
    with pytest.raises(ValueError, match="budget must be an integer >= 0"):
        xs.allocate(small, -1)
    with pytest.raises(ValueError, match="min_runs must be an integer >= 2"):
        xs.allocate(small, 5, min_runs=1)
    with pytest.raises(ValueError, match="total_loss variable over a run dimension"):
        xs.allocate(small.drop_vars("total_loss"), 5)
    with pytest.raises(ValueError, match="mean total_loss must be > 0"):
        xs.allocate(small.assign(total_loss=-small.total_loss), 5)


def _with_sample_std(n, mean, std, rng):
    """``n`` positive losses whose mean is ``mean`` and whose sample std (ddof=1) is ``std``."""
    z = rng.standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + std * z


def _losses(rows):
    """A results Dataset from rows of different lengths (missing runs NaN)."""
    width = max(len(r) for r in rows)
    loss = np.full((len(rows), width), np.nan)
    for k, r in enumerate(rows):
        loss[k, : len(r)] = r
    return xr.Dataset(
        {"total_loss": (("hidden_std", "run"), loss)},
        coords={"hidden_std": np.geomspace(0.3, 3.0, len(rows))},
    )


def test_allocate_uses_the_sample_std_of_points_with_different_runs():
    """Two points with the same mean and the same sample std (ddof=1), one with 3 runs and
    one with 30: their coefficients of variation are equal, so 27 new runs all go to the
    first, leaving 30 each (with the n-divided std, the first would look less spread)."""
    rng = np.random.default_rng(41)
    ds = _losses(
        [_with_sample_std(3, 2000.0, 500.0, rng), _with_sample_std(30, 2000.0, 500.0, rng)]
    )
    assert xs.allocate(ds, 27).values.tolist() == [30, 30]
    assert xs.allocate(ds, 29).values.tolist() == [31, 31]


def test_allocate_reaches_the_best_worst_relative_error_of_every_split():
    """Against every way to split the budget over three points with different runs: the
    allocation's worst relative standard error (sample std, ddof=1) is the smallest."""
    rng = np.random.default_rng(42)
    rows = [rng.lognormal(7.5, s, n) for s, n in ((0.2, 4), (0.6, 25), (0.4, 9))]
    ds, budget = _losses(rows), 40
    n = np.array([len(r) for r in rows])
    cv = np.array([np.std(r, ddof=1) / np.mean(r) for r in rows])
    best = min(
        max(cv / np.sqrt(n + np.array([a, b, budget - a - b])))
        for a in range(budget + 1)
        for b in range(budget + 1 - a)
    )
    more = xs.allocate(ds, budget).values
    assert more.sum() == n.sum() + budget and np.all(more >= n)
    assert max(cv / np.sqrt(more)) == pytest.approx(best, rel=1e-12)


# ---------------------------------------------------------------------------
# Progress bar
# ---------------------------------------------------------------------------


def test_progress_bar_counts_blocks_and_shows_speed(capsys):
    _sweep(runs=2, epochs=5, progress=True, block_size=2)
    err = capsys.readouterr().err
    assert "sweep" in err and "4/4" in err and "net-epochs/s" in err
    _sweep(runs=2, epochs=5, progress=False, block_size=2)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"hidden_std": []}, ValueError, "hidden_std must hold at least one value"),
        ({"hidden_std": [0.5, 0.0]}, ValueError, "hidden_std must be finite and > 0, got 0"),
        ({"hidden_std": [-1.0]}, ValueError, "hidden_std must be finite and > 0, got -1"),
        ({"hidden_std": [1.0, np.nan]}, ValueError, "got nan at position 1"),
        ({"hidden_std": [np.inf]}, ValueError, "hidden_std must be finite and > 0, got inf"),
        ({"hidden_std": [[1.0, 2.0]]}, ValueError, "hidden_std must be a number or a 1-D"),
        ({"hidden_std": [1.0, 1.0]}, ValueError, "hidden_std must hold distinct values"),
        ({"hidden_std": "1"}, TypeError, "hidden_std must be a real number"),
        ({"output_std": -0.5}, ValueError, "output_std must be finite and > 0"),
        ({"lr": [0.1, 0.0]}, ValueError, "lr must be finite and > 0 and <= 1e\\+06"),
        ({"runs": 0}, ValueError, "runs must be an integer >= 1, got 0"),
        ({"runs": -3}, ValueError, "runs must be an integer >= 1, got -3"),
        ({"runs": 2.5}, TypeError, "runs must be an integer >= 1"),
        ({"runs": True}, TypeError, "runs must be an integer >= 1"),
        ({"runs": [1, 2]}, ValueError, "runs must be an integer or have the grid's shape"),
        ({"runs": [1, -1, 2, 2]}, ValueError, "runs per point must be >= 0"),
        ({"runs": [0, 0, 0, 0]}, ValueError, "at least one must be >= 1"),
        ({"runs": [1.0, 1, 1, 1]}, TypeError, "runs must hold integers"),
        ({"epochs": 0}, ValueError, "epochs must be an integer >= 1"),
        ({"seed": -1}, ValueError, "seed must be an integer >= 0"),
        ({"update": "backwards"}, ValueError, "update must be one of"),
        ({"data": "nand"}, ValueError, "unknown truth table 'nand'"),
        ({"workers": 0}, ValueError, "workers must be an integer >= 1"),
        ({"block_size": 0}, ValueError, "block_size must be an integer >= 1"),
        ({"progress": "yes"}, TypeError, "progress must be True or False"),
        ({"total_runs": 0}, ValueError, "total_runs must be an integer >= 1"),
        ({"load": False}, ValueError, "load=False needs a store"),
        ({"client": object(), "workers": None}, TypeError, "client must be a distributed.Client"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        _sweep(**kwargs)


# ---------------------------------------------------------------------------
# Dask: a real LocalCluster with two worker processes on loopback
# ---------------------------------------------------------------------------

DASK_KW = dict(hidden_std=article_grid(10, 0.2, 5.0), runs=200, epochs=400, progress=False)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def dask_reference():
    return xs.sweep(**DASK_KW, workers=1)


def test_dask_results_are_bit_identical_to_local(dask_client, dask_reference):
    ds = xs.sweep(**DASK_KW, client=dask_client, block_size=300)
    xr.testing.assert_identical(ds, dask_reference)
    assert ds.attrs["engine"] == "numba"
    numpy = {"engine": "numpy", **DASK_KW}
    ds = xs.sweep(**numpy, client=dask_client, block_size=300)
    xr.testing.assert_identical(ds, xs.sweep(**numpy, workers=1))
    with pytest.raises(ValueError, match="give workers .* or client .*, not both"):
        xs.sweep(**DASK_KW, client=dask_client, workers=2)


def test_dask_worker_killed_mid_sweep_loses_nothing(dask_client, dask_reference, tmp_path):
    killed, finished = {}, threading.Event()

    def kill_a_busy_worker():
        while not finished.is_set():
            busy = [w for w, keys in dask_client.processing().items() if keys]
            if busy:
                pid = dask_client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, 9)  # SIGKILL, with the worker's tasks in flight
                killed["pid"] = pid
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        ds = xs.sweep(**DASK_KW, client=dask_client, block_size=100, store=tmp_path / "r.zarr")
    finally:
        finished.set()
        killer.join()
    assert "pid" in killed, "the sweep ended before a worker could be killed"
    with pytest.raises(ProcessLookupError):
        os.kill(killed["pid"], 0)
    assert killed["pid"] not in dask_client.run(os.getpid).values()
    xr.testing.assert_identical(ds, dask_reference)


def test_local_worker_killed_mid_sweep_is_reported_and_the_same_call_resumes(tmp_path):
    kw = dict(hidden_std=article_grid(6, 0.2, 5.0), runs=200, epochs=3000, progress=False)
    reference = xs.sweep(**kw, workers=1)
    killed, finished = {}, threading.Event()

    markers = tmp_path / "r.zarr" / "_filled" / "c"

    def kill_a_worker():
        while not finished.is_set():
            workers = _worker_processes()
            written = markers.is_dir() and any(markers.rglob("*"))
            if workers and written:  # the workers compute: they have blocks in flight
                os.kill(workers[0].pid, 9)  # SIGKILL
                killed["pid"] = workers[0].pid
                return
            time.sleep(0.002)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    try:
        with pytest.raises(RuntimeError, match="a worker process of the sweep ended abruptly"):
            xs.sweep(**kw, workers=2, block_size=100, store=tmp_path / "r.zarr")
    finally:
        finished.set()
        killer.join()
    assert "pid" in killed
    assert not _worker_processes()  # the other one was stopped
    resumed = xs.sweep(**kw, workers=2, block_size=100, store=tmp_path / "r.zarr")
    xr.testing.assert_identical(resumed, reference)
