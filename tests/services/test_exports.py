"""Files the command line writes (exports, quarantine, invitation links) open safely in a
spreadsheet: text cells never run as formulas, numbers stay numbers, and stored control
characters never stop an export."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, select
from tests.databases import database_option
from tests.hostile import (
    COMMENTS,
    NPS,
    REGIONS,
    sheet_xml,
    store_hostile_responses,
    stored_comment,
)

from cxgap.store.database import transaction
from cxgap.store.models import Customer, ImportBatch, QuarantinedRow, Survey

Cli = Callable[..., tuple[int, str, str]]


def expected_comment(key: str) -> str:
    """What the export must hold for a stored comment: quoted when it could run."""
    comment = COMMENTS[key].replace("\x00", "\ufffd")
    return comment if key == "r6" else "'" + comment


@pytest.fixture
def export(cli: Cli, engine: Engine, mini_survey: str, tmp_path: Path) -> Callable[[str], Path]:
    """Store the hostile responses; ``export(".csv")`` runs ``cxgap export`` to that type."""
    store_hostile_responses(engine, mini_survey)

    def run(suffix: str) -> Path:
        out = tmp_path / f"answers{suffix}"
        db = database_option(engine)
        code, _, err = cli("--db", db, "export", "--survey", mini_survey, "--out", out)
        assert code == 0, err  # the stored NUL does not stop the export
        assert "Traceback" not in err
        return out

    return run


def test_csv_export_quotes_formula_text_and_keeps_numbers(export: Callable[[str], Path]) -> None:
    out = export(".csv")
    with out.open(encoding="utf-8", newline="") as handle:
        rows = {row["respondent_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(COMMENTS)
    for key, row in rows.items():
        assert row["comment"] == expected_comment(key)
        assert row["nps"] == str(NPS[key])  # a plain number, not quoted text
        if key in REGIONS:
            assert row["region"] == "'" + REGIONS[key]
            assert row["gender"] == "'-"
    numbers = pd.read_csv(out)["nps"]
    assert numbers.dtype.kind == "i"


def test_xlsx_export_has_text_cells_numbers_and_no_formulas(export: Callable[[str], Path]) -> None:
    out = export(".xlsx")
    assert "<f>" not in sheet_xml(out.read_bytes())
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    cells = list(sheet.iter_rows())
    header = [c.value for c in cells[0]]
    rows = {r[header.index("respondent_id")].value: r for r in cells[1:]}
    assert set(rows) == set(COMMENTS)
    for key, row in rows.items():
        comment = row[header.index("comment")]
        assert comment.data_type == "s" and comment.value == expected_comment(key)
        nps = row[header.index("nps")]
        assert nps.data_type == "n" and nps.value == NPS[key]
        if key in REGIONS:
            region = row[header.index("region")]
            assert region.data_type == "s" and region.value == "'" + REGIONS[key]


def test_parquet_export_keeps_the_text_as_stored(
    export: Callable[[str], Path], engine: Engine
) -> None:
    out = export(".parquet")
    table = pd.read_parquet(out).set_index("respondent_id")
    assert table.loc["r1", "comment"] == COMMENTS["r1"]
    assert table.loc["r6", "comment"] == stored_comment(engine, "r6")


def test_quarantine_csv_quotes_formula_text(
    cli: Cli, engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    with transaction(engine) as session:
        survey_id = session.scalar(select(Survey.id).where(Survey.key == mini_survey))
        assert survey_id is not None
        batch = ImportBatch(
            survey_id=survey_id,
            file_name="in.csv",
            file_sha256="0" * 64,
            file_format="csv",
            layout="wide",
            rows_total=1,
            rejected=1,
        )
        session.add(batch)
        session.flush()
        session.add(
            QuarantinedRow(
                batch_id=batch.id,
                file_name="in.csv",
                row_number=7,
                column="=HYPERLINK(A1)",
                reason="-value\x1b[31m is not a number",
                raw={"nps": "=1+2"},
            )
        )
        batch_id = batch.id
    out = tmp_path / "quarantine.csv"
    db = database_option(engine)
    code, _, err = cli("--db", db, "imports", "quarantine", str(batch_id), "--out", out)
    assert code == 0, err
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "column", "reason", "cells"]
    assert rows[1][:3] == ["7", "'=HYPERLINK(A1)", "'-value\ufffd[31m is not a number"]


def test_invitation_links_csv_quotes_formula_customer_ids(
    cli: Cli, engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    with transaction(engine) as session:
        session.add(Customer(external_id="@SUM(1+1)*cmd"))
        session.add(Customer(external_id="plain-id"))
    out = tmp_path / "links.csv"
    db = database_option(engine)
    code, _, err = cli(
        "--db", db, "invitations", "create", "--survey", mini_survey, "--all", "--out", out
    )
    assert code == 0, err
    with out.open(encoding="utf-8", newline="") as handle:
        customers = sorted(row["customer"] for row in csv.DictReader(handle))
    assert customers == ["'@SUM(1+1)*cmd", "plain-id"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_quoted_export_imports_again_unchanged(
    export: Callable[[str], Path], cli: Cli, engine: Engine, suffix: str
) -> None:
    """The quote that keeps a cell text in a spreadsheet is taken off again on import."""
    from tests.conftest import DATA

    from cxgap.instruments import load_instrument
    from cxgap.services.imports import import_file
    from cxgap.services.surveys import create_survey
    from cxgap.store.models import Answer, Response

    out = export(suffix)
    with transaction(engine) as session:
        create_survey(session, "again", instrument=load_instrument(DATA / "mini.yaml"), wave="W2")
    import_file(engine, out, survey="again")
    with transaction(engine) as session:
        stored = dict(
            session.execute(
                select(Response.respondent_key, Answer.text)
                .join(Answer, Answer.response_id == Response.id)
                .join(Survey, Survey.id == Response.survey_id)
                .where(Survey.key == "again", Answer.text.is_not(None))
            ).all()
        )
    # r6 holds a NUL (replaced on export); import trims surrounding white space
    expected = {k: v.strip() for k, v in COMMENTS.items() if k != "r6"}
    assert {k: stored.get(k) for k in expected} == expected
