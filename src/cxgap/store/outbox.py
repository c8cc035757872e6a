"""The outbox: notifications written in the transaction of the change that causes them,
delivered afterwards by a notifier (e-mail by SMTP, or in-app)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cxgap.store.models import Base, utcnow


class OutboxMessage(Base):
    """One notification to one person.

    ``sent_at`` is set once it has been delivered; ``claimed_until`` while a notifier is
    sending it (a notifier that dies leaves it to the next one after that time).
    ``dedupe_key`` (unique) keeps a cause from queueing the same message twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_sent_at", "sent_at"),
        Index("ix_outbox_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
