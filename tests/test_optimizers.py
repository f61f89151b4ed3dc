"""ReLU and the optimisers: both engines against each other and against a textbook loop here."""

from pathlib import Path

import numpy as np
import pytest

import xorsweep as xs
from xorsweep.training.optimizers import OPTIMIZERS
from xorsweep.training.settings import TrainingSettings
from xorsweep.training.trainer import train_arrays

PARAMS = ("hidden_weights", "hidden_bias", "output_weights", "output_bias")
DATA = Path(__file__).parent / "data"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


_HIDDEN = {
    "sigmoid": (_sigmoid, lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda a: (a > 0.0) * 1.0),
}


def textbook(params, epochs, lr, activation="sigmoid", optimizer="gd", hyper=None):
    """One network, textbook backprop (every gradient at the same parameters), then the
    optimiser's step written from PyTorch's documentation."""
    f, slope = _HIDDEN[activation]
    x, y, hyper = xs.xor().inputs, xs.xor().targets, hyper or {}
    p = [np.array(a, dtype=float) for a in params]
    first, second = [np.zeros_like(a) for a in p], [np.zeros_like(a) for a in p]
    mu, (b1, b2) = hyper.get("momentum", 0.9), hyper.get("betas", (0.9, 0.999))
    alpha, eps = hyper.get("alpha", 0.99), hyper.get("eps", 1e-8)
    for t in range(1, epochs + 1):
        w_h, b_h, w_o, b_o = p
        h = f(x @ w_h + b_h)
        d = _sigmoid(h @ w_o + b_o) - y
        d_h = (d @ w_o.T) * slope(h)
        grads = [x.T @ d_h, d_h.sum(0, keepdims=True), h.T @ d, d.sum(0, keepdims=True)]
        for k, g in enumerate(grads):
            m, v = first[k], second[k]
            if optimizer == "gd":
                p[k] = p[k] - lr * g
            elif optimizer in ("momentum", "nesterov"):
                m[...] = mu * m + g  # PyTorch's buffer: g at the first step
                p[k] = p[k] - lr * (m if optimizer == "momentum" else g + mu * m)
            elif optimizer == "adam":
                m[...] = b1 * m + (1 - b1) * g
                v[...] = b2 * v + (1 - b2) * g * g
                m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
                p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            else:  # rmsprop
                v[...] = alpha * v + (1 - alpha) * g * g
                p[k] = p[k] - lr * g / (np.sqrt(v) + eps)
    return p


# Rates at which training is not chaotic within 1,000 epochs: rmsprop divides by the RMS of
# recent gradients, so near a minimum its steps stay of size lr and bounce, and there
# rounding differences grow until two correct programs part (at lr 0.01 by 1e-4 after
# 1,000 epochs); at 1e-3 these networks are still descending.
POP = xs.init_population(6, np.linspace(0.6, 1.6, 6), hidden=3, seed=11)
RATES = {"gd": 0.1, "momentum": 0.1, "nesterov": 0.1, "adam": 0.01, "rmsprop": 0.001}


def _close(a, b, what):
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=what)


# The numba kernel is compiled for each optimiser and activation: each optimiser with one of
# the two activations, each activation with gd and two others, the pairs that test_fused_deep
# compiles too (a new optimiser: with the sigmoid).
_RELU = ("gd", "momentum", "adam")
PAIRS = [(o, "sigmoid") for o in OPTIMIZERS if o not in _RELU[1:]] + [(o, "relu") for o in _RELU]


@pytest.mark.parametrize(("optimizer", "activation"), PAIRS)
def test_engines_and_textbook_agree_over_1000_epochs(optimizer, activation):
    lr, options = RATES[optimizer], dict(optimizer=optimizer, activation=activation)
    runs = {}
    for update in xs.UPDATES:
        for engine in ("numpy", "numba"):
            options.update(update=update, engine=engine)
            runs[update, engine] = train_arrays(POP, 1000, lr, **options)
        for name in (*PARAMS, "total_loss", "final_loss"):
            _close(runs[update, "numba"][name], runs[update, "numpy"][name], f"{update} {name}")
    for r in range(POP.runs):
        want = textbook([POP.parameters()[n][r] for n in PARAMS], 1000, lr, activation, optimizer)
        for name, value in zip(PARAMS, want, strict=True):
            for engine in ("numpy", "numba"):
                _close(runs["simultaneous", engine][name][r], value, f"{engine} {name} run {r}")


def test_the_optimisers_differ_and_descend():
    start = train_arrays(POP, 0, engine="numpy")["final_loss"]
    final = {
        o: train_arrays(POP, 1000, 0.01, optimizer=o, engine="numpy")["final_loss"]
        for o in OPTIMIZERS
    }
    for o in OPTIMIZERS:
        assert np.mean(final[o]) < np.mean(start) - 0.01, o
        if o != "gd":
            assert not np.allclose(final[o], final["gd"], rtol=1e-3), o


def test_hyper_parameters_are_used():
    pop = POP[:2]
    hyper, kw = {"betas": (0.8, 0.99), "eps": 1e-6}, dict(activation="relu")  # a shape compiled
    ds = xs.train(  # by test_engines_and_textbook_agree_over_1000_epochs
        pop, 300, 0.01, optimizer="adam", optimizer_params=hyper, update="simultaneous", **kw
    )
    want = textbook([pop.parameters()[n][0] for n in PARAMS], 300, 0.01, "relu", "adam", hyper)
    np.testing.assert_allclose(ds.hidden_weights.values[0], want[0], rtol=1e-10)
    assert ds.attrs["optimizer"] == "adam" and '"eps": 1e-06' in ds.attrs["optimizer_params"]
    # momentum 0 is gradient descent
    gd = train_arrays(pop, 300, 0.3, engine="numpy", **kw)
    kw.update(optimizer="momentum", optimizer_params={"momentum": 0.0})
    still = train_arrays(pop, 300, 0.3, **kw)
    np.testing.assert_allclose(still["total_loss"], gd["total_loss"], rtol=1e-12)


def test_settings_value_equals_the_keywords():
    settings = TrainingSettings(400, 0.05, "simultaneous", "relu", optimizer="momentum")
    by_value = xs.train(POP, settings=settings, engine="numba")  # keywords are ignored
    by_keywords = xs.train(
        POP, 400, 0.05, update="simultaneous", activation="relu", optimizer="momentum"
    )
    assert by_value.total_loss.equals(by_keywords.total_loss)
    assert settings == TrainingSettings(400, 0.05, "simultaneous", "relu", optimizer="momentum")


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_a_state_trains_on_with_the_optimisers_state(engine):
    kw = dict(optimizer="adam", activation="relu", engine=engine)  # a shape compiled above
    whole = xs.train(POP, 700, 0.01, **kw)
    state = xs.TrainingState.start(POP, 0.01, **kw)
    _, state = xs.train_on(state, 333)
    part, _ = xs.train_on(state, 700)
    assert part.total_loss.equals(whole.total_loss)
    assert part.hidden_weights.equals(whole.hidden_weights)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_gd_sweep_is_bit_identical_to_before_the_tables(engine):
    """Saved with the code before activations and optimisers were tables: NumPy's bit for
    bit; numba's to 1e-13 relative, its 2-2-1 epoch since computed in registers with grouped
    reciprocals (within 4 ulp of a division each, ``_fused_small``)."""
    update = "article" if engine == "numpy" else "simultaneous"
    ds = xs.sweep(
        [0.5, 1.0, 2.0], runs=6, epochs=300, hidden=[2, 3], activation=["sigmoid", "tanh"],
        update=update, workers=1, progress=False, engine=engine,
    )  # fmt: skip
    saved = np.load(DATA / f"pre_optimizers_sweep_{engine}.npy")
    if engine == "numpy":
        np.testing.assert_array_equal(ds.total_loss.values, saved)
    else:
        np.testing.assert_allclose(ds.total_loss.values, saved, rtol=1e-13, atol=0)


def test_optimizer_is_a_sweep_axis():
    ds = xs.sweep(
        [1.0], runs=3, epochs=200, lr=0.05, optimizer=["gd", "momentum"], workers=1,
        progress=False, optimizer_params={"momentum": {"momentum": 0.5}},
    )  # fmt: skip
    assert ds.optimizer.values.tolist() == ["gd", "momentum"]
    pop = xs.replay(ds.sel(optimizer="momentum"), [0, 1, 2], hidden_std=1.0)
    alone = xs.train(pop, 200, 0.05, optimizer="momentum", optimizer_params={"momentum": 0.5})
    got = ds.total_loss.sel(hidden_std=1.0, optimizer="momentum").values
    np.testing.assert_array_equal(got, alone.total_loss.values)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"optimizer": "sgd"}, "optimizer must be one of 'gd', 'momentum', 'nesterov', 'adam'"),
        ({"lr": -0.1}, "lr must be"),
        ({"optimizer": "adam", "optimizer_params": {"betas": (0.9, 1.5)}}, "betas"),
        ({"optimizer": "adam", "optimizer_params": {"beta": 0.9}}, "takes 'betas', 'eps'"),
        ({"optimizer": "rmsprop", "optimizer_params": {"eps": 0.0}}, "eps"),
        ({"activation": "gelu"}, "activation must be one of 'sigmoid', 'tanh', 'relu'"),
    ],
)
def test_bad_input_is_one_clear_line(kwargs, words):
    args = {"lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=words) as err:
        xs.train(POP[:1], 10, args.pop("lr"), **args, engine="numpy")
    assert "\n" not in str(err.value)


def test_relu_gains_and_slope():
    from xorsweep.model import activations, initialization

    assert activations.gain("relu") == activations.torch_gain("relu") == np.sqrt(2.0)
    z = np.array([-1.0, 0.0, 2.0])
    assert activations.slope("relu", activations.activate("relu", z)).tolist() == [0, 0, 1]
    rules = initialization.init_rules(2, 2, "relu")
    assert rules["glorot_torch_gain"] == pytest.approx(np.sqrt(2.0) * np.sqrt(0.5))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_end_states_gradient_reads_the_activation_table(activation):
    """One simultaneous gd step of train is ``parameters - lr * gradient``."""
    from xorsweep.analysis.end_states import gradient

    grads = gradient(POP, activation=activation)
    one = train_arrays(POP, 1, 0.1, update="simultaneous", activation=activation, engine="numpy")
    for name in PARAMS:
        want = getattr(POP, name) - 0.1 * grads[name]
        np.testing.assert_allclose(one[name], want, rtol=1e-12, atol=1e-15)


def test_the_command_line_sweeps_over_optimizers(tmp_path):
    from xorsweep import cli

    store = tmp_path / "r.zarr"
    tiny = ["--points", "2", "--epochs", "40", "--runs", "2", "--lr", "0.05"]
    quiet = ["--workers", "1", "--no-progress", "--engine", "numpy"]
    args = ["sweep", "--store", str(store), *tiny, *quiet, "--optimizer", "gd,rmsprop"]
    assert cli.main(args) == 0
    ds = xs.open_results(store)
    assert ds.optimizer.values.tolist() == ["gd", "rmsprop"]
    pop = xs.replay(ds.sel(optimizer="rmsprop"), [0, 1], hidden_std=float(ds.hidden_std[0]))
    alone = xs.train(pop, 40, 0.05, optimizer="rmsprop", engine="numpy")
    got = ds.total_loss.sel(optimizer="rmsprop").isel(hidden_std=0).values
    np.testing.assert_array_equal(got, alone.total_loss.values)


def test_a_store_records_the_optimisers_and_resumes_only_with_them(tmp_path):
    kw = dict(epochs=50, lr=0.05, optimizer=["gd", "adam"], workers=1, progress=False)
    kw.update(optimizer_params={"adam": {"betas": (0.8, 0.99)}}, store=tmp_path / "r.zarr")
    first = xs.sweep([0.5, 1.0], runs=2, **kw)
    more = xs.sweep([0.5, 1.0], runs=4, **kw)
    assert more.total_loss.isel(run=slice(0, 2)).equals(first.total_loss)
    kw["optimizer_params"] = {"adam": {"betas": (0.9, 0.99)}}
    with pytest.raises(ValueError, match="optimizer_params is .* in the store but"):
        xs.sweep([0.5, 1.0], runs=4, **kw)
