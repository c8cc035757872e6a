"""Property: whatever a file holds, every row is accepted or quarantined, never lost."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from cxgap.errors import IngestError
from cxgap.services.imports import import_file
from cxgap.store.database import transaction
from cxgap.store.models import QuarantinedRow, Response

COLUMNS = [
    "respondent_id",
    "rel1_adequate",
    "rel1_desired",
    "rel1_perceived",
    "nps",
    "importance_reliability",
    "importance_empathy",
    "comment",
]

cell = st.one_of(
    st.integers(-200, 200).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "N/A", "-99", "Very high", "۷", "٣", "1e3", " 5 ", "五", '"', ","]),
    st.text(max_size=12),
)
row = st.lists(cell, min_size=0, max_size=len(COLUMNS) + 2)
counter = itertools.count()


def render(rows: list[list[str]], keys: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for key, cells in zip(keys, rows, strict=True):
        writer.writerow([key, *cells] if cells else [key])
    return out.getvalue()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(row, min_size=1, max_size=12), data=st.data())
def test_no_row_is_lost(
    tmp_path: Path, mini_survey: str, engine: Engine, rows: list[list[str]], data: st.DataObject
) -> None:
    run = next(counter)
    keys = [
        data.draw(st.sampled_from([f"k{run}-{i}", f"k{run}-dup", ""])) for i in range(len(rows))
    ]
    text = render(rows, keys)
    path = tmp_path / f"fuzz{run}.csv"
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes(text.encode("utf-8"))
    with transaction(engine) as session:
        before = session.scalar(select(func.count()).select_from(Response)) or 0
        quarantined_before = session.scalar(select(func.count()).select_from(QuarantinedRow)) or 0
    try:
        summary = import_file(engine, path, survey=mini_survey)
    except IngestError:
        # Only whole-file problems may refuse a file; then nothing is stored.
        with transaction(engine) as session:
            assert session.scalar(select(func.count()).select_from(Response)) == before
        return
    physical_rows = len(list(csv.reader(io.StringIO(text, newline="")))) - 1
    assert summary.accepted + summary.rejected + summary.duplicates == summary.rows
    assert summary.rows == physical_rows
    with transaction(engine) as session:
        stored = (session.scalar(select(func.count()).select_from(Response)) or 0) - before
        quarantined = session.scalar(select(func.count()).select_from(QuarantinedRow)) or 0
    assert stored == summary.accepted
    assert quarantined - quarantined_before == summary.rejected
    for rejection in summary.rejections:
        assert rejection.reason and rejection.row_number >= 2
