"""KPI alerts reach their owners through the outbox table of a real SQLite file, once."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Engine, select
from tests.services.test_kpis import _waves

from cxgap.instruments import Instrument
from cxgap.reports.kpi_texts import alert_message
from cxgap.services.accounts import create_user
from cxgap.services.kpi_alerts import notify_alerts
from cxgap.services.kpi_definitions import parse_kpis
from cxgap.services.kpis import evaluate_kpis
from cxgap.store.accounts import AuditEvent
from cxgap.store.database import transaction
from cxgap.store.outbox import OutboxMessage

PASSWORD = "correct horse battery"


def _kpis(owner: str | None) -> list:
    spec = {"id": "nps", "measure": "nps", "direction": "higher", "target": 0, "tolerance": 5}
    return parse_kpis({"kpis": [spec | ({"owner": owner} if owner else {})]}, source="test")


def _outbox(engine: Engine) -> list[tuple[str, str, str, str, str]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.kind,
                   OutboxMessage.dedupe_key, OutboxMessage.body).order_by(OutboxMessage.id)
        ).all()  # fmt: skip
    return [tuple(r) for r in rows]


def test_each_alert_is_queued_once_for_its_owner(engine: Engine, mini: Instrument) -> None:
    _waves(engine, mini, last_nps_drop=True)
    (series,) = evaluate_kpis(engine, _kpis("outside@example.org"))
    assert {a.kind for a in series.alerts} == {"shift", "target_missed"}
    first = notify_alerts(engine, series.alerts, message=alert_message)
    assert first.to_dict() == {"queued": 2, "already_queued": 0, "without_owner": 0}
    again = notify_alerts(
        engine, evaluate_kpis(engine, _kpis("outside@example.org"))[0].alerts, message=alert_message
    )
    assert again.queued == 0 and again.already_queued == 2
    rows = _outbox(engine)
    period = series.alerts[0].period
    assert [(c, r, k, d) for c, r, k, d, _ in rows] == [
        ("email", "outside@example.org", "kpi.alert", f"kpi:nps:{period}:shift:email"),
        ("email", "outside@example.org", "kpi.alert", f"kpi:nps:{period}:target_missed:email"),
    ]
    assert "moved in" in rows[0][4] and "below the target 0" in rows[1][4]
    with transaction(engine) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "kpi.alert.notify")
        ).all()
    assert len(actions) == 2  # queued twice, audited twice; the re-run added nothing


def test_an_owner_with_an_account_gets_it_in_the_app_in_their_language(
    engine: Engine, mini: Instrument
) -> None:
    _waves(engine, mini, last_nps_drop=True)
    with transaction(engine) as session:
        create_user(session, "Owner@Example.org", PASSWORD, role="manager", language="fa")
    (series,) = evaluate_kpis(engine, _kpis("owner@example.org"))
    assert notify_alerts(engine, series.alerts, message=alert_message).queued == 2
    rows = _outbox(engine)
    assert sorted(c for c, *_ in rows) == ["email", "email", "inapp", "inapp"]
    assert any("تغییر کرد" in body for *_, body in rows)


def test_alerts_without_an_owner_queue_nothing(engine: Engine, mini: Instrument) -> None:
    _waves(engine, mini, last_nps_drop=True)
    (series,) = evaluate_kpis(engine, _kpis(None))
    notices = notify_alerts(engine, series.alerts, message=alert_message)
    assert notices.to_dict() == {"queued": 0, "already_queued": 0, "without_owner": 2}
    assert _outbox(engine) == []


def test_cli_check_queues_once(
    cli: Callable[..., tuple[int, str, str]], engine: Engine, mini: Instrument, tmp_path
) -> None:
    _waves(engine, mini, last_nps_drop=True)
    kpis = tmp_path / "kpis.yaml"
    kpis.write_text("kpis:\n  - {id: nps, measure: nps, direction: higher, target: 0, "
                    "tolerance: 5, owner: cx@example.org}\n", encoding="utf-8")  # fmt: skip
    db = engine.url.render_as_string(hide_password=False)
    code, out, err = cli("--db", db, "kpi", "check", "--file", str(kpis))
    assert code == 0, err
    assert "notifications queued: 2" in out
    code, out, err = cli("--db", db, "kpi", "check", "--file", str(kpis), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["state"] == "alert"
    assert len(_outbox(engine)) == 2  # the second check queued nothing
