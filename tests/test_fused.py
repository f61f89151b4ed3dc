"""The fused numba kernel against the NumPy engine and the one-network reference loop."""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.training import fused
from xorsweep.training.reference import train_one, train_reference
from xorsweep.training.settings import TrainingSettings
from xorsweep.training.trainer import TrainingJob, run_training, train_arrays

RTOL = 1e-10
PARAMS = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")
RESULTS = ("total_loss", "final_loss", "converged_epoch", "predictions", *PARAMS)


def _fused(pop, epochs, lr=0.1, *, data=None, update="article", record_every=None):
    data = xs.xor() if data is None else data
    lrs = np.broadcast_to(np.asarray(lr, dtype=float), (pop.runs,)).copy()
    settings = TrainingSettings(epochs, update=update, record_every=record_every)
    return fused.train_block(pop, data, (lrs, lrs), settings)


def _rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _param_err(ours, theirs):
    """Largest parameter error of any run, relative to that run's largest parameter (a
    parameter that crosses zero has no relative precision of its own)."""
    runs = ours["hidden_weights"].shape[0]
    scale = np.max(np.concatenate([np.abs(theirs[n]).reshape(runs, -1) for n in PARAMS], 1), 1)
    err = np.max(
        np.concatenate([np.abs(ours[n] - theirs[n]).reshape(runs, -1) for n in PARAMS], 1), 1
    )
    return float(np.max(err / scale))


def _reference_arrays(refs):
    """The reference loop's list of per-run dicts as arrays, run first."""
    out = {n: np.stack([r[n] for r in refs]) for n in (*PARAMS, "predictions")}
    out["total_loss"] = np.array([r["total_loss"] for r in refs])
    out["final_loss"] = np.array([r["final_loss"] for r in refs])
    epochs = [r["converged_epoch"] for r in refs]
    out["converged_epoch"] = np.array([np.nan if e is None else e for e in epochs], dtype=float)
    return out


def assert_agrees(ours, theirs, rtol=RTOL):
    """Two engines' (or an engine's and the reference's) results for the same runs agree."""
    assert _rel_err(ours["total_loss"], theirs["total_loss"]) < rtol
    assert _rel_err(ours["final_loss"], theirs["final_loss"]) < rtol
    assert _param_err(ours, theirs) < rtol
    np.testing.assert_allclose(ours["predictions"], theirs["predictions"], rtol=1e-9, atol=0)
    np.testing.assert_array_equal(ours["converged_epoch"], theirs["converged_epoch"])


def test_exp_within_one_ulp():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-708, 708, 400_001), rng.uniform(-30, 30, 200_000), [0.0]])
    ours = fused.exp(x, np.empty_like(x))
    if np.finfo(np.longdouble).eps < np.finfo(float).eps:  # a more precise exp to compare with
        exact, ulps = np.exp(x.astype(np.longdouble)), 1.0
    else:  # pragma: no cover - long double is double on this platform
        exact, ulps = np.exp(x), 2.0
    err = np.abs(ours - exact) / np.spacing(exact.astype(float))
    assert float(np.max(err)) <= ulps
    assert ours[-1] == 1.0


def test_the_2_2_1_epoch_reads_the_layouts_rows():
    from xorsweep.training import _fused_small as small

    lay = fused._layout(2, 2, 1)
    assert (lay.wo, lay.acc_h, lay.rows) == (small._V0, small._HIDDEN_PARAMS, small._HIDDEN)
    assert (lay.mantissa, lay.exponent, lay.last_wrong, lay.lr) == (
        small._MANTISSA, small._EXPONENT, small._LAST_WRONG, small._LR,
    )  # fmt: skip
    assert small._PROB + 4 == small._HIDDEN + small.SCRATCH_ROWS


def test_grouped_reciprocals_within_four_ulp():
    """The 2-2-1 epoch's reciprocals of 8 (and 4) numbers from one division each."""
    import numba

    from xorsweep.training import _fused_small

    @numba.njit
    def grouped(v, out):
        for k in range(0, v.size, 8):
            r = _fused_small._inverse_8(v[k], v[k + 1], v[k + 2], v[k + 3],
                                        v[k + 4], v[k + 5], v[k + 6], v[k + 7])  # fmt: skip
            s = _fused_small._inverse_4(v[k], v[k + 1], v[k + 2], v[k + 3])
            for j in range(8):
                out[0, k + j] = r[j]
            for j in range(4):
                out[1, k + j] = s[j]

    rng = np.random.default_rng(0)  # 1 + exp(z) for |z| up to the group's bound, 88
    v = np.concatenate([np.exp(rng.uniform(0, 88, 80_000)), rng.uniform(0, 1, 8_000)]) + 1
    out = np.empty((2, v.size))
    grouped(v, out)
    exact = 1 / v.astype(np.longdouble)
    ulps = np.abs(out - exact) / np.spacing(exact.astype(float))
    assert np.max(ulps[0]) <= 4.5 and np.max(ulps[1].reshape(-1, 8)[:, :4]) <= 4.5
    assert np.max(ulps[0]) > 0.5  # not the division's own 0.5: grouped


@pytest.mark.parametrize("update", xs.UPDATES)
def test_matches_numpy_engine_at_article_length(update):
    """10,000 epochs, 256 runs over the article's range of stds and beyond (0.05 to 50)."""
    stds = np.repeat(np.exp(np.linspace(np.log(0.05), np.log(50.0), 128)), 2)
    pop = xs.init_population(256, hidden_std=stds, output_std=0.8165, seed=2026)
    ours = _fused(pop, 10_000, update=update)
    assert_agrees(ours, train_arrays(pop, 10_000, update=update, engine="numpy"))
    converged = np.isfinite(ours["converged_epoch"])
    assert converged.any() and not converged.all()  # both kinds of run are compared


def test_matches_reference_loop_at_article_length():
    pop = xs.init_population(4, hidden_std=[0.05, 0.6, 1.0, 54.6], output_std=0.8165, seed=7)
    assert_agrees(_fused(pop, 10_000), _reference_arrays(train_reference(pop)))


@pytest.mark.parametrize("std", [0.05, 1.0, 55.0])
def test_matches_reference_with_both_layers_large(std):
    pop = xs.init_population(3, hidden_std=std, output_std=std, seed=7)
    for update in xs.UPDATES:
        ref = _reference_arrays(train_reference(pop, 1500, update=update))
        assert_agrees(_fused(pop, 1500, update=update), ref)


@pytest.mark.parametrize(
    "data,hidden",
    [
        (xs.or_(), 1),
        (xs.parity(3), 4),
        (xs.parity(5), 3),  # 32 samples
        (xs.TruthTable(xs.xor().inputs, np.c_[xs.xor().targets, xs.and_().targets], "2 out"), 3),
    ],
)
def test_truth_tables_widths_and_outputs_match_reference(data, hidden):
    pop = xs.init_population(
        3, hidden_std=0.8, hidden=hidden, n_in=data.n_in, n_out=data.n_out, seed=4
    )
    for update in xs.UPDATES:
        ref = _reference_arrays(train_reference(pop, 400, data=data, update=update))
        ours = _fused(pop, 400, data=data, update=update)
        assert ours["predictions"].shape == (3, data.samples, data.n_out)
        assert_agrees(ours, ref)


@pytest.mark.parametrize(
    "data,hidden,activation",
    [
        (xs.xor(), fused.UNROLLED_WIDTH + 1, "sigmoid"),  # the narrowest with the lanes inside
        (xs.parity(3), 12, "tanh"),
        (
            xs.TruthTable(xs.xor().inputs, np.c_[xs.xor().targets, xs.and_().targets], "2 out"),
            8,
            "sigmoid",
        ),
        (xs.xor(), 32, "tanh"),
    ],
)
def test_wide_networks_with_the_lanes_inside_match_reference(data, hidden, activation):
    pop = xs.init_population(
        3, hidden_std=0.8, hidden=hidden, n_in=data.n_in, n_out=data.n_out, seed=5
    )
    for update in xs.UPDATES:
        ref = train_reference(pop, 400, data=data, update=update, activation=activation)
        settings = TrainingSettings(400, update=update, activation=activation)
        ours = fused.train_block(pop, data, (np.full(3, 0.1),) * 2, settings)
        assert_agrees(ours, _reference_arrays(ref))


def test_per_run_learning_rates_match_reference():
    pop = xs.init_population(3, seed=9)
    lrs = np.array([0.05, 0.1, 0.8])
    assert_agrees(_fused(pop, 800, lrs), _reference_arrays(train_reference(pop, 800, lrs)))


def test_same_keys_shapes_and_dtypes_as_numpy_engine():
    pop = xs.init_population(5, hidden=3, seed=10)
    for record_every in (None, 7):
        ours = _fused(pop, 20, record_every=record_every)
        settings = TrainingSettings(20, 0.1, record_every=record_every, engine="numpy")
        # with the bookkeeping (STATE_KEYS)
        theirs = run_training(TrainingJob.checked(pop, settings, None, 8192))
        assert ours.keys() == theirs.keys()
        for name, value in theirs.items():
            assert ours[name].shape == value.shape and ours[name].dtype == value.dtype, name
        assert all(v.flags.c_contiguous for v in ours.values())


def test_a_run_does_not_depend_on_its_block():
    """Per-run stds and learning rates; the runs alone, reordered or cut up: the same bits."""
    runs = 150  # three chunks of lanes, the last one partly padding
    stds = np.exp(np.linspace(-3, 4, runs))
    pop = xs.init_population(runs, hidden_std=stds, output_std=stds[::-1], seed=11)
    lrs = np.linspace(0.02, 0.5, runs)
    whole = _fused(pop, 300, lrs, record_every=50)
    order = np.random.default_rng(1).permutation(runs)
    shuffled = _fused(pop[order], 300, lrs[order], record_every=50)
    first = _fused(pop[:70], 300, lrs[:70], record_every=50)
    rest = _fused(pop[70:], 300, lrs[70:], record_every=50)
    for name, value in whole.items():
        np.testing.assert_array_equal(shuffled[name], value[order], err_msg=name)
        np.testing.assert_array_equal(np.concatenate([first[name], rest[name]]), value)
    for k in (0, 64, 149):
        alone = _fused(pop[k], 300, lrs[k], record_every=50)
        for name in whole:
            np.testing.assert_array_equal(alone[name][0], whole[name][k], err_msg=name)


def test_recording_changes_nothing_and_matches_numpy_engine():
    pop = xs.init_population(6, hidden_std=[0.05, 0.3, 1.0, 3.0, 10.0, 50.0], seed=14)
    plain = _fused(pop, 1000)
    rec = _fused(pop, 1000, record_every=250)
    for name in plain:
        np.testing.assert_array_equal(rec[name], plain[name], err_msg=name)
    assert rec["epoch_loss"].shape == (6, 4)
    # epoch 0 holds the initial parameters; epoch 500 those after 500 updates
    np.testing.assert_array_equal(rec["hidden_weights_history"][:, 0], pop.hidden_weights)
    np.testing.assert_array_equal(rec["output_bias_history"][:, 0], pop.output_bias)
    after = _fused(pop, 500)
    np.testing.assert_array_equal(rec["hidden_weights_history"][:, 2], after["hidden_weights"])
    theirs = train_arrays(pop, 1000, record_every=250, engine="numpy")
    assert _rel_err(rec["epoch_loss"], theirs["epoch_loss"]) < RTOL
    for name in PARAMS:
        scale = np.max(np.abs(theirs[f"{name}_history"]))
        assert np.max(np.abs(rec[f"{name}_history"] - theirs[f"{name}_history"])) < RTOL * scale


def test_total_loss_is_sum_of_epoch_means():
    pop = xs.init_population(5, seed=13)
    res = _fused(pop, 300, record_every=1)
    np.testing.assert_allclose(res["epoch_loss"].sum(axis=1), res["total_loss"], rtol=1e-12)
    ref = train_one(*(p[0] for p in pop.parameters().values()), epochs=300, record_every=1)
    np.testing.assert_allclose(res["epoch_loss"][0], ref["epoch_loss"], rtol=1e-11)


def test_zero_epochs_scores_the_initial_network():
    pop = xs.init_population(3, seed=15)
    res = _fused(pop, 0)
    np.testing.assert_array_equal(res["total_loss"], 0.0)
    np.testing.assert_array_equal(res["hidden_weights"], pop.hidden_weights)
    ref = _reference_arrays(train_reference(pop, 0))
    np.testing.assert_allclose(res["final_loss"], ref["final_loss"], rtol=1e-12)
    np.testing.assert_array_equal(res["converged_epoch"], ref["converged_epoch"])


def test_probability_one_half_counts_as_wrong():
    """Zero output weights and bias: z = 0 and p = 0.5 exactly, which is not right."""
    pop = xs.init_population(4, output_std=0.0, seed=16)
    for epochs in (0, 1):
        ours = _fused(pop, epochs)
        ref = _reference_arrays(train_reference(pop, epochs))
        np.testing.assert_array_equal(ours["converged_epoch"], ref["converged_epoch"])
        theirs = train_arrays(pop, epochs, engine="numpy")["converged_epoch"]
        np.testing.assert_array_equal(ours["converged_epoch"], theirs)
    assert np.isnan(_fused(pop, 0)["converged_epoch"]).all()
    zero = xs.init_population(4, hidden_std=0.0, output_std=0.0, seed=16)  # symmetric forever
    ref = _reference_arrays(train_reference(zero, 2000))
    np.testing.assert_array_equal(_fused(zero, 2000)["converged_epoch"], ref["converged_epoch"])


def test_large_std_is_finite_and_quiet():
    """exp's argument far beyond its range: sigmoids saturate, no warning, finite results."""
    pop = xs.init_population(8, hidden_std=1e4, output_std=1e4, seed=17)
    res = _fused(pop, 200)
    for name, value in res.items():
        if name != "converged_epoch":
            assert np.all(np.isfinite(value)), name
    assert_agrees(res, train_arrays(pop, 200, engine="numpy"))
