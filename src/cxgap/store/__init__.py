"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""

from cxgap.store import (  # every table registers on the one metadata
    accounts,
    actions,
    lifecycle,
    models,
)

__all__ = ["accounts", "actions", "lifecycle", "models"]
