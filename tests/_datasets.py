"""Datasets shaped like ``xorsweep.sweep``'s results, for the statistics tests.

Two kinds: trained with ``xorsweep.train`` (real losses, small scale), and
synthetic ones with a planted optimum and per-run noise shaped like the real
losses' (skewed, with a second mode of failed runs).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

import xorsweep as xs

VARIABLES = ("total_loss", "final_loss", "converged_epoch")

# Synthetic truth: mean total loss = A + B (u - U0)^2 + C (u - U0)^3 with u = log(std).
# A, B and C are close to a cubic fitted to 2,000 runs at each of 175 stds of the article's
# grid (10,000 epochs); C < 0 makes the left side steeper, as measured.
OPTIMUM = 0.6
A, B, C = 1570.0, 700.0, -150.0

# Per-run noise: a run "fails" with probability FAIL and then scores FAIL_LEVEL times the
# typical loss (a second mode, like the runs stuck in a local minimum); otherwise lognormal.
FAIL, FAIL_LEVEL, SIGMA, CONVERGED_LEVEL = 0.16, 2.5, 0.45, 0.62
_NOISE_MEAN = (1 - FAIL) * CONVERGED_LEVEL * math.exp(SIGMA**2 / 2) + FAIL * FAIL_LEVEL


def planted_mean(stds: np.ndarray, optimum: float = OPTIMUM) -> np.ndarray:
    """The planted mean total loss at ``stds``, lowest at ``optimum``."""
    d = np.log(np.asarray(stds, dtype=float) / optimum)
    return A + B * d**2 + C * d**3


def results(
    loss: np.ndarray, stds: np.ndarray, converged: np.ndarray | None = None, **attrs
) -> xr.Dataset:
    """A results Dataset over (hidden_std, run) from a (std, run) array of total losses."""
    loss = np.asarray(loss, dtype=float)
    if converged is None:
        converged = np.where(np.isfinite(loss), 1000.0, np.nan)
    return xr.Dataset(
        {
            "total_loss": (("hidden_std", "run"), loss),
            "final_loss": (("hidden_std", "run"), loss / 10_000),
            "converged_epoch": (("hidden_std", "run"), np.asarray(converged, dtype=float)),
        },
        coords={"hidden_std": np.asarray(stds, dtype=float), "run": np.arange(loss.shape[1])},
        attrs={"epochs": 10_000, "lr": 0.1, "output_std": 0.8165, "seed": 0, **attrs},
    )


def planted(
    rng: np.random.Generator,
    stds: np.ndarray | None = None,
    runs: int = 400,
    optimum: float = OPTIMUM,
) -> xr.Dataset:
    """Synthetic results whose mean total loss is exactly :func:`planted_mean`.

    Each run's loss is ``planted_mean(std) * Z`` with ``E[Z] = 1``: failed runs
    (NaN ``converged_epoch``) near ``FAIL_LEVEL`` (5% normal jitter), the others
    lognormal.
    """
    if stds is None:
        stds = np.geomspace(0.15, 3.0, 41)
    z, failed = _noise(rng, (len(stds), runs))
    loss = planted_mean(stds, optimum)[:, None] * z / _NOISE_MEAN
    converged = np.where(failed, np.nan, 1000.0)
    return results(loss, stds, converged)


def _noise(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per-run factors ``Z`` with ``E[Z] = _NOISE_MEAN`` (failed runs near ``FAIL_LEVEL``, the
    others lognormal) and which runs failed."""
    failed = rng.random(shape) < FAIL
    z = np.where(
        failed,
        FAIL_LEVEL * (1 + 0.05 * rng.standard_normal(shape)),
        CONVERGED_LEVEL * rng.lognormal(0.0, SIGMA, shape),
    )
    return z, failed


# Synthetic 2-D truth over (h, o) = (hidden std, output std), with dh = log(h / h*) and
# do = log(o / o*): A + HH dh^2 + HO dh do + OO do^2 + HHH dh^3 + OOO do^3, lowest at (h*, o*).
# Curvatures near a cubic surface fitted to 500 runs at 20 x 20 points (10,000 epochs), whose
# minimum was near (0.44, 3.6); the cross and cubic terms make it tilted and asymmetric.
OPTIMUM_2D = (0.45, 3.5)
HH, HO, OO, HHH, OOO = 250.0, -80.0, 300.0, -50.0, 60.0


def planted_surface_mean(h, o, optimum: tuple[float, float] = OPTIMUM_2D) -> np.ndarray:
    """The planted mean total loss at the (broadcast) stds ``h`` and ``o``."""
    dh = np.log(np.asarray(h, dtype=float) / optimum[0])
    do = np.log(np.asarray(o, dtype=float) / optimum[1])
    return A + HH * dh**2 + HO * dh * do + OO * do**2 + HHH * dh**3 + OOO * do**3


def planted_surface(
    rng: np.random.Generator,
    hidden_stds: np.ndarray | None = None,
    output_stds: np.ndarray | None = None,
    runs: int = 300,
    optimum: tuple[float, float] = OPTIMUM_2D,
) -> xr.Dataset:
    """Synthetic results over (hidden_std, output_std, run) whose mean total loss is exactly
    :func:`planted_surface_mean`, each run's loss that times the noise of :func:`planted`."""
    h = np.geomspace(0.12, 2.0, 20) if hidden_stds is None else np.asarray(hidden_stds, float)
    o = np.geomspace(0.8, 16.0, 20) if output_stds is None else np.asarray(output_stds, float)
    z, failed = _noise(rng, (h.size, o.size, runs))
    loss = planted_surface_mean(h[:, None], o[None, :], optimum)[..., None] * z / _NOISE_MEAN
    dims = ("hidden_std", "output_std", "run")
    return xr.Dataset(
        {
            "total_loss": (dims, loss),
            "converged_epoch": (dims, np.where(failed, np.nan, 1000.0)),
        },
        coords={"hidden_std": h, "output_std": o, "run": np.arange(runs)},
        attrs={"epochs": 10_000, "lr": 0.1, "seed": 0, "hidden": 2, "n_in": 2, "n_out": 1},
    )


def trained(stds, runs: int, epochs: int, seed: int, output_std: float = 0.8165) -> xr.Dataset:
    """Real results: ``runs`` networks per std trained with ``xorsweep.train``."""
    stds = np.asarray(stds, dtype=float)
    pop = xs.init_population(len(stds) * runs, np.repeat(stds, runs), output_std, seed=seed)
    out = xs.train(pop, epochs)
    shape = (len(stds), runs)
    ds = xr.Dataset(
        {name: (("hidden_std", "run"), out[name].values.reshape(shape)) for name in VARIABLES},
        coords={"hidden_std": stds, "run": np.arange(runs)},
        attrs={"epochs": epochs, "lr": 0.1, "output_std": output_std, "seed": seed},
    )
    return ds
