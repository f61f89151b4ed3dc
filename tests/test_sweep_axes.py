"""The study axes as grid dimensions of a sweep: width, activation, gradient, bias,
output_std="glorot" and a custom truth table; their seeding, stores and refusals."""

import itertools
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.analysis.slices import slice_setting
from xorsweep.model.network import n_parameters
from xorsweep.sweeps import budget
from xorsweep.sweeps.config import GRID_DIMS, SweepConfig
from xorsweep.training.reference import train_reference

DATA = Path(__file__).parent / "data"
VARS = ("total_loss", "final_loss", "converged_epoch")
STDS = [0.5, 2.0]
EPOCHS = 60
#: every new dimension at once: 2 stds x 2 widths x 2 x 2 x 2 = 32 points
AXES = dict(hidden=[2, 3], activation=["sigmoid", "tanh"], gradient=["sum", "mean"])
AXES["bias"] = ["scaled", "zero"]
#: the dimensions of the stores in these tests (sigmoid kernels only: fewer to load)
STORE_AXES = dict(hidden=[2, 3], gradient=["sum", "mean"], bias=["scaled", "zero"])
#: the attributes a store made before the study axes lacks
NEW_ATTRS = (
    "activation",
    "gradient",
    "bias",
    "seeding",
    "optimizer",
    "optimizer_params",
    "precision",
)


def _sweep(**kw):
    args = dict(hidden_std=STDS, runs=3, epochs=EPOCHS, workers=1, progress=False)
    return xs.sweep(**{**args, **kw})


def _bits(x):
    """float64 bit pattern, computed without NumPy."""
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _points(ds):
    """Every point of the non-hidden_std grid dimensions, as a dict of scalar values."""
    dims = [d for d in ds.total_loss.dims if d not in ("hidden_std", "run")]
    for values in itertools.product(*(ds[d].values.tolist() for d in dims)):
        yield dict(zip(dims, values, strict=True))


@pytest.fixture(scope="module", params=["numpy", "numba"])
def grid(request):
    """Every new dimension, output_std 'glorot', computed by each engine."""
    return _sweep(output_std="glorot", engine=request.param, **AXES)


# ---------------------------------------------------------------------------
# Results: dimensions, seeding, and equal to train and to the reference loop
# ---------------------------------------------------------------------------


def test_dimensions_are_in_order_with_their_types_and_single_values_are_attributes(grid):
    assert grid.total_loss.dims == ("hidden_std", *AXES, "run")
    assert grid.hidden.dtype == np.int64 and grid.hidden.values.tolist() == [2, 3]
    for name in ("activation", "gradient", "bias"):
        assert grid[name].dtype.kind == "U" and grid[name].values.tolist() == AXES[name]
        assert grid.attrs[name] == AXES[name]
    assert grid.attrs["output_std"] == "glorot" and "glorot" in grid.attrs["seeding"]
    one = _sweep(runs=1, epochs=5, hidden=3, activation="tanh", gradient="mean", bias="zero",
                 engine="numpy")  # fmt: skip
    assert one.total_loss.dims == ("hidden_std", "run")
    assert {k: one.attrs[k] for k in AXES} == dict(
        hidden=3, activation="tanh", gradient="mean", bias="zero"
    )
    assert slice_setting(one, "hidden") == 3 and slice_setting(one, "activation") == "tanh"
    assert slice_setting(grid.sel(hidden=3, activation="tanh"), "activation") == "tanh"
    listed = _sweep(runs=1, epochs=5, output_std=[0.5], bias=["zero"], hidden=(4,), engine="numpy")
    assert listed.total_loss.dims == ("hidden_std", "output_std", "hidden", "bias", "run")
    assert GRID_DIMS == ("hidden_std", "output_std", "lr", *AXES, "optimizer")


def test_every_run_equals_train_on_its_replayed_network(grid):
    """Each point's runs, rebuilt by replay and trained by train with the point's options,
    bit for bit, trained as the sweep's block holds them (both stds' runs together)."""
    engine = grid.attrs["engine"]
    for point in _points(grid):
        pops = [xs.replay(grid, run=[0, 1, 2], hidden_std=h, **point) for h in STDS]
        assert {pop.hidden for pop in pops} == {point["hidden"]}
        options = dict(activation=point["activation"], gradient=point["gradient"])
        together = xs.train(xs.Population.concat(pops), EPOCHS, 0.1, engine=engine, **options)
        for name in VARS:
            stored = grid[name].sel(**point).transpose("hidden_std", "run").values.ravel()
            np.testing.assert_array_equal(together[name].values, stored, f"{name} {point}")


def test_workers_and_block_size_do_not_change_results_over_the_new_dimensions():
    kw = dict(runs=5, epochs=30, output_std="glorot", engine="numpy", **STORE_AXES)
    xr.testing.assert_identical(_sweep(workers=2, block_size=4, **kw), _sweep(**kw))


def test_runs_match_the_reference_loop_for_every_combination(grid):
    """Independently of train: two runs per combination through the one-network loop."""
    for point in _points(grid):
        pop = xs.replay(grid, run=[0, 2], hidden_std=2.0, **point)
        options = dict(activation=point["activation"], gradient=point["gradient"])
        refs = train_reference(pop, EPOCHS, 0.1, **options)
        got = grid.total_loss.sel(hidden_std=2.0, run=[0, 2], **point).values
        np.testing.assert_allclose(got, [r["total_loss"] for r in refs], rtol=1e-10, atol=0)


def test_initial_networks_follow_the_documented_seeding_rule_at_every_point(grid):
    """Key (bits(h), bits(o), bits(lr), r) with o the point's output std (glorot: of its
    width); the width takes n_parameters normals of that stream; activation and gradient
    leave them alone and bias 'zero' zeroes the biases of the same draw."""
    for point in _points(grid):
        width, h, r = point["hidden"], 2.0, 1
        o = math.sqrt(2.0 / (width + 1))
        seq = np.random.SeedSequence(0, spawn_key=(_bits(h), _bits(o), _bits(0.1), r))
        z = np.random.default_rng(seq).standard_normal(4 * width + 1)
        parts = np.split(z, np.cumsum([2 * width, width, width]))
        if point["bias"] == "zero":
            parts[1], parts[3] = 0 * parts[1], 0 * parts[3]
        pop = xs.replay(grid, run=r, hidden_std=h, **point)
        for got, want, std in zip(pop.parameters().values(), parts, (h, h, o, o), strict=True):
            np.testing.assert_array_equal(got.ravel(), want * std)


def test_runs_that_differ_only_in_activation_gradient_or_bias_share_their_normals(grid):
    base = xs.replay(grid, run=[0, 1, 2], hidden_std=0.5, hidden=3, **{
        "activation": "sigmoid", "gradient": "sum", "bias": "scaled"})  # fmt: skip
    for activation, gradient in itertools.product(AXES["activation"], AXES["gradient"]):
        kw = dict(hidden_std=0.5, hidden=3, activation=activation, gradient=gradient)
        assert xs.replay(grid, run=[0, 1, 2], bias="scaled", **kw) == base
        zero = xs.replay(grid, run=[0, 1, 2], bias="zero", **kw)
        np.testing.assert_array_equal(zero.hidden_weights, base.hidden_weights)
        np.testing.assert_array_equal(zero.output_weights, base.output_weights)
        assert not zero.hidden_bias.any() and not zero.output_bias.any()
    # the width 3's stream begins with the width 2's normals (same key when o is the same)
    narrow = _sweep(runs=2, epochs=2, output_std=0.8, hidden=[2, 3], engine="numpy")
    wide, two = (xs.replay(narrow, run=1, hidden_std=0.5, hidden=w) for w in (3, 2))
    np.testing.assert_array_equal(wide.hidden_weights.ravel()[:4], two.hidden_weights.ravel())


def test_replay_names_the_dimension_to_give(grid):
    with pytest.raises(ValueError, match="hidden must be given: the results have 2 values"):
        xs.replay(grid, run=0, hidden_std=0.5)
    with pytest.raises(ValueError, match=r"activation='relu' is not one of .*'sigmoid', 'tanh'"):
        xs.replay(grid, run=0, hidden_std=0.5, hidden=2, activation="relu")
    one = grid.sel(hidden=2, activation="tanh", gradient="mean", bias="zero")
    assert xs.replay(one, run=1, hidden_std=0.5).hidden == 2
    frame = xs.to_article_frame(grid)
    assert len(frame) == 32 * 3 and {"hidden", "activation", "gradient", "bias"} <= set(frame)
    glorot = frame.groupby("hidden")["output_std_dev"].first()
    assert glorot.to_dict() == {2: math.sqrt(2 / 3), 3: math.sqrt(2 / 4)}


def test_the_default_settings_keep_the_numbers_of_stores_made_before():
    """Stores made by the code before the study axes (tests/data, engine numpy) equal the
    same sweeps made now, bit for bit; only the new attributes differ."""
    for name, kw in (
        ("pre_axes_default.zarr", dict(hidden_std=[0.5, 1.0, 2.0], runs=4, epochs=80)),
        ("pre_axes_grid.zarr", dict(
            hidden_std=[0.5, 2.0], runs=3, epochs=60, hidden=3, output_std=[0.5, 0.8165],
            lr=[0.1, 0.3], seed=7)),
    ):  # fmt: skip
        old = xs.open_results(DATA / name)
        now = _sweep(engine="numpy", **kw)
        assert not any(k in old.attrs for k in NEW_ATTRS[:3])
        assert {k for k in now.attrs if old.attrs.get(k) != now.attrs[k]} == set(NEW_ATTRS)
        xr.testing.assert_identical(old.drop_attrs(), now.drop_attrs())


# ---------------------------------------------------------------------------
# Custom truth tables
# ---------------------------------------------------------------------------

TABLE = xs.TruthTable([[0, 0, 1], [0, 1, 1], [1, 0, 0], [1, 1, 1]], [1, 0, 0, 1], "mytable")


def test_a_custom_truth_table_is_swept_stored_and_resumed(tmp_path):
    path = tmp_path / "t.zarr"
    kw = dict(data=TABLE, hidden=[2, 4], engine="numpy")
    ds = _sweep(runs=2, store=path, **kw)
    assert ds.attrs["data"] == "mytable" and ds.attrs["n_in"] == 3
    assert ds.attrs["data_table"]["targets"] == [[1.0], [0.0], [0.0], [1.0]]
    pop = xs.replay(ds, run=[0, 1], hidden_std=2.0, hidden=4)
    alone = xs.train(pop, EPOCHS, 0.1, data=TABLE, engine="numpy")
    np.testing.assert_array_equal(alone.total_loss, ds.total_loss.sel(hidden_std=2.0, hidden=4))
    resumed = _sweep(runs=3, store=path, **kw)
    xr.testing.assert_identical(resumed, _sweep(**kw))
    other = xs.TruthTable(TABLE.inputs, [1, 0, 1, 1], "mytable")
    with pytest.raises(ValueError, match="data is the custom table 'mytable' of 4 samples"):
        _sweep(runs=3, store=path, data=other, hidden=[2, 4], engine="numpy")
    with pytest.raises(ValueError, match="data is the custom table 'mytable' .* but 'xor'"):
        _sweep(runs=3, store=path, hidden=[2, 4], engine="numpy")
    # a table equal to a named one is that one
    assert SweepConfig(data=xs.xor()).data == "xor"
    for inputs, targets in ((xs.xor().inputs, [1, 0, 0, 1]), (1 - xs.xor().inputs, [0, 1, 1, 0])):
        custom = SweepConfig(data=xs.TruthTable(inputs, targets, "xor"))
        assert isinstance(custom.data, xs.TruthTable) and custom.attrs()["data"] == "xor"
        assert custom.attrs()["data_table"]["inputs"] == np.asarray(inputs).tolist()


# ---------------------------------------------------------------------------
# Stores: SIGKILL, resume, more runs, refusals, stores made before
# ---------------------------------------------------------------------------

_CHILD = """
import sys
import xorsweep as xs
xs.sweep([0.5, 2.0], runs=48, epochs=10000, store=sys.argv[1], workers=1, progress=False,
         block_size=24, output_std="glorot", **{axes})
"""


def _finished_markers(markers: Path) -> list[Path]:
    """The marker chunks written, without Zarr's temporary files of writes in progress."""
    if not markers.is_dir():
        return []
    return [p for p in markers.rglob("*") if p.is_file() and not p.name.endswith(".partial")]


def test_sigkill_then_resume_then_more_runs_equal_uninterrupted_sweeps(tmp_path):
    """As tests/test_store.py's SIGKILL test, over the new dimensions (32 blocks of 24 runs,
    computed in the sweep's own process)."""
    path = tmp_path / "killed.zarr"
    code = textwrap.dedent(_CHILD.format(axes=STORE_AXES))
    child = subprocess.Popen([sys.executable, "-c", code, str(path)])
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if len(_finished_markers(path / "_filled" / "c")) >= 3:
                break
            time.sleep(0.002)
        assert child.poll() is None, "the sweep ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    partial = xs.open_results(path)
    present = partial.total_loss.notnull()
    assert 3 * 24 <= int(present.sum()) < 16 * 48
    kw = dict(hidden_std=STDS, epochs=10000, output_std="glorot", workers=1, progress=False)
    kw.update(STORE_AXES)
    whole = xs.sweep(runs=48, **kw)
    for name in VARS:
        xr.testing.assert_identical(partial[name].where(present), whole[name].where(present))
    resumed = xs.sweep(runs=48, store=path, **kw)
    xr.testing.assert_identical(resumed, whole)
    more = xs.sweep(runs=50, store=path, **kw)
    xr.testing.assert_identical(more.isel(run=slice(48)), whole)
    fresh = xs.sweep(runs=50, **{**kw, "hidden_std": [2.0]})
    xr.testing.assert_identical(more.sel(hidden_std=[2.0]), fresh)
    assert xs.open_results(path, chunks={}).bias.values.tolist() == ["scaled", "zero"]
    assert not list(path.rglob("*.partial"))


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    path = tmp_path_factory.mktemp("made") / "r.zarr"
    _sweep(runs=2, epochs=20, store=path, output_std="glorot", engine="numpy", **STORE_AXES)
    return path


def _digest(path: Path) -> list:
    return sorted(
        (str(p.relative_to(path)), p.read_bytes()) for p in path.rglob("*") if p.is_file()
    )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden": [2, 4]}, r"hidden differs at 1 of 2 values \(first at position 1: 3 in"),
        ({"hidden": 2}, r"hidden is \[2, 3\] in the store but 2 was requested"),
        ({"bias": "zero"}, r"bias is \['scaled', 'zero'\] in the store but 'zero' was requested"),
        ({"gradient": ["mean", "sum"]}, "gradient differs at 2 of 2 values"),
        ({"activation": "tanh"}, "activation is 'sigmoid' in the store but 'tanh' was requested"),
        ({"output_std": 0.8165}, "output_std is 'glorot' in the store but 0.8165 was requested"),
    ],
)
def test_another_configuration_is_refused_by_name_and_the_store_untouched(made, change, message):
    before = _digest(made)
    kw = {"output_std": "glorot", "engine": "numpy", **STORE_AXES, **change}
    with pytest.raises(ValueError, match=message) as info:
        _sweep(runs=3, epochs=20, store=made, **kw)
    assert "different configuration" in str(info.value)
    assert _digest(made) == before


def test_stores_made_before_the_study_axes_open_and_resume(tmp_path):
    """They count as the defaults: sigmoid, summed gradient, scaled biases."""
    path = tmp_path / "old.zarr"
    shutil.copytree(DATA / "pre_axes_grid.zarr", path)
    kw = dict(hidden_std=[0.5, 2.0], epochs=60, hidden=3, output_std=[0.5, 0.8165],
              lr=[0.1, 0.3], seed=7)  # fmt: skip
    before = xs.open_results(path)
    assert before.total_loss.notnull().all() and before.sizes["run"] == 3
    resumed = _sweep(runs=5, store=path, **kw)  # the store's engine, numpy
    assert resumed.attrs == before.attrs  # its attributes are its own
    xr.testing.assert_identical(
        resumed.drop_attrs(), _sweep(runs=5, engine="numpy", **kw).drop_attrs()
    )
    replayed = xs.replay(resumed, run=4, hidden_std=2.0, output_std=0.5, lr=0.3, bias="scaled")
    assert replayed.hidden == 3
    same = _sweep(runs=5, store=path, activation="sigmoid", gradient="sum", bias="scaled", **kw)
    xr.testing.assert_identical(same, resumed)
    with pytest.raises(ValueError, match="activation is 'sigmoid' in the store but 'tanh'"):
        _sweep(runs=5, store=path, activation="tanh", **kw)


# ---------------------------------------------------------------------------
# Bad input: one ValueError naming the argument and what it allows, nothing written
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "gelu"}, r"activation must be one of 'sigmoid', 'tanh', 'relu', or a list"),
        ({"activation": ["tanh", "gelu"]}, r"activation must be one of .*; got 'gelu'"),
        ({"gradient": "avg"}, r"gradient must be one of 'sum', 'mean', or a list .*'avg'"),
        ({"bias": "none"}, r"bias must be one of 'scaled', 'zero', or a list .*'none'"),
        ({"bias": []}, r"bias must be one of 'scaled', 'zero', or a non-empty list .* got \[\]"),
        ({"hidden": []}, r"hidden must be an integer from 1 to 256, or a non-empty list"),
        ({"bias": ["zero", "zero"]}, "bias must hold distinct values, got 'zero' twice"),
        ({"hidden": 0}, "hidden must be an integer from 1 to 256, got 0"),
        ({"hidden": 257}, "hidden must be an integer from 1 to 256, got 257"),
        ({"hidden": [2, 257]}, "hidden must be an integer from 1 to 256, got 257"),
        ({"hidden": [2, 2]}, r"hidden lists distinct widths .*got \(2, 2\).*hidden=2, depth=2"),
        ({"hidden": [2, 4, 2]}, "hidden must hold distinct values, got 2 twice"),
        ({"output_std": "glorott"}, r"output_std must be .* a list of them, or 'glorot', got"),
        ({"output_std": [0.5, "glorot"]}, r"output_std must be .*'glorot' \(alone\)"),
    ],
)
def test_bad_axes_are_one_clear_error_and_nothing_is_written(tmp_path, kwargs, message):
    path = tmp_path / "never.zarr"
    with pytest.raises(ValueError, match=message):
        _sweep(store=path, **kwargs)
    assert not path.exists() and not list(tmp_path.iterdir())


# ---------------------------------------------------------------------------
# The budget counts wider networks' cost
# ---------------------------------------------------------------------------


def test_the_budget_weighs_a_network_epoch_by_its_size():
    one = SweepConfig(hidden_std=[1.0, 2.0], epochs=1000)
    wide = SweepConfig(hidden_std=[1.0, 2.0], epochs=1000, hidden=[2, 32])
    assert budget.sweep_cost(one, 100).sizes == ((1.0, 1.0),)
    sizes = budget.relative_sizes(wide)
    assert sizes.shape == (2, 2) and sizes[0].tolist() == [1.0, 129 / 9]  # 4h+1 parameters
    cost = budget.sweep_cost(wide, 100)
    assert cost.net_epochs == 400 * 1000 and cost.sizes == ((1.0, 0.5), (129 / 9, 0.5))
    # only the wide points left to do: they weigh alone
    done = np.array([[100, 0], [100, 0]])
    assert budget.sweep_cost(wide, 100, done, 100).sizes == ((1.0, 0.0), (129 / 9, 1.0))
    linear = budget.Speed(per_run=0.0, per_net_epoch=1e-7, per_point=0.0)
    assert linear.seconds(cost, 1) == pytest.approx(4e5 * 1e-7 * (1 + 129 / 9) / 2)
    steep = budget.Speed(per_run=0.0, per_net_epoch=1e-7, per_point=0.0, exponent=1.7)
    assert steep.seconds(cost, 1) == pytest.approx(4e5 * 1e-7 * (1 + (129 / 9) ** 1.7) / 2)
    # the same runs and epochs fit at widths 2 and 3 (4.9 s) but not at 2 and 256 (229 s)
    speed = budget.Speed(per_run=0.0, per_net_epoch=2e-9, per_point=0.0)
    for widths, fits in (([2, 3], True), ([2, 256], False)):
        config = SweepConfig(hidden_std=[1.0], epochs=10**4, hidden=widths)
        cost = budget.sweep_cost(config, 10**5)
        check = dict(memory=None, disk=None, max_hours=0.002)  # 7.2 s
        if fits:
            budget.check_cost(cost, speed.seconds(cost, 1), **check)
        else:
            with pytest.raises(ValueError, match=r"about 4 min \(2e\+09 network-epochs\), more"):
                budget.check_cost(cost, speed.seconds(cost, 1), **check)


def test_the_probe_measures_how_much_more_the_widest_networks_cost(monkeypatch):
    """On a clock where a network-epoch costs its parameters ** 1.5, the probe finds 1.5.

    (How close its estimates come on a real machine: ``benchmarks/bench_estimate.py``.)"""
    clock = [0.0]

    def block_on_the_clock(task):
        params = n_parameters(2, task.hidden, 1)
        clock[0] += task.runs * (1e-6 + task.config.epochs * 1e-8 * params**1.5)

    monkeypatch.setattr(budget, "compute_block", block_on_the_clock)
    monkeypatch.setattr(budget.time, "perf_counter", lambda: clock[0])
    config = SweepConfig(hidden_std=[1.0], epochs=400, hidden=[2, 24], engine="numpy")
    speed = budget.probe_speed(config, runs=1024, epochs=64)
    assert speed.exponent == pytest.approx(1.5, rel=1e-6)
    assert speed.per_net_epoch == pytest.approx(1e-8 * n_parameters(2, 2, 1) ** 1.5, rel=1e-6)
    cost = budget.sweep_cost(config, 512, np.array([[512, 0]]), 512)  # 512 runs at width 24
    wide = 512 * 400 * 1e-8 * n_parameters(2, 24, 1) ** 1.5
    set_up = 512 * (1e-6 + 1e-8 * n_parameters(2, 2, 1) ** 1.5)  # a run and its first epoch
    assert speed.seconds(cost, 1) == pytest.approx(wide + set_up, rel=1e-6)
