"""Networks of several hidden layers: the NumPy engine against a plain one-network loop."""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.model.network import parameter_names
from xorsweep.training import engines
from xorsweep.training.trainer import train_arrays

RTOL = 1e-10
CLIP = 1e-15
EPOCHS = 1000
LRS = {"gd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adam": 0.01, "rmsprop": 0.0003}
HYPER = {
    "gd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adam": {"betas": (0.9, 0.999), "eps": 1e-8},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8},
}
FUNCTIONS = {
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0.0).astype(float)),
}


def _step(optimizer, theta, g, state, lr, t):
    """One optimiser step on ``theta`` in place (PyTorch's formulas, written out)."""
    h = HYPER[optimizer]
    if optimizer == "gd":
        theta -= lr * g
    elif optimizer in ("momentum", "nesterov"):
        state["v"] = h["momentum"] * state.get("v", 0.0) + g
        d = state["v"] if optimizer == "momentum" else g + h["momentum"] * state["v"]
        theta -= lr * d
    elif optimizer == "adam":
        b1, b2 = h["betas"]
        state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
        m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2**t)
        theta -= lr * m_hat / (np.sqrt(v_hat) + h["eps"])
    else:
        state["v"] = h["alpha"] * state.get("v", 0.0) + (1 - h["alpha"]) * g * g
        theta -= lr * g / (np.sqrt(state["v"]) + h["eps"])


def reference_loop(layers, x, y, epochs, lr, activation, optimizer, gradient, update):
    """One network, textbook backpropagation: ``layers`` a list of (W (n, k), b (k,)).

    ``update="article"`` steps each layer as soon as its gradient is known and
    takes the error of the layer below through the stepped weights.
    """
    f, fprime = FUNCTIONS[activation]
    params = [[w.copy(), b.copy()] for w, b in layers]
    states = [[{}, {}] for _ in layers]
    scale = 1.0 if gradient == "sum" else 1.0 / y.size
    sign = 2.0 * y - 1.0
    total, wrong = 0.0, []

    def forward():
        acts = [x]
        for w, b in params[:-1]:
            acts.append(f(acts[-1] @ w + b))
        z = acts[-1] @ params[-1][0] + params[-1][1]
        p = np.clip(1.0 / (1.0 + np.exp(-sign * z)), CLIP, 1 - CLIP)  # of the right target
        return acts, z, p

    for epoch in range(epochs + 1):
        acts, z, p = forward()
        wrong.append(bool(np.min(p) <= 0.5))
        if epoch == epochs:
            break
        total += -np.mean(np.log(p))
        delta = (1.0 / (1.0 + np.exp(-z)) - y) * scale
        steps = []
        for k in range(len(params) - 1, -1, -1):
            grads = (acts[k].T @ delta, delta.sum(axis=0))
            steps.append((k, grads))
            if update == "article":
                for j in (0, 1):
                    _step(optimizer, params[k][j], grads[j], states[k][j], lr, epoch + 1)
            if k:
                delta = (delta @ params[k][0].T) * fprime(acts[k])
        if update == "simultaneous":
            for k, grads in steps:
                for j in (0, 1):
                    _step(optimizer, params[k][j], grads[j], states[k][j], lr, epoch + 1)
    last_wrong = max((e for e, w in enumerate(wrong) if w), default=-1)
    converged = np.nan if wrong[-1] else float(last_wrong + 1)
    return {"total_loss": total, "final_loss": -np.mean(np.log(p)),
            "converged_epoch": converged, "params": params}  # fmt: skip


def assert_matches(pop, table, optimizer="gd", activation="sigmoid", gradient="mean",
                   update="simultaneous", epochs=EPOCHS, factor=1.0):  # fmt: skip
    lr = LRS[optimizer] * factor
    ds = xs.train(pop, epochs, lr, data=table, engine="numpy", optimizer=optimizer,
                  activation=activation, gradient=gradient, update=update)  # fmt: skip
    data = xs.truth_table(table)
    names = parameter_names(pop.depth)
    for run in range(pop.runs):
        layers = [(w[run], b[run, 0]) for w, b in pop.layers]
        ref = reference_loop(layers, data.inputs, data.targets, epochs, lr, activation,
                             optimizer, gradient, update)  # fmt: skip
        for key in ("total_loss", "final_loss"):
            got = float(ds[key].values[run])
            assert abs(got - ref[key]) <= RTOL * abs(ref[key]), (key, run, got, ref[key])
        np.testing.assert_array_equal(ds.converged_epoch.values[run], ref["converged_epoch"])
        flat = [a for pair in ref["params"] for a in pair]
        scale = max(np.max(np.abs(a)) for a in flat)
        for name, want in zip(names, flat, strict=True):
            got = ds[name].values[run].reshape(want.shape)
            assert np.max(np.abs(got - want)) <= RTOL * scale, (name, run)
    return ds


# Rates at which training is not chaotic within 1,000 epochs (as in test_optimizers: where
# steps bounce around a minimum, rounding differences grow until two correct programs part)
# (hidden, data, activation, weights, factor of the rate): depths 2, 3 and 8, widths 1, 4
# and 64, parity3 and parity5
CASES = [
    ((4, 4), "parity3", "sigmoid", "normal", 1.0),
    ((1, 4, 1), "xor", "tanh", "orthogonal", 1.0),
    ((4,) * 8, "parity3", "relu", "orthogonal", 1.0),
    ((64, 64), "parity5", "relu", "normal", 0.2),
    ((3, 64, 4), "parity5", "relu", "normal", 1.0),
]


@pytest.mark.parametrize("optimizer", list(LRS))
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_deep_networks_match_the_reference_loop(case, optimizer):
    hidden, table, activation, weights, factor = case
    n_in = xs.truth_table(table).n_in
    pop = xs.init_population(2, rule="glorot", gain=1.5, weights=weights, hidden=hidden,
                             n_in=n_in, seed=len(hidden) + n_in)  # fmt: skip
    ds = assert_matches(pop, table, optimizer, activation, factor=factor)
    assert ds.attrs["engine"] == "numpy" and ds.hidden2_weights.dims[1:] == ("unit", "unit2")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_the_article_order_extends_downwards(activation, optimizer):
    pop = xs.init_population(3, rule="glorot", gain=2.0, hidden=(3, 4, 2), n_in=3, seed=5)
    assert_matches(pop, "parity3", optimizer, activation, update="article")


def test_mean_gradient_and_zero_biases_at_depth():
    pop = xs.init_population(3, rule="he", gain=2.0, hidden=(5, 5, 5), n_in=4, bias="zero",
                             seed=2)  # fmt: skip
    assert not any(b.any() for _, b in pop.layers)
    for update in ("article", "simultaneous"):
        assert_matches(pop, "parity4", "momentum", "tanh", gradient="sum", update=update,
                       factor=0.1)  # fmt: skip


def test_the_two_orders_differ_at_depth():
    pop = xs.init_population(2, hidden=(3, 3), n_in=2, seed=1)
    a = xs.train(pop, 200, 0.5, engine="numpy", update="article")
    b = xs.train(pop, 200, 0.5, engine="numpy", update="simultaneous")
    assert not np.allclose(a.hidden_weights, b.hidden_weights, rtol=1e-6, atol=0)


@pytest.mark.parametrize("optimizer", ["gd", "nesterov", "adam"])
@pytest.mark.parametrize("update", ["article", "simultaneous"])
def test_one_hidden_layer_trains_the_same_in_the_deep_epoch(optimizer, update, monkeypatch):
    """The deep epoch, run on one hidden layer, agrees with the tuned one."""
    from xorsweep.training import trainer

    pop = xs.init_population(4, 2.0, hidden=3, seed=3)
    kw = dict(engine="numpy", optimizer=optimizer, update=update)
    fast = train_arrays(pop, 500, 0.1, **kw)
    monkeypatch.setattr(trainer, "_deep_epoch", lambda blk: True)
    deep = train_arrays(pop, 500, 0.1, **kw)
    for key in ("total_loss", "final_loss", "hidden_weights", "output_weights"):
        np.testing.assert_allclose(deep[key], fast[key], rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(deep["converged_epoch"], fast["converged_epoch"])


def test_a_population_trained_together_equals_each_member_alone():
    pop = xs.init_population(5, 1.0, hidden=(4, 2), n_in=3, seed=4)
    together = xs.train(pop, 300, 0.2, data="parity3", engine="numpy", block_size=5)
    for run in (0, 3):
        alone = xs.train(pop[run], 300, 0.2, data="parity3", engine="numpy")
        assert alone.total_loss.values[0] == together.total_loss.values[run]
        assert np.array_equal(alone.hidden2_weights.values[0], together.hidden2_weights[run])


def test_deep_records_and_predictions():
    pop = xs.init_population(2, hidden=(3, 2), n_in=2, seed=0)
    ds = xs.train(pop, 20, engine="numpy", record_every=10)
    assert ds.hidden2_weights_history.dims == ("run", "epoch", "unit", "unit2")
    assert ds.epoch.values.tolist() == [0, 10]
    from xorsweep.training.trainer import predict

    trained = xs.Population.from_parameters(
        {
            name: ds[name].values.reshape(pop.runs, -1, ds[name].shape[-1])
            for name in parameter_names(2)
        }  # fmt: skip
    )
    np.testing.assert_allclose(
        predict(trained, xs.xor().inputs, "sigmoid")[:, :, 0], ds.predictions, rtol=1e-13
    )


def test_depth_one_draws_and_trains_as_before():
    """A width as an int or a one-element tuple is the article's network."""
    a = xs.init_population(4, 0.7, hidden=3, seed=9)
    b = xs.init_population(4, 0.7, hidden=(3,), seed=9)
    assert a == b and a.depth == 1 and a.inner == ()
    rng = np.random.default_rng(9)  # today's order: the four tensors, each a (runs, ...) block
    w = rng.standard_normal((4, 2, 3)) * 0.7
    assert np.array_equal(a.hidden_weights, w)


def test_parity_names_and_their_inputs():
    for bits in range(2, 7):
        table = xs.truth_table(f"parity{bits}")
        assert table.n_in == bits and table.samples == 2**bits
        assert np.array_equal(table.targets[:, 0], table.inputs.sum(axis=1) % 2)
    pop = xs.init_population(2, hidden=(4, 4), n_in=2, seed=0)
    with pytest.raises(ValueError, match=r"^data has 3 inputs .* have 2 and 1 \(data 'parity3'"):
        xs.train(pop, 10, data="parity3", engine="numpy")


def test_the_numba_engine_at_depth_when_its_kernel_is_missing(monkeypatch):
    monkeypatch.setattr(engines, "_deep_problem", lambda: "no numba kernel (for the test)")
    monkeypatch.setattr(engines, "_PROBLEMS", {})
    monkeypatch.setattr(engines, "_warned", False)
    pop = xs.init_population(2, hidden=(3, 3), seed=0)
    with pytest.raises(ValueError, match=r"^engine='numba' cannot run here \(no numba kernel"):
        xs.train(pop, 10, engine="numba")
    with pytest.warns(RuntimeWarning, match="trains with NumPy"):
        ds = xs.train(pop, 10, engine="auto")
    assert ds.attrs["engine"] == "numpy"


@pytest.mark.parametrize("optimizer", ["gd", "adam"])
def test_deep_training_stopped_and_continued_equals_training_in_one_go(optimizer):
    pop = xs.init_population(3, rule="glorot", gain=2.0, hidden=(3, 3, 3), n_in=3, seed=8)
    kw = dict(data="parity3", engine="numpy", optimizer=optimizer, lr=0.05)
    whole = xs.train(pop, 301, **kw)
    state = xs.TrainingState.start(pop, **kw)
    _, state = xs.train_on(state, 123)
    part, end = xs.train_on(state, 301)
    assert end.population.hidden == (3, 3, 3) and end.epoch == 301
    assert part.total_loss.equals(whole.total_loss)
    assert part.hidden3_weights.equals(whole.hidden3_weights)


def test_a_deep_training_state_trains_with_numpy():
    pop = xs.init_population(2, hidden=(3, 3), seed=0)
    assert xs.TrainingState.start(pop, engine="auto").engine == "numpy"
    with pytest.raises(ValueError, match=r"^engine='numba' trains networks of several hidden"):
        xs.TrainingState.start(pop, engine="numba")
