"""``cxgap actions`` and ``cxgap lifecycle import`` through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from tests.services.test_actions import _store_waves

from cxgap.instruments import Instrument

Cli = Callable[..., tuple[int, str, str]]


def test_plan_from_creation_to_measured_effect(
    cli: Cli, engine: Engine, mini: Instrument, tmp_path: Path
) -> None:
    _store_waves(engine, mini, lift=1.5, seed=1)
    db = str(tmp_path / "test.db")
    code, out, err = cli(
        "--db", db, "actions", "create", "--title", "Call-backs within a day",
        "--survey", "pulse-w1", "--gap", "dimension:reliability",
        "--owner", "owner@example.org", "--starts-on", "2025-09-01",
        "--unit-attribute", "district", "--unit", "d1", "--cost", "12000",
        "--expected-effect", "0.8", "--task", "Hire two agents@2025-08-15", "--json",
    )  # fmt: skip
    assert code == 0, err
    plan = json.loads(out)
    assert plan["gap"] == "dimension:reliability" and plan["status"] == "planned"
    assert plan["tasks"][0] == {
        "id": 1, "title": "Hire two agents", "due_on": "2025-08-15", "status": "open",
        "assignee": None, "done_on": None,
    }  # fmt: skip
    code, out, err = cli("--db", db, "actions", "update", "1", "--status", "active",
                         "--task-status", "1=done")  # fmt: skip
    assert code == 0, err
    assert "status: active" in out and "done" in out
    code, out, _ = cli("--db", db, "actions", "list")
    assert "Call-backs within a day" in out and "1/1" in out
    code, out, err = cli("--db", db, "actions", "effect", "1", "--json")
    assert code == 0, err
    effect = json.loads(out)
    assert effect["start_wave"] == "W4"
    assert effect["effect"]["ci_low"] > 0 and effect["effect"]["inference"] == "cells"
    assert effect["power"]["min_detectable_effect"] > 0
    code, out, err = cli("--db", db, "actions", "effect", "1")
    assert code == 0, err
    assert "difference-in-differences" in out and "warning" in out


def test_mistakes_get_a_message_not_a_traceback(
    cli: Cli, engine: Engine, mini: Instrument, tmp_path: Path
) -> None:
    db = str(tmp_path / "test.db")
    code, _, err = cli(
        "--db", db, "actions", "create", "--title", "x", "--survey", "s", "--gap",
        "dimension:reliability", "--owner", "o@example.org", "--starts-on", "2025-13-01",
    )  # fmt: skip
    assert code == 2 and "--starts-on '2025-13-01' is not a date; allowed: YYYY-MM-DD" in err
    code, _, err = cli("--db", db, "actions", "show", "42")
    assert code == 4 and "action plan 42 does not exist" in err
    code, _, err = cli("--db", db, "actions", "update", "42", "--task-status", "first=done")
    assert code == 2 and "allowed: TASK_ID=STATUS" in err
    path = tmp_path / "complaints.csv"
    path.write_text("channel,received_at\nfax,2026-01-01\n", encoding="utf-8")
    code, _, err = cli("--db", db, "lifecycle", "import", str(path), "--kind", "complaints")
    assert code == 3 and "row 2, column 'channel': 'fax' is not allowed" in err
    assert "Traceback" not in err
    code, _, err = cli("--db", db, "lifecycle", "import", str(path), "--kind", "churn")
    assert code == 2 and "--kind 'churn' is not allowed" in err
    path.write_text("channel,received_at\nhotline,2026-01-01\n", encoding="utf-8")
    code, out, err = cli("--db", db, "lifecycle", "import", str(path), "--kind", "complaints",
                         "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == {"kind": "complaints", "rows": 1, "customers_created": 0}
