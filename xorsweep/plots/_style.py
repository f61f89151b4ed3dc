"""The figures' theme, colours and sizes (see the package docstring for what each colour means)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import matplotlib as mpl
import seaborn as sns
from cycler import cycler

#: seaborn's ``deep`` palette, as hex strings.
DEEP = sns.color_palette("deep").as_hex()

#: What each colour means; see the package docstring.
COLORS: dict[str, str] = {
    "class0": DEEP[0],
    "class1": DEEP[1],
    "y0": DEEP[4],
    "y1": DEEP[2],
    "boundary": "#000000",
    "data": DEEP[0],
    "glorot": "#000000",
    "optimum": "#12711c",
    "fit": DEEP[3],
    "never": "#c8c8c8",
    "reference": "#ffffff",
}

#: The colour of each end state (:data:`xorsweep.analysis.end_states.END_STATES`), in its order.
STATE_COLORS: dict[str, str] = {
    "converged": DEEP[2],
    "stuck": DEEP[3],
    "plateau": DEEP[4],
    "symmetric": DEEP[1],
    "slow": DEEP[0],
    "other": DEEP[7],
}

#: Colour and marker of each initialization rule (:data:`xorsweep.model.initialization.INIT_RULES`);
#: rules giving the same std share the first one's.
RULE_STYLES: dict[str, dict[str, str]] = {
    "glorot_normal": {"color": "#000000", "marker": "o"},
    "glorot_uniform": {"color": DEEP[7], "marker": "s"},
    "he": {"color": DEEP[1], "marker": "D"},
    "lecun": {"color": DEEP[4], "marker": "^"},
    "glorot_slope_gain": {"color": DEEP[5], "marker": "v"},
    "glorot_torch_gain": {"color": DEEP[9], "marker": "P"},
    "critical": {"color": DEEP[3], "marker": "X"},  # the mean-field critical gain
}

#: The style (a key of :data:`RULE_STYLES`) of each rule marked on a gain sweep's axis
#: (the keys of :func:`xorsweep.analysis.axis.rule_gains`).
GAIN_STYLES = {
    "glorot": "glorot_normal",
    "lecun": "lecun",
    "he": "he",
    "4x": "glorot_slope_gain",
    "critical": "critical",
}

#: Size (inches) of each figure when a plot function makes its own.
SIZES = {
    "fig01_xor_boundaries": (5.5, 6.6),
    "fig02_sigmoid": (6.0, 4.0),
    "fig03_bernoulli": (6.0, 4.8),
    "fig04_bce": (6.0, 4.0),
    "fig05_training": (10.5, 4.2),
    "fig06_weights_small_std": (8.5, 4.5),
    "fig07_weights_large_std": (8.5, 4.5),
    "fig08_loss_vs_std": (10.0, 5.5),
    "fig09_failure_rate": (10.0, 7.5),
    "fig10_converged_epoch": (10.0, 5.0),
    "survival": (9.0, 5.0),
    "end_states": (9.0, 5.0),
    "basin_map": (6.5, 5.5),
    "basin_growth": (5.0, 4.6),  # per panel
    "beyond_loss_map": (9.0, 6.5),
    "beyond_optimum_vs_width": (9.0, 5.0),
    "beyond_gradient_conventions": (10.0, 5.5),
    "beyond_optimum_by_setting": (10.0, 5.0),
}

_F = TypeVar("_F", bound=Callable[..., Any])


def _theme_rc() -> dict[str, Any]:
    rc: dict[str, Any] = {}
    rc.update(sns.axes_style("whitegrid"))
    rc.update(sns.plotting_context("notebook"))
    rc["axes.prop_cycle"] = cycler(color=DEEP)
    rc["legend.frameon"] = True
    rc["legend.framealpha"] = 0.9
    return rc


@contextmanager
def theme() -> Iterator[None]:
    """Draw in the package's seaborn theme inside a ``with`` block.

    The theme is matplotlib's rc settings from seaborn's ``whitegrid`` style,
    ``notebook`` context and ``deep`` palette; they, and only they, are
    restored on exit. Other settings changed meanwhile stay: in a notebook,
    the first figure starts the inline backend, which turns interactive mode
    on, and undoing that (as ``matplotlib.rc_context`` would) stops figures
    made after the block from being shown.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with theme():
    ...     fig, ax = plt.subplots()
    >>> ax.xaxis.get_gridlines()[0].get_visible()
    True
    >>> plt.close(fig)
    """
    rc = _theme_rc()
    saved = {key: mpl.rcParams[key] for key in rc}
    mpl.rcParams.update(rc)
    try:
        yield
    finally:
        mpl.rcParams.update(saved)


def themed(func: _F) -> _F:
    """``func`` drawing inside :func:`theme`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with theme():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
