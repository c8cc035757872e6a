"""Survey titles per language: how a survey is named to readers of each language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cxgap.store.models import Base, utcnow


class SurveyTitle(Base):
    """The title of a survey in one language; a language without one falls back to the
    title of the survey's instrument (``cxgap.services.surveys.survey_title``)."""

    __tablename__ = "survey_titles"
    __table_args__ = (UniqueConstraint("survey_id", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
