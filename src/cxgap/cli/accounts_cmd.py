"""``cxgap users``, ``cxgap apikeys``, ``cxgap customers`` (access and erasure), ``cxgap audit``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.checks import language as language_code
from cxgap.cli.checks import output_file
from cxgap.cli.context import cli_actor, state
from cxgap.errors import ValidationError

users_app = typer.Typer(help="Accounts and roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for scripts.", no_args_is_help=True)
customers_app = typer.Typer(help="A customer's data: access and erasure.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="apikeys")
app.add_typer(customers_app, name="customers")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise ValidationError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise ValidationError(
            "no terminal to ask for the password: give --password-stdin and pipe the "
            "password in (e.g. printf '%s\\n' \"$PASSWORD\" | cxgap users ... --password-stdin)"
        )
    first = typer.prompt("password", hide_input=True)
    second = typer.prompt("repeat password", hide_input=True)
    if first != second:
        raise ValidationError("the two passwords differ")
    return str(first)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="Sign-in email address.")],
    role: Annotated[str, typer.Option(help="admin, analyst, manager, agent or viewer.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    language: Annotated[str, typer.Option(help="Language of the pages: en, zh, fa.")] = "en",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (the password is asked for, or read from standard input)."""
    from cxgap.services.accounts import check_account_texts, create_account

    check_account_texts(email, name)
    language = language_code(language, "--language") or "en"
    engine = state.engine()
    password = _read_password(password_stdin)
    user = create_account(
        engine, email, password, role=role, name=name, language=language, actor=cli_actor()
    )
    console.print(f"user {user.email} created with role {user.role}")


@users_app.command("list")
def users_list() -> None:
    """List accounts."""
    from cxgap.services.accounts import list_users

    users, _ = list_users(state.engine(), limit=None)
    table = Table("email", "name", "role", "active", "last login")
    for u in users:
        table.add_row(
            u.email,
            u.name or "",
            u.role,
            "yes" if u.active else "no",
            f"{u.last_login_at:%Y-%m-%d %H:%M} UTC" if u.last_login_at else "never",
        )
    console.print(table)


@users_app.command("set-role")
def users_set_role(email: str, role: str) -> None:
    """Change a user's role."""
    from cxgap.services.accounts import update_account, user_id_of

    engine = state.engine()
    update_account(engine, user_id_of(engine, email), role=role, actor=cli_actor())
    console.print(f"{email} now has role {role}")


@users_app.command("set-password")
def users_set_password(
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password (every session of the user ends, and the API keys the user
    created from a session are revoked)."""
    from cxgap.services.accounts import change_password, user_id_of

    password = _read_password(password_stdin)
    engine = state.engine()
    change_password(engine, user_id_of(engine, email), password, actor=cli_actor())
    console.print(f"password of {email} changed")


@users_app.command("disable")
def users_disable(email: str) -> None:
    """Disable an account (its sessions end; it can no longer sign in or use its API keys)."""
    from cxgap.services.accounts import update_account, user_id_of

    engine = state.engine()
    update_account(engine, user_id_of(engine, email), active=False, actor=cli_actor())
    console.print(f"{email} disabled")


@keys_app.command("create")
def keys_create(
    email: Annotated[str, typer.Argument(help="User the key acts as.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
) -> None:
    """Create an API key; it is shown once and only its hash is stored."""
    from cxgap.services.accounts import new_api_key, user_id_of

    engine = state.engine()
    new = new_api_key(engine, user_id_of(engine, email), name, actor=cli_actor())
    console.print(f"API key {new.id} ({new.name}); store it now, it is not shown again:")
    console.print(new.key, highlight=False, markup=False)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="Number of the key.")]) -> None:
    """Revoke an API key."""
    from cxgap.services.accounts import revoke_key

    revoke_key(state.engine(), key_id, actor=cli_actor())
    console.print(f"API key {key_id} revoked")


@customers_app.command("export")
def customers_export(
    customer: Annotated[str, typer.Argument(help="The customer's external id.")],
    out: Annotated[Path | None, typer.Option(help="Write the JSON to this file.")] = None,
) -> None:
    """Everything stored about a customer, as JSON (right of access)."""
    from cxgap.services.privacy import export_customer

    if out is not None:
        output_file(out, suffixes=(".json",))
    text = json.dumps(export_customer(state.engine(), customer), indent=1, ensure_ascii=False)
    if out is None:
        console.print(text, highlight=False, markup=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"data of customer {customer} written to {out}")


@customers_app.command("erase")
def customers_erase(
    customer: Annotated[str, typer.Argument(help="The customer's external id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer (right to erasure); anonymised numeric answers are kept."""
    from cxgap.services.privacy import erase_customer

    if not yes and not typer.confirm(f"erase customer {customer} for good?"):
        raise typer.Exit(1)
    counts = erase_customer(state.engine(), customer, actor=cli_actor())
    console.print(
        f"customer {customer} erased: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
    )


@app.command("audit")
def audit_log(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """The newest entries of the audit log."""
    from cxgap.services.accounts import list_audit

    events, _ = list_audit(state.engine(), limit=limit)
    table = Table("when", "who", "action", "target", "details")
    for e in events:
        target = f"{e.target_type}:{e.target_id}" if e.target_type else ""
        table.add_row(
            str(e.at)[:19],
            e.actor,
            e.action,
            target,
            json.dumps(e.details, ensure_ascii=False) if e.details else "",
        )
    console.print(table)
