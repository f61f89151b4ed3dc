"""continue_runs over every grid dimension of a sweep: bit for bit a sweep run in one go."""

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.model.network import glorot_std
from xorsweep.sweeps.continuation import continue_runs, state_of, with_continued

XNOR = xs.TruthTable([[0, 0], [0, 1], [1, 0], [1, 1]], [[1], [0], [0], [1]], "xnor_custom")
AXES = {  # a study axis each, in a small sweep
    "hidden": dict(hidden=[2, 3]),
    "activation": dict(activation=["sigmoid", "tanh"]),
    "gradient": dict(gradient=["sum", "mean"]),
    "bias": dict(bias=["scaled", "zero"]),
    "glorot over widths": dict(output_std="glorot", hidden=[2, 4]),
    "glorot at one width": dict(output_std="glorot", hidden=4),
    "custom table": dict(data=XNOR),
    "lr": dict(lr=[0.3, 1.0]),
}
STDS = [0.5, 2.0]
FIRST, LAST = 200, 600


def _sweep(epochs, engine, **kw):
    kw = {"lr": 0.5, **kw}
    return xs.sweep(STDS, runs=4, epochs=epochs, engine=engine, workers=1, progress=False, **kw)


def _source(continued, i, results):
    """Where run ``i`` of continued results is in ``results``: its coordinates there."""
    dims = [d for d in results.total_loss.dims if d != "run"]
    where = {d: continued[d].values[i] for d in dims}
    return {**where, "run": int(continued.source_run[i])}


def _assert_same_as(continued, results):
    for i in range(continued.sizes["run"]):
        one_go = results.sel(_source(continued, i, results))
        for name in ("total_loss", "final_loss", "converged_epoch"):
            got, want = continued[name].values[i], one_go[name].values
            assert got == want or (np.isnan(got) and np.isnan(want)), (name, i)


@pytest.mark.parametrize("axis", AXES)
def test_continued_over_an_axis_equals_the_sweep_in_one_go(axis, engine):
    kw = AXES[axis]
    first, whole = _sweep(FIRST, engine, **kw), _sweep(LAST, engine, **kw)
    longer = continue_runs(first, LAST, select="all")
    assert longer.sizes["run"] == first.total_loss.size and longer.attrs["engine"] == engine
    _assert_same_as(longer, whole)
    # each run's link: every value of its grid point, the settings that are attributes too
    hidden = np.atleast_1d(kw.get("hidden", 2))
    assert set(longer.hidden.values.tolist()) == set(hidden.tolist())
    for name, default in (("activation", "sigmoid"), ("gradient", "sum"), ("bias", "scaled")):
        assert set(longer[name].values.tolist()) == set(np.atleast_1d(kw.get(name, default)))
    if kw.get("output_std") == "glorot":
        want = [glorot_std(int(w), 1) for w in longer.hidden.values]
        assert np.array_equal(longer.output_std.values, want)
    assert longer.sizes["unit"] == hidden.max()
    if "data" in kw:
        assert longer.attrs["data_table"] == first.attrs["data_table"]


def test_mixed_widths_go_on_from_their_state_and_store(tmp_path, engine):
    kw = dict(hidden=[2, 3], activation=["sigmoid", "tanh"])
    first = _sweep(FIRST, engine, **kw)
    path = tmp_path / "longer.zarr"
    longer = continue_runs(first, LAST, select="all", store=path)
    narrow = longer.hidden.values == 2
    assert np.isnan(longer.hidden_weights.values[narrow][:, :, 2]).all()
    further = continue_runs(path, 900, select="all")  # from the store: names read back
    _assert_same_as(further, _sweep(900, engine, **kw))
    xr.testing.assert_identical(
        further.drop_attrs(), continue_runs(longer, 900, select="all").drop_attrs()
    )
    held = continue_runs(first, LAST, select="all", store=path)  # read, not computed
    assert held.attrs["compute_seconds"] == longer.attrs["compute_seconds"]
    some = {"hidden": [3], "activation": ["tanh"], "source_run": [1], "hidden_std": [2.0]}
    one = continue_runs(held, 700, select=some)
    assert one.sizes["run"] == 1 and one.activation.item() == "tanh" and one.hidden.item() == 3
    with pytest.raises(ValueError, match="continued holds runs of 4 settings"):
        state_of(held)
    state = state_of(held.isel(run=(held.hidden.values == 3) & (held.activation.values == "tanh")))
    assert state.epoch == LAST and state.activation == "tanh"
    assert state.population.hidden_weights.shape[1:] == (2, 3)


def test_a_selected_point_counts_as_its_setting(engine):
    kw = dict(hidden=[2, 3], activation=["sigmoid", "tanh"])
    first, whole = _sweep(FIRST, engine, **kw), _sweep(LAST, engine, **kw)
    picked = first.sel(hidden=3, activation="tanh")
    longer = continue_runs(picked, LAST, select="all")
    assert longer.sizes["run"] == picked.total_loss.size
    assert set(longer.hidden.values.tolist()) == {3}
    assert set(longer.activation.values.tolist()) == {"tanh"}
    _assert_same_as(longer, whole)
    # put back into the selection or into the whole results, not into another point
    for results in (picked, first):
        both = with_continued(results, longer)
        assert int((both.epochs_trained == LAST).sum()) == longer.sizes["run"]
    with pytest.raises(ValueError, match="continued holds runs of other results .*hidden"):
        with_continued(first.sel(hidden=2, activation="tanh"), longer)


def test_survival_over_the_axes_up_to_the_continued_epochs():
    kw = dict(hidden=[2, 3], gradient=["sum", "mean"], bias=["scaled", "zero"])
    first, whole = _sweep(FIRST, "numba", **kw), _sweep(LAST, "numba", **kw)
    both = with_continued(first, continue_runs(first, LAST))  # every unconverged run
    failed = first.converged_epoch.isnull()
    assert both.converged_epoch.where(failed).equals(whole.converged_epoch.where(failed))
    assert both.converged_epoch.where(~failed).equals(first.converged_epoch.where(~failed))
    assert float(both.epochs_trained.where(failed).max()) == LAST
    curves = xs.survival_curves(both, by="hidden", epochs="epochs_trained", grid=[LAST])
    at_end = whole.converged_epoch.isnull().mean(["hidden_std", "gradient", "bias", "run"])
    np.testing.assert_allclose(curves.survival.sel(epoch=LAST), at_end, rtol=1e-12)
    sample = with_continued(first, continue_runs(first, LAST, select="all", runs_per_std=1))
    assert int((sample.epochs_trained == LAST).sum()) == 2 * 2 * 2 * 2  # per std and setting


def test_old_continued_results_read_their_settings_from_attributes():
    first = _sweep(FIRST, "numpy")
    longer = continue_runs(first, LAST, select="all")
    old = longer.drop_vars(["hidden", "activation", "gradient", "bias"]).rename(unit="hidden")
    xr.testing.assert_identical(
        continue_runs(old, 900, select="all").drop_attrs(),
        continue_runs(longer, 900, select="all").drop_attrs(),
    )


def test_bad_input_over_the_axes_is_one_clear_error(tmp_path):
    first = _sweep(FIRST, "numpy", hidden=[2, 3], activation=["sigmoid", "tanh"])
    path = tmp_path / "longer.zarr"
    point = {"hidden_std": [0.5], "hidden": [3], "activation": ["tanh"]}
    cases = [
        (dict(select={**point, "run": [4]}), "run=4, which the results do not hold"),
        (dict(select={**point, "hidden": [5], "run": [0]}), "hidden=5, which the results"),
        (dict(select={**point, "activation": ["relu"], "run": [0]}), "activation='relu'"),
        (dict(select={**point, "activation": [1], "run": [0]}), "the results' are names"),
        (dict(select={"hidden_std": [0.5], "hidden": [3], "run": [0]}), "must give activation"),
        (dict(epochs=FIRST), f"epochs must be more than the {FIRST} epochs"),
        (dict(epochs=FIRST - 100), "epochs must be more than"),
    ]
    for kw, message in cases:
        with pytest.raises(ValueError, match=message):
            continue_runs(first, **{"epochs": LAST, **kw}, store=path)
        assert not path.exists()
    longer = continue_runs(first, LAST, select="all")
    with pytest.raises(ValueError, match="select names 1 run"):
        continue_runs(longer, 900, select={"hidden": [3], "source_run": [9]})
    with pytest.raises(ValueError, match="epochs must be more than the 600 epochs"):
        continue_runs(longer, LAST)
