"""The study beyond the article's line: its files, its numbers against the fits, resuming, and
refusals (at the tiny scale, NumPy engine, one process)."""

import json
import math

import numpy as np
import pandas as pd
import pytest

import xorsweep as xs
from xorsweep.analysis.beyond_figure_data import BEYOND_FIGURE_NAMES, std_ranking
from xorsweep.studies.beyond.report import with_ci
from xorsweep.studies.beyond.run import SCALES, STAGES, beyond_sweeps, run_beyond
from xorsweep.sweeps.store import COMPUTE_SECONDS, read_header

TINY = SCALES["tiny"]
OPTIONS = dict(engine="numpy", workers=1, progress=False)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("beyond") / "report"
    path = run_beyond(out, "tiny", **OPTIONS)
    return out, path


def _results(out, name):
    return xs.open_results(out / "stores" / f"{name}.zarr")


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def _same(stored, value):
    """A number of summary.json (None for NaN, or NaN once in a DataFrame) equals ``value``."""
    missing = stored is None or stored != stored
    return math.isnan(value) if missing else stored == value


def test_every_file_is_written(study):
    out, path = study
    assert path == out / "report.md" and path.read_text().startswith("# Beyond the article's")
    assert sorted(p.stem for p in (out / "figures").glob("*.png")) == sorted(BEYOND_FIGURE_NAMES)
    fits = {p.name for p in (out / "fits").iterdir()}
    assert fits == {
        "surface.json",
        *(f"{n}.csv" for n in ("surface_rules", "widths", "widths_rules", "settings")),
        *(f"{n}.csv" for n in ("settings_rules", "ranking")),
    }
    assert {p.name for p in (out / "summaries").iterdir()} == {f"{n}.csv" for n in STAGES}
    for name in STAGES:
        ds = _results(out, name)
        assert int(np.isfinite(ds.total_loss).sum()) == int(beyond_sweeps(TINY)[name][1].sum())


def test_the_sweeps_are_the_studys(study):
    out, _ = study
    widths = _results(out, "widths")
    assert widths.hidden.values.tolist() == list(TINY.widths)
    assert widths.attrs["output_std"] == "glorot"
    settings = _results(out, "settings")
    assert dict(settings.sizes) == dict(hidden_std=8, activation=2, gradient=2, bias=2, run=16)
    assert {1.0, 1 / math.sqrt(2)} <= set(settings.hidden_std.values.tolist())
    assert dict(_results(out, "map").sizes) == {"hidden_std": 6, "output_std": 6, "run": 16}


def test_report_numbers_equal_the_fits(study):
    out, _ = study
    report = (out / "report.md").read_text()
    tables = _summary(out)["tables"]
    for name in ("widths", "settings"):
        fits = xs.fit_slices(_results(out, name), n_boot=TINY.n_boot, rng=0)
        rows = pd.DataFrame(tables[name])
        dims = list(fits.optimum.dims)
        assert len(rows) == fits.optimum.size
        for row in rows.itertuples():
            point = fits.sel({d: getattr(row, d) for d in dims})
            for var in ("optimum", "optimum_low", "optimum_high", "loss_at_optimum"):
                expected = float(point[var])
                got = getattr(row, var)
                assert _same(got, expected), (row, var)
            if bool(point.ok):
                assert with_ci(point.optimum, point.optimum_low, point.optimum_high) in report
            else:  # no optimum: no number, said in words
                assert got is None and f"no optimum: {point.reason.values}" in report
        rules = pd.DataFrame(tables[f"{name}_rules"])
        assert len(rules) == fits.rule_std.size
        fitted = rules[rules.source == "fit"]
        for row in fitted.itertuples():
            point = fits.sel({d: getattr(row, d) for d in dims}).sel(rule=row.rule)
            assert row.penalty == float(point.penalty)
            assert row.in_ci == bool(abs(float(point.rule_distance)) <= 1)
        for row in rules[rules.source != "fit"].itertuples():  # no optimum, or off the curve
            point = fits.sel({d: getattr(row, d) for d in dims})
            assert not bool(point.ok) or not (
                float(point.window_low) <= row.rule_std <= float(point.window_high)
            )
    assert "– [–, –]" not in report and "[–, –]" not in report


def test_report_ranking_equals_the_means(study):
    out, _ = study
    ranking = std_ranking(xs.summarize(_results(out, "settings")))
    rows = pd.DataFrame(_summary(out)["tables"]["ranking"])
    assert len(rows) == 8
    for row in rows.itertuples():
        point = ranking.sel(activation=row.activation, gradient=row.gradient, bias=row.bias)
        assert row.gain == pytest.approx(float(point.gain), rel=1e-12)
        assert row.lower == str(point.lower.values)
        # 1 and 1/sqrt(2) are grid points: the losses are their means, not interpolations
        at = _results(out, "settings").sel(
            activation=row.activation, gradient=row.gradient, bias=row.bias, hidden_std=1.0
        )
        assert row.loss_one == pytest.approx(float(at.total_loss.mean()), rel=1e-12)


def test_surface_numbers_equal_the_fit(study):
    out, _ = study
    fit = xs.fit_surface(_results(out, "map"), n_boot=TINY.n_boot, rng=0, errors="ignore")
    stored = _summary(out)["surface"]
    assert stored["ok"] == fit.ok and stored["reason"] == fit.reason
    assert stored["notes"] == list(fit.notes)
    if not fit.ok:  # no optimum: no number
        assert stored["optimum"] == [None, None] and stored["hidden_low"] is None
    assert json.loads((out / "fits" / "surface.json").read_text()) == stored


def test_rerunning_reuses_the_stores(study):
    out, _ = study
    before = {n: read_header(out / "stores" / f"{n}.zarr").attrs[COMPUTE_SECONDS] for n in STAGES}
    tables = _summary(out)["tables"]
    run_beyond(out, "tiny", **OPTIONS)
    after = {n: read_header(out / "stores" / f"{n}.zarr").attrs[COMPUTE_SECONDS] for n in STAGES}
    assert after == before  # nothing trained again
    assert _summary(out)["tables"] == tables


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(scale="huge"), ValueError, "scale must be one of"),
        (dict(engine="gpu"), ValueError, "engine must be one of"),
        (dict(workers=0), ValueError, "workers must be an integer >= 1"),
        (dict(seed=-1), ValueError, "seed must be an integer >= 0"),
        (dict(progress="yes"), TypeError, "progress must be True or False"),
    ],
)
def test_bad_input_is_refused_before_writing(tmp_path, kwargs, error, words):
    out = tmp_path / "report"
    with pytest.raises(error, match=words):
        run_beyond(out, **{"scale": "tiny", **OPTIONS, **kwargs})
    assert not out.exists()


def test_an_out_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "report"
    out.write_text("not a directory")
    with pytest.raises(ValueError, match="exists and is not a directory"):
        run_beyond(out, "tiny", **OPTIONS)
    assert out.read_text() == "not a directory"


def test_a_store_of_another_sweep_is_refused_before_any_training(tmp_path):
    out = tmp_path / "report"
    other = out / "stores" / "settings.zarr"
    xs.sweep([0.5, 1.0], runs=2, epochs=5, store=other, workers=1, progress=False, engine="numpy")
    with pytest.raises(ValueError, match="holds results of a different configuration"):
        run_beyond(out, "tiny", **OPTIONS)
    assert sorted(p.name for p in (out / "stores").iterdir()) == ["settings.zarr"]
    assert not (out / "report.md").exists()


def test_the_full_scale_is_the_issues():
    full = SCALES["full"]
    sweeps = beyond_sweeps(full)
    assert full.runs >= 2_000 and full.epochs == 10_000
    assert full.map_hidden[2] >= 30 and full.map_output[2] >= 30
    assert full.map_output[1] > 8 * 4  # the output std range goes well beyond 8
    assert set(full.widths) >= {2, 3, 4, 6, 8, 12, 16, 32}
    config, runs = sweeps["widths"]
    assert (runs > 0).sum(axis=0).min() >= 7  # every width has enough stds for a cubic fit
    assert set(np.unique(runs)) <= {0, full.runs}
    assert sweeps["settings"][0].grid_shape[1:] == (2, 2, 2)
    assert all(config.epochs == 10_000 for config, _ in sweeps.values())
