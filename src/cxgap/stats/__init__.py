"""Pure statistics of customer expectations: arrays and DataFrames in, result objects out.

This package never imports storage, web or CLI code.
"""

from cxgap.stats.gaps import GapScores, gap_scores
from cxgap.stats.importance import (
    ImportanceResult,
    IPAResult,
    StatedImportanceResult,
    importance,
    ipa,
    stated_importance,
)
from cxgap.stats.kano import KanoResult, kano, kano_coefficients
from cxgap.stats.loyalty import CES, CSAT, NPS, NPSComparison, ces, compare_nps, csat, nps
from cxgap.stats.moments import ROW_LEVEL, Counts, Moments
from cxgap.stats.profiles import ExpectationProfiles, expectation_profiles
from cxgap.stats.reliability import (
    CompositeReliability,
    CronbachAlpha,
    McDonaldOmega,
    composite_reliability,
    cronbach_alpha,
    mcdonald_omega,
)
from cxgap.stats.result import StatResult
from cxgap.stats.segments import SegmentComparison, compare_segments
from cxgap.stats.tolerance import ToleranceZone, tolerance_zone
from cxgap.stats.waves import (
    MeanInterval,
    OverallGap,
    WaveChange,
    mean_interval,
    overall_gap,
    perception_trend,
    se_from_interval,
    wave_change,
)

__all__ = [
    "CES",
    "CSAT",
    "NPS",
    "ROW_LEVEL",
    "CompositeReliability",
    "Counts",
    "CronbachAlpha",
    "ExpectationProfiles",
    "GapScores",
    "IPAResult",
    "ImportanceResult",
    "KanoResult",
    "McDonaldOmega",
    "MeanInterval",
    "Moments",
    "NPSComparison",
    "OverallGap",
    "SegmentComparison",
    "StatResult",
    "StatedImportanceResult",
    "ToleranceZone",
    "WaveChange",
    "ces",
    "compare_nps",
    "compare_segments",
    "composite_reliability",
    "cronbach_alpha",
    "csat",
    "expectation_profiles",
    "gap_scores",
    "importance",
    "ipa",
    "kano",
    "kano_coefficients",
    "mcdonald_omega",
    "mean_interval",
    "nps",
    "overall_gap",
    "perception_trend",
    "se_from_interval",
    "stated_importance",
    "tolerance_zone",
    "wave_change",
]
