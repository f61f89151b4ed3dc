"""``--data``: a truth table by name, from a JSON file, or written out as rows.

``xor``, ``and``, ``or``, ``xnor`` or ``parityN`` name a known table
(:func:`xorsweep.truth_table`); ``table.json`` holds ``{"inputs": [[0, 0],
...], "targets": [[0], ...], "name": "..."}`` (``name`` optional: the
file's stem); ``"00->0,01->1,10->1,11->0"`` writes a table's rows, inputs
``->`` targets, each side digits or numbers separated by spaces
(``"0.5 1->1"``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..model.truth_tables import TruthTable, truth_table

__all__ = ["DATA_HELP", "read_table"]

#: The help text of ``--data``.
DATA_HELP = (
    "training data: a known truth table (xor, and, or, xnor, parityN), a JSON file with "
    '{"inputs": [[0, 0], ...], "targets": [[0], ...], "name": "..."}, or its rows written '
    "INPUTS->TARGETS, comma-separated, each side digits or numbers separated by spaces, "
    "e.g. '00->0,01->1,10->1,11->0' (XOR)"
)


def _side(text: str) -> list[float]:
    """One side of a row: ``"01"`` (digits) or ``"0.5 1"`` (numbers)."""
    items = text.split() if " " in text.strip() else list(text.strip())
    return [float(item) for item in items]


def _rows(text: str) -> TruthTable:
    """The table written as rows ``INPUTS->TARGETS``, separated by commas or semicolons."""
    inputs, targets = [], []
    for row in text.replace(";", ",").split(","):
        left, arrow, right = row.partition("->")
        if not arrow or not left.strip() or not right.strip():
            raise ValueError(f"row {row.strip()!r} is not INPUTS->TARGETS")
        try:
            inputs.append(_side(left))
            targets.append(_side(right))
        except ValueError:
            raise ValueError(f"row {row.strip()!r} holds something that is not a number") from None
    if len({len(r) for r in inputs}) > 1 or len({len(r) for r in targets}) > 1:
        raise ValueError("every row must have as many inputs, and as many targets, as the first")
    return TruthTable(inputs, targets)


def _file(path: Path) -> TruthTable:
    """The table of a JSON file."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path} as JSON ({exc})") from None
    if not isinstance(content, dict) or not {"inputs", "targets"} <= content.keys():
        raise ValueError(f"{path} must hold an object with 'inputs' and 'targets'")
    name = content.get("name", path.stem)
    return TruthTable(content["inputs"], content["targets"], str(name))


def read_table(text: object) -> str | TruthTable:
    """The ``--data`` option's table: a known name as it is, else a :class:`TruthTable`.

    Raises ValueError, one line beginning ``--data``, for anything else.

    Examples
    --------
    >>> read_table("xor")
    'xor'
    >>> table = read_table("00->0,01->1,10->1,11->1")
    >>> table.targets.ravel().tolist(), table.name
    ([0.0, 1.0, 1.0, 1.0], 'custom')
    >>> read_table("01->2")
    Traceback (most recent call last):
    ...
    ValueError: --data: data.targets must be exactly 0 or 1 (binary cross-entropy targets)
    """
    if not isinstance(text, str):
        return text  # type: ignore[return-value]
    try:
        if "->" in text:
            return _rows(text)
        if text.lower().endswith(".json"):
            return _file(Path(text))
        return truth_table(text).name
    except (ValueError, TypeError) as exc:
        message = str(exc)
    if "unknown truth table" in message:
        message = f"{message}; or a .json file, or rows like '00->0,01->1,10->1,11->0'"
    raise ValueError(f"--data: {message}")
