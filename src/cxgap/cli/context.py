"""What every command shares: the database chosen by ``--db`` or the settings."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class CliState:
    db: str | None = None

    @property
    def url(self) -> str:
        from cxgap.services.database import database_url
        from cxgap.settings import get_settings

        return database_url(self.db) if self.db else get_settings().database_url

    def engine(self) -> Engine:
        """The database engine, its schema brought up to date."""
        from cxgap.services.database import open_database

        return open_database(self.url)


state = CliState()


def cli_actor() -> str:
    """Who the audit log records for a command: the operating-system user."""
    return f"cli:{getpass.getuser()}"
