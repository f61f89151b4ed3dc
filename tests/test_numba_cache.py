"""numba's cache of the kernels goes to a per-user folder, never into the package."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from numba.core import config

import xorsweep
from xorsweep.training import _numba_cache

PACKAGE = Path(xorsweep.__file__).resolve().parent


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_compiling_the_kernel_writes_nothing_into_the_package(tmp_path):
    # numba imported before xorsweep: its configuration is read already, and must not matter
    code = "import numba; from xorsweep import fused; fused.warm(2, 3, 1)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(XDG_CACHE_HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE.parent), env.get("PYTHONPATH", "")])
    before = _files(PACKAGE)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=240)
    assert _files(PACKAGE) == before
    cached = list((tmp_path / "xorsweep" / "numba").rglob("fused._train_chunks-*.nbi"))
    assert cached, sorted(p.name for p in tmp_path.rglob("*"))


def test_an_explicit_numba_cache_dir_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    try:
        assert _numba_cache.cache_dir() == tmp_path / "mine"

        def twice(x):
            return 2.0 * x

        compiled = _numba_cache.njit(twice)
        assert compiled(np.float64(1.5)) == 3.0
        assert list((tmp_path / "mine").rglob("*twice*.nbi"))
        assert not (tmp_path / "xdg").exists()
    finally:  # numba read the variable into its configuration when it compiled: forget it
        monkeypatch.undo()
        config.reload_config()


def test_the_platform_folder_and_no_cache_where_it_cannot_be_written(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(config, "CACHE_DIR", "")  # as numba read it (conftest sets one)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert _numba_cache.cache_dir() == tmp_path / "xorsweep" / "numba"
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no folder can be made in it
    if sys.platform.startswith("linux"):

        def thrice(x):
            return 3.0 * x

        compiled = _numba_cache.njit(thrice)
        assert compiled(np.float64(1.0)) == 3.0
        assert type(compiled._cache).__name__ == "NullCache"
        assert not list(Path(thrice.__code__.co_filename).parent.glob("__pycache__/*thrice*"))


def test_processes_sharing_the_cache_load_each_others_signatures(tmp_path):
    """Two processes compile one function for two signatures into one cache at once; a third
    loads both from it, each with its own machine code."""
    (tmp_path / "kernels.py").write_text(
        "from xorsweep.training._numba_cache import njit\n\n\n@njit\ndef plus(x):\n"
        "    return x + 1\n"
    )
    code = (
        "import sys; import numpy as np; import kernels\n"
        "args = {'int': np.int64(1), 'float': np.float64(1.5)}\n"
        "got = [kernels.plus(args[name]) for name in sys.argv[1:]]\n"
        "print(*got, sum(kernels.plus._cache_hits.values()), len(kernels.plus._cache_misses))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(PACKAGE.parent)])
    run = [sys.executable, "-c", code]
    both = [subprocess.Popen([*run, name], env=env, stdout=subprocess.PIPE, text=True)
            for name in ("int", "float")]  # fmt: skip
    assert [p.communicate(timeout=240)[0].split() for p in both] == [
        ["2", "0", "1"],
        ["2.5", "0", "1"],
    ]
    again = subprocess.run([*run, "int", "float"], env=env, capture_output=True, text=True)
    assert again.stdout.split() == ["2", "2.5", "2", "0"], again.stderr
    assert list((tmp_path / "cache").rglob("locks/*.lock"))
