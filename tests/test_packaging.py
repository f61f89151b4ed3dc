"""Packaging: pyproject and environment.yml agree, the public API is importable."""

import re
import tomllib
from pathlib import Path

import yaml

import xorsweep

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirement(spec: str) -> tuple[str, str]:
    """('name', '>=x.y') from 'name[extra]>=x.y'."""
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)", spec.strip())
    assert m, spec
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = _pyproject()["project"]
    wanted = dict(_requirement(s) for s in project["dependencies"])
    # dask[distributed] is two packages on conda-forge
    if "dask" in wanted:
        wanted["distributed"] = wanted["dask"]
    for extra in ("notebooks",):
        wanted.update(_requirement(s) for s in project["optional-dependencies"][extra])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = {}
    pip_entries = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_entries.extend(dep["pip"])
        else:
            conda.update([_requirement(dep)])
    python = conda.pop("python")
    assert python == project["requires-python"]
    conda.pop("pip")
    assert conda == wanted
    assert pip_entries == ["-e ."]


def test_console_script_and_extras():
    project = _pyproject()["project"]
    assert project["scripts"]["xorsweep"] == "xorsweep.cli:main"
    assert {"test", "bench"} <= set(project["optional-dependencies"])
    assert any(d.startswith("jax") for d in project["optional-dependencies"]["bench"])


def test_public_api_is_explicit():
    for name in xorsweep.__all__:
        assert hasattr(xorsweep, name), name
    assert xorsweep.__version__ == _pyproject()["project"]["version"]
    assert (ROOT / "xorsweep" / "py.typed").exists()
