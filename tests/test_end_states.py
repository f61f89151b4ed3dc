"""End states: each class on hand-built networks in it and not in it, and on trained ones."""

import math

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.analysis.end_states import (
    END_STATES,
    LOSS_GROUPS,
    Tolerances,
    classify,
    diagnose,
    gradient,
    is_converged,
    is_plateau,
    is_slow,
    is_stuck,
    is_symmetric,
    loss_group,
    measure,
    state_shares,
)
from xorsweep.training.trainer import train_arrays


def _net(w, b, v, c):
    """One 2-2-1 network: hidden weights w[input][unit], biases b, output weights v, bias c."""
    return xs.Population(
        np.array(w, float)[None],
        np.array(b, float)[None, None],
        np.array(v, float)[None, :, None],
        np.array([[[c]]], float),
    )


#: Hand-built XOR networks, with the class each belongs to.
NETS = {
    # OR and NAND units, AND at the output: XOR solved
    "solved": (_net([[20, -20], [20, -20]], [-10, 30], [20, 20], -30), "converged"),
    # (1,0) and (1,1) both map to hidden (0, 0), saturated: output 0.5 on both, loss log 2 / 2
    "two merged": (_net([[-20, -20], [10, -10]], [-5, 5], [10, -10], 0), "stuck"),
    # OR unit and a dead unit: (0,1), (1,0), (1,1) share hidden (1, 0); output 2/3 there
    "three merged": (_net([[20, 0], [20, 0]], [-10, -20], [10 + math.log(2), 0], -10), "stuck"),
    # every weight of the hidden layer 0: the saddle at the origin, output 0.5 everywhere
    "saddle": (_net([[0, 0], [0, 0]], [0, 0], [0.3, -0.3], 0), "plateau"),
    # two copies of one unit, and a unit with its mirror image
    "copies": (_net([[2, 2], [2, 2]], [-1, -1], [1, 1], -1), "symmetric"),
    "mirrors": (_net([[2, -2], [2, -2]], [-1, 1], [1, -1], 0), "symmetric"),
    # small, unsaturated, distinct units, wrong on three samples, a large gradient
    "moving": (_net([[1, -1], [0.5, 1]], [0, 0.3], [1, -1], 0.1), "slow"),
}
NAMES = list(NETS)


@pytest.fixture(scope="module")
def hand():
    return measure(xs.Population.concat([pop for pop, _ in NETS.values()]))


def _members(flags):
    return [name for name, flag in zip(NAMES, flags, strict=True) if flag]


def test_classify_puts_each_hand_built_network_in_its_class(hand):
    assert classify(hand).tolist() == [state for _, state in NETS.values()]


def test_converged_holds_only_for_the_solved_network(hand):
    assert _members(is_converged(hand)) == ["solved"]


def test_stuck_needs_merged_wrong_samples_saturated_in_every_unit(hand):
    assert _members(is_stuck(hand)) == ["two merged", "three merged"]
    # the saddle merges all four samples too, but its units are not saturated (h = 0.5)
    assert hand["merged"][NAMES.index("saddle")].all()
    assert not hand["trapped"][NAMES.index("saddle")].any()
    # with a stricter notion of saturation the three merged samples are no longer trapped
    strict = measure(NETS["three merged"][0], tol=Tolerances(saturation=1e-12))
    assert not is_stuck(strict)[0] and classify(strict).tolist() == ["other"]


def test_plateau_needs_a_tiny_gradient_and_an_undecided_wrong_sample(hand):
    # the network with two merged samples is on a plateau as well; classify calls it stuck
    assert _members(is_plateau(hand)) == ["two merged", "saddle"]
    assert hand["grad_norm"][NAMES.index("saddle")] == 0.0  # an exact stationary point
    # the three merged samples sit at 2/3, not 0.5: decided, even though wrong
    assert not hand["undecided"][NAMES.index("three merged")].any()


def test_symmetric_needs_two_live_units_with_the_same_or_mirrored_feature(hand):
    assert _members(is_symmetric(hand)) == ["copies", "mirrors"]
    # the saddle's units are equal but constant (dead), so they are not duplicates
    assert hand["dead"][NAMES.index("saddle")].all()


def test_slow_is_failing_with_a_gradient_that_is_not_tiny(hand):
    assert _members(is_slow(hand)) == ["copies", "mirrors", "moving"]
    assert hand["grad_norm"][NAMES.index("moving")] > 0.1


def test_merge_floor_gives_the_three_final_loss_groups(hand):
    floor = dict(zip(NAMES, hand["merge_floor"], strict=True))
    assert floor["solved"] == 0.0
    assert floor["two merged"] == pytest.approx(math.log(2) / 2, rel=1e-12)
    third = -(math.log(2 / 3) * 2 + math.log(1 / 3)) / 4  # 3 samples at 2/3, two of them 1
    assert floor["three merged"] == pytest.approx(third, rel=1e-12)
    assert floor["saddle"] == pytest.approx(math.log(2), rel=1e-12)
    assert loss_group(list(floor.values())[1:4]).tolist() == list(LOSS_GROUPS)


def test_gradient_is_one_simultaneous_training_step_divided_by_the_learning_rate():
    pop = xs.init_population(6, hidden_std=1.5, seed=5)
    stepped = train_arrays(pop, epochs=1, lr=0.1, update="simultaneous")
    grads = gradient(pop)
    for name, value in pop.parameters().items():
        np.testing.assert_allclose(value - 0.1 * grads[name], stepped[name], rtol=0, atol=1e-14)


def test_a_population_trained_to_success_is_converged_and_agrees_with_train():
    trained = xs.train(xs.init_population(12, hidden_std=1.0, seed=2), epochs=5000)
    states = diagnose(trained)
    assert trained.converged.sum() >= 6  # the seed gives mostly successes
    np.testing.assert_array_equal(states.state == "converged", trained.converged)
    assert states.state.dims == ("run",) and states.hidden_output.dims == (
        "run",
        "sample",
        "unit",
    )


def test_failed_runs_of_a_trained_population_sit_at_or_above_their_merge_floor():
    pop = xs.init_population(300, hidden_std=4.0, output_std=0.8165, seed=9)
    before, after = xs.train(pop, epochs=3000), xs.train(pop, epochs=4000)
    m = measure(after, previous=before, epochs_between=1000)
    stuck = is_stuck(m)
    assert stuck.sum() >= 30
    loss = after.final_loss.values[stuck]
    assert np.all(loss >= m["merge_floor"][stuck] - 2e-3)  # the floor, to the merge tolerance
    # a stuck run that learned some samples is pushed outward: its weights still grow while
    # its loss creeps down to the floor; one with every sample merged (log 2) can sit still
    learned_some = stuck & (m["merge_floor"] < 0.6)
    assert learned_some.sum() >= 20 and np.all(m["growth"][learned_some] > 0)
    assert np.median(m["outward"][learned_some]) > 0.5
    groups = loss_group(m["merge_floor"][stuck])
    assert set(groups) <= set(LOSS_GROUPS) and len(set(groups)) >= 2


def test_two_identical_snapshots_have_not_moved():
    pop = xs.init_population(3, seed=0)
    m = measure(pop, previous=pop, epochs_between=10)
    assert np.all(m["growth"] == 0) and np.all(m["speed"] == 0)
    assert np.all(np.isnan(measure(pop)["speed"]))


def test_state_shares_per_hidden_std():
    states = xr.Dataset(
        {"state": ("run", ["converged", "stuck", "stuck", "slow", "converged"])},
        coords={"hidden_std": ("run", [0.5, 0.5, 0.5, 2.0, 2.0])},
    )
    shares = state_shares(states)
    assert shares.share.dims == ("hidden_std", "state")
    assert shares.state.values.tolist() == list(END_STATES)
    np.testing.assert_allclose(shares.share.sel(hidden_std=0.5, state="stuck"), 2 / 3)
    np.testing.assert_array_equal(shares.runs_in_state.sel(hidden_std=2.0), [1, 0, 0, 0, 1, 0])
    assert shares.runs.values.tolist() == [3, 2]


def test_loss_group():
    assert loss_group([0.34, 0.5, 0.7, 0.2, np.nan]).tolist() == [
        "log 2 / 2",
        "about 0.5",
        "log 2",
        "other",
        "other",
    ]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: measure(np.zeros((1, 2, 2))), TypeError, "population must be"),
        (lambda: measure(xs.init_population(2, seed=0), "parity3"), ValueError, "data has 3"),
        (
            lambda: measure(
                xs.init_population(2, seed=0),
                previous=xs.init_population(3, seed=0),
                epochs_between=1,
            ),
            ValueError,
            "previous must be networks of the same shape",
        ),
        (
            lambda: measure(xs.init_population(2, seed=0), epochs_between=5),
            ValueError,
            "epochs_between needs previous",
        ),
        (
            lambda: measure(
                xs.init_population(2, seed=0), previous=xs.init_population(2), epochs_between=0
            ),
            ValueError,
            "epochs_between must be",
        ),
        (lambda: Tolerances(same=-1), ValueError, "tol.same must be"),
        (lambda: state_shares(xr.Dataset()), ValueError, "'state' variable"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("hidden", [1, 2, 5])
def test_every_width_and_activation_converged_agrees_with_train(hidden, activation):
    # the NumPy engine: the classes do not depend on the engine, and the numba kernel, compiled
    # for each width and activation, is tested against it in test_fused and test_study_options
    pop = xs.init_population(40, hidden=hidden, hidden_std=1.0, seed=4)
    trained = xs.train(pop, epochs=2000, lr=0.1, activation=activation, engine="numpy")
    states = diagnose(trained, activation=activation)
    np.testing.assert_array_equal(states.state == "converged", trained.converged)
    assert states.sizes["unit"] == hidden and set(states.state.values) <= set(END_STATES)
    grads = gradient(pop, activation=activation)  # one simultaneous step, for this activation
    kw = dict(update="simultaneous", activation=activation, engine="numpy")
    stepped = train_arrays(pop, 1, 0.1, **kw)
    for name, value in pop.parameters().items():
        np.testing.assert_allclose(value - 0.1 * grads[name], stepped[name], rtol=0, atol=1e-13)


def test_saturation_and_mirrors_follow_the_activation():
    # two tanh units computing z and -z mirror each other (tanh(-z) = -tanh(z)): symmetric
    mirrors = _net([[2, -2], [2, -2]], [-1, 1], [1, -1], 0)
    assert is_symmetric(measure(mirrors, activation="tanh")).tolist() == [True]
    # for the sigmoid the same units do not sum to 1: no mirror there (nor for ReLU, which has none)
    assert measure(mirrors, activation="relu")["duplicate"].tolist() == [False]
    # a ReLU unit that is off on every sample is saturated (no slope) and dead
    off = _net([[-5, 1], [-5, 1]], [-1, 0], [1, 1], 0)
    m = measure(off, activation="relu")
    assert m["saturated"][0, :, 0].all() and m["dead"][0].tolist() == [True, False]
    assert not m["saturated"][0, 1:, 1].any()  # the live unit, on where its input is
