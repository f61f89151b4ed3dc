"""Argument checks shared by the public functions.

Each check names the argument and the allowed range in its message, so bad
input never reaches NumPy and never turns into silent NaNs.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_count(value: object, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer in [minimum, maximum]."""
    allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer {allowed}, got {value!r}")
    if int(value) < minimum or (maximum is not None and int(value) > maximum):
        raise ValueError(f"{name} must be an integer {allowed}, got {value}")
    return int(value)


def check_real(
    value: object, name: str, low: float, high: float = math.inf, *, strict: bool = False
) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number in [low, high).

    With ``strict`` the lower bound is excluded: (low, high).

    >>> check_real(0.5, "level", 0.0, strict=True)
    0.5
    >>> check_real(0, "level", 0.0, strict=True)
    Traceback (most recent call last):
    ...
    ValueError: level must be a finite number > 0, got 0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    above = low < value if strict else low <= value
    if not (above and value < high) or not math.isfinite(value):
        upper = f" and < {high:g}" if math.isfinite(high) else ""
        bound = ">" if strict else ">="
        raise ValueError(f"{name} must be a finite number {bound} {low:g}{upper}, got {value:g}")
    return value


def check_confidence(confidence: object) -> float:
    """A coverage probability: a number strictly between 0 and 1, returned as a float."""
    if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
        raise TypeError(f"confidence must be a number in (0, 1), got {confidence!r}")
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise ValueError(f"confidence must be a number in (0, 1), got {value:g}")
    return value


def check_real_dtype(value: object, name: str) -> np.ndarray:
    """``value`` as an array of integers or floats of at least single precision (not copied)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu" or arr.dtype == np.float16:
        raise TypeError(f"{name} must hold real numbers (float64), got dtype {arr.dtype}")
    return arr


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise unless every value of ``arr`` is finite; returns ``arr``."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def check_whole_numbers(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise unless ``arr`` holds integers, or floats with whole values; returns ``arr``."""
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and not np.all(arr == np.round(arr))):
        raise TypeError(f"{name} must hold whole numbers, got {arr.dtype} {arr!r}")
    return arr


def _real_array(value: object, name: str) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r}")
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number or an array of them, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def check_per_run(
    value: object, name: str, runs: int, *, positive: bool, upper: float = np.inf
) -> np.ndarray:
    """Broadcast a scalar or per-run value to shape (runs,), checking its range.

    ``positive`` demands values > 0, otherwise >= 0 is allowed. NaN and
    infinities are always refused.
    """
    arr = _real_array(value, name)
    if arr.ndim == 0:
        arr = np.full(runs, float(arr))
    elif arr.shape != (runs,):
        raise ValueError(
            f"{name} must be a scalar or have one value per run, shape ({runs},), "
            f"got shape {arr.shape}"
        )
    bound = "> 0" if positive else ">= 0"
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite and {bound}, got NaN or infinity")
    bad = (arr <= 0) if positive else (arr < 0)
    if np.any(bad) or np.any(arr > upper):
        first = arr[bad | (arr > upper)][0]
        limit = f" and <= {upper:g}" if np.isfinite(upper) else ""
        raise ValueError(f"{name} must be finite and {bound}{limit}, got {first:g}")
    return arr


def check_std(value: object, name: str, runs: int) -> np.ndarray:
    """A standard deviation: finite, >= 0, scalar or one per run."""
    return check_per_run(value, name, runs, positive=False)


def check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """``value`` must be one of the strings in ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_grid(value: object, name: str, *, upper: float = np.inf) -> np.ndarray:
    """The values of one grid axis: 0-d or 1-D, non-empty, finite, > 0, <= ``upper``, distinct.

    Returns a float64 array with the input's dimensionality (0-d for a scalar).
    """
    arr = _real_array(value, name)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-D array of them, got shape {arr.shape}")
    flat = arr.reshape(-1)
    if flat.size == 0:
        raise ValueError(f"{name} must hold at least one value, got an empty array")
    limit = f" and <= {upper:g}" if np.isfinite(upper) else ""
    bad = ~np.isfinite(flat) | (flat <= 0) | (flat > upper)
    if np.any(bad):
        k = int(np.argmax(bad))
        where = f" at position {k}" if arr.ndim else ""
        raise ValueError(f"{name} must be finite and > 0{limit}, got {flat[k]:g}{where}")
    uniq, counts = np.unique(flat, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(f"{name} must hold distinct values, got {uniq[counts > 1][0]!r} twice")
    return arr
