"""The lockstep trainer against the one-network reference loop."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.training import reference
from xorsweep.training.reference import train_one

RTOL = 1e-10
PARAMS = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")


def _rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


_REFERENCES: dict[bytes, list[dict]] = {}


def train_reference(population, *args, **kwargs):
    """:func:`~xorsweep.training.reference.train_reference`, computed once for both engines."""
    key = pickle.dumps((population.parameters(), args, sorted(kwargs.items())))
    if key not in _REFERENCES:
        _REFERENCES[key] = reference.train_reference(population, *args, **kwargs)
    return _REFERENCES[key]


def ref_converged(refs):
    """The references' converged epochs, NaN for never."""
    epochs = [r["converged_epoch"] for r in refs]
    return np.array([np.nan if e is None else e for e in epochs], dtype=float)


def assert_matches_reference(ds, refs, rtol=RTOL):
    """Every run of ``ds`` equals its reference result (a list of dicts)."""
    total = np.array([r["total_loss"] for r in refs])
    assert _rel_err(ds.total_loss.values, total) < rtol
    final = np.array([r["final_loss"] for r in refs])
    assert _rel_err(ds.final_loss.values, final) < rtol
    # parameters: norm-wise relative error, each run's error against its largest parameter
    # (a single parameter that crosses zero has no relative precision of its own)
    scale = np.array([max(np.max(np.abs(r[name])) for name in PARAMS) for r in refs])
    for name in PARAMS:
        ref = np.stack([r[name] for r in refs])
        ours = ds[name].values.reshape(ref.shape)
        err = np.max(np.abs(ours - ref).reshape(len(refs), -1), axis=1)
        assert np.max(err / scale) < rtol, name
    preds = np.stack([r["predictions"] for r in refs])
    np.testing.assert_allclose(ds.predictions.values.reshape(preds.shape), preds, rtol=1e-9, atol=0)
    np.testing.assert_array_equal(ds.converged_epoch.values, ref_converged(refs))


@pytest.mark.parametrize("update", ["article", "simultaneous"])
@pytest.mark.parametrize("std", [0.05, 0.3, 0.7071, 1.0, 3.0, 12.0, 54.6, 55.0])
def test_matches_reference_across_stds(std, update, engine):
    pop = xs.init_population(3, hidden_std=std, output_std=0.8165, seed=int(std * 1000))
    ds = xs.train(pop, 2500, update=update, engine=engine)
    assert_matches_reference(ds, train_reference(pop, 2500, update=update))


@pytest.mark.parametrize("std", [0.05, 1.0, 55.0])
def test_matches_reference_both_layers_large_std(std, engine):
    """Output std as large as the hidden one: saturated, confidently wrong outputs."""
    pop = xs.init_population(3, hidden_std=std, output_std=std, seed=7)
    for update in xs.UPDATES:
        ds = xs.train(pop, 1500, update=update, engine=engine)
        assert_matches_reference(ds, train_reference(pop, 1500, update=update))


def test_matches_reference_full_article_length(engine):
    """The article's 10,000 epochs at its sweep's output std, over the grid's range."""
    pop = xs.init_population(4, hidden_std=[0.05, 0.6, 1.0, 54.6], output_std=0.8165, seed=2026)
    ds = xs.train(pop, engine=engine)
    assert_matches_reference(ds, train_reference(pop))
    # the article's network learns XOR: with std 1 predictions end near 0 / 1
    assert ds.converged.values[1:3].all()


def test_update_orders_differ(engine):
    pop = xs.init_population(2, seed=3)
    a = xs.train(pop, 300, update="article", engine=engine)
    b = xs.train(pop, 300, update="simultaneous", engine=engine)
    assert not np.allclose(a.hidden_weights, b.hidden_weights, rtol=1e-8, atol=0)


def test_population_equals_members_trained_alone(engine):
    """Per-run std and lr: the batch result of each run is bit-identical to training it alone."""
    stds = np.exp(np.linspace(-3, 4, 11))
    pop = xs.init_population(11, hidden_std=stds, output_std=stds[::-1], seed=11)
    lrs = np.linspace(0.02, 0.5, 11)
    together = xs.train(pop, 400, lrs, engine=engine)
    for k in range(pop.runs):
        alone = xs.train(pop[k], 400, lrs[k], engine=engine)
        for name in ("total_loss", "final_loss", "converged_epoch", *PARAMS, "predictions"):
            np.testing.assert_array_equal(together[name].values[k], alone[name].values[0])


def test_block_size_does_not_change_results(engine):
    pop = xs.init_population(50, hidden_std=np.linspace(0.1, 5, 50), seed=5)
    a = xs.train(pop, 200, block_size=7, engine=engine)
    b = xs.train(pop, 200, engine=engine)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_per_run_lr_matches_reference(engine):
    pop = xs.init_population(3, seed=9)
    lrs = np.array([0.05, 0.1, 0.8])
    assert_matches_reference(xs.train(pop, 800, lrs, engine=engine), train_reference(pop, 800, lrs))


@pytest.mark.parametrize(
    "data,hidden",
    [
        (xs.and_(), 2),
        (xs.or_(), 1),
        (xs.xnor(), 3),
        (xs.xor(), 8),
        (xs.parity(3), 4),
        (xs.parity(1), 2),
    ],
)
def test_truth_tables_and_widths_match_reference(data, hidden, engine):
    pop = xs.init_population(3, hidden_std=0.8, hidden=hidden, n_in=data.n_in, seed=4)
    ds = xs.train(pop, 700, data=data, engine=engine)
    assert_matches_reference(ds, train_reference(pop, 700, data=data))
    assert ds.predictions.shape == (3, data.samples)


def test_many_samples_product_chunks_match_reference(engine):
    """Parity of 5 bits: 32 samples, more than one product chunk in the loss."""
    data = xs.parity(5)
    pop = xs.init_population(2, hidden_std=30.0, output_std=30.0, hidden=3, n_in=5, seed=8)
    ds = xs.train(pop, 100, data=data, engine=engine)
    assert_matches_reference(ds, train_reference(pop, 100, data=data))


def test_two_outputs_match_reference(engine):
    inputs = xs.xor().inputs
    targets = np.stack([xs.xor().targets[:, 0], xs.and_().targets[:, 0]], axis=1)
    table = xs.TruthTable(inputs, targets, "xor+and")
    pop = xs.init_population(3, hidden=3, n_out=2, seed=12)
    for update in xs.UPDATES:
        ds = xs.train(pop, 600, data=table, update=update, engine=engine)
        assert ds.predictions.dims == ("run", "sample", "output")
        assert_matches_reference(ds, train_reference(pop, 600, data=table, update=update))


def test_total_loss_is_sum_of_epoch_means(engine):
    """Recorded every epoch, the per-epoch losses add up to total_loss."""
    pop = xs.init_population(5, seed=13)
    ds = xs.train(pop, 300, record_every=1, engine=engine)
    np.testing.assert_allclose(ds.epoch_loss.sum("epoch"), ds.total_loss, rtol=1e-12)
    ref = train_one(*(p[0] for p in pop.parameters().values()), epochs=300, record_every=1)
    np.testing.assert_allclose(ds.epoch_loss.values[0], ref["epoch_loss"], rtol=1e-11)


def test_record_every_records_history_without_changing_results(engine):
    pop = xs.init_population(4, hidden_std=0.05, seed=14)
    plain = xs.train(pop, 1000, engine=engine)
    rec = xs.train(pop, 1000, record_every=250, engine=engine)
    np.testing.assert_array_equal(rec.epoch.values, [0, 250, 500, 750])
    for name in plain.data_vars:
        np.testing.assert_array_equal(plain[name].values, rec[name].values)
    # epoch 0 holds the initial parameters; later entries the parameters after e updates
    np.testing.assert_array_equal(rec.hidden_weights_history.isel(epoch=0), pop.hidden_weights)
    np.testing.assert_array_equal(rec.output_bias_history.isel(epoch=0), pop.output_bias[:, 0])
    after = xs.train(pop, 500, engine=engine)
    np.testing.assert_array_equal(rec.hidden_weights_history.sel(epoch=500), after.hidden_weights)


def test_zero_epochs_scores_the_initial_network(engine):
    pop = xs.init_population(3, seed=15)
    ds = xs.train(pop, 0, engine=engine)
    np.testing.assert_array_equal(ds.total_loss, 0.0)
    np.testing.assert_array_equal(ds.hidden_weights, pop.hidden_weights)
    ref = train_reference(pop, 0)
    np.testing.assert_allclose(ds.final_loss, [r["final_loss"] for r in ref], rtol=1e-12)


def test_converged_epoch_definition(engine):
    """The predictions are right at every recorded epoch from converged_epoch on."""
    pop = xs.init_population(40, seed=16)
    ds = xs.train(pop, 3000, record_every=1, engine=engine)
    ref = train_reference(pop[:5], 3000)
    conv = ds.converged_epoch.values
    np.testing.assert_array_equal(conv[:5], ref_converged(ref))
    assert np.isfinite(conv).any() and np.isnan(conv).any()  # both kinds occur
    # a converged run's loss at converged_epoch - 1 comes from a wrong prediction, so it is
    # at least -log(0.5) / 4 (one sample at p <= 0.5 among four)
    for k in np.flatnonzero(np.isfinite(conv) & (conv > 0)):
        assert ds.epoch_loss.values[k, int(conv[k]) - 1] >= np.log(2) / 4 - 1e-12
    np.testing.assert_array_equal(ds.converged.values, np.isfinite(conv))


def test_article_single_network_learns_xor(engine):
    """Std 1, the article's setup: predictions end near 0.003 / 0.997 for a converging run."""
    pop = xs.init_population(20, 1.0, 1.0, seed=0)
    ds = xs.train(pop, engine=engine)
    good = ds.where(ds.converged, drop=True)
    assert good.sizes["run"] >= 10
    preds = good.predictions.values
    assert np.all(preds[:, [0, 3]] < 0.02) and np.all(preds[:, [1, 2]] > 0.98)
    # a network not converged at the end has a sample at p <= 0.5: loss >= log(2) / 4
    failed = ~ds.converged.values
    assert failed.any()
    assert np.all(ds.final_loss.values[failed] >= np.log(2) / 4)
    assert np.all(ds.final_loss.values[~failed] < np.log(2) / 4)


def test_large_std_is_finite_and_quiet(engine):
    """e^4 and far beyond: no overflow warnings (warnings are errors here), finite results."""
    pop = xs.init_population(8, hidden_std=1e4, output_std=1e4, seed=17)
    ds = xs.train(pop, 200, engine=engine)
    for name in ds.data_vars:
        if name != "converged_epoch":
            assert np.all(np.isfinite(ds[name].values.astype(float))), name


def test_dataset_layout(engine):
    pop = xs.init_population(3, hidden=3, seed=18)
    ds = xs.train(pop, 10, engine=engine)
    assert ds.hidden_weights.dims == ("run", "input", "unit")
    assert ds.hidden_bias.dims == ("run", "unit")
    assert ds.output_weights.dims == ("run", "unit", "output")
    assert ds.output_bias.dims == ("run", "output")
    assert ds.attrs["epochs"] == 10 and ds.attrs["update"] == "article"
    assert ds.attrs["engine"] == engine
    np.testing.assert_array_equal(ds.lr, 0.1)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"epochs": -1}, ValueError, "epochs must be an integer >= 0"),
        ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
        ({"lr": 0.0}, ValueError, "lr must be finite and > 0"),
        ({"lr": -0.1}, ValueError, "lr must be finite and > 0"),
        ({"lr": np.nan}, ValueError, "lr must be finite"),
        ({"lr": np.inf}, ValueError, "lr must be finite"),
        ({"lr": 1e9}, ValueError, "lr must be finite and > 0 and <= 1e\\+06"),
        ({"lr": [0.1, 0.2]}, ValueError, "lr must be a scalar or have one value per run"),
        ({"lr": "fast"}, TypeError, "lr must be a real number"),
        ({"update": "textbook"}, ValueError, "update must be one of 'article', 'simultaneous'"),
        ({"data": "nand"}, ValueError, "unknown truth table 'nand'"),
        ({"data": "parity3"}, ValueError, "data has 3 inputs"),
        ({"record_every": 0}, ValueError, "record_every must be an integer >= 1"),
        ({"block_size": 0}, ValueError, "block_size must be an integer >= 1"),
    ],
)
def test_train_rejects_bad_arguments(kwargs, exc, match):
    pop = xs.init_population(3, seed=0)
    with pytest.raises(exc, match=match):
        xs.train(pop, **{"epochs": 5, **kwargs})


def test_train_rejects_non_population():
    with pytest.raises(TypeError, match="population must be a xorsweep.Population"):
        xs.train({"hidden_weights": np.zeros((1, 2, 2))}, 5)


def test_train_arrays_gives_trains_numbers_as_plain_arrays(engine):
    from xorsweep.training.trainer import train_arrays

    pop = xs.init_population(5, hidden_std=[0.2, 0.7, 1.0, 3.0, 20.0], seed=21)
    lr = [0.1, 0.2, 0.1, 0.5, 0.05]
    ds = xs.train(pop, 300, lr, record_every=100, engine=engine)
    arrays = train_arrays(pop, 300, lr, record_every=100, engine=engine)
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    for name in ("total_loss", "final_loss", "converged_epoch", "lr", "epoch_loss", *PARAMS):
        np.testing.assert_array_equal(arrays[name].reshape(ds[name].shape), ds[name].values)
    np.testing.assert_array_equal(arrays["predictions"][:, :, 0], ds.predictions.values)
    with pytest.raises(ValueError, match="lr must be finite and > 0"):
        train_arrays(pop, 10, -1.0, engine=engine)


def test_training_does_not_import_the_reference_it_is_tested_against():
    code = (
        "import sys, xorsweep.training.trainer; print('xorsweep.training.reference' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# Edge cases checked against numbers worked out by hand
# ---------------------------------------------------------------------------


def _population(hidden_weights, hidden_bias, output_weights, output_bias):
    """A population of 2-2-1 networks from per-run parameters (run, ...)."""
    return xs.Population(
        np.asarray(hidden_weights, float).reshape(-1, 2, 2),
        np.asarray(hidden_bias, float).reshape(-1, 1, 2),
        np.asarray(output_weights, float).reshape(-1, 2, 1),
        np.asarray(output_bias, float).reshape(-1, 1, 1),
    )


@pytest.mark.parametrize("epochs", [0, 1, 50])
def test_a_probability_of_exactly_one_half_is_never_right(epochs, engine):
    """An all-zero network, and one with a zero output layer whose hidden neurons ignore the
    inputs (zero weights, any biases), predict exactly 0.5 for every sample; XOR's output
    errors then sum to zero, so they never move: they never converge, as in the
    reference loop, and lose log 2 every epoch."""
    zero = _population(np.zeros(4), np.zeros(2), np.zeros(2), 0.0)
    blind = _population(np.zeros(4), [0.4, -2.5], np.zeros(2), 0.0)
    pop = xs.Population.concat([zero, blind])
    ds = xs.train(pop, epochs, engine=engine)
    np.testing.assert_array_equal(ds.predictions.values, 0.5)
    assert np.isnan(ds.converged_epoch.values).all()
    assert not ds.converged.values.any()
    np.testing.assert_allclose(ds.total_loss.values, epochs * np.log(2), rtol=1e-14)
    np.testing.assert_allclose(ds.final_loss.values, np.log(2), rtol=1e-14)
    for name in PARAMS:  # the gradients are exactly zero
        np.testing.assert_array_equal(
            ds[name].values.reshape(pop.runs, -1), pop.parameters()[name].reshape(pop.runs, -1)
        )
    refs = train_reference(pop, epochs)
    assert [r["converged_epoch"] for r in refs] == [None, None]
    np.testing.assert_allclose(ds.total_loss, [r["total_loss"] for r in refs], rtol=1e-14)


def test_one_half_at_the_first_epoch_only_delays_convergence(engine):
    """A zero output layer predicts 0.5 at epoch 0 whatever the hidden layer: epoch 0 is
    wrong, so a run that learns converges at epoch 1 or later, as in the reference."""
    rng = np.random.default_rng(31)
    n = 12
    pop = _population(
        rng.normal(0, 2, (n, 4)), rng.normal(0, 2, (n, 2)), np.zeros((n, 2)), np.zeros(n)
    )
    ds = xs.train(pop, 3000, engine=engine)
    conv = ds.converged_epoch.values
    assert np.isfinite(conv).any()
    assert np.all(conv[np.isfinite(conv)] >= 1)
    np.testing.assert_array_equal(conv, ref_converged(train_reference(pop, 3000)))


# A network that solves XOR with saturated units: h1 = OR, h2 = AND, y = h1 and not h2.
_SATURATED_XOR = ([[1e3, 1e3], [1e3, 1e3]], [-500.0, -1500.0], [1e3, -1e3], -500.0)


def test_loss_clip_bounds_a_confident_right_answer_below_by_1e_minus_15(engine):
    """The probability given to each right target is 1 to the last bit: each sample's loss
    is -log(1 - 1e-15), not 0 (the article clips predictions to [1e-15, 1 - 1e-15])."""
    pop = _population(*_SATURATED_XOR)
    ds = xs.train(pop, 20, engine=engine)
    y_hat = ds.predictions.values[0]
    assert y_hat[1] == y_hat[2] == 1.0 and 0 < y_hat[0] < 1e-200 and 0 < y_hat[3] < 1e-200
    per_sample = -np.log(1.0 - 1e-15)
    assert 0.9e-15 < per_sample < 1.1e-15
    np.testing.assert_allclose(ds.final_loss.values, per_sample, rtol=1e-6)
    np.testing.assert_allclose(ds.total_loss.values, 20 * per_sample, rtol=1e-6)
    assert ds.converged_epoch.values.tolist() == [0.0]


@pytest.mark.parametrize("logit", [40.0, 1e3, 1e300])
def test_loss_clip_bounds_a_confident_wrong_answer_at_minus_log_1e_minus_15(logit, engine):
    """Output bias ``logit`` and zero output weights: y-hat is 1 - 4e-18 (or 1) for every
    sample, so the two samples of target 0 lose -log(1e-15) = 34.54 each, not
    ``logit`` (the clip), and the other two -log(1 - 1e-15). A few epochs barely move
    a bias this large (-lr * 2 per epoch)."""
    pop = _population(np.zeros(4), np.zeros(2), np.zeros(2), logit)
    epochs = 5
    ds = xs.train(pop, epochs, engine=engine)
    per_epoch = (2 * -np.log(1e-15) + 2 * -np.log(1.0 - 1e-15)) / 4
    assert per_epoch == pytest.approx(15 * np.log(10) / 2, rel=1e-14)
    np.testing.assert_allclose(ds.total_loss.values, epochs * per_epoch, rtol=1e-12)
    np.testing.assert_allclose(ds.final_loss.values, per_epoch, rtol=1e-12)
    flipped = _population(np.zeros(4), np.zeros(2), np.zeros(2), -logit)  # wrong on targets 1
    np.testing.assert_allclose(
        xs.train(flipped, epochs, engine=engine).total_loss, epochs * per_epoch, rtol=1e-12
    )
    assert_matches_reference(ds, train_reference(pop, epochs))


def test_loss_clip_matches_the_reference_where_some_samples_saturate(engine):
    """Mixed: per run, some samples beyond the clip and some inside it."""
    rng = np.random.default_rng(32)
    n = 16
    pop = _population(
        rng.normal(0, 3, (n, 4)), rng.normal(0, 3, (n, 2)), rng.normal(0, 60, (n, 2)), np.zeros(n)
    )
    # (not longer: the reference drifts, with weights of 60)
    ds = xs.train(pop, 10, record_every=1, engine=engine)
    assert ds.epoch_loss.values.max() > -np.log(1e-15) / 4  # a sample at the clip
    assert ds.epoch_loss.values.max() <= -np.log(1e-15) + 1e-9  # and none beyond it
    assert_matches_reference(ds, train_reference(pop, 10))


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("hidden", [2, (4, 4)])
def test_a_diverged_network_never_converged(engine, hidden):
    """Runs whose loss overflows (ReLU at a huge learning rate) have no converged epoch,
    whatever their non-finite predictions compare as."""
    pop = xs.init_population(64, hidden_std=8.0, output_std=8.0, hidden=hidden, seed=0)
    with np.errstate(all="ignore"):
        ds = xs.train(pop, epochs=200, lr=50.0, activation="relu", engine=engine)
    diverged = ~np.isfinite(ds.total_loss.values)
    assert diverged.sum() >= 16
    assert not ds.converged.values[diverged].any()
    assert np.isnan(ds.converged_epoch.values[diverged]).all()
