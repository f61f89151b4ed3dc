"""Every command and API name the README shows exists; CI runs the README's test command."""

import re
import shlex
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
