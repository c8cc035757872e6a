"""Storage: SQLAlchemy models, Alembic migrations, engines and sessions."""

# every table registers on the one metadata
from cxgap.store import (
    accounts,
    actions,
    cases,
    lifecycle,
    models,
    outbox,
    standards,
    survey_titles,
    wave_sums,
)

__all__ = [
    "accounts",
    "actions",
    "cases",
    "lifecycle",
    "models",
    "outbox",
    "standards",
    "survey_titles",
    "wave_sums",
]
