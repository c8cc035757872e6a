"""Reading accounts, API keys and the audit log back (the changes are in ``accounts``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, Engine, func, select

from cxgap.errors import ConflictError, NotFoundError
from cxgap.services import accounts
from cxgap.services.feedback import utc
from cxgap.store.accounts import ApiKey, AuditEvent, User
from cxgap.store.database import transaction
from cxgap.text import check_text


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else utc(value)


def user_by_id(engine: Engine, user_id: int) -> User:
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        session.expunge(user)
        return user


def list_users(
    engine: Engine, *, role: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[User], int]:
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
        conditions.append(AuditEvent.at >= utc(since))
    if until is not None:
        conditions.append(AuditEvent.at < utc(until))
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
            event.at = utc(event.at)
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
    """A new account (audited); see :func:`cxgap.services.accounts.create_user`."""
    check_account_texts(email, name)
    with transaction(engine) as session:
        user = accounts.create_user(
            session, email, password, role=role, name=name, language=language, actor=actor
        )
        session.flush()
        session.expunge(user)
        return user


def update_account(
    engine: Engine,
    user_id: int,
    *,
    actor: User,
    role: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a role or enable/disable an account (audited); not one's own."""
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        if user.id == actor.id and (role not in (None, user.role) or active is False):
            raise ConflictError("you cannot change your own role or disable your own account")
        if role is not None and role != user.role:
            accounts.set_role(session, user, role, actor=actor)
        if active is not None and active != user.active:
            accounts.set_active(session, user, active, actor=actor)
        session.flush()
        session.expunge(user)
        return user


def new_api_key(
    engine: Engine, user_id: int, name: str, *, actor: User, from_session: bool = False
) -> accounts.NewApiKey:
    """A key for ``user_id`` (shown once); see :func:`accounts.create_api_key`."""
    check_text(name, where="API key name", multiline=False)
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        return accounts.create_api_key(session, user, name, actor=actor, from_session=from_session)


def revoke_key(engine: Engine, key_id: int, *, actor: User, owner: int | None = None) -> None:
    """Revoke a key; with ``owner``, only a key of that user (others look absent)."""
    with transaction(engine) as session:
        row = session.get(ApiKey, key_id)
        if row is None or (owner is not None and row.user_id != owner):
            raise NotFoundError(f"API key {key_id} does not exist")
        accounts.revoke_api_key(session, key_id, actor=actor)
