"""``cxgap cases`` and ``cxgap notify`` through the real command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.services.cases_world import CALENDAR, RULES, build_template, copy_of, scalar

Cli = Callable[..., tuple[int, str, str]]

MINIMAL = """\
timezone: Europe/Berlin          # IANA name; times are local to it
hours:                           # weekdays mon..sun; a day not listed is closed
  mon: ["09:00-12:30", "13:30-17:00"]
  fri: ["09:00-15:00"]
holidays: [2026-12-25, 2027-01-01]
"""


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Friday 14:00 + 90: 60 on Friday, 30 on Monday morning.
        ("2026-12-04T14:00", 90, "2026-12-07T09:30:00+01:00"),
        # The same start given in UTC.
        ("2026-12-04T13:00:00+00:00", 90, "2026-12-07T09:30:00+01:00"),
        # Monday 12:00 + 60 across the lunch break.
        ("2026-12-07T12:00", 60, "2026-12-07T14:00:00+01:00"),
        # Friday 25 December is a holiday: Thursday 24th + 30 -> Monday 28th.
        ("2026-12-24T10:00", 30, "2026-12-28T09:30:00+01:00"),
        # Friday 27 March 2026 14:30 CET + 60: Monday 30 March after the change to CEST.
        ("2026-03-27T14:30", 60, "2026-03-30T09:30:00+02:00"),
        # Zero minutes at night: the next opening.
        ("2026-12-07T22:00", 0, "2026-12-11T09:00:00+01:00"),
    ],
)
def test_due_prints_iso_time_with_offset(
    cli: Cli, minimal: Path, start: str, minutes: int, due: str
) -> None:
    code, out, err = cli(
        "cases", "due", "--calendar", minimal, "--from", start, "--minutes", minutes
    )
    assert (code, err) == (0, "")
    assert out.strip() == due


def test_validate_commands(cli: Cli, minimal: Path) -> None:
    code, out, _ = cli("cases", "calendar", "validate", minimal)
    assert code == 0 and "valid calendar" in out and "Europe/Berlin" in out
    code, out, _ = cli("cases", "rules", "validate", RULES)
    assert code == 0 and "detractors (nps_detractor, high)" in out
    code, out, _ = cli("cases", "calendar", "validate", CALENDAR)
    assert code == 0


def test_mistakes_give_a_message_and_an_exit_code(cli: Cli, tmp_path: Path, minimal: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: Europe/Berlin\nhours:\n  mon: ['17:00-09:00']\n", encoding="utf-8")
    code, out, err = cli("cases", "calendar", "validate", bad)
    assert code == 3
    assert "bad.yaml: hours.mon[0]" in err and "Traceback" not in err + out
    code, _, err = cli(
        "cases", "due", "--calendar", minimal, "--from", "yesterday", "--minutes", "5"
    )
    assert code == 3 and "--from 'yesterday'" in err
    code, _, err = cli(
        "cases",
        "due",
        "--calendar",
        tmp_path / "none.yaml",
        "--from",
        "2026-12-04T10:00",
        "--minutes",
        "5",
    )
    assert code == 3 and "no such calendar file" in err
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"calendar: {minimal.name}\nrules:\n  - {{name: x, when: nps_fan}}\n")
    code, _, err = cli("cases", "rules", "validate", rules)
    assert code == 3 and "rules[0].when: 'nps_fan' is not a condition" in err


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("cli-demo"), customers=200)


def test_sweep_work_and_conflicts(cli: Cli, template: Path, tmp_path: Path) -> None:
    engine = copy_of(template, tmp_path)
    db = str(engine.url.database)
    code, out, err = cli("--db", db, "cases", "sweep", "--rules", RULES, "--json")
    assert code == 0, err
    first = json.loads(out)
    detractors = scalar(
        engine,
        "select count(distinct r.customer_id) from responses r join answers a on "
        "a.response_id = r.id join surveys s on s.id = r.survey_id where s.key = "
        "'heating-2026q4' and a.item_id = 'nps' and a.score <= 6 and r.customer_id is not null",
    )
    assert scalar(engine, "select count(*) from cases where rule = 'detractors'") == detractors
    assert first["opened"] == scalar(engine, "select count(*) from cases")
    code, out, _ = cli("--db", db, "cases", "sweep", "--rules", RULES, "--json")
    assert json.loads(out)["opened"] == 0
    code, out, _ = cli("--db", db, "cases", "list", "--open", "--json", "--limit", "3")
    listed = json.loads(out)
    assert listed["total"] == first["opened"] and len(listed["items"]) == 3
    dues = [c["resolution_due_at"] for c in listed["items"] if c["resolution_due_at"]]
    assert dues == sorted(dues)
    case = listed["items"][0]["id"]
    code, out, err = cli(
        "--db",
        db,
        "cases",
        "note",
        case,
        "Called, left a message",
        "--contact",
        "--if-version",
        "1",
    )
    assert code == 0, err
    code, out, err = cli(
        "--db", db, "cases", "assign", case, "--owner", "dara@example.org", "--if-version", "1"
    )
    assert code == 5
    assert "changed by someone else" in err and "Traceback" not in err
    code, out, _ = cli("--db", db, "cases", "resolve", case, "--action", "Refund", "--apology")
    assert code == 0 and "resolved" in out
    code, out, _ = cli("--db", db, "cases", "show", case, "--json")
    shown = json.loads(out)
    assert shown["state"] == "resolved" and shown["apology"] is True
    assert [e["kind"] for e in shown["events"]][:2] == ["opened", "contact"]
    assert shown["owner"] != "dara@example.org"
    code, _, err = cli("--db", db, "cases", "show", "999999")
    assert code == 4 and "no case 999999" in err
    code, out, err = cli(
        "--db", db, "cases", "follow-up", "--survey", "heating-2026q4", "--days", "30", "--json"
    )
    assert code == 0, err
    invited = json.loads(out)
    assert invited["cases"] == [case] and invited["links"][0]["url"].startswith("http")
    code, out, _ = cli("--db", db, "cases", "stats", "--json")
    stats = json.loads(out)
    assert code == 0 and stats["cases"] == first["opened"]
    assert stats["sla_compliance"]["cases"] == 1  # the one resolved case
    assert stats["holdout"] is None  # no answers after the cases were opened
    code, out, _ = cli("--db", db, "cases", "board", "--json")
    board = json.loads(out)
    assert code == 0 and {k: board[k] for k in ("quarter", "people", "teams")} == {
        "quarter": None,
        "people": [],
        "teams": [],
    }
    assert board["delight"]["score_from"] == 9 and board["delight"]["days"] == 14
    code, _, err = cli("--db", db, "cases", "board", "--quarter", "Q4")
    assert code == 3 and "YYYYQn" in err
    code, out, _ = cli("--db", db, "cases", "stats")
    assert code == 0 and "calling back (contacted - held out): not enough data" in out
    code, out, _ = cli("--db", db, "notify", "deliver", "--json")
    delivered = json.loads(out)
    # No SMTP server configured: in-app messages are delivered, e-mails wait.
    assert delivered["sent"] > 0 and delivered["waiting"] == delivered["sent"]
