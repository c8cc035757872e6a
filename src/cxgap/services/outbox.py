"""Notifications through an outbox: queued in the transaction of the change that causes
them, delivered afterwards by a notifier (``cxgap notify deliver``).

Any service queues a message with :func:`enqueue` inside its own transaction, so a
message exists exactly when its cause was committed. The notifier then:

1. claims a batch of waiting messages (``claimed_until`` = now + lease) and commits;
2. delivers each one (in-app messages are delivered by the claim itself; e-mails are
   sent by SMTP with a ``Message-ID`` fixed by the message's id);
3. marks each sent message ``sent_at`` in its own transaction.

A notifier killed after a claim leaves its messages to the next notifier once the lease
ends; a message is marked sent only after the SMTP server accepted it, and never sent
again once marked. The one window left is a server that accepted a message just before
the notifier died, before the mark was written: that message is sent again with the
same ``Message-ID``, which receiving servers use to drop duplicates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from cxgap.errors import ConfigurationError, NotFoundError, ValidationError
from cxgap.settings import NotifySettings
from cxgap.store.accounts import User
from cxgap.store.database import transaction
from cxgap.store.outbox import OutboxMessage
from cxgap.text import check_text
from cxgap.times import as_utc, now

MAX_SUBJECT = 300
BACKOFF_SECONDS = (30, 120, 600, 3600)
"""Wait before another attempt after the 1st, 2nd, 3rd and later failures."""


@dataclass(frozen=True)
class Delivery:
    """What one pass of the notifier did."""

    sent: int
    failed: int
    waiting: int
    """E-mails left waiting (no SMTP server configured, or not yet due)."""


@dataclass(frozen=True)
class InboxMessage:
    id: int
    kind: str
    subject: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None


def message_rows(
    *,
    subject: str,
    body: str,
    kind: str,
    recipient: str | None = None,
    user: User | None = None,
    dedupe_key: str | None = None,
) -> list[dict[str, Any]]:
    """The ``outbox`` rows of a notification (see :func:`enqueue`), checked and not yet
    stored: a service queuing many notifications about records it has just created
    (whose dedupe keys cannot have been queued before) inserts them together."""
    if (recipient is None) == (user is None):
        raise ValidationError("a notification goes to a user or to a recipient address")
    subject = check_text(subject, where="notification subject", multiline=False)[:MAX_SUBJECT]
    body = check_text(body, where="notification body")
    channels = ("inapp", "email") if user is not None else ("email",)
    address = user.email if user is not None else recipient
    return [
        {
            "channel": channel,
            "recipient": address,
            "user_id": None if user is None else user.id,
            "subject": subject,
            "body": body,
            "kind": kind,
            "dedupe_key": None if dedupe_key is None else f"{dedupe_key}:{channel}",
            "attempts": 0,
            "created_at": now(),
        }
        for channel in channels
    ]


def enqueue(
    session: Session,
    *,
    subject: str,
    body: str,
    kind: str,
    recipient: str | None = None,
    user: User | None = None,
    dedupe_key: str | None = None,
) -> list[int]:
    """Queue a notification in the caller's transaction; returns the new messages' ids.

    To a ``user``: an in-app message and an e-mail to the user's address; to a
    ``recipient`` address: an e-mail. A ``dedupe_key`` already queued queues nothing
    (the key is suffixed ``:inapp`` / ``:email`` per channel).
    """
    queued = []
    for row in message_rows(
        subject=subject,
        body=body,
        kind=kind,
        recipient=recipient,
        user=user,
        dedupe_key=dedupe_key,
    ):
        key = row["dedupe_key"]
        if key is not None and session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
        ):
            continue
        message = OutboxMessage(**row)
        session.add(message)
        queued.append(message)
    session.flush()  # one flush for both rows: their ids
    return [m.id for m in queued]


# Delivery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Smtp:
    """Where e-mail goes: the ``notify`` settings."""

    host: str
    port: int
    tls: str
    sender: str
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Smtp | None:
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )

    def connect(self) -> smtplib.SMTP:
        try:
            client: smtplib.SMTP
            if self.tls == "ssl":
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=30, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=30)
                if self.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise ConfigurationError(
                f"cannot reach the SMTP server {self.host}:{self.port} ({self.tls}): {exc}; "
                "check CXGAP_SMTP_HOST, CXGAP_SMTP_PORT and CXGAP_SMTP_TLS"
            ) from None
        return client


def message_id(message_id_number: int, sender: str) -> str:
    """The fixed ``Message-ID`` of an outbox message (the same on every attempt)."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<outbox-{message_id_number}@{domain}>"


def _email(row: OutboxMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = row.recipient
    mail["Subject"] = row.subject
    mail["Message-ID"] = message_id(row.id, sender)
    mail["Date"] = formatdate(localtime=False)
    mail["X-Cxgap-Kind"] = row.kind
    mail.set_content(row.body)
    return mail


def _claim(engine: Engine, *, smtp: bool, lease: float, limit: int) -> list[OutboxMessage]:
    at = now()
    with transaction(engine) as session:
        channels = ["inapp", "email"] if smtp else ["inapp"]
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.channel.in_(channels),
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < at),
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
        for row in rows:
            if row.channel == "inapp":
                row.sent_at = at  # stored is delivered: the user's inbox reads this table
            else:
                row.claimed_until = at + dt.timedelta(seconds=lease)
                row.attempts += 1
        return rows


def _mark(engine: Engine, message: int, *, error: str | None, attempts: int) -> None:
    with transaction(engine) as session:
        if error is None:
            values: dict[str, object] = {
                "sent_at": now(),
                "claimed_until": None,
                "last_error": None,
            }
        else:
            wait = BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]
            values = {"claimed_until": now() + dt.timedelta(seconds=wait), "last_error": error}
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message).values(values))


def _waiting(engine: Engine) -> int:
    with transaction(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        return int(count or 0)


def deliver_pending(
    engine: Engine, *, smtp: Smtp | None, lease_seconds: float = 60, batch: int = 100
) -> Delivery:
    """Deliver every message that waits and is not held by another notifier."""
    sent = failed = 0
    while True:
        rows = _claim(engine, smtp=smtp is not None, lease=lease_seconds, limit=batch)
        if not rows:
            break
        emails = [r for r in rows if r.channel == "email"]
        sent += len(rows) - len(emails)
        if emails and smtp is not None:
            client = smtp.connect()
            try:
                for row in emails:
                    try:
                        client.send_message(_email(row, smtp.sender))
                    except smtplib.SMTPException as exc:
                        _mark(engine, row.id, error=str(exc), attempts=row.attempts)
                        failed += 1
                        continue
                    _mark(engine, row.id, error=None, attempts=row.attempts)
                    sent += 1
            finally:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    client.quit()
        if len(rows) < batch:
            break
    return Delivery(sent=sent, failed=failed, waiting=_waiting(engine))


def run_notifier(
    engine: Engine,
    *,
    smtp: Smtp | None,
    lease_seconds: float,
    interval: float,
    passes: int | None = None,
    report: Callable[[Delivery], None] | None = None,
) -> None:
    """Deliver, wait ``interval`` seconds, deliver again (``passes`` times, or for ever)."""
    done = 0
    while passes is None or done < passes:
        result = deliver_pending(engine, smtp=smtp, lease_seconds=lease_seconds)
        if report is not None:
            report(result)
        done += 1
        if passes is None or done < passes:
            time.sleep(interval)


# In-app inbox ---------------------------------------------------------------------------


def inbox(
    engine: Engine, user_id: int, *, unread_only: bool = False, limit: int = 50
) -> list[InboxMessage]:
    """A user's in-app messages, newest first."""
    with transaction(engine) as session:
        query = select(OutboxMessage).where(
            OutboxMessage.user_id == user_id, OutboxMessage.channel == "inapp"
        )
        if unread_only:
            query = query.where(OutboxMessage.read_at.is_(None))
        rows = session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()
        return [
            InboxMessage(
                id=r.id,
                kind=r.kind,
                subject=r.subject,
                body=r.body,
                created_at=as_utc(r.created_at),
                read_at=as_utc(r.read_at),
            )
            for r in rows
        ]


def mark_read(engine: Engine, user_id: int, message_ids: Sequence[int]) -> None:
    """Mark a user's in-app messages read (other users' ids are refused)."""
    with transaction(engine) as session:
        own = set(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.id.in_(message_ids),
                    OutboxMessage.user_id == user_id,
                    OutboxMessage.channel == "inapp",
                )
            )
        )
        missing = sorted(set(message_ids) - own)
        if missing:
            raise NotFoundError(f"no message {missing[0]} in your inbox")
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(own)).values(read_at=now())
        )
