"""Survey titles per language, stored, audited and refused when wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cxgap.errors import NotFoundError, ValidationError
from cxgap.services.accounts import list_audit
from cxgap.services.surveys import ensure_survey, set_survey_title, survey_titles


@pytest.fixture()
def titled(engine: Engine) -> Engine:
    """The test database (SQLite, or PostgreSQL) with one survey to title."""
    ensure_survey(engine, "s1", instrument="heating-cx", name="Customer survey")
    return engine


def test_titles_are_set_changed_removed_and_audited(titled: Engine) -> None:
    engine = titled
    assert survey_titles(engine, "s1") == {}
    set_survey_title(engine, "s1", "zh", "客户调查", actor="tester")
    set_survey_title(engine, "s1", "fa", "نظرسنجی مشتریان", actor="tester")
    set_survey_title(engine, "s1", "zh", "  客户季度调查 ", actor="tester")
    assert survey_titles(engine, "s1") == {"zh": "客户季度调查", "fa": "نظرسنجی مشتریان"}
    set_survey_title(engine, "s1", "fa", "", actor="tester")
    assert survey_titles(engine, "s1") == {"zh": "客户季度调查"}
    events, total = list_audit(engine, action="survey.title")
    assert total == len(events) == 4 and all(e.actor == "tester" for e in events)


@pytest.mark.parametrize(
    ("survey", "lang", "title", "error", "message"),
    [
        ("s1", "de", "Umfrage", ValidationError, "allowed: en, zh, fa"),
        ("s1", "zh", "x" * 201, ValidationError, "at most 200"),
        ("s1", "zh", "bad\x00title", ValidationError, "survey title (zh)"),
        ("nope", "zh", "x", NotFoundError, "'nope'"),
    ],
)
def test_bad_titles_are_refused(titled: Engine, survey, lang, title, error, message) -> None:
    engine = titled
    with pytest.raises(error) as caught:
        set_survey_title(engine, survey, lang, title, actor="tester")
    assert message in str(caught.value)
    assert survey_titles(engine, "s1") == {}
