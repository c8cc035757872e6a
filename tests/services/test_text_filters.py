"""Text filters ("contains") match the same rows on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from cxgap.services.customers import create_customer, list_customers
from cxgap.services.feedback import list_feedback, record_feedback


def test_customer_id_filter_ignores_case_and_takes_wildcards_literally(engine: Engine) -> None:
    for external_id in ("AbC-100", "abc-200", "XYZ_300", "XYZ-400", "50%-off"):
        create_customer(engine, external_id, {}, None, actor="test")

    def ids(part: str) -> list[str]:
        found, total = list_customers(engine, filters={}, id_contains=part)
        assert total == len(found)
        return [c.id for c in found]

    assert ids("abc") == ids("ABC") == ["AbC-100", "abc-200"]
    assert ids("_3") == ["XYZ_300"]  # '_' is itself, not any character
    assert ids("%") == ["50%-off"]


def test_feedback_text_filter_ignores_case(engine: Engine) -> None:
    for text in ("The Repair was SLOW", "slow answer on the phone", "all fine"):
        record_feedback(engine, channel="email", language="en", text=text, actor="test")
    found, total = list_feedback(engine, contains="Slow")
    assert total == 2
    assert sorted(m.text for m in found) == ["The Repair was SLOW", "slow answer on the phone"]
    assert list_feedback(engine, contains="ALL FINE")[1] == 1
