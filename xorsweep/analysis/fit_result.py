"""What :func:`xorsweep.fit_optimum` returns: the fitted minimum, its intervals and its curve."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["FitResult", "plain_value"]


def _tuple2(low: float = math.nan, high: float = math.nan) -> tuple[float, float]:
    return (float(low), float(high))


def plain_value(v: Any) -> Any:
    """``v`` as plain Python for JSON: sequences as lists, NumPy scalars as bool, int or
    float, NaN and infinities as None."""
    if isinstance(v, (tuple, list, np.ndarray)):
        return [plain_value(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(v) else float(v)
    return v


@dataclass(frozen=True, eq=False, repr=False)
class FitResult:
    """The fitted minimum of the mean total loss over the hidden std.

    Made by :func:`fit_optimum`; all losses are mean total losses (the
    article's metric) from the fitted curve, all stds are hidden-layer stds.
    Intervals are percentile bootstrap intervals over runs at the level
    ``confidence``; each replicate chooses its own window as the fit did.
    When ``ok`` is false there is no optimum: ``reason`` says why in words,
    and ``optimum``, its interval, the loss there and ``glorot_distance`` are
    NaN. The interval of a quantity ``x_ci`` is also ``x_low`` / ``x_high``
    for ``optimum`` and ``loss_at_optimum``, the names of
    :func:`xorsweep.fit_slices`' variables and of :meth:`to_dict`'s keys.
    On a gain sweep's results (``axis`` ``"gain"``) every std below is a gain,
    and "1/sqrt(2)" is Glorot's gain on that axis (``glorot_name``).

    Attributes
    ----------
    optimum : float
        The std at which the fitted curve is lowest inside the window.
    optimum_ci : (float, float)
        Its confidence interval.
    loss_at_optimum : float
        The fitted curve's value there, with ``loss_at_optimum_ci``.
    loss_at_glorot, loss_at_one : float
        The fitted curve at 1/sqrt(2) and at 1, with ``loss_at_glorot_ci`` and
        ``loss_at_one_ci``; NaN (and said in ``notes``) when that std lies
        outside the window, where the curve is not an estimate of anything.
    glorot_distance : float
        Signed distance from the optimum to 1/sqrt(2) in units of the
        interval's half-width on the side of 1/sqrt(2):
        ``(g - optimum) / (optimum_high - optimum)`` if ``g = 1/sqrt(2)`` is at or
        above the optimum, else ``(g - optimum) / (optimum - optimum_low)``. It is
        positive when 1/sqrt(2) is above the optimum, and 1/sqrt(2) lies
        outside the interval exactly when ``abs(glorot_distance) > 1``.
    curve : xarray.DataArray
        ``"fitted_loss"`` over ``hidden_std``: the fitted curve at
        ``CURVE_POINTS`` log-spaced stds across the window (for plotting).
    ok : bool
        Whether the fit found a minimum inside the window and its interval
        lies inside the window too (the replicates' minima reach their
        windows' edges in at most ``(1 - confidence) / 2`` of them).
    reason : str
        Why there is no optimum, in words; empty when ``ok``.
    notes : tuple of str
        Harmless notes on a fit, ok or not: lack of fit, few degrees of
        freedom, stds outside the window. :attr:`message` joins ``reason``
        and the notes.
    model : str
        The model in words.
    degree : int
        Degree of the polynomial in ``log(hidden_std)``.
    coefficients : tuple of float
        Its coefficients, constant first, in the scaled variable
        ``t = (log(hidden_std) - center) / scale``, which runs from -1 to 1
        across the window.
    center, scale : float
    window : (float, float)
        The smallest and largest std of the points fitted.
    n_points, n_runs : int
        Points in the window and present runs in them.
    n_boot : int
        Bootstrap replicates.
    confidence : float
    chi2, dof, p_value : float, int, float
        Weighted residual sum of squares, its degrees of freedom
        (``n_points - degree - 1``) and the chi-square probability of a value
        at least as large if the model were right and the standard errors
        exact. A small ``p_value`` means the curve does not follow the means
        within their errors (then the interval is too narrow).
    edge_fraction : (float, float)
        Fractions of bootstrap replicates whose fitted minimum is at their
        window's lower and upper edge.
    boot_optimum : ndarray, shape (n_boot,)
        The bootstrap replicates of ``optimum``.
    boot_coefficients : ndarray, shape (n_boot, degree + 1)
        The bootstrap replicates of ``coefficients`` (in the fit's ``t``).
    boot_loss : ndarray, shape (n_boot,)
        Each replicate's lowest value on its window.
    axis, axis_words, glorot_name : str
        The dimension fitted (``"hidden_std"`` or ``"gain"``), it in words, and
        how Glorot's value on it is named (:func:`xorsweep.swept_axis`).
    """

    optimum: float = math.nan
    optimum_ci: tuple[float, float] = field(default_factory=_tuple2)
    loss_at_optimum: float = math.nan
    loss_at_optimum_ci: tuple[float, float] = field(default_factory=_tuple2)
    loss_at_glorot: float = math.nan
    loss_at_glorot_ci: tuple[float, float] = field(default_factory=_tuple2)
    loss_at_one: float = math.nan
    loss_at_one_ci: tuple[float, float] = field(default_factory=_tuple2)
    glorot_distance: float = math.nan
    curve: xr.DataArray = field(
        default_factory=lambda: xr.DataArray(
            np.zeros(0), dims="hidden_std", coords={"hidden_std": np.zeros(0)}, name="fitted_loss"
        )
    )
    ok: bool = False
    reason: str = ""
    notes: tuple[str, ...] = ()
    model: str = ""
    degree: int = 3
    coefficients: tuple[float, ...] = ()
    center: float = math.nan
    scale: float = math.nan
    window: tuple[float, float] = field(default_factory=_tuple2)
    n_points: int = 0
    n_runs: int = 0
    n_boot: int = 0
    confidence: float = 0.95
    chi2: float = math.nan
    dof: int = 0
    p_value: float = math.nan
    edge_fraction: tuple[float, float] = field(default_factory=_tuple2)
    boot_optimum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    boot_coefficients: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    boot_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the axis fitted (xorsweep.swept_axis): its dimension, its words, Glorot's name on it
    axis: str = "hidden_std"
    axis_words: str = "hidden std"
    glorot_name: str = "1/sqrt(2)"

    def __post_init__(self) -> None:
        if not self.ok:  # no optimum: no optimum number, however the result was made
            for name in ("optimum", "loss_at_optimum", "glorot_distance"):
                object.__setattr__(self, name, math.nan)
            for name in ("optimum_ci", "loss_at_optimum_ci"):
                object.__setattr__(self, name, _tuple2())

    @property
    def message(self) -> str:
        """``reason`` and ``notes`` joined by semicolons; empty when there is nothing to say."""
        return "; ".join(m for m in (self.reason, *self.notes) if m)

    @property
    def optimum_low(self) -> float:
        """The lower end of the optimum's interval (``optimum_ci[0]``)."""
        return self.optimum_ci[0]

    @property
    def optimum_high(self) -> float:
        """The upper end of the optimum's interval (``optimum_ci[1]``)."""
        return self.optimum_ci[1]

    def predict(self, hidden_std: Any) -> np.ndarray:
        """The fitted curve at ``hidden_std`` (array_like); NaN outside the window."""
        return self._evaluate(hidden_std, np.asarray(self.coefficients, dtype=np.float64))

    def predict_boot(self, hidden_std: Any) -> np.ndarray:
        """The bootstrap replicates of the fitted curve at ``hidden_std``.

        Returns an array of shape ``(n_boot, *np.shape(hidden_std))``; NaN
        outside the fit's window. A replicate fitted on a narrower window of
        its own is evaluated across the fit's window all the same (a short
        extrapolation at its ends), so that every replicate has a value.
        """
        coefs = np.asarray(self.boot_coefficients, dtype=np.float64)
        return self._evaluate(hidden_std, coefs.T)

    def _evaluate(self, hidden_std: Any, coefs: np.ndarray) -> np.ndarray:
        s = np.asarray(hidden_std, dtype=np.float64)
        if coefs.size == 0:
            return np.full(coefs.shape[1:] + s.shape, np.nan)
        lo, hi = self.window
        inside = (s >= lo) & (s <= hi)
        t = (np.log(np.where(inside, s, 1.0)) - self.center) / self.scale
        value = np.polynomial.polynomial.polyval(t, coefs, tensor=True)
        return np.where(inside, value, np.nan)  # shape coefs.shape[1:] + s.shape

    def _rows(self) -> list[tuple[str, float, float, float]]:
        nan = math.nan
        return [
            ("optimum", self.optimum, *self.optimum_ci),
            ("loss_at_optimum", self.loss_at_optimum, *self.loss_at_optimum_ci),
            ("loss_at_glorot", self.loss_at_glorot, *self.loss_at_glorot_ci),
            ("loss_at_one", self.loss_at_one, *self.loss_at_one_ci),
            ("glorot_distance", self.glorot_distance, nan, nan),
            ("window_low", self.window[0], nan, nan),
            ("window_high", self.window[1], nan, nan),
            ("n_points", float(self.n_points), nan, nan),
            ("n_runs", float(self.n_runs), nan, nan),
            ("chi2", self.chi2, nan, nan),
            ("dof", float(self.dof), nan, nan),
            ("p_value", self.p_value, nan, nan),
            ("n_boot", float(self.n_boot), nan, nan),
        ]

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a table: index ``quantity``, columns value, value_low, value_high.

        ``ok``, ``reason``, ``notes``, ``model`` and ``confidence`` are in the
        frame's ``attrs``.
        """
        columns = ["quantity", "value", "value_low", "value_high"]
        frame = pd.DataFrame(self._rows(), columns=columns).set_index("quantity")
        frame.attrs.update(
            ok=self.ok,
            reason=self.reason,
            notes=self.notes,
            model=self.model,
            confidence=self.confidence,
        )
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for JSON): every scalar field, and the curve as two lists.

        An interval ``x_ci`` becomes ``x_low`` and ``x_high``; NaN becomes None.
        """

        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            if name in ("curve", "boot_optimum", "boot_coefficients", "boot_loss"):
                continue
            value = plain_value(getattr(self, name))
            if name.endswith("_ci"):
                out[f"{name[:-3]}_low"], out[f"{name[:-3]}_high"] = value
            else:
                out[name] = value
        out["curve"] = {
            self.axis: plain_value(self.curve[self.axis].values),
            "fitted_loss": plain_value(self.curve.values),
        }
        return out

    def __repr__(self) -> str:
        pct = f"{100 * self.confidence:g}%"
        lines = [f"FitResult(ok={self.ok})"]
        if not self.ok:
            lines.append(f"  no optimum: {self.reason}")
        if math.isfinite(self.optimum):
            lo, hi = self.optimum_ci
            lines.append(
                f"  optimal {self.axis_words} {self.optimum:.4g} ({pct} CI {lo:.4g} to {hi:.4g})"
            )
        if self.model:
            lines.append(
                f"  model: {self.model}, window {self.window[0]:.4g} to {self.window[1]:.4g} "
                f"({self.n_points} points, {self.n_runs:,} runs)"
            )
        if math.isfinite(self.loss_at_optimum):
            parts = [f"{self.loss_at_optimum:,.6g} at the optimum"]
            if math.isfinite(self.loss_at_glorot):
                parts.append(f"{self.loss_at_glorot:,.6g} at {self.glorot_name}")
            if math.isfinite(self.loss_at_one):
                parts.append(f"{self.loss_at_one:,.6g} at 1")
            lines.append("  fitted mean total loss: " + ", ".join(parts))
        if math.isfinite(self.glorot_distance):
            side = "above" if self.glorot_distance >= 0 else "below"
            lines.append(
                f"  {self.glorot_name} is {abs(self.glorot_distance):.3g} CI half-widths {side} "
                "the optimum"
            )
        if math.isfinite(self.chi2):
            lines.append(
                f"  lack of fit: chi2 {self.chi2:.4g} on {self.dof} dof (p = {self.p_value:.3g}); "
                f"bootstrap: {self.n_boot} replicates, minimum at the window's edges in "
                f"{100 * self.edge_fraction[0]:.3g}% / {100 * self.edge_fraction[1]:.3g}%"
            )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)
