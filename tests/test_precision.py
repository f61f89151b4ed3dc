"""The numba engine in float32 against float64; the precision's checks and its travel.

float32's tolerance on single runs over short horizons (100 epochs): total loss
within 1e-5 relative and parameters within 1e-4 of (1 + |parameter|). Why: its
unit roundoff is 6e-8, and gradient descent carries each rounding error on,
amplified by the steps' Jacobians, so errors grow with the epochs; over 100
epochs across stds 0.05 to 50 the largest differences measured are 6.1e-7
(total loss) and 6.5e-6 (parameters), over 1,000 epochs 4.2e-6 and 5.7e-5,
and the tolerance leaves a margin of more than ten. Over the article's 10,000
epochs single runs can part ways (a run near a saddle may converge in one
precision and not the other); there the statistics are compared instead
(``benchmarks/bench_float32.py``, BENCHMARKS.md).
"""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.training import _fused_math, fused
from xorsweep.training.settings import TrainingSettings
from xorsweep.training.trainer import train_arrays

LOSS_RTOL = 1e-5  # float32's total loss against float64's, relative, over 100 epochs
PARAM_TOL = 1e-4  # its parameters, relative to 1 + |parameter|
PARAMS = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")


def _population(runs=300, seed=5):
    stds = np.exp(np.linspace(np.log(0.05), np.log(50.0), runs))
    return xs.init_population(runs, hidden_std=stds, seed=seed)


@pytest.mark.parametrize("update", ["article", "simultaneous"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_float32_within_its_tolerance_of_float64(update, activation):
    pop = _population()
    kw = dict(engine="numba", update=update, activation=activation)
    a = train_arrays(pop, 100, **kw)
    b = train_arrays(pop, 100, precision="float32", **kw)
    assert np.max(np.abs(b["total_loss"] / a["total_loss"] - 1)) < LOSS_RTOL
    for name in PARAMS:
        assert np.max(np.abs(b[name] - a[name]) / (1 + np.abs(a[name]))) < PARAM_TOL
    assert b["total_loss"].dtype == np.float64
    # float32 is not float64: the differences are there, at float32's scale
    assert np.median(np.abs(b["total_loss"] / a["total_loss"] - 1)) > 1e-12


def test_float32_flushes_subnormals_in_the_kernel_alone():
    """Large logits (std 50) give float32 subnormals, which the kernel flushes to zero (an
    operation on one is a hundred times slower); the thread's arithmetic is left as it was."""
    pop = xs.init_population(64, hidden_std=50.0, seed=3)
    a = train_arrays(pop, 100, engine="numba")
    b = train_arrays(pop, 100, engine="numba", precision="float32")
    assert np.max(np.abs(b["total_loss"] / a["total_loss"] - 1)) < LOSS_RTOL
    tiny = np.array([1e-38], dtype=np.float32)
    assert (tiny * np.float32(0.5))[0] > 0  # still a subnormal after the kernel, not zero


def test_float32_run_does_not_depend_on_its_block():
    pop = _population(130)
    whole = train_arrays(pop, 300, engine="numba", precision="float32")
    part = train_arrays(pop[70:], 300, engine="numba", precision="float32", block_size=64)
    np.testing.assert_array_equal(whole["total_loss"][70:], part["total_loss"])
    np.testing.assert_array_equal(whole["hidden_weights"][70:], part["hidden_weights"])


def test_float64_is_the_default_and_unchanged_by_the_option():
    pop = _population(70)
    default = train_arrays(pop, 200, engine="numba")
    given = train_arrays(pop, 200, engine="numba", precision="float64")
    numpy = train_arrays(pop, 200, engine="numpy")
    np.testing.assert_array_equal(default["total_loss"], given["total_loss"])
    np.testing.assert_allclose(default["total_loss"], numpy["total_loss"], rtol=1e-10)


def test_exp32_within_two_ulp():
    x = np.linspace(-87.0, 87.0, 200_001).astype(np.float32)
    got = fused.exp(x, np.empty_like(x))
    want = np.exp(x.astype(np.float64))
    ulp = np.spacing(want.astype(np.float32)).astype(np.float64)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - want) / ulp) <= 2.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reciprocal_within_one_ulp(dtype):
    x = np.exp(np.linspace(0.0, 80.0, 5001)).astype(dtype)
    got = np.array([_fused_math._reciprocal(v) for v in x], dtype=dtype)  # boxed as floats
    want = 1.0 / x.astype(np.longdouble)
    err = np.abs(got.astype(np.longdouble) - want) / np.spacing(got).astype(np.longdouble)
    assert float(np.max(err)) <= 1.0


def test_results_and_store_record_the_precision(tmp_path):
    ds = xs.train(xs.init_population(3, seed=0), 50, engine="numba", precision="float32")
    assert ds.attrs["precision"] == "float32"
    store = tmp_path / "r.zarr"
    xs.sweep(hidden_std=[1.0], runs=4, epochs=50, precision="float32", store=store,
             workers=1, progress=False)  # fmt: skip
    assert xs.open_results(store).attrs["precision"] == "float32"
    with pytest.raises(ValueError, match="precision is 'float32' in the store but 'float64'"):
        xs.sweep(hidden_std=[1.0], runs=8, epochs=50, store=store, workers=1, progress=False)


def test_bad_precisions_are_refused_in_one_line():
    pop = xs.init_population(2, seed=0)
    with pytest.raises(ValueError, match="precision must be one of 'float64', 'float32'"):
        TrainingSettings(precision="float16")
    with pytest.raises(ValueError, match="precision='float32' needs the numba engine"):
        xs.train(pop, 10, engine="numpy", precision="float32")
    with pytest.raises(ValueError, match="epochs must be <= 16,777,216 with precision='float32'"):
        TrainingSettings(2**24 + 1, precision="float32")


def _features_in_fresh_process(env):
    import os
    import subprocess
    import sys

    code = (
        "from xorsweep.training import fused\n"
        "from numba.core import config\n"
        "from llvmlite import binding\n"
        "print(config.CPU_FEATURES or '')\n"
        "print(bool(binding.get_host_cpu_features().get('avx512f')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CPU")} | env
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    features, avx512 = out.stdout.splitlines()
    return features, avx512 == "True"


def test_wide_vectors_on_avx512_unless_the_build_is_chosen():
    features, avx512 = _features_in_fresh_process({})
    assert features.endswith(",-prefer-256-bit") == avx512
    chosen, _ = _features_in_fresh_process({"NUMBA_CPU_NAME": "haswell"})
    assert "prefer-256-bit" not in chosen


def test_cli_precision_is_one_line_where_refused(tmp_path, capsys):
    from xorsweep import cli

    store = str(tmp_path / "r.zarr")
    argv = ["sweep", "--store", store, "--runs", "2", "--epochs", "10", "--no-progress"]
    assert cli.main([*argv, "--engine", "numpy", "--precision", "float32", "--yes"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "xorsweep sweep: error: precision='float32' needs the numba engine (the NumPy engine "
        "computes in float64): use engine='numba' or 'auto' where numba runs, or "
        "precision='float64'"
    ]
    assert cli.main([*argv, "--precision", "float32", "--yes"]) == 0
    assert xs.open_results(store).attrs["precision"] == "float32"
    out = str(tmp_path / "study")
    argv = ["reproduce", "--study", "failures", "--precision", "float32", "--out", out, "--yes"]
    assert cli.main(argv) == 2
    assert "the failures study runs in float64 only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("hidden", "options"),
    [
        (2, {"optimizer": "adam", "lr": 0.01}),
        (2, {"activation": "relu"}),
        (2, {"record_every": 10}),
        (8, {"activation": "tanh"}),  # wide: the lanes inside the loops over units
        (8, {"optimizer": "momentum", "lr": 0.01}),
    ],
)
def test_float32_trains_everything_float64_does_within_its_tolerance(hidden, options):
    pop = xs.init_population(100, seed=1, hidden=hidden)
    a = train_arrays(pop, 100, engine="numba", **options)
    b = train_arrays(pop, 100, engine="numba", precision="float32", **options)
    assert np.max(np.abs(b["total_loss"] / a["total_loss"] - 1)) < LOSS_RTOL
    for name in PARAMS:
        assert np.max(np.abs(b[name] - a[name]) / (1 + np.abs(a[name]))) < PARAM_TOL
    if "record_every" in options:
        assert np.max(np.abs(b["epoch_loss"] / a["epoch_loss"] - 1)) < LOSS_RTOL


def test_float32_is_refused_for_several_hidden_layers():
    """The kernel of several hidden layers computes in float64: float32 is refused, not
    recorded over float64 numbers."""
    pop = xs.init_population(4, hidden_std=0.7, hidden=(4, 4), seed=1)
    with pytest.raises(ValueError, match="one hidden layer"):
        xs.train(pop, epochs=10, lr=0.1, precision="float32")
