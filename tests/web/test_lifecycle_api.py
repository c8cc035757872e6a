"""``/api/v1/lifecycle``: relationships and complaints uploaded as CSV or XLSX and listed
in pages, through the real HTTP app on a real SQLite file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from tests.web.api_world import World, build_world

from cxgap.store.accounts import AuditEvent
from cxgap.store.database import transaction

API = "/api/v1/lifecycle"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMPLAINTS = (
    "complaint_id,customer,channel,category,received_at,resolved_at,unit,text\n"
    "K-1,L-001,hotline,billing,2026-03-02 09:15,2026-03-04 10:00,north,Bill twice\n"
    "K-2,L-002,email,outage,2026-03-05,,south,No heat since Monday\n"
    "K-3,L-001,web,billing,2026-04-01 08:00,2026-04-01 12:30,north,\n"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(Path(tmp_path_factory.mktemp("lifecycle")), demo=False)


def _upload(name: str, content: bytes | str, kind_type: str = "text/csv") -> dict[str, object]:
    data = content.encode() if isinstance(content, str) else content
    return {"files": {"file": (name, data, kind_type)}}


def _all(world: World, kind: str, **params: object) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    while True:
        r = world.client.get(
            f"{API}/{kind}", params={**params, "limit": 2, "offset": len(items)},
            headers=world.as_role("manager"),
        )  # fmt: skip
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        if not page["items"]:
            assert page["total"] == len(items)
            return items


def test_a_complaints_file_is_imported_and_listed_in_pages(world: World) -> None:
    r = world.client.post(
        f"{API}/complaints", headers=world.as_role("analyst"), **_upload("march.csv", COMPLAINTS)
    )
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "complaints", "rows": 3, "customers_created": 2}
    expected = list(csv.DictReader(io.StringIO(COMPLAINTS)))
    listed = _all(world, "complaints")
    assert [c["complaint_id"] for c in listed] == [row["complaint_id"] for row in expected]
    for got, row in zip(listed, expected, strict=True):
        assert got["customer"] == row["customer"] and got["channel"] == row["channel"]
        assert got["unit"] == row["unit"] and got["text"] == (row["text"] or None)
        received = dt.datetime.fromisoformat(str(got["received_at"]))
        assert received == dt.datetime.fromisoformat(row["received_at"]).replace(tzinfo=dt.UTC)
        assert (got["resolved_at"] is None) == (row["resolved_at"] == "")
    page = world.client.get(
        f"{API}/complaints", params={"customer": "L-001", "resolved": "true", "limit": 1},
        headers=world.as_role("agent"),
    ).json()  # fmt: skip
    assert page["total"] == 2 and [c["complaint_id"] for c in page["items"]] == ["K-1"]
    with transaction(world.engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "lifecycle.import.complaints")
        ).one()
        assert event.actor == "analyst@example.org"
        assert event.details == {"rows": 3, "customers_created": 2, "source": "upload march.csv"}


def test_a_relationships_workbook_is_imported(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    rows = [
        ("customer", "started_on", "ended_on", "end_reason", "voluntary", "plan", "unit"),
        ("R-001", dt.date(2020, 1, 15), dt.date(2026, 2, 28), "price", "yes", "basic", "north"),
        ("R-002", dt.date(2021, 6, 1), None, None, None, "comfort", "south"),
        ("R-003", "2019-03-01", None, None, None, "premium", "north"),
    ]
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    r = world.client.post(
        f"{API}/relationships", headers=world.as_role("admin"),
        **_upload("customers.xlsx", data.getvalue(), XLSX),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "relationships", "rows": 3, "customers_created": 3}
    listed = _all(world, "relationships")
    assert [(x["customer"], x["started_on"], x["ended_on"]) for x in listed] == [
        ("R-001", "2020-01-15", "2026-02-28"), ("R-002", "2021-06-01", None),
        ("R-003", "2019-03-01", None),
    ]  # fmt: skip
    assert listed[0]["voluntary"] is True and listed[0]["end_reason"] == "price"
    ended = _all(world, "relationships", ended="true", unit="north")
    assert [x["customer"] for x in ended] == ["R-001"]


def test_a_bad_row_is_refused_with_file_row_and_column(world: World) -> None:
    before = world.client.get(f"{API}/complaints", headers=world.as_role("admin")).json()["total"]
    bad = "complaint_id,channel,received_at\nK-9,hotline,2026-05-01\nK-10,fax,2026-05-02\n"
    r = world.client.post(
        f"{API}/complaints", headers=world.as_role("admin"), **_upload("may.csv", bad)
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "file"
    assert error["message"].startswith("may.csv, row 3, column 'channel': 'fax' is not allowed")
    assert "allowed: hotline, web, email" in error["message"]
    after = world.client.get(f"{API}/complaints", headers=world.as_role("admin")).json()["total"]
    assert after == before  # all rows or none
    for name, content, message in (
        ("notes.txt", "channel\nweb\n", "notes.txt: unsupported file type '.txt'; allowed: .csv"),
        ("empty.csv", "", "empty.csv: the file is empty"),
        ("late.csv", "channel\nweb\n", "late.csv: column 'received_at' is missing"),
        ("dup.csv", COMPLAINTS, "complaint 'K-1' is already stored"),
    ):
        r = world.client.post(
            f"{API}/complaints", headers=world.as_role("admin"), **_upload(name, content)
        )
        assert r.status_code == 422 and message in r.json()["error"]["message"], r.text
    r = world.client.post(
        f"{API}/relationships", headers=world.as_role("admin"),
        **_upload("r.csv", "customer,started_on,ended_on\nR-9,2024-05-01,2023-01-01\n"),
    )  # fmt: skip
    assert r.status_code == 422
    assert "r.csv, row 2, column 'ended_on'" in r.json()["error"]["message"]
    r = world.client.get(f"{API}/complaints", params={"channel": "fax"},
                         headers=world.as_role("admin"))  # fmt: skip
    assert r.status_code == 422 and "channel 'fax' is not allowed" in r.text


def test_a_formula_cell_is_named(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["channel", "received_at"])
    sheet.append(["web", "2026-05-01"])
    sheet.append(['=HYPERLINK("http://x")', "2026-05-02"])
    data = io.BytesIO()
    book.save(data)
    r = world.client.post(
        f"{API}/complaints", headers=world.as_role("admin"),
        **_upload("f.xlsx", data.getvalue(), XLSX),
    )  # fmt: skip
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("f.xlsx, row 3, column 'channel': cell A3")


def test_unauthorised_callers_are_refused(world: World) -> None:
    upload = _upload("x.csv", COMPLAINTS)
    assert world.client.post(f"{API}/complaints", **upload).status_code == 401
    assert world.client.get(f"{API}/relationships").status_code == 401
    bad_key = {"Authorization": "Bearer cxg_not_a_key"}
    assert world.client.get(f"{API}/complaints", headers=bad_key).status_code == 401
    for role in ("manager", "agent", "viewer"):  # no surveys:write
        r = world.client.post(f"{API}/relationships", headers=world.as_role(role), **upload)
        assert r.status_code == 403, role
    r = world.client.get(f"{API}/complaints", headers=world.as_role("viewer"))
    assert r.status_code == 403  # no customers:read


def test_an_upload_above_the_body_limit_is_refused(world: World) -> None:
    big = "channel,received_at,text\n" + "web,2026-05-01,x\n" * 20_000  # > 256 KiB
    r = world.client.post(
        f"{API}/complaints", headers=world.as_role("admin"), **_upload("big.csv", big)
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_a_refused_filter_is_named_in_field(world: World) -> None:
    """Each filter the service refuses is named by its own name, not by another's."""
    for params, field, words in (
        ({"channel": "fax"}, "channel", "channel 'fax' is not allowed; allowed: hotline"),
        ({"unit": "north\x07"}, "unit", "filter unit: character"),
        ({"customer": "\x1bL-001", "channel": "web"}, "customer", "filter customer: character"),
    ):
        r = world.client.get(f"{API}/complaints", params=params, headers=world.as_role("admin"))
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid" and error["field"] == field, (params, error)
        assert words in error["message"]
    r = world.client.get(f"{API}/relationships", params={"unit": "\x01"},
                         headers=world.as_role("admin"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["field"] == "unit"


def test_other_refusals_keep_their_shape(world: World) -> None:
    """A refusal the framework makes names its parameter as before; a service's refusal
    of no single input has no ``field``."""
    r = world.client.get(f"{API}/complaints", params={"limit": 0},
                         headers=world.as_role("admin"))  # fmt: skip
    assert r.status_code == 422
    error = r.json()["error"]
    assert set(error) == {"code", "message", "field"} and error["field"] == "limit"
    assert error["message"].startswith("limit: ")
    r = world.client.patch("/api/v1/standards/arrival", headers=world.as_role("analyst"), json={})
    assert r.status_code == 422
    assert set(r.json()["error"]) == {"code", "message"}
    assert r.json()["error"]["message"].startswith("standard 'arrival': nothing to change")
