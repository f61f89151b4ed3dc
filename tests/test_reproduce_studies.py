"""``xorsweep reproduce --study beyond|failures``: the studies' pipelines on the command line.

The pipelines themselves are tested at a tiny scale in test_beyond_study.py and
test_failures_study.py; here, what the command passes them and what it refuses.
"""

from __future__ import annotations

import importlib

import pytest

from xorsweep import cli

ENTRIES = {"beyond": "run_beyond", "failures": "run_failures"}


@pytest.mark.parametrize("study", sorted(ENTRIES))
def test_a_study_gets_the_commands_scale_engine_seed_and_workers(study, tmp_path, monkeypatch):
    module = importlib.import_module(f"xorsweep.studies.{study}.run")
    calls = []

    def recorded(out, scale, **options):
        calls.append((out, scale, options))
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.md").write_text("report")
        return out / "report.md"

    monkeypatch.setattr(module, ENTRIES[study], recorded)
    out = tmp_path / "out"
    argv = ["reproduce", "--out", str(out), "--study", study, "--scale", "full"]
    argv += ["--engine", "numpy", "--seed", "3", "--workers", "1", "--no-progress"]
    assert cli.main(argv) == 0
    assert calls == [(out, "full", {"engine": "numpy", "progress": False, "seed": 3, "workers": 1})]
    calls.clear()
    assert cli.main(["reproduce", "--out", str(out), "--study", study]) == 0
    assert calls == [(out, "quick", {"engine": "auto", "progress": True, "seed": 0})]


@pytest.mark.parametrize(
    "option",
    [
        ["--points", "3"],
        ["--runs", "10"],
        ["--epochs", "100"],
        ["--n-boot", "10"],
        ["--level", "0.5"],
        ["--max-hours", "1"],
        ["--scheduler", "tcp://127.0.0.1:1"],
    ],
)
@pytest.mark.parametrize("study", sorted(ENTRIES))
def test_the_article_studys_options_are_refused_with_the_others(study, option, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["reproduce", "--out", str(out), "--study", study, *option]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{option[0]}: option(s) of --study article only" in err and study in err
    assert not out.exists()


def test_an_unknown_study_is_refused_by_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["reproduce", "--out", str(tmp_path / "o"), "--study", "other"])
    assert exit_.value.code == 2
    assert "invalid choice: 'other'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
