"""Accounts, roles and permissions, API keys and the audit log.

Roles and what they may do (the permission matrix, also in ``docs/permissions.md``):

=====================  =====  =======  =======  =====  ======
permission             admin  analyst  manager  agent  viewer
=====================  =====  =======  =======  =====  ======
dashboard:view           x       x        x       x      x
surveys:read             x       x        x       x      x
reports:read             x       x        x              x
analyses:run             x       x        x
responses:read           x       x        x
responses:export         x       x
surveys:write            x       x
instruments:write        x       x
invitations:write        x       x
customers:read           x       x        x       x
customers:write          x       x                x
feedback:read            x       x        x       x
feedback:write           x       x        x       x
privacy:manage           x
users:manage             x
audit:read               x
=====================  =====  =======  =======  =====  ======

Passwords are hashed with Argon2id (``argon2-cffi`` defaults, rehashed when the
parameters change). API keys are ``cxg_<prefix>_<secret>`` with a 256-bit random secret;
only its SHA-256 is stored (a slow hash adds nothing for a random secret of that size).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxgap.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from cxgap.store.accounts import ApiKey, AuditEvent, User

Role = Literal["admin", "analyst", "manager", "agent", "viewer"]
ROLES: tuple[str, ...] = get_args(Role)

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard:view": frozenset(ROLES),
    "surveys:read": frozenset(ROLES),
    "reports:read": frozenset({"admin", "analyst", "manager", "viewer"}),
    "analyses:run": frozenset({"admin", "analyst", "manager"}),
    "responses:read": frozenset({"admin", "analyst", "manager"}),
    "responses:export": frozenset({"admin", "analyst"}),
    "surveys:write": frozenset({"admin", "analyst"}),
    "instruments:write": frozenset({"admin", "analyst"}),
    "invitations:write": frozenset({"admin", "analyst"}),
    "customers:read": frozenset({"admin", "analyst", "manager", "agent"}),
    "customers:write": frozenset({"admin", "analyst", "agent"}),
    "feedback:read": frozenset({"admin", "analyst", "manager", "agent"}),
    "feedback:write": frozenset({"admin", "analyst", "manager", "agent"}),
    "privacy:manage": frozenset({"admin"}),
    "users:manage": frozenset({"admin"}),
    "audit:read": frozenset({"admin"}),
}
"""Permission -> roles that hold it."""

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
API_KEY = re.compile(r"^cxg_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$")

_hasher = PasswordHasher()


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (unknown permissions are held by nobody)."""
    return role in PERMISSIONS.get(permission, frozenset())


def require(user: User, permission: str) -> None:
    """Raise :class:`PermissionDeniedError` unless the user's role holds ``permission``."""
    if not user.active:
        raise AuthenticationError(f"account {user.email} is disabled")
    if not allowed(user.role, permission):
        raise PermissionDeniedError(
            f"role {user.role!r} may not {permission}; roles that may: "
            f"{', '.join(sorted(PERMISSIONS.get(permission, ())))}"
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not allowed; use one of {', '.join(ROLES)}")


def check_password(password: str) -> None:
    """Raise :class:`ValidationError` if the password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"password too short: {len(password)} characters, at least "
            f"{MIN_PASSWORD_LENGTH} are required"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password longer than {MAX_PASSWORD_LENGTH} characters")


def audit(
    session: Session,
    actor: User | str,
    action: str,
    *,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record who did what (in the caller's transaction)."""
    session.add(
        AuditEvent(
            actor_id=actor.id if isinstance(actor, User) else None,
            actor=actor.email if isinstance(actor, User) else actor,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            details=details,
        )
    )


def create_user(
    session: Session,
    email: str,
    password: str,
    *,
    role: str,
    name: str | None = None,
    language: str = "en",
    actor: User | str = "system",
) -> User:
    """Create an account (emails are case-insensitive and unique)."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise ValidationError(f"{email!r} is not an email address")
    _check_role(role)
    check_password(password)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise ConflictError(f"a user with email {email} already exists")
    user = User(
        email=email, name=name, role=role, language=language, password_hash=_hasher.hash(password)
    )
    session.add(user)
    session.flush()
    audit(
        session,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        details={"email": email, "role": role},
    )
    return user


def get_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user with email {email}")
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with these credentials; one message for every failure."""
    failure = AuthenticationError("wrong email or password")
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or len(password) > MAX_PASSWORD_LENGTH:
        _hasher.hash("timing equaliser")  # same cost whether or not the user exists
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    if not user.active:
        raise failure
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = dt.datetime.now(dt.UTC)
    return user


def set_password(session: Session, user: User, password: str, *, actor: User | str) -> None:
    check_password(password)
    user.password_hash = _hasher.hash(password)
    audit(session, actor, "user.password", target_type="user", target_id=user.id)


def set_role(session: Session, user: User, role: str, *, actor: User | str) -> None:
    _check_role(role)
    previous, user.role = user.role, role
    audit(
        session,
        actor,
        "user.role",
        target_type="user",
        target_id=user.id,
        details={"from": previous, "to": role},
    )


def set_active(session: Session, user: User, active: bool, *, actor: User | str) -> None:
    user.active = active
    audit(
        session,
        actor,
        "user.enable" if active else "user.disable",
        target_type="user",
        target_id=user.id,
    )


@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: ``key`` is shown once and never stored."""

    id: int
    name: str
    key: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(session: Session, user: User, name: str, *, actor: User | str) -> NewApiKey:
    """A new API key for ``user``; the returned ``key`` is the only copy."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError("an API key needs a name of 1 to 100 characters")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(user_id=user.id, name=name, prefix=prefix, secret_hash=_digest(secret))
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "apikey.create",
        target_type="api_key",
        target_id=row.id,
        details={"user": user.email, "name": name},
    )
    return NewApiKey(id=row.id, name=name, key=f"cxg_{prefix}_{secret}")


def authenticate_api_key(session: Session, key: str) -> User:
    """The active user owning this unrevoked key."""
    failure = AuthenticationError("invalid or revoked API key")
    match = API_KEY.match(key.strip())
    if not match:
        raise failure
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if row is None or row.revoked_at is not None:
        raise failure
    if not hmac.compare_digest(row.secret_hash, _digest(match.group(2))):
        raise failure
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise failure
    row.last_used_at = dt.datetime.now(dt.UTC)
    return user


def revoke_api_key(session: Session, key_id: int, *, actor: User | str) -> None:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError(f"API key {key_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        audit(session, actor, "apikey.revoke", target_type="api_key", target_id=key_id)
