"""Reading stored responses back as tables, and exporting them to files.

The wide table uses the instrument's canonical answer column names, so an exported file
imports again unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from cxgap.errors import ValidationError
from cxgap.instruments.model import NUMERIC_FIELDS, Instrument
from cxgap.services.surveys import get_survey, instrument_of
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Customer, Response

EXPORT_FORMATS = ("csv", "xlsx", "parquet")
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


def responses_frame(engine: Engine, survey: str) -> tuple[pd.DataFrame, Instrument]:
    """One row per response of ``survey``: respondent columns, then answer columns."""
    with transaction(engine) as session:
        survey_row = get_survey(session, survey)
        instrument = instrument_of(survey_row)
        respondents = pd.DataFrame(
            session.execute(
                select(
                    Response.id,
                    Response.respondent_key,
                    Response.submitted_at,
                    Customer.external_id,
                    Customer.gender,
                    Customer.age_band,
                    Customer.income_band,
                    Customer.interests,
                    Customer.region,
                    Customer.channel,
                )
                .outerjoin(Customer, Customer.id == Response.customer_id)
                .where(Response.survey_id == survey_row.id)
                .order_by(Response.id)
            ).all(),
            columns=[
                "response_id",
                "respondent_id",
                "submitted_at",
                "customer_id",
                "gender",
                "age_band",
                "income_band",
                "interests",
                "region",
                "channel",
            ],
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
                .where(Response.survey_id == survey_row.id)
            ).all(),
            columns=["response_id", "item_id", "option", *NUMERIC_FIELDS, "text"],
        )
    respondents["interests"] = respondents["interests"].map(
        lambda v: "; ".join(v) if isinstance(v, list) else v
    )
    wide = respondents.set_index("response_id")
    columns = instrument.answer_columns()
    for column in columns:
        rows = answers[(answers["item_id"] == column.item) & (answers["option"] == column.option)]
        wide[column.name] = rows.set_index("response_id")[column.field].reindex(wide.index)
    return wide.reset_index(drop=True), instrument


def export_survey(engine: Engine, survey: str, path: str | Path) -> int:
    """Write ``survey``'s responses to a CSV, XLSX or Parquet file; returns the row count."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(
            f"{path}: cannot export to {path.suffix or 'a file without extension'}; "
            f"use one of {', '.join('.' + f for f in EXPORT_FORMATS)}"
        )
    frame, _ = responses_frame(engine, survey)
    frame = frame.dropna(axis=1, how="all").copy()
    if "submitted_at" in frame.columns:
        frame["submitted_at"] = frame["submitted_at"].astype(str)
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        frame.to_parquet(path, index=False)
    return len(frame)
