"""The article's quantitative claims, each measured with an interval and a verdict.

:func:`claims` measures all five; each has one function here. With ``L(s)``
the mean total loss at hidden std ``s``:

1. *"setting the deviation to 1/sqrt(2) instead of 1 improves the learning
   convergence by 8.5%"*: ``100 * (1 - L(1/sqrt 2) / L(1))`` percent.
2. *"changing the deviation to 0.6 gives us an additional 1.1%"*:
   ``100 * (L(1/sqrt 2) - L(0.6)) / L(1)``, in percentage points of the same
   baseline ``L(1)``, so that claims 1 and 2 add up to the gain of 0.6 over 1.
   With ``method="fit"`` the losses are the fitted curve of
   :func:`xorsweep.fit_optimum` and its bootstrap replicates (the smoothest
   estimate, but only inside the fit's window); with ``"interpolate"`` the grid
   points' means, linearly interpolated in log std and bootstrapped over runs
   (model-free, but noisier, and biased where the grid is coarse).
3. *the optimum is near 0.6, below 1/sqrt(2)*: ``fit.optimum`` and its
   interval; consistent when the interval meets [0.55, 0.65] **and** lies
   entirely below 1/sqrt(2).
4. *"a network that fails to learn scores about 27,000"*: the mean total loss
   of the runs that never converged, pooled over all stds (at least
   :data:`MIN_RUNS`). The article's own code adds the loss averaged over the 4
   samples each epoch, so a network stuck at ``y_hat = 0.5`` scores
   ``epochs * log 2`` (6,931 for 10,000 epochs); 27,000 is
   ``-4 * 10**4 * log(0.5)`` (27,726), the loss summed over the samples.
5. *"with very small initial std the weights practically do not change for
   the first 2,000 learning cycles"*: networks at a small hidden std (the rest
   of their training from the results) are trained recording their
   parameters; for each that converges, the plateau ends at the first
   recorded epoch at which its hidden layer has moved a fraction of its total
   displacement (:func:`plateau_onsets`). Measured: the median over those
   runs (at least :data:`MIN_RUNS`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._core.checks import check_choice, check_confidence, check_count, check_real
from ..model.initialization import init_population
from ..model.network import GLOROT_STD, output_std_for
from ..model.truth_tables import truth_table
from ..sweeps.config import SweepConfig
from ..sweeps.results import table_of
from ..training.trainer import train
from .axis import swept_axis
from .fit import FitResult, fit_optimum
from .stats import (
    along_hidden_std,
    bootstrap_means,
    check_results,
    make_rng,
    percentile_interval,
)

__all__ = [
    "claims",
    "plateau_onsets",
    "ARTICLE_RUNS",
    "CLAIM_COLUMNS",
    "METHODS",
    "MIN_RUNS",
    "VERDICTS",
]

#: Columns of the table :func:`claims` returns.
CLAIM_COLUMNS = (
    "claim",
    "article",
    "measured",
    "measured_low",
    "measured_high",
    "verdict",
    "unit",
    "n",
    "note",
)

#: Fewest runs behind claims 4 and 5 (failed runs; converged plateau networks): with fewer,
#: a median or mean and its bootstrap interval say little, and the claim is "not measured".
MIN_RUNS = 10

#: How :func:`claims` measures the losses at 1/sqrt(2), 0.6 and 1.
METHODS = ("fit", "interpolate")

#: What the table can say of a claim.
VERDICTS = ("consistent", "inconsistent", "not measured", "not comparable")

#: Runs of the article's sweep: 400 hidden stds times 10,000 runs.
ARTICLE_RUNS = 400 * 10_000

# The article's training, which its numbers are for: SweepConfig's defaults.
_ARTICLE_SETTINGS = {
    f.name: f.default
    for f in dataclasses.fields(SweepConfig)
    if f.name
    in ("epochs", "lr", "output_std", "update", "data", "hidden", "activation", "gradient", "bias")
}
_SETTING_NAMES = {
    "epochs": "epochs",
    "lr": "learning rate",
    "output_std": "output std",
    "update": "update order",
    "data": "truth table",
    "hidden": "hidden units",
    "activation": "hidden activation",
    "gradient": "gradient convention",
    "bias": "bias initialisation",
}

# The article's numbers, and the values that round to them at the precision they are stated
# with (their last non-zero digit): a claim is consistent if its interval meets that range.
_ARTICLE = {
    "glorot_gain": (8.5, 8.45, 8.55),
    "further_gain": (1.1, 1.05, 1.15),
    "optimum": (0.6, 0.55, 0.65),
    "failed_loss": (27_000.0, 26_500.0, 27_500.0),
    "plateau": (2_000.0, 1_500.0, 2_500.0),
}


def _verdict(low: float, high: float, accept: tuple[float, float], extra: bool = True) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "not measured"
    meets = low <= accept[1] and high >= accept[0]
    return "consistent" if meets and extra else "inconsistent"


def _row(
    key: str, claim: str, unit: str, measured: float, ci: Any, n: int, note: str, extra: bool = True
) -> dict[str, Any]:
    article, *accept = _ARTICLE[key]
    low, high = (float(ci[0]), float(ci[1])) if ci is not None else (math.nan, math.nan)
    if not math.isfinite(measured):
        low = high = math.nan
    return {
        "claim": claim,
        "article": article,
        "measured": float(measured),
        "measured_low": low,
        "measured_high": high,
        "verdict": _verdict(low, high, (accept[0], accept[1]), extra),
        "unit": unit,
        "n": int(n),
        "note": note,
    }


def _interpolated(
    ds: xr.Dataset, targets: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, str, int]:
    """Mean total loss at ``targets``, linearly interpolated in log std between the two
    neighbouring grid points with present runs, its bootstrap replicates (B, k), why it is
    NaN (or ""), and the number of runs used."""
    stds = ds.hidden_std.values.astype(np.float64)
    loss = ds.total_loss.transpose("hidden_std", "run").values.astype(np.float64)
    has = (stds > 0) & np.isfinite(loss).any(axis=1)
    stds, loss = stds[has], loss[has]
    if stds.size == 0 or np.any(targets < stds[0]) or np.any(targets > stds[-1]):
        span = f"{stds[0]:.4g} to {stds[-1]:.4g}" if stds.size else "empty"
        return (
            np.full(targets.shape, np.nan),
            np.full((n_boot, targets.size), np.nan),
            f"the grid of stds with runs ({span}) does not reach every std needed",
            0,
        )
    hi = np.clip(np.searchsorted(stds, targets), 1, stds.size - 1)
    lo = hi - 1
    frac = (np.log(targets) - np.log(stds[lo])) / (np.log(stds[hi]) - np.log(stds[lo]))
    used = np.unique(np.concatenate([lo, hi]))
    means = np.array([np.mean(row[np.isfinite(row)]) for row in loss[used]])
    boot, _ = bootstrap_means(loss[used], n_boot, rng)
    pos = {int(j): k for k, j in enumerate(used)}
    li, hj = [pos[int(j)] for j in lo], [pos[int(j)] for j in hi]
    value = means[li] + frac * (means[hj] - means[li])
    boot_value = boot[:, li] + frac * (boot[:, hj] - boot[:, li])
    weighted = np.unique(np.concatenate([lo[frac < 1], hi[frac > 0]]))  # points that count
    return value, boot_value, "", int(np.isfinite(loss[weighted]).sum())


def plateau_onsets(trained: xr.Dataset, fraction: float = 0.1) -> xr.DataArray:
    """The epoch at which each run's hidden layer starts to move.

    Parameters
    ----------
    trained : xarray.Dataset
        From :func:`xorsweep.train` with ``record_every``: the
        ``hidden_weights_history`` and ``hidden_bias_history`` snapshots and
        the trained ``hidden_weights`` and ``hidden_bias``.
    fraction : float
        In (0, 1).

    Returns
    -------
    xarray.DataArray, dims (run,)
        With ``theta(e)`` the hidden layer's weights and biases (one vector of
        ``(in + 1) * hidden`` numbers) before the update of epoch ``e``, and
        ``D = |theta(end) - theta(0)|`` their total displacement over
        training: the first recorded epoch ``e`` with ``|theta(e) - theta(0)|
        >= fraction * D``; the number of epochs if no recorded epoch reaches
        it (the crossing is after the last record).
    """
    for name in ("hidden_weights_history", "hidden_bias_history", "hidden_weights", "hidden_bias"):
        if name not in trained:
            raise ValueError(
                f"trained lacks {name}: train with record_every (xorsweep.train(..., "
                "record_every=k))"
            )
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be a number in (0, 1), got {fraction!r}")
    runs, n_epochs = trained.sizes["run"], trained.sizes["epoch"]
    hist = np.concatenate(
        [
            trained.hidden_weights_history.transpose("run", "epoch", ...).values.reshape(
                runs, n_epochs, -1
            ),
            trained.hidden_bias_history.transpose("run", "epoch", ...).values,
        ],
        axis=2,
    )  # (run, epoch, parameter)
    final = np.concatenate(
        [trained.hidden_weights.values.reshape(runs, -1), trained.hidden_bias.values], axis=1
    )
    moved = np.linalg.norm(hist - hist[:, :1], axis=2)  # (run, epoch)
    total = np.linalg.norm(final - hist[:, 0], axis=1)  # (run,)
    reached = moved >= fraction * total[:, None]
    epochs = trained.epoch.values
    onset = np.where(
        reached.any(axis=1), epochs[np.argmax(reached, axis=1)], trained.attrs.get("epochs", np.nan)
    ).astype(np.float64)
    return xr.DataArray(
        onset,
        dims="run",
        coords={"run": trained.run.values},
        name="plateau_onset",
        attrs={"long_name": f"first epoch with {fraction:g} of the hidden layer's displacement"},
    )


def _setting(ds: xr.Dataset, name: str) -> Any:
    """A training setting of the results: a scalar coordinate, else an attribute."""
    if name in ds.coords and ds[name].ndim == 0:
        return ds[name].item()
    if name not in ds.attrs:
        raise ValueError(
            f"ds lacks the attribute {name!r}, needed to train the plateau networks; pass a "
            "sweep's results (xorsweep.sweep or xorsweep.open_results)"
        )
    value = ds.attrs[name]
    if np.ndim(value) != 0:
        raise ValueError(
            f"ds.attrs[{name!r}] holds several values ({value!r}); select one slice first"
        )
    return value.item() if isinstance(value, np.generic) else value


def claims(
    ds: xr.Dataset,
    *,
    fit: FitResult | None = None,
    method: str = "fit",
    n_boot: int = 1000,
    confidence: float = 0.95,
    rng: int | np.random.Generator = 0,
    small_std: float = 0.05,
    plateau_runs: int = 256,
    plateau_fraction: float = 0.1,
    record_every: int = 10,
) -> pd.DataFrame:
    """Measure the article's five quantitative claims on a sweep's results.

    Each claim gets the article's number, the measured value with a
    ``confidence`` interval (a percentile bootstrap over runs), and a verdict.
    The article's numbers are rounded, so a claim is **consistent** when its
    interval meets the range of values that round to the article's number at
    the precision it is stated with (its last non-zero digit: 8.5% is
    [8.45, 8.55], 0.6 is [0.55, 0.65], 2,000 is [1,500, 2,500]), and
    **inconsistent** otherwise; **not measured** (NaN values) when the data
    cannot say, with the reason in ``note``. The article's numbers are for its
    training (XOR, 2 hidden units, output std 0.8165, lr 0.1, 10,000 epochs,
    its update order): a claim measured on results of other settings is
    **not comparable**, the differences first in its ``note``.

    The claims, in order: the gain of 1/sqrt(2) over 1, the further gain of
    0.6, the optimum, the loss of a network that fails to learn, and the
    plateau of networks at a small std; the docstring of the module
    ``xorsweep.claims`` says how each is measured.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep's results over (hidden_std, run); other dimensions must have
        length 1 (select one slice of larger grids).
    fit : FitResult, optional
        A fit of ``ds`` already made; by default ``fit_optimum(ds,
        n_boot=n_boot, confidence=confidence, errors="ignore")``.
    method : {"fit", "interpolate"}
        How claims 1 and 2 measure the losses.
    n_boot : int
        Bootstrap replicates (>= 20).
    confidence : float
        Coverage of the intervals, in (0, 1).
    rng : int, numpy.random.SeedSequence or numpy.random.Generator
        Source of every random number here (bootstraps and the plateau
        networks); a seed gives the same table every time.
    small_std : float
        Hidden std of claim 5's networks (> 0).
    plateau_runs, plateau_fraction, record_every
        Claim 5's number of networks, displacement fraction in (0, 1) and
        recording interval.

    Returns
    -------
    pandas.DataFrame
        One row per claim, columns ``CLAIM_COLUMNS``: ``claim`` (the claim in
        words), ``article`` (its number), ``measured``, ``measured_low``,
        ``measured_high`` (its interval), ``verdict``, ``unit``, ``n`` (runs behind the
        measurement) and ``note`` (how it was measured, or why not).
        ``attrs``: ``confidence``, ``method`` and ``power``, which says,
        when the results hold fewer runs than the article's 4 million, how
        much wider the intervals are and so how much weaker the verdicts
        ("" otherwise).

    Raises
    ------
    TypeError, ValueError
        For arguments out of range, or results without the variables,
        dimensions or attributes needed.
    """
    ds = check_results(ds, "ds", ("total_loss", "converged_epoch"))
    if "gain" in ds.dims or "gain" in ds.coords:  # xorsweep.fit_optimum fits them
        words = swept_axis(ds, "ds").words
        raise ValueError(f"claims are the article's, of the hidden std; ds sweep the {words}")
    ds = along_hidden_std(ds, "ds")
    if fit is not None and not isinstance(fit, FitResult):
        raise TypeError(f"fit must be a FitResult from fit_optimum, got {type(fit).__name__}")
    method = check_choice(method, "method", METHODS)
    n_boot = check_count(n_boot, "n_boot", minimum=20)
    confidence = check_confidence(confidence)
    generator = make_rng(rng)
    small_std = check_real(small_std, "small_std", 0.0, strict=True)
    plateau_runs = check_count(plateau_runs, "plateau_runs")
    if not (isinstance(plateau_fraction, (int, float)) and 0 < plateau_fraction < 1):
        raise ValueError(f"plateau_fraction must be a number in (0, 1), got {plateau_fraction!r}")
    record_every = check_count(record_every, "record_every")
    settings = _settings(ds)
    fit_rng, loss_rng, fail_rng, plateau_rng, plateau_boot = generator.spawn(5)
    if fit is None:
        fit = fit_optimum(ds, n_boot=n_boot, confidence=confidence, rng=fit_rng, errors="ignore")
    boot = _Bootstrap(n_boot, confidence)
    plateau = _Plateau(small_std, plateau_runs, float(plateau_fraction), record_every)
    rows = [
        *_gain_claims(ds, fit, method, boot, loss_rng),
        _optimum_claim(fit),
        _failed_claim(ds, int(settings["epochs"]), boot, fail_rng),
        _plateau_claim(ds, settings, plateau, boot, plateau_rng, plateau_boot),
    ]
    differences = _differences(settings)
    if differences:
        why = "not comparable: " + "; ".join(differences)
        for row in rows:
            if row["verdict"] != "not measured":
                row["verdict"], row["note"] = "not comparable", f"{why}. {row['note']}"
    frame = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    frame.attrs.update(confidence=confidence, method=method, power=_power(ds))
    return frame


@dataclass(frozen=True)
class _Bootstrap:
    """Replicates and coverage of every interval."""

    n: int
    confidence: float

    def ci(self, draws: np.ndarray) -> np.ndarray:
        return percentile_interval(draws, self.confidence)


@dataclass(frozen=True)
class _Plateau:
    """Claim 5's networks: hidden std, count, displacement fraction, recording interval."""

    small_std: float
    runs: int
    fraction: float
    record_every: int


def _settings(ds: xr.Dataset) -> dict[str, Any]:
    """The training settings of the results that the article's claims depend on."""
    out = {n: _setting(ds, n) for n in ("epochs", "lr", "output_std")}
    for name in ("update", "data", "hidden", "activation", "gradient", "bias"):
        out[name] = (
            _setting(ds, name) if name in ds.coords else ds.attrs.get(name, _ARTICLE_SETTINGS[name])
        )
    out["table"] = table_of(ds.attrs) if "data" in ds.attrs else truth_table(out["data"])
    width, n_out = int(out["hidden"]), out["table"].n_out
    out["output_std"] = output_std_for(out["output_std"], width, n_out)
    return out


def _differences(settings: dict[str, Any]) -> list[str]:
    """How ``settings`` differ from the article's, in words (empty if they do not)."""
    out = []
    for name, article in _ARTICLE_SETTINGS.items():
        value = settings[name]
        if isinstance(article, float):
            same = math.isclose(float(value), article, rel_tol=1e-9)
        else:
            same = value == article
        if not same:
            shown = f"{value:,}" if isinstance(article, int) else f"{value}"
            wanted = f"{article:,}" if isinstance(article, int) else f"{article}"
            out.append(f"{_SETTING_NAMES[name]} {shown} here, {wanted} in the article")
    return out


def _power(ds: xr.Dataset) -> str:
    """What the results' size means for the verdicts, compared with the article's sweep."""
    present = int(np.isfinite(ds.total_loss.values).sum())
    if present >= ARTICLE_RUNS:
        return ""
    factor = math.sqrt(ARTICLE_RUNS / max(present, 1))
    return (
        f"These results hold {present:,} runs, {100 * present / ARTICLE_RUNS:.2g}% of the "
        f"article's {ARTICLE_RUNS:,}: the intervals of claims 1 to 4 are about {factor:.2g} "
        "times wider than at the article's scale, so these verdicts have less power (a "
        "'consistent' here is weaker evidence, and an inconsistency that the full sweep "
        "would detect can be missed)."
    )


def _gain_claims(
    ds: xr.Dataset, fit: FitResult, method: str, boot: _Bootstrap, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Claims 1 and 2: the losses at 1/sqrt(2), 0.6 and 1."""
    targets = np.array([GLOROT_STD, 0.6, 1.0])
    if method == "fit":
        if not fit.ok:
            values, draws = np.full(3, np.nan), np.full((boot.n, 3), np.nan)
            why = f"the fit failed: {fit.reason}"
        else:
            values, draws = fit.predict(targets), fit.predict_boot(targets)
            why = (
                ""
                if np.all(np.isfinite(values))
                else f"0.6, 1/sqrt(2) and 1 are not all inside the fit's window "
                f"{fit.window[0]:.4g} to {fit.window[1]:.4g}"
            )
        source = f"the fitted curve ({fit.model})" if fit.model else "the fitted curve"
        n_loss = fit.n_runs
    else:
        values, draws, why, n_loss = _interpolated(ds, targets, boot.n, rng)
        source = "the mean total losses interpolated linearly in log std"
    g, six, one = values
    gain = 100 * (1 - g / one)
    further = 100 * (g - six) / one
    boot_gain = 100 * (1 - draws[:, 0] / draws[:, 2])
    boot_further = 100 * (draws[:, 0] - draws[:, 1]) / draws[:, 2]
    return [
        _row(
            "glorot_gain",
            "std 1/sqrt(2) instead of 1 lowers the mean total loss by 8.5%",
            "% of L(1)",
            gain,
            boot.ci(boot_gain),
            n_loss,
            why or f"100 * (1 - L(1/sqrt 2) / L(1)) from {source}",
        ),
        _row(
            "further_gain",
            "std 0.6 lowers it by a further 1.1%",
            "points of L(1)",
            further,
            boot.ci(boot_further),
            n_loss,
            why or f"100 * (L(1/sqrt 2) - L(0.6)) / L(1) from {source}",
        ),
    ]


def _optimum_claim(fit: FitResult) -> dict[str, Any]:
    """Claim 3: the fitted optimum, near 0.6 and below 1/sqrt(2)."""
    opt_ci = fit.optimum_ci
    below = math.isfinite(opt_ci[1]) and opt_ci[1] < GLOROT_STD
    return _row(
        "optimum",
        "the optimal std is near 0.6, below 1/sqrt(2)",
        "hidden std",
        fit.optimum if fit.ok else math.nan,
        opt_ci,
        fit.n_runs,
        (
            f"minimum of the {fit.model} (fit_optimum); consistent if the interval meets "
            f"[0.55, 0.65] and lies below 1/sqrt(2) = {GLOROT_STD:.4f} "
            f"({'it does' if below else 'it does not'})"
        )
        if fit.ok
        else f"the fit failed: {fit.reason}",
        extra=below,
    )


def _failed_claim(
    ds: xr.Dataset, epochs: int, boot: _Bootstrap, rng: np.random.Generator
) -> dict[str, Any]:
    """Claim 4: the mean total loss of the runs that never converged."""
    loss = ds.total_loss.values
    failed = np.isfinite(loss) & np.isnan(ds.converged_epoch.values)
    x = loss[failed]
    code_note = (
        f"the article's code averages the loss over the 4 samples, so a network stuck at "
        f"y_hat = 0.5 scores epochs * log 2 = {epochs * math.log(2):,.0f} for {epochs:,} "
        f"epochs; 27,000 is -4 * 10^4 * log(0.5) = {4e4 * math.log(2):,.0f}, the loss "
        "summed over the samples"
    )
    if x.size >= MIN_RUNS:
        boot_fail = bootstrap_means(x[None, :], boot.n, rng)[0][:, 0]
        measured, ci = float(x.mean()), boot.ci(boot_fail)
        how = f"mean total loss of the {x.size:,} runs that never converged, all stds; "
    else:
        measured, ci = math.nan, None
        how = f"{x.size} runs failed, fewer than {MIN_RUNS} to measure; "
    return _row(
        "failed_loss",
        "a network that fails to learn scores about 27,000",
        "total loss",
        measured,
        ci,
        x.size,
        how + code_note,
    )


def _plateau_claim(
    ds: xr.Dataset,
    settings: dict[str, Any],
    plateau: _Plateau,
    boot: _Bootstrap,
    rng: np.random.Generator,
    boot_rng: np.random.Generator,
) -> dict[str, Any]:
    """Claim 5: when the hidden layer of networks at a small std starts to move."""
    table = settings["table"]
    epochs = int(settings["epochs"])
    pop = init_population(
        plateau.runs,
        plateau.small_std,
        float(settings["output_std"]),
        hidden=int(settings["hidden"]),
        n_in=table.n_in,
        n_out=table.n_out,
        bias=settings["bias"],
        seed=rng,
    )
    trained = train(
        pop,
        epochs,
        float(settings["lr"]),
        data=table,
        update=settings["update"],
        activation=settings["activation"],
        gradient=settings["gradient"],
        record_every=plateau.record_every,
    )
    onsets = plateau_onsets(trained, plateau.fraction).values[trained.converged.values]
    where = f"networks at hidden std {plateau.small_std:g}"
    if onsets.size >= MIN_RUNS:
        idx = boot_rng.integers(0, onsets.size, size=(boot.n, onsets.size))
        boot_median = np.median(onsets[idx], axis=1)
        median, ci = float(np.median(onsets)), boot.ci(boot_median)
        how = (
            f"median over the {onsets.size} of {plateau.runs} {where} that converged within "
            f"{epochs:,} epochs"
        )
    else:
        median, ci = math.nan, None
        how = (
            f"{onsets.size} of {plateau.runs} {where} converged within {epochs:,} epochs, "
            f"fewer than {MIN_RUNS} to measure (train more with plateau_runs)"
        )
    return _row(
        "plateau",
        "with a very small initial std the weights barely move for the first 2,000 epochs",
        "epochs",
        median,
        ci,
        onsets.size,
        f"{how}: first epoch (recorded every {plateau.record_every}) at which the hidden layer "
        f"has moved {plateau.fraction:g} of its total displacement",
    )
