"""The notebooks run top to bottom at a small scale, are stored without outputs, and lint clean."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

# Small-scale parameters appended to each notebook's cell tagged "parameters".
SMALL = {
    "01_xor_from_scratch.ipynb": "EPOCHS = 3_000\n",
    "02_initial_std_sweep.ipynb": (
        "POINTS = 12\nRUNS = 48\nEPOCHS = 2_000\nN_BOOT = 200\nWORKERS = 1\n"
    ),
    "03_beyond_the_article.ipynb": 'SCALE = "tiny"\nENGINE = "numpy"\nWORKERS = 1\n',
    "04_anatomy_of_failure.ipynb": (
        "RUNS = 24\nLONGEST = 20_000\nSIDE = 16\nMAP_LENGTHS = (300, 1_000, 3_000)\n"
    ),
    "05_where_glorot_holds.ipynb": 'SCALE = "tiny"\nENGINE = "numpy"\n',
}


def _parameters_cell(nb):
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "a notebook has exactly one cell tagged 'parameters'"
    return cells[0]


def test_every_notebook_has_small_parameters():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_imports_the_package_and_defines_nothing_big(name):
    """The notebooks import xorsweep; they hold no copy of its code (no function definitions)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "import xorsweep" in source
    assert "def " not in source and "class " not in source


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_at_small_scale(name, tmp_path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    _parameters_cell(nb).source += "\n# small scale for the tests\n" + SMALL[name]
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors


def test_notebooks_lint_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run(
        [ruff, "check", str(NOTEBOOKS)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _figure_calls_outside_the_theme(source):
    """Calls of plt.subplots / plt.figure in ``source`` that are not inside ``with xp.theme():``."""
    import ast

    outside = []

    def visit(node, themed):
        if isinstance(node, ast.With):
            themed = themed or any(
                ast.unparse(item.context_expr) == "xp.theme()" for item in node.items
            )
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("plt.subplots", "plt.figure"):
            if not themed:
                outside.append(ast.unparse(node))
        for child in ast.iter_child_nodes(node):
            visit(child, themed)

    visit(ast.parse(source), False)
    return outside


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_figures_are_made_in_the_packages_theme(name):
    """Axes take their grid and fonts when they are made: make them inside xp.theme()."""
    assert _figure_calls_outside_the_theme("fig, ax = plt.subplots()") == ["plt.subplots()"]
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert _figure_calls_outside_the_theme(cell.source) == [], cell.source


def test_what_the_notebooks_write_by_default_is_ignored_by_git():
    """A notebook run from notebooks/ leaves no untracked output in the checkout."""
    import fnmatch
    import re

    patterns = [p for p in (ROOT / ".gitignore").read_text().splitlines() if p and p[0] != "#"]
    written = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        written += re.findall(r'^(?:OUT|STORE) = "([^"]+)"', source, flags=re.MULTILINE)
    assert len(written) >= 2, written
    for name in written:
        where = f"/notebooks/{name}/"
        assert any(
            where == p or fnmatch.fnmatch(name + "/", p) for p in patterns if not p.startswith("!")
        ), f"{where} is not in .gitignore"
