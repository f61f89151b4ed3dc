"""The end-to-end command: sweep, fit, claims, figures and report, at a tiny scale."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xorsweep as xs
from xorsweep.cli import main
from xorsweep.report import markdown_table, render_report

TINY = ["--points", "12", "--runs", "40", "--epochs", "1500", "--n-boot", "200", "--workers", "1"]


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro") / "report"
    assert main(["reproduce", "--out", str(out), "--no-progress", *TINY]) == 0
    return out


def test_reproduce_writes_report_figures_and_store(reproduced, capsys):
    report = (reproduced / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    names = {Path(link).stem for link in links}
    assert {f"fig{i:02d}" for i in range(1, 11)} <= {n[:5] for n in names}
    for link in links:
        assert (reproduced / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ds = xs.open_results(reproduced / "results.zarr")
    assert ds.sizes["hidden_std"] == 12 and ds.sizes["run"] == 40
    assert ds.attrs["epochs"] == 1500
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
    assert "The fit failed" in text and fit.message in text
