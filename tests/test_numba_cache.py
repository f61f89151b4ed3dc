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
