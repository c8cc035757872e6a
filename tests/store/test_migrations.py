"""Alembic migrations against real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from tests.postgres_server import PostgresServer

from cxgap.store.database import current_revision, get_engine, head_revision, upgrade
from cxgap.store.models import Base


def test_upgrade_empty_database_to_head(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "empty.db"))
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine) == "0012"
    tables = {
        r[0]
        for r in sqlite3.connect(tmp_path / "empty.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {
        "customers",
        "instruments",
        "surveys",
        "responses",
        "answers",
        "quarantine",
        "import_batches",
        "encounters",
        "feedback_messages",
        "invitations",
        "submissions",
        "drafts",
        "users",
        "api_keys",
        "sign_in_sessions",
        "service_standards",
        "delivery_units",
        "delivery_measurements",
        "service_promises",
        "survey_titles",
        "customer_relationships",
        "plan_changes",
        "complaints",
        "action_plans",
        "action_tasks",
    } <= tables


def test_upgrade_from_previous_revision_keeps_data(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "old.db"))
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into customers (external_id, gender, created_at, updated_at) "
                "values ('C1', 'female', '2025-01-01', '2025-01-01')"
            )
        )
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
        assert "encounters" not in tables
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("select external_id, gender from customers")).all() == [
            ("C1", "female")
        ]
        conn.execute(
            text(
                "insert into encounters (customer_id, occurred_at, channel, "
                "touchpoint, outcome) values (1, '2025-02-01', 'phone', 'billing', "
                "'resolved')"
            )
        )


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "cmp.db"))
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrations_build_the_models_on_postgresql(postgres_server: PostgresServer) -> None:
    from alembic import command

    from cxgap.store.database import _alembic_config

    url = postgres_server.new_database(migrated=False)
    engine = get_engine(url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
        command.downgrade(_alembic_config(engine), "base")  # every downgrade runs there too
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "wal.db"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("pragma journal_mode")).scalar() == "wal"
        assert conn.execute(text("pragma foreign_keys")).scalar() == 1
        try:
            conn.execute(
                text(
                    "insert into responses (survey_id, respondent_key, fingerprint, "
                    "source, status, created_at) values (999, 'x', 'f', 'import', "
                    "'complete', '2025-01-01')"
                )
            )
        except Exception as exc:  # the foreign key to surveys must be enforced
            assert "FOREIGN KEY" in str(exc)
        else:
            raise AssertionError("foreign key not enforced")


def test_upgrade_from_0002_and_back(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "web.db"))
    upgrade(engine, "0002")
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    from alembic import command

    from cxgap.store.database import _alembic_config

    command.downgrade(_alembic_config(engine), "0002")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
    assert "invitations" not in tables and "customers" in tables


def test_upgrade_from_0003_adds_accounts_and_back(tmp_path: Path) -> None:
    from alembic import command

    from cxgap.store.database import _alembic_config

    engine = get_engine(str(tmp_path / "acc.db"))
    upgrade(engine, "0003")
    upgrade(engine)
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
    assert {"users", "api_keys", "audit_events"} <= tables
    command.downgrade(_alembic_config(engine), "0003")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
    assert "users" not in tables and "invitations" in tables


def test_upgrade_from_0005_adds_standards_and_back(tmp_path: Path) -> None:
    from alembic import command

    from cxgap.store.database import _alembic_config

    engine = get_engine(str(tmp_path / "std.db"))
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into users (email, role, password_hash, language, active, created_at) "
                "values ('a@b.example', 'admin', 'x', 'en', 1, '2026-01-01')"
            )
        )
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("insert into delivery_units (key, kind) values ('north', 'district')"))
        conn.execute(
            text(
                "insert into delivery_measurements (standard_key, unit_id, period, "
                "period_start, value, source, recorded_at) values ('S1', 1, '2026-01', "
                "'2026-01-01', 3.5, 'import', '2026-02-01')"
            )
        )
        assert conn.execute(text("select email from users")).scalar() == "a@b.example"
    command.downgrade(_alembic_config(engine), "0005")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
        assert conn.execute(text("select email from users")).scalar() == "a@b.example"
    assert "delivery_measurements" not in tables and "service_standards" not in tables


def test_cases_migration_keeps_data_and_downgrades(tmp_path: Path) -> None:
    from alembic import command

    from cxgap.store.database import _alembic_config

    engine = get_engine(str(tmp_path / "cases.db"))
    upgrade(engine, "0005")
    customer = "insert into customers (external_id, created_at, updated_at) values (:id, :t, :t)"
    with engine.begin() as conn:
        conn.execute(text(customer), {"id": "C1", "t": "2025-01-01"})
    upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into cases (customer_id, cause, source_type, priority, state, open_key, "
                "escalation, version, created_at, updated_at) values (1, 'detractor', "
                "'manual', 'high', 'new', '1:detractor', 0, 1, '2026-12-01', '2026-12-01')"
            )
        )
        conn.execute(
            text(
                "insert into outbox (channel, kind, recipient, subject, body, attempts, "
                "created_at) values ('email', 'test', 'a@example.org', 's', 'b', 0, '2026-12-01')"
            )
        )
        assert conn.execute(text("select apology, holdout from cases")).one() == (0, 0)
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(text("select count(*) from cases")).scalar_one() == 1
    command.downgrade(_alembic_config(engine), "0005")
    with engine.begin() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
        assert {"cases", "case_events", "outbox"}.isdisjoint(tables)
        assert conn.execute(text("select external_id from customers")).scalar_one() == "C1"
