"""The depth study's learning-rate map, budgets and rule table: networks paired across learning
rates, optima fitted at each budget, the rule each regime follows on planted intervals, the
answer on planted lr x budget optima, and bad input in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from xorsweep.studies.depth import analysis, plan, run, tables
from xorsweep.studies.depth.plan import SCALES, DepthConfig, DepthScale, rule_gains

TINY = SCALES["tiny"]
RULES = {"glorot": 1.0, "lecun": 1.22, "he": 1.73, "4x": 4.0, "critical": 12.4}


def _place(name):
    return next(k for k, c in enumerate(plan.all_configs()) if c.name == name)


def test_the_lr_map_trains_the_same_networks_at_every_lr():
    """After one epoch the total loss is the initial networks' loss: equal across lrs only if
    the draws are; later epochs differ because the lrs do."""
    config = DepthConfig("lr_map", 2, 1, optimizer="gd")
    place = _place(config.name)
    first = DepthScale(runs=6, points=3, epochs=1, n_boot=20, budgets=(1,), map_lrs=(0.01, 0.1))
    ds = run.config_results(config, place, first, engine="numpy")
    assert ds.total_loss.dims == ("lr", "gain", "run")
    np.testing.assert_array_equal(ds.total_loss.sel(lr=0.01), ds.total_loss.sel(lr=0.1))
    assert not np.array_equal(ds.total_loss.sel(gain=1.0), ds.total_loss.sel(gain=0.1))
    longer = DepthScale(runs=6, points=3, epochs=30, n_boot=20, budgets=(30,), map_lrs=(0.01, 0.1))
    trained = run.config_results(config, place, longer, engine="numpy")
    assert not np.array_equal(trained.total_loss.sel(lr=0.01), trained.total_loss.sel(lr=0.1))
    # at each lr, the networks drawn at the map's own address and gain index
    alone = run._train_point(config, longer, 0.1, plan.point_seed(0, place, 0), "numpy", 0.1)
    np.testing.assert_array_equal(trained.total_loss.sel(lr=0.1)[0], alone.total_loss)


def test_the_existing_configurations_keep_their_places():
    names = [c.name for c in plan.all_configs()]
    assert names[0] == "depth-xor-d1-sigmoid-normal-gd"
    assert names[49] == "optimizer-xor-d4-sigmoid-normal-adam"
    assert names[50:] == ["lr_map-xor-d1-sigmoid-normal-gd", "lr_map-xor-d1-sigmoid-normal-adam"]


def _planted(optima_by_budget, *, runs=64, noise=2.0, seed=0):
    """A configuration's results whose loss at budget b is lowest at gain optima_by_budget[b]."""
    rng = np.random.default_rng(seed)
    gains = np.geomspace(0.1, 10, 25)
    budgets = list(optima_by_budget)
    loss = np.stack(
        [
            100
            + 40 * (np.log(gains) - math.log(o))[:, None] ** 2
            + rng.normal(0, noise, (gains.size, runs))
            for o in optima_by_budget.values()
        ],
        axis=-1,
    )  # (gain, run, budget)
    converged = np.ones_like(loss, dtype=bool)
    epochs = np.full_like(loss, 10.0)
    dims = ("gain", "run", "budget")
    return xr.Dataset(
        {
            "total_loss": (dims[:2], loss[..., -1]),
            "converged": (dims[:2], converged[..., -1]),
            "converged_epoch": (dims[:2], epochs[..., -1]),
            "budget_total_loss": (dims, loss),
            "budget_converged": (dims, converged),
            "budget_converged_epoch": (dims, epochs),
        },
        coords={"gain": gains, "run": np.arange(runs), "budget": budgets},
        attrs={"epochs": budgets[-1], "lr": 0.1, "engine": "numpy"},
    )


def test_every_budget_gets_its_own_fit_and_a_move_is_told():
    config = DepthConfig("depth", 2, 1)
    planted = {100: 0.5, 300: 1.0, 1000: 3.0}
    result = analysis.analyse_depth({config.name: _planted(planted)}, [config], n_boot=100)
    (row,) = result.optima
    assert [b["budget"] for b in row["budgets"]] == list(planted)
    for fit, true in zip(row["budgets"], planted.values(), strict=True):
        assert fit["ok"] and fit["low"] <= true <= fit["high"]
        assert fit["optimum"] == pytest.approx(true, rel=0.2)
    last = row["budgets"][-1]
    assert (last["optimum"], last["low"]) == (row["optimum"], row["low"])  # the same fit
    assert analysis.budget_verdict(row)[0] == "moves"
    text = "\n".join(tables.budget_table([row]))
    assert "moves: 100 and 1,000 epochs disjoint" in text
    assert "moves the optimum" in text and "in 1 of the 1 configurations" in text


def test_a_budget_that_does_not_move_the_optimum_is_told():
    config = DepthConfig("depth", 2, 1)
    planted = {100: 2.0, 1000: 2.0}
    result = analysis.analyse_depth({config.name: _planted(planted)}, [config], n_boot=100)
    assert analysis.budget_verdict(result.optima[0]) == (
        "stays",
        "stays: 100 and 1,000 epochs overlap",
    )


def _row(low, high, ok=True, reason="", line="depth", **extra):
    optimum = math.sqrt(low * high) if ok else math.nan
    fields = {"line": line, "depth": 1, "activation": "sigmoid", "weights": "normal"}
    fields.update({"task": "xor", "optimizer": "gd", "lr": 0.1, "config": "c", **extra})
    return {
        **fields,
        "ok": ok,
        "reason": reason,
        "optimum": optimum,
        "low": low if ok else math.nan,
        "high": high if ok else math.nan,
        "rules": RULES,
    }


@pytest.mark.parametrize(
    "low, high, ok, expected",
    [
        (3.5, 4.5, True, "4x"),
        (1.1, 1.8, True, "lecun, he"),
        (0.9, 13.0, True, "glorot, lecun, he, 4x, critical"),
        (2.0, 3.0, True, "none"),
        (0.2, 0.3, False, "no optimum: lowest at the grid's end"),
    ],
)
def test_the_rule_a_planted_interval_follows(low, high, ok, expected):
    row = _row(low, high, ok, reason="lowest at the grid's end")
    assert analysis.rules_followed(row) == expected


def test_the_rule_table_is_one_table_and_names_where_none_holds():
    rows = [
        _row(3.5, 4.5, depth=1),
        _row(2.0, 3.0, depth=3),
        _row(0.1, 0.2, ok=False, reason="no minimum", depth=8),
    ]
    text = tables.rule_table(rows)
    body = [t for t in text if t.startswith("| depth |")]
    assert [t.split("|")[-2].strip() for t in body] == ["4x", "none", "no optimum: no minimum"]
    assert sum(t.startswith("| line |") for t in text) == 1
    assert text[-1].startswith("No rule's gain lies inside the interval in 1 of the 2 regimes")
    assert "depth 3, sigmoid, normal" in text[-1] and "depth 1, sigmoid" not in text[-1]
    assert "1 regime(s) have no optimum" in text[-1]


def _map_rows(at_final, at_product):
    """gd's lr map: the optimum at the longest budget per lr, and at the budgets whose
    lr x budget is the article's 0.1 x 1,000."""
    rows = []
    for lr in (0.01, 0.1, 1.0):
        final = _row(*at_final[lr], line="lr_map", lr=lr, epochs=1000)
        short = _row(*at_product.get(lr, (0.1, 0.2)), line="lr_map", lr=lr)
        final["budgets"] = [{"budget": 100, **short}, {"budget": 1000, **final}]
        rows.append(final)
    return rows


def test_the_lr_answer_on_planted_optima():
    rows = _map_rows(
        at_final={0.01: (3.0, 4.0), 0.1: (1.0, 1.5), 1.0: (0.2, 0.3)},
        at_product={1.0: (1.1, 1.6)},  # lr 1 x 100 epochs = lr 0.1 x 1,000
    )
    fixed, product = analysis.lr_answer(rows, 0.1)
    assert "gd at 1,000 epochs" in fixed
    assert "The intervals at lr 0.01, 1 are disjoint from lr 0.1's" in fixed
    assert "lr 1 x 100 epochs" in product and "lr 0.1 x 1,000 epochs" in product
    assert "the optimum follows lr x epochs rather than lr alone" in product
    rows = _map_rows(
        at_final={0.01: (1.2, 2.0), 0.1: (1.0, 1.5), 1.0: (0.2, 0.3)},
        at_product={1.0: (0.3, 0.4)},
    )
    fixed, product = analysis.lr_answer(rows, 0.1)
    assert "The intervals at lr 1 are disjoint" in fixed
    assert "do not all share a gain" in product


def test_no_optimum_at_the_articles_lr_gives_no_answer_and_no_number():
    rows = _map_rows(at_final={0.01: (3.0, 4.0), 0.1: (1.0, 1.5), 1.0: (0.2, 0.3)}, at_product={})
    rows[1].update(ok=False, reason="lowest at the edge", optimum=math.nan)
    (text,) = analysis.lr_answer(rows, 0.1)
    assert "no optimum at lr 0.1 (lowest at the edge)" in text
    assert "nan" not in text.lower() and "[" not in text


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"budgets": (100, 50, 200)}, "budgets must be increasing integers >= 1 ending at epochs"),
        ({"budgets": (50, 100)}, "budgets must be increasing integers >= 1 ending at epochs (200)"),
        ({"budgets": (0, 200)}, "budgets must be increasing integers"),
        ({"budgets": (50.0, 200)}, "budgets must be increasing integers"),
        ({"map_lrs": (0.01, 1.0)}, "map_lrs must hold the other lines' lr 0.1"),
        ({"map_lrs": (0.1, -1.0)}, "map_lrs must be increasing numbers in (0, 1e6]"),
        ({"map_lrs": ()}, "map_lrs must be increasing numbers"),
    ],
)
def test_a_bad_budget_or_lr_list_is_one_line(changes, message):
    sizes = {"runs": 4, "points": 3, "epochs": 200, "n_boot": 20, **changes}
    with pytest.raises(ValueError) as error:
        DepthScale(**sizes)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_budget_not_in_the_results_is_one_line():
    ds = _planted({100: 1.0, 200: 1.0}, runs=4)
    with pytest.raises(ValueError, match=r"budget must be one of \[100, 200\], got 150"):
        analysis.budget_view(ds, 150)


def test_a_store_of_other_budgets_is_refused(tmp_path):
    out = tmp_path / "o"
    config = DepthConfig("depth", 2, 1)
    small = DepthScale(runs=3, points=2, epochs=20, n_boot=20, budgets=(10, 20), configs=())
    ds = run.config_results(config, 0, small, engine="numpy")
    run._write_group(ds, out / run.STORE, config.name)
    other = DepthScale(runs=3, points=2, epochs=20, n_boot=20, budgets=(5, 20))
    with pytest.raises(ValueError, match="of another scale or seed") as error:
        run._read_group(out / run.STORE, config, other, 0)
    assert "budgets" in str(error.value) and "\n" not in str(error.value)
    assert run._read_group(out / run.STORE, config, small, 0).sizes["budget"] == 2


def test_the_full_scale_runs_everything_with_the_issues_budgets():
    full = SCALES["full"]
    assert full.configs is None and len(full.selected()) == 52
    assert full.budgets == (1000, 2000, 5000, 10000) and full.epochs == 10_000
    assert len(full.map_lrs) == 7 and 0.1 in full.map_lrs
    assert min(full.map_lrs) == 0.01 and max(full.map_lrs) == 1.0
    share = full.network_epochs("lr_map") / full.network_epochs()
    assert 0 < share < 0.25  # the map's cost stays a small part of the study
    assert rule_gains(DepthConfig("lr_map", 2, 1))["4x"] == 4.0


@pytest.mark.parametrize("depth", [1, 2])
def test_a_scale_of_one_budget_scores_the_whole_training_in_either_engine(depth):
    one = DepthScale(runs=5, points=2, epochs=30, n_boot=20)
    assert one.budgets == (30,)
    ds = run.config_results(DepthConfig("depth", 2, depth), 0, one, engine="auto")
    assert ds.budget_total_loss.dims == ("gain", "run", "budget")
    np.testing.assert_array_equal(ds.budget_total_loss.sel(budget=30), ds.total_loss)
    np.testing.assert_array_equal(ds.budget_converged.sel(budget=30), ds.converged)


def test_both_engines_mark_the_same_relu_runs_diverged():
    """The fused kernel's loss of an overflowed network can be any number, even negative;
    the study counts it diverged, as the NumPy engine's NaN does."""
    config = DepthConfig("depth", 2, 3, "relu")
    scale = DepthScale(runs=32, points=1, epochs=400, n_boot=20, budgets=(200, 400))
    seed = plan.point_seed(0, _place(config.name), 0)
    both = [run._train_point(config, scale, 3.16, seed, engine) for engine in ("numpy", "numba")]
    diverged = [np.isnan(ds.total_loss.values) for ds in both]
    assert diverged[0].sum() >= 3  # the test needs diverged runs
    np.testing.assert_array_equal(diverged[0], diverged[1])
    for name in ("total_loss", "budget_total_loss", "converged_epoch"):
        np.testing.assert_allclose(both[0][name].values, both[1][name].values, rtol=1e-9)
    for name in ("converged", "budget_converged"):
        np.testing.assert_array_equal(both[0][name].values, both[1][name].values)
    assert not both[1].converged.values[diverged[1]].any()
    assert (both[1].total_loss.values[~diverged[1]] > 0).all()
