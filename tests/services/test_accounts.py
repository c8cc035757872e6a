"""Accounts, roles, API keys and the audit log on a real SQLite database."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

from cxgap.errors import AuthenticationError, ConflictError, PermissionDeniedError, ValidationError
from cxgap.services import accounts
from cxgap.store.accounts import ApiKey, AuditEvent, User
from cxgap.store.database import get_engine, transaction

PASSWORD = "correct horse battery"


def test_passwords_are_hashed_with_argon2(engine: Engine) -> None:
    with transaction(engine) as s:
        user = accounts.create_user(s, "Ana@Example.org", PASSWORD, role="analyst")
        stored = user.password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)  # an independent verifier agrees
    with transaction(engine) as s:
        assert accounts.authenticate(s, "ana@example.org", PASSWORD).role == "analyst"
        with pytest.raises(AuthenticationError, match="wrong email or password"):
            accounts.authenticate(s, "ana@example.org", "wrong password!!")
        with pytest.raises(AuthenticationError, match="wrong email or password"):
            accounts.authenticate(s, "nobody@example.org", PASSWORD)


def test_account_rules(engine: Engine) -> None:
    with transaction(engine) as s:
        with pytest.raises(ValidationError, match="at least 12"):
            accounts.create_user(s, "a@example.org", "short", role="viewer")
        with pytest.raises(ValidationError, match="role 'boss' is not allowed"):
            accounts.create_user(s, "a@example.org", PASSWORD, role="boss")
        with pytest.raises(ValidationError, match="not an email"):
            accounts.create_user(s, "not-an-email", PASSWORD, role="viewer")
        accounts.create_user(s, "a@example.org", PASSWORD, role="viewer")
    with transaction(engine) as s, pytest.raises(ConflictError, match="already exists"):
        accounts.create_user(s, "A@example.org", PASSWORD, role="viewer")
    with transaction(engine) as s:
        user = accounts.get_user(s, "a@example.org")
        accounts.set_active(s, user, False, actor="test")
    with transaction(engine) as s, pytest.raises(AuthenticationError):
        accounts.authenticate(s, "a@example.org", PASSWORD)


def test_an_account_without_a_password_is_active_but_nobody_signs_in(engine: Engine) -> None:
    with transaction(engine) as s:
        user = accounts.create_user(s, "Staff@Example.org", None, role="agent", actor="test")
        assert user.active and user.password_hash == accounts.NO_PASSWORD == "!"
        assert not accounts.has_password(user)
        user_id = user.id
        created = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
        assert created.details == {"email": "staff@example.org", "role": "agent", "password": False}
    assert not accounts.any_users(engine)  # `cxgap start` still creates its administrator
    for attempt in ("", "!", accounts.NO_PASSWORD + " ", PASSWORD, "$argon2id$v=19$m=1,t=1,p=1$"):
        with transaction(engine) as s, pytest.raises(AuthenticationError) as refused:
            accounts.authenticate(s, "staff@example.org", attempt)
        assert refused.value.message == "wrong email or password"
        with pytest.raises(AuthenticationError, match="current password"):
            accounts.reconfirm_password(engine, user_id, attempt or None)
    # an administrator giving it a password makes it an ordinary account
    accounts.change_password(engine, user_id, PASSWORD, actor="test")
    assert accounts.sign_in_user(engine, "staff@example.org", PASSWORD).id == user_id
    assert accounts.any_users(engine)


def test_permission_matrix_is_complete_and_enforced(engine: Engine) -> None:
    assert set(accounts.ROLES) == {"admin", "analyst", "manager", "agent", "viewer"}
    for permission, roles in accounts.PERMISSIONS.items():
        assert "admin" in roles, permission  # admins can do everything
        assert roles <= set(accounts.ROLES)
    assert accounts.allowed("viewer", "dashboard:view")
    assert not accounts.allowed("viewer", "responses:export")
    assert not accounts.allowed("agent", "analyses:run")
    assert not accounts.allowed("admin", "no:such-permission")
    with transaction(engine) as s:
        agent = accounts.create_user(s, "agent@example.org", PASSWORD, role="agent")
        accounts.require(agent, "feedback:write")
        with pytest.raises(PermissionDeniedError, match="role 'agent' may not users:manage"):
            accounts.require(agent, "users:manage")
    doc = (Path(__file__).parents[2] / "docs" / "permissions.md").read_text(encoding="utf-8")
    for permission in accounts.PERMISSIONS:
        assert f"`{permission}`" in doc  # every permission is documented


def test_api_keys_shown_once_stored_hashed_revocable(engine: Engine) -> None:
    with transaction(engine) as s:
        user = accounts.create_user(s, "bot@example.org", PASSWORD, role="analyst")
        new = accounts.create_api_key(s, user, "nightly export", actor=user)
    with transaction(engine) as s:
        row = s.scalars(select(ApiKey)).one()
        assert new.key.split("_", 2)[2] not in row.secret_hash and len(row.secret_hash) == 64
        assert accounts.authenticate_api_key(s, new.key).email == "bot@example.org"
        for bad in ("", "cxg_x_y", new.key[:-1] + ("A" if new.key[-1] != "A" else "B")):
            with pytest.raises(AuthenticationError):
                accounts.authenticate_api_key(s, bad)
        accounts.revoke_api_key(s, new.id, actor="test")
    with transaction(engine) as s, pytest.raises(AuthenticationError, match="revoked"):
        accounts.authenticate_api_key(s, new.key)
    with transaction(engine) as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["user.create", "apikey.create", "apikey.revoke"]


def test_cli_users_and_keys(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "u.db"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = cli(
        "--db", db, "users", "create", "lead@example.org", "--role", "admin", "--password-stdin"
    )
    assert code == 0, err
    code, out, _ = cli("--db", db, "users", "list")
    assert "lead@example.org" in out and "admin" in out
    code, out, _ = cli("--db", db, "apikeys", "create", "lead@example.org", "--name", "ci")
    assert code == 0 and "cxg_" in out
    code, out, _ = cli("--db", db, "audit")
    assert "user.create" in out and "apikey.create" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = cli(
        "--db", db, "users", "create", "x@example.org", "--role", "viewer", "--password-stdin"
    )
    assert code == 3 and "password too short" in err
    with transaction(get_engine(str(db))) as s:
        assert s.scalar(select(User).where(User.email == "x@example.org")) is None


@pytest.mark.parametrize(
    "weak",
    [
        " " * 12,
        "123456789012",
        "aaaaaaaaaaaa",
        "abcabcabcabc",
        "password1234",
        "qwertyuiop12",
        "ana.lopez.ana.lopez",  # the email's own local part, twice
        "examplepassword",
    ],
)
def test_weak_passwords_are_refused(engine: Engine, weak: str) -> None:
    with transaction(engine) as s, pytest.raises(ValidationError, match="password too easy"):
        accounts.create_user(s, "ana.lopez@example.org", weak, role="viewer")
    with transaction(engine) as s:
        user = accounts.create_user(s, "ana.lopez@example.org", PASSWORD, role="viewer")
        with pytest.raises(ValidationError, match="password too easy") as refused:
            accounts.set_password(s, user, weak, actor="test")
    assert weak.strip() == "" or weak not in str(refused.value)  # never repeated back


def test_emails_are_normalised_and_look_alikes_refused(engine: Engine) -> None:
    with transaction(engine) as s:
        user = accounts.create_user(s, "  Ｍaria@Example。ORG ", PASSWORD, role="viewer")
        assert user.email == "maria@example.org"
        with pytest.raises(ConflictError):  # the same address in full-width letters
            accounts.create_user(s, "ｍａｒｉａ@example.org", PASSWORD, role="viewer")
        # a Cyrillic "а" among Latin letters, an all-Cyrillic look-alike, an invisible space
        for spoof in ("mаria@example.org", "maria@еxample.org", "рау@example.org"):
            with pytest.raises(ValidationError, match=r"script|look like Latin"):
                accounts.create_user(s, spoof, PASSWORD, role="viewer")
        with pytest.raises(ValidationError, match="invisible"):
            accounts.create_user(s, "ma\u200bria@example.org", PASSWORD, role="viewer")
        # real addresses in one script each are welcome
        assert accounts.create_user(s, "иван@пример.рф", PASSWORD, role="viewer").id
        assert accounts.create_user(s, "مریم@example.org", PASSWORD, role="viewer").id
    with transaction(engine) as s:  # signing in takes any spelling of the same address
        assert accounts.authenticate(s, "ＭＡＲＩＡ@example.org", PASSWORD).id == user.id
        with pytest.raises(AuthenticationError):
            accounts.authenticate(s, "mаria@example.org", PASSWORD)
