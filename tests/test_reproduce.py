"""The end-to-end command: sweep, fit, claims, figures and report, at a tiny scale."""

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xorsweep as xs
from xorsweep.cli import main
from xorsweep.studies.report import json_ready, markdown_table, render_report
from xorsweep.sweeps.store import read_header

TINY = ["--points", "12", "--runs", "40", "--epochs", "1500", "--n-boot", "200", "--workers", "1"]


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro") / "report"
    assert main(["reproduce", "--out", str(out), "--no-progress", *TINY]) == 0
    return out


def test_reproduce_writes_report_figures_and_store(reproduced, capsys):
    report = (reproduced / "report.md").read_text()
    assert re.search(r"training engine \| numba \|", report)  # auto, settled
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    names = {Path(link).stem for link in links}
    assert {f"fig{i:02d}" for i in range(1, 11)} <= {n[:5] for n in names}
    for link in links:
        assert (reproduced / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ds = xs.open_results(reproduced / "results.zarr")
    assert ds.sizes["hidden_std"] == 12 and ds.sizes["run"] == 40
    assert ds.attrs["epochs"] == 1500
    # the sweep's stage is the store's own compute time, resumes included
    assert read_header(reproduced / "results.zarr").attrs["compute_seconds"] > 0
    assert "compute time of every run in the store (its compute_seconds)" in report
    # the report shows the claims as measured on that store
    claims = pd.read_csv(reproduced / "claims.csv")
    assert len(claims) == 5
    for claim in claims["claim"]:
        assert claim in report
    assert "xorsweep reproduce --out" in report


def test_reproduce_resumes(reproduced, capsys):
    before = xs.open_results(reproduced / "results.zarr").total_loss.values
    assert main(["reproduce", "--out", str(reproduced), "--no-progress", *TINY]) == 0
    assert "nothing to compute" in capsys.readouterr().out
    after = xs.open_results(reproduced / "results.zarr").total_loss.values
    np.testing.assert_array_equal(before, after)


def test_reproduce_refuses_a_file_as_out(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["reproduce", "--out", str(target), *TINY]) == 2
    assert "--out" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_markdown_table_formats_numbers_and_nan():
    frame = pd.DataFrame({"value": [0.70710678, np.nan, 27000.0]}, index=["a", "b", "c"])
    text = markdown_table(frame)
    assert "| a | 0.7071 |" in text and "| b | – |" in text and "| c | 27,000 |" in text


def test_render_report_says_when_the_fit_failed():
    ds = xs.sweep(xs.article_grid(4), 6, epochs=50, workers=1, progress=False)
    fit = xs.fit_optimum(ds, errors="ignore")
    assert not fit.ok
    table = xs.claims(ds, fit=fit, n_boot=50, plateau_runs=8)
    text = render_report(ds, fit, table, {}, scale="test")
    assert f"No optimum: {fit.reason}" in text and "Fitted optimum" not in text


def test_reproduce_fits_with_its_own_n_boot_and_seed(reproduced):
    """--n-boot and --seed reach the report's fit (fit.json) and the claims."""
    doc = json.loads((reproduced / "fit.json").read_text())
    ds = xs.open_results(reproduced / "results.zarr")
    fit = xs.fit_optimum(ds, n_boot=200, rng=0, errors="ignore")
    assert doc["n_boot"] == 200 == fit.n_boot
    assert doc == json.loads(json.dumps(json_ready(fit.to_dict())))
    table = xs.claims(ds, fit=fit, n_boot=200, rng=0)
    written = pd.read_csv(reproduced / "claims.csv")
    np.testing.assert_array_equal(written.measured, table.measured)


@pytest.fixture(scope="module")
def custom(tmp_path_factory):
    """A reproduction with every option that changes its numbers away from its default."""
    out = tmp_path_factory.mktemp("custom") / "my report"
    argv = ["reproduce", "--out", str(out), "--points", "11", "--runs", "30", "--epochs", "1200"]
    argv += ["--seed", "3", "--n-boot", "120", "--level", "0.4"]
    assert main([*argv, "--workers", "1", "--no-progress"]) == 0
    return out


def test_custom_reproduction_is_titled_and_fitted_as_asked(custom):
    report = (custom / "report.md").read_text()
    title = report.splitlines()[0]
    assert title.endswith("(custom scale: 11 points x 30 runs x 1,200 epochs)")
    assert "quick" not in title
    ds = xs.open_results(custom / "results.zarr")
    assert ds.attrs["seed"] == 3 and ds.sizes["hidden_std"] == 11 and ds.sizes["run"] == 30
    fit = xs.fit_optimum(ds, level=0.4, n_boot=120, rng=3, errors="ignore")
    doc = json.loads((custom / "fit.json").read_text())
    assert doc == json.loads(json.dumps(json_ready(fit.to_dict())))
    default_level = xs.fit_optimum(ds, n_boot=120, rng=3, errors="ignore")
    assert doc != json.loads(json.dumps(json_ready(default_level.to_dict())))


def test_the_reports_command_regenerates_it(custom, capsys):
    report = (custom / "report.md").read_text()
    command = re.search(r"^    (xorsweep reproduce .*)$", report, re.M).group(1)
    assert command == (
        f"xorsweep reproduce --out '{custom}' --scale quick --points 11 --runs 30 "
        "--epochs 1200 --seed 3 --n-boot 120 --level 0.4"
    )
    before = {name: (custom / name).read_text() for name in ("fit.json", "claims.csv")}
    capsys.readouterr()
    assert main([*shlex.split(command)[1:], "--workers", "1", "--no-progress"]) == 0
    assert "nothing to compute" in capsys.readouterr().out  # its own store, resumed
    assert {name: (custom / name).read_text() for name in before} == before
    again = (custom / "report.md").read_text()
    assert again.splitlines()[0] == report.splitlines()[0]


def test_quick_scale_command_and_title(tmp_path):
    from xorsweep.studies.article.run import regenerate_command, scale_title

    assert scale_title("quick", 80, 2000, 10_000) == "quick scale"
    assert scale_title("full", 400, 10_000, 10_000) == "full scale"
    assert (
        scale_title("quick", 80, 2000, 300) == "custom scale: 80 points x 2,000 runs x 300 epochs"
    )
    assert regenerate_command("report", "quick", 80, 2000) == (
        "xorsweep reproduce --out report --scale quick"
    )
    assert regenerate_command("r", "full", 400, 10_000, n_boot=1000, level=0.25, seed=0) == (
        "xorsweep reproduce --out r --scale full"
    )


def test_report_shows_the_stores_compute_time_or_says_it_is_wall_time():
    ds = xs.sweep(xs.article_grid(4), 6, epochs=50, workers=1, progress=False)
    fit = xs.fit_optimum(ds, errors="ignore")
    table = xs.claims(ds, fit=fit, n_boot=50, plateau_runs=8)
    seconds = {"sweep": 0.59, "fit and claims": 2.0}
    text = render_report(ds, fit, table, {}, scale="test", seconds=seconds)
    assert "| sweep | 0.59 | wall time of this command (the store does not record" in text
    text = render_report(ds, fit, table, {}, scale="test", seconds=seconds, compute_seconds=1204.25)
    assert (
        "| sweep | 1,204.2 | compute time of every run in the store (its compute_seconds) |" in text
    )
    assert "| fit and claims | 2 | wall time of this command |" in text
    # at less than the article's scale the table says its verdicts are weaker
    assert table.attrs["power"] and table.attrs["power"] in text


def _reproduce_help() -> str:
    import contextlib
    import io

    from xorsweep.cli import build_parser

    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), pytest.raises(SystemExit):
        build_parser().parse_args(["reproduce", "--help"])
    return shown.getvalue()


def test_reproduce_level_is_the_one_a_failed_fit_suggests():
    from xorsweep.cli import build_parser

    args = build_parser().parse_args(["reproduce", "--out", "r", "--level", "0.5"])
    assert args.level == 0.5
    # not given, it is the analysis's 0.25, which the help shows (the other studies refuse it)
    assert "level" not in vars(build_parser().parse_args(["reproduce", "--out", "r"]))
    help_text = " ".join(_reproduce_help().split())
    assert (
        "the minimum (a failed fit may suggest a larger or smaller one) (default: 0.25)"
        in help_text
    )


def test_figures_selects_a_slice_like_fit(tmp_path, capsys):
    path = tmp_path / "lr.zarr"
    xs.sweep([0.3, 1.0, 3.0], runs=8, epochs=1500, lr=[0.5, 1.0], store=path, progress=False,
             workers=1)  # fmt: skip
    out = tmp_path / "figs"
    assert main(["figures", str(path), "--out", str(out)]) == 2
    assert "choose one slice with --select lr=VALUE" in capsys.readouterr().err
    assert not out.exists()
    assert main(["figures", str(path), "--out", str(out), "--select", "lr=0.3"]) == 2
    assert "the store's lr values are 0.5, 1" in capsys.readouterr().err
    argv = ["figures", str(path), "--out", str(out), "--select", "lr=1", "--dpi", "20"]
    assert main(argv) == 0
    assert len(list(out.glob("fig*.png"))) == 10


def test_figures_help_has_no_default_for_its_required_out(capsys):
    with pytest.raises(SystemExit):
        main(["figures", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in out and "--out DIR" in out and "--select DIM=VALUE" in out


@pytest.mark.parametrize("option", ["--std-max", "--output-std", "--std-min"])
def test_stds_that_overflow_are_refused_and_saturated_ones_explained(tmp_path, capsys, option):
    store = tmp_path / "r.zarr"
    base = ["sweep", "--store", str(store), "--points", "3", "--runs", "2", "--epochs", "20",
            "--workers", "1", "--no-progress"]  # fmt: skip
    low = ["--std-min", "0.5"] if option == "--std-max" else []
    value = ["--std-max", "1e302"] if option == "--std-min" else []
    assert main([*base, *low, *value, option, "1e301"]) == 2
    err = capsys.readouterr().err
    assert f"{option} must be at most 1e+300 (a larger std can draw initial weights that " in err
    assert not store.exists()
    if option == "--std-min":
        return
    assert main([*base, *low, option, "1e300"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"note: {option} 1e+300: from a std of about 1e+06 up the sigmoids")
    ds = xs.open_results(store)
    assert np.isfinite(ds.total_loss).all()


def test_gitignore_ignores_the_quick_start_report():
    root = Path(__file__).resolve().parents[1]
    assert "/report/" in (root / ".gitignore").read_text().splitlines()


def test_run_article_is_what_the_command_does(reproduced, tmp_path):
    """The Python call writes the same store, claims and fit as ``xorsweep reproduce``."""
    from xorsweep.studies.article import run_article

    out = tmp_path / "api"
    done = run_article(out, points=12, runs=40, epochs=1500, n_boot=200, workers=1, progress=False)
    assert done.report == out / "report.md" and done.sweep.runs == 12 * 40
    np.testing.assert_array_equal(
        xs.open_results(out / "results.zarr").total_loss.values,
        xs.open_results(reproduced / "results.zarr").total_loss.values,
    )
    for name in ("claims.csv", "fit.json"):
        assert (out / name).read_text() == (reproduced / name).read_text()
    assert sorted(done.figures) == sorted(p.stem for p in (reproduced / "figures").iterdir())


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"scale": "huge"}, "scale must be one of 'quick', 'full', got 'huge'"),
        ({"n_boot": 5}, "n_boot must be an integer >= 20, got 5"),
        ({"level": 0.0}, "level must be a finite number > 0, got 0"),
        ({"engine": "gpu"}, "engine must be"),
    ],
)
def test_run_article_refuses_bad_input_before_writing(option, message, tmp_path):
    from xorsweep.studies.article import run_article

    with pytest.raises(ValueError, match=re.escape(message)):
        run_article(tmp_path / "out", **option)
    assert not (tmp_path / "out" / "results.zarr").exists()
