"""Figures say what their data are: the setting under the title, the axes, the rule marked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import plots
from xorsweep.model.network import glorot_std
from xorsweep.plots._labels import network, rule_marks, subtitle

STDS = np.geomspace(0.1, 10.0, 8)
EPOCHS = 300  # not the article's 10,000: the labels must say this one

_ARTICLE_GLOROT = r"$1/\sqrt{2} \approx 0.707$ (Glorot)"
_X_LABEL = r"initial std of the hidden layer $\sigma_h$ (dimensionless, log scale)"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def grid():
    """Results over (hidden_std, hidden, activation, run), trained briefly."""
    return xs.sweep(
        STDS,
        runs=6,
        epochs=EPOCHS,
        hidden=[2, 4],
        activation=["sigmoid", "tanh"],
        workers=1,
        progress=False,
    )


def _lines(ax) -> list[tuple[float, str]]:
    """(x, legend label) of each vertical line on ``ax``."""
    out = []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if x.size == 2 and x[0] == x[1]:
            out.append((float(x[0]), line.get_label()))
    return out


def _loss_vs_std(results: xr.Dataset):
    return plots.plot_loss_vs_std(xs.summarize(results))


def test_a_width_4_slice_names_width_4_and_marks_its_own_glorot(grid):
    ax = _loss_vs_std(grid.sel(hidden=4, activation="sigmoid"))
    main, below = ax.get_title().split("\n")
    assert main == "Total loss against the hidden layer's initial std"
    assert below == "XOR, width 4, sigmoid, output std 0.8165, lr 0.1, 300 epochs"
    assert ax.get_xlabel() == _X_LABEL
    assert ax.get_ylabel() == "mean total loss\n(nats summed over 300 epochs)"
    [(x, label)] = _lines(ax)
    assert x == pytest.approx(glorot_std(2, 4)) and x != pytest.approx(1 / np.sqrt(2))
    assert "width 4" in label and "0.577" in label and "sqrt{2}" not in label


def test_a_tanh_slice_names_tanh_in_every_figure_of_the_sweep(grid):
    part = grid.sel(hidden=2, activation="tanh")
    summary = xs.summarize(part)
    axes = [
        plots.plot_loss_vs_std(summary),
        plots.plot_failure_rate(summary)[0],
        plots.plot_converged_epoch(part),
    ]
    for ax in axes:
        assert ax.get_title().split("\n")[1].startswith("XOR, width 2, tanh, ")
        [(x, label)] = _lines(ax)
        assert x == pytest.approx(glorot_std(2, 2)) and "tanh" in label


def test_figure_9_marks_both_panels_and_figure_10_its_results(grid):
    part = grid.sel(hidden=4, activation="tanh")
    top, bottom = plots.plot_failure_rate(xs.summarize(part))
    assert [x for x, _ in _lines(bottom)] == [pytest.approx(glorot_std(2, 4))]
    assert [x for x, _ in _lines(top)] == [pytest.approx(glorot_std(2, 4))]
    assert bottom.get_xlabel() == _X_LABEL
    ax = plots.plot_converged_epoch(part)
    assert "width 4, tanh" in ax.get_title()


def test_the_article_slice_says_what_it_said():
    results = xs.sweep(STDS, runs=6, epochs=EPOCHS, workers=1, progress=False)
    ax = _loss_vs_std(results)
    assert ax.get_title().split("\n")[0] == "Total loss against the hidden layer's initial std"
    assert ax.get_xlabel() == _X_LABEL
    assert ax.get_ylabel() == "mean total loss\n(nats summed over 300 epochs)"
    [(x, label)] = _lines(ax)
    assert x == pytest.approx(1 / np.sqrt(2)) and label == _ARTICLE_GLOROT


def test_a_width_given_once_to_sweep_is_read_from_the_attributes():
    results = xs.sweep(STDS[:3], runs=2, epochs=50, hidden=4, lr=0.3, workers=1, progress=False)
    assert "hidden" not in results.dims and results.attrs["hidden"] == 4
    ax = _loss_vs_std(results)
    assert "width 4" in ax.get_title() and "lr 0.3" in ax.get_title()
    assert [x for x, _ in _lines(ax)] == [pytest.approx(glorot_std(2, 4))]


def test_data_that_say_nothing_get_no_invented_setting():
    summary = xr.Dataset(
        {"mean": ("hidden_std", [3.0, 2.0, 4.0]), "sem": ("hidden_std", [0.1, 0.1, 0.1])},
        coords={"hidden_std": [0.3, 0.7, 2.0]},
    )
    ax = plots.plot_loss_vs_std(summary)
    assert ax.get_title() == "Total loss against the hidden layer's initial std"
    assert ax.get_ylabel() == "mean total loss\n(nats summed over epochs)"
    assert [label for _, label in _lines(ax)] == [_ARTICLE_GLOROT]  # the article's network


def test_one_mark_per_width_and_activation_of_a_grid(grid):
    marks = rule_marks(grid, ("glorot_normal", "glorot_torch_gain"))
    got = {(m.network.width, m.network.activation, m.rule): m.value for m in marks}
    assert len(got) == 8
    assert got[4, "tanh", "glorot_normal"] == pytest.approx(glorot_std(2, 4))
    assert got[4, "tanh", "glorot_torch_gain"] == pytest.approx(5 / 3 * glorot_std(2, 4))
    assert got[2, "sigmoid", "glorot_torch_gain"] == pytest.approx(glorot_std(2, 2))
    assert all("width" in m.label for m in marks)  # several networks: each says which


def test_a_train_dataset_gives_its_network_from_its_sizes_and_attributes():
    pop = xs.init_population(2, 1.0, hidden=4, n_in=3, seed=0)
    trained = xs.train(pop, 20, 0.5, data="parity3", activation="tanh", record_every=5)
    assert network(trained) == network(trained.isel(run=0))
    assert (network(trained).n_in, network(trained).width) == (3, 4)
    assert subtitle(trained.isel(run=1)) == "parity3, width 4, tanh, lr 0.5, 20 epochs"
    loss, predictions = plots.plot_training(trained)
    assert loss.get_ylabel() == "loss: mean BCE over the 8 samples (nats)"
    assert loss.get_title().endswith("\nparity3, width 4, tanh, lr 0.5, 20 epochs")
    assert predictions.get_xlabel() == "input $(x_1, x_2, x_3)$"
    assert predictions.get_xticklabels()[5].get_text() == "(1, 0, 1)"


def test_figure_1_names_the_task_and_the_number_of_boundaries():
    pop = xs.init_population(1, 1.0, hidden=3, seed=2)
    ax = plots.plot_xor_boundaries(xs.train(pop, 30, data="and", activation="tanh"))
    assert ax.get_title() == (
        "AND: three linear boundaries of the hidden layer\nwidth 3, tanh, lr 0.1, 30 epochs"
    )


def test_the_survival_figure_names_the_task_it_was_trained_on():
    results = xs.sweep(STDS[:2], runs=4, epochs=200, data="or", workers=1, progress=False)
    ax = plots.plot_survival(xs.survival_curves(results), mark=None)
    assert ax.get_title() == "How long runs take to learn OR, and how many never do"


def test_the_gradient_figure_marks_its_width_and_the_article_s_std_it_ranks():
    results = xs.sweep(
        STDS, runs=4, epochs=200, hidden=4, gradient=["sum", "mean"], workers=1, progress=False
    )
    ax = plots.plot_gradient_conventions(results)
    xs_ = [x for x, _ in _lines(ax)]
    assert xs_ == [pytest.approx(1.0), pytest.approx(glorot_std(2, 4)), pytest.approx(0.7071, 1e-4)]
    assert "width 4" in ax.get_title() and "gradient" not in ax.get_title().split("\n")[1]


def test_a_train_dataset_from_before_the_unit_dimension_still_plots():
    pop = xs.init_population(1, 1.0, seed=3)
    trained = xs.train(pop, 40, record_every=10)
    old = trained.rename(unit="hidden")  # its hidden units along "hidden", as once written
    for plot in (plots.plot_xor_boundaries, plots.plot_weight_evolution):
        new_lines = [line.get_xydata().tolist() for line in plot(trained).get_lines()]
        old_lines = [line.get_xydata().tolist() for line in plot(old).get_lines()]
        assert old_lines == new_lines and len(new_lines) >= 2


def test_end_states_name_their_groups_from_the_table_or_by_their_own_name():
    from xorsweep.analysis.end_states import END_STATES

    share = np.full((2, len(END_STATES)), 1 / len(END_STATES))
    for dim, label in (("lr", "learning rate (dimensionless)"), ("batch", "batch")):
        shares = xr.Dataset(
            {"share": ((dim, "state"), share)}, coords={dim: [1, 2], "state": list(END_STATES)}
        )
        assert plots.plot_end_states(shares).get_xlabel() == label
