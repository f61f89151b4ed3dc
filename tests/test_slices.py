"""fit_slices: each slice of a grid fitted as fitting it alone would, and the rules on it."""

from __future__ import annotations

import math

import _datasets as synth
import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep.analysis.fit import rule_distance
from xorsweep.model.initialization import INIT_RULES, init_rules

N_BOOT = 200


def _grid(rng, optima, dim, values, runs=300):
    """Planted results over (hidden_std, dim, run), one optimum per value of ``dim``."""
    parts = [synth.planted(rng, runs=runs, optimum=opt) for opt in optima]
    ds = xr.concat(parts, dim).assign_coords({dim: values}).transpose("hidden_std", dim, "run")
    return ds.assign_attrs({dim: list(values)})  # as a sweep over ``dim`` records it


@pytest.fixture(scope="module")
def grid():
    """Over lr (2) x output_std (3); the slice (lr 0.3, output_std 2.0) has no interior minimum."""
    rng = np.random.default_rng(3)
    by_lr = [
        _grid(rng, [0.5, 0.7, 0.6], "output_std", [0.5, 0.8165, 2.0]),
        _grid(rng, [0.8, 0.45, 0.6], "output_std", [0.5, 0.8165, 2.0]),
    ]
    ds = xr.concat(by_lr, "lr").assign_coords(lr=[0.1, 0.3]).assign_attrs(lr=[0.1, 0.3])
    ds = ds.transpose("hidden_std", "lr", "output_std", "run")
    loss = ds.total_loss.values.copy()
    s = ds.hidden_std.values[:, None]
    # (output_std 2.0, lr 0.3): the loss falls all along the grid, so no interior minimum
    loss[:, 1, 2, :] = 1000 * (1 + np.log(3.0 / s)) * rng.gamma(4.0, 0.25, (s.size, 300))
    return ds.assign(total_loss=(ds.total_loss.dims, loss))


@pytest.fixture(scope="module")
def fits(grid):
    return xs.fit_slices(grid, n_boot=N_BOOT, rng=3)


def test_every_slice_equals_its_fit_alone(grid, fits):
    assert fits.optimum.dims == ("lr", "output_std")
    assert fits.rule_std.dims == ("lr", "output_std", "rule")
    assert list(fits.rule.values) == list(INIT_RULES)
    for lr in grid.lr.values:
        for o in grid.output_std.values:
            alone = xs.fit_optimum(
                grid.sel(lr=lr, output_std=o), n_boot=N_BOOT, rng=3, errors="ignore"
            )
            got = fits.sel(lr=lr, output_std=o)
            pairs = [
                ("optimum", alone.optimum),
                ("optimum_low", alone.optimum_ci[0]),
                ("optimum_high", alone.optimum_ci[1]),
                ("loss_at_optimum", alone.loss_at_optimum),
                ("loss_at_optimum_low", alone.loss_at_optimum_ci[0]),
                ("loss_at_optimum_high", alone.loss_at_optimum_ci[1]),
                ("window_low", alone.window[0]),
                ("window_high", alone.window[1]),
                ("n_points", alone.n_points),
                ("n_runs", alone.n_runs),
                ("p_value", alone.p_value),
            ]
            for name, value in pairs:  # bit for bit, NaN where the fit gave none
                np.testing.assert_array_equal(got[name].values, value, err_msg=name)
            assert bool(got.ok) == alone.ok and str(got.reason.values) == alone.reason
            assert str(got.notes.values) == "; ".join(alone.notes)
            stds = got.rule_std.values
            np.testing.assert_array_equal(got.loss_at_rule.values, alone.predict(stds))
            distances = [rule_distance(s, alone.optimum, alone.optimum_ci) for s in stds]
            np.testing.assert_array_equal(got.rule_distance.values, distances)


def test_a_slice_that_fails_says_why_and_the_others_do_not_care(grid, fits):
    bad = fits.sel(lr=0.3, output_std=2.0)
    assert not bool(bad.ok) and "no interior minimum" in str(bad.reason.values)
    assert (
        math.isnan(bad.optimum) and np.isnan(bad.penalty).all() and np.isnan(bad.loss_at_rule).all()
    )
    assert int(fits.ok.sum()) == 5
    with pytest.raises(ValueError, match=r"fit_slices: at lr=0\.3, output_std=2\.0: no interior"):
        xs.fit_slices(grid, n_boot=N_BOOT, rng=3, errors="raise")


def test_a_generator_is_drawn_slice_after_slice(grid):
    part = grid.isel(output_std=[0, 1])
    fits = xs.fit_slices(part, n_boot=N_BOOT, rng=np.random.default_rng(9))
    gen = np.random.default_rng(9)
    for lr in part.lr.values:  # the grid's order: lr, then output_std
        for o in part.output_std.values:
            alone = xs.fit_optimum(part.sel(lr=lr, output_std=o), n_boot=N_BOOT, rng=gen)
            assert fits.optimum_low.sel(lr=lr, output_std=o) == alone.optimum_ci[0]
    # and a seed is not a generator: each slice restarts from it
    seeded = xs.fit_slices(part, n_boot=N_BOOT, rng=9)
    assert not np.array_equal(seeded.optimum_low.values, fits.optimum_low.values)


def test_results_without_extra_dims_give_one_slice(grid):
    one = grid.sel(lr=0.1, output_std=0.8165)
    fits = xs.fit_slices(one, n_boot=N_BOOT, rng=4)
    alone = xs.fit_optimum(one, n_boot=N_BOOT, rng=4)
    assert fits.optimum.dims == () and float(fits.optimum) == alone.optimum
    assert float(fits.lr) == 0.1 and float(fits.output_std) == 0.8165  # kept as coordinates
    assert fits.attrs["model"] == alone.model and fits.attrs["n_boot"] == N_BOOT
    assert fits.attrs["epochs"] == one.attrs["epochs"]


def test_penalty_and_distance_against_the_planted_curve():
    """Planted optimum 0.6: Glorot's 1/sqrt(2) costs planted_mean(1/sqrt(2)) / A - 1."""
    ds = synth.planted(np.random.default_rng(7), runs=2000)
    fits = xs.fit_slices(ds, n_boot=400, rng=1)
    glorot = fits.sel(rule="glorot_normal")
    truth = 100 * (float(synth.planted_mean(1 / math.sqrt(2))) / synth.A - 1)
    assert glorot.penalty_low < truth < glorot.penalty_high
    assert abs(float(glorot.penalty) - truth) < 0.3 * truth
    assert glorot.rule_distance > 1 and glorot.penalty_low > 0  # outside the interval: costs
    # a rule far outside the window has no fitted loss, but still a distance
    slope = fits.sel(rule="glorot_slope_gain")
    assert float(slope.rule_std) > float(fits.window_high)
    assert math.isnan(slope.loss_at_rule) and math.isnan(slope.penalty)
    assert slope.rule_distance > glorot.rule_distance


def test_rules_follow_the_slices_network(rng):
    """Widths from a coordinate, the activation from the attributes; the article's otherwise."""
    by_width = [synth.planted(rng, runs=100) for _ in range(2)]
    ds = xr.concat(by_width, "hidden").assign_coords(hidden=[2, 8])
    ds.attrs.update(activation="tanh", n_in=2, n_out=1)
    fits = xs.fit_slices(ds, n_boot=50, rng=0)
    for h in (2, 8):
        expected = list(init_rules(2, h, "tanh").values())
        np.testing.assert_allclose(fits.rule_std.sel(hidden=h), expected, rtol=0, atol=0)
    plain = xs.fit_slices(synth.planted(rng, runs=100).drop_attrs(), n_boot=50, rng=0)
    np.testing.assert_array_equal(plain.rule_std, list(init_rules(2, 2, "sigmoid").values()))


def test_bad_input(grid):
    with pytest.raises(ValueError, match=r"output_std \(3 values\).*xorsweep\.fit_slices"):
        xs.fit_optimum(grid.sel(lr=0.1))
    with pytest.raises(ValueError, match="hidden_std dimension"):
        xs.fit_slices(grid.isel(hidden_std=0))
    with pytest.raises(TypeError, match="xarray.Dataset"):
        xs.fit_slices(grid.total_loss)
    with pytest.raises(ValueError, match="degree must be 2 or 3"):
        xs.fit_slices(grid, degree=4)
    with pytest.raises(TypeError, match="rng must be a seed"):
        xs.fit_slices(grid, rng=None)
    with pytest.raises(ValueError, match="errors must be one of 'raise', 'ignore'"):
        xs.fit_slices(grid, errors="warn")
