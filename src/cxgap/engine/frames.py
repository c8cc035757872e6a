"""Stored responses as respondent-level tables.

One row per response: respondent columns (ids and segment attributes) followed by the
instrument's canonical answer columns (``rel1_adequate``, ``nps``, ...), the same names
files use, so exported tables import again unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from cxgap.instruments import Instrument, parse_instrument
from cxgap.instruments.model import NUMERIC_FIELDS
from cxgap.store.database import transaction
from cxgap.store.lookups import get_survey
from cxgap.store.models import Answer, Customer, Response, Survey

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


def load_survey(engine: Engine, key: str) -> SurveyData:
    """One survey's responses as a wide table (see the module doc)."""
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
        answers = pd.DataFrame(
            session.execute(
                select(
                    Answer.response_id,
                    Answer.item_id,
                    Answer.option,
                    *[getattr(Answer, f) for f in NUMERIC_FIELDS],
                    Answer.text,
                )
                .join(Response, Response.id == Answer.response_id)
                .where(Response.survey_id == survey.id)
            ).all(),
            columns=["response_id", "item_id", "option", *NUMERIC_FIELDS, "text"],
        )
        meta = (survey.key, survey.name, survey.wave, survey.period_start)
    respondents["interests"] = respondents["interests"].map(
        lambda v: "; ".join(v) if isinstance(v, list) else v
    )
    wide = respondents.set_index("response_id")
    pivoted = (
        answers.pivot(
            index="response_id", columns=["item_id", "option"], values=[*NUMERIC_FIELDS, "text"]
        )
        if len(answers)
        else None
    )
    columns: dict[str, pd.Series] = {}
    for column in instrument.answer_columns():
        key_ = (column.field, column.item, column.option)
        text = column.field == "text"
        if pivoted is not None and key_ in pivoted.columns:
            part = pivoted[key_]
            columns[column.name] = (part if text else part.astype("float64")).reindex(wide.index)
        else:
            columns[column.name] = pd.Series(
                None if text else np.nan, index=wide.index, dtype=object if text else "float64"
            )
    wide = pd.concat([wide, pd.DataFrame(columns, index=wide.index)], axis=1)
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
