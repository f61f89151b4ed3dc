"""The depth study at its tiny scale: files, numbers against the store, seeds, resuming by
configuration, no number without an optimum, and bad input in one line."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import xarray as xr

from xorsweep import cli
from xorsweep.model.meanfield import critical_sigma_w
from xorsweep.studies.depth import analysis, plan, report, run, tables
from xorsweep.studies.depth.plan import SCALES, DepthConfig, rule_gains

TINY = SCALES["tiny"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("depth")
    run.run_depth(out, "tiny", engine="numpy", progress=False)
    return out


def _group(out, name):
    return xr.open_zarr(str(out / run.STORE), group=name, consolidated=False).load()


def test_the_tiny_study_writes_its_report_figures_and_summaries(tiny):
    for name in ("report.md", "summary.csv", "optima.csv", "summary.json"):
        assert (tiny / name).stat().st_size > 0
    figures = sorted(p.name for p in (tiny / "figures").iterdir())
    assert figures == [
        "loss_depth.png",
        "loss_optimizer.png",
        "lr_map.png",
        "optimum_vs_depth.png",
    ]
    text = (tiny / "report.md").read_text()
    assert text.count("| configuration | optimum gain") == 2  # depth and optimiser lines
    assert "--study depth --scale tiny" in text
    for heading in ("## Optimum at each budget", "## Which rule each regime's optimum follows"):
        assert text.count(heading) == 1
    summary = json.loads((tiny / "summary.json").read_text())
    assert list(dict.fromkeys(r["config"] for r in summary["optima"])) == list(TINY.configs)
    mapped = [r for r in summary["optima"] if r["line"] == "lr_map"]
    assert len(mapped) == 2 * len(TINY.map_lrs)  # gd and adam at each lr


def test_the_shares_in_the_summary_are_those_of_the_stored_runs(tiny):
    summary = json.loads((tiny / "summary.json").read_text())
    for row in summary["optima"]:
        ds = _group(tiny, row["config"])
        if row["line"] == "lr_map":
            ds = ds.sel(lr=row["lr"])
        assert ds.total_loss.shape == (TINY.points, TINY.runs)
        at_one = int(np.argmin(np.abs(np.log(ds.gain.values))))
        solved = ds.converged[at_one] & np.isfinite(ds.total_loss[at_one])
        assert row["solved_at_glorot"] == pytest.approx(float(solved.mean()))
        assert row["runs"] == TINY.points * TINY.runs


def test_a_point_is_seeded_by_its_address_not_by_the_order_it_ran_in(tiny):
    place, config = TINY.selected()[1]
    alone = run.config_results(config, place, TINY, engine="numpy")
    stored = _group(tiny, config.name)
    np.testing.assert_array_equal(alone.total_loss.values, stored.total_loss.values)
    other = run.config_results(config, place + 1, TINY, engine="numpy")
    assert not np.array_equal(other.total_loss.values, stored.total_loss.values)


def test_a_killed_study_resumes_without_retraining_finished_configs(tiny, tmp_path, monkeypatch):
    out = tmp_path / "resumed"
    shutil.copytree(tiny / "stores", out / "stores")
    last = TINY.configs[-1]
    store = out / run.STORE
    shutil.move(store / last, store / f".{last}.123.partial")  # killed while writing it
    trained = []
    real = run.config_results

    def recorded(config, *args, **kwargs):
        trained.append(config.name)
        return real(config, *args, **kwargs)

    monkeypatch.setattr(run, "config_results", recorded)
    run.run_depth(out, "tiny", engine="numpy", progress=False)
    assert trained == [last]
    again = json.loads((out / "summary.json").read_text())["optima"]
    first = json.loads((tiny / "summary.json").read_text())["optima"]
    assert [r["solved_at_glorot"] for r in again] == [r["solved_at_glorot"] for r in first]
    assert "this run trained 1 of them and read the others" in (out / "report.md").read_text()


def test_a_store_of_another_seed_is_refused_in_one_line(tiny, tmp_path):
    out = tmp_path / "other"
    shutil.copytree(tiny / "stores", out / "stores")
    with pytest.raises(ValueError, match="of another scale or seed") as error:
        run.run_depth(out, "tiny", seed=1, engine="numpy", progress=False)
    assert "\n" not in str(error.value)
    assert not (out / "report.md").exists()


def test_no_optimum_shows_the_reason_and_no_number():
    row = {
        "config": "c",
        "line": "depth",
        "task": "xor",
        "depth": 3,
        "activation": "relu",
        "weights": "normal",
        "optimizer": "gd",
        "ok": False,
        "optimum": math.nan,
        "low": math.nan,
        "high": math.nan,
        "reason": "the smoothed means are lowest at the end",
        "rules": rule_gains(DepthConfig("depth", 2, 3, "relu")),
        "rules_inside": [],
        "solved_at_optimum": math.nan,
        "solved_at_glorot": 0.25,
        "median_epochs_at_optimum": math.nan,
        "median_epochs_at_glorot": math.nan,
        "diverged_runs": 0,
        "runs": 10,
        "lr": 0.1,
        "epochs": TINY.epochs,
    }
    row["budgets"] = [
        {**{k: row[k] for k in ("ok", "reason", "optimum", "low", "high")}, "budget": b}
        for b in TINY.budgets
    ]
    context = {
        "scale": "tiny",
        "seed": 0,
        "engine": "numpy",
        "trained": ["c"],
        "seconds": {"training": 1.0, "training recorded": 1.0, "analysis": 1.0},
    }
    text = report.render_report(TINY, [row], context, {})
    line = next(t for t in text.splitlines() if t.startswith("| depth 3, relu"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == "no optimum: the smoothed means are lowest at the end"
    assert cells[2] == "-" and cells[3] == "n/a" and cells[4] == "25%" and cells[5] == "n/a"
    assert "nan" not in text.lower()


def test_the_tiny_reports_rows_without_an_optimum_have_no_number(tiny):
    summary = json.loads((tiny / "summary.json").read_text())
    text = (tiny / "report.md").read_text()
    for row in summary["optima"]:
        cell = report.optimum_text(row)
        assert cell in text
        assert cell.startswith("no optimum: ") != row["ok"]
        if not row["ok"]:
            assert row["optimum"] is None or math.isnan(row["optimum"])


def test_the_rules_gains_agree_with_the_mean_field_where_they_should():
    tanh, relu = DepthConfig("depth", 2, 4, "tanh"), DepthConfig("depth", 2, 4, "relu")
    assert rule_gains(tanh)["critical"] == pytest.approx(rule_gains(tanh)["lecun"], rel=1e-9)
    assert rule_gains(relu)["critical"] == pytest.approx(rule_gains(relu)["he"], rel=1e-12)
    # 2-4 then three 4-4 layers: LeCun's ratio to Glorot's is sqrt(6/4), then 1
    assert rule_gains(tanh)["lecun"] == pytest.approx(1.5 ** (1 / 8))
    sigmoid = rule_gains(DepthConfig("depth", 2, 1))["critical"]
    assert sigmoid == pytest.approx(critical_sigma_w("sigmoid") * 1.5**0.5)


def test_the_configurations_are_unique_and_the_full_scale_is_the_issues():
    names = [c.name for c in plan.all_configs()]
    assert len(names) == len(set(names)) == 52
    full = SCALES["full"]
    assert full.runs >= 1024 and full.points >= 25 and full.gain_range == (0.1, 10.0)
    assert set(SCALES["quick"].configs) < set(names)
    assert 1.0 in np.round(TINY.gains(), 12)  # Glorot's gain is a grid point


@pytest.mark.parametrize("scale", ["huge", 3, None])
def test_a_bad_scale_is_one_line_naming_the_scales(scale, tmp_path):
    with pytest.raises((ValueError, TypeError)) as error:
        run.run_depth(tmp_path / "o", scale, progress=False)
    message = str(error.value)
    assert "\n" not in message and "scale" in message and "'tiny', 'quick', 'full'" in message
    assert not (tmp_path / "o").exists()


def test_the_command_runs_the_tiny_study_and_refuses_a_bad_scale(tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["reproduce", "--study", "depth", "--scale", "tiny", "--out", str(out)]
    assert cli.main([*argv, "--engine", "numpy", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "the depth study at the tiny scale: 5 configurations" in printed
    assert "of which the lr map: 2 configurations x 3 lrs (0.01, 0.1, 1)" in printed
    assert "stages: training: depth ~" in printed and "training: lr_map ~" in printed
    assert (out / "report.md").exists()
    with pytest.raises(SystemExit) as exit_:
        cli.main(["reproduce", "--study", "depth", "--scale", "huge", "--out", str(out)])
    assert exit_.value.code == 2 and "invalid choice: 'huge'" in capsys.readouterr().err
    assert cli.main(["reproduce", "--scale", "tiny", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "quick and full" in err


def test_the_command_refuses_workers_for_the_depth_study_in_one_line(tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["reproduce", "--study", "depth", "--scale", "tiny", "--out", str(out)]
    assert cli.main([*argv, "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers: the depth study trains in one process" in err
    assert not (out / "report.md").exists()


def test_each_budget_is_the_stored_networks_trained_for_that_many_epochs(tiny):
    place, config = TINY.selected()[1]  # two hidden layers: the deep kernel's budgets
    stored = _group(tiny, config.name)
    assert list(stored.budget.values) == list(TINY.budgets)
    k = 3
    budget = TINY.budgets[0]
    short = plan.DepthScale(TINY.runs, TINY.points, budget, TINY.n_boot, budgets=(budget,))
    alone = run._train_point(
        config, short, float(TINY.gains()[k]), plan.point_seed(0, place, k), "numpy"
    )
    at = stored.isel(gain=k).sel(budget=budget)
    np.testing.assert_array_equal(at.budget_total_loss.values, alone.total_loss.values)
    np.testing.assert_array_equal(at.budget_converged.values, alone.converged.values)
    last = stored.sel(budget=TINY.epochs)
    np.testing.assert_array_equal(last.budget_total_loss.values, stored.total_loss.values)


def test_the_tiny_report_answers_each_new_question_without_a_nan(tiny):
    text = (tiny / "report.md").read_text()
    summary = json.loads((tiny / "summary.json").read_text())
    rules = text[text.index("## Which rule each regime") :]
    for row in summary["optima"]:
        expected = f"| {row['line']} | {tables.setting(row)} |"
        line = next(t for t in rules.splitlines() if t.startswith(expected))
        assert line.rstrip(" |").endswith(analysis.rules_followed(row))
    for optimizer in ("gd", "adam"):
        assert f"{optimizer} at {TINY.epochs:,} epochs" in text  # the lr map's answer
    assert "| configuration | 50 epochs | 100 epochs | 200 epochs | a longer budget |" in text
    assert "nan" not in text.lower()
    budgets = {r["config"]: [b["budget"] for b in r["budgets"]] for r in summary["optima"]}
    assert all(found == list(TINY.budgets) for found in budgets.values())
