"""Pure statistics of customer expectations: arrays and DataFrames in, result objects out.

This package never imports storage, web or CLI code.
"""

from cxgap.stats.communication import PromiseCheck, promise_check
from cxgap.stats.control_charts import ControlChart, cusum_chart, ewma_chart, p_chart, u_chart
from cxgap.stats.delivery import DeliveryCompliance, delivery_compliance
from cxgap.stats.effects import ActionEffect, action_effect
from cxgap.stats.factors import FactorRelation, factor_relation
from cxgap.stats.gaps import GapScores, gap_scores
from cxgap.stats.importance import (
    ImportanceResult,
    IPAResult,
    StatedImportanceResult,
    importance,
    ipa,
    stated_importance,
)
from cxgap.stats.kano import KanoResult, kano, kano_coefficients, kano_from_pairs
from cxgap.stats.knowledge import KnowledgeGap, knowledge_gap
from cxgap.stats.loyalty import CES, CSAT, NPS, NPSComparison, ces, compare_nps, csat, nps
from cxgap.stats.moments import ROW_LEVEL, Counts, Moments
from cxgap.stats.plan_power import PlanPower, plan_power
from cxgap.stats.priority import PriorityRanking, priority_ranking
from cxgap.stats.profiles import ExpectationProfiles, expectation_profiles
from cxgap.stats.recovery import (
    HoldoutEffect,
    PairedChange,
    RecoveryParadox,
    RecoveryRate,
    ResolutionTimes,
    holdout_effect,
    paired_change,
    recovery_paradox,
    recovery_rate,
    resolution_times,
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
from cxgap.stats.shrinkage import ShrunkEstimates, shrunk_means, shrunk_rates
from cxgap.stats.standards import ProposedLevels, StandardsGap, propose_levels, standards_gap
from cxgap.stats.tolerance import (
    ZONE_SUMS,
    ToleranceZone,
    tolerance_zone,
    tolerance_zone_from_sums,
    zone_from_sums,
)
from cxgap.stats.waves import (
    MeanInterval,
    OverallGap,
    WaveChange,
    mean_interval,
    overall_gap,
    overall_gap_of_zone,
    perception_trend,
    se_from_interval,
    wave_change,
)

__all__ = [
    "CES",
    "CSAT",
    "NPS",
    "ROW_LEVEL",
    "ZONE_SUMS",
    "ActionEffect",
    "CompositeReliability",
    "ControlChart",
    "Counts",
    "CronbachAlpha",
    "DeliveryCompliance",
    "ExpectationProfiles",
    "FactorRelation",
    "GapScores",
    "HoldoutEffect",
    "IPAResult",
    "ImportanceResult",
    "KanoResult",
    "KnowledgeGap",
    "McDonaldOmega",
    "MeanInterval",
    "Moments",
    "NPSComparison",
    "OverallGap",
    "PairedChange",
    "PlanPower",
    "PriorityRanking",
    "PromiseCheck",
    "ProposedLevels",
    "RecoveryParadox",
    "RecoveryRate",
    "ResolutionTimes",
    "SegmentComparison",
    "ShrunkEstimates",
    "StandardsGap",
    "StatResult",
    "StatedImportanceResult",
    "ToleranceZone",
    "WaveChange",
    "action_effect",
    "ces",
    "compare_groups",
    "compare_nps",
    "compare_segments",
    "composite_reliability",
    "cronbach_alpha",
    "csat",
    "cusum_chart",
    "delivery_compliance",
    "ewma_chart",
    "expectation_profiles",
    "factor_relation",
    "gap_scores",
    "holdout_effect",
    "importance",
    "ipa",
    "kano",
    "kano_coefficients",
    "kano_from_pairs",
    "knowledge_gap",
    "mcdonald_omega",
    "mean_interval",
    "nps",
    "overall_gap",
    "overall_gap_of_zone",
    "p_chart",
    "paired_change",
    "perception_trend",
    "plan_power",
    "priority_ranking",
    "promise_check",
    "propose_levels",
    "recovery_paradox",
    "recovery_rate",
    "resolution_times",
    "se_from_interval",
    "shrunk_means",
    "shrunk_rates",
    "standards_gap",
    "stated_importance",
    "tolerance_zone",
    "tolerance_zone_from_sums",
    "u_chart",
    "wave_change",
    "zone_from_sums",
]
