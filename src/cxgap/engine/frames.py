"""Stored responses as respondent-level tables.

One row per response: respondent columns (ids and segment attributes) followed by the
instrument's canonical answer columns (``rel1_adequate``, ``nps``, ...), the same names
files use, so exported tables import again unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from cxgap import segments
from cxgap.engine.answers import answers_wide
from cxgap.engine.cache import VersionedCache
from cxgap.instruments import Instrument, parse_instrument
from cxgap.store.database import snapshot
from cxgap.store.lookups import get_survey
from cxgap.store.models import Customer, InstrumentVersion, Response, Survey

RESPONDENT_COLUMNS = ("respondent_id", "customer_id", *segments.NAMES, "submitted_at")
"""The first columns of a survey's table; the organisation's own customer attributes
follow as ``attribute:NAME`` columns (:func:`cxgap.segments.custom_segment`), then the
answers."""


@dataclass(frozen=True)
class SurveyData:
    """A survey's responses with what is needed to analyse them."""

    key: str
    name: str
    wave: str | None
    period_start: dt.date | None
    instrument: Instrument
    frame: pd.DataFrame


CACHE_SIZE = 64
"""Most surveys whose tables are kept in memory per process (see :func:`load_survey`)."""
CACHE_CELLS = 60_000_000
"""Most table cells kept (about 0.5 GB); the least recently used tables go first."""

_cache: VersionedCache[SurveyData] = VersionedCache(
    max_entries=CACHE_SIZE, max_weight=CACHE_CELLS, weight=lambda data: data.frame.size
)


def data_version(engine: Engine, key: str) -> tuple[object, ...]:
    """A cheap fingerprint of everything a survey's table is built from.

    It changes when the survey's own fields change, when a response is added or removed
    (count, highest id), when responses
    are linked to or unlinked from customers (erasure), and when any customer's
    attributes change (newest ``updated_at``).
    """
    return data_versions(engine, [key])[key]


def data_versions(engine: Engine, keys: Sequence[str]) -> dict[str, tuple[object, ...]]:
    """:func:`data_version` of several surveys, read together (three queries in one
    snapshot, whatever their number)."""
    with snapshot(engine) as session:
        surveys = {
            row.key: row
            for row in session.execute(
                select(
                    Survey.key,
                    Survey.id,
                    Survey.name,
                    Survey.wave,
                    Survey.period_start,
                    Survey.instrument_id,
                ).where(Survey.key.in_(list(keys)))
            )
        }
        for key in keys:
            if key not in surveys:
                get_survey(session, key)  # says which survey is unknown
        counts = {
            row[0]: tuple(row[1:])
            for row in session.execute(
                select(
                    Response.survey_id,
                    func.count(Response.id),
                    func.max(Response.id),
                    func.count(Response.customer_id),
                    func.sum(Response.customer_id),
                )
                .where(Response.survey_id.in_([row.id for row in surveys.values()]))
                .group_by(Response.survey_id)
            )
        }
        customers = session.scalar(select(func.max(Customer.updated_at)))
    return {
        key: (
            row.id,
            row.name,
            row.wave,
            row.period_start,
            row.instrument_id,
            *counts.get(row.id, (0, None, 0, None)),
            str(customers),
        )
        for key, row in surveys.items()
    }


def load_survey(engine: Engine, key: str, *, cache: bool = True) -> SurveyData:
    """One survey's responses as a wide table (see the module doc).

    Tables are cached per process (at most :data:`CACHE_SIZE` surveys and
    :data:`CACHE_CELLS` cells, least recently used out first) and reused
    while :func:`data_version` is unchanged, so repeated analyses, reports and dashboard
    pages do not re-read the database; new or removed responses invalidate the entry.

    The version and the table are read in one snapshot (:func:`cxgap.store.database.snapshot`;
    the caller's, when it holds one), so a table is never cached under another version.
    """
    if not cache:
        return _load_survey(engine, key)
    cache_key = (engine.url.render_as_string(hide_password=False), key)
    with snapshot(engine):
        data = _cache.get_or_compute(
            cache_key, data_version(engine, key), lambda: _load_survey(engine, key)
        )
    return _private(data)


def clear_cache() -> None:
    """Forget every cached survey table (the next loads read the database)."""
    _cache.clear()


def _private(data: SurveyData) -> SurveyData:
    """A view of cached data that callers may change (copy-on-write keeps the cache intact)."""
    return dataclasses.replace(data, frame=data.frame.copy(deep=False))


def _load_survey(engine: Engine, key: str) -> SurveyData:
    with snapshot(engine) as session:
        survey = get_survey(session, key)
        instrument = parse_instrument(survey.instrument.definition, source=f"survey {key}")
        respondents = pd.DataFrame(
            session.execute(
                select(
                    Response.id,
                    Response.respondent_key,
                    Customer.external_id,
                    *(getattr(Customer, name) for name in segments.NAMES),
                    Response.submitted_at,
                    Customer.attributes,
                )
                .outerjoin(Customer, Customer.id == Response.customer_id)
                .where(Response.survey_id == survey.id)
                .order_by(Response.id)
            ).all(),
            columns=["response_id", *RESPONDENT_COLUMNS, "attributes"],
        )
        answer_columns = instrument.answer_columns()
        wide_answers = answers_wide(
            session.connection(),
            survey.id,
            answer_columns,
            respondents["response_id"].to_numpy(dtype=np.int64),
        )
        meta = (survey.key, survey.name, survey.wave, survey.period_start)
    respondents["interests"] = respondents["interests"].map(
        lambda v: "; ".join(v) if isinstance(v, list) else v
    )
    custom = _custom_columns(respondents.pop("attributes"))
    wide = pd.concat(
        [respondents.drop(columns="response_id"), custom, pd.DataFrame(wide_answers)], axis=1
    )
    return SurveyData(
        key=meta[0],
        name=meta[1],
        wave=meta[2],
        period_start=meta[3],
        instrument=instrument,
        frame=wide.reset_index(drop=True),
    )


def _label(value: object) -> str | None:
    """An attribute value as the label of its segment (numbers and flags as text)."""
    return None if value is None else str(value)


def _custom_columns(attributes: pd.Series) -> pd.DataFrame:
    """The organisation's own customer attributes, one ``attribute:NAME`` column each (in
    name order; values as text, missing where a respondent's customer does not have it)."""
    names = sorted({name for found in attributes if isinstance(found, dict) for name in found})
    return pd.DataFrame(
        {
            segments.custom_segment(name): [
                _label(found.get(name)) if isinstance(found, dict) else None for found in attributes
            ]
            for name in names
        },
        index=attributes.index,
        dtype=object,
    )


def responses_frame(engine: Engine, survey: str) -> tuple[pd.DataFrame, Instrument]:
    """``(wide table, instrument)`` of one survey."""
    data = load_survey(engine, survey)
    return data.frame, data.instrument


def surveys_of_instrument(engine: Engine, instrument_key: str) -> list[str]:
    """Keys of the surveys fielded with an instrument, oldest period first."""
    with snapshot(engine) as session:
        rows = (
            session.execute(
                select(Survey.key)
                .join(InstrumentVersion, InstrumentVersion.id == Survey.instrument_id)
                .where(InstrumentVersion.key == instrument_key)
                .order_by(Survey.period_start, Survey.key)
            )
            .scalars()
            .all()
        )
    return list(rows)
