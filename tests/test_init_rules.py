"""Initialisation by rule and gain, normal or orthogonal weights, and bad arguments."""

import math

import numpy as np
import pytest
from scipy import stats

import xorsweep as xs
from xorsweep.model.initialization import RULES, layer_stds, orthogonal, rule_std
from xorsweep.model.network import GLOROT_STD, parameter_shapes


def _normals(seed, n_in, hidden, runs=3):
    """The standard normals init_population draws: each tensor a (runs, ...) block in turn."""
    rng = np.random.default_rng(seed)
    shapes = parameter_shapes(n_in, hidden, 1)
    return {name: rng.standard_normal((runs, *shape)) for name, shape in shapes.items()}


@pytest.mark.parametrize("rule", RULES)
def test_each_layer_gets_its_rules_std_times_the_gain(rule):
    hidden, n_in, gains = (8, 4, 2), 3, np.array([0.5, 1.0, 3.0])
    pop = xs.init_population(3, rule=rule, gain=gains, hidden=hidden, n_in=n_in, seed=11)
    normals = _normals(11, n_in, hidden)
    sizes = (n_in, *hidden, 1)
    for k, (name, value) in enumerate(pop.parameters().items()):
        layer = k // 2
        std = rule_std(rule, sizes[layer], sizes[layer + 1], output=layer == len(hidden))
        np.testing.assert_array_equal(value, normals[name] * (gains * std)[:, None, None])
    if rule == "glorot":
        assert rule_std(rule, 8, 4) == math.sqrt(2 / 12)
    if rule == "article":
        assert rule_std(rule, 8, 4) == GLOROT_STD


def test_the_output_gain_and_the_raw_stds_at_depth():
    stds = layer_stds("he", (2, 4, 4, 1), 2, gain=2.0, output_gain=[1.0, 0.5])
    assert [s.tolist() for s in stds] == [
        [2.0, 2.0],
        [math.sqrt(0.5) * 2] * 2,
        [math.sqrt(0.5), math.sqrt(0.5) * 0.5],
    ]
    raw = xs.init_population(3, 0.3, 0.7, hidden=(4, 5), n_in=3, seed=1)
    normals = _normals(1, 3, (4, 5))
    for name, value in raw.parameters().items():
        std = 0.7 if name.startswith("output") else 0.3
        np.testing.assert_array_equal(value, normals[name] * std)


@pytest.mark.parametrize("hidden", [(8, 4, 4), (2, 6)])
def test_orthogonal_draws_are_orthogonal_at_the_rules_scale(hidden):
    n_in, gain = 3, 2.5
    pop = xs.init_population(4, rule="lecun", gain=gain, weights="orthogonal", hidden=hidden,
                             n_in=n_in, seed=2)  # fmt: skip
    sizes = (n_in, *hidden, 1)
    for k, (w, _) in enumerate(pop.layers):
        m, n = w.shape[1:]
        scale = gain * rule_std("lecun", m, n) * math.sqrt(max(m, n))
        gram = np.swapaxes(w, 1, 2) @ w if m >= n else w @ np.swapaxes(w, 1, 2)
        eye = np.eye(min(m, n)) * scale**2
        assert np.max(np.abs(gram - eye)) < 1e-12 * scale**2, (k, sizes)
        # the entries' mean square is the rule's std squared
        assert np.mean(w**2) == pytest.approx((gain * rule_std("lecun", m, n)) ** 2, rel=1e-12)


def test_orthogonal_weights_keep_the_normals_of_the_biases():
    normal = xs.init_population(3, rule="glorot", hidden=(4, 4), seed=3)
    ortho = xs.init_population(3, rule="glorot", hidden=(4, 4), weights="orthogonal", seed=3)
    assert np.array_equal(normal.inner[0][1], ortho.inner[0][1])
    assert not np.allclose(normal.inner[0][0], ortho.inner[0][0])


def _haar_element_pvalue(draws: np.ndarray, i: int = 0, j: int = 0) -> float:
    """KS p-value of ``Q[i, j]`` of n x n draws against Haar's law: a column of a Haar
    orthogonal matrix is uniform on the sphere, so ``(Q[i, j] + 1) / 2`` is
    Beta((n - 1) / 2, (n - 1) / 2)."""
    n = draws.shape[1]
    half = (n - 1) / 2
    return stats.kstest((draws[:, i, j] + 1) / 2, stats.beta(half, half).cdf).pvalue


def test_orthogonal_draws_are_haar_distributed():
    """A test that can fail: it does for LAPACK's Q without the sign correction."""
    normals = np.random.default_rng(2024).standard_normal((4000, 4, 4))
    assert _haar_element_pvalue(orthogonal(normals)) > 0.01
    assert _haar_element_pvalue(orthogonal(normals, sign_correction=False)) < 1e-10
    # the same law through init_population: a square glorot layer at gain 1 is Q itself
    pop = xs.init_population(4000, rule="glorot", weights="orthogonal", hidden=(4, 4), seed=7)
    assert _haar_element_pvalue(pop.inner[0][0]) > 0.01
    # and for every element of the matrix, not only the corner one
    q = orthogonal(normals)
    for i, j in ((1, 2), (3, 3)):
        assert _haar_element_pvalue(q, i, j) > 0.01


def test_wide_orthogonal_draws_have_orthonormal_rows():
    q = orthogonal(np.random.default_rng(0).standard_normal((5, 2, 7)))
    np.testing.assert_allclose(q @ np.swapaxes(q, 1, 2), np.broadcast_to(np.eye(2), (5, 2, 2)),
                               atol=1e-14)  # fmt: skip


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(rule="glorot", gain=0.0), r"^gain must be finite and > 0, got 0$"),
        (dict(rule="glorot", gain=[1.0, -2.0]), r"^gain must be finite and > 0, got -2$"),
        (dict(rule="he", output_gain=0.0), r"^output_gain must be finite and > 0, got 0$"),
        (dict(rule="xavier"), r"^rule must be one of 'article', 'glorot', 'lecun', 'he'"),
        (dict(hidden=()), r"^hidden must hold 1 to 16 widths \(one per hidden layer\), got 0$"),
        (dict(hidden=(2,) * 17), r"^hidden must hold 1 to 16 widths .*got 17$"),
        (dict(hidden=(4, 0, 4)), r"^hidden\[1\] must be an integer from 1 to 256, got 0$"),
        (dict(hidden=257), r"^hidden must be an integer from 1 to 256, got 257$"),
        (dict(weights="uniform"), r"^weights must be one of 'normal', 'orthogonal'"),
        (dict(rule="glorot", hidden_std=0.5), r"^give either hidden_std and output_std or rule"),
    ],
)
def test_bad_arguments_are_one_clear_line(kwargs, match):
    with pytest.raises(ValueError, match=match) as err:
        xs.init_population(2, **kwargs, seed=0)
    assert "\n" not in str(err.value)


def test_populations_of_several_layers_select_concatenate_and_compare():
    pop = xs.init_population(4, rule="he", hidden=(3, 5, 2), n_in=4, seed=0)
    assert pop.depth == 3 and pop.widths == (3, 5, 2) and pop.hidden == (3, 5, 2)
    assert list(pop.parameters())[2:4] == ["hidden2_weights", "hidden2_bias"]
    again = xs.Population.concat([pop[:1], pop[1:]])
    assert again == pop and pop[2] == xs.Population.from_parameters(pop[2].parameters())
    assert pop != xs.init_population(4, rule="he", hidden=(3, 5, 3), n_in=4, seed=0)
    params = pop.parameters()
    params["hidden3_bias"] = np.zeros((4, 1, 3))
    with pytest.raises(ValueError, match=r"^hidden3_bias must have shape \(4, 1, 2\)"):
        xs.Population.from_parameters(params)
