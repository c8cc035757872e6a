"""A user's mistake on the command line ends in one message and an exit code, checked
before any work; messages read as English; every change lands in the audit log."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from cxgap.store.accounts import AuditEvent
from cxgap.store.database import get_engine, transaction
from cxgap.store.models import Customer

DATA = Path(__file__).parent / "data"
Cli = Callable[..., tuple[int, str, str]]
ANSWERS = "respondent_id,rel1_adequate,rel1_desired,rel1_perceived\na,3,8,7\nb,4,9,12\n"


@pytest.fixture
def imported(cli: Cli, tmp_path: Path) -> Path:
    """A database with survey w1 (instrument mini): one accepted and one rejected row."""
    db = tmp_path / "m.db"
    answers = tmp_path / "answers.csv"
    answers.write_text(ANSWERS, encoding="utf-8")
    code, _, err = cli(
        "--db", db, "import", answers, "--survey", "w1", "--instrument", DATA / "mini.yaml"
    )
    assert code == 0, err
    return db


def _refused(result: tuple[int, str, str], code: int, *needles: str) -> None:
    exit_code, _, err = result
    assert exit_code == code, err
    assert "Traceback" not in err and err.startswith("error:")
    for needle in needles:
        assert needle in err, err


def test_output_folder_that_does_not_exist_is_refused_before_any_work(
    cli: Cli, imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing-dir"

    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("the command started its work before checking --out")

    monkeypatch.setattr("cxgap.services.response_browser.responses_frame", no_work)
    monkeypatch.setattr("cxgap.reports.build_report", no_work)
    for args in (
        ("export", "--survey", "w1", "--out", missing / "a.parquet"),
        ("report", "--survey", "w1", "--out", missing / "r.html"),
        ("imports", "quarantine", "1", "--out", missing / "q.csv"),
        ("analyze", "--survey", "w1", "--json", missing / "a.json"),
        ("index", "--survey", "w1", "--bootstrap", "100", "--json", missing / "i.json"),
        ("customers", "export", "c1", "--out", missing / "c.json"),
        (
            "invitations",
            "create",
            "--survey",
            "w1",
            "--unassigned",
            "1",
            "--out",
            missing / "l.csv",
        ),
    ):
        _refused(cli("--db", imported, *args), 2, f"the folder {missing} does not exist")
    assert not missing.exists()


def test_report_refuses_unknown_suffix_accepts_any_case_language_and_checks_the_survey_first(
    cli: Cli, imported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refused(
        cli("--db", imported, "report", "--survey", "w1", "--out", tmp_path / "r.docx"),
        2,
        "cannot write .docx; use one of .html, .htm, .pdf",
    )
    assert not (tmp_path / "r.docx").exists()
    _refused(
        cli("--db", imported, "export", "--survey", "w1", "--out", tmp_path / "r.docx"),
        2,
        "cannot write .docx; use one of .csv, .xlsx, .parquet",
    )
    _refused(
        cli("--db", imported, "instruments", "show", "mini", "--lang", "de"),
        2,
        "--lang 'de' is not a language of cxgap; use one of en, zh, fa",
    )
    code, out, err = cli("instruments", "show", "servqual-zot", "--lang", "ZH")
    assert code == 0 and "服务质量" in out, err

    calls: list[str] = []

    def no_analysis(*args: object, **kwargs: object) -> None:
        calls.append("build_report")
        raise AssertionError("analysis started for a survey that does not exist")

    monkeypatch.setattr("cxgap.reports.build_report", no_analysis)
    _refused(
        cli("--db", imported, "report", "--survey", "nope", "--out", tmp_path / "r.html"),
        4,
        "survey 'nope' does not exist; existing surveys: w1",
    )
    _refused(
        cli(
            "--db",
            imported,
            "report",
            "--survey",
            "w1",
            "--compare",
            "w0",
            "--lang",
            "EN",
            "--out",
            tmp_path / "r.html",
        ),
        4,
        "survey 'w0' does not exist",
    )
    assert calls == []


def test_invitations_for_all_customers_twice_need_again_and_skip_other_audiences(
    cli: Cli, tmp_path: Path
) -> None:
    from cxgap.services.customers import upsert_customers

    db = tmp_path / "inv.db"
    assert cli("--db", db, "surveys", "create", "cx", "--instrument", "servqual-zot")[0] == 0
    assert (
        cli("--db", db, "surveys", "create", "mgmt", "--instrument", "servqual-management")[0] == 0
    )
    with transaction(get_engine(str(db))) as session:
        upsert_customers(session, {"C1": {}, "C2": {}, "M1": {}})
    code, out, err = cli(
        "--db", db, "invitations", "create", "--survey", "mgmt", "--customers", _ids(tmp_path, "M1")
    )
    assert code == 0 and "1 link," in out, err
    code, out, err = cli("--db", db, "invitations", "create", "--survey", "cx", "--all")
    assert code == 0, err
    assert "C1  " in out and "C2  " in out and "M1  " not in out and "2 links," in out
    _refused(
        cli("--db", db, "invitations", "create", "--survey", "cx", "--all"),
        5,
        "2 of the 2 customers already have a link to survey 'cx' (e.g. C1, C2)",
        "--again",
    )
    code, out, err = cli("--db", db, "invitations", "create", "--survey", "cx", "--all", "--again")
    assert code == 0 and "2 links," in out, err
    _refused(
        cli("--db", db, "invitations", "create", "--survey", "cx", "--all", "--lang", "de"),
        2,
        "--lang 'de' is not a language of cxgap",
    )
    code, out, err = cli(
        "--db", db, "invitations", "create", "--survey", "cx", "--unassigned", "1", "--lang", "FA"
    )
    assert code == 0 and "1 link," in out, err
    with transaction(get_engine(str(db))) as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("invitations.create") == 4
    assert actions.count("survey.create") == 2


def _ids(folder: Path, *ids: str) -> Path:
    path = folder / "ids.txt"
    path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    return path


def test_quarantine_reason_names_the_column_once_and_counts_read_as_english(
    cli: Cli, imported: Path, tmp_path: Path
) -> None:
    code, out, _ = cli("--db", imported, "imports", "quarantine", "1")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("row 3"))
    assert line.startswith("row 3, column rel1_perceived: ") and line.count("rel1_perceived") == 1
    code, out, _ = cli("--db", imported, "export", "--survey", "w1", "--out", tmp_path / "o.csv")
    assert code == 0 and "1 response written" in out
    code, out, _ = cli("--db", imported, "imports", "quarantine", "1", "--out", tmp_path / "q.csv")
    assert code == 0 and "1 rejected row written" in out


def test_invitation_language_outside_the_survey_reads_well(cli: Cli, imported: Path) -> None:
    from cxgap.errors import ValidationError
    from cxgap.services.collection import create_invitations

    engine = get_engine(str(imported))
    with pytest.raises(ValidationError) as caught:
        create_invitations(engine, b"s" * 32, "w1", unassigned=1, language="de")
    assert "is not one of the languages of survey 'w1'" in caught.value.message
    assert "''s" not in caught.value.message


def test_users_without_a_terminal_are_told_about_password_stdin_and_last_login_is_short(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    db = tmp_path / "u.db"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cli("--db", db, "users", "create", "a@example.org", "--role", "viewer")
    _refused(result, 3, "no terminal to ask for the password: give --password-stdin")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough passphrase 7\n"))
    create = "users create a@example.org --role viewer --language ZH --password-stdin"
    code, _, err = cli("--db", db, *create.split())
    assert code == 0, err
    from cxgap.services.accounts import authenticate

    with transaction(get_engine(str(db))) as session:
        user = authenticate(session, "a@example.org", "a long enough passphrase 7")
        assert user.language == "zh"
    code, out, _ = cli("--db", db, "users", "list")
    assert code == 0
    row = next(x for x in out.splitlines() if "a@example.org" in x)
    when = row.split("│")[-2].strip()
    assert len(when) == len("2026-01-01 10:00 UTC") and when.endswith(" UTC"), row
    assert cli("--db", db, "users", "set-role", "a@example.org", "analyst")[0] == 0
    with transaction(get_engine(str(db))) as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.create", "user.role"]


def test_imports_exports_and_surveys_are_audited(cli: Cli, imported: Path, tmp_path: Path) -> None:
    assert cli("--db", imported, "export", "--survey", "w1", "--out", tmp_path / "o.xlsx")[0] == 0
    code, out, _ = cli("--db", imported, "audit")
    assert code == 0
    with transaction(get_engine(str(imported))) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["survey.create", "responses.import", "responses.export"]
    assert all(e.actor.startswith("cli:") for e in events)
    assert events[1].details == {
        "batch": 1,
        "file": "answers.csv",
        "accepted": 1,
        "rejected": 1,
        "duplicates": 0,
    }
    assert "responses.import" in out and "responses.export" in out


def test_demo_load_and_erasure_are_audited(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    code, _, err = cli("--db", db, "demo", "--customers", "100")
    assert code == 0, err
    with transaction(get_engine(str(db))) as session:
        customer = session.scalar(select(Customer.external_id).order_by(Customer.id))
    assert customer is not None
    code, _, err = cli("--db", db, "customers", "erase", customer, "--yes")
    assert code == 0, err
    code, out, _ = cli("--db", db, "audit")
    assert code == 0
    with transaction(get_engine(str(db))) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    # the demo's closed loop: its staff's agent accounts (active, without a password), the
    # sweep and case openings, then its own entry; its staff; then its two action plans
    # (created and made active) with their owner account (also without a password)
    actions = [e.action for e in events]
    staff = 8
    plans = ["user.create"] + ["action_plan.create", "action_plan.update"] * 2
    assert actions[0] == "demo.load"
    assert actions[1 : 1 + staff] == ["user.create"] * staff
    tail = ["demo.recovery", "demo.staff", *plans, "customer.erase"]
    assert actions[-len(tail) :] == tail
    assert set(actions[1 + staff : -len(tail)]) == {"case.open", "cases.sweep"}
    recovery = events[actions.index("demo.recovery")]
    assert actions.count("case.open") == recovery.details["cases"] > 0
    assert events[0].details == {
        "seed": 7,
        "customers": 100,
        "responses": 280,
        "anchor": "2027-01-01",  # the tests' CXGAP_DEMO_ANCHOR
        "staff_responses": 84,
    }
    assert "demo.load" in out and "customer.erase" in out
