"""Cases on the demo organisation: rules, the sweep, states and SLA clocks, version
conflicts, escalation, hold-out, and the rules file's checks."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.services.cases_world import RULES, scalar

from cxgap.calendars import due_time, parse_calendar
from cxgap.errors import ConflictError, ValidationError
from cxgap.services.accounts import user_id_of
from cxgap.services.cases.config import RulesError, load_rules, parse_rules
from cxgap.services.cases.sweep import in_holdout, sweep
from cxgap.services.cases.work import (
    CaseChange,
    case_detail,
    create_case,
    list_cases,
    update_case,
)
from cxgap.services.outbox import inbox

LATEST = "heating-2026q4"


def _detractors(engine: Engine) -> int:
    return int(
        scalar(  # type: ignore[arg-type]
            engine,
            "select count(distinct r.customer_id) from responses r "
            "join answers a on a.response_id = r.id join surveys s on s.id = r.survey_id "
            "where s.key = ? and a.item_id = 'nps' and a.score <= 6 "
            "and r.customer_id is not null",
            LATEST,
        )
    )


def test_rules_open_one_case_per_detractor_and_none_twice(demo: Engine) -> None:
    rules = load_rules(RULES)
    first = sweep(demo, rules, actor="test")
    detractors = _detractors(demo)
    assert detractors > 10
    opened = scalar(demo, "select count(*) from cases where rule = 'detractors'")
    assert opened == detractors
    # One open case per customer and cause, whatever the rules found.
    assert scalar(demo, "select count(*) - count(distinct open_key) from cases") == 0
    second = sweep(demo, rules, actor="test")
    assert (second.opened, second.added) == (0, 0)
    assert scalar(demo, "select count(*) from cases") == first.opened
    # Every opened case of a rule with an SLA got its due times.
    assert (
        scalar(
            demo,
            "select count(*) from cases where rule = 'detractors' and "
            "(resolution_due_at is null or owner_id is null)",
        )
        == 0
    )


def test_a_new_signal_joins_the_open_case(demo: Engine) -> None:
    from cxgap.services.feedback import record_feedback

    rules = load_rules(RULES)
    sweep(demo, rules, actor="test")
    case_id, customer = next(
        (c.id, c.customer) for c in list_cases(demo, limit=500)[0] if c.cause == "feedback"
    )
    record_feedback(
        demo,
        channel="hotline",
        language="en",
        text="Still no heating",
        customer=customer,
        actor="test",
    )
    result = sweep(demo, rules, actor="test")
    assert (result.opened, result.added) == (0, 1)
    detail = case_detail(demo, case_id)
    assert detail.case.signals == 2
    assert [e.kind for e in detail.events][-1] == "signal"
    assert any(f["text"] == "Still no heating" for f in detail.feedback)


def test_concurrent_updates_one_wins_the_other_gets_a_conflict(demo: Engine) -> None:
    case = create_case(demo, customer="C00001", cause="complaint", priority="normal", actor="t")
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def edit(who: str) -> None:
        barrier.wait()
        try:
            results[who] = update_case(
                demo,
                case.id,
                version=case.version,
                change=CaseChange(note=f"note by {who}"),
                actor=who,
            )
        except ConflictError as exc:
            results[who] = exc

    threads = [threading.Thread(target=edit, args=(w,)) for w in ("ana", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [w for w, r in results.items() if isinstance(r, ConflictError)]
    assert len(conflicts) == 1
    winner = ({"ana", "ben"} - set(conflicts)).pop()
    assert "changed by someone else" in str(results[conflicts[0]])
    notes = [e.text for e in case_detail(demo, case.id).events if e.kind == "note"]
    assert notes == [f"note by {winner}"]
    assert case_detail(demo, case.id).case.version == 2
    # The loser reloads and makes the change again: nothing is lost.
    update_case(demo, case.id, version=2, change=CaseChange(note="again"), actor=conflicts[0])
    assert [e.text for e in case_detail(demo, case.id).events if e.kind == "note"] == [
        f"note by {winner}",
        "again",
    ]


def test_states_pause_and_reopen_move_the_due_time(demo: Engine) -> None:
    rules = load_rules(RULES)
    case = create_case(
        demo,
        customer="C00002",
        cause="complaint",
        priority="high",
        actor="t",
        rules=rules,
        owner="ana@example.org",
    )
    calendar = parse_calendar(rules.calendar_data)
    assert case.resolution_due_at == due_time(calendar, case.created_at, 960)
    assert case.first_response_due_at == due_time(calendar, case.created_at, 120)
    waiting = update_case(
        demo, case.id, version=1, actor="t", change=CaseChange(state="waiting_on_customer")
    )
    assert waiting.resolution_due_at is None  # the clock stands still
    assert waiting.acknowledged_at is not None
    back = update_case(demo, case.id, version=2, actor="t", change=CaseChange(state="in_progress"))
    assert back.resolution_due_at is not None and back.resolution_due_at >= case.resolution_due_at
    resolved = update_case(
        demo,
        case.id,
        version=3,
        actor="t",
        change=CaseChange(
            state="resolved", recovery_action="Engineer visit", apology=True, cause_code="late"
        ),
    )
    assert (resolved.state, resolved.apology, resolved.recovery_action) == (
        "resolved",
        True,
        "Engineer visit",
    )
    with pytest.raises(ValidationError, match="can move to"):
        update_case(demo, case.id, version=4, actor="t", change=CaseChange(state="acknowledged"))
    reopened = update_case(
        demo, case.id, version=4, actor="t", change=CaseChange(state="in_progress")
    )
    assert reopened.state == "in_progress"
    kinds = [e.kind for e in case_detail(demo, case.id).events]
    assert kinds[0] == "opened" and "reopened" in kinds
    closed = update_case(demo, case.id, version=5, actor="t", change=CaseChange(state="closed"))
    assert closed.closed_at is not None
    # Closed: the customer can have a new case for the same cause.
    create_case(demo, customer="C00002", cause="complaint", priority="low", actor="t")
    with pytest.raises(ConflictError, match="open case"):
        create_case(demo, customer="C00002", cause="complaint", priority="low", actor="t")


def test_owner_is_notified_in_app_and_by_email(demo: Engine) -> None:
    case = create_case(
        demo,
        customer="C00003",
        cause="complaint",
        priority="normal",
        actor="t",
        owner="ben@example.org",
    )
    messages = inbox(demo, user_id_of(demo, "ben@example.org"))
    assert [m.kind for m in messages] == ["case.assigned"]
    assert f"Case {case.id}" in messages[0].subject
    assert (
        scalar(
            demo,
            "select count(*) from outbox where channel = 'email' and recipient = 'ben@example.org'",
        )
        == 1
    )


def test_escalation_to_the_lead_then_the_manager_once_each(demo: Engine) -> None:
    rules = load_rules(RULES)
    case = create_case(
        demo,
        customer="C00004",
        cause="complaint",
        priority="high",
        actor="t",
        rules=rules,
        team="care",
        owner="chen@example.org",
    )
    calendar = parse_calendar(rules.calendar_data)
    near = due_time(calendar, case.created_at, 960 * 0.85)
    assert sweep(demo, rules, actor="t", at=near).escalated >= 1
    assert case_detail(demo, case.id).case.escalation == 1
    mine = f"Case {case.id} "

    def told(email: str) -> list[str]:
        return [
            m.subject
            for m in inbox(demo, user_id_of(demo, email), limit=1000)
            if m.subject.startswith(mine)
        ]

    assert told("lea@example.org") == [f"Case {case.id} is near its due time"]
    assert case.resolution_due_at is not None
    late = case.resolution_due_at + dt.timedelta(minutes=1)
    sweep(demo, rules, actor="t", at=late)
    sweep(demo, rules, actor="t", at=late)
    assert case_detail(demo, case.id).case.escalation == 2
    assert told("max@example.org") == [f"Case {case.id} is past its due time"]
    assert len(told("lea@example.org")) == 1


def test_holdout_share_and_no_contact(demo: Engine) -> None:
    rules = load_rules(RULES)
    sweep(demo, rules, actor="test")
    low = int(scalar(demo, "select count(*) from cases where priority = 'low'"))  # type: ignore[arg-type]
    held = int(scalar(demo, "select count(*) from cases where holdout"))  # type: ignore[arg-type]
    assert low > 30
    # Binomial(low, 0.2): within 4 standard deviations.
    sd = (low * 0.2 * 0.8) ** 0.5
    assert abs(held - 0.2 * low) < 4 * sd
    assert (
        scalar(
            demo,
            "select count(*) from cases where holdout and "
            "(owner_id is not null or resolution_due_at is not null)",
        )
        == 0
    )
    assert scalar(demo, "select count(*) from cases where holdout and priority != 'low'") == 0
    rule = next(r for r in rules.rules if r.priority == "low")
    # The assignment is a stable function of customer, cause and rule.
    assert in_holdout(rules, rule, 17, "x") == in_holdout(rules, rule, 17, "x")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rules": [{"name": "a", "when": "nps_fan", "item": "nps"}]}, "rules[0].when"),
        ({"rules": [{"name": "a", "when": "nps_detractor"}]}, "rules[0].item"),
        (
            {"rules": [{"name": "a", "when": "nps_detractor", "item": "nps", "colour": 1}]},
            "unknown key colour",
        ),
        (
            {"sla": [{"priority": "urgent", "first_response": 1, "resolution": 2}]},
            "sla[0].priority",
        ),
        ({"sla": [{"priority": "low", "first_response": 10, "resolution": 2}]}, "later than"),
        ({"assign": [{"team": "nobody"}]}, "assign[0].team"),
        ({"holdout": {"share": 1.5}}, "holdout.share"),
        ({"calendar": {"timezone": "UTC", "hours": {"mon": ["9-5"]}}}, "hours.mon[0]"),
    ],
)
def test_rules_files_name_the_field_in_error(change: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "calendar": {"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}},
        "rules": [{"name": "d", "when": "nps_detractor", "item": "nps"}],
    }
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules({**base, **change}, source="rules.yaml")


def test_rules_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n  {name: x\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"bad.yaml: line \d+"):
        load_rules(bad)
    with pytest.raises(RulesError, match="no such rules file"):
        load_rules(tmp_path / "missing.yaml")


def test_two_sweeps_at_once_open_each_case_once(demo: Engine) -> None:
    rules = load_rules(RULES)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(sweep(demo, rules, actor="cron"))
        except Exception as exc:  # a failed sweep is what this test looks for
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [r for r in results if isinstance(r, Exception)], results
    opened = sum(r.opened for r in results)  # type: ignore[attr-defined]
    assert opened == scalar(demo, "select count(*) from cases")
    assert scalar(demo, "select count(*) from cases where rule = 'detractors'") == _detractors(demo)
    assert (
        scalar(
            demo,
            "select count(*) - count(distinct rule || source_type || source_id) from case_signals",
        )
        == 0
    )


def test_follow_up_links_with_a_suppression_window(demo: Engine) -> None:
    from cxgap.services.cases.follow_up import follow_up

    secret = b"s" * 32
    ids = {}
    for customer in ("C00001", "C00002", "C00003"):
        ids[customer] = create_case(
            demo, customer=customer, cause="late", priority="low", actor="t"
        ).id
    for customer in ("C00001", "C00002"):
        update_case(demo, ids[customer], version=1, actor="t", change=CaseChange(state="resolved"))
    first = follow_up(demo, secret, survey=LATEST, days=30, actor="t")
    assert sorted(link.customer or "" for link in first.links) == ["C00001", "C00002"]
    assert sorted(first.cases) == sorted([ids["C00001"], ids["C00002"]])
    again = follow_up(demo, secret, survey=LATEST, days=30, actor="t")
    assert (again.links, again.cases) == ([], [])
    other = create_case(demo, customer="C00001", cause="billing", priority="low", actor="t")
    update_case(demo, other.id, version=1, actor="t", change=CaseChange(state="resolved"))
    suppressed = follow_up(demo, secret, survey=LATEST, days=30, actor="t")
    assert (suppressed.links, suppressed.suppressed) == ([], 1)
    assert scalar(demo, "select count(*) from invitations") == 2
    kinds = [e.kind for e in case_detail(demo, ids["C00001"]).events]
    assert kinds[-1] == "follow_up"
