"""The executive summary's headline measures and their change against a compared wave.

Every number comes from the analysis: NPS and CSAT, the overall gap and the share of
customers below their own reference level (:func:`cxgap.stats.overall_gap`, computed by
:func:`cxgap.services.analysis.analyze_survey`). A change between two waves is tested
with :func:`cxgap.stats.wave_change` and flagged as significant when the two-sided
p-value is below ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from cxgap import stats
from cxgap.services.analysis import SurveyAnalysis

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


def headline(analysis: SurveyAnalysis) -> list[Measure]:
    """Headline measures of an analysed survey (NPS, CSAT, overall gap, share below)."""
    found: list[Measure] = []
    if (n := analysis.nps) is not None:
        found.append(Measure("nps", n.nps, float(n.ci_low), float(n.ci_high), n.se, n.n, "points"))
    if (c := analysis.csat) is not None:
        se = float(np.sqrt(c.top_box_share * (1 - c.top_box_share) / max(c.n, 1)))
        found.append(
            Measure("csat", c.top_box_share, c.top_box_ci_low, c.top_box_ci_high, se, c.n, "share")
        )
    if (o := analysis.overall) is not None:
        found += [
            Measure("overall_gap", o.value, o.ci_low, o.ci_high, o.se, o.n, "scale", o.reference),
            Measure(
                "share_below",
                o.share_below,
                o.share_ci_low,
                o.share_ci_high,
                o.share_se,
                o.n,
                "share",
            ),
        ]
    return found


def with_changes(current: list[Measure], previous: list[Measure], *, alpha: float) -> list[Measure]:
    """``current`` with the change against the same measure in ``previous``."""
    before = {m.key: m for m in previous}
    out = []
    for m in current:
        old = before.get(m.key)
        if old is None:
            out.append(m)
            continue
        change = stats.wave_change(m.value, m.se, old.value, old.se)
        out.append(
            replace(m, change=change.change, change_p=change.p, significant=bool(change.p < alpha))
        )
    return out
