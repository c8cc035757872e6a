"""Large answer reads through the reader process equal the cursor path, and the second
SQLite library of the Arrow driver never enters the process that writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from tests.durability.processes import sqlite_libraries

from cxgap.engine.answers import read_answers
from cxgap.services.imports import import_file
from cxgap.settings import AnalysisSettings, Settings
from cxgap.store import arrow_reader

HEADER = "respondent_id,rel1_adequate,rel1_desired,rel1_perceived,nps,comment"


@pytest.fixture
def answered(engine: Engine, mini_survey: str, tmp_path: Path) -> int:
    rng = np.random.default_rng(4)
    lines = [HEADER]
    for n in range(300):
        a, d, p, s = rng.integers(1, 10, size=4)
        nps = "" if n % 7 == 0 else str(int(s))
        lines.append(f"r{n},{a},{d},{p if n % 5 else ''},{nps},c{n}")
    path = tmp_path / "answers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(engine, path, survey=mini_survey)
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("SELECT id FROM surveys").scalar_one())


def _sorted(part: object) -> dict[str, np.ndarray]:
    rows = part  # AnswerRows
    order = np.lexsort(
        (np.asarray(rows.item_codes), np.asarray(rows.response_id))  # type: ignore[attr-defined]
    )
    items = np.asarray(rows.items, dtype=object)[np.asarray(rows.item_codes)][order]  # type: ignore[attr-defined]
    out = {"response_id": np.asarray(rows.response_id)[order], "item": items}  # type: ignore[attr-defined]
    for name, values in rows.values.items():  # type: ignore[attr-defined]
        out[name] = np.asarray(values, dtype=np.float64)[order]
    return out


def test_reader_process_reads_what_the_cursor_reads(engine: Engine, answered: int) -> None:
    fields = ["adequate", "desired", "perceived", "score"]
    with engine.connect() as connection:
        (fast,) = read_answers(
            connection, answered, fields, text=False, up_to=2**62, expected_rows=10**12
        )
        (slow,) = read_answers(
            connection, answered, fields, text=False, up_to=2**62, expected_rows=0
        )
    assert len(fast.response_id) == len(slow.response_id) > 0
    a, b = _sorted(fast), _sorted(slow)
    assert list(a["item"]) == list(b["item"])
    for name in ["response_id", *fields]:
        np.testing.assert_array_equal(a[name], b[name])
    # the fast path really ran in another process, and its driver is not loaded here
    assert arrow_reader._executor is not None
    assert arrow_reader.DRIVER_MODULE not in sys.modules
    if Path("/proc/self/maps").exists():
        assert not any("adbc" in lib for lib in sqlite_libraries(os.getpid()))


def test_reader_failure_falls_back_to_the_cursor(
    engine: Engine, answered: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow_reader, "_query", _broken_query)
    with engine.connect() as connection:
        (part,) = read_answers(
            connection, answered, ["adequate"], text=False, up_to=2**62, expected_rows=10**12
        )
    assert int(np.sum(~np.isnan(part.values["adequate"]))) == 300


def _broken_query(*_args: object) -> None:
    raise RuntimeError("driver trouble")


@pytest.mark.parametrize("expected_rows", [0, 10**12], ids=["cursor", "reader"])
def test_answers_of_responses_stored_after_the_list_are_left_out(
    engine: Engine,
    answered: int,
    mini_survey: str,
    tmp_path: Path,
    expected_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The response list and the answers may come from different snapshots (the reader
    process has its own): answers of responses not in the list must not break the table."""
    from tests.conftest import DATA

    from cxgap.engine import answers as module
    from cxgap.instruments import load_instrument

    with engine.connect() as connection:
        ids = np.sort(
            np.array(
                [r[0] for r in connection.exec_driver_sql("SELECT id FROM responses")],
                dtype=np.int64,
            )
        )
    later = tmp_path / "later.csv"
    later.write_text(HEADER + "\nlate1,1,2,3,4,x\nlate2,2,3,4,5,y\n", encoding="utf-8")
    import_file(engine, later, survey=mini_survey)
    monkeypatch.setattr(module, "get_settings", lambda: _settings_with(expected_rows))
    columns = [c for c in load_instrument(DATA / "mini.yaml").answer_columns() if c.item == "rel1"]
    with engine.connect() as connection:
        wide = module.answers_wide(connection, answered, columns, ids)
    assert all(len(values) == len(ids) for values in wide.values())
    assert int(np.sum(~np.isnan(wide["rel1_adequate"]))) == 300


def _settings_with(threshold: int) -> Settings:
    return Settings(analysis=AnalysisSettings(arrow_reader_min_rows=0 if threshold else 10**15))
