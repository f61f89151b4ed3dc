"""Truth tables: the training data of the boolean functions the networks learn.

A truth table holds every input combination once, as ``inputs`` of shape
``(sample, in)`` and ``targets`` of shape ``(sample, out)``, both float64 with
values in {0, 1}.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .._core.checks import check_count, check_finite

__all__ = ["TruthTable", "xor", "and_", "or_", "xnor", "parity", "truth_table"]


@dataclass(frozen=True)
class TruthTable:
    """Inputs and 0/1 targets of a boolean function.

    Parameters
    ----------
    inputs : array_like, shape (sample, in)
        Finite input values, one row per sample.
    targets : array_like, shape (sample, out) or (sample,)
        Targets, every value exactly 0 or 1. A 1-D array is taken as one output.
    name : str
        A label used in results and figures.

    Raises
    ------
    ValueError
        If the shapes disagree, a value is not finite, or a target is not 0 or 1.
    """

    inputs: np.ndarray
    targets: np.ndarray
    name: str = field(default="custom")

    def __post_init__(self) -> None:
        inputs = np.array(self.inputs, dtype=np.float64, copy=True)
        targets = np.array(self.targets, dtype=np.float64, copy=True)
        if targets.ndim == 1:
            targets = targets[:, None]
        if inputs.ndim != 2 or inputs.shape[0] < 1 or inputs.shape[1] < 1:
            raise ValueError(
                f"data.inputs must have shape (sample, in) with at least one of each, "
                f"got shape {inputs.shape}"
            )
        if targets.ndim != 2 or targets.shape[0] != inputs.shape[0] or targets.shape[1] < 1:
            raise ValueError(
                f"data.targets must have shape (sample, out) with sample={inputs.shape[0]}, "
                f"got shape {targets.shape}"
            )
        check_finite(inputs, "data.inputs")
        if not np.all((targets == 0) | (targets == 1)):
            raise ValueError("data.targets must be exactly 0 or 1 (binary cross-entropy targets)")
        inputs.setflags(write=False)
        targets.setflags(write=False)
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "targets", targets)

    @property
    def samples(self) -> int:
        """Number of samples (rows)."""
        return int(self.inputs.shape[0])

    @property
    def n_in(self) -> int:
        """Number of inputs per sample."""
        return int(self.inputs.shape[1])

    @property
    def n_out(self) -> int:
        """Number of outputs per sample."""
        return int(self.targets.shape[1])

    def __repr__(self) -> str:
        return (
            f"TruthTable(name={self.name!r}, samples={self.samples}, "
            f"in={self.n_in}, out={self.n_out})"
        )


def _all_inputs(bits: int) -> np.ndarray:
    """Every combination of ``bits`` binary inputs, shape (2**bits, bits), in counting order."""
    return np.array(list(itertools.product((0.0, 1.0), repeat=bits)))


def _table(name: str, bits: int, rule) -> TruthTable:
    inputs = _all_inputs(bits)
    targets = np.array([[float(rule(row))] for row in inputs.astype(int)])
    return TruthTable(inputs, targets, name)


def xor() -> TruthTable:
    """Exclusive or of two inputs: the article's table.

    Examples
    --------
    >>> table = xor()
    >>> table.inputs.tolist(), table.targets.ravel().tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
    """
    return _table("xor", 2, lambda r: r[0] ^ r[1])


def and_() -> TruthTable:
    """Logical and of two inputs."""
    return _table("and", 2, lambda r: r[0] & r[1])


def or_() -> TruthTable:
    """Logical or of two inputs."""
    return _table("or", 2, lambda r: r[0] | r[1])


def xnor() -> TruthTable:
    """Negated exclusive or of two inputs."""
    return _table("xnor", 2, lambda r: 1 - (r[0] ^ r[1]))


def parity(bits: int = 3) -> TruthTable:
    """Odd parity of ``bits`` inputs (``parity(2)`` is XOR).

    Parameters
    ----------
    bits : int
        Number of inputs, from 1 to 16.

    Returns
    -------
    TruthTable
        ``2**bits`` samples; the target is 1 when an odd number of inputs is 1.
    """
    bits = check_count(bits, "bits", minimum=1, maximum=16)
    return _table(f"parity{bits}", bits, lambda r: int(r.sum()) % 2)


_NAMED = {"xor": xor, "and": and_, "or": or_, "xnor": xnor}


def truth_table(name: str | TruthTable) -> TruthTable:
    """Look up a table by name: ``"xor"``, ``"and"``, ``"or"``, ``"xnor"`` or ``"parityN"``.

    A :class:`TruthTable` is returned unchanged.
    """
    if isinstance(name, TruthTable):
        return name
    if not isinstance(name, str):
        raise TypeError(f"data must be a TruthTable or a table name, got {type(name).__name__}")
    key = name.lower()
    if key in _NAMED:
        return _NAMED[key]()
    if key.startswith("parity") and key[6:].isdigit():
        return parity(int(key[6:]))
    raise ValueError(
        f"unknown truth table {name!r}; known: 'xor', 'and', 'or', 'xnor', "
        "'parityN' (N from 1 to 16)"
    )
