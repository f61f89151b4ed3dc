"""The training engines: their names, and which one trains when ``engine="auto"``.

* ``"numpy"``: :mod:`xorsweep.training._numpy_kernel`, one NumPy call per equation and
  epoch over a block of networks; the exactness anchor, always available.
* ``"numba"``: :mod:`xorsweep.training.fused`, a loop over all the epochs of a few
  dozen networks at a time, compiled with numba for each network shape and
  hidden activation; several times faster. Its numbers are the NumPy
  engine's to about 1e-12 (relative), not bit for bit.
* ``"auto"`` (the default): ``"numba"`` where numba imports and compiles the
  kernel for the networks at hand, else ``"numpy"`` with one warning (once
  per process) that says why. There is no width above which NumPy is
  faster: on one core of an AVX-512 Xeon numba is 2.2 to 2.9 times the NumPy
  engine at every width measured, 2 to 32 (``python
  benchmarks/bench_widths.py``, 1,024 runs x 1,000 epochs) and 1.6 to 2.3
  times at 48 to 256 (``--widths 48 64 128 256``, 100 to 200 epochs).
  Results in a store keep the engine they were computed with (:func:`resume`).

Within one engine a run's numbers never depend on the block size, the number
of workers or the scheduler.

``precision="float32"`` (:data:`xorsweep.training.settings.PRECISIONS`) makes the numba
engine compute in float32: twice the SIMD lanes, 1.9 to 2.3 times the float64
kernel's speed, statistics equivalent to float64's (BENCHMARKS.md). The NumPy
engine refuses it (one line): it computes in float64 only. On a CPU with
AVX-512 the numba kernel is compiled with 512-bit vectors
(:func:`xorsweep.training._numba_cache.prefer_wide_vectors`): the same numbers,
faster than LLVM's 256-bit default and than an AVX2 build on the machine measured (1.4
and 1.6 times), so ``"auto"`` keeps the native build. The first use of a precision or
optimiser other than float64 and gd compiles the kernel again, which :data:`on_compile` hears.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from .settings import COMPUTING, ENGINES, TrainingSettings, check_engine

__all__ = [
    "ENGINES",
    "COMPUTING",
    "check_engine",
    "numba_problem",
    "recorded",
    "resolve",
    "resume",
    "settle",
]

# (in, hidden, out, activation) -> why the numba engine cannot train those networks, or None
_PROBLEMS: dict[tuple[int, int | tuple[int, ...], int, str], str | None] = {}
_VARIANTS: set[tuple[int, int, int, str, str, str]] = set()  # compiled in this process
_warned = False  # the fallback's warning is given once per process

#: Called with one line before the numba kernel is compiled for a shape not in the cache
#: (seconds of silence otherwise); the command line prints it. None: nothing is said.
on_compile: Callable[[str], None] | None = None


def _compile_numba(
    n_in: int,
    hidden: int,
    n_out: int,
    activation: str,
    precision: str = "float64",
    optimizer: str = "gd",
) -> None:
    """Import the fused kernel and compile it (or load it from numba's cache) for this shape,
    precision and optimiser, first telling :data:`on_compile` if it is not in the cache."""
    from . import _numba_cache

    variant = () if (precision, optimizer) == ("float64", "gd") else (precision, optimizer)
    shape = (n_in, hidden, n_out, activation, *variant)
    first = not _numba_cache.is_compiled(shape)
    if first and on_compile is not None:
        what = " ".join([activation, *variant])
        on_compile(
            f"compiling the numba kernel for {n_in}-{hidden}-{n_out} {what} networks "
            f"(first use, ~{_numba_cache.compile_seconds():.0f} s; cached afterwards in "
            f"{_numba_cache.cache_dir()})"
        )
    start = time.perf_counter()
    from . import fused  # imports numba

    fused.warm(n_in, hidden, n_out, activation, precision, optimizer)
    if first:
        _numba_cache.mark_compiled(shape, time.perf_counter() - start)


def _compile_variant(settings: TrainingSettings, n_in: int, hidden: int, n_out: int) -> None:
    """Compile the kernel in ``settings``' precision and optimiser (once per process) where
    they are not float64 and gd, which :func:`numba_problem` compiled: said like a shape's."""
    key = (n_in, hidden, n_out, settings.activation, settings.precision, settings.optimizer)
    if key[4:] != ("float64", "gd") and key not in _VARIANTS:
        _compile_numba(*key)
        _VARIANTS.add(key)


def _deep_problem() -> str | None:
    """Why the numba engine cannot train networks of several hidden layers here, or None."""
    name = f"{__package__}.fused_deep"
    if importlib.util.find_spec(name) is None:
        return f"no numba kernel for networks of several hidden layers ({name})"
    try:
        importlib.import_module(name)  # imports numba
    except ImportError as err:
        return f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0]}"
    return None


def numba_problem(
    n_in: int, hidden: int | tuple[int, ...], n_out: int, activation: str = "sigmoid"
) -> str | None:
    """Why the numba engine cannot train networks ``n_in -> hidden -> n_out`` here, or None.

    The first call for a shape compiles the kernel (seconds, then cached on
    disk by numba); the answer is kept for the rest of the process. ``hidden``
    a tuple (several hidden layers): whether
    :mod:`xorsweep.training.fused_deep` imports.
    """
    key = (n_in, hidden, n_out, activation)
    if isinstance(hidden, tuple):
        if key not in _PROBLEMS:
            _PROBLEMS[key] = _deep_problem()
        return _PROBLEMS[key]
    if key not in _PROBLEMS:
        try:
            _compile_numba(*key)
        except Exception as err:  # what numba raises when it cannot compile varies
            lines = str(err).strip().splitlines() or [""]
            _PROBLEMS[key] = f"{type(err).__name__}: {lines[0]}".rstrip(": ")
        else:
            _PROBLEMS[key] = None
    return _PROBLEMS[key]


def resolve(
    engine: str,
    n_in: int,
    hidden: int | tuple[int, ...],
    n_out: int,
    activation: str = "sigmoid",
) -> str:
    """The engine that trains networks ``n_in -> hidden -> n_out``: ``"numpy"`` or ``"numba"``.

    ``engine`` is one of :data:`ENGINES`. ``"auto"`` is ``"numba"`` at every
    width, the faster engine at each width measured (2 to 256, see the module's
    docstring), and falls back to ``"numpy"`` with a RuntimeWarning (the
    first time in the process) where numba cannot compile the kernel;
    ``"numba"`` then raises ValueError.

    >>> resolve("numpy", 2, 2, 1)
    'numpy'
    """
    global _warned
    engine = check_engine(engine)
    if engine == "numpy":
        return engine
    problem = numba_problem(n_in, hidden, n_out, activation)
    if problem is None:
        return "numba"
    if engine == "numba":
        raise ValueError(f"engine='numba' cannot run here ({problem}): use 'numpy' or 'auto'")
    if not _warned:
        _warned = True
        warnings.warn(
            f"engine='auto' trains with NumPy: the numba engine cannot run here ({problem})",
            RuntimeWarning,
            stacklevel=5,  # the caller of train()
        )
    return "numpy"


def recorded(attrs: Mapping[str, Any]) -> str:
    """The engine that computed results with attributes ``attrs``: results from before
    engines existed (no ``engine`` attribute) are NumPy's.

    >>> recorded({}), recorded({"engine": "numba"})
    ('numpy', 'numba')
    """
    return str(attrs.get("engine", "numpy"))


def resume(requested: str, recorded: str, what: str) -> str:
    """The engine that adds runs to results computed by ``recorded`` (one of :data:`COMPUTING`).

    ``"auto"`` is ``recorded``: results hold one engine's numbers. Another
    engine than ``recorded`` is refused with a ValueError naming both and
    ``what`` (the results, e.g. ``"the store r.zarr"``).

    >>> resume("auto", "numpy", "the store r.zarr")
    'numpy'
    """
    requested = check_engine(requested)
    if requested in ("auto", recorded):
        return recorded
    raise ValueError(
        f"{what} was computed with engine {recorded!r}, and engine={requested!r} was asked for: "
        f"a store holds one engine's numbers. Use engine {recorded!r} (or 'auto') to add to it, "
        "or choose another store path"
    )


def settle(
    settings: TrainingSettings,
    n_in: int,
    hidden: int | tuple[int, ...],
    n_out: int,
    stored: str | None = None,
    what: str = "the results",
) -> TrainingSettings:
    """``settings`` with the engine that trains ``n_in -> hidden -> n_out`` networks.

    The one place where ``"auto"`` is settled: results being added to keep
    ``stored``, the engine they record (:func:`resume`); new ones take
    :func:`resolve`'s choice (numba where it compiles, else NumPy with a
    warning; ``"numba"`` where it cannot compile is a ValueError).

    >>> settle(TrainingSettings(engine="auto"), 2, 2, 1, stored="numpy").engine
    'numpy'
    """
    engine = settings.engine if stored is None else resume(settings.engine, stored, what)
    if engine != "numpy":
        engine = resolve(engine, n_in, hidden, n_out, settings.activation)
    deep = isinstance(hidden, tuple) and len(hidden) > 1
    if engine == "numba" and not isinstance(hidden, tuple):
        _compile_variant(settings, n_in, hidden, n_out)
    if deep and settings.precision != "float64":  # the kernel of several layers is float64
        raise ValueError(
            f"precision={settings.precision!r} is for networks of one hidden layer; networks "
            f"of {len(hidden)} hidden layers train in precision='float64'"
        )
    if engine == "numpy" and settings.precision != "float64":
        raise ValueError(
            f"precision={settings.precision!r} needs the numba engine (the NumPy engine "
            "computes in float64): use engine='numba' or 'auto' where numba runs, or "
            "precision='float64'"
        )
    return settings if engine == settings.engine else replace(settings, engine=engine)
