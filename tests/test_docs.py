"""The documentation site lists every public name, and the commands its pages show parse."""

import re
import shlex
from pathlib import Path

import pytest

import xorsweep
import xorsweep.plots
from xorsweep.cli import build_parser

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _autosummary_names(page):
    """The names listed in the autosummary tables of an API page."""
    names = []
    for block in re.findall(r"\.\. autosummary::\n((?:\n|   .*\n)*)", (DOCS / page).read_text()):
        names += [line.strip() for line in block.splitlines() if line.strip()[:1] not in ("", ":")]
    return names


@pytest.mark.parametrize(
    "page, module", [("api/xorsweep.rst", xorsweep), ("api/plots.rst", xorsweep.plots)]
)
def test_api_reference_lists_each_public_name_once(page, module):
    listed = _autosummary_names(page)
    assert sorted(listed) == sorted(module.__all__)


def _pages():
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def _commands():
    """(page, argument list) of every `xorsweep ...` line in the pages' code blocks."""
    commands = []
    for page in _pages():
        for block in re.findall(r"```[a-z]*\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.splitlines():
                for part in line.split("#", 1)[0].split("&&"):
                    if re.match(r"\s*(\S*/)?xorsweep\s", part):
                        commands.append((page.relative_to(DOCS), shlex.split(part)[1:]))
    return commands


def test_the_guide_shows_commands():
    pages = {str(page) for page, _ in _commands()}
    assert {"getting-started.md", "user-guide/reproducing.md", "user-guide/dask.md"} <= pages


@pytest.mark.parametrize("page, args", _commands(), ids=lambda x: str(x)[:60])
def test_docs_command_parses(page, args):
    parsed = build_parser().parse_args(args)  # exits on an unknown command or option
    assert callable(parsed.func)
