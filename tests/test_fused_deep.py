"""The deep fused kernel against an independent one-network loop and, at depth 1, the engines."""

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.training.fused_deep import _SMALL, LANES, _aligned, train_deep
from xorsweep.training.settings import TrainingSettings
from xorsweep.training.trainer import train_arrays

RTOL = 1e-10
EPOCHS = 1000


# --- the reference: one network at a time, plain NumPy, written from the equations -------------


def _sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


# each hidden activation f and its derivative f'(z) written with a = f(z)
ACTIVATION = {
    "sigmoid": (_sigmoid, lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0.0).astype(float)),
}


def _optimizer_step(name, w, g, state, lr, t, hyper):
    """One step of ``w`` from gradient ``g`` in PyTorch's formulas; ``state``: a dict of this
    parameter's moments, ``hyper`` the hyper-parameters by name, ``t`` the step from 1."""
    if name == "gd":
        return w - lr * g
    if name in ("momentum", "nesterov"):
        mu = hyper["momentum"]
        v = mu * state.get("v", 0.0) + g
        state["v"] = v
        return w - lr * (v if name == "momentum" else g + mu * v)
    if name == "adam":
        (b1, b2), eps = hyper["betas"], hyper["eps"]
        m = b1 * state.get("m", 0.0) + (1 - b1) * g
        v = b2 * state.get("v", 0.0) + (1 - b2) * g * g
        state["m"], state["v"] = m, v
        return w - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)
    alpha, eps = hyper["alpha"], hyper["eps"]  # rmsprop
    v = alpha * state.get("v", 0.0) + (1 - alpha) * g * g
    state["v"] = v
    return w - lr * g / (np.sqrt(v) + eps)


def reference(ws, bs, x, y, epochs, lr, settings):
    """Train one network (``ws[l]`` (n_l, n_{l+1}), ``bs[l]`` (1, n_{l+1})) by backprop."""
    f, slope = ACTIVATION[settings.activation]
    ws, bs = [w.copy() for w in ws], [b.copy() for b in bs]
    scale = 1.0 if settings.gradient == "sum" else 1.0 / y.size
    states, hyper = [({}, {}) for _ in ws], settings.hyper
    total, last_wrong = 0.0, -1

    def forward():
        acts = [x]
        for w, b in zip(ws[:-1], bs[:-1], strict=True):
            acts.append(f(acts[-1] @ w + b))
        z = acts[-1] @ ws[-1] + bs[-1]
        p = np.clip(_sigmoid(np.where(y == 1, z, -z)), 1e-15, 1 - 1e-15)
        return acts, _sigmoid(z), p

    for epoch in range(epochs):
        acts, y_hat, p = forward()
        total += np.mean(-np.log(p))
        last_wrong = epoch if np.any(p <= 0.5) else last_wrong
        d = scale * (y_hat - y)
        grads = []
        for k in range(len(ws) - 1, -1, -1):
            g_w, g_b = acts[k].T @ d, d.sum(0, keepdims=True)
            if settings.update == "article":  # this layer first, the ones below see it
                ws[k] = _optimizer_step(
                    settings.optimizer, ws[k], g_w, states[k][0], lr, epoch + 1, hyper
                )
                bs[k] = _optimizer_step(
                    settings.optimizer, bs[k], g_b, states[k][1], lr, epoch + 1, hyper
                )
            else:
                grads.append((k, g_w, g_b))
            d = (d @ ws[k].T) * slope(acts[k])
        for k, g_w, g_b in grads:
            ws[k] = _optimizer_step(
                settings.optimizer, ws[k], g_w, states[k][0], lr, epoch + 1, hyper
            )
            bs[k] = _optimizer_step(
                settings.optimizer, bs[k], g_b, states[k][1], lr, epoch + 1, hyper
            )
    _, y_hat, p = forward()
    last_wrong = epochs if np.any(p <= 0.5) else last_wrong
    return {
        "total_loss": total,
        "final_loss": np.mean(-np.log(p)),
        "converged_epoch": np.nan if last_wrong == epochs else last_wrong + 1.0,
        "predictions": y_hat,
        "weights": ws,
        "biases": bs,
    }


# --- helpers ----------------------------------------------------------------------------------


def population(runs, sizes, gain=1.0, seed=0):
    """Weights and biases of ``runs`` networks, std ``gain / sqrt(fan-in)``."""
    rng = np.random.default_rng(seed)
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    ws = [rng.normal(0, gain / np.sqrt(a), (runs, a, b)) for a, b in pairs]
    bs = [rng.normal(0, gain / np.sqrt(a), (runs, 1, b)) for a, b in pairs]
    return ws, bs


def layers(pop):
    """A one-hidden-layer Population as train_deep's lists of weights and biases."""
    p = pop.parameters()
    return [p["hidden_weights"], p["output_weights"]], [p["hidden_bias"], p["output_bias"]]


def rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def param_err(ours, theirs):
    """Largest parameter error of any run, relative to that run's largest parameter."""
    flat = [np.concatenate([p.reshape(p.shape[0], -1) for p in (*r["weights"], *r["biases"])], 1)
            for r in (ours, theirs)]  # fmt: skip
    return float(np.max(np.abs(flat[0] - flat[1]).max(1) / np.abs(flat[1]).max(1)))


def assert_agrees(ours, theirs):
    assert rel_err(ours["total_loss"], theirs["total_loss"]) < RTOL
    assert rel_err(ours["final_loss"], theirs["final_loss"]) < RTOL
    assert param_err(ours, theirs) < RTOL
    np.testing.assert_allclose(ours["predictions"], theirs["predictions"], rtol=1e-9, atol=1e-300)
    np.testing.assert_array_equal(ours["converged_epoch"], theirs["converged_epoch"])


def check_against_reference(sizes, data, settings, runs=3, gain=1.5, lr=0.05):
    """Train ``runs`` networks of layer ``sizes`` with both and compare them."""
    ws, bs = population(runs, sizes, gain)
    rates = lr * (1.0 + np.arange(runs) / runs)  # one learning rate per run
    ours = train_deep(ws, bs, data.inputs, data.targets, EPOCHS, rates, settings)
    refs = [
        reference([w[r] for w in ws], [b[r] for b in bs], data.inputs, data.targets, EPOCHS,
                  rates[r], settings)
        for r in range(runs)
    ]  # fmt: skip
    theirs = {k: np.array([ref[k] for ref in refs]) for k in ("total_loss", "final_loss",
              "converged_epoch", "predictions")}  # fmt: skip
    for key in ("weights", "biases"):
        theirs[key] = [np.stack([ref[key][k] for ref in refs]) for k in range(len(ws))]
    assert_agrees(ours, theirs)
    return ours


# --- against the reference ------------------------------------------------------------------


@pytest.mark.parametrize("update", ["article", "simultaneous"])
@pytest.mark.parametrize(
    ("depth", "width", "data"),
    [(2, 64, "xor"), (3, 4, "parity3"), (8, 1, "xor"), (8, 4, "parity5"), (2, 4, "xor")],
)
def test_depths_and_widths_agree_with_reference(depth, width, data, update):
    table = xs.truth_table(data)
    sizes = [table.n_in, *[width] * depth, 1]
    settings = TrainingSettings(EPOCHS, update=update)
    ours = check_against_reference(sizes, table, settings)
    assert np.all(np.isfinite(ours["total_loss"]))
    assert ours["total_loss"].max() > ours["total_loss"].min()  # the runs differ


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam", "rmsprop"])
@pytest.mark.parametrize("update", ["article", "simultaneous"])
def test_optimizers_agree_with_reference(optimizer, update):
    # RMSprop's step g / sqrt(v) is ill-conditioned where g is near 0: over 1,000 epochs the
    # reference moves by 1e-6 when its weights move by 1e-15, unless eps is large
    params = {"eps": 0.1} if optimizer == "rmsprop" else {}
    settings = TrainingSettings(
        EPOCHS, update=update, optimizer=optimizer, gradient="mean", optimizer_params=params
    )
    check_against_reference([3, 4, 4, 4, 1], xs.truth_table("parity3"), settings, lr=0.05)


# layers on both sides of _SMALL: the wide ones stepped in one pass over their rows, the
# small ones sample by sample
MIXED = [3, 2 * int(_SMALL**0.5) + 1, 2 * int(_SMALL**0.5) + 1, 1]


def test_the_mixed_shape_has_small_and_wide_layers():
    rows = [a * b for a, b in zip(MIXED[:-1], MIXED[1:], strict=False)]
    assert min(rows) <= _SMALL < max(rows) and sum(r > _SMALL for r in rows) >= 2


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam", "rmsprop"])
@pytest.mark.parametrize("update", ["article", "simultaneous"])
def test_optimizers_agree_with_reference_in_wide_layers(optimizer, update):
    params = {"eps": 0.1} if optimizer == "rmsprop" else {}  # as in test_optimizers_agree...
    settings = TrainingSettings(
        EPOCHS, update=update, optimizer=optimizer, gradient="mean", optimizer_params=params
    )
    check_against_reference(MIXED, xs.truth_table("parity3"), settings, lr=0.05)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("update", ["article", "simultaneous"])
def test_activations_agree_with_reference_in_wide_layers(activation, update):
    settings = TrainingSettings(EPOCHS, update=update, activation=activation, gradient="mean")
    check_against_reference(MIXED, xs.truth_table("parity3"), settings, runs=4, lr=0.05)


@pytest.mark.parametrize("samples", [3, 7])
def test_samples_not_a_multiple_of_four_agree_with_reference(samples):
    # the wide layers take four samples a pass, then the rest one by one
    table = xs.truth_table("parity3")
    part = xs.TruthTable(table.inputs[:samples], table.targets[:samples], "part")
    check_against_reference(MIXED, part, TrainingSettings(EPOCHS, activation="tanh"))


def test_the_kernels_arrays_start_on_cache_lines():
    for shape in [(5, 3, LANES), (7, LANES), (1, 4, LANES), (2, 0, LANES)]:
        a = _aligned(shape)
        assert a.shape == shape and not a.any()
        assert a.size == 0 or a.ctypes.data % 64 == 0


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("update", ["article", "simultaneous"])
def test_activations_agree_with_reference(activation, update):
    settings = TrainingSettings(EPOCHS, update=update, activation=activation)
    check_against_reference([2, 4, 4, 4, 1], xs.xor(), settings, runs=4, lr=0.02)


def test_several_outputs_agree_with_reference():
    table = xs.xor()
    both = np.hstack([table.targets, table.inputs[:, :1] * table.inputs[:, 1:]])  # xor, and
    data = xs.TruthTable(table.inputs, both, "xor-and")
    check_against_reference([2, 4, 4, 2], data, TrainingSettings(EPOCHS, activation="tanh"))


def test_the_update_orders_differ():
    ws, bs = population(4, [2, 4, 4, 1], 2.0)
    x, y, rates = xs.xor().inputs, xs.xor().targets, np.full(4, 0.5)
    res = [train_deep(ws, bs, x, y, 100, rates, TrainingSettings(update=u))
           for u in ("article", "simultaneous")]  # fmt: skip
    assert rel_err(res[0]["total_loss"], res[1]["total_loss"]) > 1e-6


# --- one hidden layer: today's engines ------------------------------------------------------


# shapes, activations and optimisers the numba engine's own tests compile too (its kernel is
# compiled for each): test_fused.py and test_optimizers.py
@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize(
    ("optimizer", "activation", "update", "gradient", "data", "hidden", "lr"),
    [
        ("gd", "sigmoid", "article", "sum", "xor", 2, 0.5),
        ("gd", "sigmoid", "simultaneous", "sum", "parity3", 4, 0.2),
        ("gd", "tanh", "article", "mean", "parity3", 12, 0.5),
        ("gd", "sigmoid", "simultaneous", "mean", "parity5", 3, 0.5),
        ("momentum", "relu", "article", "sum", "xor", 3, 0.01),
        ("nesterov", "sigmoid", "simultaneous", "mean", "xor", 3, 0.1),
        ("adam", "relu", "article", "sum", "xor", 3, 0.01),
        ("rmsprop", "sigmoid", "simultaneous", "sum", "xor", 3, 0.01),
    ],
)
def test_one_hidden_layer_matches_the_engines(
    engine, optimizer, activation, update, gradient, data, hidden, lr
):
    table, runs = xs.truth_table(data), 70  # two chunks of lanes, the second one partial
    pop = xs.init_population(runs, 1.5, 1.5, hidden=hidden, n_in=table.n_in, seed=1)
    rates = np.linspace(0.2, 1.0, runs) * lr
    params = {"eps": 0.1} if optimizer == "rmsprop" else {}  # see test_optimizers_agree...
    options = dict(update=update, activation=activation, gradient=gradient, optimizer=optimizer)
    options["optimizer_params"] = params
    theirs = train_arrays(pop, EPOCHS, rates, data=table, engine=engine, **options)
    settings = TrainingSettings(EPOCHS, **options)
    ours = train_deep(*layers(pop), table.inputs, table.targets, EPOCHS, rates, settings)
    theirs["weights"] = [theirs["hidden_weights"], theirs["output_weights"]]
    theirs["biases"] = [theirs["hidden_bias"], theirs["output_bias"]]
    assert_agrees(ours, theirs)


def test_one_wide_hidden_layer_matches_the_numpy_engine():
    table, runs = xs.truth_table("parity3"), 20
    pop = xs.init_population(runs, 1.5, 1.5, hidden=64, n_in=3, seed=1)
    rates = np.linspace(0.002, 0.01, runs)
    options = dict(optimizer="adam", gradient="mean", activation="tanh")
    theirs = train_arrays(pop, EPOCHS, rates, data=table, engine="numpy", **options)
    settings = TrainingSettings(EPOCHS, **options)
    ours = train_deep(*layers(pop), table.inputs, table.targets, EPOCHS, rates, settings)
    theirs["weights"] = [theirs["hidden_weights"], theirs["output_weights"]]
    theirs["biases"] = [theirs["hidden_bias"], theirs["output_bias"]]
    assert_agrees(ours, theirs)


def test_one_hidden_layer_converges_as_the_engines_do():
    """The article's case, where some runs converge and some do not."""
    pop = xs.init_population(200, 1.0, seed=2)
    theirs = train_arrays(pop, 2000, engine="numpy")
    x, y = xs.xor().inputs, xs.xor().targets
    ours = train_deep(*layers(pop), x, y, 2000, np.full(200, 0.1), TrainingSettings())
    np.testing.assert_array_equal(ours["converged_epoch"], theirs["converged_epoch"])
    assert 0 < np.isnan(ours["converged_epoch"]).sum() < 200
    assert rel_err(ours["total_loss"], theirs["total_loss"]) < RTOL


# --- the population ---------------------------------------------------------------------------


def test_a_run_does_not_depend_on_the_others():
    runs = LANES + 9
    ws, bs = population(runs, [3, 5, 5, 1], 1.5, seed=3)
    table, rates = xs.truth_table("parity3"), np.linspace(0.1, 1.0, runs)
    settings = TrainingSettings(optimizer="adam")
    together = train_deep(ws, bs, table.inputs, table.targets, 300, rates, settings)
    picked = [2, LANES + 4]
    alone = train_deep([w[picked] for w in ws], [b[picked] for b in bs], table.inputs,
                       table.targets, 300, rates[picked], settings)  # fmt: skip
    for key in ("total_loss", "final_loss", "converged_epoch", "predictions"):
        np.testing.assert_array_equal(together[key][picked], alone[key])
    for k in range(3):
        np.testing.assert_array_equal(together["weights"][k][picked], alone["weights"][k])


def test_inputs_are_not_modified_and_zero_epochs_score_the_initial_networks():
    ws, bs = population(5, [2, 3, 3, 1])
    kept = [w.copy() for w in ws]
    res = train_deep(ws, bs, xs.xor().inputs, xs.xor().targets, 0, np.ones(5), TrainingSettings())
    for w, k, t in zip(ws, kept, res["weights"], strict=True):
        np.testing.assert_array_equal(w, k)
        np.testing.assert_array_equal(t, k)
    np.testing.assert_array_equal(res["total_loss"], 0.0)
    assert np.all(res["final_loss"] > 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(weights=a["weights"][:1], biases=a["biases"][:1]), "weights must be"),
        (lambda a: a.update(biases=a["biases"][:1]), "biases must be a list of 2"),
        (lambda a: a["weights"].__setitem__(1, np.zeros((4, 5, 1))), r"weights\[1\] must"),
        (lambda a: a["biases"].__setitem__(0, np.zeros((4, 3))), r"biases\[0\] must"),
        (lambda a: a.update(y=np.full((4, 1), 0.5)), "y must be"),
        (lambda a: a.update(y=np.zeros((4, 2))), "output layer has 1 units"),
        (lambda a: a.update(x=np.zeros((4, 3))), r"weights\[0\] must"),
        (lambda a: a.update(rates=np.array([0.1, 0.1, 0.1, -1.0])), "rates must be"),
        (lambda a: a.update(rates=np.full(3, 0.1)), r"weights\[0\] must have shape \(run=3"),
        (lambda a: a.update(rates=np.ones(0)), "rates must be"),
        (lambda a: a["biases"].__setitem__(1, np.full((4, 1, 1), np.nan)), "must be finite"),
        (lambda a: a.update(epochs=-1), "epochs must be"),
        (lambda a: a.update(settings={"update": "article"}), "settings must be"),
    ],
)
def test_bad_input_is_one_clear_line(change, message):
    ws, bs = population(4, [2, 3, 1])
    args = dict(weights=ws, biases=bs, x=xs.xor().inputs, y=xs.xor().targets, epochs=10,
                rates=np.full(4, 0.1), settings=TrainingSettings())  # fmt: skip
    change(args)
    with pytest.raises(ValueError, match=message):
        train_deep(**args)
