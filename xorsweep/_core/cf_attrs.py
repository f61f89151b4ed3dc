"""What each variable and coordinate of the package's Datasets is: its long name and units.

One table, :data:`CF_ATTRS`, maps every name that :func:`xorsweep.train`,
:func:`xorsweep.sweep` (and :func:`xorsweep.open_results`),
:func:`xorsweep.summarize` and :func:`xorsweep.fit_slices` give a variable or
a coordinate to its ``long_name`` and ``units``, the attributes of the CF
conventions; :func:`with_cf_attrs` puts them on a Dataset. xarray's own plots
label their axes with them (``long_name [units]``), and a store keeps them.

Units follow CF: ``"1"`` for a dimensionless number (stds, learning rates,
indices, counts, fractions, parameters), ``"epochs"`` for epoch counts and
epoch coordinates, ``"nats"`` for losses (binary cross-entropy with the
natural logarithm), ``"%"`` for percentages. Names (an activation, a rule,
a message) are not quantities and have no units (CF asks units of quantities
only; xarray would write an empty one as ``[]`` beside the name).

This module imports neither xarray nor NumPy, so that a sweep's workers can
import the store's attributes without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["CF_ATTRS", "cf_attrs", "with_cf_attrs"]

_PARAMETERS = {
    "hidden_weights": "hidden layer's weights",
    "hidden_bias": "hidden layer's biases",
    "output_weights": "output layer's weights",
    "output_bias": "output layer's biases",
    # the layers between hidden layers of deeper networks (up to 16 hidden layers)
    **{f"hidden{k}_weights": f"weights into hidden layer {k}" for k in range(2, 17)},
    **{f"hidden{k}_bias": f"biases of hidden layer {k}" for k in range(2, 17)},
}

#: ``name -> (long_name, units)`` of every variable and coordinate the package's Datasets
#: hold; units None for names, which are not quantities. ``{confidence}`` in a long name is the
#: Dataset's ``confidence`` attribute (``"95%"``).
CF_ATTRS: dict[str, tuple[str, str | None]] = {
    # the grid of a sweep, and the settings of a slice
    "hidden_std": ("initial std of the hidden layer", "1"),
    "output_std": ("initial std of the output layer", "1"),
    "lr": ("learning rate", "1"),
    "hidden": ("hidden width (units per network)", "1"),
    "activation": ("hidden layer's activation", None),
    "gradient": ("output error summed or averaged over the samples", None),
    "bias": ("initial biases: drawn like the weights or zero", None),
    "optimizer": ("optimiser of the training (its table entry)", None),
    "run": ("run index", "1"),
    # one network's axes (xorsweep.train)
    "sample": ("training sample index", "1"),
    "input": ("input index", "1"),
    "unit": ("hidden unit index", "1"),
    **{f"unit{k}": (f"unit index of hidden layer {k}", "1") for k in range(2, 17)},
    "output": ("output index", "1"),
    "epoch": ("epoch", "epochs"),
    # what training measures
    "total_loss": ("total loss: mean BCE summed over the epochs", "nats"),
    "final_loss": ("final loss: mean BCE of the trained network", "nats"),
    "epoch_loss": ("mean BCE at the epoch", "nats"),
    "predictions": ("trained network's output", "1"),
    "converged_epoch": ("first epoch from which all predictions are right", "epochs"),
    "converged": ("whether all predictions end right", "1"),
    "budget": ("training budget: epochs trained, as if training had stopped there", "epochs"),
    "budget_total_loss": ("total loss over the budget's epochs", "nats"),
    "budget_converged_epoch": (
        "first epoch from which all predictions are right, training stopped at the budget",
        "epochs",
    ),
    "budget_converged": ("whether all predictions are right at the budget", "1"),
    **{name: (text, "1") for name, text in _PARAMETERS.items()},
    **{f"{name}_history": (f"{text} during training", "1") for name, text in _PARAMETERS.items()},
    # xorsweep.summarize
    "mean": ("mean total loss", "nats"),
    "std": ("standard deviation of the total loss (ddof=1)", "nats"),
    "count": ("runs present", "1"),
    "sem": ("standard error of the mean total loss", "nats"),
    "median": ("median total loss", "nats"),
    "q25": ("first quartile of the total loss", "nats"),
    "q75": ("third quartile of the total loss", "nats"),
    "failures": ("runs that never converged", "1"),
    "failure_rate": ("fraction of runs that never converged", "1"),
    "failure_low": ("failure rate, lower end of the Wilson {confidence} interval", "1"),
    "failure_high": ("failure rate, upper end of the Wilson {confidence} interval", "1"),
    "mean_converged": ("mean total loss of the runs that converged", "nats"),
    "mean_converged_epoch": ("mean converged epoch of the runs that converged", "epochs"),
    # xorsweep.fit_slices
    "rule": ("initialization rule", None),
    "optimum": ("fitted optimal hidden std", "1"),
    "optimum_low": ("fitted optimal hidden std, lower end of the {confidence} interval", "1"),
    "optimum_high": ("fitted optimal hidden std, upper end of the {confidence} interval", "1"),
    "loss_at_optimum": ("fitted mean total loss at the optimum", "nats"),
    "loss_at_optimum_low": (
        "fitted loss at the optimum, lower end of the {confidence} interval",
        "nats",
    ),
    "loss_at_optimum_high": (
        "fitted loss at the optimum, upper end of the {confidence} interval",
        "nats",
    ),
    "ok": ("whether an optimum was fitted", "1"),
    "reason": ("why no optimum was fitted (empty if one was)", None),
    "notes": ("notes on the fit that do not withdraw its optimum", None),
    "dof": ("residual degrees of freedom of the fit's window", "1"),
    "curve_std": ("hidden-layer initial std along the fitted curve", "1"),
    "fitted_loss": ("fitted mean total loss", "nats"),
    "fitted_loss_low": ("fitted mean total loss, lower end of the {confidence} band", "nats"),
    "fitted_loss_high": ("fitted mean total loss, upper end of the {confidence} band", "nats"),
    "window_low": ("smallest hidden std of the fit's window", "1"),
    "window_high": ("largest hidden std of the fit's window", "1"),
    "n_points": ("grid points in the fit's window", "1"),
    "n_runs": ("runs in the fit's window", "1"),
    "p_value": ("p-value of the fit's lack-of-fit test", "1"),
    "rule_std": ("the rule's std of the hidden layer", "1"),
    "loss_at_rule": ("fitted mean total loss at the rule's std", "nats"),
    "loss_at_rule_low": (
        "fitted loss at the rule's std, lower end of the {confidence} interval",
        "nats",
    ),
    "loss_at_rule_high": (
        "fitted loss at the rule's std, upper end of the {confidence} interval",
        "nats",
    ),
    "rule_distance": ("distance of the rule's std from the optimum, in interval half-widths", "1"),
    "penalty": ("fitted loss at the rule's std above the optimum's", "%"),
    "penalty_low": ("penalty, lower end of the {confidence} interval", "%"),
    "penalty_high": ("penalty, upper end of the {confidence} interval", "%"),
}


def _percent(confidence: object) -> str:
    """``"95%"`` for a confidence of 0.95; ``"confidence"`` for none."""
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
        return f"{100 * confidence:g}%"
    return "confidence"


def cf_attrs(name: str, confidence: float | None = None) -> dict[str, str]:
    """``{"long_name": ..., "units": ...}`` of ``name`` (a key of :data:`CF_ATTRS`);
    no ``units`` for a name-valued variable.

    Examples
    --------
    >>> cf_attrs("converged_epoch")["units"], cf_attrs("failure_low", 0.9)["long_name"]
    ('epochs', 'failure rate, lower end of the Wilson 90% interval')
    """
    if name not in CF_ATTRS:
        raise ValueError(f"name must be one of the names of CF_ATTRS, got {name!r}")
    long_name, units = CF_ATTRS[name]
    out = {"long_name": long_name.format(confidence=_percent(confidence))}
    return out if units is None else {**out, "units": units}


def with_cf_attrs(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with ``long_name`` and ``units`` on every variable and coordinate in the table.

    A shallow copy: the values are shared, ``ds`` is unchanged. The table's
    attributes replace those of the same names (a name-valued variable loses
    any ``units``); other attributes are kept, and variables the table does
    not name are left as they are.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset({"mean": ("hidden_std", [3.0, 2.0])}, coords={"hidden_std": [0.5, 1.0]})
    >>> out = with_cf_attrs(ds)
    >>> out.hidden_std.attrs["long_name"], out["mean"].attrs["units"], ds["mean"].attrs
    ('initial std of the hidden layer', 'nats', {})
    """
    out = ds.copy(deep=False)
    confidence = out.attrs.get("confidence")
    for name, variable in out.variables.items():
        if name in CF_ATTRS:
            if CF_ATTRS[str(name)][1] is None:
                variable.attrs.pop("units", None)
            variable.attrs.update(cf_attrs(str(name), confidence))
    return out
