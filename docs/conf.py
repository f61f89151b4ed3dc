"""Sphinx configuration of xorsweep's documentation site.

Build it from the repository's root with the ``docs`` extra installed::

    python -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout's package, where it is not installed

import xorsweep  # noqa: E402

project = "xorsweep"
author = "the xorsweep developers"
copyright = "2026, the xorsweep developers"  # noqa: A001
release = xorsweep.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_copybutton",
]

# Folders of results (stores, csv, json) sit next to the pages that show them; only pages
# are sources.
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "**.zarr",
]
templates_path = ["_templates"]

# API reference: one page per public name, generated from the names listed in api.rst.
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # numpydoc's Parameters say the types
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
add_module_names = False

# Pages and notebooks: MyST Markdown; the notebooks are the executed copies in
# docs/notebooks/ (docs/execute_notebooks.py makes them), shown with the outputs they store
# and never executed while building.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"

html_theme = "pydata_sphinx_theme"
html_title = f"xorsweep {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"changelog": []}
html_static_path: list[str] = []
html_show_sourcelink = False


def _clear_generated() -> None:
    """Remove the API pages of the last build, so that a name no longer public leaves no
    page behind (autosummary writes the current names' pages again)."""
    shutil.rmtree(DOCS / "api" / "generated", ignore_errors=True)


_clear_generated()


def _constant_comment(name: str, value: object) -> list[str]:
    """The ``#:`` comment above the assignment that defines the constant ``value``,
    found in whichever of the package's modules defines ``name``."""
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith("xorsweep") or getattr(module, name, None) is not value:
            continue
        try:
            comment = ModuleAnalyzer.for_module(module_name).find_attr_docs().get(("", name))
        except PycodeError:
            continue
        if comment:
            return list(comment)
    return []


def _document_constants(app, what, name, obj, options, lines) -> None:
    """A constant's page shows its ``#:`` comment, not the docstring of its type (tuple,
    dict, float...), which is all an imported value carries."""
    if what in ("data", "attribute") and type(obj).__module__ == "builtins":
        lines[:] = _constant_comment(name.rpartition(".")[2], obj)


def setup(app):
    app.connect("autodoc-process-docstring", _document_constants)
