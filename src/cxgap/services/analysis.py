"""The analysis of a survey: every statistic its instrument supports, and the findings.

:func:`analyze_survey` is the one service the CLI (``cxgap analyze``), the web API and the
reports call. Its :meth:`SurveyAnalysis.to_dict` output is the documented JSON structure
(``docs/analysis-json.md``, schema ``cxgap.analysis/1``).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy import Engine

from cxgap import stats
from cxgap.engine.cache import VersionedCache
from cxgap.engine.frames import SurveyData, data_version, load_survey, surveys_of_instrument
from cxgap.errors import DataError, ValidationError
from cxgap.instruments import Instrument
from cxgap.stats.result import StatResult, to_jsonable
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey

SCHEMA = "cxgap.analysis/1"
SEGMENT_ATTRIBUTES = ("gender", "age_band", "income_band", "region", "channel", "interests")
OUTCOME_ROLES = ("overall", "csat", "nps")
"""Outcome of the driver analysis: the first of these roles the instrument has."""
ALPHA = 0.05
MIN_RESPONSES = 10
MIN_SEGMENT_ANSWERS = 2


@dataclass
class SurveyAnalysis:
    """Everything :func:`analyze_survey` computed for one survey.

    Each statistic is a result object from :mod:`cxgap.stats` (or ``None`` when the
    instrument does not support it); ``findings`` are plain-language conclusions drawn
    from them with the tests that support them.
    """

    survey: dict[str, Any]
    tolerance_zone: stats.ToleranceZone | None = None
    gaps: stats.GapScores | None = None
    reliability: dict[str, stats.CronbachAlpha] = field(default_factory=dict)
    nps: stats.NPS | None = None
    csat: stats.CSAT | None = None
    ces: stats.CES | None = None
    importance: stats.ImportanceResult | None = None
    stated_importance: stats.StatedImportanceResult | None = None
    ipa: stats.IPAResult | None = None
    kano: stats.KanoResult | None = None
    segments: dict[str, stats.SegmentComparison] = field(default_factory=dict)
    trend: pd.DataFrame | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (schema ``cxgap.analysis/1``)."""

        def result(value: StatResult | None) -> Any:
            return None if value is None else value.to_dict()

        return {
            "schema": SCHEMA,
            "survey": to_jsonable(self.survey),
            "tolerance_zone": result(self.tolerance_zone),
            "gaps": result(self.gaps),
            "reliability": {k: v.to_dict() for k, v in self.reliability.items()},
            "loyalty": {
                "nps": result(self.nps),
                "csat": result(self.csat),
                "ces": result(self.ces),
            },
            "importance": {
                "derived": result(self.importance),
                "stated": result(self.stated_importance),
                "ipa": result(self.ipa),
            },
            "kano": result(self.kano),
            "segments": {k: v.to_dict() for k, v in self.segments.items()},
            "trend": None if self.trend is None else to_jsonable(self.trend),
            "findings": to_jsonable(self.findings),
            "notes": list(self.notes),
        }


def _role_item(instrument: Instrument, role: str) -> str | None:
    return next((i.id for i in instrument.items if i.role == role), None)


def _scale_of(instrument: Instrument, item_id: str) -> tuple[float, float]:
    scale = instrument.item_scale(instrument.item(item_id))
    if scale is None:
        raise ValidationError(f"item {item_id!r} has no scale")
    return (float(scale.min), float(scale.max))


def _block(frame: pd.DataFrame, items: list[str], suffix: str) -> pd.DataFrame:
    return frame[[f"{i}_{suffix}" for i in items]].set_axis(items, axis=1).astype("float64")


def dimension_scores(frame: pd.DataFrame, instrument: Instrument, suffix: str) -> pd.DataFrame:
    """Per respondent, the mean of each dimension's items for one answer field."""
    dims = instrument.dimension_map("tolerance_zone", "expectation_perception")
    out = {}
    for dim in dict.fromkeys(dims.values()):
        items = [f"{i}_{suffix}" for i, d in dims.items() if d == dim]
        items = [c for c in items if c in frame.columns]
        if items:
            out[dim] = frame[items].astype("float64").mean(axis=1)
    return pd.DataFrame(out)


def _attribute_values(frame: pd.DataFrame, by: str) -> pd.Series:
    if by not in frame.columns:
        raise ValidationError(
            f"cannot compare by {by!r}: not a respondent attribute; allowed: "
            f"{', '.join(SEGMENT_ATTRIBUTES)}"
        )
    values = frame[by]
    if values.notna().sum() == 0:
        raise ValidationError(f"cannot compare by {by!r}: no respondent of this survey has it")
    return values


def _core(data: SurveyData, analysis: SurveyAnalysis, confidence: float) -> None:
    frame, inst = data.frame, data.instrument
    zot = [i.id for i in inst.items_of_format("tolerance_zone")]
    if zot:
        dims: dict[Hashable, Any] = {
            i: inst.item(i).dimension for i in zot if inst.item(i).dimension
        }
        analysis.tolerance_zone = stats.tolerance_zone(
            _block(frame, zot, "adequate"),
            _block(frame, zot, "desired"),
            _block(frame, zot, "perceived"),
            dimensions=dims or None,
            confidence=confidence,
        )
    ep = [i.id for i in inst.items_of_format("expectation_perception")]
    points = inst.items_of_format("points")
    if points:
        item = points[0]
        block = frame[[f"{item.id}_{o.id}" for o in item.options]].set_axis(
            [o.id for o in item.options], axis=1
        )
        answered = block.notna().any(axis=1)
        if answered.sum() >= 2:
            analysis.stated_importance = stats.stated_importance(
                block[answered].fillna(0.0), total=item.total or 100, confidence=confidence
            )
    if ep:
        dims = {i: inst.item(i).dimension for i in ep if inst.item(i).dimension}
        weights: dict[Hashable, float] | None = None
        if analysis.stated_importance is not None:
            shares = analysis.stated_importance.summary["share"]
            weights = {d: float(shares.loc[d]) for d in set(dims.values()) if d in shares.index}
        analysis.gaps = stats.gap_scores(
            _block(frame, ep, "perceived"),
            _block(frame, ep, "expected"),
            dimensions=dims or None,
            weights=weights or None,
            confidence=confidence,
        )
    battery = zot or ep
    dims_all = inst.dimension_map("tolerance_zone", "expectation_perception")
    for dim in dict.fromkeys(dims_all.values()):
        items = [i for i in battery if dims_all.get(i) == dim]
        if len(items) >= 2:
            analysis.reliability[dim] = stats.cronbach_alpha(
                _block(frame, items, "perceived"), confidence=confidence
            )
    _loyalty(data, analysis, confidence)
    _drivers(data, analysis)
    kano_items = inst.items_of_format("kano")
    if kano_items:
        functional = frame[[f"{i.id}_functional" for i in kano_items]]
        dysfunctional = frame[[f"{i.id}_dysfunctional" for i in kano_items]]
        features: list[Hashable] = [i.feature or i.id for i in kano_items]
        analysis.kano = stats.kano(
            functional.set_axis(features, axis=1),
            dysfunctional.set_axis(features, axis=1),
            features=features,
        )


def _loyalty(data: SurveyData, analysis: SurveyAnalysis, confidence: float) -> None:
    frame, inst = data.frame, data.instrument

    def scores(role: str) -> tuple[pd.Series, tuple[float, float]] | None:
        item_id = _role_item(inst, role)
        if item_id is None:
            return None
        values = frame[item_id].dropna().astype("float64")
        return (values, _scale_of(inst, item_id)) if len(values) >= 2 else None

    if found := scores("nps"):
        analysis.nps = stats.nps(found[0], confidence=confidence)
    if found := scores("csat"):
        analysis.csat = stats.csat(found[0], scale=found[1], confidence=confidence)
    if found := scores("ces"):
        analysis.ces = stats.ces(found[0], scale=found[1], confidence=confidence)


def _drivers(data: SurveyData, analysis: SurveyAnalysis) -> None:
    frame, inst = data.frame, data.instrument
    outcome_id = next((i for r in OUTCOME_ROLES if (i := _role_item(inst, r))), None)
    perceived = dimension_scores(frame, inst, "perceived")
    if outcome_id is None or perceived.shape[1] < 2:
        return
    rows = perceived.notna().all(axis=1) & frame[outcome_id].notna()
    if rows.sum() < max(MIN_RESPONSES, perceived.shape[1] + 2):
        analysis.notes.append("too few complete answers for the driver analysis")
        return
    analysis.importance = stats.importance(perceived[rows], frame.loc[rows, outcome_id])
    performance = perceived.mean()
    analysis.ipa = stats.ipa(analysis.importance.summary["share"], performance)


def _segment_analysis(
    data: SurveyData, analysis: SurveyAnalysis, by: str, confidence: float, min_size: int
) -> None:
    frame, inst = data.frame, data.instrument
    labels = _attribute_values(frame, by)
    fields = ("adequate", "desired") if inst.items_of_format("tolerance_zone") else ("expected",)
    columns = {}
    for name in fields:
        scores = dimension_scores(frame, inst, name)
        columns.update({f"{dim}_{name}": scores[dim] for dim in scores.columns})
    if not columns:
        analysis.notes.append(f"no expectation columns to compare by {by}")
        return
    table = pd.DataFrame(columns)
    keep = labels.notna()
    # A segment needs answers from two respondents in every column to have a variance;
    # smaller ones are left out of the comparison and named in the notes.
    answered = table[keep].notna().groupby(labels[keep].astype(str)).sum().min(axis=1)
    tiny = sorted(str(level) for level in answered.index[answered < MIN_SEGMENT_ANSWERS])
    if tiny:
        keep &= ~labels.astype(str).isin(tiny)
        analysis.notes.append(
            f"{by}: segment(s) {', '.join(tiny)} left out of the comparison (fewer than "
            f"{MIN_SEGMENT_ANSWERS} answers in some column)"
        )
    if labels[keep].nunique() < 2:
        analysis.notes.append(f"{by}: fewer than two segments with enough answers to compare")
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analysis.segments[by] = stats.compare_segments(
            table[keep], labels[keep].astype(str), confidence=confidence, min_size=min_size
        )
    analysis.notes.extend(str(w.message) for w in caught)


def _trend(engine: Engine, data: SurveyData, confidence: float) -> pd.DataFrame | None:
    keys = surveys_of_instrument(engine, data.instrument.id)
    if data.key not in keys:
        return None
    keys = keys[: keys.index(data.key) + 1]
    if len(keys) < 2:
        return None
    rows = []
    z = sps.norm.ppf(0.5 + confidence / 2)
    for key in keys:
        wave = data if key == data.key else load_survey(engine, key)
        scores = dimension_scores(wave.frame, wave.instrument, "perceived")
        for dim in scores.columns:
            values = scores[dim].dropna()
            n = len(values)
            mean = float(values.mean()) if n else np.nan
            se = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            rows.append(
                {
                    "survey": key,
                    "wave": wave.wave or key,
                    "dimension": dim,
                    "n": n,
                    "mean_perceived": mean,
                    "se": se,
                    "ci_low": mean - z * se,
                    "ci_high": mean + z * se,
                }
            )
    return pd.DataFrame(rows)


def _findings(analysis: SurveyAnalysis, trend_window: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    zone = analysis.tolerance_zone
    if zone is not None:
        items = zone.summary[zone.summary["level"] == "item"]
        below = items[(items["position"] == "below") & (items["msa_ci_high"] < 0)]
        for row in below.itertuples():
            found.append(
                {
                    "kind": "below_adequate",
                    "item": row.name,
                    "dimension": row.dimension,
                    "msa": row.msa,
                    "msa_ci": [row.msa_ci_low, row.msa_ci_high],
                    "share_below_adequate": row.share_below_adequate,
                }
            )
    if analysis.importance is not None:
        top = analysis.importance.summary.sort_values("rank").iloc[0]
        found.append(
            {
                "kind": "key_driver",
                "dimension": str(top.name),
                "share": float(top["share"]),
                "r2": analysis.importance.r2,
            }
        )
    if analysis.kano is not None:
        summary = analysis.kano.summary
        for feature, krow in summary.iterrows():
            if krow["category"] == "A" and bool(krow["fong_significant"]):
                found.append(
                    {
                        "kind": "attractive_feature",
                        "feature": str(feature),
                        "better": float(krow["better"]),
                        "worse": float(krow["worse"]),
                    }
                )
    for by, comparison in analysis.segments.items():
        summary = comparison.summary
        for column, seg_row in summary[summary["welch_p_adj"] < ALPHA].iterrows():
            groups = comparison.groups[comparison.groups["column"] == column]
            top = groups.sort_values("mean", ascending=False).iloc[0]
            found.append(
                {
                    "kind": "segment_difference",
                    "attribute": by,
                    "column": str(column),
                    "highest": str(top["segment"]),
                    "p_adj": float(seg_row["welch_p_adj"]),
                    "eta_sq": float(seg_row["eta_sq"]),
                }
            )
    trend = analysis.trend
    if trend is not None and trend["survey"].nunique() > trend_window:
        waves = list(dict.fromkeys(trend["survey"]))
        recent = waves[-(trend_window + 1) :]
        for dim, rows in trend.groupby("dimension", sort=False):
            series = rows.set_index("survey").loc[recent]
            means = series["mean_perceived"].to_numpy()
            first, last = series.iloc[0], series.iloc[-1]
            diff = last["mean_perceived"] - first["mean_perceived"]
            se = float(np.hypot(first["se"], last["se"]))
            p = float(2 * sps.norm.sf(abs(diff) / se)) if se > 0 else np.nan
            if bool(np.all(np.diff(means) < 0)) and p < ALPHA:
                found.append(
                    {
                        "kind": "worsening_dimension",
                        "dimension": str(dim),
                        "waves": [str(w) for w in series["wave"]],
                        "change": float(diff),
                        "p": p,
                    }
                )
    return found


def analyze_survey(
    engine: Engine,
    survey: str,
    *,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
    min_segment_size: int = 30,
    trend_window: int = 3,
) -> SurveyAnalysis:
    """Run every analysis the survey's instrument supports.

    Args:
        survey: key of a stored survey.
        by: respondent attribute(s) to compare expectations across (e.g. ``age_band``).
        confidence: level of every interval.
        min_segment_size: segments smaller than this are flagged.
        trend_window: waves back over which a steady fall of a dimension is a finding.
    """
    data = load_survey(engine, survey)
    n = len(data.frame)
    if n < MIN_RESPONSES:
        raise DataError(
            f"survey {survey!r} has {n} responses; at least {MIN_RESPONSES} are needed "
            "for an analysis"
        )
    analysis = SurveyAnalysis(
        survey={
            "key": data.key,
            "name": data.name,
            "wave": data.wave,
            "instrument": data.instrument.id,
            "version": data.instrument.version,
            "audience": data.instrument.audience,
            "n_responses": n,
        }
    )
    _core(data, analysis, confidence)
    for attribute in [by] if isinstance(by, str) else (by or []):
        _segment_analysis(data, analysis, attribute, confidence, min_segment_size)
    analysis.trend = _trend(engine, data, confidence)
    analysis.findings = _findings(analysis, trend_window)
    return analysis


ANALYSIS_CACHE_SIZE = 32
"""Most analyses kept per process by :func:`cached_analysis`."""

_analysis_cache: VersionedCache[SurveyAnalysis] = VersionedCache(max_entries=ANALYSIS_CACHE_SIZE)


def analysis_version(engine: Engine, survey: str) -> tuple[object, ...]:
    """Fingerprint of everything :func:`analyze_survey` reads for ``survey``: the
    :func:`~cxgap.engine.frames.data_version` of the survey and of every wave fielded
    with its instrument (the trend reads them)."""
    with transaction(engine) as session:
        instrument = get_survey(session, survey).instrument.key
    keys = surveys_of_instrument(engine, instrument)
    return tuple(data_version(engine, key) for key in keys)


def cached_analysis(
    engine: Engine,
    survey: str,
    *,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
    min_segment_size: int = 30,
    trend_window: int = 3,
) -> SurveyAnalysis:
    """:func:`analyze_survey`, reused while :func:`analysis_version` is unchanged.

    Kept per process (at most :data:`ANALYSIS_CACHE_SIZE`, least recently used out
    first). New or removed responses in the survey or any of its waves, and changed
    customer attributes, change the version and so recompute. Treat the result as
    read-only: it is shared with later callers.
    """
    attributes = [by] if isinstance(by, str) else list(by or [])
    key = (
        engine.url.render_as_string(hide_password=False),
        survey,
        tuple(attributes),
        confidence,
        min_segment_size,
        trend_window,
    )
    return _analysis_cache.get_or_compute(
        key,
        analysis_version(engine, survey),
        lambda: analyze_survey(
            engine,
            survey,
            by=attributes,
            confidence=confidence,
            min_segment_size=min_segment_size,
            trend_window=trend_window,
        ),
    )


def clear_analysis_cache() -> None:
    """Forget every cached analysis."""
    _analysis_cache.clear()
