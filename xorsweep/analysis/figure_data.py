"""What the ten figures are and what they show, computed without drawing.

The figures' names and titles, the file formats they are written in, and
:func:`figure_data`, which gathers the data of all ten from a sweep's
results: the example networks of figures 1 and 5 to 7 (trained here), the
summary of figures 8 and 9, and the fit of figure 8. :mod:`xorsweep.plots`
draws them; this module imports neither matplotlib nor seaborn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.checks import check_choice, check_count, check_real
from ..model.initialization import init_population
from ..model.network import glorot_std, output_std_for
from ..sweeps.config import RULE_OUTPUT
from ..training.trainer import ARTICLE_EPOCHS, ARTICLE_LR, train

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "FIGURE_NAMES",
    "FIGURE_TITLES",
    "FORMATS",
    "FigureData",
    "check_format",
    "example_network",
    "figure_data",
]

#: The ten figures: stable file stem -> title, in order.
FIGURE_TITLES = {
    "fig01_xor_boundaries": "1. XOR and the hidden neurons' decision lines",
    "fig02_sigmoid": "2. The sigmoid and its derivative",
    "fig03_bernoulli": "3. The Bernoulli compatibility P(y | y-hat)",
    "fig04_bce": "4. Binary cross-entropy",
    "fig05_training": "5. One network's training, as in the article",
    "fig06_weights_small_std": "6. Parameters over epochs, very small initial std",
    "fig07_weights_large_std": "7. Parameters over epochs, large initial std",
    "fig08_loss_vs_std": "8. Mean total loss against the hidden std (the headline)",
    "fig09_failure_rate": "9. Failure rate, median and quartiles against the std",
    "fig10_converged_epoch": "10. Converged epoch against the std",
}

#: Stable file stems of the ten figures, in order.
FIGURE_NAMES = tuple(FIGURE_TITLES)

#: File formats the ``xorsweep figures`` command writes.
FORMATS = ("png", "svg", "pdf")

_LOSS_EVERY = 500  # figure 5 logs the loss as often as the article prints it
_PARAMETERS_EVERY = 10  # figures 6 and 7 record every parameter this often


def check_format(fmt: object) -> str:
    """``fmt`` must be one of :data:`FORMATS`."""
    return check_choice(fmt, "format", FORMATS)


@dataclass(frozen=True)
class FigureData:
    """Everything the ten figures draw, computed by :func:`figure_data`.

    Attributes
    ----------
    example : xarray.Dataset
        One network trained as in the article (hidden and output std 1,
        loss recorded every 500 epochs): figures 1 and 5.
    small, large : xarray.Dataset
        One network each at ``small_std`` and ``large_std`` (hidden layer),
        all parameters recorded every 10 epochs: figures 6 and 7.
    small_std, large_std : float
    results : xarray.Dataset
        The sweep over (hidden_std, run): figure 10.
    summary : xarray.Dataset
        ``summarize(results)``: figures 8 and 9.
    fit : FitResult
        ``fit_optimum(results, errors="ignore")``: check ``fit.ok``.
    notes : tuple of str
        What the caller should tell the reader (a failed fit, an example
        network that never converged).
    """

    example: xr.Dataset
    small: xr.Dataset
    large: xr.Dataset
    small_std: float
    large_std: float
    results: xr.Dataset
    summary: xr.Dataset
    fit: Any
    notes: tuple[str, ...] = field(default=())


def example_network(
    hidden_std: float,
    output_std: float,
    seed: np.random.SeedSequence,
    candidates: int,
    epochs: int,
    lr: float,
    record_every: int,
) -> tuple[xr.Dataset, bool]:
    """Of ``candidates`` seeded networks, a typical one that converges, retrained with recording.

    Typical: the converged run whose ``converged_epoch`` is the lower median
    among the converged runs (ties to the lowest run index); run 0 if none
    converged. Returns the retrained network (one run, recorded every
    ``record_every`` epochs) and whether any candidate converged.
    """
    pop = init_population(candidates, hidden_std, output_std, seed=np.random.default_rng(seed))
    epoch = train(pop, epochs, lr).converged_epoch.values
    converged = np.flatnonzero(np.isfinite(epoch))
    pick = 0
    if converged.size:
        order = converged[np.argsort(epoch[converged], kind="stable")]
        pick = int(order[(converged.size - 1) // 2])
    return train(pop[pick], epochs, lr, record_every=record_every), bool(converged.size)


def figure_data(
    results: xr.Dataset,
    *,
    seed: int = 0,
    small_std: float = 0.05,
    large_std: float = 20.0,
    output_std: float | None = None,
    epochs: int = ARTICLE_EPOCHS,
    lr: float = ARTICLE_LR,
    candidates: int = 64,
    fit: Any = None,
) -> FigureData:
    """Compute what the ten figures show: example networks, summary and fit.

    Figures 1 to 7 illustrate single networks trained here with the article's
    ``epochs`` and ``lr``, independently of the sweep's settings. For each,
    ``candidates`` networks are drawn from ``seed`` and a typical one that
    converges (:func:`example_network`) is retrained with recording, so the
    same seed gives the same figures; if none converges, the first is used
    and a note says so.

    Parameters
    ----------
    results : xarray.Dataset
        A sweep's results (see :func:`xorsweep.sweep`).
    seed : int
        Seed of the example networks.
    small_std, large_std : float
        Hidden-layer std of the networks of figures 6 and 7 (> 0).
    output_std : float, optional
        Output-layer std of those networks; default the sweep's
        ``attrs["output_std"]`` when it is a single number, else Glorot's
        sqrt(2/3) for a 2 -> 1 layer (which the article rounds to 0.8165).
    epochs, lr : int, float
        Training of the example networks.
    candidates : int
        Networks tried per example.
    fit : FitResult, optional
        A fit of ``results`` already made; by default
        ``fit_optimum(results, errors="ignore")``.

    Returns
    -------
    FigureData
    """
    import xarray as xr

    from .fit import fit_optimum
    from .stats import summarize

    if not isinstance(results, xr.Dataset):
        raise TypeError(f"results must be an xarray.Dataset, got {type(results).__name__}")
    small_std = check_real(small_std, "small_std", 0.0, strict=True)
    large_std = check_real(large_std, "large_std", 0.0, strict=True)
    epochs = check_count(epochs, "epochs", minimum=2)
    candidates = check_count(candidates, "candidates")
    if output_std is None:
        # the example networks are the article's 2-2-1 networks: "glorot" is its value at width 2
        attr = results.attrs.get("output_std")
        attr = None if attr == RULE_OUTPUT else output_std_for(attr, 2, 1)  # a gain sweep's: none
        output_std = float(attr) if np.ndim(attr) == 0 and attr is not None else glorot_std(2, 1)
    seeds = np.random.SeedSequence(check_count(seed, "seed", minimum=0)).spawn(3)
    notes = []
    example, ok = example_network(
        1.0, 1.0, seeds[0], candidates, epochs, lr, record_every=_LOSS_EVERY
    )
    if not ok:
        notes.append(
            f"none of {candidates} example networks (std 1) converged; "
            "figures 1 and 5 show the first"
        )
    small, ok = example_network(
        small_std, output_std, seeds[1], candidates, epochs, lr, record_every=_PARAMETERS_EVERY
    )
    if not ok:
        notes.append(
            f"no network with hidden std {small_std:g} converged; figure 6 shows the first"
        )
    large, ok = example_network(
        large_std, output_std, seeds[2], candidates, epochs, lr, record_every=_PARAMETERS_EVERY
    )
    if not ok:
        notes.append(
            f"no network with hidden std {large_std:g} converged; figure 7 shows the first"
        )
    summary = summarize(results)
    summary = summary.assign_attrs({**results.attrs, **summary.attrs})  # epochs for the labels
    if fit is None:
        fit = fit_optimum(results, errors="ignore")
    if not fit.ok:
        notes.append(f"no minimum was fitted: {fit.message}")
    return FigureData(
        example=example,
        small=small,
        large=large,
        small_std=small_std,
        large_std=large_std,
        results=results,
        summary=summary,
        fit=fit,
        notes=tuple(notes),
    )
