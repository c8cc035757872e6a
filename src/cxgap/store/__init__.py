"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""

from cxgap.store import accounts, cases, models, outbox  # every table registers on the metadata

__all__ = ["accounts", "cases", "models", "outbox"]
