"""Each wave's headline sums, kept in the database so that a new process (or a restart)
does not read a wave's answer rows again to draw its overview."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cxgap.store.models import Base, utcnow


class WaveSums(Base):
    """The sums and counts a wave's headline is computed from
    (``cxgap.services.wave_sums``), with the responses they cover.

    They cover the survey's responses with ids up to ``last_response_id``: ``responses``
    of them, whose ids add up to ``id_sum``. Responses are only ever added to a survey, so
    when those two still hold for the ids up to ``last_response_id``, the stored sums are
    right for them and only newer responses need summing; otherwise they are formed anew.
    ``method`` names how they were formed (the formula's version and the items read), so
    a change of either forms them anew as well.
    """

    __tablename__ = "wave_sums"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[str] = mapped_column(String(80))
    responses: Mapped[int] = mapped_column(Integer)
    last_response_id: Mapped[int] = mapped_column(Integer)
    id_sum: Mapped[int] = mapped_column(BigInteger)
    sums: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
