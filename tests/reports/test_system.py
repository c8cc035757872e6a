"""What PDF reports need from the system: found without loading WeasyPrint, and named
with the command that installs it when `cxgap start` finds it missing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cxgap.reports.system import INSTALL_COMMAND, PDF_PACKAGES, missing_pdf_parts

ROOT = Path(__file__).resolve().parents[2]
Cli = Callable[..., tuple[int, str, str]]


def test_the_command_installs_the_packages_ci_installs() -> None:
    listed = (ROOT / ".ci" / "apt" / "reports.txt").read_text(encoding="utf-8")
    packages = {p for line in listed.splitlines() if not line.startswith("#") for p in line.split()}
    # poppler-utils is for looking at rendered pages, not for making them
    assert set(PDF_PACKAGES) == packages - {"poppler-utils"}
    assert INSTALL_COMMAND.split()[:3] == ["sudo", "apt-get", "install"]


def test_nothing_is_missing_on_a_machine_set_up_for_the_tests() -> None:
    assert missing_pdf_parts() == []


def test_start_names_what_is_missing_and_how_to_install_it(
    cli: Cli, engine: Engine, mini_survey: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(engine.url.database)
    code, out, _ = cli("--db", db, "start")
    assert code == 0 and "PDF reports need" not in out
    # a machine without fontconfig: nothing on the PATH provides fc-list
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert missing_pdf_parts() == ["fontconfig (fc-list)"]
    code, out, _ = cli("--db", db, "start")
    assert code == 0
    flat = " ".join(out.split())
    assert "PDF reports need system fonts and the Pango text libraries" in flat
    assert "missing here: fontconfig (fc-list)" in flat
    assert INSTALL_COMMAND in flat
