"""The machine a benchmark runs on: one core to run on, and the CPU described.

Imported by the benchmarks, which run as scripts from the repository root
(``python benchmarks/bench_NAME.py`` puts this directory on ``sys.path``).
NumPy and numba are imported only when asked for, so that a benchmark sets its
thread counts before they load.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
from pathlib import Path


def pin_to_one_core() -> int:
    """Pin this process to the lowest-numbered CPU it may use; return that CPU."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def numpy_simd() -> dict[str, str]:
    """NumPy's SIMD extensions, ``baseline`` (compiled in) and ``found`` (used at run time)."""
    import numpy as np

    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        np.show_runtime()
    return {
        key: re.search(rf"'{key}': \[([^\]]*)\]", shown.getvalue()).group(1).replace("'", "")
        for key in ("baseline", "found")
    }


def numpy_exp_log() -> str:
    """Which of NumPy's compiled variants its float64 exp and log run (NumPy >= 2.1)."""
    try:
        from numpy.lib.introspect import opt_func_info

        info = opt_func_info(func_name="^(exp|log)$", signature="float64")
        return ", ".join(f"{f} {info[f]['dd']['current']}" for f in ("exp", "log"))
    except (ImportError, KeyError):
        return "unknown"


def vector_bits() -> int:
    """Width of the vectors numba's LLVM chooses here for a simple float64 loop."""
    import numba
    import numpy as np

    @numba.njit
    def scale(a):
        for k in range(a.size):
            a[k] = 1.0 / (1.0 + a[k])

    scale(np.ones(64))
    asm = scale.inspect_asm(scale.signatures[0])
    return 512 if "zmm" in asm else 256 if "ymm" in asm else 128


def describe_cpu() -> list[str]:
    """The CPU's model, NumPy's SIMD levels and numba's target, as comment lines."""
    import numba
    import numpy as np
    from llvmlite import binding

    simd = numpy_simd()
    return [
        f"# CPU: {cpu_model()}",
        f"# numpy {np.__version__}: SIMD baseline {simd['baseline']}; found {simd['found']}",
        f"# NumPy's float64 code in use: {numpy_exp_log()}",
        f"# numba {numba.__version__}, LLVM target {binding.get_host_cpu_name()}: "
        f"{vector_bits()}-bit vectors in vectorised loops",
    ]
