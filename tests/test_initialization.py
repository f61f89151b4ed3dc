"""Initialization rules against values computed by hand."""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.model import network
from xorsweep.model.initialization import INIT_RULES, init_rules, init_rules_by_layer

# (fan_in, fan_out, activation): the stds in INIT_RULES order, written out by hand:
# glorot sqrt(2 / (in + out)), uniform sqrt(6 / (in + out)) / sqrt(3) (the same number),
# he sqrt(2 / in), lecun sqrt(1 / in), slope gain 4 (sigmoid) or 1 (tanh) times glorot,
# torch gain 1 (sigmoid) or 5/3 (tanh) times glorot.
HAND = {
    (2, 2, "sigmoid"): (0.7071067811865476, 0.7071067811865476, 1.0, 0.7071067811865476,
                        2.8284271247461903, 0.7071067811865476),
    (2, 1, "sigmoid"): (0.816496580927726, 0.816496580927726, 1.0, 0.7071067811865476,
                        3.265986323710904, 0.816496580927726),
    (2, 8, "tanh"): (0.447213595499958, 0.447213595499958, 1.0, 0.7071067811865476,
                     0.447213595499958, 0.745355992499930),
    (8, 1, "tanh"): (0.471404520791032, 0.471404520791032, 0.5, 0.3535533905932738,
                     0.471404520791032, 0.785674201318386),
}  # fmt: skip


@pytest.mark.parametrize("fans", list(HAND))
def test_rules_equal_hand_computed_values(fans):
    rules = init_rules(*fans)
    assert tuple(rules) == INIT_RULES
    assert list(rules.values()) == pytest.approx(HAND[fans], rel=1e-14)


def test_glorot_normal_is_the_networks_glorot_and_uniform_has_its_variance():
    rules = init_rules(2, 2)
    assert rules["glorot_normal"] == xs.glorot_std(2, 2)
    # the article's constant, 1/sqrt(2), is one ulp below sqrt(1/2)
    assert rules["glorot_normal"] == np.nextafter(network.GLOROT_STD, 1.0)
    for fans in [(2, 2), (2, 1), (3, 7), (256, 1)]:
        rules = init_rules(*fans)
        gap = abs(rules["glorot_uniform"] - rules["glorot_normal"])
        assert gap <= np.spacing(rules["glorot_normal"]), fans


def test_gains_differ_between_conventions_only_where_they_should():
    sigmoid, tanh = init_rules(3, 5, "sigmoid"), init_rules(3, 5, "tanh")
    assert sigmoid["glorot_slope_gain"] == 4 * sigmoid["glorot_normal"]
    assert sigmoid["glorot_torch_gain"] == sigmoid["glorot_normal"]
    assert tanh["glorot_slope_gain"] == tanh["glorot_normal"]
    assert tanh["glorot_torch_gain"] == pytest.approx(5 / 3 * tanh["glorot_normal"], rel=1e-15)
    for name in ("glorot_normal", "glorot_uniform", "he", "lecun"):  # no gain
        assert sigmoid[name] == tanh[name]


def test_the_table_of_a_network_gives_both_layers():
    table = init_rules_by_layer(4, "tanh")
    assert table.dims == ("layer", "rule") and int(table.hidden) == 4
    assert list(table.rule.values) == list(INIT_RULES)
    np.testing.assert_array_equal(
        table.sel(layer="hidden"), list(init_rules(2, 4, "tanh").values())
    )
    # the output layer is a sigmoid whatever the hidden layer's activation
    np.testing.assert_array_equal(
        table.sel(layer="output"), list(init_rules(4, 1, "sigmoid").values())
    )
    article = init_rules_by_layer()
    assert float(article.sel(layer="output", rule="glorot_normal")) == pytest.approx(
        network.ARTICLE_OUTPUT_STD, abs=5e-5
    )
    widths = init_rules_by_layer([1, 2, 32], n_in=3, n_out=2)
    assert widths.dims == ("hidden", "layer", "rule") and widths.shape == (3, 2, 6)
    assert float(widths.sel(hidden=32, layer="output", rule="he")) == pytest.approx(0.25)
    assert float(widths.sel(hidden=1, layer="hidden", rule="lecun")) == pytest.approx(3**-0.5)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: init_rules(0, 2), ValueError, "fan_in must be an integer >= 1, got 0"),
        (lambda: init_rules(2, 1.5), TypeError, "fan_out must be an integer >= 1"),
        (lambda: init_rules(2, 2, "gelu"), ValueError, "activation must be one of"),
        (lambda: init_rules_by_layer(257), ValueError, "hidden must be an integer from 1 to 256"),
        (lambda: init_rules_by_layer([2, 0]), ValueError, "hidden must be an integer from 1"),
        (lambda: init_rules_by_layer([]), ValueError, "non-empty sequence"),
    ],
)
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_init_rules_is_public():
    assert xs.init_rules is init_rules
