"""Every command, API name and link the README shows exists, its findings are its pages'
numbers, and CI runs the README's test and documentation commands."""

import re
import shlex
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

import xorsweep
import xorsweep.plots
from xorsweep.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _xorsweep_commands():
    """Argument lists of every `xorsweep ...` command in the README's code blocks."""
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                if re.match(r"\s*(\S*/)?xorsweep\s", part):
                    commands.append(shlex.split(part)[1:])
    return commands


def test_readme_shows_the_main_commands():
    shown = {c[0] for c in _xorsweep_commands()}
    assert {"reproduce", "sweep", "fit", "figures"} <= shown


@pytest.mark.parametrize("args", _xorsweep_commands(), ids=lambda a: " ".join(a))
def test_readme_command_parses(args):
    parsed = build_parser().parse_args(args)  # exits on an unknown command or option
    assert callable(parsed.func)


def test_ci_runs_the_readme_test_command():
    command = (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert command in README
    assert command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_python_names_exist():
    modules = {"xs": xorsweep, "xp": xorsweep.plots}
    used = re.findall(r"\b(xs|xp)\.([A-Za-z_]\w*)", README)
    assert used
    for alias, name in used:
        assert hasattr(modules[alias], name), f"{alias}.{name}"


def test_readme_links_exist():
    for link in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / link).exists(), link


def test_readme_is_short():
    assert len(README.splitlines()) <= 100


def test_ci_builds_the_documentation_as_the_readme_says():
    command = "pip install -e '.[docs]' && python -m sphinx -W -b html docs docs/_build/html"
    assert command in README
    ci = (ROOT / ".ci" / "run").read_text().replace(".venv/bin/", "")
    assert command in ci.splitlines()


def _numbers(text):
    """The decimal numbers written in text, commas of thousands removed."""
    return [n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def _rounds_to(shown, measured):
    """Whether the number measured, rounded to as many decimals as shown, is shown."""
    places = Decimal(shown).as_tuple().exponent
    return Decimal(measured).quantize(Decimal(1).scaleb(places), ROUND_HALF_UP) == Decimal(shown)


def _findings():
    """(measured cell, linked page) of each row of the README's findings table."""
    section = README.split("## Findings", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in section.splitlines() if r.startswith("|") and "](" in r]
    return [(r.split("|")[2], re.search(r"\]\(([^)]+)\)", r).group(1)) for r in rows]


def test_readme_findings_table_links_every_report():
    pages = {page for _, page in _findings()}
    assert {f"docs/{name}/report.md" for name in ("full-scale", "beyond", "failures")} <= pages


@pytest.mark.parametrize("measured, page", _findings(), ids=lambda x: str(x)[:30])
def test_readme_finding_is_its_pages_number(measured, page):
    """Each number of a finding is one of its page's numbers, as rounded in the README."""
    on_page = _numbers((ROOT / page).read_text())
    for shown in _numbers(measured):
        assert any(_rounds_to(shown, n) for n in on_page), f"{shown} is not in {page}"
