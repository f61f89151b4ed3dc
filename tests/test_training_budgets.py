"""Training budgets: one training scores every run as if it had stopped at each budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import xorsweep as xs
from xorsweep._core.cf_attrs import CF_ATTRS
from xorsweep.training.settings import TrainingSettings
from xorsweep.training.trainer import TrainingJob, run_training, train_arrays

DATA = Path(__file__).parent / "data"
EPOCHS = 60
# budgets inside and at the edges of the NumPy engine's groups of 4 epochs, and the last epoch
BUDGETS = (1, 4, 5, 7, 33, 59, EPOCHS)
HIDDEN = {1: 2, 3: (3, 3, 3)}
KEYS = (("budget_total_loss", "total_loss"), ("budget_converged_epoch", "converged_epoch"))


def _population(depth: int, runs: int = 70, std: float = 1.5):
    """70 runs: more than one fused chunk of 64 lanes, so padding lanes are crossed."""
    return xs.init_population(runs, hidden_std=std, hidden=HIDDEN[depth], seed=7)


def _assert_each_budget_is_a_training_of_its_epochs(pop, ds, **kw):
    for k, b in enumerate(ds.budget.values):
        alone = xs.train(pop, int(b), **kw)
        for key, name in KEYS:
            np.testing.assert_array_equal(ds[key][:, k].values, alone[name].values, err_msg=key)
        np.testing.assert_array_equal(ds.budget_converged[:, k], alone.converged)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_each_budget_equals_a_training_of_that_many_epochs_bit_for_bit(engine, depth, optimizer):
    # the sums are added in the same order as a shorter training's: equal to the last bit
    pop = _population(depth)
    kw = dict(lr=0.5, engine=engine, optimizer=optimizer)
    ds = xs.train(pop, EPOCHS, budgets=BUDGETS, **kw)
    assert ds.budget.values.tolist() == list(BUDGETS)
    assert ds.budget_converged.any() and not ds.budget_converged[:, 0].all()  # both kinds seen
    _assert_each_budget_is_a_training_of_its_epochs(pop, ds, **kw)


@pytest.mark.parametrize(
    "kw",
    [
        dict(update="simultaneous", activation="tanh", engine="numpy"),
        dict(update="simultaneous", activation="tanh", engine="numba"),
        dict(engine="numba", precision="float32"),
        dict(engine="numba", gradient="mean", optimizer="momentum"),
    ],
)
def test_budgets_hold_for_other_settings(kw):
    pop = _population(1)
    ds = xs.train(pop, EPOCHS, budgets=(2, 9, 40), **kw)
    _assert_each_budget_is_a_training_of_its_epochs(pop, ds, **kw)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_two_outputs_and_many_groups(engine):
    # 8 loss terms an epoch: groups of 2 epochs in the NumPy engine, products of 16 terms
    pop = xs.init_population(5, hidden_std=1.0, hidden=3, n_out=2, seed=1)
    table = xs.TruthTable([[0, 0], [0, 1], [1, 0], [1, 1]], [[0, 1], [1, 0], [1, 0], [0, 1]])
    ds = xs.train(pop, 41, 1.0, data=table, engine=engine, budgets=(1, 2, 3, 30, 40))
    _assert_each_budget_is_a_training_of_its_epochs(pop, ds, lr=1.0, data=table, engine=engine)


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_the_engines_agree_at_every_budget(depth, optimizer):
    pop = _population(depth)
    kw = dict(lr=0.1, optimizer=optimizer, budgets=BUDGETS)
    a = xs.train(pop, EPOCHS, engine="numpy", **kw)
    b = xs.train(pop, EPOCHS, engine="numba", **kw)
    np.testing.assert_allclose(a.budget_total_loss, b.budget_total_loss, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(a.budget_converged_epoch, b.budget_converged_epoch)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("depth", [1, 3])
def test_the_last_budget_is_the_training_itself(engine, depth):
    ds = xs.train(_population(depth), EPOCHS, 0.5, engine=engine, budgets=(10, EPOCHS))
    for key, name in KEYS:
        np.testing.assert_array_equal(ds[key].sel(budget=EPOCHS), ds[name])
    assert (ds.budget_total_loss.sel(budget=10) < ds.total_loss).all()  # fewer epochs' losses


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_no_budgets_leaves_the_numbers_as_before(depth, optimizer):
    # stored from the code before budgets existed (numpy engine, 90 epochs, lr 0.3)
    saved = np.load(DATA / "pre_budgets_train.npz")
    ds = xs.train(_population(depth), 90, 0.3, engine="numpy", optimizer=optimizer)
    assert "budget" not in ds.dims and not any(v.startswith("budget") for v in ds.data_vars)
    for name in ("total_loss", "converged_epoch", "final_loss", "predictions", "output_weights"):
        np.testing.assert_array_equal(ds[name].values, saved[f"d{depth}_{optimizer}_{name}"])


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("depth", [1, 3])
def test_budgets_change_nothing_else(engine, depth):
    pop = _population(depth)
    plain = xs.train(pop, EPOCHS, 0.5, engine=engine, optimizer="adam")
    with_budgets = xs.train(pop, EPOCHS, 0.5, engine=engine, optimizer="adam", budgets=BUDGETS)
    for name, value in plain.data_vars.items():
        np.testing.assert_array_equal(with_budgets[name].values, value.values, err_msg=name)
    assert with_budgets.attrs == plain.attrs


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("hidden", [2, (4, 4)])
def test_a_diverged_run_never_converges_at_any_budget(engine, hidden):
    # ReLU at a huge learning rate overflows: its losses stop being finite
    pop = xs.init_population(64, hidden_std=8.0, output_std=8.0, hidden=hidden, seed=0)
    with np.errstate(all="ignore"):
        ds = xs.train(pop, 200, 50.0, activation="relu", engine=engine, budgets=(1, 100, 150))
    bad = ~np.isfinite(ds.budget_total_loss.values)
    assert bad[:, 0].sum() < bad[:, -1].sum()  # runs diverge along the way
    assert not ds.budget_converged.values[bad].any()
    assert np.isnan(ds.budget_converged_epoch.values[bad]).all()


def test_the_dataset_describes_the_budget_axis():
    ds = xs.train(_population(1, runs=3), 30, budgets=[10, 30])
    assert ds.budget.dtype.kind == "i" and ds.budget.attrs["units"] == "epochs"
    for name in ("budget_total_loss", "budget_converged_epoch", "budget_converged"):
        assert ds[name].dims == ("run", "budget")
        assert ds[name].attrs["long_name"] == CF_ATTRS[name][0]
        assert ds[name].attrs["units"] == CF_ATTRS[name][1]
    assert ds.budget_converged.dtype == bool


def test_train_arrays_returns_them_run_first():
    pop = _population(1, runs=4)
    res = train_arrays(pop, 30, budgets=(3, 30))
    ds = xs.train(pop, 30, budgets=(3, 30))
    assert res["budget_total_loss"].shape == (4, 2)
    np.testing.assert_array_equal(res["budget_total_loss"], ds.budget_total_loss.values)
    settings = TrainingSettings(epochs=30, budgets=(3, 30))
    again = xs.train(pop, settings=settings)
    np.testing.assert_array_equal(again.budget_total_loss, ds.budget_total_loss)


@pytest.mark.parametrize(
    "budgets", [(0, 5), (5, 3), (2, 2), (31,), (1.5,), "10", (), 10, (True,), [np.float64(3)]]
)
def test_bad_budgets_are_one_clear_line(budgets):
    with pytest.raises(ValueError, match=r"^budgets must be strictly increasing integers") as err:
        xs.train(_population(1, runs=2), 30, budgets=budgets)
    assert "from 1 to epochs=30" in str(err.value) and "\n" not in str(err.value)


def test_training_on_refuses_budgets():
    pop = _population(1, runs=2)
    job = TrainingJob.checked(pop, TrainingSettings(epochs=30, budgets=(10,)), None, 8)
    carry = run_training(TrainingJob.checked(pop, TrainingSettings(epochs=5), None, 8))
    on = TrainingJob(job.population, job.settings, job.lrs, job.table, 8, 5, carry)
    with pytest.raises(ValueError, match="budgets are recorded from epoch 0 only"):
        run_training(on)
