"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""

from cxgap.store import accounts, models, standards  # every table registers on the one metadata

__all__ = ["accounts", "models", "standards"]
