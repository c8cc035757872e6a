"""The analysis of a survey: every statistic its instrument supports, and the findings.

:func:`analyze_survey` is the one service the CLI (``cxgap analyze``), the web API and the
reports call. Its :meth:`SurveyAnalysis.to_dict` output is the documented JSON structure
(``docs/analysis-json.md``, schema ``cxgap.analysis/1``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import selectinload

from cxgap import stats
from cxgap.engine import aggregate
from cxgap.engine.cache import VersionedCache
from cxgap.engine.frames import (
    SurveyData,
    data_versions,
    load_survey,
    surveys_of_instrument,
)
from cxgap.errors import DataError, ValidationError
from cxgap.instruments import Instrument, parse_instrument
from cxgap.segments import COMPARABLE, custom_attribute, segment_names
from cxgap.services import wave_sums
from cxgap.services.surveys import survey_counts
from cxgap.stats.result import StatResult, to_jsonable
from cxgap.store.database import snapshot, transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import ImportBatch, InstrumentVersion, Response, Survey
from cxgap.text import counted

T = TypeVar("T")
SCHEMA = "cxgap.analysis/1"
SEGMENT_ATTRIBUTES = COMPARABLE
"""Built-in segment attributes; ``attribute:NAME`` names an organisation's own one."""
OUTCOME_ROLES = ("overall", "csat", "nps")
"""Outcome of the driver analysis: the first of these roles the instrument has."""
ALPHA = 0.05
MIN_RESPONSES = 10
MIN_SEGMENT_ANSWERS = 2


@dataclass(frozen=True)
class AnalysedSurvey:
    """The survey an analysis describes."""

    key: str
    name: str
    wave: str | None
    instrument: str
    version: int
    audience: str
    n_responses: int

    @classmethod
    def of(
        cls, key: str, name: str, wave: str | None, instrument: Instrument, n_responses: int
    ) -> AnalysedSurvey:
        """A survey fielded with ``instrument``."""
        return cls(
            key, name, wave, instrument.id, instrument.version, instrument.audience, n_responses
        )

    @property
    def wave_name(self) -> str:
        """The wave's name, or the survey key when it has none."""
        return self.wave or self.key

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "wave": self.wave,
            "instrument": self.instrument,
            "version": self.version,
            "audience": self.audience,
            "n_responses": self.n_responses,
        }


class FindingKind(StrEnum):
    """What a finding says; its ``kind`` in the JSON."""

    BELOW_ADEQUATE = "below_adequate"
    KEY_DRIVER = "key_driver"
    ATTRACTIVE_FEATURE = "attractive_feature"
    SEGMENT_DIFFERENCE = "segment_difference"
    WORSENING_DIMENSION = "worsening_dimension"


@dataclass(frozen=True)
class BelowAdequate:
    """An item delivered below the adequate level: the interval of its MSA is below 0."""

    kind: ClassVar[FindingKind] = FindingKind.BELOW_ADEQUATE
    item: str
    dimension: str
    msa: float
    msa_ci: tuple[float, float]
    share_below_adequate: float


@dataclass(frozen=True)
class KeyDriver:
    """The dimension with the largest share of the explained variance of the outcome."""

    kind: ClassVar[FindingKind] = FindingKind.KEY_DRIVER
    dimension: str
    share: float
    r2: float


@dataclass(frozen=True)
class AttractiveFeature:
    """A Kano feature whose category is attractive, significantly so (Fong's test)."""

    kind: ClassVar[FindingKind] = FindingKind.ATTRACTIVE_FEATURE
    feature: str
    better: float
    worse: float


@dataclass(frozen=True)
class SegmentDifference:
    """An expectation column that differs between segments (adjusted Welch p < alpha)."""

    kind: ClassVar[FindingKind] = FindingKind.SEGMENT_DIFFERENCE
    attribute: str
    column: str
    highest: str
    p_adj: float
    eta_sq: float


@dataclass(frozen=True)
class WorseningDimension:
    """A dimension whose mean perception fell in every recent wave, significantly overall."""

    kind: ClassVar[FindingKind] = FindingKind.WORSENING_DIMENSION
    dimension: str
    waves: tuple[str, ...]
    change: float
    p: float


Finding = BelowAdequate | KeyDriver | AttractiveFeature | SegmentDifference | WorseningDimension
"""A plain-language conclusion of an analysis, with the numbers that support it."""


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON: its ``kind`` followed by its fields (``docs/analysis-json.md``)."""
    fields = {f.name: getattr(finding, f.name) for f in dataclasses.fields(finding)}
    return {"kind": finding.kind.value, **to_jsonable(fields)}


@dataclass(frozen=True)
class SurveyAnalysis:
    """Everything :func:`analyze_survey` computed for one survey; read-only.

    Each statistic is a result object from :mod:`cxgap.stats` (or ``None`` when the
    instrument does not support it); ``findings`` are conclusions drawn from them with
    the tests that support them. ``overall`` (the gap of all items together and the
    share of respondents below their own reference level) feeds the headline measures
    and is not part of the JSON.
    """

    survey: AnalysedSurvey
    instrument: Instrument
    """The instrument the survey was fielded with (labels of dimensions and items)."""
    confidence: float = 0.95
    """Level of every interval."""
    tolerance_zone: stats.ToleranceZone | None = None
    gaps: stats.GapScores | None = None
    overall: stats.OverallGap | None = None
    reliability: Mapping[str, stats.CronbachAlpha] = field(default_factory=dict)
    nps: stats.NPS | None = None
    csat: stats.CSAT | None = None
    ces: stats.CES | None = None
    importance: stats.ImportanceResult | None = None
    stated_importance: stats.StatedImportanceResult | None = None
    ipa: stats.IPAResult | None = None
    kano: stats.KanoResult | None = None
    segments: Mapping[str, stats.SegmentComparison] = field(default_factory=dict)
    trend: pd.DataFrame | None = None
    """Columns :data:`cxgap.stats.waves.TREND_COLUMNS`."""
    findings: tuple[Finding, ...] = ()
    priorities: stats.PriorityRanking | None = None
    """Where to act first: dimensions and Kano features ranked by
    :func:`cxgap.stats.priority_ranking` from the zone, importance, trend and Kano results."""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (schema ``cxgap.analysis/1``)."""

        def result(value: StatResult | None) -> Any:
            return None if value is None else value.to_dict()

        return {
            "schema": SCHEMA,
            "survey": to_jsonable(self.survey.to_dict()),
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
            "findings": [finding_to_dict(f) for f in self.findings],
            "priorities": result(self.priorities),
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
        own = [str(c) for c in frame.columns if custom_attribute(str(c)) is not None]
        raise ValidationError(
            f"cannot compare by {by!r}: not a respondent attribute; allowed: "
            f"{', '.join([*SEGMENT_ATTRIBUTES, *own])}"
        )
    values = frame[by]
    if values.notna().sum() == 0:
        raise ValidationError(f"cannot compare by {by!r}: no respondent of this survey has it")
    return values


def _core(data: SurveyData, confidence: float, notes: list[str]) -> dict[str, Any]:
    """The statistics of one wave, as keyword arguments of :class:`SurveyAnalysis`."""
    frame, inst = data.frame, data.instrument
    parts: dict[str, Any] = {}
    zot = [i.id for i in inst.items_of_format("tolerance_zone")]
    if zot:
        dims: dict[Hashable, Any] = {
            i: inst.item(i).dimension for i in zot if inst.item(i).dimension
        }
        _attempt(
            parts,
            "tolerance_zone",
            notes,
            lambda: stats.tolerance_zone(
                _block(frame, zot, "adequate"),
                _block(frame, zot, "desired"),
                _block(frame, zot, "perceived"),
                dimensions=dims or None,
                confidence=confidence,
            ),
        )
        _attempt(
            parts,
            "overall",
            notes,
            lambda: stats.overall_gap(
                _block(frame, zot, "perceived"),
                adequate=_block(frame, zot, "adequate"),
                desired=_block(frame, zot, "desired"),
                confidence=confidence,
            ),
        )
    ep = [i.id for i in inst.items_of_format("expectation_perception")]
    points = inst.items_of_format("points")
    stated: stats.StatedImportanceResult | None = None
    if points:
        item = points[0]
        block = frame[[f"{item.id}_{o.id}" for o in item.options]].set_axis(
            [o.id for o in item.options], axis=1
        )
        answered = block.notna().any(axis=1)
        if answered.sum() >= 2:
            stated = _attempt(
                parts,
                "stated_importance",
                notes,
                lambda: stats.stated_importance(
                    block[answered].fillna(0.0), total=item.total or 100, confidence=confidence
                ),
            )
    if ep:
        dims = {i: inst.item(i).dimension for i in ep if inst.item(i).dimension}
        weights: dict[Hashable, float] | None = None
        if stated is not None:
            shares = stated.summary["share"]
            weights = {d: float(shares.loc[d]) for d in set(dims.values()) if d in shares.index}
        _attempt(
            parts,
            "gaps",
            notes,
            lambda: stats.gap_scores(
                _block(frame, ep, "perceived"),
                _block(frame, ep, "expected"),
                dimensions=dims or None,
                weights=weights or None,
                confidence=confidence,
            ),
        )
        if not zot:
            _attempt(
                parts,
                "overall",
                notes,
                lambda: stats.overall_gap(
                    _block(frame, ep, "perceived"),
                    expected=_block(frame, ep, "expected"),
                    confidence=confidence,
                ),
            )
    battery = zot or ep
    dims_all = inst.dimension_map("tolerance_zone", "expectation_perception")
    reliability: dict[str, stats.CronbachAlpha] = {}
    for dim in dict.fromkeys(dims_all.values()):
        items = [i for i in battery if dims_all.get(i) == dim]
        if len(items) >= 2:
            alpha = _attempt(
                {},
                f"reliability of {dim}",
                notes,
                lambda items=items: stats.cronbach_alpha(
                    _block(frame, items, "perceived"), confidence=confidence
                ),
            )
            if alpha is not None:
                reliability[dim] = alpha
    parts["reliability"] = reliability
    parts |= _loyalty(data, confidence)
    parts |= _drivers(data, notes)
    kano_items = inst.items_of_format("kano")
    if kano_items:
        functional = frame[[f"{i.id}_functional" for i in kano_items]]
        dysfunctional = frame[[f"{i.id}_dysfunctional" for i in kano_items]]
        features: list[Hashable] = [i.feature or i.id for i in kano_items]
        _attempt(
            parts,
            "kano",
            notes,
            lambda: stats.kano(
                functional.set_axis(features, axis=1),
                dysfunctional.set_axis(features, axis=1),
                features=features,
            ),
        )
    return parts


def _attempt(parts: dict[str, Any], name: str, notes: list[str], compute: Any) -> Any:
    """``compute()`` stored as ``parts[name]``; when the answers cannot support it (a whole
    part skipped, too few answers) the part is left out and the reason noted instead."""
    try:
        with warnings.catch_warnings():  # an empty part's means warn before the error says why
            warnings.simplefilter("ignore", RuntimeWarning)
            value = compute()
    except DataError as exc:
        notes.append(f"{name}: left out, {exc}")
        return None
    parts[name] = value
    return value


def _loyalty(data: SurveyData, confidence: float) -> dict[str, Any]:
    frame, inst = data.frame, data.instrument

    def scores(role: str) -> tuple[pd.Series, tuple[float, float]] | None:
        item_id = _role_item(inst, role)
        if item_id is None:
            return None
        values = frame[item_id].dropna().astype("float64")
        return (values, _scale_of(inst, item_id)) if len(values) >= 2 else None

    parts: dict[str, Any] = {}
    if found := scores("nps"):
        parts["nps"] = stats.nps(found[0], confidence=confidence)
    if found := scores("csat"):
        parts["csat"] = stats.csat(found[0], scale=found[1], confidence=confidence)
    if found := scores("ces"):
        parts["ces"] = stats.ces(found[0], scale=found[1], confidence=confidence)
    return parts


def _drivers(data: SurveyData, notes: list[str]) -> dict[str, Any]:
    frame, inst = data.frame, data.instrument
    outcome_id = next((i for r in OUTCOME_ROLES if (i := _role_item(inst, r))), None)
    perceived = dimension_scores(frame, inst, "perceived")
    if outcome_id is None or perceived.shape[1] < 2:
        return {}
    rows = perceived.notna().all(axis=1) & frame[outcome_id].notna()
    if rows.sum() < max(MIN_RESPONSES, perceived.shape[1] + 2):
        notes.append("too few complete answers for the driver analysis")
        return {}
    importance = stats.importance(perceived[rows], frame.loc[rows, outcome_id])
    performance = perceived.mean()
    return {"importance": importance, "ipa": stats.ipa(importance.summary["share"], performance)}


def _segment_analysis(
    data: SurveyData, by: str, confidence: float, min_size: int, notes: list[str]
) -> stats.SegmentComparison | None:
    frame, inst = data.frame, data.instrument
    labels = _attribute_values(frame, by)
    fields = ("adequate", "desired") if inst.items_of_format("tolerance_zone") else ("expected",)
    columns = {}
    for name in fields:
        scores = dimension_scores(frame, inst, name)
        columns.update({f"{dim}_{name}": scores[dim] for dim in scores.columns})
    if not columns:
        notes.append(f"no expectation columns to compare by {by}")
        return None
    table = pd.DataFrame(columns)
    keep = labels.notna()
    # A segment needs answers from two respondents in every column to have a variance;
    # smaller ones are left out of the comparison and named in the notes.
    answered = table[keep].notna().groupby(labels[keep].astype(str)).sum().min(axis=1)
    tiny = sorted(str(level) for level in answered.index[answered < MIN_SEGMENT_ANSWERS])
    if tiny:
        keep &= ~labels.astype(str).isin(tiny)
        notes.append(
            f"{by}: segment(s) {', '.join(tiny)} left out of the comparison (fewer than "
            f"{MIN_SEGMENT_ANSWERS} answers in some column)"
        )
    if labels[keep].nunique() < 2:
        notes.append(f"{by}: fewer than two segments with enough answers to compare")
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = stats.compare_segments(
            table[keep], labels[keep].astype(str), confidence=confidence, min_size=min_size
        )
    notes.extend(str(w.message) for w in caught)
    return comparison


WaveScores = tuple[str, str, "stats.Moments | pd.DataFrame"]
"""``(survey key, wave name, sums of the dimension scores)`` of one wave of the trend."""


def _trend(waves: Sequence[WaveScores], confidence: float) -> pd.DataFrame | None:
    """Mean perception per dimension across ``waves`` (oldest first, the analysed one last)."""
    if len(waves) < 2:
        return None
    return stats.perception_trend(waves, confidence=confidence)


def trend_groups(instrument: Instrument) -> dict[str, list[str]]:
    """The items of each dimension whose perceptions make the trend's dimension scores."""
    groups: dict[str, list[str]] = {}
    for item, dim in instrument.dimension_map("tolerance_zone", "expectation_perception").items():
        groups.setdefault(str(dim), []).append(str(item))
    return groups


def trend_waves(
    keys: Sequence[tuple[str, str]],
    instrument: Instrument,
    moments: Mapping[str, stats.Moments],
) -> list[WaveScores]:
    """The trend's waves from the database's sums: ``keys`` are ``(survey, wave name)``,
    oldest first; a wave without perceptions gets empty scores."""
    empty = pd.DataFrame(columns=list(trend_groups(instrument)), dtype="float64")
    return [(key, wave, moments.get(key, empty)) for key, wave in keys]


def _stored_trend(engine: Engine, data: SurveyData) -> list[WaveScores]:
    """The trend's waves of a stored survey: the sums of the dimension scores of every wave
    of its instrument up to it. The analysed wave's come from its table (read anyway); the
    earlier waves' are summed in the database (:func:`cxgap.engine.aggregate.score_moments`,
    one query per instrument version), so their answer rows are not read. Called inside
    the caller's snapshot; the database's sums are bounded by its highest response id."""
    keys = surveys_of_instrument(engine, data.instrument.id)
    if data.key not in keys or keys.index(data.key) < 1:
        return []
    earlier = keys[: keys.index(data.key)]
    with snapshot(engine) as session:
        rows = session.execute(
            select(Survey.key, Survey.wave, Survey.instrument_id).where(Survey.key.in_(earlier))
        ).all()
        up_to = session.scalar(select(func.max(Response.id))) or 0
        instruments = {
            row.instrument_id: parse_instrument(
                get_survey(session, row.key).instrument.definition, source=f"survey {row.key}"
            )
            for row in {row.instrument_id: row for row in rows}.values()
        }
    waves = {row.key: (row.wave or row.key, row.instrument_id) for row in rows}
    moments: dict[str, stats.Moments] = {}
    with aggregate.stored_backend(engine) as con:
        long = aggregate.stored_answers(con)
        for instrument_id, inst in instruments.items():
            same = [key for key in earlier if waves[key][1] == instrument_id]
            moments |= aggregate.score_moments(con, long, same, trend_groups(inst), up_to=up_to)
    out = trend_waves([(key, waves[key][0]) for key in earlier], data.instrument, moments)
    return [*out, wave_scores(data)]


def wave_scores(data: SurveyData) -> WaveScores:
    """The trend's entry of the analysed wave, from its table (read anyway): the sums of
    its respondents' dimension scores."""
    scores = dimension_scores(data.frame, data.instrument, "perceived")
    sums = stats.Moments.from_arrays(scores) if scores.size else scores
    return (data.key, data.wave or data.key, sums)


def _findings(
    zone: stats.ToleranceZone | None,
    importance: stats.ImportanceResult | None,
    kano: stats.KanoResult | None,
    segments: Mapping[str, stats.SegmentComparison],
    trend: pd.DataFrame | None,
    trend_window: int,
) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if zone is not None:
        items = zone.summary[zone.summary["level"] == "item"]
        below = items[(items["position"] == "below") & (items["msa_ci_high"] < 0)]
        for row in below.to_dict(orient="records"):
            found.append(
                BelowAdequate(
                    item=str(row["name"]),
                    dimension=row["dimension"],
                    msa=float(row["msa"]),
                    msa_ci=(float(row["msa_ci_low"]), float(row["msa_ci_high"])),
                    share_below_adequate=float(row["share_below_adequate"]),
                )
            )
    if importance is not None:
        top = importance.summary.sort_values("rank").iloc[0]
        found.append(
            KeyDriver(dimension=str(top.name), share=float(top["share"]), r2=importance.r2)
        )
    if kano is not None:
        for feature, krow in kano.summary.iterrows():
            if krow["category"] == "A" and bool(krow["fong_significant"]):
                found.append(
                    AttractiveFeature(
                        feature=str(feature),
                        better=float(krow["better"]),
                        worse=float(krow["worse"]),
                    )
                )
    for by, comparison in segments.items():
        summary = comparison.summary
        for column, seg_row in summary[summary["welch_p_adj"] < ALPHA].iterrows():
            groups = comparison.groups[comparison.groups["column"] == column]
            top = groups.sort_values("mean", ascending=False).iloc[0]
            found.append(
                SegmentDifference(
                    attribute=by,
                    column=str(column),
                    highest=str(top["segment"]),
                    p_adj=float(seg_row["welch_p_adj"]),
                    eta_sq=float(seg_row["eta_sq"]),
                )
            )
    if trend is not None and trend["survey"].nunique() > trend_window:
        waves = list(dict.fromkeys(trend["survey"]))
        recent = waves[-(trend_window + 1) :]
        for dim, rows in trend.groupby("dimension", sort=False):
            series = rows.set_index("survey").loc[recent]
            means = series["mean_perceived"].to_numpy()
            first, last = series.iloc[0], series.iloc[-1]
            change = stats.wave_change(
                last["mean_perceived"], last["se"], first["mean_perceived"], first["se"]
            )
            if bool(np.all(np.diff(means) < 0)) and change.p < ALPHA:
                found.append(
                    WorseningDimension(
                        dimension=str(dim),
                        waves=tuple(str(w) for w in series["wave"]),
                        change=change.change,
                        p=change.p,
                    )
                )
    return tuple(found)


def _priorities(
    parts: Mapping[str, Any], findings: tuple[Finding, ...], notes: list[str]
) -> stats.PriorityRanking | None:
    """The priority list from the statistics and findings of one analysis; the trend
    counts where a finding says a dimension worsened (steadily and significantly)."""
    columns: dict[str, pd.Series] = {}
    zone: stats.ToleranceZone | None = parts.get("tolerance_zone")
    if zone is not None:
        dims = zone.summary[zone.summary["level"] == "dimension"].set_index("name")
        columns |= {c: dims[c] for c in ("position", "msa", "share_below_adequate")}
    if (derived := parts.get("importance")) is not None:
        columns["importance"] = derived.summary["share"]
    if (stated := parts.get("stated_importance")) is not None:
        columns["stated_importance"] = stated.summary["share"]
    table = pd.DataFrame(columns)
    if not table.empty:
        items_below = pd.Series(0, index=table.index, dtype="int64")
        for finding in findings:
            if isinstance(finding, BelowAdequate) and finding.dimension in items_below.index:
                items_below[finding.dimension] += 1
            if isinstance(finding, WorseningDimension) and finding.dimension in table.index:
                table.loc[finding.dimension, "trend_change"] = finding.change
                table.loc[finding.dimension, "trend_p"] = finding.p
        table["items_below"] = items_below
    kano: stats.KanoResult | None = parts.get("kano")
    features = None if kano is None else kano.summary["category"]
    if table.empty and features is None:
        return None
    return _attempt(
        {},
        "priorities",
        notes,
        lambda: stats.priority_ranking(table if not table.empty else None, features, alpha=ALPHA),
    )


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

    Every read (the survey, its waves) happens in one snapshot of the database
    (:func:`cxgap.store.database.snapshot`): responses stored meanwhile are wholly in or out.
    """
    with snapshot(engine):  # the survey and every wave of its trend read as of one moment
        data = load_survey(engine, survey)
        waves = _stored_trend(engine, data)
    return analyze_data(
        data,
        lambda: waves,
        by=by,
        confidence=confidence,
        min_segment_size=min_segment_size,
        trend_window=trend_window,
    )


def _check_size(survey: str, n: int) -> None:
    if n < MIN_RESPONSES:
        raise DataError(
            f"survey {survey!r} has {counted(n, 'response')}; at least {MIN_RESPONSES} are "
            "needed for an analysis"
        )


def analyze_data(
    data: SurveyData,
    waves: Callable[[], Sequence[WaveScores]],
    *,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
    min_segment_size: int = 30,
    trend_window: int = 3,
) -> SurveyAnalysis:
    """:func:`analyze_survey` of a survey's table wherever it was read from (the stored
    database, or a Parquet dataset through DuckDB or Spark); ``waves`` gives the sums of the
    dimension scores of the surveys of the same instrument up to this one (itself last),
    for the trend (:func:`trend_waves`)."""
    n = len(data.frame)
    _check_size(data.key, n)
    notes: list[str] = []
    parts = _core(data, confidence, notes)
    segments: dict[str, stats.SegmentComparison] = {}
    for attribute in segment_names([by] if isinstance(by, str) else (by or [])):
        comparison = _segment_analysis(data, attribute, confidence, min_segment_size, notes)
        if comparison is not None:
            segments[attribute] = comparison
    trend = _trend(waves(), confidence)
    findings = _findings(
        parts.get("tolerance_zone"),
        parts.get("importance"),
        parts.get("kano"),
        segments,
        trend,
        trend_window,
    )
    priorities = _priorities(parts, findings, notes)
    return SurveyAnalysis(
        survey=AnalysedSurvey.of(data.key, data.name, data.wave, data.instrument, n),
        instrument=data.instrument,
        confidence=confidence,
        segments=segments,
        trend=trend,
        findings=findings,
        priorities=priorities,
        notes=tuple(notes),
        **parts,
    )


ANALYSIS_CACHE_SIZE = 32
"""Most analyses kept per process by :func:`cached_analysis`."""

_analysis_cache: VersionedCache[SurveyAnalysis] = VersionedCache(max_entries=ANALYSIS_CACHE_SIZE)


def _instrument_waves(engine: Engine, survey: str) -> list[str]:
    """Keys of every survey fielded with the instrument of ``survey``, oldest first."""
    with snapshot(engine) as session:
        instrument = session.scalar(
            select(InstrumentVersion.key)
            .join(Survey, Survey.instrument_id == InstrumentVersion.id)
            .where(Survey.key == survey)
        )
        if instrument is None:
            get_survey(session, survey)  # says the survey is unknown
    return surveys_of_instrument(engine, str(instrument))


def analysis_version(engine: Engine, survey: str) -> tuple[object, ...]:
    """Fingerprint of everything :func:`analyze_survey` reads for ``survey``: the
    :func:`~cxgap.engine.frames.data_version` of the survey and of every wave fielded
    with its instrument (the trend reads them)."""
    waves = _instrument_waves(engine, survey)
    versions = data_versions(engine, waves)
    return tuple(versions[key] for key in waves)


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
    attributes = segment_names([by] if isinstance(by, str) else (by or []))
    key = (
        engine.url.render_as_string(hide_password=False),
        survey,
        tuple(attributes),
        confidence,
        min_segment_size,
        trend_window,
    )
    with snapshot(engine):  # the version and the analysis cached under it agree
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


_headline_cache: VersionedCache[SurveyAnalysis] = VersionedCache(max_entries=ANALYSIS_CACHE_SIZE)


def headline_analyses(
    engine: Engine, surveys: Sequence[str], *, confidence: float = 0.95
) -> dict[str, SurveyAnalysis]:
    """Per survey, the parts of :func:`analyze_survey` that a wave's headline draws,
    computed from sums and counts formed in the database (:mod:`cxgap.engine.aggregate`)
    without reading the answer rows: the tolerance zone by dimension (its ``summary`` has
    no item rows), the overall gap and its share below, NPS and CSAT. Every other part is
    empty. The numbers are those of :func:`analyze_survey`.

    Each survey's parts are kept per process while its
    :func:`~cxgap.engine.frames.data_version` is unchanged (at most
    :data:`ANALYSIS_CACHE_SIZE` surveys); the missing ones are summed together, one query
    per instrument version. A survey whose instrument has no zone-of-tolerance battery gets
    :func:`cached_analysis` (the row-level path).
    """
    url = engine.url.render_as_string(hide_password=False)
    with snapshot(engine):  # the versions and the sums cached under them agree
        versions = data_versions(engine, surveys)
        found = {key: _headline_cache.get((url, key, confidence), versions[key]) for key in surveys}
        missing = [key for key, value in found.items() if value is None]
        if missing:
            for key, value in _headlines(engine, missing, confidence).items():
                _headline_cache.put((url, key, confidence), versions[key], value)
                found[key] = value
    return {key: value for key, value in found.items() if value is not None}


class _Wave(NamedTuple):
    key: str
    id: int
    name: str
    wave: str | None


def _instruments_of(
    session: Any, surveys: Sequence[str]
) -> dict[int, tuple[Instrument, list[_Wave]]]:
    """``surveys`` grouped by instrument version (each group in the order given), with
    the instrument (read and parsed once per version)."""
    rows = {
        row.key: row
        for row in session.scalars(
            select(Survey)
            .where(Survey.key.in_(list(surveys)))
            .options(selectinload(Survey.instrument))
        )
    }
    out: dict[int, tuple[Instrument, list[_Wave]]] = {}
    for key in surveys:
        found = rows.get(key) or get_survey(session, key)  # says which survey is unknown
        if found.instrument_id not in out:
            inst = parse_instrument(found.instrument.definition, source=f"survey {key}")
            out[found.instrument_id] = (inst, [])
        out[found.instrument_id][1].append(_Wave(found.key, found.id, found.name, found.wave))
    return out


def _headline_items(inst: Instrument) -> tuple[dict[str, str | None], dict[str, str]]:
    """What a wave's headline sums read: the zone-of-tolerance items (item -> dimension)
    and the counted items (role -> item)."""
    zot = {i.id: i.dimension for i in inst.items_of_format("tolerance_zone")}
    roles = {
        role: item_id for role in ("nps", "csat") if (item_id := _role_item(inst, role)) is not None
    }
    return zot, roles


def _headlines(
    engine: Engine, surveys: Sequence[str], confidence: float
) -> dict[str, SurveyAnalysis]:
    with snapshot(engine) as session:
        by_instrument = _instruments_of(session, surveys)
    out: dict[str, SurveyAnalysis] = {}
    for inst, rows in by_instrument.values():
        zot, roles = _headline_items(inst)
        if not zot:
            out |= {r.key: cached_analysis(engine, r.key, confidence=confidence) for r in rows}
            continue
        sums = wave_sums.headline_sums(engine, {r.key: r.id for r in rows}, zot, roles)
        for row in rows:
            mine = sums[row.key]
            _check_size(row.key, mine.responses)
            parts: dict[str, Any] = {}
            nps = mine.counts_of("nps", roles.get("nps", ""))
            if nps is not None and nps.n.sum() >= 2:
                parts["nps"] = stats.nps(nps, confidence=confidence)
            csat = mine.counts_of("csat", roles.get("csat", ""))
            if csat is not None and csat.n.sum() >= 2:
                parts["csat"] = stats.csat(
                    csat, scale=_scale_of(inst, roles["csat"]), confidence=confidence
                )
            out[row.key] = SurveyAnalysis(
                survey=AnalysedSurvey.of(row.key, row.name, row.wave, inst, mine.responses),
                instrument=inst,
                confidence=confidence,
                notes=_zone_parts(parts, mine.zone, zot, confidence),
                **parts,
            )
    return out


def _zone_parts(
    parts: dict[str, Any],
    mine: pd.DataFrame,
    zot: Mapping[str, str | None],
    confidence: float,
) -> tuple[str, ...]:
    """The tolerance zone by dimension and the overall gap of one survey from its
    :func:`cxgap.engine.aggregate.zone_sums` (indexed by dimension), into ``parts``; the
    notes."""
    if aggregate.ALL_ITEMS not in mine.index:
        return ("tolerance_zone: left out, no usable answers",)
    every = {str(k): float(v) for k, v in mine.loc[aggregate.ALL_ITEMS].to_dict().items()}
    if every["n"] < 2:
        return ("tolerance_zone: left out, fewer than 2 respondents with usable answers",)
    dims = [d for d in dict.fromkeys(zot.values()) if d and d in mine.index]
    rows = stats.zone_from_sums(mine.reindex([*dims, aggregate.ALL_ITEMS]), confidence=confidence)
    parts["tolerance_zone"] = stats.ToleranceZone(
        summary=rows.iloc[:-1].reset_index(drop=True),
        n_inverted=int(every["inverted_answers"]),
        n_respondents_inverted=int(every["n_inverted"]),
        n_respondents=int(every["n"]),
        n_items=len(zot),
        confidence=confidence,
    )
    parts["overall"] = stats.overall_gap_of_zone(rows.iloc[-1], confidence=confidence)
    return ()


def headline_analysis(engine: Engine, survey: str, *, confidence: float = 0.95) -> SurveyAnalysis:
    """:func:`headline_analyses` of one survey."""
    return headline_analyses(engine, [survey], confidence=confidence)[survey]


def warm_up(engine: Engine) -> None:
    """Pay the first use of the database sums now rather than in a first request (a
    server calls it before it accepts requests): importing Ibis and its SQL compiler and
    running the queries of :func:`headline_analyses` once, for no survey (nothing is
    read); then :func:`keep_headline_sums`."""
    with aggregate.stored_backend(engine) as con:
        long = aggregate.stored_answers(con)
        aggregate.zone_sums(con, long, [], {"item": "dimension"})
        aggregate.counts_by_survey(con, long, [], "item")
    keep_headline_sums(engine)


def keep_headline_sums(engine: Engine) -> list[str]:
    """Bring the kept headline sums (:mod:`cxgap.services.wave_sums`) of every wave with
    a zone-of-tolerance battery up to date, e.g. after responses were imported while no
    server ran, so that no request reads their answers; returns the waves' keys."""
    with snapshot(engine) as session:
        keys = list(session.scalars(select(Survey.key).order_by(Survey.period_start, Survey.key)))
        by_instrument = _instruments_of(session, keys)
    done: list[str] = []
    for inst, waves in by_instrument.values():
        zot, roles = _headline_items(inst)
        if zot:
            done += list(wave_sums.headline_sums(engine, {w.key: w.id for w in waves}, zot, roles))
    return done


_derived_cache: VersionedCache[Any] = VersionedCache(max_entries=ANALYSIS_CACHE_SIZE)


def cached_for_analysis(engine: Engine, survey: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` (something drawn from the analysis of ``survey`` and its waves, e.g. a
    page's figures in one language, told apart by ``key``), kept per process while
    :func:`analysis_version` is unchanged (at most :data:`ANALYSIS_CACHE_SIZE` entries).
    The version and everything ``compute`` reads come from one snapshot."""
    cache_key = (engine.url.render_as_string(hide_password=False), survey, key)
    with snapshot(engine):
        found: T = _derived_cache.get_or_compute(
            cache_key, analysis_version(engine, survey), compute
        )
    return found


def wave_keys(engine: Engine, survey: str) -> list[str]:
    """Keys of the surveys fielded with the instrument of ``survey`` up to it (itself
    included), oldest first."""
    keys = _instrument_waves(engine, survey)
    return keys[: keys.index(survey) + 1] if survey in keys else [survey]


def sample_exclusions(engine: Engine, survey: str) -> dict[str, int]:
    """What the analysed sample leaves out: rows ``rejected`` and ``duplicates`` skipped
    on import, and for personal invitations the ``invited`` and ``completed`` counts."""
    with transaction(engine) as session:
        survey_id = get_survey(session, survey).id
        rejected, duplicates = session.execute(
            select(
                func.coalesce(func.sum(ImportBatch.rejected), 0),
                func.coalesce(func.sum(ImportBatch.duplicates), 0),
            ).where(ImportBatch.survey_id == survey_id)
        ).one()
    counts = survey_counts(engine, survey)
    return {
        "rejected": int(rejected),
        "duplicates": int(duplicates),
        "invited": counts.invitations,
        "completed": counts.invitations_completed,
    }


def clear_analysis_cache() -> None:
    """Forget every cached analysis (and every wave's headline parts)."""
    _analysis_cache.clear()
    _headline_cache.clear()
    _derived_cache.clear()
