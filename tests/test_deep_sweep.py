"""Sweeps of deeper networks: depth and the weights' draw as the results' attributes."""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.sweeps.config import SweepConfig

KW = dict(runs=3, epochs=150, workers=1, progress=False, engine="numpy")


def test_a_deep_sweep_replays_and_trains_as_its_runs_alone():
    ds = xs.sweep([0.5, 2.0], hidden=[3, 4], depth=3, data="parity3", weights="orthogonal", **KW)
    assert ds.attrs["depth"] == 3 and ds.attrs["weights"] == "orthogonal"
    pop = xs.replay(ds.sel(hidden=4), [0, 1, 2], hidden_std=2.0)
    assert pop.hidden == (4, 4, 4) and pop.n_in == 3
    for w, _ in pop.layers[:-1]:  # orthogonal at the hidden std: W.T W = (std^2 max(m, n)) I
        m, n = w.shape[1:]
        gram = np.swapaxes(w, 1, 2) @ w if m >= n else w @ np.swapaxes(w, 1, 2)
        want = np.broadcast_to(4.0 * max(m, n) * np.eye(min(m, n)), gram.shape)
        np.testing.assert_allclose(gram, want, rtol=0, atol=1e-12 * 4.0 * max(m, n))
    alone = xs.train(pop, 150, data="parity3", engine="numpy")
    got = ds.total_loss.sel(hidden=4, hidden_std=2.0).values
    np.testing.assert_array_equal(alone.total_loss.values, got)


def test_depth_shares_the_normals_of_the_first_layer_with_depth_one():
    """Every architecture draws from the run's one stream: the first hidden layer's normals
    are the same at every depth (as they are at every width)."""
    shallow = xs.sweep([1.0], hidden=3, **KW)
    deep = xs.sweep([1.0], hidden=3, depth=2, **KW)
    a = xs.replay(shallow, [0, 1], hidden_std=1.0)
    b = xs.replay(deep, [0, 1], hidden_std=1.0)
    assert np.array_equal(a.hidden_weights, b.hidden_weights)
    assert not np.array_equal(shallow.total_loss.values, deep.total_loss.values)


def test_a_deep_store_resumes_and_refuses_another_depth(tmp_path):
    path = tmp_path / "deep.zarr"
    first = xs.sweep([1.0, 2.0], hidden=2, depth=2, store=path, **{**KW, "runs": 2})
    more = xs.sweep([1.0, 2.0], hidden=2, depth=2, store=path, **{**KW, "runs": 4})
    assert more.attrs["depth"] == 2 and more.sizes["run"] == 4
    np.testing.assert_array_equal(more.total_loss.isel(run=[0, 1]), first.total_loss)
    assert SweepConfig.from_attrs(dict(more.attrs), more.hidden_std.values).depth == 2
    with pytest.raises(ValueError, match="depth"):
        xs.sweep([1.0, 2.0], hidden=2, depth=3, store=path, **KW)


def test_default_sweeps_record_no_new_attributes():
    ds = xs.sweep([1.0], **{**KW, "epochs": 5})
    assert "depth" not in ds.attrs and "weights" not in ds.attrs


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(depth=0), r"^depth must be an integer from 1 to 16, got 0$"),
        (dict(depth=17), r"^depth must be an integer from 1 to 16, got 17$"),
        (dict(weights="uniform"), r"^weights must be one of 'normal', 'orthogonal'"),
    ],
)
def test_bad_architecture_arguments_write_nothing(tmp_path, kwargs, match):
    path = tmp_path / "never.zarr"
    with pytest.raises(ValueError, match=match):
        xs.sweep([1.0], store=path, **KW, **kwargs)
    assert not path.exists()
