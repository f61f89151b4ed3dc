"""The study axes as the command line writes them: one value, a list, or a log-spaced range.

``--hidden 2,4,8`` or ``--lr 0.05,0.1`` (a comma-separated list) adds a grid
dimension; one value stays an attribute of the sweep, as in
:class:`xorsweep.SweepConfig`. ``--output-std 0.1:10:30`` is 30 values
log-spaced from 0.1 to 10, spaced as the hidden stds are
(:func:`xorsweep.article_grid`). Each function raises ValueError with one line
that names the option and what it allows.
"""

from __future__ import annotations

import math

import numpy as np

from .._core.checks import check_grid
from ..model.network import MAX_HIDDEN

__all__ = ["GLOROT", "LIST_HELP", "RANGE_HELP", "names", "numbers", "size", "widths"]

#: How every list option is written, for the help texts.
LIST_HELP = "one value, or a comma-separated list (a grid dimension, e.g. {example})"
#: How a log-spaced range is written, for the help texts.
RANGE_HELP = "MIN:MAX:N for N values log-spaced from MIN to MAX"
#: ``--output-std glorot``: Glorot's std of the output layer for each width.
GLOROT = "glorot"


def _items(text: str, option: str) -> list[str]:
    """The comma-separated items of ``text``, none of them empty."""
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ValueError(f"{option} must be one value or a comma-separated list, got {text!r}")
    return items


def _log_range(text: str, option: str) -> tuple[float, ...]:
    """``MIN:MAX:N``: N values from MIN to MAX, log-spaced like the hidden stds."""
    from ..sweeps import budget
    from ..sweeps.config import article_grid

    usage = f"{option} {RANGE_HELP} (0 < MIN < MAX, N >= 2), got {text!r}"
    parts = text.split(":")
    try:
        lo, hi, count = float(parts[0]), float(parts[1]), float(parts[2])
    except (ValueError, IndexError):
        raise ValueError(usage) from None
    if len(parts) != 3 or not (0 < lo < hi < math.inf) or not count.is_integer() or count < 2:
        raise ValueError(usage)
    try:  # before the values are made
        budget.check_grid(int(count), budget.available_memory())
    except ValueError as exc:
        raise ValueError(f"{option} {text}: {exc}") from None
    return tuple(article_grid(int(count), lo, hi).tolist())


def numbers(
    value: object, option: str, *, upper: float = math.inf, glorot: bool = False
) -> float | str | tuple[float, ...]:
    """A number option: one float, a tuple of them (a list or range), or ``"glorot"``.

    A value that is not a string (the option's default) is returned as it is.

    Examples
    --------
    >>> numbers("0.1", "--lr"), numbers("0.05,0.1", "--lr")
    (0.1, (0.05, 0.1))
    >>> [round(v, 6) for v in numbers("0.1:10:3", "--output-std")]
    [0.1, 1.0, 10.0]
    >>> numbers("0", "--lr")
    Traceback (most recent call last):
    ...
    ValueError: --lr must be finite and > 0, got 0
    """
    if not isinstance(value, str):
        return value  # type: ignore[return-value]
    text = value.strip()
    if glorot and text.lower() == GLOROT:
        return GLOROT
    if ":" in text:
        values = list(_log_range(text, option))
    else:
        try:
            values = [float(item) for item in _items(text, option)]
        except ValueError:
            also = f", {GLOROT!r}" if glorot else ""
            raise ValueError(
                f"{option} must be a number, a comma-separated list of them{also} or "
                f"{RANGE_HELP}, got {text!r}"
            ) from None
    arr = check_grid(values if len(values) > 1 else values[0], option, upper=upper)
    return float(arr) if arr.ndim == 0 else tuple(float(v) for v in arr)


def widths(value: object, option: str = "--hidden") -> int | tuple[int, ...]:
    """Hidden widths: one integer from 1 to 256, or a tuple of distinct ones (a grid
    dimension; the same width repeated is refused with the ``--depth`` that gives it).

    Examples
    --------
    >>> widths("2"), widths("2,4,8")
    (2, (2, 4, 8))
    >>> widths("0")
    Traceback (most recent call last):
    ...
    ValueError: --hidden must be whole numbers from 1 to 256, got '0'
    """
    if not isinstance(value, str):
        return value  # type: ignore[return-value]
    out = []
    for item in _items(value, option):
        try:
            width = float(item)
        except ValueError:
            width = math.nan
        if not (width.is_integer() and 1 <= width <= MAX_HIDDEN):
            raise ValueError(f"{option} must be whole numbers from 1 to {MAX_HIDDEN}, got {item!r}")
        out.append(int(width))
    if len(out) > 1 and len(set(out)) == 1:  # one width per layer: that is --depth
        raise ValueError(
            f"{option} lists distinct widths (a grid dimension), got {value!r}: for {len(out)} "
            f"hidden layers of width {out[0]} give {option} {out[0]} --depth {len(out)}"
        )
    return _distinct(out, option)


def names(value: object, option: str, allowed: tuple[str, ...]) -> str | tuple[str, ...]:
    """Names from ``allowed``: one, or a tuple of distinct ones.

    Examples
    --------
    >>> names("tanh", "--activation", ("sigmoid", "tanh"))
    'tanh'
    >>> names("gelu", "--activation", ("sigmoid", "tanh"))
    Traceback (most recent call last):
    ...
    ValueError: --activation must be 'sigmoid' or 'tanh' (or a comma-separated list), got 'gelu'
    """
    if not isinstance(value, str):
        return value  # type: ignore[return-value]
    items = _items(value, option)
    for item in items:
        if item not in allowed:
            choices = " or ".join(repr(a) for a in allowed)
            raise ValueError(
                f"{option} must be {choices} (or a comma-separated list), got {item!r}"
            )
    return _distinct(items, option)


def _distinct(items: list, option: str) -> object:
    """One item alone, several as a tuple; a repeated one is refused."""
    repeated = [v for k, v in enumerate(items) if v in items[:k]]
    if repeated:
        raise ValueError(f"{option} must hold distinct values, got {repeated[0]!r} twice")
    return items[0] if len(items) == 1 else tuple(items)


def size(*values: object) -> int:
    """Grid points that the values make: the product of the tuples' lengths.

    >>> size((0.1, 0.2, 0.3), 0.8, (2, 4))
    6
    """
    return int(np.prod([len(v) for v in values if isinstance(v, tuple)], dtype=np.int64))
