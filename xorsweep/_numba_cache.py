"""Where numba keeps the compiled kernels: a per-user cache folder, never the package.

numba's ``cache=True`` writes its index and data files next to the source by
default (the package's ``__pycache__``). pip does not record them, so
``pip uninstall`` leaves them, and the left folder becomes a namespace package
that hides a later editable install. :func:`njit` compiles with numba's cache
in :func:`cache_dir` instead: ``NUMBA_CACHE_DIR`` if the user set it, else
``xorsweep/numba`` in the platform's per-user cache folder
(``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS,
``%LOCALAPPDATA%`` on Windows). numba picks a function's cache folder once,
when the function is decorated (its locators read ``numba.core.config.CACHE_DIR``
then), so the setting is made for the decoration alone and numba's own
configuration is left as it was, whenever numba was imported. Where no
folder can be written, the kernels are compiled without a cache.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "njit"]


def cache_dir() -> Path:
    """The folder numba's cache of the kernels goes to (see the module's docstring)."""
    from numba.core import config

    explicit = os.environ.get("NUMBA_CACHE_DIR") or config.CACHE_DIR
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "xorsweep" / "numba"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def njit(func: Callable | None = None, **options: Any) -> Any:
    """``numba.njit(cache=True, **options)``, cached in :func:`cache_dir`; used as
    ``@njit`` or ``@njit(inline="always")``."""
    if func is None:
        return lambda f: njit(f, **options)
    import numba
    from numba.core import config

    path = cache_dir()
    if not _writable(path):  # numba would fall back on the package's folder
        return numba.njit(func, cache=False, **options)
    saved = config.CACHE_DIR
    config.CACHE_DIR = str(path)
    try:
        return numba.njit(func, cache=True, **options)
    finally:
        config.CACHE_DIR = saved
