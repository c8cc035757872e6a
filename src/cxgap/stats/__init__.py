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
from cxgap.stats.profiles import ExpectationProfiles, expectation_profiles
from cxgap.stats.recovery import (
    GroupComparison,
    KaplanMeier,
    PairedChange,
    Proportion,
    ShrunkRates,
    compare_groups,
    kaplan_meier,
    paired_change,
    proportion,
    shrunk_rates,
)
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
    "CompositeReliability",
    "CronbachAlpha",
    "ExpectationProfiles",
    "GapScores",
    "GroupComparison",
    "IPAResult",
    "ImportanceResult",
    "KanoResult",
    "KaplanMeier",
    "McDonaldOmega",
    "MeanInterval",
    "NPSComparison",
    "OverallGap",
    "PairedChange",
    "Proportion",
    "SegmentComparison",
    "ShrunkRates",
    "StatResult",
    "StatedImportanceResult",
    "ToleranceZone",
    "WaveChange",
    "ces",
    "compare_groups",
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
    "kaplan_meier",
    "mcdonald_omega",
    "mean_interval",
    "nps",
    "overall_gap",
    "paired_change",
    "perception_trend",
    "proportion",
    "se_from_interval",
    "shrunk_rates",
    "stated_importance",
    "tolerance_zone",
    "wave_change",
]
