"""Right of access and erasure on the demo organisation."""

from __future__ import annotations

import json

from sqlalchemy import Engine, func, select
from tests.databases import load_demo_copy

from cxgap.services.accounts import create_account
from cxgap.services.analysis import analyze_survey
from cxgap.services.cases.work import CaseChange, create_case, update_case
from cxgap.services.privacy import erase_customer, export_customer
from cxgap.store.accounts import AuditEvent
from cxgap.store.cases import Case, CaseEvent
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Customer, Encounter, FeedbackMessage, Response
from cxgap.store.outbox import OutboxMessage


def test_export_then_erase_keeps_aggregates(engine: Engine) -> None:
    load_demo_copy(engine, seed=4, customers=400)
    with transaction(engine) as s:
        # a customer with responses, encounters and a feedback message
        customer_id = s.scalar(
            select(Customer.external_id)
            .join(Response, Response.customer_id == Customer.id)
            .join(FeedbackMessage, FeedbackMessage.customer_id == Customer.id)
            .limit(1)
        )
    assert customer_id is not None
    data = export_customer(engine, customer_id)
    json.dumps(data)
    assert data["customer"]["id"] == customer_id
    assert data["responses"] and data["responses"][0]["answers"]
    assert data["feedback"] and data["encounters"]
    before = analyze_survey(engine, "heating-2026q4").tolerance_zone
    with transaction(engine) as s:
        responses = s.scalar(select(func.count()).select_from(Response))
        answers = s.scalar(select(func.count()).select_from(Answer).where(Answer.text.is_(None)))
    counts = erase_customer(engine, customer_id, actor="test")
    assert counts["responses_anonymised"] == len(data["responses"])
    with transaction(engine) as s:
        assert s.scalar(select(Customer).where(Customer.external_id == customer_id)) is None
        assert s.scalar(select(func.count()).select_from(Response)) == responses
        assert (
            s.scalar(select(func.count()).select_from(Answer).where(Answer.text.is_(None)))
            == answers + counts["text_answers_deleted"]
        )
        assert not s.scalars(
            select(Response.respondent_key).where(Response.respondent_key.contains(customer_id))
        ).all()
        assert s.scalar(select(func.count()).select_from(Encounter)) > 0
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "customer.erase")).one()
        assert customer_id not in json.dumps(event.details)
    after = analyze_survey(engine, "heating-2026q4").tolerance_zone
    assert before is not None and after is not None
    assert before.summary["msa"].tolist() == after.summary["msa"].tolist()


def test_cases_are_exported_and_erased(engine: Engine) -> None:
    load_demo_copy(engine, seed=4, customers=400)
    create_account(engine, "ana@example.org", "a-long-Passw0rd-for-tests", role="agent", actor="t")
    with transaction(engine) as s:
        other, customer_id = s.scalars(select(Customer.external_id).order_by(Customer.id).limit(2))
    opened = create_case(
        engine, customer=customer_id, cause="billing", priority="high", actor="t",
        owner="ana@example.org", note="Rang about the bill",
    )  # fmt: skip
    update_case(
        engine, opened.id, version=opened.version, actor="ana@example.org",
        change=CaseChange(contact="Called back, Mrs Example was happy", state="resolved",
                          recovery_action="refund"),
    )  # fmt: skip
    kept = create_case(
        engine, customer=other, cause="billing", priority="high", actor="t", owner="ana@example.org"
    )
    data = export_customer(engine, customer_id)
    json.dumps(data)
    (case,) = [c for c in data["cases"] if c["id"] == opened.id]
    assert case["state"] == "resolved" and case["recovery_action"] == "refund"
    kinds = [e["kind"] for e in case["events"]]
    assert kinds[0] == "opened" and "contact" in kinds
    assert any("Mrs Example" in (e["text"] or "") for e in case["events"])
    assert {n["channel"] for n in case["notifications"]} == {"inapp", "email"}
    assert all(n["kind"] == "case.assigned" for n in case["notifications"])
    assert "ana@example.org" not in json.dumps(case["notifications"])
    assert not any(c["id"] == kept.id for c in data["cases"])

    counts = erase_customer(engine, customer_id, actor="test")
    assert counts["cases_deleted"] == len(data["cases"])
    assert counts["case_events_deleted"] == sum(len(c["events"]) for c in data["cases"])
    assert counts["notifications_deleted"] == sum(len(c["notifications"]) for c in data["cases"])
    with transaction(engine) as s:
        assert s.get(Case, opened.id) is None
        assert not s.scalars(select(CaseEvent).where(CaseEvent.case_id == opened.id)).all()
        assert not s.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(f"case:{opened.id}:"))
        ).all()
        # another customer's case and its notifications stay
        assert s.get(Case, kept.id) is not None
        assert s.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(f"case:{kept.id}:"))
        ).all()
        assert "Mrs Example" not in json.dumps(
            [e.text for e in s.scalars(select(CaseEvent))], ensure_ascii=False
        )
