"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""

from cxgap.store import accounts, models, survey_titles  # every table registers on the metadata

__all__ = ["accounts", "models", "survey_titles"]
