"""Packaging: pyproject and environment.yml agree, the public API is importable."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
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


def test_names_come_from_their_modules_even_after_a_submodule_import():
    import xorsweep.analysis.claims
    import xorsweep.sweeps.run  # noqa: F401

    assert callable(xorsweep.sweep) and xorsweep.sweep.__module__ == "xorsweep.sweeps.run"
    assert callable(xorsweep.claims) and xorsweep.claims.__module__ == "xorsweep.analysis.claims"
    namespace: dict = {}
    exec("from xorsweep import *", namespace)
    assert namespace["reference"].__name__ == "xorsweep.training.reference"
    assert set(xorsweep.__all__) <= set(namespace) and set(xorsweep.__all__) <= set(dir(xorsweep))
    assert namespace["train"] is xorsweep.training.trainer.train
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        xorsweep.no_such_name  # noqa: B018


def test_no_public_name_is_also_a_submodule_name():
    """Importing a submodule sets it as an attribute of the package: a function of the
    same name would be replaced (``reference`` is a public name that is a module, and lives
    in ``training``)."""
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(xorsweep.__path__)}
    assert set(xorsweep.__all__) & modules == set()
    layers = {"_core", "model", "training", "sweeps", "analysis", "plots", "studies", "cli"}
    assert modules == layers | {"_version", "__main__"}


def test_a_sweeps_workers_import_numpy_and_numba_but_not_scipy_xarray_pandas_or_matplotlib():
    """What a fresh worker process has loaded once started (its imports and the warm-up
    block of the numba engine): the package and a block's computation, nothing heavy."""
    code = (
        "import io, sys; from xorsweep.sweeps import workers as w; s = io.BytesIO(); "
        "w._send(s, None); s.seek(0); w._start_up(s); "
        "print(' '.join(sorted(k for k, v in sys.modules.items() if v is not None))); "
        "import scipy.linalg; print(scipy.linalg.__name__)"  # kept out only while it starts
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    started, later = out.stdout.splitlines()
    assert later == "scipy.linalg"
    loaded = {m.split(".")[0] for m in started.split()}
    assert {"numpy", "numba", "xorsweep"} <= loaded
    assert not loaded & {"scipy", "xarray", "pandas", "zarr", "dask", "matplotlib"}, loaded
    # what the parent sends its workers is found there (pickled by module and name)
    from xorsweep.sweeps import config, tasks

    for sent in (tasks.compute_block, tasks.BlockTask):
        assert sent.__module__ == "xorsweep.sweeps.tasks", sent
    assert config.SweepConfig.__module__ == "xorsweep.sweeps.config"


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads Linux's /proc")
def test_a_started_worker_process_maps_no_scipy_pandas_or_matplotlib_library():
    """The same of a worker as a sweep starts it, seen from outside: no shared object of
    SciPy, pandas or matplotlib is mapped into it (numba's LLVM is)."""
    from xorsweep.sweeps.workers import LocalWorkers

    with LocalWorkers(1) as pool:
        assert pool.ready()
        maps = Path(f"/proc/{pool._procs[0].pid}/maps").read_text()
    libraries = {line.split()[-1] for line in maps.splitlines() if ".so" in line}
    packages = {part for lib in libraries for part in Path(lib).parts}
    assert "llvmlite" in packages
    assert not packages & {"scipy", "pandas", "matplotlib"}, sorted(libraries)


@pytest.mark.parametrize(("old", "new"), [("fit", "analysis.fit"), ("_checks", "_core.checks")])
def test_an_old_module_path_gives_the_moved_module_with_a_warning(old, new, monkeypatch):
    """The modules were flat before the layers: an old path gives the moved module itself."""
    import importlib

    monkeypatch.delitem(sys.modules, f"xorsweep.{old}", raising=False)
    with pytest.warns(DeprecationWarning, match=f"xorsweep.{old} has moved to xorsweep.{new}$"):
        module = importlib.import_module(f"xorsweep.{old}")
    assert module is importlib.import_module(f"xorsweep.{new}")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("xorsweep.no_such_module")


@pytest.mark.parametrize(
    ("package", "name", "home"),
    [
        ("studies.beyond", "run_beyond", "run"),
        ("studies.failures", "run_failures", "run"),
        ("training", "train_arrays", "trainer"),
    ],
)
def test_the_paths_the_notebooks_and_readme_use_import_without_a_warning(package, name, home):
    """A package that was a module serves its old module's public names, not private ones."""
    import importlib

    module = importlib.import_module(f"xorsweep.{package}")
    assert getattr(module, name).__module__ == f"xorsweep.{package}.{home}"
    with pytest.raises(AttributeError, match="no attribute '_private'"):
        module._private  # noqa: B018
