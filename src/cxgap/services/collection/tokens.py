"""Signed invitation links and form tokens.

A link token is ``<nonce>.<signature>``: a random nonce (no personal data) and an
HMAC-SHA256 of it under the signing secret. Only ``sha256(nonce)`` is stored, so neither a
copy of the database nor a guessed nonce yields a working link.

A respondent of an anonymous link gets a token whose nonce also names the shared link
(``<random>~<shared link id>``, covered by the signature): it works before anything is
stored for it, so opening a shared link writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path

from cxgap.errors import ConfigurationError, NotFoundError
from cxgap.settings import get_settings
from cxgap.store.database import is_sqlite, sqlite_file

NONCE_BYTES = 18
SIGNATURE_CHARS = 22  # 132 bits of the HMAC


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@cache
def _secret_for(url: str, configured: str | None) -> bytes:
    if configured:
        return configured.encode("utf-8")
    if not is_sqlite(url):
        raise ConfigurationError(
            "CXGAP_SECRET_KEY is not set: with a database other than a SQLite file, set it "
            'to a long random string (e.g. the output of `python -c "import secrets; '
            'print(secrets.token_hex(32))"`) so every server signs links the same way'
        )
    database = sqlite_file(url)
    if database is None:
        return secrets.token_bytes(32)  # an in-memory database lives as long as this process
    path = Path(f"{database}.secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
        if len(value) < 32:
            raise ConfigurationError(
                f"the signing secret in {path} is too short ({len(value)} characters); "
                "delete the file to have a new one generated (existing links stop working)"
            ) from None
        return value.encode("ascii")
    value = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value.encode("ascii")


def signing_secret(database_url: str) -> bytes:
    """The secret that signs links for this database.

    ``CXGAP_SECRET_KEY`` when set; otherwise a random secret kept in ``<database>.secret``
    (mode 0600) next to a SQLite file, created on first use.
    """
    return _secret_for(database_url, get_settings().secret_key)


def _sign(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return _b64(digest)[:SIGNATURE_CHARS]


def new_link_token(secret: bytes) -> tuple[str, str]:
    """A new link token and the hash under which its invitation is stored."""
    nonce = _b64(secrets.token_bytes(NONCE_BYTES))
    return f"{nonce}.{_sign(secret, 'link', nonce)}", token_hash(nonce)


def new_respondent_token(secret: bytes, shared_id: int) -> tuple[str, str]:
    """A new respondent's token under the anonymous link ``shared_id``, and its hash."""
    nonce = f"{_b64(secrets.token_bytes(NONCE_BYTES))}~{shared_id}"
    return f"{nonce}.{_sign(secret, 'link', nonce)}", token_hash(nonce)


def respondent_of(token: str) -> int | None:
    """The anonymous link a (verified) respondent token belongs to; ``None`` for others."""
    _, tilde, shared = token.partition(".")[0].partition("~")
    return int(shared) if tilde and shared.isascii() and shared.isdigit() else None


def token_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def verify_link_token(secret: bytes, token: str) -> str:
    """The storage hash of a correctly signed token; ``NotFoundError`` otherwise."""
    nonce, _, signature = token.partition(".")
    if (
        not nonce
        or len(token) > 100
        or not hmac.compare_digest(signature.encode(), _sign(secret, "link", nonce).encode())
    ):
        raise NotFoundError("this survey link is not valid; check that it was copied whole")
    return token_hash(nonce)


def new_browser_key() -> str:
    """A random value for the CSRF cookie of one browser."""
    return _b64(secrets.token_bytes(18))


def csrf_token(secret: bytes, browser_key: str) -> str:
    """The form token that goes with a browser's CSRF cookie (signed double submit)."""
    return _sign(secret, "csrf", browser_key)


def csrf_valid(secret: bytes, browser_key: str | None, token: str | None) -> bool:
    if not browser_key or not token:
        return False
    return hmac.compare_digest(token.encode(), csrf_token(secret, browser_key).encode())
