"""Right of access and erasure on the demo organisation."""

from __future__ import annotations

import json

from sqlalchemy import Engine, func, select

from cxgap.services.analysis import analyze_survey
from cxgap.services.demo import load_demo
from cxgap.services.privacy import erase_customer, export_customer
from cxgap.store.accounts import AuditEvent
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Customer, Encounter, FeedbackMessage, Response


def test_export_then_erase_keeps_aggregates(engine: Engine) -> None:
    load_demo(engine, seed=4, customers=400)
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
