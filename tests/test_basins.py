"""Basin maps: slices through initial networks, staged training against direct, summaries."""

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.analysis import basins
from xorsweep.analysis.basins import (
    basin_map,
    basin_summary,
    boundary_share,
    direction_slice,
    parameter_labels,
    parameter_slice,
)
from xorsweep.analysis.end_states import END_STATES, classify, measure
from xorsweep.training.trainer import train_arrays

LENGTHS = [150, 600, 2000]


@pytest.fixture(scope="module")
def reference():
    return xs.init_population(1, hidden_std=1.0, output_std=0.8165, seed=5)


@pytest.fixture(scope="module")
def small(reference):
    """A 16 x 16 slice and its map at three lengths, lr 1 so that outcomes are mixed."""
    s = direction_slice(reference, 16, extent=1.0, seed=1)
    return s, basin_map(s, epochs=LENGTHS, lr=1.0)


def _packed(pop):
    return np.concatenate([getattr(pop, n).reshape(pop.runs, -1) for n in xs.PARAMETER_NAMES], 1)


@pytest.mark.parametrize("n", [5, 6])
def test_direction_slice_has_the_reference_at_its_centre(reference, n):
    s = direction_slice(reference, n, extent=0.7, seed=2)
    centre = n // 2
    assert s.alpha[centre] == 0.0 and s.beta[centre] == 0.0
    assert s.population[centre * n + centre] == reference
    assert s.alpha[0] == -0.7 and np.all(np.diff(s.alpha) > 0)
    assert (s.alpha[-1] == 0.7) == (n % 2 == 1)  # even n stops one step short


def test_direction_slice_networks_lie_on_the_plane(reference):
    s = direction_slice(reference, 7, extent=(-2.0, 3.0), seed=3)
    theta = _packed(s.population).reshape(7, 7, -1)
    d_alpha, d_beta = s.directions
    expected = s.origin + s.alpha[:, None, None] * d_alpha + s.beta[None, :, None] * d_beta
    np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-14)
    assert s.alpha.tolist() == np.linspace(-2, 3, 7).tolist()
    # random directions: orthogonal, each as long as the reference (relative units)
    norm = np.linalg.norm(_packed(reference))
    np.testing.assert_allclose(s.directions @ s.directions.T, norm**2 * np.eye(2), atol=1e-12)


def test_given_directions_are_used_as_given_in_absolute_units(reference):
    d = np.zeros((2, 9))
    d[0, 0], d[1, 8] = 2.0, -1.0
    s = direction_slice(reference, 3, extent=1.0, directions=d, relative=False)
    np.testing.assert_array_equal(s.directions, d)
    corner = s.population[0]  # alpha = beta = -1
    assert corner.hidden_weights[0, 0, 0] == reference.hidden_weights[0, 0, 0] - 2.0
    assert corner.output_bias[0, 0, 0] == reference.output_bias[0, 0, 0] + 1.0
    assert corner.hidden_bias.tolist() == reference.hidden_bias.tolist()


def test_same_seed_same_directions_other_seed_others(reference):
    a, b, c = (direction_slice(reference, 2, seed=k).directions for k in (4, 4, 5))
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_parameter_slice_varies_exactly_the_two_entries(reference):
    alpha, beta = ("hidden_weights", (1, 0)), ("output_bias", (0, 0))
    s = parameter_slice(reference, 9, alpha, beta, (-8.0, 8.0), 3.0)
    pop = s.population
    w = pop.hidden_weights[:, 1, 0].reshape(9, 9)
    c = pop.output_bias[:, 0, 0].reshape(9, 9)
    assert np.array_equal(w, np.broadcast_to(np.linspace(-8, 8, 9)[:, None], (9, 9)))
    assert np.array_equal(c, np.broadcast_to(s.beta[None, :], (9, 9)))
    assert s.beta[0] == -3.0 and s.beta[4] == 0.0 and s.beta[-1] == 3.0
    theta, ref = _packed(pop), _packed(reference)
    labels = parameter_labels(2, 2, 1)
    varied = [labels.index("hidden_weights[1, 0]"), labels.index("output_bias[0, 0]")]
    others = np.setdiff1d(np.arange(9), varied)
    assert np.array_equal(theta[:, others], np.broadcast_to(ref[:, others], (81, 7)))
    assert s.labels == ("hidden_weights[1, 0]", "output_bias[0, 0]")


def test_parameter_slice_of_a_wider_network(reference):
    ref = xs.init_population(1, hidden=3, seed=0)
    s = parameter_slice(ref, 2, ("output_weights", (2, 0)), ("hidden_bias", (0, 2)), 1.0, 1.0)
    assert s.population.output_weights[:, 2, 0].tolist() == [-1.0, -1.0, 0.0, 0.0]
    assert s.population.hidden_bias[:, 0, 2].tolist() == [-1.0, 0.0, -1.0, 0.0]


def test_map_at_each_length_equals_training_that_long_directly(small):
    s, ds = small
    for length in LENGTHS:
        direct = train_arrays(s.population, length, 1.0)
        at = ds.sel(epochs=length)
        np.testing.assert_array_equal(
            at.converged_epoch.values.ravel(), direct["converged_epoch"]
        )  # NaN where both are NaN
        assert np.array_equal(at.final_loss.values.ravel(), direct["final_loss"])
        assert np.array_equal(at.total_loss.values.ravel(), direct["total_loss"])  # bit for bit
        trained = xs.Population(**{n: direct[n] for n in xs.PARAMETER_NAMES})
        assert at.state.values.ravel().tolist() == classify(measure(trained)).tolist()
    # the staged cases all occur: converged in the first stage and kept, converged later, never
    first, last = ds.converged_epoch.isel(epochs=0), ds.converged_epoch.isel(epochs=-1)
    assert (first == last).sum() > 0 and (last > LENGTHS[0]).sum() > 0
    assert ds.converged.isel(epochs=-1).mean() < 1


def test_convergence_epoch_never_decreases_and_is_kept_while_right(small):
    _, ds = small
    for shorter, longer in zip(LENGTHS, LENGTHS[1:], strict=False):
        a, b = ds.converged_epoch.sel(epochs=shorter), ds.converged_epoch.sel(epochs=longer)
        both = a.notnull() & b.notnull()
        assert bool((b >= a).where(both, True).all())
        # right throughout (shorter, longer]: the same epoch as at the shorter length
        kept = b <= shorter
        assert bool((a == b).where(kept, True).all()) and bool(a.notnull().where(kept, True).all())


def test_one_length_is_the_several_lengths_map_at_that_length(small):
    s, ds = small
    one = basin_map(s, epochs=LENGTHS[1], lr=1.0)
    assert "epochs" not in one.dims and int(one.epochs) == LENGTHS[1]
    at = ds.sel(epochs=LENGTHS[1])
    xr.testing.assert_equal(one, at)


def test_results_do_not_depend_on_the_chunks(small, monkeypatch):
    s, ds = small
    monkeypatch.setattr(basins, "MAP_CHUNK", 37)
    xr.testing.assert_identical(basin_map(s, epochs=LENGTHS, lr=1.0), ds)


def test_map_describes_its_slice(small):
    s, ds = small
    assert ds.alpha.values.tolist() == s.alpha.tolist()
    np.testing.assert_array_equal(ds.direction_beta.values, s.directions[1])
    assert ds.parameter.values[0] == "hidden_weights[0, 0]" and ds.attrs["lr"] == 1.0
    # any point of the map can be rebuilt from the stored plane
    point = ds.origin + ds.alpha[3] * ds.direction_alpha + ds.beta[11] * ds.direction_beta
    np.testing.assert_allclose(point.values, _packed(s.population[3 * 16 + 11])[0], atol=1e-14)


def test_summary_shares(small):
    _, ds = small
    summary = basin_summary(ds)
    np.testing.assert_allclose(summary.state_share.sum("state"), 1.0, rtol=1e-12)
    assert summary.state.values.tolist() == list(END_STATES)
    np.testing.assert_array_equal(
        summary.converged_share.values, ds.converged.mean(("alpha", "beta")).values
    )
    np.testing.assert_array_equal(
        summary.state_share.sel(state="converged").values, summary.converged_share.values
    )
    assert summary.converged_share.values.tolist() == [
        float(np.mean(ds.converged.sel(epochs=e))) for e in LENGTHS
    ]
    assert np.all(summary.median_converged_epoch <= ds.epochs)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_maps_of_every_activation_have_their_end_states(reference, activation):
    ds = basin_map(direction_slice(reference, 3, seed=0), epochs=[10, 3000], activation=activation)
    assert ds.attrs["activation"] == activation and "boundary_state" in basin_summary(ds)
    assert set(np.unique(ds.state.values)) <= set(END_STATES)
    # converged in the map's sense is converged in the end states' sense, at every length
    assert np.array_equal(ds.state.values == "converged", ds.converged.values)


def test_boundary_share_on_known_pictures():
    dims = ("alpha", "beta")
    line = xr.DataArray(np.arange(36).reshape(6, 6) >= 18, dims=dims)  # 6 of 60 pairs
    checker = xr.DataArray(np.indices((5, 5)).sum(0) % 2 == 0, dims=dims)
    flat = xr.DataArray(np.full((4, 4), "slow"), dims=dims)
    assert float(boundary_share(line)) == 0.1
    assert float(boundary_share(checker)) == 1.0 and float(boundary_share(flat)) == 0.0
    both = xr.concat([line, ~line], dim="epochs").assign_coords(epochs=[10, 20])
    assert boundary_share(both).values.tolist() == [0.1, 0.1]


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (
            lambda r: parameter_slice(r, 4, ("weights", (0, 0)), ("output_bias", (0, 0)), 1, 1),
            "alpha",
        ),
        (
            lambda r: parameter_slice(
                r, 4, ("hidden_weights", (0, 0)), ("output_bias", (0, 1)), 1, 1
            ),
            "beta",
        ),
        (
            lambda r: parameter_slice(
                r, 4, ("hidden_weights", (2, 0)), ("output_bias", (0, 0)), 1, 1
            ),
            "alpha",
        ),
        (
            lambda r: parameter_slice(
                r, 4, ("hidden_bias", (0, -1)), ("output_bias", (0, 0)), 1, 1
            ),
            "alpha",
        ),
        (
            lambda r: parameter_slice(r, 4, ("hidden_bias", 0), ("output_bias", (0, 0)), 1, 1),
            "alpha",
        ),
        (
            lambda r: parameter_slice(r, 4, ("output_bias", (0, 0)), ("output_bias", (0, 0)), 1, 1),
            "alpha and beta",
        ),
        (
            lambda r: parameter_slice(
                r, 4, ("hidden_bias", (0, 0)), ("output_bias", (0, 0)), np.nan, 1
            ),
            "alpha_range",
        ),
        (
            lambda r: parameter_slice(
                r, 4, ("hidden_bias", (0, 0)), ("output_bias", (0, 0)), 1, (0, np.inf)
            ),
            "beta_range",
        ),
        (
            lambda r: parameter_slice(r, 1, ("hidden_bias", (0, 0)), ("output_bias", (0, 0)), 1, 1),
            "n",
        ),
        (lambda r: direction_slice(r, 1), "n"),
        (lambda r: direction_slice(r, 4, extent=np.inf), "extent"),
        (lambda r: direction_slice(r, 4, extent=-1.0), "extent"),
        (lambda r: direction_slice(r, 4, extent=(2.0, 2.0)), "extent"),
        (lambda r: direction_slice(r, 4, directions=np.ones((2, 9))), "directions"),
        (lambda r: direction_slice(r, 4, directions=np.ones((2, 8))), "directions"),
        (lambda r: direction_slice(xs.Population.concat([r, r]), 4), "reference"),
        (lambda r: direction_slice(xs.init_population(1, 0.0, 0.0), 4), "relative"),
        (lambda r: basin_map(direction_slice(r, 2, seed=0), epochs=[100, 100]), "epochs"),
        (lambda r: basin_map(direction_slice(r, 2, seed=0), epochs=[100, -1]), "epochs"),
        (lambda r: basin_map(direction_slice(r, 2, seed=0), epochs=10, lr=np.nan), "lr"),
    ],
)
def test_bad_input_is_one_value_error_naming_the_argument(reference, call, argument):
    with pytest.raises(ValueError, match=f"^{argument}") as info:
        call(reference)
    assert "\n" not in str(info.value)


def test_a_slice_is_read_only_and_consistent(reference):
    s = direction_slice(reference, 3, seed=0)
    with pytest.raises(ValueError, match="read-only"):
        s.alpha[0] = 5.0
    with pytest.raises(ValueError, match="^population must hold"):
        basins.BasinSlice(s.population[:8], s.alpha, s.beta, s.origin, s.directions, s.labels)
