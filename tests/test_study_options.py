"""The study options (activation, gradient, bias, width) against the reference loop."""

import itertools
import math
import warnings

import numpy as np
import pytest
from test_training import PARAMS, assert_matches_reference, train_reference

import xorsweep as xs
from xorsweep.model import activations
from xorsweep.training.reference import train_one
from xorsweep.training.trainer import train_arrays

#: ReLU units are unbounded: at the bounded units' learning rates some of these networks blow up
LR = {"relu": 0.1}

COMBINATIONS = list(
    itertools.product(
        activations.ACTIVATIONS, activations.GRADIENTS, xs.model.network.BIASES, xs.UPDATES
    )
)


@pytest.mark.parametrize("hidden", [1, 2, 3, 8])
@pytest.mark.parametrize("activation,gradient,bias,update", COMBINATIONS)
def test_every_combination_matches_reference(activation, gradient, bias, update, hidden, engine):
    stds = [0.3, 1.0, 5.0]  # near Glorot, the article's 1, and saturated hidden units
    pop = xs.init_population(3, stds, "glorot", hidden=hidden, bias=bias, seed=hidden)
    options = {"update": update, "activation": activation, "gradient": gradient}
    lr = LR.get(activation, 0.5)
    ds = xs.train(pop, 600, lr, **options, engine=engine)
    assert_matches_reference(ds, train_reference(pop, 600, lr, **options))
    assert ds.attrs["activation"] == activation and ds.attrs["gradient"] == gradient


@pytest.mark.parametrize("activation,gradient", [("tanh", "sum"), ("tanh", "mean")])
def test_tanh_matches_reference_at_the_articles_length(activation, gradient, engine):
    """10,000 epochs over the grid's range of stds, where tanh units saturate at +-1."""
    pop = xs.init_population(4, [0.05, 0.6, 1.0, 54.6], 0.8165, bias="zero", seed=2026)
    ds = xs.train(pop, activation=activation, gradient=gradient, engine=engine)
    refs = train_reference(pop, activation=activation, gradient=gradient)
    assert_matches_reference(ds, refs)
    assert ds.converged.values[1:3].all()  # tanh networks learn XOR too


@pytest.mark.parametrize("activation", activations.ACTIVATIONS)
@pytest.mark.parametrize("gradient", activations.GRADIENTS)
def test_options_with_several_outputs_and_tables(activation, gradient, engine):
    """Two outputs (the kernel's general branch), 8 samples, and a 3-sample table whose
    "mean" scale 1/3 is not a power of two."""
    two = xs.TruthTable(
        xs.xor().inputs, np.stack([xs.xor().targets[:, 0], xs.and_().targets[:, 0]], 1), "two"
    )
    three = xs.TruthTable([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0, 1.0, 0.0], "three")
    options = {"activation": activation, "gradient": gradient}
    # widths whose kernels other tests compile too (each new shape is a numba compilation)
    for data, hidden in ((two, 3), (xs.parity(3), 4), (three, 3)):
        pop = xs.init_population(3, 0.9, hidden=hidden, n_in=data.n_in, n_out=data.n_out, seed=3)
        lr = 0.03 if activation == "relu" else 0.3
        for update in xs.UPDATES:
            ds = xs.train(pop, 500, lr, data=data, update=update, **options, engine=engine)
            refs = train_reference(pop, 500, lr, data=data, update=update, **options)
            assert_matches_reference(ds, refs)


def test_the_widest_network_matches_reference(engine):
    """Width 256 against the reference. The numba kernel is compiled for each width and
    activation (about 8 s of CPU each at this width), so it checks tanh alone here: tanh is
    computed through the sigmoid, whose code it runs too, and both activations are checked
    against the reference at the other widths."""
    pop = xs.init_population(2, 0.1, "glorot", hidden=xs.model.network.MAX_HIDDEN, seed=4)
    for activation in activations.ACTIVATIONS if engine == "numpy" else ("tanh",):
        ds = xs.train(pop, 100, activation=activation, gradient="mean", engine=engine)
        assert_matches_reference(
            ds, train_reference(pop, 100, activation=activation, gradient="mean")
        )


def test_mean_gradient_is_the_sum_at_a_quarter_of_the_rate_on_xor(engine):
    """XOR has 4 samples and 1 output: dividing the error by 4 is exact, so "mean" at lr
    equals "sum" at lr / 4 bit for bit."""
    pop = xs.init_population(20, np.linspace(0.1, 4, 20), seed=5)
    for activation in activations.ACTIVATIONS:
        mean = train_arrays(pop, 700, 0.8, activation=activation, gradient="mean", engine=engine)
        summed = train_arrays(pop, 700, 0.2, activation=activation, gradient="sum", engine=engine)
        for name in ("total_loss", "final_loss", "converged_epoch", *PARAMS):
            np.testing.assert_array_equal(mean[name], summed[name])


def test_the_options_change_the_numbers(engine):
    pop = xs.init_population(4, seed=6)
    base = train_arrays(pop, 300, engine=engine)
    for option in ({"activation": "tanh"}, {"gradient": "mean"}):
        other = train_arrays(pop, 300, **option, engine=engine)
        assert not np.allclose(other["total_loss"], base["total_loss"], rtol=1e-6), option


def test_tanh_hidden_units_start_at_zero_with_zero_inputs_and_biases(engine):
    """A check of the forward pass that does not go through the reference: with zero
    biases, the sample (0, 0) gives tanh(0) = 0 in every hidden unit, so the network's
    first prediction on it is sigmoid(0) = 0.5 and its first loss term log 2."""
    pop = xs.init_population(3, 2.0, 1.0, hidden=3, bias="zero", seed=7)
    ds = xs.train(pop, 1, activation="tanh", record_every=1, engine=engine)
    first = train_one(*(p[0] for p in pop.parameters().values()), epochs=0, activation="tanh")
    assert first["predictions"][0, 0] == 0.5
    hidden_out = np.tanh(xs.xor().inputs @ pop.hidden_weights[0])
    z = hidden_out @ pop.output_weights[0]
    p = np.where(xs.xor().targets == 1, 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(z)))
    assert ds.epoch_loss.values[0, 0] == pytest.approx(-np.log(p).mean(), rel=1e-14)


def test_population_equals_members_trained_alone_under_every_option(engine):
    pop = xs.init_population(6, np.exp(np.linspace(-2, 3, 6)), hidden=3, seed=8)
    options = {"activation": "tanh", "gradient": "mean", "update": "simultaneous"}
    together = train_arrays(pop, 300, **options, engine=engine)
    for k in range(pop.runs):
        alone = train_arrays(pop[k], 300, **options, engine=engine)
        for name in ("total_loss", "final_loss", "converged_epoch", *PARAMS):
            np.testing.assert_array_equal(together[name][k], alone[name][0])


def test_tanh_at_huge_stds_is_finite_and_quiet(engine):
    pop = xs.init_population(6, 1e4, 1e4, seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = train_arrays(pop, 200, activation="tanh", gradient="mean", engine=engine)
    for name in ("total_loss", "final_loss", *PARAMS):
        assert np.all(np.isfinite(res[name])), name


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"activation": "gelu"}, "activation must be one of 'sigmoid', 'tanh', 'relu', got 'gelu'"),
        ({"activation": None}, "activation must be one of 'sigmoid', 'tanh', 'relu', got None"),
        ({"gradient": "avg"}, "gradient must be one of 'sum', 'mean', got 'avg'"),
    ],
)
def test_train_rejects_unknown_options(kwargs, match):
    pop = xs.init_population(2, seed=0)
    for trainer in (xs.train, train_arrays):
        with pytest.raises(ValueError, match=match):
            trainer(pop, 5, **kwargs)
    with pytest.raises(ValueError, match=match):
        train_reference(pop, 5, **kwargs)


def test_train_rejects_a_population_wider_than_256():
    shapes = xs.model.network.parameter_shapes(2, 257, 1)
    pop = xs.Population(**{name: np.zeros((1, *shape)) for name, shape in shapes.items()})
    with pytest.raises(ValueError, match="population.hidden must be an integer from 1 to 256"):
        xs.train(pop, 5)


def test_gradient_scale_and_gains():
    assert activations.gradient_scale("sum", 4, 1) == 1.0
    assert activations.gradient_scale("mean", 4, 2) == 1 / 8
    assert activations.gain("sigmoid") == 4.0 and activations.gain("tanh") == 1.0
    assert activations.torch_gain("tanh") == 5 / 3 and activations.torch_gain("sigmoid") == 1.0
    a = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(activations.slope("sigmoid", a), a * (1 - a), rtol=0)
    np.testing.assert_allclose(activations.slope("tanh", a), 1 - a**2, rtol=0)
    for name in ("sigmoid", "tanh"):  # the slope convention: 1 / f'(0)
        at_zero = activations.slope(name, activations.activate(name, 0.0))
        assert activations.gain(name) == 1 / at_zero
    # the slope is the derivative: a central difference of the activation agrees (away from
    # ReLU's kink at 0)
    z, eps = np.linspace(-3, 3, 12), 1e-6
    for name in activations.ACTIVATIONS:
        numeric = (activations.activate(name, z + eps) - activations.activate(name, z - eps)) / (
            2 * eps
        )
        analytic = activations.slope(name, activations.activate(name, z))
        np.testing.assert_allclose(numeric, analytic, rtol=1e-8, atol=0)
    assert math.isclose(activations.activate("tanh", np.array(0.5)), math.tanh(0.5))
