"""Browsing pages: the responses of a survey and the feedback inbox, with filters and
paging. Filter values are compared as data (pandas equality, bound SQL parameters), never
spliced into a query."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cxgap.reports.i18n import Texts
from cxgap.segments import FILTERABLE, custom_attribute
from cxgap.services.accounts import User
from cxgap.services.feedback import feedback_facets, list_feedback
from cxgap.services.response_browser import survey_data
from cxgap.services.surveys import list_surveys
from cxgap.web.auth import requires
from cxgap.web.dashboard.common import (
    PAGE_SIZE,
    PERMISSION,
    choose_survey,
    message_page,
    page_lang,
    page_number,
    show_page,
    url_with,
)
from cxgap.web.deps import get_engine
from cxgap.web.i18n import LANGUAGE_NAMES

router = APIRouter(prefix="/dashboard", include_in_schema=False)

ResponsesUser = Annotated[User, Depends(requires(PERMISSION["responses"]))]
FeedbackUser = Annotated[User, Depends(requires(PERMISSION["feedback"]))]

FILTERS = FILTERABLE
"""Built-in filters; the organisation's own attributes a survey has follow them."""
ROLES_SHOWN = ("nps", "csat", "overall")
MAX_FILTER = 200


def _asked(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value[:MAX_FILTER] if value else None


def _paging(request: Request, total: int) -> dict[str, Any]:
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page_number(request.query_params.get("page")), pages)
    return {
        "page": page,
        "pages": pages,
        "total": total,
        "previous_url": url_with(request, page=page - 1) if page > 1 else None,
        "next_url": url_with(request, page=page + 1) if page < pages else None,
        "offset": (page - 1) * PAGE_SIZE,
    }


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@router.get("/responses")
def responses(request: Request, user: ResponsesUser) -> Response:
    """A survey's responses, filtered by segment attributes, a page at a time."""
    engine = get_engine(request)
    surveys = [s for s in list_surveys(engine) if s.responses]
    chosen = choose_survey(surveys, request.query_params.get("survey"))
    if chosen is None:
        key = "not_found" if request.query_params.get("survey") else "no_data"
        return message_page(request, user, key, 404 if key == "not_found" else 200)
    rt = Texts(page_lang(request, user))  # type: ignore[arg-type]
    data = survey_data(engine, chosen.key)
    frame, instrument = data.frame, data.instrument
    filters = []
    keep = pd.Series(True, index=frame.index)
    own = [str(c) for c in frame.columns if custom_attribute(str(c)) is not None]
    names = [*FILTERS, *own]
    for name in names:
        value = _asked(request, name)
        options = sorted(str(v) for v in frame[name].dropna().unique())
        shown_as = custom_attribute(name)  # the built-in ones are labelled by the page
        filters.append(
            {
                "name": name,
                "value": value,
                "options": options,
                "labels": {o: rt.segment_value(name, o) for o in options},
                "label": shown_as,
            }
        )
        if value:
            keep &= frame[name] == value
    shown = frame[keep]
    paging = _paging(request, len(shown))
    by_role = [(i.id, r) for r in ROLES_SHOWN for i in instrument.items if i.role == r]
    answer_columns = [item for item, _ in by_role]
    text_columns = [i.id for i in instrument.items_of_format("text")]
    window = shown.iloc[paging["offset"] : paging["offset"] + PAGE_SIZE]
    columns = ["respondent_id", "customer_id", *names, "submitted_at"]

    def shown_cell(column: str, value: Any) -> str:
        if column in names and _text(value):
            return rt.segment_value(column, _text(value))
        if column == "submitted_at" and isinstance(value, pd.Timestamp | dt.datetime):
            return rt.date_time(value)
        return _text(value)

    rows = [
        {
            "cells": [shown_cell(c, r[c]) for c in columns + answer_columns],
            "texts": [_text(r[c]) for c in text_columns if _text(r[c])],
        }
        for r in window.to_dict(orient="records")
    ]
    return show_page(
        request,
        "responses",
        user,
        {
            "surveys": surveys,
            "chosen": chosen,
            "filters": filters,
            "answer_roles": [role for _, role in by_role],
            "rows": rows,
            **paging,
        },
        active="responses",
    )


@router.get("/feedback")
def feedback(request: Request, user: FeedbackUser) -> Response:
    """Feedback from every channel, newest first, filtered by channel and language."""
    channel, language = _asked(request, "channel"), _asked(request, "language")
    engine = get_engine(request)
    total = list_feedback(engine, channel=channel, language=language, limit=0)[1]
    paging = _paging(request, total)
    found, _ = list_feedback(
        engine, channel=channel, language=language, limit=PAGE_SIZE, offset=paging["offset"]
    )
    facets = feedback_facets(engine)
    rt = Texts(page_lang(request, user))  # type: ignore[arg-type]
    messages = [
        {
            "received": rt.date_time(message.received_at),
            "channel": rt.segment_value("channel", message.channel),
            "language": message.language,
            "language_name": LANGUAGE_NAMES.get(message.language, message.language),
            "text": message.text,
            "customer": message.customer,
        }
        for message in found
    ]
    return show_page(
        request,
        "feedback",
        user,
        {
            "filters": [
                {
                    "name": "channel",
                    "value": channel,
                    "options": facets.channels,
                    "labels": {c: rt.segment_value("channel", c) for c in facets.channels},
                },
                {
                    "name": "language",
                    "value": language,
                    "options": facets.languages,
                    "labels": {c: LANGUAGE_NAMES.get(c, c) for c in facets.languages},
                },
            ],
            "messages": messages,
            **paging,
        },
        active="feedback",
    )
