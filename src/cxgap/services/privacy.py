"""A customer's rights of access and erasure.

:func:`export_customer` gathers everything stored about one customer. :func:`erase_customer`
removes the person and keeps what aggregates need, without anything that points back:

- deleted: the customer record (segment attributes, custom attributes), their service
  encounters, their feedback messages, the free-text answers of their responses, their
  drafts and invitations; their cases with the cases' history and signals, and the
  notifications about those cases (their free text may name the person);
- kept, anonymised: the numeric answers of their survey responses, with the link to the
  customer removed and the respondent key replaced by a random one, so survey results,
  trends and published reports do not change when someone asks to be forgotten;
- kept: an audit event saying an erasure happened (with no personal data).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from cxgap import segments
from cxgap.errors import NotFoundError
from cxgap.instruments.model import NUMERIC_FIELDS
from cxgap.services.accounts import audit
from cxgap.stats.result import to_jsonable
from cxgap.store.accounts import User
from cxgap.store.cases import Case, CaseEvent, CaseSignal
from cxgap.store.database import transaction
from cxgap.store.models import (
    Answer,
    Customer,
    Encounter,
    FeedbackMessage,
    Invitation,
    Response,
    Survey,
)
from cxgap.store.outbox import OutboxMessage

CASE_FIELDS = (
    "id",
    "cause",
    "rule",
    "source_type",
    "priority",
    "team",
    "state",
    "root_item",
    "root_dimension",
    "cause_code",
    "cause_text",
    "recovery_action",
    "apology",
    "holdout",
    "first_response_due_at",
    "resolution_due_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
)
"""The fields of a case in a customer's export."""


def _customer(session: Any, external_id: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is None:
        raise NotFoundError(f"no customer with id {external_id!r}")
    return customer


def _case_notifications(session: Session, case_ids: list[int]) -> list[OutboxMessage]:
    """The notifications about the cases (their de-duplication keys start ``case:<id>:``)."""
    found: list[OutboxMessage] = []
    for start in range(0, len(case_ids), 200):
        chunk = case_ids[start : start + 200]
        found.extend(
            session.scalars(
                select(OutboxMessage)
                .where(or_(*(OutboxMessage.dedupe_key.startswith(f"case:{i}:") for i in chunk)))
                .order_by(OutboxMessage.id)
            )
        )
    return found


def _cases(session: Session, customer_id: int) -> list[dict[str, Any]]:
    """The customer's cases with their history and the notifications about them (the
    history says who did what; the staff addresses notifications went to are left out)."""
    cases = session.scalars(
        select(Case).where(Case.customer_id == customer_id).order_by(Case.id)
    ).all()
    notes = _case_notifications(session, [c.id for c in cases])
    out = []
    for case in cases:
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        ).all()
        prefix = f"case:{case.id}:"
        out.append(
            {
                **{name: getattr(case, name) for name in CASE_FIELDS},
                "events": [
                    {
                        "at": e.at,
                        "actor": e.actor,
                        "kind": e.kind,
                        "text": e.text,
                        "details": e.details,
                    }
                    for e in events
                ],
                "notifications": [
                    {
                        "kind": n.kind,
                        "channel": n.channel,
                        "subject": n.subject,
                        "body": n.body,
                        "created_at": n.created_at,
                        "sent_at": n.sent_at,
                    }
                    for n in notes
                    if (n.dedupe_key or "").startswith(prefix)
                ],
            }
        )
    return out


def _erase_cases(session: Session, customer_id: int) -> dict[str, int]:
    """Delete the customer's cases, their history, signals and notifications."""
    case_ids = list(session.scalars(select(Case.id).where(Case.customer_id == customer_id)))
    if not case_ids:
        return {"cases_deleted": 0, "case_events_deleted": 0, "notifications_deleted": 0}
    notes = [n.id for n in _case_notifications(session, case_ids)]
    deleted_notes = 0
    for start in range(0, len(notes), 500):
        deleted_notes += _rowcount(
            session.execute(
                delete(OutboxMessage).where(OutboxMessage.id.in_(notes[start : start + 500]))
            )
        )
    events = _rowcount(session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids))))
    session.execute(delete(CaseSignal).where(CaseSignal.case_id.in_(case_ids)))
    cases = _rowcount(session.execute(delete(Case).where(Case.id.in_(case_ids))))
    return {
        "cases_deleted": cases,
        "case_events_deleted": events,
        "notifications_deleted": deleted_notes,
    }


def export_customer(engine: Engine, external_id: str) -> dict[str, Any]:
    """Everything stored about one customer, as JSON-ready data."""
    with transaction(engine) as session:
        c = _customer(session, external_id)
        responses = []
        for response, survey_key in session.execute(
            select(Response, Survey.key)
            .join(Survey, Survey.id == Response.survey_id)
            .where(Response.customer_id == c.id)
            .order_by(Response.id)
        ).all():
            answers = session.scalars(select(Answer).where(Answer.response_id == response.id)).all()
            responses.append(
                {
                    "survey": survey_key,
                    "respondent_key": response.respondent_key,
                    "submitted_at": response.submitted_at,
                    "answers": [
                        {
                            "item": a.item_id,
                            "option": a.option or None,
                            "text": a.text,
                            **{
                                f: getattr(a, f)
                                for f in NUMERIC_FIELDS
                                if getattr(a, f) is not None
                            },
                        }
                        for a in answers
                    ],
                }
            )
        encounters = session.scalars(
            select(Encounter).where(Encounter.customer_id == c.id).order_by(Encounter.occurred_at)
        ).all()
        feedback = session.scalars(
            select(FeedbackMessage)
            .where(FeedbackMessage.customer_id == c.id)
            .order_by(FeedbackMessage.received_at)
        ).all()
        data = {
            "customer": {
                "id": c.external_id,
                **{name: getattr(c, name) for name in segments.NAMES},
                "attributes": c.attributes,
                "created_at": c.created_at,
            },
            "responses": responses,
            "encounters": [
                {
                    "occurred_at": e.occurred_at,
                    "channel": e.channel,
                    "touchpoint": e.touchpoint,
                    "outcome": e.outcome,
                    "notes": e.notes,
                }
                for e in encounters
            ],
            "feedback": [
                {
                    "received_at": f.received_at,
                    "channel": f.channel,
                    "language": f.language,
                    "text": f.text,
                }
                for f in feedback
            ],
            "cases": _cases(session, c.id),
        }
    return to_jsonable({k: _iso(v) for k, v in data.items()})


def _iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _rowcount(result: Any) -> int:
    """Rows a DML statement touched (``Session.execute`` returns a cursor result for it)."""
    return int(getattr(result, "rowcount", 0) or 0)


def erase_customer(engine: Engine, external_id: str, *, actor: User | str) -> dict[str, int]:
    """Erase a customer as described in the module doc; returns what was removed."""
    with transaction(engine) as session:
        c = _customer(session, external_id)
        response_ids = list(
            session.scalars(select(Response.id).where(Response.customer_id == c.id))
        )
        texts = 0
        if response_ids:
            texts = _rowcount(
                session.execute(
                    update(Answer)
                    .where(Answer.response_id.in_(response_ids), Answer.text.is_not(None))
                    .values(text=None)
                )
            )
        for rid in response_ids:
            session.execute(
                update(Response)
                .where(Response.id == rid)
                .values(customer_id=None, respondent_key=f"erased-{secrets.token_hex(8)}")
            )
        encounters = session.execute(delete(Encounter).where(Encounter.customer_id == c.id))
        feedback = session.execute(
            delete(FeedbackMessage).where(FeedbackMessage.customer_id == c.id)
        )
        session.execute(delete(Invitation).where(Invitation.customer_id == c.id))
        erased_cases = _erase_cases(session, c.id)
        session.delete(c)
        counts = {
            **erased_cases,
            "responses_anonymised": len(response_ids),
            "text_answers_deleted": texts,
            "encounters_deleted": _rowcount(encounters),
            "feedback_deleted": _rowcount(feedback),
        }
        audit(session, actor, "customer.erase", target_type="customer", details=counts)
    return counts
