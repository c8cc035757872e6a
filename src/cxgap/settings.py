"""Settings: one object with nested parts, read from ``CXGAP_*`` environment variables.

:class:`Settings` holds the database and secret settings and three parts: ``imports``
(:class:`ImportSettings`), ``analysis`` (:class:`AnalysisSettings`) and ``web``
(:class:`WebSettings`). Every field is a setting with one environment variable, its part's
prefix followed by the field name in capitals (``web.secure_cookies`` is read from
``CXGAP_SECURE_COOKIES``, ``imports.max_file_mb`` from ``CXGAP_IMPORT_MAX_FILE_MB``), and is
documented by its field description. :func:`describe` lists them with their values and
where each value came from (``cxgap settings``); the README's settings table lists the
same variables, and a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources import PydanticBaseSettingsSource

DEFAULT_DATABASE_URL = "sqlite:///cxgap.db"


def _code_only(field: Any) -> bool:
    """Whether a field is set by code only, never read from the environment."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("setting") is False


class _Environment(EnvSettingsSource):
    """The ``CXGAP_*`` variables of a part's own settings: neither its nested parts (they
    read their own variables) nor the fields only code may set."""

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        return {
            name: value
            for name, value in super().__call__().items()
            if name not in PARTS and not (name in fields and _code_only(fields[name]))
        }


class _Part(BaseSettings):
    """A part of the settings: given values first, then its environment variables."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)


class ImportSettings(_Part):
    """Bounds of `cxgap import` (``CXGAP_IMPORT_*``)."""

    model_config = SettingsConfigDict(env_prefix="CXGAP_IMPORT_", extra="ignore", frozen=True)

    max_file_mb: int = Field(512, ge=1, description="Largest file `cxgap import` accepts, in MiB.")
    max_unpacked_mb: int = Field(
        256,
        ge=1,
        description="Largest unpacked size of an XLSX workbook `cxgap import` reads, in MiB "
        "(the sum of its parts' sizes, shared strings included); larger data goes in CSV or "
        "Parquet.",
    )
    batch_rows: int = Field(
        50_000,
        ge=1_000,
        description="Rows written to the database per batch during an import (responses "
        "and answer rows); larger batches are faster and use more memory.",
    )


class AnalysisSettings(_Part):
    """How analyses read and flag data."""

    model_config = SettingsConfigDict(env_prefix="CXGAP_", extra="ignore", frozen=True)

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


class WebSettings(_Part):
    """The web application (`cxgap serve`): addresses, cookies, request limits, sign-in.

    Rate limits count requests over the last minute; each server process counts on its
    own.
    """

    model_config = SettingsConfigDict(env_prefix="CXGAP_", extra="ignore", frozen=True)

    base_url: str | None = Field(
        None,
        description="Address people reach the server at, e.g. https://cx.example.org. Survey "
        "links are built on it, never on a request's Host header. When it starts with "
        "https://, cookies are marked Secure unless secure_cookies says otherwise.",
    )
    secure_cookies: bool | None = Field(
        None,
        description="Mark the sign-in and form cookies Secure (sent over HTTPS only). Unset, "
        "they are Secure when base_url starts with https://. Turn it on whenever users "
        "reach the server through HTTPS, e.g. behind a TLS proxy.",
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
    max_body_bytes: int = Field(
        256 * 1024, ge=1024, description="Largest request body accepted, in bytes (else 413)."
    )
    max_answers: int = Field(
        2000, ge=1, description="Most answer fields one survey form submission may carry."
    )
    link_posts_per_minute: int = Field(
        60, ge=1, description="Form submissions per minute through one survey link."
    )
    address_posts_per_minute: int = Field(
        600, ge=1, description="Form submissions per minute from one client address."
    )
    address_respondents_per_minute: int = Field(
        60,
        ge=1,
        description="New respondents of anonymous survey links per minute from one client address.",
    )
    login_attempts_per_minute: int = Field(
        10, ge=1, description="Sign-in attempts per minute from one client address."
    )
    api_requests_per_minute: int = Field(
        600,
        ge=1,
        description="API requests per minute per API key, or per client address for "
        "requests without one.",
    )
    session_hours: float = Field(
        12, gt=0, description="Hours a dashboard sign-in lasts before signing in again."
    )
    password_workers: int = Field(
        2,
        ge=1,
        description="Password checks (sign-ins, password confirmations) running at once, in "
        "worker threads off the event loop.",
    )
    password_queue: int = Field(
        32,
        ge=0,
        description="Password checks allowed to wait for a worker; more are refused with 429.",
    )
    login_free_failures: int = Field(
        3,
        ge=0,
        description="Failed sign-ins of one account before its next attempts are slowed down.",
    )
    login_delay_max_seconds: float = Field(
        8.0, ge=0, description="Longest wait before an account's next sign-in attempt is checked."
    )
    baseline: bool = Field(
        False,
        json_schema_extra={"setting": False},
        description="Mount POST /baseline/{survey}, which stores a form without any check. "
        "For the load benchmark only, set in code; never read from the environment.",
    )

    @property
    def cookies_secure(self) -> bool:
        """Whether cookies are marked Secure: as set, else when base_url is https."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return (self.base_url or "").lower().startswith("https://")


class NotifySettings(_Part):
    """Notifications: the SMTP server e-mail goes through (see ``docs/cases.md``)."""

    model_config = SettingsConfigDict(env_prefix="CXGAP_", extra="ignore", frozen=True)

    smtp_host: str | None = Field(
        None,
        description="SMTP server that sends e-mail notifications; unset, notifications are "
        "in-app only and e-mails wait in the outbox.",
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field(
        "starttls",
        description="Encryption to the SMTP server: none, starttls (upgrade after connecting) "
        "or ssl (TLS from the start, usually port 465).",
    )
    smtp_sender: str = Field("cxgap@localhost", description="From address of e-mail notifications.")
    smtp_username: str | None = Field(None, description="SMTP user name, when it needs one.")
    smtp_password: str | None = Field(
        None, json_schema_extra={"secret": True}, description="SMTP password."
    )
    outbox_lease_seconds: float = Field(
        60,
        gt=0,
        description="Seconds a notifier holds a message it is sending; a notifier that dies "
        "while sending leaves it to the next one after this time.",
    )


class Settings(_Part):
    """cxgap's settings, read from ``CXGAP_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CXGAP_", extra="ignore", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the database: a SQLite file (default ./cxgap.db) "
        "or postgresql+psycopg://user:password@host/dbname. `--db` overrides it.",
    )
    secret_key: str | None = Field(
        None,
        json_schema_extra={"secret": True},
        description="Secret that signs survey invitation links and form (CSRF) tokens. "
        "When unset, one is generated and kept in a file next to the SQLite database "
        "(<database>.secret, readable by its owner only), so links survive restarts; "
        "set it for PostgreSQL or when several machines serve the same surveys.",
    )
    demo_anchor: dt.date | None = Field(
        None,
        description="Date (YYYY-MM-DD) the demo organisation is generated relative to: its "
        "eight quarterly waves are the last whole quarters before it, and nothing is dated "
        "on or after it. Unset: the day the demo is loaded. `cxgap demo --anchor` "
        "overrides it; set it for a demo that is the same every time.",
    )
    organisation: str | None = Field(
        None,
        description="Name of the organisation, shown on the cover of reports; unset, the "
        "cover leaves it out.",
    )
    imports: ImportSettings = Field(default_factory=ImportSettings, description="Imports.")
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings, description="Analyses.")
    web: WebSettings = Field(default_factory=WebSettings, description="The web application.")
    notify: NotifySettings = Field(default_factory=NotifySettings, description="Notifications.")


PARTS: dict[str, type[BaseSettings]] = {
    "imports": ImportSettings,
    "analysis": AnalysisSettings,
    "web": WebSettings,
    "notify": NotifySettings,
}
"""The nested parts of :class:`Settings`, by attribute name."""


Source = Literal["default", "environment", "command line"]


@dataclass(frozen=True)
class SettingInfo:
    """One setting: where it lives, its variable, value and the value's source."""

    path: str
    """Attribute path on :class:`Settings`, e.g. ``web.secure_cookies``."""
    env: str
    value: Any
    default: Any
    source: Source
    option: str | None
    """The command-line option that set it, when ``source`` is ``command line``."""
    description: str
    secret: bool

    @property
    def shown_value(self) -> Any:
        """The value as it may be printed: secrets masked, passwords out of URLs."""
        return mask(self.path, self.value, secret=self.secret)


def mask(path: str, value: Any, *, secret: bool) -> Any:
    if value is None:
        return None
    if secret:
        return "********"
    if path == "database_url":
        from sqlalchemy.engine import make_url

        try:
            return make_url(str(value)).render_as_string(hide_password=True)
        except Exception:  # not a URL: nothing to hide but the text after a colon
            return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()  # as it is written in the variable (and JSON has no dates)
    return value


def _fields(model: type[BaseModel]) -> Iterator[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        if name in PARTS:
            continue
        if not _code_only(field):
            yield name, field


def setting_fields() -> Iterator[tuple[str, str, Any]]:
    """Every setting as (attribute path, environment variable, field)."""
    parts: list[tuple[str, type[BaseSettings]]] = [("", Settings), *PARTS.items()]
    for part, model in parts:
        prefix = str(model.model_config.get("env_prefix", ""))
        for name, field in _fields(model):
            path = f"{part}.{name}" if part else name
            yield path, (prefix + name).upper(), field


def _value(settings: Settings, path: str) -> Any:
    value: Any = settings
    for name in path.split("."):
        value = getattr(value, name)
    return value


def describe(
    settings: Settings,
    *,
    options: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[SettingInfo]:
    """Every setting of ``settings`` with its value and source.

    ``options`` maps the attribute paths that command-line options set to the option's
    name (``{"database_url": "--db"}``); other values come from the environment when their
    variable is set (names compared without case, as they are read), else from defaults.
    """
    options = options or {}
    present = {k.upper() for k in (os.environ if environ is None else environ)}
    rows = []
    for path, env, field in setting_fields():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        source: Source = (
            "command line" if path in options else "environment" if env in present else "default"
        )
        rows.append(
            SettingInfo(
                path=path,
                env=env,
                value=_value(settings, path),
                default=field.get_default(call_default_factory=True),
                source=source,
                option=options.get(path),
                description=field.description or "",
                secret=bool(extra.get("secret")),
            )
        )
    return rows


def _env_name(loc: tuple[int | str, ...]) -> str:
    """The variable of a validation error's location (``("web", "max_answers")``)."""
    names = [str(part) for part in loc]
    if names and names[0] in PARTS and len(names) > 1:
        prefix = str(PARTS[names[0]].model_config.get("env_prefix", ""))
        return (prefix + names[1]).upper()
    return ("CXGAP_" + (names[0] if names else "")).upper()


def load_settings() -> Settings:
    """Settings read from the environment now; a bad value is a :class:`ConfigurationError`
    naming the variable, the value and what is allowed."""
    from pydantic import ValidationError as PydanticValidationError

    from cxgap.errors import ConfigurationError

    try:
        return Settings()
    except PydanticValidationError as exc:
        problems = [
            f"{_env_name(error['loc'])}={error.get('input')!r}: {error['msg'].lower()}"
            for error in exc.errors()
        ]
        raise ConfigurationError("invalid setting " + "; ".join(problems)) from None


@cache
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return load_settings()
