"""Case notifications reach each person in their own language (catalogue ``notify.po``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import Engine

from cxgap.services.accounts import create_account, user_id_of
from cxgap.services.cases.config import CaseRules, parse_rules
from cxgap.services.cases.notices import ENGLISH
from cxgap.services.cases.sweep import sweep
from cxgap.services.cases.work import CaseInfo, create_case
from cxgap.services.customers import upsert_customers
from cxgap.services.outbox import inbox
from cxgap.store.database import transaction
from cxgap.web.notices import catalogue_wording

LOCALE = Path(__file__).parents[2] / "src" / "cxgap" / "locale"
PASSWORD = "a-long-Passw0rd-for-tests"
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
RULES = {
    "calendar": {"timezone": "UTC", "hours": {"mon": "00:00-24:00", "tue": "00:00-24:00"}},
    "teams": {
        "care": {
            "members": ["wang@example.org"],
            "lead": "sara@example.org",
            "manager": "emma@example.org",
        }
    },
    "sla": [{"priority": "high", "first_response": 60, "resolution": 600}],
    "rules": [{"name": "detractors", "when": "nps_detractor", "item": "nps"}],
}


def _catalogue(lang: str) -> dict[str, str]:
    """``notify.po`` of ``lang`` read on its own with Babel."""
    path = LOCALE / lang / "LC_MESSAGES" / "notify.po"
    with path.open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale=lang) if m.id}


def _expected(lang: str, key: str, **values: str) -> str:
    """The catalogue text filled in plainly; Persian digits in Persian. Chinese drops the
    space between two Chinese words around a placeholder, so compare without spaces."""
    filled = _catalogue(lang)[key].format(**values)
    if lang == "fa":
        filled = filled.translate(PERSIAN_DIGITS)
    return filled.replace(" ", "") if lang == "zh" else filled


def _open(engine: Engine, rules: CaseRules, customer: str, owner: str) -> CaseInfo:
    """A high-priority case of team care, given to ``owner`` (who is notified)."""
    return create_case(
        engine,
        customer=customer,
        cause="billing",
        priority="high",
        actor="t",
        rules=rules,
        team="care",
        owner=owner,
        wording=catalogue_wording,
    )


def _plain(lang: str, shown: str) -> str:
    return shown.replace(" ", "") if lang == "zh" else shown


def test_every_notification_speaks_the_recipients_language(engine: Engine) -> None:
    for email, lang in (
        ("wang@example.org", "zh"),
        ("sara@example.org", "fa"),
        ("emma@example.org", "en"),
        ("otto@example.org", "de"),  # a language the catalogue lacks: English
    ):
        create_account(engine, email, PASSWORD, role="agent", language=lang, actor="t")
    with transaction(engine) as session:
        upsert_customers(session, {"C1": {"region": "north"}, "C2": {"region": "north"}})
    rules = parse_rules(RULES, source="rules")
    case = _open(engine, rules, "C1", "wang@example.org")
    assert case.first_response_due_at is not None and case.resolution_due_at is not None
    (to_wang,) = inbox(engine, user_id_of(engine, "wang@example.org"))
    values = {"case": str(case.id), "cause": "billing"}
    high = {lang: _catalogue(lang)["notify_priority_high"] for lang in ("en", "zh", "fa")}
    assert _plain("zh", to_wang.subject) == _expected(
        "zh", "notify_assigned_subject", **values, priority=high["zh"]
    )
    assert _plain("zh", to_wang.body) == _expected(
        "zh", "notify_assigned_body", **values, priority=high["zh"]
    ) + "\n" + _expected(
        "zh", "notify_first_response_due", due=case.first_response_due_at.isoformat()
    )

    other = _open(engine, rules, "C2", "otto@example.org")
    (to_otto,) = inbox(engine, user_id_of(engine, "otto@example.org"))
    assert to_otto.subject == _expected(
        "en", "notify_assigned_subject", case=str(other.id), cause="billing", priority="high"
    )
    assert to_otto.subject == f"Case {other.id} is yours: billing (high)"

    # near the due time the lead (Persian) is told; past it, the manager (English)
    due = case.resolution_due_at
    sweep(engine, rules, actor="t", at=due - dt.timedelta(minutes=30), wording=catalogue_wording)
    mine = [
        m
        for m in inbox(engine, user_id_of(engine, "sara@example.org"))
        if m.subject == _expected("fa", "notify_near_subject", case=str(case.id))
    ]
    assert len(mine) == 1
    assert mine[0].body == _expected(
        "fa",
        "notify_near_body",
        **values,
        priority=high["fa"],
        team="care",
        due=due.isoformat(),
    )
    assert "\u0600" <= mine[0].subject[0] <= "\u06ff"  # Persian text, right to left
    sweep(engine, rules, actor="t", at=due + dt.timedelta(minutes=1), wording=catalogue_wording)
    told = [
        m
        for m in inbox(engine, user_id_of(engine, "emma@example.org"))
        if m.subject == f"Case {case.id} is past its due time"
    ]
    assert len(told) == 1
    assert told[0].body == _expected(
        "en", "notify_past_body", **values, priority="high", team="care", due=due.isoformat()
    )


def test_the_english_fallback_is_the_catalogues_english() -> None:
    assert _catalogue("en") == ENGLISH
    assert set(_catalogue("zh")) == set(_catalogue("fa")) == set(ENGLISH)
