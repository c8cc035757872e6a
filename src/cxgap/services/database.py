"""Opening the database: the one way code above the services reaches it."""

from __future__ import annotations

from sqlalchemy import Engine

from cxgap.store.database import ensure_schema, get_engine, normalise_url

__all__ = ["database_url", "open_database"]


def database_url(url_or_path: str) -> str:
    """A SQLAlchemy URL, or a plain file path (taken as a SQLite file), as a URL."""
    return normalise_url(url_or_path)


def open_database(url_or_path: str) -> Engine:
    """The engine of this database (one per URL for the process), its schema brought up
    to date; the value every service function takes first."""
    engine = get_engine(url_or_path)
    ensure_schema(engine)
    return engine
