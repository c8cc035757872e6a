"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""

# every table registers on the one metadata
from cxgap.store import accounts, cases, models, outbox, standards, survey_titles

__all__ = ["accounts", "cases", "models", "outbox", "standards", "survey_titles"]
