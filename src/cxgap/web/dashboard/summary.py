"""Per-wave figures behind the overview: headline measures and the gap per dimension.

Every wave's figures, the chosen one's too, come from
:func:`cxgap.services.analysis.headline_analyses`, which forms them from sums in the
database without reading answer rows (instruments without a zone-of-tolerance battery take
the whole analysis). They are kept per process while the wave's data are unchanged.
The report layer's :func:`cxgap.reports.headline.headline` only reads the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from cxgap.reports.headline import Measure, headline, with_changes
from cxgap.services.analysis import (
    ALPHA,
    SurveyAnalysis,
    clear_analysis_cache,
    headline_analyses,
    wave_keys,
)

CONFIDENCE = 0.95

DIMENSION_COLUMNS = ("dimension", "gap", "ci_low", "ci_high", "share_below", "position", "n")


@dataclass(frozen=True)
class WaveSummary:
    """The headline measures and per-dimension gaps of one survey wave."""

    survey: str
    wave: str
    n: int
    measures: tuple[Measure, ...]
    dimensions: pd.DataFrame
    """Columns :data:`DIMENSION_COLUMNS`: gap to the adequate level (MSA) for a
    zone-of-tolerance instrument, perceived minus expected otherwise."""


def dimension_gaps(analysis: SurveyAnalysis) -> pd.DataFrame:
    """Gap per dimension of an analysis (see :attr:`WaveSummary.dimensions`)."""
    if analysis.tolerance_zone is not None:
        rows = analysis.tolerance_zone.summary
        rows = rows[rows["level"] == "dimension"]
        table = pd.DataFrame(
            {
                "dimension": rows["name"],
                "gap": rows["msa"],
                "ci_low": rows["msa_ci_low"],
                "ci_high": rows["msa_ci_high"],
                "share_below": rows["share_below_adequate"],
                "position": rows["position"],
                "n": rows["n"],
            }
        )
    elif analysis.gaps is not None:
        rows = analysis.gaps.summary
        rows = rows[rows["level"] == "dimension"]
        table = pd.DataFrame(
            {
                "dimension": rows["name"],
                "gap": rows["mean_gap"],
                "ci_low": rows["ci_low"],
                "ci_high": rows["ci_high"],
                "share_below": float("nan"),
                "position": None,
                "n": rows.get("n", 0),
            }
        )
    else:
        table = pd.DataFrame(columns=list(DIMENSION_COLUMNS))
    return table.reset_index(drop=True)


def wave_summary(analysis: SurveyAnalysis) -> WaveSummary:
    """The figures of one wave's analysis (whole, or its headline parts)."""
    return WaveSummary(
        survey=analysis.survey.key,
        wave=analysis.survey.wave_name,
        n=analysis.survey.n_responses,
        measures=tuple(headline(analysis)),
        dimensions=dimension_gaps(analysis),
    )


def waves_until(
    engine: Engine, survey: str, *, analysable: set[str]
) -> tuple[SurveyAnalysis, list[WaveSummary]]:
    """The headline parts of ``survey``'s analysis, and the figures of every wave fielded
    with its instrument up to it, oldest first, each with its change against the wave
    before it. Waves not in ``analysable`` (too few responses) are left out."""
    out: list[WaveSummary] = []
    keys = [key for key in wave_keys(engine, survey) if key in analysable or key == survey]
    parts = headline_analyses(engine, keys, confidence=CONFIDENCE)
    for key in keys:
        summary = wave_summary(parts[key])
        if out:
            changed = with_changes(list(summary.measures), list(out[-1].measures), alpha=ALPHA)
            summary = WaveSummary(
                summary.survey, summary.wave, summary.n, tuple(changed), summary.dimensions
            )
        out.append(summary)
    return parts[survey], out


def clear_cache() -> None:
    """Forget every wave's figures (the cached analyses they come from)."""
    clear_analysis_cache()
