"""Files that used to be imported wrongly: each test names what went wrong before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from tests.databases import query

from cxgap.errors import IngestError
from cxgap.instruments import Instrument
from cxgap.services.collection.answers import check_answers
from cxgap.services.imports import import_file
from cxgap.settings import get_settings

HEADER = "respondent_id,rel1_adequate,rel1_desired,rel1_perceived,nps,comment"
DATA = Path(__file__).parents[1] / "data"
Cli = Callable[..., tuple[int, str, str]]


def good(n: int, comment: str = "ok") -> str:
    return f"r{n},3,8,7,9,{comment}"


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def stored_keys(engine: Engine) -> list[str]:
    return [k for (k,) in query(engine, "select respondent_key from responses order by id")]


def test_unclosed_quote_costs_only_its_own_line(
    engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    lines = [HEADER] + [good(n) for n in range(1, 101)]
    lines[5] = 'r5,3,8,7,9,"the quote opens here and never closes'
    summary = import_file(engine, write(tmp_path / "q.csv", lines), survey=mini_survey)
    assert summary.rows == 100
    assert (summary.accepted, summary.rejected, summary.duplicates) == (99, 1, 0)
    (rejection,) = summary.rejections
    assert rejection.row_number == 6
    assert "quote opened at line 6, column 12 is never closed" in rejection.reason
    assert len(stored_keys(engine)) == 99 and "r5" not in stored_keys(engine)


def test_file_mixing_encodings_is_refused(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    chinese = ["服务很好", "修得很快", "价格合理", "非常满意", "员工很友善"]
    persian = ["راضي هستم", "سلام دوستان", "پاسخ سريع"]
    data = (HEADER + "\n").encode()
    for n, text in enumerate(chinese, start=1):
        data += f"{good(n, text)}\n".encode("gb18030")
    for n, text in enumerate(persian, start=10):
        data += f"{good(n, text)}\n".encode("cp1256")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    assert data.decode("gb18030")  # the whole file decodes as GB18030 without an error
    with pytest.raises(IngestError) as caught:
        import_file(engine, path, survey=mini_survey)
    message = str(caught.value)
    assert "lines 7, 8, 9" in message and "Windows-1256" in message
    assert "gb18030" in message
    assert stored_keys(engine) == []


def test_byte_order_mark_inside_a_file(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    # Two files joined together: the second one's byte order mark starts line 3.
    lines = [HEADER, good(10), "\ufeff" + good(10), good(11).replace("ok", "a\ufeffb")]
    summary = import_file(engine, write(tmp_path / "bom.csv", lines), survey=mini_survey)
    assert (summary.accepted, summary.duplicates, summary.rejected) == (1, 1, 1)
    assert stored_keys(engine) == ["r10"]
    (rejection,) = summary.rejections
    assert rejection.row_number == 4 and rejection.column == "comment"
    assert "U+FEFF" in rejection.reason


def test_long_layout_without_a_usable_record(
    engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "long.csv",
        ["respondent_id,item,field,value", ",rel1,adequate,3", "L3,nosuch,,4"],
    )
    with pytest.raises(IngestError, match="no usable record") as caught:
        import_file(engine, path, survey=mini_survey)
    assert "row 2" in str(caught.value) and "unknown item 'nosuch'" in str(caught.value)
    with pytest.raises(IngestError, match="no data rows"):
        import_file(
            engine, write(tmp_path / "empty.csv", ["respondent_id,item,value"]), survey=mini_survey
        )


def test_xlsx_formula_and_error_cells_are_reported(
    engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["respondent_id", "rel1_adequate", "rel1_desired", "rel1_perceived", "nps", "x"])
    sheet.append(["a", 3, 8, 7, 9, "=B2*2"])  # formula in an ignored column: fine
    sheet.append(["b", 3, 8, 7, "=B3+C3", None])
    sheet.append(["c", 3, 8, 7, "#DIV/0!", None])
    sheet.append(["d", 3, 8, 7, "#N/A", None])
    path = tmp_path / "cells.xlsx"
    book.save(path)
    summary = import_file(engine, path, survey=mini_survey)
    assert (summary.rows, summary.accepted, summary.rejected) == (4, 1, 3)
    reasons = {r.row_number: (r.column, r.reason) for r in summary.rejections}
    assert reasons[3][0] == "nps" and "cell E3 holds a formula (=B3+C3)" in reasons[3][1]
    assert "cell E4 holds the error #DIV/0!" in reasons[4][1]
    assert "cell E5 holds the error #N/A" in reasons[5][1]
    assert stored_keys(engine) == ["a"]


def test_xlsx_unpacked_size_is_bounded(
    engine: Engine, mini_survey: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["respondent_id", "nps", "comment"])
    for n in range(400):
        sheet.append([f"r{n}", 9, f"{n} " + "x" * 5000])  # 2 MB of cell text
    path = tmp_path / "bomb.xlsx"
    book.save(path)
    assert path.stat().st_size < 200_000
    monkeypatch.setenv("CXGAP_IMPORT_MAX_UNPACKED_MB", "1")
    get_settings.cache_clear()
    try:
        with pytest.raises(IngestError, match="CXGAP_IMPORT_MAX_UNPACKED_MB") as caught:
            import_file(engine, path, survey=mini_survey)
        assert "xl/worksheets/sheet1.xml" in str(caught.value)
    finally:
        get_settings.cache_clear()
    assert stored_keys(engine) == []


def test_cli_prints_file_names_and_cells_literally(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    path = write(
        tmp_path / "[bold red]x\x1b[2J.csv",
        [HEADER + ",[blink]extra", good(1) + ",", "r2,3,8,7,[red]nine,x,"],
    )
    code, out, err = cli(
        "--db", db, "import", path, "--survey", "w1", "--instrument", DATA / "mini.yaml"
    )
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b" in out
    assert "[bold red]x" in out and "[blink]extra" in out and "[red]nine" in out
    code, out, err = cli("--db", db, "imports", "list")
    assert code == 0 and "[bold red]x" in out and "\x1b" not in out
    code, out, err = cli("--db", db, "imports", "quarantine", "1")
    assert code == 0 and "[red]nine" in out and "\x1b" not in out
    code, out, err = cli("--db", db, "import", tmp_path / "[bold]\x1b.csv", "--survey", "w1")
    assert code != 0 and "[bold]" in err and "\x1b" not in err


def test_control_characters_in_cells_are_quarantined(
    engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        good(1, '"two\nlines\tand a tab"'),
        good(2, "nul\x00here"),
        "r3\x1b,3,8,7,9,ok",
        good(4, "bell\x07"),
    ]
    summary = import_file(engine, write(tmp_path / "ctl.csv", lines), survey=mini_survey)
    assert (summary.rows, summary.accepted, summary.rejected) == (4, 1, 3)
    found = {r.row_number: (r.column, r.reason) for r in summary.rejections}
    assert found[4][0] == "comment" and "U+0000 (NUL)" in found[4][1]
    assert found[5][0] == "respondent_id" and "U+001B (ESCAPE)" in found[5][1]
    assert found[6][0] == "comment" and "U+0007" in found[6][1]
    assert query(engine, "select text from answers where item_id='comment'") == [
        ("two\nlines\tand a tab",)
    ]


@pytest.mark.parametrize("cell", ["1e1", "1_0", "𝟓", "१", "inf", "nan", "0x5", "٥e0"])
def test_only_plain_numerals_are_scale_answers(
    engine: Engine, mini_survey: str, tmp_path: Path, mini: Instrument, cell: str
) -> None:
    lines = [HEADER, good(1), f"r2,3,8,7,{cell},ok", "r3,۳,٨,+7,۱۰,ok", "r4,3,8,7,−2,ok"]
    summary = import_file(engine, write(tmp_path / "num.csv", lines), survey=mini_survey)
    assert (summary.accepted, summary.rejected) == (2, 2), summary.rejections
    found = {r.row_number: r.reason for r in summary.rejections}
    assert f"{cell!r} is not a whole number 0..10" in found[3]
    assert "digits 0-9" in found[3]
    assert "value -2 is outside scale" in found[5]
    checked = check_answers(mini, {"nps": cell}, items=["nps"])
    assert [e.code for e in checked.errors] == ["not_a_number"]
    assert check_answers(mini, {"nps": "۱۰"}, items=["nps"]).values["nps"] == 10.0


def test_one_numeral_parser() -> None:
    from cxgap.ingest.normalize import parse_number

    assert parse_number(" ۳٫۵ ") == 3.5
    assert parse_number("١٢٬٣٤٥") == 12345.0
    assert parse_number("−4") == -4.0 and parse_number("+4") == 4.0 and parse_number(".5") == 0.5
    for text in ("1e1", "1_0", "𝟓", "१", "", "-", ".", "1.2.3", "12٬34", "Infinity", "٣e2"):
        assert parse_number(text) is None, text
