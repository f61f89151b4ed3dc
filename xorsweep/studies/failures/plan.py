"""The failure study, planned: its sizes (:class:`FailureScale`, :data:`FAILURE_SCALES`)
and what a run of it holds (:class:`FailureStudy`), read by the run, the report and the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import xarray as xr

from ..._core.checks import check_count, check_real
from ...analysis.basins import MAX_SIDE
from ...model.activations import check_activation
from ...model.network import GLOROT_STD, check_hidden
from ...training.optimizers import check_optimizer
from ...training.trainer import ARTICLE_EPOCHS

__all__ = ["FAILURE_SCALES", "FailureScale", "FailureStudy", "check_scale"]


@dataclass(frozen=True)
class FailureScale:
    """The sizes of a failure study; :data:`FAILURE_SCALES` names three."""

    hidden_stds: tuple[float, ...] = (0.1, 0.5, GLOROT_STD, 2.0, 8.0)  # compared; Glorot's among
    runs: int = 2_000  # networks per hidden std trained for the article's length
    article: int = ARTICLE_EPOCHS  # the article's training length (epochs)
    longest: int = 100_000  # the article's failures are followed to this length (epochs)
    side: int = 128  # networks along each axis of the basin map
    map_lengths: tuple[int, ...] = (1_000, 10_000, 100_000)  # the basin map's lengths (epochs)
    map_extent: float = 3.0  # the map spans -extent to extent reference norms on both axes
    hidden: int = 2  # hidden units of the networks studied (the article's 2)
    activation: str = "sigmoid"  # their hidden activation, a name of ACTIVATIONS
    # the optimiser: "gd" only, for the failures are trained on from a saved state, which
    # holds no optimiser's state (xorsweep.training.state)
    optimizer: str = "gd"

    def __post_init__(self) -> None:
        stds = tuple(check_real(s, "hidden_stds", 0.0, strict=True) for s in self.hidden_stds)
        if not stds or len(set(stds)) != len(stds):
            raise ValueError(f"hidden_stds must be distinct stds > 0, got {self.hidden_stds}")
        object.__setattr__(self, "hidden_stds", tuple(sorted(stds)))
        check_count(self.runs, "runs")
        check_count(self.article, "article")
        check_count(self.longest, "longest", minimum=self.article + 1)
        check_count(self.side, "side", minimum=2, maximum=MAX_SIDE)
        lengths = tuple(check_count(e, "map_lengths") for e in self.map_lengths)
        if not lengths or any(b <= a for a, b in zip(lengths, lengths[1:], strict=False)):
            raise ValueError(f"map_lengths must be strictly increasing, got {self.map_lengths}")
        object.__setattr__(self, "map_lengths", lengths)
        check_real(self.map_extent, "map_extent", 0.0, strict=True)
        check_hidden(self.hidden)
        check_activation(self.activation)
        if check_optimizer(self.optimizer).name != "gd":
            raise ValueError(
                f"optimizer must be 'gd' for the failure study (its runs are trained on from a "
                f"saved state, which holds no optimiser's state), got {self.optimizer!r}"
            )

    def work(self, failures: int) -> dict[str, int]:
        """Network-epochs trained by each stage, ``failures`` the runs followed."""
        return {
            "article": len(self.hidden_stds) * self.runs * self.article,
            "follow": failures * self.longest,
            "basin maps": self.side**2 * self.map_lengths[-1],
        }


#: The named scales: "tiny" for tests (seconds); "quick" (about 1e9 network-epochs,
#: half a minute on two idle cores); "full" (the article's 10,000 runs per std, the
#: failures followed to 10**6 epochs, a 512 x 512 map to 10**5: about 4.5e10
#: network-epochs, 11 min on two idle cores at 3.5e7 network-epochs/s each).
FAILURE_SCALES = {
    "tiny": FailureScale(
        hidden_stds=(0.5, 8.0),
        runs=48,
        article=300,
        longest=3_000,
        side=8,
        map_lengths=(100, 1_000),
    ),
    "quick": FailureScale(map_lengths=(1_000, 10_000, 30_000)),
    "full": FailureScale(runs=10_000, longest=1_000_000, side=512),
}


def check_scale(scale: object) -> tuple[str, FailureScale]:
    """The name and sizes of ``scale``: a key of :data:`FAILURE_SCALES` or a FailureScale."""
    if isinstance(scale, FailureScale):
        named = [k for k, v in FAILURE_SCALES.items() if v == scale]
        return (named[0] if named else "custom"), scale
    if isinstance(scale, str) and scale in FAILURE_SCALES:
        return scale, FAILURE_SCALES[scale]
    names = ", ".join(repr(k) for k in FAILURE_SCALES)
    raise ValueError(f"scale must be one of {names} or a FailureScale, got {scale!r}")


@dataclass(frozen=True)
class FailureStudy:
    """What :func:`compute_failures` found: Datasets, checks and the seconds of each stage.

    ``runs`` is over (hidden_std, run): every run of the article stage, with
    ``followed_epoch`` (its convergence epoch, the failures followed to the end)
    and ``epochs_trained``. ``failures`` is over ``failure``: the article's
    failures, linked to ``runs`` by their ``hidden_std`` and ``run``
    coordinates, with their end states and diagnostics at both lengths.
    ``shares`` is over (``length``, hidden_std, state), among the failures;
    ``classes`` over state; ``groups`` over (loss_group, state); ``examples``
    is a :func:`xorsweep.train` result of one failure per class.
    """

    name: str
    scale: FailureScale
    seed: int
    engine: str
    workers: int
    runs: xr.Dataset
    failures: xr.Dataset
    survival: xr.Dataset
    between: xr.Dataset
    tails: xr.Dataset
    shares: xr.Dataset
    classes: xr.Dataset
    groups: xr.Dataset
    examples: xr.Dataset
    maps: xr.Dataset
    basins: xr.Dataset
    checks: dict[str, bool]
    seconds: dict[str, float] = field(default_factory=dict)
