"""The sub-packages are layers: a module imports only from its own layer and those below."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xorsweep"

#: Lowest first.
LAYERS = ("_core", "model", "training", "sweeps", "analysis", "plots", "studies", "cli")


def _module(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """['xorsweep', 'sweeps', 'run'] for xorsweep/sweeps/run.py (a package: its folder)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import of the package in ``path``, inside functions too."""
    package = _module(path, root) if path.name == "__init__.py" else _module(path, root)[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "xorsweep"]


def _layer(dotted: str) -> int | None:
    parts = dotted.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _upward(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    own = _layer(".".join(_module(path, root)))
    if own is None:
        return []
    return [
        f"{path.relative_to(root)}:{line} imports {name}"
        for line, name in _imports(path, root)
        if (_layer(name) or 0) > own
    ]


def test_every_sub_package_is_a_layer():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    assert folders == set(LAYERS)
    flat = {p.name for p in PACKAGE.glob("*.py")}
    assert flat == {"__init__.py", "__main__.py", "_version.py"}


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_run_downwards(layer):
    upward = [u for path in sorted((PACKAGE / layer).rglob("*.py")) for u in _upward(path)]
    assert upward == []


def test_an_upward_import_is_found(tmp_path):
    """The check itself, on a model module that imports the trainer inside a function."""
    module = tmp_path / "xorsweep" / "model" / "network.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from .._core.checks import check_count\n"
        "from . import activations\n\n\n"
        "def f():\n"
        "    from ..training import trainer\n"
    )
    assert _upward(module, tmp_path) == [
        "xorsweep/model/network.py:6 imports xorsweep.training.trainer"
    ]
