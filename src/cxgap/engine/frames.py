"""Stored responses as respondent-level tables.

One row per response: respondent columns (ids and segment attributes) followed by the
instrument's canonical answer columns (``rel1_adequate``, ``nps``, ...), the same names
files use, so exported tables import again unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from cxgap.instruments import Instrument, parse_instrument
from cxgap.instruments.model import NUMERIC_FIELDS, AnswerColumn
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Customer, Response, Survey

RESPONDENT_COLUMNS = (
    "respondent_id",
    "customer_id",
    "gender",
    "age_band",
    "income_band",
    "interests",
    "region",
    "channel",
    "submitted_at",
)


@dataclass(frozen=True)
class SurveyData:
    """A survey's responses with what is needed to analyse them."""

    key: str
    name: str
    wave: str | None
    period_start: dt.date | None
    instrument: Instrument
    frame: pd.DataFrame


def _answers_wide(
    connection: Connection,
    survey_id: int,
    columns: list[AnswerColumn],
    response_ids: np.ndarray,
) -> dict[str, np.ndarray]:
    """The survey's answers as one array per answer column, aligned with ``response_ids``.

    Reads only the fields the instrument uses, through the driver's cursor (no ORM rows),
    and places each value by integer indexing: millions of answers take seconds.
    """
    fields = sorted({c.field for c in columns}, key=[*NUMERIC_FIELDS, "text"].index)
    if not fields or not len(response_ids):
        return {c.name: np.full(len(response_ids), np.nan) for c in columns}
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    select_fields = ", ".join(f'a."{f}"' for f in fields)
    sql = (
        f"SELECT a.response_id, a.item_id, a.option, {select_fields} FROM answers a "
        f"JOIN responses r ON r.id = a.response_id WHERE r.survey_id = {mark}"
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, (survey_id,))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    n = len(response_ids)
    if not rows:
        return {
            c.name: np.full(n, None, dtype=object) if c.field == "text" else np.full(n, np.nan)
            for c in columns
        }
    data = np.array(rows, dtype=object)  # one C pass; columns are then sliced, not zipped
    del rows
    respondent = np.searchsorted(response_ids, data[:, 0].astype(np.int64))
    slots = dict.fromkeys((c.item, c.option) for c in columns)
    slot_of = {key: k for k, key in enumerate(slots)}
    item_codes, items = pd.factorize(data[:, 1])
    option_codes, options = pd.factorize(data[:, 2])
    lookup = np.full((len(items), len(options)), -1, dtype=np.int64)
    for i, item in enumerate(items):
        for j, option in enumerate(options):
            lookup[i, j] = slot_of.get((item, option), -1)
    slot = lookup[item_codes, option_codes]
    known = slot >= 0
    respondent, slot = respondent[known], slot[known]
    tables: dict[str, np.ndarray] = {}
    for position, name in enumerate(fields, start=3):
        raw = data[known, position]
        table = np.full(
            (n, len(slot_of)),
            None if name == "text" else np.nan,
            dtype=object if name == "text" else np.float64,
        )
        table[respondent, slot] = raw if name == "text" else raw.astype(np.float64)
        tables[name] = table
    return {c.name: tables[c.field][:, slot_of[(c.item, c.option)]] for c in columns}


CACHE_SIZE = 8
"""Surveys whose tables are kept in memory per process (see :func:`load_survey`)."""

_cache: OrderedDict[tuple[str, str], tuple[tuple[object, ...], SurveyData]] = OrderedDict()
_cache_lock = threading.Lock()


def data_version(engine: Engine, key: str) -> tuple[object, ...]:
    """A cheap fingerprint of everything a survey's table is built from.

    It changes when the survey's own fields change, when a response is added or removed
    (count, highest id), when responses
    are linked to or unlinked from customers (erasure), and when any customer's
    attributes change (newest ``updated_at``).
    """
    with transaction(engine) as session:
        survey = get_survey(session, key)
        counts = session.execute(
            select(
                func.count(Response.id),
                func.max(Response.id),
                func.count(Response.customer_id),
                func.sum(Response.customer_id),
            ).where(Response.survey_id == survey.id)
        ).one()
        customers = session.scalar(select(func.max(Customer.updated_at)))
        return (
            survey.id,
            survey.name,
            survey.wave,
            survey.period_start,
            survey.instrument_id,
            *counts,
            str(customers),
        )


def load_survey(engine: Engine, key: str, *, cache: bool = True) -> SurveyData:
    """One survey's responses as a wide table (see the module doc).

    Tables are cached per process for the last :data:`CACHE_SIZE` surveys and reused
    while :func:`data_version` is unchanged, so repeated analyses, reports and dashboard
    pages do not re-read the database; new or removed responses invalidate the entry.
    """
    if not cache:
        return _load_survey(engine, key)
    cache_key = (engine.url.render_as_string(hide_password=False), key)
    version = data_version(engine, key)
    with _cache_lock:
        hit = _cache.get(cache_key)
        if hit is not None and hit[0] == version:
            _cache.move_to_end(cache_key)
            return _private(hit[1])
    data = _load_survey(engine, key)
    with _cache_lock:
        _cache[cache_key] = (version, data)
        _cache.move_to_end(cache_key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return _private(data)


def _private(data: SurveyData) -> SurveyData:
    """A view of cached data that callers may change (copy-on-write keeps the cache intact)."""
    return dataclasses.replace(data, frame=data.frame.copy(deep=False))


def _load_survey(engine: Engine, key: str) -> SurveyData:
    with transaction(engine) as session:
        survey = get_survey(session, key)
        instrument = parse_instrument(survey.instrument.definition, source=f"survey {key}")
        respondents = pd.DataFrame(
            session.execute(
                select(
                    Response.id,
                    Response.respondent_key,
                    Customer.external_id,
                    Customer.gender,
                    Customer.age_band,
                    Customer.income_band,
                    Customer.interests,
                    Customer.region,
                    Customer.channel,
                    Response.submitted_at,
                )
                .outerjoin(Customer, Customer.id == Response.customer_id)
                .where(Response.survey_id == survey.id)
                .order_by(Response.id)
            ).all(),
            columns=["response_id", *RESPONDENT_COLUMNS],
        )
        answer_columns = instrument.answer_columns()
        wide_answers = _answers_wide(
            session.connection(),
            survey.id,
            answer_columns,
            respondents["response_id"].to_numpy(dtype=np.int64),
        )
        meta = (survey.key, survey.name, survey.wave, survey.period_start)
    respondents["interests"] = respondents["interests"].map(
        lambda v: "; ".join(v) if isinstance(v, list) else v
    )
    wide = pd.concat([respondents.drop(columns="response_id"), pd.DataFrame(wide_answers)], axis=1)
    return SurveyData(
        key=meta[0],
        name=meta[1],
        wave=meta[2],
        period_start=meta[3],
        instrument=instrument,
        frame=wide.reset_index(drop=True),
    )


def responses_frame(engine: Engine, survey: str) -> tuple[pd.DataFrame, Instrument]:
    """``(wide table, instrument)`` of one survey."""
    data = load_survey(engine, survey)
    return data.frame, data.instrument


def surveys_of_instrument(engine: Engine, instrument_key: str) -> list[str]:
    """Keys of the surveys fielded with an instrument, oldest period first."""
    from cxgap.store.models import InstrumentVersion

    with transaction(engine) as session:
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
