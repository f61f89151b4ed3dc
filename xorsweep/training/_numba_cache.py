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
:func:`njit`'s first decoration also lets LLVM use 512-bit vectors where the
CPU has them (:func:`prefer_wide_vectors`).

Several processes may share the cache (a sweep's workers, parallel test runs):
numba's own cache is not safe for that, since it numbers a function's cached
signatures from its index file, so that two processes saving different
signatures at once can file one's machine code under the other's entry. Where
``fcntl`` exists, :func:`njit`'s functions compile each signature under a lock
of the cache folder (:func:`_shared`): a process that needs a signature another
is compiling waits and loads it from the cache, and the index is written by one
process at a time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "is_compiled", "mark_compiled", "njit", "prefer_wide_vectors"]

#: Seconds of the kernel's first compilation where none was timed on this machine yet (4 to 5 s
#: on one core of a 2-core Xeon: `python -c "from xorsweep import fused; fused.warm(2, 2, 1)"`
#: with an empty cache).
COMPILE_SECONDS = 5.0


_vectors_chosen = False  # prefer_wide_vectors() was tried (by the first njit)


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

    global _vectors_chosen
    if not _vectors_chosen:  # before numba's CPU target is made, at the first decoration
        _vectors_chosen = True
        prefer_wide_vectors()
    path = cache_dir()
    if not _writable(path):  # numba would fall back on the package's folder
        return numba.njit(func, cache=False, **options)
    saved = config.CACHE_DIR
    config.CACHE_DIR = str(path)
    try:
        return _shared(numba.njit(func, cache=True, **options))
    finally:
        config.CACHE_DIR = saved


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock of the file ``path`` (made if missing) for the block; none
    where its folder cannot be written (numba cannot save there either)."""
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # closed by the with below
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared(dispatcher: Any) -> Any:
    """``dispatcher`` (cached) made safe for processes sharing its cache folder.

    Each signature is compiled (or loaded) holding a lock of the folder's
    ``locks/`` named after the function and the signature, after numba's
    in-process compiler lock (so threads take the locks in one order, and a
    function's lock is taken before its callees' ones: no deadlock), and numba
    saves its index holding the function's lock of the index. Without
    ``fcntl`` (Windows), or where numba's JIT is disabled, it is left as it is.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:  # pragma: no cover - not on POSIX
        return dispatcher
    if not hasattr(dispatcher, "_cache"):  # NUMBA_DISABLE_JIT=1: the Python function
        return dispatcher
    from numba.core.compiler_lock import global_compiler_lock

    cache = dispatcher._cache
    folder = Path(cache._cache_path) / "locks"
    name = f"{dispatcher.py_func.__module__}.{dispatcher.py_func.__qualname__}"
    compile_alone, save_alone = dispatcher.compile, cache._cache_file.save

    def compile(sig: Any) -> Any:
        if isinstance(sig, tuple) and sig in dispatcher.overloads:
            return compile_alone(sig)  # compiled in this process already
        key = hashlib.sha1(f"{name} {sig}".encode()).hexdigest()[:20]
        with global_compiler_lock, _locked(folder / f"{key}.lock"):
            return compile_alone(sig)

    def save(key: Any, data: Any) -> None:
        with _locked(folder / f"{name}.index.lock"):
            save_alone(key, data)

    dispatcher.compile, cache._cache_file.save = compile, save
    return dispatcher


def prefer_wide_vectors() -> bool:
    """Let LLVM vectorise with 512-bit registers on a CPU with AVX-512; whether it was set.

    LLVM prefers 256-bit vectors on AVX-512 CPUs (for older ones that slow down on wider
    ones); the kernel's loops are faster with 512-bit ones on this Xeon (BENCHMARKS.md), and
    their numbers are bit for bit the same (element-wise operations, no reordered sums).
    numba reads its CPU features once, when its CPU target is made (the first ``njit``
    decoration of the process), for every function compiled after: so this is done only
    before that, and only where ``NUMBA_CPU_NAME`` and ``NUMBA_CPU_FEATURES`` are not set
    (setting either chooses the build; ``NUMBA_CPU_FEATURES`` set to the host's features
    keeps LLVM's preference).
    """
    from llvmlite import binding
    from numba.core import config, registry

    chosen = {"NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"} & set(os.environ)
    made = "_toplevel_target_context" in vars(registry.cpu_target)
    features = binding.get_host_cpu_features()
    if chosen or made or config.CPU_NAME or config.CPU_FEATURES or not features.get("avx512f"):
        return False
    config.CPU_FEATURES = features.flatten() + ",-prefer-256-bit"
    return True


def _marker(shape: tuple) -> Path:
    """The file that says the kernel of this source and numba was compiled for ``shape``."""
    import hashlib

    import numba

    here = Path(__file__)
    kernel = ("fused.py", "_fused_math.py", "_fused_small.py")
    source = b"".join(here.with_name(name).read_bytes() for name in kernel)
    version = hashlib.sha1(source + numba.__version__.encode()).hexdigest()[:16]
    return cache_dir() / "compiled" / version / "-".join(str(part) for part in shape)


def is_compiled(shape: tuple) -> bool:
    """Whether the kernel for ``shape`` (inputs, hidden, outputs, activation) is in the cache."""
    return _marker(shape).is_file()


def mark_compiled(shape: tuple, seconds: float) -> None:
    """Note that the kernel for ``shape`` is in the cache (it took ``seconds``)."""
    path = _marker(shape)
    if _writable(path.parent):
        path.write_text(f"{seconds:.1f}\n")


def compile_seconds() -> float:
    """How long the last first compilation took here (:data:`COMPILE_SECONDS` if none)."""
    found = sorted(cache_dir().glob("compiled/*/*"), key=lambda p: p.stat().st_mtime)
    try:
        return float(found[-1].read_text())
    except (IndexError, OSError, ValueError):
        return COMPILE_SECONDS
