"""The failure study's report and summary as text and plain data, from a FailureStudy.

Pure: every number is read from the study's Datasets here, and
:mod:`xorsweep.studies.failures.report` writes what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..._version import VERSION
from ...analysis.end_states import END_STATES
from ..report import markdown_table

if TYPE_CHECKING:
    from .plan import FailureStudy

__all__ = ["CLASS_TEXT", "answer", "render", "summary"]

#: What each end state means, for the report (defined in :mod:`xorsweep.analysis.end_states`).
CLASS_TEXT = {
    "converged": "every sample right (at the end: the failure converged later).",
    "stuck": "a wrong sample is *merged* with samples of the other target (their hidden vectors "
    "coincide, so the output layer can do no better than their mean target) and every hidden "
    "unit is saturated on all of them: the gradient that could pull them apart has vanished.",
    "plateau": "a tiny gradient and an undecided output (near 0.5) on a wrong sample: near a "
    "saddle.",
    "symmetric": "two live hidden units compute the same or the mirrored feature: in effect one "
    "hidden unit, too few for XOR.",
    "slow": "still failing with a gradient that is not tiny: still moving.",
    "other": "failing in none of these ways.",
}

_FAILING = list(END_STATES[1:])  # the classes of a run that fails


def _pct(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{100 * x:.1f}%"


def answer(study: FailureStudy) -> dict[str, Any]:
    """The pooled answer: the failures at the article's length and where they are at the end."""
    end = study.shares.isel(length=-1)
    counts = {str(s): int(end.runs_in_state_all.sel(state=s)) for s in END_STATES}
    failures = int(study.failures.sizes["failure"])
    return {
        "runs": int(study.runs.total_loss.notnull().sum()),
        "failures": failures,
        "converged_later": counts["converged"],
        "still_failing": {s: counts[s] for s in _FAILING},
        "share_converged_later": counts["converged"] / failures,
        "share_still_failing": {s: counts[s] / failures for s in _FAILING},
    }


def _answer_text(study: FailureStudy) -> list[str]:
    a, sc = answer(study), study.scale
    still = a["failures"] - a["converged_later"]
    parts = [
        f"{a['still_failing'][s]:,} {s} ({_pct(a['share_still_failing'][s])})"
        for s in _FAILING
        if a["still_failing"][s]
    ]
    c = study.classes
    before = [
        f"{int(c.runs.sel(state=s)):,} {s} ({_pct(int(c.runs.sel(state=s)) / a['failures'])}; "
        f"{_pct(float(c.converged_later_share.sel(state=s)))} of them converge later)"
        for s in _FAILING
        if int(c.runs.sel(state=s))
    ]
    return [
        f"Of the **{a['runs']:,}** runs trained for {sc.article:,} epochs at "
        f"{len(sc.hidden_stds)} hidden stds, **{a['failures']:,}** fail (not every output right "
        f"at the end). Followed to {sc.longest:,} epochs, **{a['converged_later']:,} "
        f"({_pct(a['share_converged_later'])})** of them converge: they were only slow. "
        f"{still:,} still fail after {sc.longest:,} epochs"
        + (f": {', '.join(parts)} of the failures." if parts else "."),
        "",
        f"Where the failures were after {sc.article:,} epochs, and how many of each class "
        f"converge by {sc.longest:,}: {', '.join(before)}.",
        "",
    ]


def _configuration(study: FailureStudy) -> pd.DataFrame:
    sc, attrs = study.scale, study.runs.attrs
    rows = {
        "hidden stds": ", ".join(f"{s:.4g}" for s in sc.hidden_stds),
        "runs per hidden std": f"{sc.runs:,}",
        "output std": attrs.get("output_std", "–"),
        "learning rate": attrs.get("lr", "–"),
        "update order": attrs.get("update", "–"),
        "the article's length": f"{sc.article:,} epochs",
        "failures followed to": f"{sc.longest:,} epochs",
        "basin map": f"{sc.side} x {sc.side} networks, extent ±{sc.map_extent:g} reference norms, "
        f"at {', '.join(f'{e:,}' for e in sc.map_lengths)} epochs",
        "training engine": study.engine,
        "workers (processes of the sweep, threads of the trainings)": study.workers,
        "seed": study.seed,
        "xorsweep": VERSION,
    }
    frame = pd.DataFrame({"value": [str(v) for v in rows.values()]}, index=list(rows))
    frame.index.name = "setting"
    return frame


def _timing(study: FailureStudy, seconds: Mapping[str, float]) -> pd.DataFrame:
    work = study.scale.work(int(study.failures.sizes["failure"]))
    rows = []
    for stage, s in seconds.items():
        w = work.get(stage, np.nan)
        rows.append({"stage": stage, "seconds": s, "network-epochs": w, "per second": w / s})
    return pd.DataFrame(rows).set_index("stage")


def _per_std(study: FailureStudy) -> pd.DataFrame:
    b, end = study.between, study.shares.isel(length=-1)
    failed = study.runs.failed.sum("run")
    frame = pd.DataFrame(
        {
            "runs": study.runs.total_loss.notnull().sum("run").values,
            "failed": failed.values,
            "converged later": end.runs_in_state.sel(state="converged").values,
            "of the failures": b.conditional.values,
            "95% low": b.conditional_low.values,
            "95% high": b.conditional_high.values,
            "of all runs": b.share.values,
            **{f"{s} at the end": end.share.sel(state=s).values for s in _FAILING},
        },
        index=pd.Index(b.hidden_std.values, name="hidden std"),
    )
    return frame


def _tails(study: FailureStudy) -> pd.DataFrame:
    t = study.tails
    rows = []
    for std in t.hidden_std.values:
        r = t.sel(hidden_std=std)
        best = str(r.best.values)
        rows.append(
            {
                "hidden std": std,
                "at risk": int(r.at_risk),
                "converged after": int(r.events),
                "best law": best or "too few to fit",
                "rate": float(r.rate.sel(model=best)) if best else np.nan,
                "never (cure)": float(r.cure.sel(model=best)) if best else np.nan,
                "plateau p": float(r.plateau_pvalue),
                **{f"AIC {m}": float(r.aic.sel(model=m)) for m in t.model.values},
            }
        )
    return pd.DataFrame(rows).set_index("hidden std")


def _states(study: FailureStudy) -> pd.DataFrame:
    sh = study.shares
    rows = {}
    for k, length in enumerate(sh.length.values):
        rows[f"after {int(length):,} epochs"] = {
            s: f"{int(sh.runs_in_state_all.isel(length=k).sel(state=s)):,} "
            f"({_pct(float(sh.share_all.isel(length=k).sel(state=s)))})"
            for s in END_STATES
        }
    frame = pd.DataFrame(rows)
    frame.index.name = "end state of the failures"
    return frame


def _classes(study: FailureStudy) -> pd.DataFrame:
    c = study.classes
    frame = pd.DataFrame(
        {
            f"failures in it at {study.scale.article:,}": c.runs.values,
            f"converged by {study.scale.longest:,}": c.converged_later.values,
            "share converged": c.converged_later_share.values,
            f"still in it at {study.scale.longest:,}": c.runs_end.values,
        },
        index=pd.Index(c.state.values, name="end state"),
    )
    return frame


def _groups(study: FailureStudy) -> list[str]:
    g = study.groups
    counts = pd.DataFrame(g.runs.values, index=g.loss_group.values, columns=g.state.values)
    counts.index.name = "final-loss group"
    counts["all"] = counts.sum(axis=1)
    medians = pd.DataFrame(
        {
            "merged samples": g.median_merged_article.values,
            "loss floor of the merges": g.median_merge_floor_article.values,
            "final loss": g.median_final_loss_article.values,
        },
        index=pd.Index(g.loss_group.values, name="final-loss group (medians)"),
    )
    third = -(np.log(1 / 3) / 3 + 2 * np.log(2 / 3) / 3)
    return [
        "When *k* samples are merged, the output layer sees one input for them and can do no "
        "better than their mean target; their loss is then the entropy of that mean. The floors "
        f"of the mean loss over the four samples: 2 merged {np.log(2) / 2:.4f} (log 2 / 2), "
        f"3 merged {3 * third / 4:.4f}, 4 merged {np.log(2):.4f} (log 2). The failures after "
        f"{study.scale.article:,} epochs by final-loss group and end state:",
        "",
        markdown_table(counts),
        "",
        markdown_table(medians),
        "",
    ]


def _examples(study: FailureStudy) -> list[str]:
    ex, failures = study.examples, study.failures
    lines = []
    for k in range(ex.sizes["run"]):
        net = ex.isel(run=k)
        f = failures.sel(failure=int(net.failure))
        later = bool(np.isfinite(float(f.converged_epoch_end)))
        lines += [
            f"- **{str(net.state.values)}**: run {int(net.source_run):,} at hidden std "
            f"{float(net.hidden_std):.4g}, final loss {float(net.final_loss):.4f} (group "
            f"{str(f.loss_group.values)}), wrong samples {int(f.wrong_article)}, merged samples "
            f"{int(f.merged_article)}, gradient norm {float(f.grad_norm_article):.2e}, weight "
            f"norm {float(f.weight_norm_article):.1f}; converged by {study.scale.longest:,}: "
            f"{later}; outputs "
            f"{', '.join(f'{v:.3f}' for v in np.ravel(net.predictions.values))} on (0, 0), "
            "(0, 1), (1, 0), (1, 1).",
        ]
    return [*lines, ""]


def _basins(study: FailureStudy) -> pd.DataFrame:
    s, side = study.basins, study.scale.side
    frame = pd.DataFrame(
        {
            "converged share": s.converged_share.values,
            "median epoch (converged)": s.median_converged_epoch.values,
            "boundary share": s.boundary_converged.values,
            "times a straight line's": s.boundary_converged.values * side,
            **{f"{st}": s.state_share.sel(state=st).values for st in END_STATES},
        },
        index=pd.Index(s.epochs.values, name="epochs"),
    )
    return frame


def _figure(figures: Mapping[str, str], name: str, alt: str) -> list[str]:
    return [f"![{alt}]({figures[name]})", ""] if name in figures else []


def _sections(study: FailureStudy, figures: Mapping[str, str]) -> list[str]:
    sc = study.scale
    out = ["## Survival: how many runs have not converged after *t* epochs", ""]
    out += [
        "Kaplan-Meier estimates of the fraction not yet converged, per hidden std, with "
        "pointwise 95% bands (Greenwood, log-log); runs that converged in the article's "
        f"training count at their epoch, failures are followed to {sc.longest:,} epochs and "
        "censored there if still failing. The dotted line is the article's length.",
        "",
        *_figure(figures, "survival", "survival curves"),
        f"Converging after {sc.article:,} and by {sc.longest:,} epochs, of the failures (95% "
        "interval) and of all runs; then where the failures are at the end, as shares of the "
        "failures:",
        "",
        markdown_table(_per_std(study)),
        "",
        f"How the tail falls after {sc.article:,} epochs (maximum likelihood with censoring; the "
        "lowest AIC picks the law; `never` is the fraction that never converges under it; "
        "`plateau p` tests a never-converging fraction, small p: the tail flattens):",
        "",
        markdown_table(_tails(study)),
        "",
        "## End states: what the failing runs are doing",
        "",
        f"Each failure is diagnosed from its parameters and gradient after {sc.article:,} and "
        f"after {sc.longest:,} epochs (`xorsweep.diagnose`) and put in the first class it meets:",
        "",
        *[f"- **{s}**: {CLASS_TEXT[s]}" for s in END_STATES],
        "",
        *_figure(figures, "end_states", "end states"),
        markdown_table(_states(study)),
        "",
        "Which were only slow: the failures of each class after the article's length, and how "
        "many converge by the end:",
        "",
        markdown_table(_classes(study)),
        "",
        "### The final-loss groups",
        "",
        *_groups(study),
        "### One example network of each class",
        "",
        f"The first failure of each class after {sc.article:,} epochs, with its hidden units' "
        "decision lines in the input plane:",
        "",
        *_examples(study),
        *_figure(figures, "examples", "example networks"),
    ]
    return out


def _basin_section(study: FailureStudy, figures: Mapping[str, str]) -> list[str]:
    sc = study.scale
    return [
        "## Basin maps after Kolen and Pollack",
        "",
        f"A plane of {sc.side} x {sc.side} initial networks through a reference network drawn "
        f"at Glorot's std (hidden {study.maps.attrs['reference_hidden_std']:.4f}, output "
        f"{study.maps.attrs['reference_output_std']:g}) along two random orthonormal directions "
        f"scaled by its parameter norm, from -{sc.map_extent:g} to {sc.map_extent:g}; every "
        "network trained once and continued from each length to the next, coloured by the epoch "
        "from which it is right and by its end state. The boundary share is the share of "
        "neighbouring grid points with different outcomes (a straight boundary gives about "
        f"1 / {sc.side}).",
        "",
        *_figure(figures, "basin_epochs", "basin maps by convergence epoch"),
        *_figure(figures, "basin_states", "basin maps by end state"),
        markdown_table(_basins(study)),
        "",
    ]


def render(
    study: FailureStudy,
    figures: Mapping[str, str],
    seconds: Mapping[str, float],
    command: str,
    files: Mapping[str, str],
    total: float | None = None,
) -> str:
    """The Markdown report of a failure study.

    Parameters
    ----------
    study : FailureStudy
    figures : mapping of str to str
        Figure name (``"survival"``, ``"end_states"``, ``"examples"``,
        ``"basin_epochs"``, ``"basin_states"``) to its path relative to the report.
    seconds : mapping of str to float
        Wall time of each stage, in order, the study's and the writing's.
    command : str
        The call that makes the report again.
    files : mapping of str to str
        The written Datasets: path relative to the report -> what it holds.
    total : float, optional
        Wall time of the whole call that made the report, up to its writing.

    Returns
    -------
    str
    """
    sc = study.scale
    out = [
        f"# Anatomy of failure: stuck, slow or on a plateau? ({study.name} scale)",
        "",
        "Many of the article's runs never get every XOR output right within its "
        f"{sc.article:,} epochs. Are they stuck for good, slow, or on a plateau? This report "
        "follows every one of them to a much longer training, classifies where those still "
        "failing end, and maps basins of initial networks; every number below is printed from "
        "the Datasets beside it by `xorsweep`.",
        "",
        "Regenerate:",
        "",
        f"    {command}",
        "",
        "## The answer",
        "",
        *_answer_text(study),
        "## Configuration",
        "",
        markdown_table(_configuration(study)),
        "",
        "## Wall time of each stage",
        "",
        markdown_table(_timing(study, seconds)),
        "",
        f"Sum of the stages: {sum(seconds.values()):.1f} s"
        + ("." if total is None else f"; the whole call, imports included: {total:.1f} s."),
        "",
        "## Checks",
        "",
        *[f"- {name}: {ok}" for name, ok in study.checks.items()],
        "",
        *_sections(study, figures),
        *_basin_section(study, figures),
        "## Files",
        "",
        *[f"- `{path}`: {what}" for path, what in files.items()],
        "",
    ]
    return "\n".join(out)


def summary(
    study: FailureStudy, seconds: Mapping[str, float], figures: Mapping[str, str]
) -> dict[str, Any]:
    """The study's main numbers as plain data, for ``summary.json``."""
    sc, b, t = study.scale, study.between, study.tails
    per_std = []
    for k, std in enumerate(b.hidden_std.values):
        end = study.shares.isel(length=-1, hidden_std=k)
        per_std.append(
            {
                "hidden_std": float(std),
                "runs": int(b.runs[k]),
                "failed": int(b.left[k]),
                "converged_later": float(b.conditional[k]),
                "converged_later_ci": [float(b.conditional_low[k]), float(b.conditional_high[k])],
                "tail_best": str(t.best.values[k]),
                "plateau_pvalue": float(t.plateau_pvalue[k]),
                "states_end": {s: float(end.share.sel(state=s)) for s in END_STATES},
            }
        )
    basins = [
        {
            "epochs": int(e),
            "converged_share": float(study.basins.converged_share.sel(epochs=e)),
            "boundary_converged": float(study.basins.boundary_converged.sel(epochs=e)),
        }
        for e in study.basins.epochs.values
    ]
    return {
        "study": "failures",
        "scale": study.name,
        "sizes": {
            "hidden_stds": list(sc.hidden_stds),
            "runs": sc.runs,
            "article": sc.article,
            "longest": sc.longest,
            "side": sc.side,
            "map_lengths": list(sc.map_lengths),
            "map_extent": sc.map_extent,
        },
        "seed": study.seed,
        "engine": study.engine,
        "workers": study.workers,
        "seconds": dict(seconds),
        "checks": dict(study.checks),
        "answer": answer(study),
        "per_std": per_std,
        "basins": basins,
        "figures": dict(figures),
    }
