"""KPI alerts to their owners through the notification outbox.

:func:`notify_alerts` queues one message per alert (in the owner's language when the
owner has an account, else in the language asked for) with the alert's idempotency key
(``kpi:SERIES:PERIOD:KIND``), so checking the KPIs again never queues a message twice.
The words come from the caller (:func:`cxgap.reports.kpi_texts.alert_message`): services
do not read the text catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from cxgap.services.accounts import audit
from cxgap.services.kpis import KpiAlert, outbox_messages
from cxgap.services.outbox import enqueue
from cxgap.store.accounts import User
from cxgap.store.database import transaction


@dataclass(frozen=True)
class AlertNotices:
    """What :func:`notify_alerts` queued."""

    queued: int
    """Alerts queued now (one message per alert; an owner with an account also gets it
    in the app)."""
    already_queued: int
    """Alerts whose message was queued by an earlier check."""
    without_owner: int
    """Alerts of KPIs that name no owner (nobody to tell)."""

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


AlertMessage = Callable[[KpiAlert, str], tuple[str, str]]
"""``(alert, language) -> (subject, body)``."""


def notify_alerts(
    engine: Engine,
    alerts: Sequence[KpiAlert],
    *,
    message: AlertMessage,
    lang: str = "en",
    actor: str = "system",
) -> AlertNotices:
    """Queue one message per alert to the KPI's owner (worded by ``message`` in the
    owner's language); re-running queues nothing new."""
    messages = {m.key: m for m in outbox_messages(alerts)}
    by_key = {f"kpi:{a.series}:{a.period}:{a.kind}": a for a in alerts if a.owner}
    queued = 0
    with transaction(engine) as session:
        for key, outgoing in messages.items():
            user = session.scalar(
                select(User).where(func.lower(User.email) == outgoing.recipient.strip().lower())
            )
            language = user.language if user is not None and user.language else lang
            subject, body = message(by_key[key], language)
            ids = enqueue(
                session,
                subject=subject,
                body=body,
                kind="kpi.alert",
                user=user,
                recipient=None if user is not None else outgoing.recipient,
                dedupe_key=key,
            )
            if ids:
                queued += 1
                audit(session, actor, "kpi.alert.notify", target_type="kpi",
                      target_id=by_key[key].kpi,
                      details={"key": key, "recipient": outgoing.recipient})  # fmt: skip
    return AlertNotices(
        queued=queued,
        already_queued=len(messages) - queued,
        without_owner=sum(1 for a in alerts if not a.owner),
    )
