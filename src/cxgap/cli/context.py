"""What every command shares: the database chosen by ``--db`` or the settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from cxgap.settings import get_settings
from cxgap.store.database import ensure_schema, get_engine, normalise_url


@dataclass
class CliState:
    db: str | None = None

    @property
    def url(self) -> str:
        return normalise_url(self.db) if self.db else get_settings().database_url

    def engine(self) -> Engine:
        """The database engine, its schema brought up to date."""
        engine = get_engine(self.url)
        ensure_schema(engine)
        return engine


state = CliState()
