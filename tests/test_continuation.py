"""Training stopped and taken up again: bit for bit one go, within each engine; continue_runs."""

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.sweeps import continued_store
from xorsweep.sweeps.continuation import continue_runs, state_of, with_continued
from xorsweep.training.reference import train_one
from xorsweep.training.state import TrainingState, train_on, train_on_arrays
from xorsweep.training.trainer import train_arrays

COMPARED = ("total_loss", "final_loss", "converged_epoch", "predictions", *xs.PARAMETER_NAMES)
OPTIONS = [  # (update, activation, gradient)
    ("article", "sigmoid", "sum"),
    ("simultaneous", "sigmoid", "sum"),
    ("article", "tanh", "mean"),
    ("simultaneous", "tanh", "sum"),
]


@pytest.fixture(scope="module")
def population():
    """Runs that converge early, late and never: stds from 0.1 to 8, lr 0.5."""
    return xs.init_population(64, hidden_std=np.geomspace(0.1, 8.0, 64), seed=11)


def _assert_identical(ours, theirs, names=COMPARED):
    for name in names:
        assert np.array_equal(ours[name], theirs[name], equal_nan=True), name


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("cut", [1000, 1001])
def test_trained_on_equals_one_go_bit_for_bit(population, engine, options, cut):
    update, activation, gradient = options
    kw = dict(update=update, activation=activation, gradient=gradient, engine=engine)
    one_go = train_arrays(population, 10_000, 0.5, **kw)
    part, state = train_on_arrays(TrainingState.start(population, 0.5, **kw), cut)
    _assert_identical(part, train_arrays(population, cut, 0.5, **kw))
    assert state.epoch == cut and state.engine == engine
    rest, end = train_on_arrays(state, 10_000)
    _assert_identical(rest, one_go)
    assert end.epoch == 10_000 and end.population == xs.Population(
        **{n: one_go[n] for n in xs.PARAMETER_NAMES}
    )
    conv = one_go["converged_epoch"]
    assert np.isnan(conv).any() and not np.isnan(conv).all()  # outcomes are mixed
    assert (conv > cut).any() or options != OPTIONS[0]  # some converge after the cut


def test_records_keep_absolute_epochs(population, engine):
    kw = dict(engine=engine, record_every=250)
    one_go = xs.train(population[:8], 3000, 0.5, **kw)
    first, state = train_on(
        TrainingState.start(population[:8], 0.5, engine=engine), 1001, record_every=250
    )
    second, state = train_on(state, 1002, record_every=250)  # no record in between
    third, _ = train_on(state, 3000, record_every=250)
    assert first.epoch.values.tolist() == [0, 250, 500, 750, 1000] and second.sizes["epoch"] == 0
    assert third.epoch.values.tolist() == list(range(1250, 3000, 250))
    for name in ("epoch_loss", "hidden_weights_history", "output_bias_history"):
        joined = np.concatenate([ds[name].values for ds in (first, second, third)], axis=1)
        assert np.array_equal(joined, one_go[name].values), name
    xr.testing.assert_identical(
        third.drop_dims("epoch").drop_attrs(), one_go.drop_dims("epoch").drop_attrs()
    )
    assert third.attrs["first_epoch"] == 1002 and third.attrs["epochs"] == 3000


def test_many_cuts_and_block_sizes_change_nothing(population, engine):
    one_go = train_arrays(population, 2003, 0.5, engine=engine)
    state = TrainingState.start(population, 0.5, engine=engine)
    for cut, block in zip((1, 2, 2, 7, 100, 1001, 2003), (5, 64, 3, 64, 17, 1, 64), strict=True):
        res, state = train_on_arrays(state, cut, block_size=block)
    _assert_identical(res, one_go)
    _assert_identical(
        train_on_arrays(state[[3, 40]], 2003)[0],
        train_arrays(population[[3, 40]], 2003, 0.5, engine=engine),
    )


def test_continued_runs_agree_with_the_reference_loop(population, engine):
    state = TrainingState.start(population[[0, 20, 63]], 0.5, engine=engine)
    _, state = train_on_arrays(state, 777)
    res, _ = train_on_arrays(state, 2000)
    for k, run in enumerate((0, 20, 63)):
        net = population[run]
        ref = train_one(*(getattr(net, n)[0] for n in xs.PARAMETER_NAMES), epochs=2000, lr=0.5)
        assert res["total_loss"][k] == pytest.approx(ref["total_loss"], rel=1e-10)
        assert res["final_loss"][k] == pytest.approx(ref["final_loss"], rel=1e-10, abs=1e-12)
        conv = ref["converged_epoch"]
        assert (np.isnan(res["converged_epoch"][k]) and conv is None) or res["converged_epoch"][
            k
        ] == conv
        np.testing.assert_allclose(
            res["hidden_weights"][k], ref["hidden_weights"], rtol=1e-9, atol=1e-12
        )


def test_numpy_convergence_inside_the_last_group_of_epochs():
    """Training ending inside a group of 4 epochs: the NumPy engine counts the convergence
    epoch as numba and the reference do (it used to count it up to 3 epochs early)."""
    pop = xs.init_population(2000, hidden_std=1.0, seed=1)
    early = train_arrays(pop, 40, 1.0, engine="numba")["converged_epoch"]
    runs = np.flatnonzero(np.isin(early, [7, 10, 13, 14]))
    assert runs.size
    for run in runs[:12]:
        epochs = int(early[run])  # the last wrong epoch is the one before the end
        res = train_arrays(pop[[run]], epochs, 1.0, engine="numpy")["converged_epoch"][0]
        ref = train_one(
            *(getattr(pop[run], n)[0] for n in xs.PARAMETER_NAMES), epochs=epochs, lr=1.0
        )
        assert res == ref["converged_epoch"] == epochs


def test_train_on_refuses_bad_input(population):
    state = TrainingState.start(population[:2], 0.1, engine="numpy")
    _, state = train_on(state, 100)
    with pytest.raises(ValueError, match="epochs must be >= 100"):
        train_on(state, 99)
    with pytest.raises(TypeError, match="state must be a xorsweep.TrainingState"):
        train_on(population, 100)
    with pytest.raises(ValueError, match="lr"):
        TrainingState.start(population[:2], -1.0)


# --- continue_runs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep():
    return xs.sweep([0.3, 1.0, 4.0], runs=10, epochs=300, lr=0.5, workers=1, progress=False)


def _again(sweep, longer, i, epochs):
    """Run ``i`` of continued results trained in one go from its rebuilt initial network."""
    h, r = float(longer.hidden_std[i]), int(longer.source_run[i])
    return train_arrays(
        xs.replay(sweep, r, hidden_std=h), epochs, 0.5, engine=longer.attrs["engine"]
    )


def test_continued_runs_equal_training_them_in_one_go(sweep):
    longer = continue_runs(sweep, 2001)
    unconverged = sweep.converged_epoch.isnull() & sweep.total_loss.notnull()
    assert longer.sizes["run"] == int(unconverged.sum())
    assert longer.attrs["engine"] == sweep.attrs["engine"] and longer.attrs["first_epoch"] == 300
    for i in range(longer.sizes["run"]):
        again = _again(sweep, longer, i, 2001)
        for name in ("total_loss", "final_loss", "converged_epoch", "hidden_weights"):
            assert np.array_equal(again[name][0], longer[name].values[i], equal_nan=True), name
    assert longer.converged.any() and not longer.converged.all()
    # further on from the state the results hold: nothing recomputed, the same bits
    further = continue_runs(longer, 4000, select="all")
    for i in (0, further.sizes["run"] - 1):
        assert np.array_equal(
            _again(sweep, further, i, 4000)["total_loss"][0], further.total_loss.values[i]
        )
    assert further.attrs["first_epoch"] == 2001


def test_selections(sweep):
    everything = continue_runs(sweep, 400, select="all")
    assert everything.sizes["run"] == 30
    mask = sweep.converged_epoch.notnull() & (sweep.hidden_std == 1.0)
    by_mask = continue_runs(sweep, 400, select=mask)
    assert by_mask.sizes["run"] == int(mask.sum())
    named = continue_runs(sweep, 400, select={"hidden_std": [4.0, 0.3], "run": [7, 2]})
    assert named.hidden_std.values.tolist() == [0.3, 4.0] and named.source_run.values.tolist() == [
        2,
        7,
    ]
    sample = continue_runs(sweep, 400, select="all", runs_per_std=3, seed=5)
    assert sample.sizes["run"] == 9 and (sample.groupby("hidden_std").count().total_loss == 3).all()
    assert sample.equals(continue_runs(sweep, 400, select="all", runs_per_std=3, seed=5))
    other = continue_runs(sweep, 400, select="all", runs_per_std=3, seed=6)
    assert not np.array_equal(other.source_run.values, sample.source_run.values)
    picked = everything.where(
        everything.hidden_std.isin(sample.hidden_std)
        & everything.source_run.isin(sample.source_run)
    )
    assert picked.total_loss.notnull().sum() >= 9


def test_store_is_written_whole_and_read_again(sweep, tmp_path):
    path = tmp_path / "longer.zarr"
    longer = continue_runs(sweep, 500, store=path)
    assert continued_store.continued_path_state(path) == "store"
    again = continue_runs(path, 900, select="all")  # goes on from the store
    assert again.attrs["first_epoch"] == 500
    assert np.array_equal(
        again.total_loss.values, continue_runs(longer, 900, select="all").total_loss.values
    )
    held = continue_runs(sweep, 500, store=path)  # the same request: read, not computed
    assert held.attrs["compute_seconds"] == longer.attrs["compute_seconds"]
    xr.testing.assert_identical(held.drop_attrs(), longer.drop_attrs())
    assert state_of(held).epoch == 500


def _listing(path):
    return sorted(
        (str(p.relative_to(path.parent)), p.is_file() and p.read_bytes())
        for p in [path, *path.rglob("*")]
        if p.exists() or p.is_symlink()
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text("x"), "is a file, not a store of continued runs"),
        (
            lambda p: (p.mkdir(), (p / "notes.txt").write_text("hi")),
            "holds something else.*continue_runs",
        ),
        (lambda p: p.symlink_to(p.parent / "gone"), "is a broken symbolic link"),
        (lambda p: (p.mkdir(), (p / "zarr.json").write_text("{oops")), "unreadable zarr.json"),
        (
            lambda p: (p.mkdir(), (p / "zarr.json").write_text('{"node_type": "group"}')),
            "not made by xorsweep.continue_runs",
        ),
        (
            lambda p: xs.sweep([1.0], runs=2, epochs=10, workers=1, progress=False, store=p),
            "layout 'xorsweep.sweep/1', not a store of continued runs",
        ),
    ],
)
def test_a_store_path_holding_something_else_is_refused_untouched(sweep, tmp_path, make, message):
    path = tmp_path / "thing"
    make(path)
    before = _listing(path)
    with pytest.raises(ValueError, match=message):
        continue_runs(sweep, 500, store=path)
    assert _listing(path) == before and not continued_store.holds_continued(path)


def test_interrupted_write_leaves_nothing(sweep, tmp_path, monkeypatch):
    path = tmp_path / "longer.zarr"

    def broken(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_zarr", broken)
    with pytest.raises(KeyboardInterrupt):
        continue_runs(sweep, 500, store=path)
    # no store; only its finished blocks, which the same call goes on from
    assert not path.exists() and [p.name for p in tmp_path.iterdir()] == [".longer.zarr.blocks"]


def test_an_interrupted_continuation_resumes_block_by_block_to_the_same_bits(
    sweep, tmp_path, monkeypatch
):
    from xorsweep.sweeps import continuation

    whole = continue_runs(sweep, 900, select="all", block_size=4)
    assert whole.sizes["run"] == 30  # 8 blocks of at most 4 runs (one width: one setting)
    path, trained, real = tmp_path / "longer.zarr", [], continuation.train_on_arrays

    def killed_after_three(state, epochs, **options):
        if epochs == 900:  # a block trained on (not rebuilt to the sweep's 300 epochs)
            if len(trained) == 3:
                raise KeyboardInterrupt  # as Ctrl-C, SIGTERM or a kill between two blocks
            trained.append(state.population.runs)
        return real(state, epochs, **options)

    monkeypatch.setattr(continuation, "train_on_arrays", killed_after_three)
    with pytest.raises(KeyboardInterrupt):
        continue_runs(sweep, 900, select="all", block_size=4, store=path)
    assert not path.exists() and len(list((tmp_path / ".longer.zarr.blocks").glob("block-*"))) == 3
    resumed_blocks = []

    def recorded(state, epochs, **options):
        if epochs == 900:
            resumed_blocks.append(state.population.runs)
        return real(state, epochs, **options)

    monkeypatch.setattr(continuation, "train_on_arrays", recorded)
    resumed = continue_runs(sweep, 900, select="all", block_size=4, store=path)
    assert trained == [4] * 3 and resumed_blocks == [4, 4, 4, 4, 2]  # only the blocks left
    assert not (tmp_path / ".longer.zarr.blocks").exists()
    for name in ("total_loss", "final_loss", "converged_epoch", "hidden_weights", "pending"):
        assert np.array_equal(resumed[name].values, whole[name].values, equal_nan=True), name
    stored = continued_store.open_continued(path)
    assert np.array_equal(stored.total_loss.values, whole.total_loss.values, equal_nan=True)


def test_bad_input_is_one_clear_error_and_writes_nothing(sweep, tmp_path):
    path = tmp_path / "longer.zarr"
    cases = [
        (dict(select={"hidden_std": [1.0], "run": [10]}), "run"),
        (dict(select={"hidden_std": [0.5], "run": [1]}), "hidden_std=0.5"),
        (dict(select="failed"), "select must be one of"),
        (dict(select=sweep.converged_epoch.notnull() & False), "selects no run"),
        (dict(epochs=300), "epochs must be more than the 300 epochs"),
        (dict(epochs=100), "epochs must be more than"),
        (dict(runs_per_std=0), "runs_per_std"),
    ]
    for kw, message in cases:
        args = {"epochs": 500, **kw}
        with pytest.raises(ValueError, match=message):
            continue_runs(sweep, store=path, **args)
        assert not path.exists()
    tampered = sweep.copy()
    tampered.attrs["seed"] = 1  # rebuilt runs of another seed do not give the stored numbers
    with pytest.raises(ValueError, match="results: the rebuilt runs do not give the stored"):
        continue_runs(tampered, 500, store=path)
    assert not path.exists()
    continue_runs(sweep, 500, store=path)
    before = sorted(p.name for p in path.rglob("*"))
    for kw, message in [(dict(epochs=600), "another configuration"), (dict(select="all"), "runs")]:
        with pytest.raises(ValueError, match=message):
            continue_runs(sweep, **{"epochs": 500, **kw}, store=path)
    assert sorted(p.name for p in path.rglob("*")) == before
    with pytest.raises(ValueError, match="results must be a sweep's results"):
        continue_runs(xs.train(xs.init_population(2, seed=0), 10), 500)


def test_survival_up_to_the_continued_epochs(sweep):
    longer = continue_runs(sweep, 3000)  # every unconverged run
    both = with_continued(sweep, longer)
    direct = xs.sweep([0.3, 1.0, 4.0], runs=10, epochs=3000, lr=0.5, workers=1, progress=False)
    failed = sweep.converged_epoch.isnull()
    assert both.converged_epoch.where(failed).equals(direct.converged_epoch.where(failed))
    assert both.epochs_trained.where(failed).fillna(0).max() == 3000
    assert float(both.epochs_trained.where(~failed).max()) == 300
    curves = xs.survival_curves(both, epochs="epochs_trained", grid=[300, 3000])
    at_end = both.converged_epoch.isnull().mean("run")
    np.testing.assert_allclose(curves.survival.sel(epoch=3000), at_end.values, rtol=1e-12)
    late = xs.converged_between(both, 300, 3000, epochs="epochs_trained")
    assert (late.share_high > 0).all()  # an honest interval even where no run converged late
    sample = with_continued(sweep, continue_runs(sweep, 3000, runs_per_std=2))
    assert int((sample.epochs_trained == 3000).sum()) == 6
    with pytest.raises(ValueError, match="continued holds runs of other results"):
        with_continued(direct, longer)


def test_another_engine_than_the_sweeps_is_checked_to_rounding(sweep):
    other = "numpy" if sweep.attrs["engine"] == "numba" else "numba"
    same = continue_runs(sweep, 701)
    moved = continue_runs(sweep, 701, engine=other)
    assert moved.attrs["engine"] == other and same.attrs["engine"] == sweep.attrs["engine"]
    np.testing.assert_allclose(moved.total_loss, same.total_loss, rtol=1e-10)
    assert state_of(moved).engine == other  # goes on with the engine that made it
    further = continue_runs(moved, 1500, select="all")  # NumPy's unfinished group carried
    for i in (0, further.sizes["run"] - 1):
        again = _again(sweep, further, i, 1500)
        assert np.array_equal(again["total_loss"][0], further.total_loss.values[i])


def test_from_a_sweeps_store_path(tmp_path):
    path = tmp_path / "sweep.zarr"
    ds = xs.sweep([0.3, 1.0], runs=6, epochs=200, lr=0.5, workers=1, progress=False, store=path)
    from_path = continue_runs(path, 900, select="all")
    xr.testing.assert_identical(
        from_path.drop_attrs(), continue_runs(ds, 900, select="all").drop_attrs()
    )
    with pytest.raises(ValueError, match="store path"):  # a file is no store
        (tmp_path / "file").write_text("x")
        continue_runs(tmp_path / "file", 900)
