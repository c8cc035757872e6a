"""The executive summary's headline measures and their change against a compared wave.

NPS and CSAT come from the analysis. The overall gap and the share of customers below
their adequate level need the respondents' own levels, so they are computed here from the
survey's stored answers with :mod:`cxgap.stats`: for a zone-of-tolerance instrument all
items form one ``overall`` dimension of :func:`cxgap.stats.tolerance_zone` (overall MSA,
share of respondents whose mean perception is below their mean adequate level); for an
expectation/perception instrument the overall row of :func:`cxgap.stats.gap_scores`.

A change between two waves (independent samples) is

.. math:: \\Delta = m_1 - m_0, \\quad z = \\Delta / \\sqrt{SE_1^2 + SE_0^2}

and is flagged as significant when the two-sided p-value is below ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy import Engine

from cxgap import stats
from cxgap.engine.frames import load_survey
from cxgap.services.analysis import SurveyAnalysis
from cxgap.stats.loyalty import wilson_interval

Unit = Literal["points", "share", "scale"]


@dataclass(frozen=True)
class Measure:
    """One headline number with its interval and, when a wave was compared, its change."""

    key: str
    value: float
    ci_low: float
    ci_high: float
    se: float
    n: int
    unit: Unit
    reference: str | None = None
    """For the overall gap: what perception is compared with (adequate or expected)."""
    change: float | None = None
    change_p: float | None = None
    significant: bool | None = None


def _se_from_interval(low: float, high: float, confidence: float) -> float:
    return float((high - low) / (2 * sps.norm.ppf(0.5 + confidence / 2)))


def _block(frame: pd.DataFrame, items: list[str], suffix: str) -> pd.DataFrame:
    return frame[[f"{i}_{suffix}" for i in items]].set_axis(items, axis=1).astype("float64")


def headline(engine: Engine, analysis: SurveyAnalysis, *, confidence: float) -> list[Measure]:
    """Headline measures of an analysed survey (NPS, CSAT, overall gap, share below)."""
    found: list[Measure] = []
    if (n := analysis.nps) is not None:
        found.append(Measure("nps", n.nps, float(n.ci_low), float(n.ci_high), n.se, n.n, "points"))
    if (c := analysis.csat) is not None:
        se = float(np.sqrt(c.top_box_share * (1 - c.top_box_share) / max(c.n, 1)))
        found.append(
            Measure("csat", c.top_box_share, c.top_box_ci_low, c.top_box_ci_high, se, c.n, "share")
        )
    found.extend(_overall(engine, str(analysis.survey["key"]), confidence))
    return found


def _overall(engine: Engine, survey: str, confidence: float) -> list[Measure]:
    data = load_survey(engine, survey)
    frame, inst = data.frame, data.instrument
    zot = [i.id for i in inst.items_of_format("tolerance_zone")]
    ep = [i.id for i in inst.items_of_format("expectation_perception")]
    if zot:
        zone = stats.tolerance_zone(
            _block(frame, zot, "adequate"),
            _block(frame, zot, "desired"),
            _block(frame, zot, "perceived"),
            dimensions=dict.fromkeys(zot, "overall"),
            confidence=confidence,
        )
        row = zone.summary[zone.summary["level"] == "dimension"].iloc[0]
        n, share = int(row["n"]), float(row["share_below_adequate"])
        gap = (float(row["msa"]), float(row["msa_ci_low"]), float(row["msa_ci_high"]))
        reference = "adequate"
    elif ep:
        gaps = stats.gap_scores(
            _block(frame, ep, "perceived"), _block(frame, ep, "expected"), confidence=confidence
        )
        row = gaps.summary[gaps.summary["level"] == "overall"].iloc[0]
        per_respondent = (
            _block(frame, ep, "perceived").mean(axis=1) - _block(frame, ep, "expected").mean(axis=1)
        ).dropna()
        n, share = len(per_respondent), float((per_respondent < 0).mean())
        gap = (float(row["mean_gap"]), float(row["ci_low"]), float(row["ci_high"]))
        reference = "expected"
    else:
        return []
    low, high = wilson_interval(share * n, n, confidence=confidence)
    return [
        Measure(
            "overall_gap",
            *gap,
            _se_from_interval(gap[1], gap[2], confidence),
            n,
            "scale",
            reference=reference,
        ),
        Measure(
            "share_below",
            share,
            float(low),
            float(high),
            float(np.sqrt(share * (1 - share) / max(n, 1))),
            n,
            "share",
        ),
    ]


def with_changes(current: list[Measure], previous: list[Measure], *, alpha: float) -> list[Measure]:
    """``current`` with the change against the same measure in ``previous``."""
    before = {m.key: m for m in previous}
    out = []
    for m in current:
        old = before.get(m.key)
        if old is None:
            out.append(m)
            continue
        change = m.value - old.value
        se = float(np.hypot(m.se, old.se))
        p = float(2 * sps.norm.sf(abs(change) / se)) if se > 0 else float("nan")
        out.append(replace(m, change=change, change_p=p, significant=bool(p < alpha)))
    return out
