"""Populations, their initialisation and the truth tables."""

import math

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.model import network


def test_glorot_std_values():
    assert xs.glorot_std(2, 2) == pytest.approx(1 / math.sqrt(2), rel=1e-15)
    assert xs.glorot_std(2, 1) == pytest.approx(math.sqrt(2 / 3), rel=1e-15)
    with pytest.raises(ValueError, match="fan_in must be an integer >= 1"):
        xs.glorot_std(0, 2)


def test_the_articles_glorot_constants():
    # 1/sqrt(2) as the article writes it is one ulp below sqrt(1/2)
    assert network.GLOROT_STD == 1.0 / math.sqrt(2.0)
    assert network.GLOROT_STD == np.nextafter(xs.glorot_std(2, 2), 0.0)
    assert network.ARTICLE_OUTPUT_STD == round(xs.glorot_std(2, 1), 4)


def test_sigmoid_is_the_logistic_function_without_overflow_warnings():
    z = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 750.0])
    expected = [
        0.0,
        math.exp(-30) / (1 + math.exp(-30)),
        1 / (1 + math.e),
        0.5,
        1 / (1 + math.exp(-2)),
        1.0,
    ]
    np.testing.assert_allclose(network.sigmoid(z), expected, rtol=1e-15, atol=0)


def test_the_parameter_packing_round_trips_run_first_and_run_last():
    n_in, hidden, n_out, runs = 3, 4, 2, 5
    n = network.n_parameters(n_in, hidden, n_out)
    assert n == (n_in + 1) * hidden + (hidden + 1) * n_out
    packed = np.arange(runs * n, dtype=float).reshape(runs, n)
    first = network.unpack_parameters(packed, n_in, hidden, n_out)
    last = network.unpack_parameters(packed.T.copy(), n_in, hidden, n_out, run_last=True)
    shapes = network.parameter_shapes(n_in, hidden, n_out)
    assert list(first) == list(shapes) == list(xs.PARAMETER_NAMES)
    for name, shape in shapes.items():
        assert first[name].shape == (runs, *shape) and np.shares_memory(first[name], packed)
        np.testing.assert_array_equal(last[name], first[name].transpose(1, 2, 0))
    # each run's numbers are its tensors, row-major, one after the other
    row = np.concatenate([first[name][2].ravel() for name in shapes])
    np.testing.assert_array_equal(row, packed[2])
    pop = xs.Population(**first)
    assert (pop.runs, pop.n_in, pop.hidden, pop.n_out) == (runs, n_in, hidden, n_out)


def test_init_population_shapes_and_seed():
    pop = xs.init_population(5, 0.5, 2.0, hidden=3, n_in=4, n_out=2, seed=1)
    assert pop.hidden_weights.shape == (5, 4, 3)
    assert pop.hidden_bias.shape == (5, 1, 3)
    assert pop.output_weights.shape == (5, 3, 2)
    assert pop.output_bias.shape == (5, 1, 2)
    assert pop == xs.init_population(5, 0.5, 2.0, hidden=3, n_in=4, n_out=2, seed=1)
    assert pop != xs.init_population(5, 0.5, 2.0, hidden=3, n_in=4, n_out=2, seed=2)


def test_init_population_draws_normals_scaled_by_std():
    """Each layer's parameters are N(0, std^2): check the sample std against the planted one."""
    pop = xs.init_population(40_000, hidden_std=0.3, output_std=4.0, seed=3)
    hidden = np.concatenate([pop.hidden_weights.ravel(), pop.hidden_bias.ravel()])
    output = np.concatenate([pop.output_weights.ravel(), pop.output_bias.ravel()])
    # the sample std of n normals has relative standard error 1/sqrt(2n) < 0.003 here
    assert hidden.std() == pytest.approx(0.3, rel=0.015)
    assert output.std() == pytest.approx(4.0, rel=0.015)
    assert abs(hidden.mean()) < 0.3 * 0.02


def test_per_run_std_scales_the_same_normals():
    stds = np.array([0.0, 1.0, 2.0])
    pop = xs.init_population(3, hidden_std=stds, output_std=stds, seed=4)
    unit = xs.init_population(3, hidden_std=1.0, output_std=1.0, seed=4)
    for name in xs.PARAMETER_NAMES:
        np.testing.assert_array_equal(getattr(pop, name), getattr(unit, name) * stds[:, None, None])
    assert not pop.hidden_weights[0].any()  # std 0 gives zeros


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"runs": 0}, ValueError, "runs must be an integer >= 1"),
        ({"runs": 2.0}, TypeError, "runs must be an integer"),
        ({"hidden_std": -1.0}, ValueError, "hidden_std must be finite and >= 0"),
        ({"hidden_std": np.nan}, ValueError, "hidden_std must be finite"),
        ({"output_std": np.inf}, ValueError, "output_std must be finite"),
        ({"output_std": [1.0, 2.0]}, ValueError, r"output_std must be a scalar or have one value"),
        ({"hidden_std": "big"}, TypeError, "hidden_std must be a real number"),
        ({"hidden": 0}, ValueError, "hidden must be an integer from 1 to 256, got 0"),
        ({"hidden": 257}, ValueError, "hidden must be an integer from 1 to 256, got 257"),
        ({"bias": "none"}, ValueError, "bias must be one of 'scaled', 'zero', got 'none'"),
        ({"output_std": "he"}, ValueError, "output_std must be .* or 'glorot', got 'he'"),
    ],
)
def test_init_population_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        xs.init_population(**{"runs": 3, **kwargs})


def test_zero_bias_keeps_the_scaled_draws_weights():
    """bias="zero": the same weights as bias="scaled" for the same seed, every bias exactly 0."""
    stds = np.array([0.3, 1.0, 7.0])
    scaled = xs.init_population(3, stds, stds[::-1], hidden=5, seed=6)
    zero = xs.init_population(3, stds, stds[::-1], hidden=5, bias="zero", seed=6)
    np.testing.assert_array_equal(zero.hidden_weights, scaled.hidden_weights)
    np.testing.assert_array_equal(zero.output_weights, scaled.output_weights)
    for name in ("hidden_bias", "output_bias"):
        assert scaled.parameters()[name].all()  # drawn, so nonzero
        biases = zero.parameters()[name]
        assert not biases.any() and not np.signbit(biases).any()  # +0.0, not -0.0


@pytest.mark.parametrize("hidden", [1, 2, 8, 256])
def test_glorot_output_std_follows_the_width(hidden):
    glorot = xs.init_population(4, 0.5, "glorot", hidden=hidden, seed=7)
    explicit = xs.init_population(4, 0.5, math.sqrt(2 / (hidden + 1)), hidden=hidden, seed=7)
    assert glorot == explicit
    two_out = xs.init_population(4, 0.5, "glorot", hidden=hidden, n_out=2, seed=7)
    unit = xs.init_population(4, 0.5, 1.0, hidden=hidden, n_out=2, seed=7)
    np.testing.assert_allclose(
        two_out.output_weights, unit.output_weights * math.sqrt(2 / (hidden + 2)), rtol=1e-15
    )


def test_population_validates_arrays():
    good = xs.init_population(2, seed=0).parameters()
    with pytest.raises(ValueError, match=r"output_bias must have shape \(2, 1, 1\)"):
        xs.Population(**{**good, "output_bias": np.zeros((3, 1, 1))})
    with pytest.raises(ValueError, match="hidden_weights must be 3-D"):
        xs.Population(**{**good, "hidden_weights": np.zeros((2, 2))})
    with pytest.raises(TypeError, match="hidden_bias must hold real numbers"):
        xs.Population(**{**good, "hidden_bias": np.zeros((2, 1, 2), dtype=complex)})
    with pytest.raises(ValueError, match="output_weights must be finite"):
        bad = good["output_weights"].copy()
        bad[0, 0, 0] = np.nan
        xs.Population(**{**good, "output_weights": bad})


def test_population_is_read_only_copy():
    arr = np.zeros((1, 2, 2))
    pop = xs.Population(arr, np.zeros((1, 1, 2)), np.zeros((1, 2, 1)), np.zeros((1, 1, 1)))
    arr[0, 0, 0] = 5.0
    assert pop.hidden_weights[0, 0, 0] == 0.0
    with pytest.raises(ValueError):
        pop.hidden_weights[0, 0, 0] = 1.0


def test_population_indexing_and_concat():
    pop = xs.init_population(6, seed=5)
    assert pop[2] == pop[2:3]
    assert xs.Population.concat([pop[:2], pop[2:]]) == pop
    assert len(pop[[0, 5]]) == 2
    with pytest.raises(IndexError, match="out of range"):
        pop[6]
    assert repr(pop) == "Population(runs=6, in=2, hidden=2, out=1)"


def test_truth_tables():
    np.testing.assert_array_equal(xs.xor().targets.ravel(), [0, 1, 1, 0])
    np.testing.assert_array_equal(xs.and_().targets.ravel(), [0, 0, 0, 1])
    np.testing.assert_array_equal(xs.or_().targets.ravel(), [0, 1, 1, 1])
    np.testing.assert_array_equal(xs.xnor().targets.ravel(), [1, 0, 0, 1])
    p4 = xs.parity(4)
    assert p4.inputs.shape == (16, 4)
    np.testing.assert_array_equal(p4.targets.ravel(), p4.inputs.sum(axis=1) % 2)
    np.testing.assert_array_equal(xs.parity(2).targets, xs.xor().targets)
    assert xs.truth_table("parity3").name == "parity3"
    assert xs.truth_table("XOR").name == "xor"


def test_truth_table_validation():
    with pytest.raises(ValueError, match="targets must be exactly 0 or 1"):
        xs.TruthTable([[0.0], [1.0]], [0.0, 0.5])
    with pytest.raises(ValueError, match="targets must have shape"):
        xs.TruthTable([[0.0], [1.0]], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="inputs must be finite"):
        xs.TruthTable([[np.nan], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="bits must be an integer from 1 to 16"):
        xs.parity(0)
