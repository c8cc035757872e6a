"""Settings: one pydantic-settings class, environment prefix ``CXGAP_``.

Every setting is documented by its field description; ``cxgap settings`` style docs and
tests read them from here.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///cxgap.db"


class Settings(BaseSettings):
    """cxgap's settings, read from ``CXGAP_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CXGAP_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the database: a SQLite file (default ./cxgap.db) "
        "or postgresql+psycopg://user:password@host/dbname.",
    )
    import_max_file_mb: int = Field(
        512, ge=1, description="Largest file `cxgap import` accepts, in MiB."
    )
    import_max_unpacked_mb: int = Field(
        256,
        ge=1,
        description="Largest unpacked size of an XLSX workbook `cxgap import` reads, in MiB "
        "(the sum of its parts' sizes, shared strings included); larger data goes in CSV or "
        "Parquet.",
    )
    import_batch_rows: int = Field(
        50_000, ge=1_000, description="Rows parsed and stored per batch during an import."
    )
    min_segment_size: int = Field(
        30, ge=1, description="Segments smaller than this are flagged in analyses."
    )
    arrow_reader_min_rows: int = Field(
        250_000,
        ge=0,
        description="Answer reads of a SQLite file expected to return at least this many "
        "rows go through a separate reader process that returns Arrow columns (about "
        "three times faster on large surveys; the SQLite driver it uses must never share "
        "a process with the writer). Smaller reads, and PostgreSQL, use the cursor.",
    )
    secret_key: str | None = Field(
        None,
        description="Secret that signs survey invitation links and form (CSRF) tokens. "
        "When unset, one is generated and kept in a file next to the SQLite database "
        "(<database>.secret, readable by its owner only), so links survive restarts; "
        "set it for PostgreSQL or when several machines serve the same surveys.",
    )
    base_url: str | None = Field(
        None,
        description="Address people reach the server at, e.g. https://cx.example.org. Survey "
        "links are built on it, never on a request's Host header. When it starts with "
        "https://, cookies are marked Secure as with secure_cookies.",
    )
    secure_cookies: bool = Field(
        False,
        description="Mark the sign-in and form cookies Secure (sent over HTTPS only). Turn "
        "it on whenever users reach the server through HTTPS, e.g. behind a TLS proxy.",
    )
    proxy_headers: bool = Field(
        False,
        description="`cxgap serve` trusts X-Forwarded-For and X-Forwarded-Proto from the "
        "addresses in forwarded_allow_ips (a reverse proxy in front): sign-in rate limits "
        "then count the real client addresses. Off, every request counts as the proxy's.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Comma-separated addresses (or *) of the proxies whose forwarding "
        "headers are trusted when proxy_headers is on.",
    )

    @property
    def cookies_secure(self) -> bool:
        """Whether cookies are to be marked Secure (set, or implied by an https base)."""
        return self.secure_cookies or (self.base_url or "").lower().startswith("https://")


@cache
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
