"""Migration 0010 (staff and team on encounters and feedback) on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from cxgap.store.database import _alembic_config, current_revision, get_engine, upgrade


def _columns(engine: object, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}  # type: ignore[arg-type]


def test_staff_columns_up_keep_rows_and_down(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "staff.db"))
    upgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into customers (external_id, created_at, updated_at) "
                "values ('C1', '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "insert into encounters (customer_id, occurred_at, channel, touchpoint, "
                "outcome) values (1, '2026-02-01', 'phone', 'billing', 'resolved')"
            )
        )
        conn.execute(
            text(
                "insert into feedback_messages (customer_id, channel, language, text, "
                "received_at) values (1, 'web', 'en', 'thanks', '2026-02-02')"
            )
        )
    assert "staff" not in _columns(engine, "encounters")
    upgrade(engine, "0010")
    assert current_revision(engine) == "0010"
    for table in ("encounters", "feedback_messages"):
        assert {"staff", "team"} <= _columns(engine, table)
        indexes = {i["name"] for i in inspect(engine).get_indexes(table)}
        assert {f"ix_{table}_staff", f"ix_{table}_team"} <= indexes
    with engine.begin() as conn:
        assert conn.execute(text("select staff, team from encounters")).all() == [(None, None)]
        conn.execute(text("update encounters set staff = 'ana@example.org', team = 'north'"))
        assert conn.execute(text("select text from feedback_messages")).scalar() == "thanks"
    command.downgrade(_alembic_config(engine), "0009")
    assert current_revision(engine) == "0009"
    for table in ("encounters", "feedback_messages"):
        assert "staff" not in _columns(engine, table)
    with engine.connect() as conn:
        assert conn.execute(text("select touchpoint from encounters")).scalar() == "billing"
        assert conn.execute(text("select count(*) from feedback_messages")).scalar() == 1
