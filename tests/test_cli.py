"""The real ``cxgap`` command on real files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data"
Cli = Callable[..., tuple[int, str, str]]


def test_import_export_and_list(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    csv = tmp_path / "answers.csv"
    csv.write_text(
        "respondent_id,rel1_adequate,rel1_desired,rel1_perceived,nps\na,3,8,7,9\nb,4,9,12,10\n",
        encoding="utf-8",
    )
    code, out, _ = cli(
        "--db", db, "import", csv, "--survey", "w1", "--instrument", DATA / "mini.yaml"
    )
    assert code == 0
    assert "encoding utf-8 (detected)" in out
    assert "row 3, column rel1_perceived" in out and "outside scale 'nine'" in out
    code, out, _ = cli("--db", db, "surveys", "list")
    assert code == 0 and "w1" in out and "mini v1" in out
    code, out, _ = cli("--db", db, "export", "--survey", "w1", "--out", tmp_path / "o.parquet")
    assert code == 0 and "1 response written" in out
    assert (tmp_path / "o.parquet").stat().st_size > 0


def test_user_mistakes_give_a_message_and_exit_code(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    code, _, err = cli("--db", db, "import", tmp_path / "none.csv", "--survey", "nope")
    assert code == 4 and "survey 'nope' does not exist" in err
    assert "Traceback" not in err
    code, _, err = cli("--db", db, "export", "--survey", "nope", "--out", tmp_path / "x.txt")
    assert code != 0 and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nversion: 1\ntitle: {en: X}\nitems: []\nlanguages: [en]\n"
        "dimensions:\n  - {id: reliability, label: {en: R}}\n",
        encoding="utf-8",
    )
    code, out, err = cli("instruments", "validate", bad)
    assert code == 0 and "valid instrument 'x'" in out
    bad.write_text(
        "id: x\nversion: 1\ntitle: {en: X}\nlanguages: [en, fa]\nitems:\n"
        "  - {id: q1, format: rating, scale: s, dimension: reliabilty, "
        "text: {en: Q}}\n",
        encoding="utf-8",
    )
    code, _, err = cli("instruments", "validate", bad)
    assert code == 3
    assert "missing translation for fa" in err and "unknown dimension 'reliabilty'" in err
    code, _, err = cli("--db", str(tmp_path / "no" / "such" / "dir.db"), "init")
    assert code == 2 and "does not exist" in err


def test_installed_command_runs_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cxgap",
            "--db",
            str(tmp_path / "x.db"),
            "import",
            str(tmp_path / "missing.csv"),
            "--survey",
            "s",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 4
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_library_commands(cli: Cli) -> None:
    code, out, _ = cli("instruments", "list")
    assert code == 0 and "servqual-zot" in out and "heating-cx" in out
    code, out, _ = cli("instruments", "show", "servqual-zot", "--lang", "zh")
    assert code == 0 and "rel1_adequate" in out


def test_start_loads_the_demo_once_and_reports_findings(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "start.db"
    code, out, err = cli("--db", db, "start")
    assert code == 0, err
    assert "loaded the demo organisation" in out and "heating-2026q4" in out
    assert "Problems put right (Reliability) is delivered below the adequate level" in out
    assert (tmp_path / "start.db.truths.json").is_file()
    assert "dashboard sign-in (shown once): admin@cxgap.demo / " in out
    password = out.split("admin@cxgap.demo / ")[1].split()[0]
    from cxgap.services.accounts import authenticate
    from cxgap.store.database import get_engine, transaction

    with transaction(get_engine(str(db))) as session:
        assert authenticate(session, "admin@cxgap.demo", password).role == "admin"
    code, out, _ = cli("--db", db, "start")
    assert code == 0 and "loaded the demo organisation" not in out
    assert "dashboard sign-in" not in out


def test_imports_list_and_quarantine(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    csv_path = tmp_path / "answers.csv"
    csv_path.write_text(
        "respondent_id,rel1_adequate,rel1_desired,rel1_perceived\na,3,8,7\nb,4,9,12\n",
        encoding="utf-8",
    )
    cli("--db", db, "import", csv_path, "--survey", "w1", "--instrument", DATA / "mini.yaml")
    code, out, _ = cli("--db", db, "imports", "list")
    assert code == 0 and "answers.csv" in out and "w1" in out
    code, out, _ = cli("--db", db, "imports", "quarantine", "1")
    assert code == 0 and "row 3, column rel1_perceived" in out
    code, out, _ = cli("--db", db, "imports", "quarantine", "1", "--out", tmp_path / "q.csv")
    text = (tmp_path / "q.csv").read_text(encoding="utf-8")
    assert "row,column,reason,cells" in text and "outside scale" in text and '"12"' in text
    code, _, err = cli("--db", db, "imports", "quarantine", "9")
    assert code == 4 and "import batch 9 does not exist" in err


def test_names_on_the_command_line_refuse_control_characters(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "names.db"
    assert cli("--db", db, "init")[0] == 0
    code, _, err = cli(
        "--db", db, "surveys", "create", "s1", "--instrument", "servqual-ep", "--name", "Q\x1b[2J"
    )
    assert code == 3 and "U+001B (ESCAPE)" in err and "Traceback" not in err
    code, out, _ = cli("--db", db, "surveys", "list")
    assert "s1" not in out
    code, _, err = cli(
        "--db",
        db,
        "users",
        "create",
        "a@example.org",
        "--role",
        "viewer",
        "--name",
        "Eve\x07",
        "--password-stdin",
    )
    assert code == 3 and "U+0007" in err
