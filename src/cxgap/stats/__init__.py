"""Pure statistics of customer expectations: arrays and DataFrames in, result objects out.

This package never imports storage, web or CLI code.
"""

from cxgap.stats.gaps import GapScores, gap_scores
from cxgap.stats.loyalty import CES, CSAT, NPS, NPSComparison, ces, compare_nps, csat, nps
from cxgap.stats.reliability import (
    CompositeReliability,
    CronbachAlpha,
    McDonaldOmega,
    composite_reliability,
    cronbach_alpha,
    mcdonald_omega,
)
from cxgap.stats.result import StatResult
from cxgap.stats.tolerance import ToleranceZone, tolerance_zone

__all__ = [
    "CES",
    "CSAT",
    "NPS",
    "CompositeReliability",
    "CronbachAlpha",
    "GapScores",
    "McDonaldOmega",
    "NPSComparison",
    "StatResult",
    "ToleranceZone",
    "ces",
    "compare_nps",
    "composite_reliability",
    "cronbach_alpha",
    "csat",
    "gap_scores",
    "mcdonald_omega",
    "nps",
    "tolerance_zone",
]
