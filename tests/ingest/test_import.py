"""Import of real CSV, XLSX and Parquet files into a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from tests.databases import query

from cxgap.engine import responses_frame
from cxgap.errors import IngestError, NotFoundError
from cxgap.services.imports import import_file
from cxgap.services.response_browser import export_survey
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Customer, QuarantinedRow, Response

HEADER = (
    "respondent_id,gender,age_band,rel1_adequate,rel1_desired,rel1_perceived,"
    "emp1_expected,emp1_perceived,dis1,nps,kano_app_functional,kano_app_dysfunctional,"
    "importance_reliability,importance_empathy,comment"
)
GOOD = [
    "r1,female,18-34,3,8,7,6,5,4,9,1,3,60,40,fine",
    "r2,male,55+,4,9,9,7,7,5,10,2,5,50,50,",
    "r3,female,35-54,2,7,5,5,6,3,6,3,3,70,30,slow repair",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def count(engine: Engine, model: type) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_wide_csv_stores_every_format(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    summary = import_file(engine, write(tmp_path / "a.csv", [HEADER, *GOOD]), survey=mini_survey)
    assert (summary.accepted, summary.rejected, summary.duplicates) == (3, 0, 0)
    assert summary.encoding == "utf-8" and summary.layout == "wide"
    rel = query(
        engine,
        "select a.adequate, a.desired, a.perceived from answers a join responses r "
        "on r.id = a.response_id where r.respondent_key='r1' and a.item_id='rel1'",
    )
    assert rel == [(3.0, 8.0, 7.0)]
    kano = query(
        engine,
        "select functional, dysfunctional from answers where item_id='kano_app' "
        "order by response_id",
    )
    assert kano == [(1.0, 3.0), (2.0, 5.0), (3.0, 3.0)]
    points = query(
        engine,
        "select option, score from answers where item_id='importance' and response_id="
        "(select id from responses where respondent_key='r3') order by option",
    )
    assert points == [("empathy", 30.0), ("reliability", 70.0)]
    texts = query(engine, "select text from answers where item_id='comment' order by 1")
    assert texts == [("fine",), ("slow repair",)]  # r2 left it blank: no row
    genders = query(engine, "select external_id, gender, age_band from customers order by 1")
    assert genders == [("r1", "female", "18-34"), ("r2", "male", "55+"), ("r3", "female", "35-54")]


def test_rejected_rows_are_quarantined_with_reasons(
    engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        GOOD[0],
        "r4,male,18-34,12,8,7,6,5,4,9,1,3,60,40,",  # adequate off scale
        "r5,male,18-34,3,8,7,6,5,4,nine,1,3,60,40,",  # not a number
        "r6,male,18-34,3,8,7,6,5,4,9,1,3,60,30,",  # points sum to 90
        "r7,male,18-34,3,8",  # too few fields
        "r8,,,,,,,,,,,,,,",  # no answers
    ]
    summary = import_file(engine, write(tmp_path / "b.csv", lines), survey=mini_survey)
    assert (summary.rows, summary.accepted, summary.rejected) == (6, 1, 5)
    with transaction(engine) as session:
        rows = session.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row_number)).all()
        found = {(r.row_number, r.column): r.reason for r in rows}
    assert {n for n, _ in found} == {3, 4, 5, 6, 7}
    assert "outside scale 'nine'" in found[(3, "rel1_adequate")]
    assert "whole numbers 1..9" in found[(3, "rel1_adequate")]
    assert "'nine' is not a whole number 0..10" in found[(4, "nps")]
    assert "sum to 90" in found[(5, "importance_reliability")]
    assert "6 fields" not in found[(6, None)] and "header has 15" in found[(6, None)]
    assert "no answers" in found[(7, None)]
    assert all(r.file_name.endswith("b.csv") for r in rows)


def test_reimport_adds_nothing_and_conflicts_are_rejected(
    engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", [HEADER, *GOOD])
    import_file(engine, path, survey=mini_survey)
    again = import_file(engine, path, survey=mini_survey)
    assert (again.accepted, again.rejected, again.duplicates) == (0, 0, 3)
    assert count(engine, Response) == 3
    changed = write(tmp_path / "c.csv", [HEADER, GOOD[0].replace(",9,1,3", ",2,1,3")])
    conflict = import_file(engine, changed, survey=mini_survey)
    assert conflict.rejected == 1 and "different answers" in conflict.rejections[0].reason
    assert count(engine, Response) == 3


def test_duplicate_rows_within_one_file(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    summary = import_file(
        engine, write(tmp_path / "d.csv", [HEADER, GOOD[0], GOOD[0]]), survey=mini_survey
    )
    assert (summary.accepted, summary.duplicates, summary.rejected) == (1, 1, 0)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "cp1256"])
def test_legacy_encodings_are_detected(
    engine: Engine, mini_survey: str, tmp_path: Path, encoding: str
) -> None:
    comment = {
        "utf-8-sig": "très bien",
        "gb18030": "服务很好，修得很快",
        "cp1256": "خدمات خوب بود",
    }[encoding]
    line = GOOD[0].replace(",fine", f",{comment}")
    summary = import_file(
        engine, write(tmp_path / "e.csv", [HEADER, line], encoding), survey=mini_survey
    )
    assert summary.encoding == encoding and summary.encoding_detected
    assert query(engine, "select text from answers where item_id='comment'") == [(comment,)]


def test_labels_digits_and_missing_codes(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    lines = [
        HEADER,
        # Persian and Arabic-Indic digits, labels in three languages, -99 as missing
        "r1,female,18-34,۳,٨,Very high,非常同意,کاملا مخالفم,4,-99,I like it,دوست ندارم,۶۰,۴۰,",
    ]
    summary = import_file(
        engine,
        write(tmp_path / "f.csv", lines),
        survey=mini_survey,
        missing_codes=["", "N/A", "-99"],
    )
    assert summary.accepted == 1, summary.rejections
    frame, _ = responses_frame(engine, mini_survey)
    row = frame.iloc[0]
    assert (row.rel1_adequate, row.rel1_desired, row.rel1_perceived) == (3, 8, 9)
    assert (row.emp1_expected, row.emp1_perceived) == (7, 1)
    assert pd.isna(row.nps)
    assert (row.kano_app_functional, row.kano_app_dysfunctional) == (1, 5)
    assert (row.importance_reliability, row.importance_empathy) == (60, 40)


def test_mapping_file_and_long_layout(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "Kunde: customer_id\nQ1 min: rel1_adequate\nQ1 max: rel1_desired\n"
        "Q1 now: rel1_perceived\nTier: attribute:tier\n",
        encoding="utf-8",
    )
    wide = write(tmp_path / "m.csv", ["Kunde,Q1 min,Q1 max,Q1 now,Tier", "K1,3,8,6,gold"])
    summary = import_file(engine, wide, survey=mini_survey, mapping=mapping)
    assert summary.accepted == 1
    with transaction(engine) as session:
        customer = session.scalar(select(Customer).where(Customer.external_id == "K1"))
        assert customer is not None and customer.attributes == {"tier": "gold"}
    long = write(
        tmp_path / "l.csv",
        [
            "respondent_id,item,field,value",
            "L1,rel1,adequate,3",
            "L1,rel1,desired,8",
            "L1,rel1,perceived,7",
            "L1,nps,,10",
            "L2,rel1,adequate,2",
            "L2,nps,,11",  # L2 has an off-scale NPS: both rows rejected
            "L3,nosuch,,4",
        ],
    )
    result = import_file(engine, long, survey=mini_survey)
    assert (result.layout, result.rows, result.accepted, result.rejected) == ("long", 7, 4, 3)
    reasons = {r.row_number: r.reason for r in result.rejections}
    assert "outside scale 'nps11'" in reasons[7] and "same respondent" in reasons[6]
    assert "unknown item 'nosuch'" in reasons[8]


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet"])
def test_export_roundtrip(engine: Engine, mini_survey: str, tmp_path: Path, suffix: str) -> None:
    from cxgap.services.surveys import create_survey

    import_file(engine, write(tmp_path / "a.csv", [HEADER, *GOOD]), survey=mini_survey)
    out = tmp_path / f"export.{suffix}"
    assert export_survey(engine, mini_survey, out) == 3
    with transaction(engine) as session:
        survey = session.scalar(select(Response).limit(1))
        assert survey is not None
    from cxgap.instruments import load_instrument

    with transaction(engine) as session:
        create_survey(
            session,
            "copy",
            instrument=load_instrument(Path(__file__).parents[1] / "data" / "mini.yaml"),
        )
    summary = import_file(engine, out, survey="copy")
    assert (summary.accepted, summary.rejected) == (3, 0), summary.rejections
    original, _ = responses_frame(engine, mini_survey)
    copied, _ = responses_frame(engine, "copy")
    answer_cols = [c for c in original.columns if "_" in c or c in ("nps", "dis1", "comment")]
    answer_cols = [
        c
        for c in answer_cols
        if c not in ("respondent_id", "customer_id", "age_band", "income_band", "submitted_at")
    ]
    pd.testing.assert_frame_equal(original[answer_cols], copied[answer_cols])


def test_failed_import_leaves_database_unchanged(
    engine: Engine, mini_survey: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cxgap.services.imports as imports

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "bulk_insert", broken)
    with pytest.raises(RuntimeError):
        import_file(engine, write(tmp_path / "a.csv", [HEADER, *GOOD]), survey=mini_survey)
    assert count(engine, Response) == 0
    assert count(engine, Answer) == 0
    assert count(engine, Customer) == 0
    assert count(engine, QuarantinedRow) == 0


def test_unusable_files_get_clear_errors(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        import_file(engine, tmp_path / "missing.csv", survey=mini_survey)
    with pytest.raises(IngestError, match=r"unsupported file type '\.json'"):
        import_file(engine, write(tmp_path / "x.json", ["{}"]), survey=mini_survey)
    with pytest.raises(IngestError, match="no column matches an answer"):
        import_file(engine, write(tmp_path / "y.csv", ["a,b", "1,2"]), survey=mini_survey)
    with pytest.raises(IngestError, match="appears twice in the header"):
        import_file(engine, write(tmp_path / "z.csv", ["nps,nps", "1,2"]), survey=mini_survey)
    with pytest.raises(IngestError, match="cannot be read as XLSX"):
        import_file(engine, write(tmp_path / "broken.xlsx", ["not a zip"]), survey=mini_survey)
    with pytest.raises(NotFoundError, match="survey 'nope' does not exist"):
        import_file(engine, write(tmp_path / "a.csv", [HEADER]), survey="nope")
