"""Parquet datasets of survey answers: writing them from the store, analysing them anywhere.

``cxgap export --lake DIR`` writes a survey (or every survey) in the long layout of
:mod:`cxgap.engine.lake`; ``cxgap analyze --source DIR --engine duckdb|spark`` runs the
same analysis as on the stored database, with the grouped work done by DuckDB or Spark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from cxgap.engine import aggregate, lake
from cxgap.engine.frames import load_survey
from cxgap.errors import NotFoundError, ValidationError
from cxgap.services.accounts import audit
from cxgap.services.analysis import (
    SurveyAnalysis,
    WaveScores,
    analyze_data,
    trend_groups,
    trend_waves,
    wave_scores,
)
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Survey

ENGINES = lake.ENGINES
"""Engines that read a Parquet dataset: ``duckdb`` (in process) and ``spark``."""


@dataclass(frozen=True)
class LakeExport:
    """What :func:`export_lake` wrote: answer rows per survey key."""

    directory: Path
    rows: dict[str, int]


def export_lake(
    engine: Engine,
    directory: str | Path,
    *,
    survey: str | None = None,
    actor: User | str | None = None,
) -> LakeExport:
    """Write one survey (or, without ``survey``, every survey) to the Parquet dataset in
    ``directory`` (created if needed; a survey written before is replaced)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValidationError(f"--lake {directory}: is a file; allowed: a folder")
    with transaction(engine) as session:
        if survey is None:
            keys = list(session.scalars(select(Survey.key).order_by(Survey.key)))
        else:
            keys = [get_survey(session, survey).key]
        definitions = {key: dict(get_survey(session, key).instrument.definition) for key in keys}
    if not keys:
        raise NotFoundError("no surveys to export")
    directory.mkdir(parents=True, exist_ok=True)
    rows = {
        key: lake.write_survey(directory, load_survey(engine, key, cache=False), definitions[key])
        for key in keys
    }
    if actor is not None:
        with transaction(engine) as session:
            for key, count in rows.items():
                audit(
                    session,
                    actor,
                    "responses.export",
                    target_type="survey",
                    target_id=key,
                    details={"survey": key, "format": "lake", "rows": count},
                )
    return LakeExport(directory, rows)


def analyze_source(
    directory: str | Path,
    survey: str,
    *,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    by: str | list[str] | None = None,
    confidence: float = 0.95,
    min_segment_size: int = 30,
    trend_window: int = 3,
) -> SurveyAnalysis:
    """:func:`~cxgap.services.analysis.analyze_survey` of a survey in a Parquet dataset,
    read by DuckDB or Spark (``spark_master`` as :func:`cxgap.engine.lake.connect`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(f"--source {directory}: no such folder")
    if engine not in ENGINES:
        raise ValidationError(f"--engine: got {engine!r}; allowed: {', '.join(ENGINES)}")
    surveys = lake.lake_surveys(directory)
    target = next((s for s in surveys if s.key == survey), None)
    if target is None:
        raise NotFoundError(
            f"survey {survey!r} is not in {directory}; found: "
            f"{', '.join(s.key for s in surveys) or 'none'}"
        )
    same = [s for s in surveys if s.instrument.id == target.instrument.id]
    earlier = same[: same.index(target)]
    with lake.connect(engine, spark_master=spark_master) as con:  # type: ignore[arg-type]
        data = lake.load_lake_survey(con, directory, target)
        # the earlier waves' sums are formed by the backend, the analysed wave's from its table
        moments = (
            aggregate.score_moments(
                con,
                lake.answers(con, directory),
                [s.key for s in earlier],
                trend_groups(target.instrument),
            )
            if earlier
            else {}
        )
    waves: list[WaveScores] = []
    if earlier:
        keys = [(s.key, s.wave or s.key) for s in earlier]
        waves = [*trend_waves(keys, target.instrument, moments), wave_scores(data)]
    return analyze_data(
        data,
        lambda: waves,
        by=by,
        confidence=confidence,
        min_segment_size=min_segment_size,
        trend_window=trend_window,
    )
