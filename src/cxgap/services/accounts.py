"""Accounts, roles and permissions, sign-in sessions, API keys and the audit log.

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
cases:read               x       x        x       x
cases:write              x                x       x
privacy:manage           x
users:manage             x
audit:read               x
=====================  =====  =======  =======  =====  ======

Passwords are hashed with Argon2id (``argon2-cffi`` defaults, rehashed when the
parameters change); what a password and an email may be is in
:mod:`cxgap.services.credentials`. An account may have no password at all (its stored
hash is :data:`NO_PASSWORD`): it is active, can be assigned work, but nobody signs in with
it; sign-in refuses it with the usual message after the same work, until an administrator
sets a password. Signed-in browsers have a row in ``sign_in_sessions``:
signing out deletes it, a password change or disabling the account deletes all of the
user's, and a password change also revokes the API keys the user created from a session.

API keys are ``cxg_<prefix>_<secret>`` with a 256-bit random secret; only its SHA-256 is
stored (a slow hash adds nothing for a random secret of that size).
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
from sqlalchemy import ColumnElement, Engine, delete, func, select
from sqlalchemy.orm import Session

from cxgap.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from cxgap.services.credentials import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password,
    normalize_email,
)
from cxgap.store.accounts import ApiKey, AuditEvent, SignInSession, User
from cxgap.store.database import transaction
from cxgap.text import check_text
from cxgap.times import as_utc, now

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
    "cases:read": frozenset({"admin", "analyst", "manager", "agent"}),
    "cases:write": frozenset({"admin", "manager", "agent"}),
    "privacy:manage": frozenset({"admin"}),
    "users:manage": frozenset({"admin"}),
    "audit:read": frozenset({"admin"}),
    "standards:read": frozenset({"admin", "analyst", "manager", "viewer"}),
    "standards:write": frozenset({"admin", "analyst", "manager"}),
    "standards:approve": frozenset({"admin", "manager"}),
    "kpis:read": frozenset({"admin", "analyst", "manager", "viewer"}),
    "actions:read": frozenset({"admin", "analyst", "manager", "viewer"}),
    "actions:write": frozenset({"admin", "analyst", "manager"}),
}
"""Permission -> roles that hold it."""

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PERMISSIONS",
    "ROLES",
    "ApiKey",
    "AuditEvent",
    "User",
    "check_password",
    "normalize_email",
]
"""``User``, ``ApiKey`` and ``AuditEvent`` are the account records the functions below take
and return (detached from any transaction when a function returns them)."""

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
API_KEY = re.compile(r"^cxg_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$")

_hasher = PasswordHasher()

NO_PASSWORD = "!"
"""The stored hash of an account without a password (no Argon2 hash is ``!``, so no
password verifies against it; sign-in refuses it before trying)."""


def has_password(user: User) -> bool:
    """Whether somebody can sign in to ``user`` with a password (see :data:`NO_PASSWORD`)."""
    return user.password_hash != NO_PASSWORD


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
            **audit_row(
                actor, action, target_type=target_type, target_id=target_id, details=details
            )
        )
    )


def audit_row(
    actor: User | str,
    action: str,
    *,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of an audit entry: :func:`audit` adds one; a service writing many
    changes at once inserts these rows together, in the same transaction."""
    return {
        "at": now(),
        "actor_id": actor.id if isinstance(actor, User) else None,
        "actor": actor.email if isinstance(actor, User) else actor,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "details": details,
    }


def create_user(
    session: Session,
    email: str,
    password: str | None,
    *,
    role: str,
    name: str | None = None,
    language: str = "en",
    actor: User | str = "system",
) -> User:
    """Create an account (emails are normalised, see :func:`normalize_email`, and unique);
    ``password=None`` creates it without a password (:data:`NO_PASSWORD`)."""
    email = normalize_email(email)
    if not EMAIL.match(email):
        raise ValidationError(f"{email!r} is not an email address; expected name@domain.example")
    _check_role(role)
    if password is not None:
        check_password(password, email=email, name=name)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise ConflictError(f"a user with email {email} already exists")
    stored = NO_PASSWORD if password is None else _hasher.hash(password)
    user = User(email=email, name=name, role=role, language=language, password_hash=stored)
    session.add(user)
    session.flush()
    audit(
        session,
        actor,
        "user.create",
        target_type="user",
        target_id=user.id,
        details={"email": email, "role": role, "password": password is not None},
    )
    return user


def _find_user(session: Session, email: str) -> User | None:
    try:
        normal = normalize_email(email)
    except ValidationError:
        return None  # no account can have such an address
    return session.scalar(select(User).where(User.email == normal))


def get_user(session: Session, email: str) -> User:
    user = _find_user(session, email)
    if user is None:
        raise NotFoundError(f"no user with email {email}")
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with these credentials; one message for every failure (an account
    without a password is refused like a wrong password)."""
    failure = AuthenticationError("wrong email or password")
    user = _find_user(session, email)
    if user is None or len(password) > MAX_PASSWORD_LENGTH or not has_password(user):
        _hasher.hash("timing equaliser")  # same cost whether or not the user can sign in
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    if not user.active:
        raise failure
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now()
    return user


def confirm_password(session: Session, user_id: int, password: str | None) -> User:
    """The active user ``user_id`` if ``password`` is theirs (re-authentication)."""
    failure = AuthenticationError(
        "confirm this with your current password (field password); it was missing or wrong"
    )
    user = session.get(User, user_id)
    if user is None or not user.active or not password or len(password) > MAX_PASSWORD_LENGTH:
        raise failure
    if not has_password(user):
        raise failure
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    return user


def set_password(session: Session, user: User, password: str, *, actor: User | str) -> None:
    """A new password: every session of the user ends, and the API keys the user created
    from a signed-in session are revoked (keys made by an administrator or the command
    line stay)."""
    check_password(password, email=user.email, name=user.name)
    user.password_hash = _hasher.hash(password)
    audit(session, actor, "user.password", target_type="user", target_id=user.id)
    end_sessions(session, user)
    keys = session.scalars(
        select(ApiKey).where(
            ApiKey.user_id == user.id, ApiKey.from_session, ApiKey.revoked_at.is_(None)
        )
    )
    for key in keys:
        revoke_api_key(session, key.id, actor=actor)


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
    """Enable or disable an account; disabling ends its sessions and, while it lasts,
    refuses its API keys."""
    user.active = active
    if not active:
        end_sessions(session, user)
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


def create_api_key(
    session: Session, user: User, name: str, *, actor: User | str, from_session: bool = False
) -> NewApiKey:
    """A new API key for ``user``; the returned ``key`` is the only copy.

    ``from_session``: the user created it from a signed-in browser session; such keys are
    revoked when the password changes.
    """
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError("an API key needs a name of 1 to 100 characters")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        user_id=user.id,
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        from_session=from_session,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "apikey.create",
        target_type="api_key",
        target_id=row.id,
        details={"user": user.email, "name": name, "from_session": from_session},
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
    row.last_used_at = now()
    return user


def revoke_api_key(session: Session, key_id: int, *, actor: User | str) -> None:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFoundError(f"API key {key_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = now()
        audit(session, actor, "apikey.revoke", target_type="api_key", target_id=key_id)


def start_session(session: Session, user: User, *, hours: float, now: dt.datetime) -> str:
    """A new sign-in session of ``user``: its random id (only the hash is stored)."""
    session.execute(delete(SignInSession).where(SignInSession.expires_at <= now))
    token = secrets.token_urlsafe(24)
    session.add(
        SignInSession(
            user_id=user.id,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    return token


def session_alive(session: Session, user_id: int, token: str, *, now: dt.datetime) -> bool:
    """Whether the sign-in session ``token`` of ``user_id`` exists and has not expired."""
    found = session.scalar(
        select(SignInSession.id).where(
            SignInSession.token_hash == _digest(token),
            SignInSession.user_id == user_id,
            SignInSession.expires_at > now,
        )
    )
    return found is not None


def end_session(session: Session, token: str) -> None:
    """Sign out: the session ``token`` no longer signs anyone in."""
    session.execute(delete(SignInSession).where(SignInSession.token_hash == _digest(token)))


def end_sessions(session: Session, user: User) -> None:
    """End every sign-in session of ``user``."""
    session.execute(delete(SignInSession).where(SignInSession.user_id == user.id))


# Reading accounts, keys and the audit log back, and changes in their own transaction.


def user_by_id(engine: Engine, user_id: int) -> User:
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        session.expunge(user)
        return user


def list_users(
    engine: Engine, *, role: str | None = None, limit: int | None = 50, offset: int = 0
) -> tuple[list[User], int]:
    """Accounts by email (``limit=None``: all of them) and how many there are."""
    conditions = [User.role == role] if role is not None else []
    with transaction(engine) as session:
        total = session.scalar(select(func.count(User.id)).where(*conditions)) or 0
        users = list(
            session.scalars(
                select(User).where(*conditions).order_by(User.email).limit(limit).offset(offset)
            )
        )
        session.expunge_all()
        return users, int(total)


def list_api_keys(
    engine: Engine, *, user_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[ApiKey, str]], int]:
    """Keys (never their secrets) with their owner's email."""
    conditions = [ApiKey.user_id == user_id] if user_id is not None else []
    with transaction(engine) as session:
        total = session.scalar(select(func.count(ApiKey.id)).where(*conditions)) or 0
        rows = [
            (key, email)
            for key, email in session.execute(
                select(ApiKey, User.email)
                .join(User, User.id == ApiKey.user_id)
                .where(*conditions)
                .order_by(ApiKey.id)
                .limit(limit)
                .offset(offset)
            ).all()
        ]
        session.expunge_all()
        return rows, int(total)


def owner_of_key(engine: Engine, key_id: int) -> int:
    with transaction(engine) as session:
        owner = session.scalar(select(ApiKey.user_id).where(ApiKey.id == key_id))
        if owner is None:
            raise NotFoundError(f"API key {key_id} does not exist")
        return int(owner)


def list_audit(
    engine: Engine,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Audit events matching every filter given, newest first."""
    conditions: list[ColumnElement[bool]] = []
    if actor is not None:
        conditions.append(AuditEvent.actor == actor)
    if action is not None:
        conditions.append(AuditEvent.action == action)
    if target_type is not None:
        conditions.append(AuditEvent.target_type == target_type)
    if since is not None:
        conditions.append(AuditEvent.at >= as_utc(since))
    if until is not None:
        conditions.append(AuditEvent.at < as_utc(until))
    with transaction(engine) as session:
        total = session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(*conditions)
                .order_by(AuditEvent.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )
        session.expunge_all()
        for event in events:
            event.at = as_utc(event.at)
        return events, int(total)


def check_account_texts(email: str, name: str | None) -> None:
    """An account's email and name are one line without control characters."""
    check_text(email, where="email", multiline=False)
    if name is not None:
        check_text(name, where="name", multiline=False)


def create_account(
    engine: Engine,
    email: str,
    password: str,
    *,
    role: str,
    actor: User | str,
    name: str | None = None,
    language: str = "en",
) -> User:
    """A new account (audited); see :func:`create_user`."""
    check_account_texts(email, name)
    with transaction(engine) as session:
        user = create_user(
            session, email, password, role=role, name=name, language=language, actor=actor
        )
        session.flush()
        session.expunge(user)
        return user


def update_account(
    engine: Engine,
    user_id: int,
    *,
    actor: User | str,
    role: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a role or enable/disable an account (audited); not one's own."""
    own = isinstance(actor, User) and actor.id == user_id
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        if own and (role not in (None, user.role) or active is False):
            raise ConflictError("you cannot change your own role or disable your own account")
        if role is not None and role != user.role:
            set_role(session, user, role, actor=actor)
        if active is not None and active != user.active:
            set_active(session, user, active, actor=actor)
        session.flush()
        session.expunge(user)
        return user


def new_api_key(
    engine: Engine, user_id: int, name: str, *, actor: User | str, from_session: bool = False
) -> NewApiKey:
    """A key for ``user_id`` (shown once); see :func:`create_api_key`."""
    check_text(name, where="API key name", multiline=False)
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        return create_api_key(session, user, name, actor=actor, from_session=from_session)


def revoke_key(engine: Engine, key_id: int, *, actor: User | str, owner: int | None = None) -> None:
    """Revoke a key; with ``owner``, only a key of that user (others look absent)."""
    with transaction(engine) as session:
        row = session.get(ApiKey, key_id)
        if row is None or (owner is not None and row.user_id != owner):
            raise NotFoundError(f"API key {key_id} does not exist")
        revoke_api_key(session, key_id, actor=actor)


def user_id_of(engine: Engine, email: str) -> int:
    """The id of the account with this email (see :func:`normalize_email`)."""
    with transaction(engine) as session:
        return get_user(session, email).id


def change_password(engine: Engine, user_id: int, password: str, *, actor: User | str) -> None:
    """:func:`set_password` in its own transaction."""
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        set_password(session, user, password, actor=actor)


def any_users(engine: Engine) -> bool:
    """Whether at least one account somebody can sign in with exists: active and with a
    password (the demo's staff accounts, which have none, do not count)."""
    with transaction(engine) as session:
        found = session.scalar(
            select(User.id).where(User.active.is_(True), User.password_hash != NO_PASSWORD).limit(1)
        )
        return found is not None


def _detached(session: Session, user: User) -> User:
    session.flush()
    session.expunge(user)
    return user


def sign_in_user(engine: Engine, email: str, password: str) -> User:
    """:func:`authenticate` in its own transaction (the last sign-in time is stored)."""
    with transaction(engine) as session:
        return _detached(session, authenticate(session, email, password))


def reconfirm_password(engine: Engine, user_id: int, password: str | None) -> None:
    """:func:`confirm_password` in its own transaction."""
    with transaction(engine) as session:
        confirm_password(session, user_id, password)


def api_key_user(engine: Engine, key: str) -> User:
    """:func:`authenticate_api_key` in its own transaction (the key's last use is stored)."""
    with transaction(engine) as session:
        return _detached(session, authenticate_api_key(session, key))


def open_sign_in(engine: Engine, user: User, *, hours: float, now: dt.datetime) -> str:
    """:func:`start_session` in its own transaction: the new session's random id."""
    with transaction(engine) as session:
        return start_session(session, user, hours=hours, now=now)


def signed_in_user(engine: Engine, user_id: int, token: str, *, now: dt.datetime) -> User | None:
    """The active user ``user_id`` if its sign-in session ``token`` is alive; else ``None``."""
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        if not session_alive(session, user.id, token, now=now):
            return None
        return _detached(session, user)


def close_sign_in(engine: Engine, token: str) -> None:
    """:func:`end_session` in its own transaction."""
    with transaction(engine) as session:
        end_session(session, token)
