"""The outbox: queued with the change, delivered by SMTP to a real server on loopback and
in-app, at most once per dedupe key, and exactly once after the notifier is killed."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text
from tests.notify.smtp_server import Recorder, smtp_server

from cxgap.services.accounts import create_account, user_id_of
from cxgap.services.outbox import Smtp, deliver_pending, enqueue, inbox, mark_read
from cxgap.store.accounts import User
from cxgap.store.database import transaction

SENDER = "cx@example.org"


def _queue(engine: Engine, count: int, *, prefix: str = "m") -> None:
    with transaction(engine) as session:
        for i in range(count):
            enqueue(
                session,
                recipient=f"p{i}@example.org",
                subject=f"Subject {prefix}{i}",
                body=f"Body {i}",
                kind="test",
                dedupe_key=f"{prefix}:{i}",
            )


def test_email_and_in_app_delivery_through_a_real_smtp_server(engine: Engine) -> None:
    create_account(engine, "ana@example.org", "a-long-Passw0rd-for-tests", role="agent", actor="t")
    with transaction(engine) as session:
        ana = session.query(User).filter_by(email="ana@example.org").one()
        message = {"subject": "Case 7 is yours", "body": "Call back today"}
        ids = enqueue(session, user=ana, kind="case.assigned", dedupe_key="case:7", **message)
        assert len(ids) == 2
        again = enqueue(session, user=ana, kind="case.assigned", dedupe_key="case:7", **message)
        assert again == []
    recorder = Recorder()
    with smtp_server(recorder) as port:
        smtp = Smtp(host="127.0.0.1", port=port, tls="none", sender=SENDER)
        result = deliver_pending(engine, smtp=smtp)
        assert (result.sent, result.failed, result.waiting) == (2, 0, 0)
        assert deliver_pending(engine, smtp=smtp).sent == 0
    [mail] = recorder.accepted
    assert mail["To"] == "ana@example.org" and mail["From"] == SENDER
    assert mail["Subject"] == "Case 7 is yours"
    assert mail.get_payload().strip() == "Call back today"
    assert mail["Message-ID"].startswith("<outbox-")
    user_id = user_id_of(engine, "ana@example.org")
    [note] = inbox(engine, user_id, unread_only=True)
    assert note.subject == "Case 7 is yours"
    mark_read(engine, user_id, [note.id])
    assert inbox(engine, user_id, unread_only=True) == []


def test_without_an_smtp_server_emails_wait_and_nothing_is_lost(engine: Engine) -> None:
    _queue(engine, 3)
    result = deliver_pending(engine, smtp=None)
    assert (result.sent, result.waiting) == (0, 3)
    recorder = Recorder()
    with smtp_server(recorder) as port:
        smtp = Smtp(host="127.0.0.1", port=port, tls="none", sender=SENDER)
        assert deliver_pending(engine, smtp=smtp).sent == 3
    assert sorted(m["Subject"] for m in recorder.accepted) == [
        "Subject m0",
        "Subject m1",
        "Subject m2",
    ]


def test_notifier_killed_while_sending_delivers_each_message_exactly_once(
    engine: Engine, tmp_path: Path
) -> None:
    """A real notifier process is killed with SIGKILL after it committed its claim and
    while the SMTP server holds the 5th message unanswered; after a restart every
    message has been accepted exactly once."""
    count = 12
    _queue(engine, count)
    database = engine.url.database
    assert database is not None
    recorder = Recorder(hold_at=5)
    with smtp_server(recorder) as port:
        env = {
            **os.environ,
            "CXGAP_SMTP_HOST": "127.0.0.1",
            "CXGAP_SMTP_PORT": str(port),
            "CXGAP_SMTP_TLS": "none",
            "CXGAP_SMTP_SENDER": SENDER,
            "CXGAP_OUTBOX_LEASE_SECONDS": "1",
        }
        command = [sys.executable, "-m", "cxgap", "--db", database, "notify", "deliver"]
        notifier = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert recorder.holding.wait(60), notifier.communicate(timeout=5)
        with engine.connect() as conn:
            claimed = conn.execute(
                text(
                    "select count(*) from outbox where claimed_until is not null "
                    "and sent_at is null"
                )
            ).scalar_one()
        assert claimed == count - 4  # the claim was committed before the sending began
        notifier.send_signal(signal.SIGKILL)
        notifier.wait(timeout=30)
        assert len(recorder.accepted) == 4
        time.sleep(1.2)  # the dead notifier's lease runs out
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "0 waiting" in done.stdout
    counts = collections.Counter(recorder.message_ids())
    assert len(counts) == count
    assert set(counts.values()) == {1}
    with engine.connect() as conn:
        assert (
            conn.execute(text("select count(*) from outbox where sent_at is null")).scalar_one()
            == 0
        )
