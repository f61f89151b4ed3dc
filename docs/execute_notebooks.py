"""Execute the notebooks at their own scale and store the executed copies for the site.

Usage, from the repository's root (minutes: each notebook at the scale its parameters cell
names)::

    python docs/execute_notebooks.py [NAME ...]

Each ``notebooks/NAME.ipynb`` runs top to bottom in a temporary folder (its stores and
reports go there, not into the checkout) and is written, with its outputs, to
``docs/notebooks/NAME.ipynb``, which the site renders without executing anything. The
notebooks under ``notebooks/`` stay without outputs; ``tests/test_docs.py`` checks that each
executed copy holds the same code and text as its notebook.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
TARGET = ROOT / "docs" / "notebooks"


def execute(name: str) -> float:
    """Run one notebook in a temporary folder and store its executed copy; its seconds."""
    nb = nbformat.read(SOURCE / name, as_version=4)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xorsweep-notebook-") as folder:
        client = NotebookClient(
            nb, timeout=3600, kernel_name="python3", resources={"metadata": {"path": folder}}
        )
        client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, TARGET / name)
    return seconds


def main(names: list[str]) -> int:
    known = sorted(p.name for p in SOURCE.glob("*.ipynb"))
    names = [n if n.endswith(".ipynb") else f"{n}.ipynb" for n in names] or known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"execute_notebooks: unknown notebook {unknown[0]!r}; one of {', '.join(known)}")
        return 2
    for name in names:
        print(f"{name}: executed in {execute(name):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
