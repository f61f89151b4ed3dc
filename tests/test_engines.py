"""The two training engines against each other, and how one is chosen (training.engines)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.training import engines
from xorsweep.training.trainer import train_arrays

RTOL = 1e-10
ENGINES = ("numba", "numpy")
RESULTS = ("total_loss", "final_loss", "converged_epoch", "predictions")
PARAMS = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")

# 200 runs from std 0.05 to 50 (the article's range and beyond); each case changes one thing
CASES = {
    "article": {},
    "record_every": {"record_every": 1000},
    "per-run lr": {"lr": np.linspace(0.02, 0.8, 200)},
    "and": {"data": "and"},
    "parity3, width 4": {"data": "parity3", "hidden": 4},
    "width 3": {"hidden": 3},
    "tanh": {"activation": "tanh"},
    "mean": {"gradient": "mean"},
    "tanh, mean, bias 0": {"activation": "tanh", "gradient": "mean", "bias": "zero"},
}


def _rel_err(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


def _population(case, runs=200, seed=2026):
    stds = np.exp(np.linspace(np.log(0.05), np.log(50.0), runs))
    n_in = xs.truth_table(case.get("data", "xor")).n_in
    hidden, bias = case.get("hidden", 2), case.get("bias", "scaled")
    return xs.init_population(runs, stds, 0.8165, hidden=hidden, n_in=n_in, bias=bias, seed=seed)


def _options(case):
    return {k: v for k, v in case.items() if k not in ("hidden", "bias")}


@pytest.mark.parametrize("update", xs.UPDATES)
@pytest.mark.parametrize("name", CASES)
def test_engines_agree_over_the_articles_10000_epochs(name, update):
    case = CASES[name]
    pop = _population(case)
    runs = {
        e: train_arrays(pop, 10_000, **_options(case), update=update, engine=e) for e in ENGINES
    }
    numba, numpy = runs["numba"], runs["numpy"]
    assert _rel_err(numba["total_loss"], numpy["total_loss"]) < RTOL
    assert _rel_err(numba["final_loss"], numpy["final_loss"]) < RTOL
    np.testing.assert_array_equal(numba["converged_epoch"], numpy["converged_epoch"])
    converged = np.isfinite(numpy["converged_epoch"])
    assert converged.any() and not converged.all()  # both kinds of run are compared
    # each run's parameter error against its largest parameter (one that ends near zero has
    # no relative precision of its own)
    flat = {e: np.hstack([r[k].reshape(pop.runs, -1) for k in PARAMS]) for e, r in runs.items()}
    err = np.max(np.abs(flat["numba"] - flat["numpy"]), axis=1)
    assert np.max(err / np.max(np.abs(flat["numpy"]), axis=1)) < RTOL
    if "record_every" in case:
        assert numba["epoch_loss"].shape == (pop.runs, 10)
        assert _rel_err(numba["epoch_loss"], numpy["epoch_loss"]) < RTOL


def test_numba_is_bit_identical_for_any_block_size():
    """Blocks of 1, 7, 64 (a chunk of lanes), 65 and all runs: the same bits."""
    pop = _population(CASES["article"], runs=130, seed=5)
    lrs = np.linspace(0.05, 0.5, 130)
    whole = train_arrays(pop, 300, lrs, record_every=50, engine="numba")
    for block_size in (1, 7, 64, 65):
        part = train_arrays(pop, 300, lrs, record_every=50, engine="numba", block_size=block_size)
        for key, value in whole.items():
            np.testing.assert_array_equal(part[key], value, err_msg=f"{key}, block {block_size}")


def test_auto_is_numba_here_and_recorded():
    pop = xs.init_population(3, seed=1)
    auto = xs.train(pop, 50)
    assert auto.attrs["engine"] == "numba"
    assert xs.train(pop, 50, engine="numpy").attrs["engine"] == "numpy"
    numba = xs.train(pop, 50, engine="numba")
    for key in auto.data_vars:
        np.testing.assert_array_equal(auto[key].values, numba[key].values)


# each (width, activation) compiles a kernel: the widths measured, each activation at two,
# shapes that the other tests compile too
@pytest.mark.parametrize(
    ("hidden", "activation"),
    [(1, "sigmoid"), (2, "sigmoid"), (4, "sigmoid"), (6, "sigmoid"), (2, "tanh"), (32, "tanh")],
)
def test_auto_is_numba_at_every_width_where_it_compiles(hidden, activation):
    """No crossover: the numba kernel is the faster engine at every width measured."""
    assert engines.resolve("auto", 2, hidden, 1, activation) == "numba"
    assert engines.resolve("numpy", 2, hidden, 1, activation) == "numpy"


@pytest.fixture
def without_numba(monkeypatch):
    """The engines module as where numba does not import: nothing decided or warned yet."""

    def fail(*shape):
        raise ImportError("No module named 'numba'")

    monkeypatch.setattr(engines, "_compile_numba", fail)
    monkeypatch.setattr(engines, "_PROBLEMS", {})
    monkeypatch.setattr(engines, "_warned", False)


def test_auto_without_numba_trains_with_numpy_and_warns_once(without_numba):
    pop = xs.init_population(3, seed=2)
    with pytest.warns(RuntimeWarning) as caught:
        ds = xs.train(pop, 40)
        wide = train_arrays(xs.init_population(2, hidden=3, seed=2), 40)  # another shape
        again = xs.train(pop, 40, engine="auto")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message == (
        "engine='auto' trains with NumPy: the numba engine cannot run here "
        "(ImportError: No module named 'numba')"
    )
    assert caught[0].filename == __file__  # it points at the call of train
    assert ds.attrs["engine"] == again.attrs["engine"] == "numpy"
    assert wide["total_loss"].shape == (2,)
    numpy = xs.train(pop, 40, engine="numpy")
    for key in ds.data_vars:
        np.testing.assert_array_equal(ds[key].values, numpy[key].values)


def test_numba_without_numba_is_refused_with_the_reason(without_numba):
    pop = xs.init_population(3, seed=2)
    with pytest.raises(ValueError, match=r"^engine='numba' cannot run here \(ImportError: No "):
        xs.train(pop, 5, engine="numba")


def test_numba_disabled_falls_back_to_numpy_in_a_fresh_process():
    """With NUMBA_DISABLE_JIT=1 numba imports but cannot compile: "auto" is NumPy."""
    code = (
        "import warnings, numpy as np, xorsweep as xs\n"
        "from xorsweep.training import train_arrays\n"
        "pop = xs.init_population(3, seed=0)\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    auto = [train_arrays(pop, 30) for _ in range(2)]\n"
        "numpy = train_arrays(pop, 30, engine='numpy')\n"
        "print(len(caught), all(np.array_equal(a['total_loss'], numpy['total_loss']) "
        "for a in auto))\n"
        "print(caught[0].message)\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    count, message = run.stdout.splitlines()
    assert count == "1 True"
    assert message.startswith("engine='auto' trains with NumPy: the numba engine cannot run here")
    assert "NotImplementedError" in message


@pytest.mark.parametrize("engine", ["jax", "NumPy", "", None, 1])
def test_an_unknown_engine_is_one_clear_value_error(engine):
    pop = xs.init_population(2, seed=0)
    match = r"^engine must be one of 'auto', 'numpy', 'numba', got "
    with pytest.raises(ValueError, match=match):
        xs.train(pop, 5, engine=engine)
    with pytest.raises(ValueError, match=match):
        train_arrays(pop, 5, engine=engine)


@pytest.mark.parametrize(
    ("options", "said"),
    [({"precision": "float32"}, "float32 gd"), ({"optimizer": "adam"}, "float64 adam")],
)
def test_a_first_float32_or_optimizer_compile_is_announced(options, said, monkeypatch):
    from xorsweep.training import _numba_cache
    from xorsweep.training.settings import TrainingSettings

    assert engines.numba_problem(2, 2, 1) is None  # float64 gd, compiled (cached) first
    heard = []
    monkeypatch.setattr(engines, "on_compile", heard.append)
    monkeypatch.setattr(engines, "_VARIANTS", set())
    monkeypatch.setattr(_numba_cache, "is_compiled", lambda shape: False)
    monkeypatch.setattr(_numba_cache, "mark_compiled", lambda shape, seconds: None)
    engines.settle(TrainingSettings(engine="numba", **options), 2, 2, 1)
    engines.settle(TrainingSettings(engine="numba", **options), 2, 2, 1)  # once a process
    engines.settle(TrainingSettings(engine="numba"), 2, 2, 1)  # float64 gd: numba_problem's
    assert len(heard) == 1
    assert heard[0].startswith(f"compiling the numba kernel for 2-2-1 sigmoid {said} networks")
