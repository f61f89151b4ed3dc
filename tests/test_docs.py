"""The documentation site lists every public name, the commands its pages show parse, and
it shows every notebook executed."""

import re
import shlex
from pathlib import Path

import nbformat
import pytest

import xorsweep
import xorsweep.plots
from xorsweep.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


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


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_the_site_shows_each_notebook_executed_with_its_own_code_and_text(notebook):
    """docs/notebooks/NAME.ipynb is NAME executed (docs/execute_notebooks.py): the same cells,
    every code cell run in order, outputs stored and none of them an error."""
    source = nbformat.read(notebook, as_version=4)
    executed = nbformat.read(ROOT / "docs" / "notebooks" / notebook.name, as_version=4)
    assert [(c.cell_type, c.source) for c in executed.cells] == [
        (c.cell_type, c.source) for c in source.cells
    ], f"docs/notebooks/{notebook.name} is out of step: run docs/execute_notebooks.py"
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c.outputs]
    assert outputs and not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "a figure among the outputs"
