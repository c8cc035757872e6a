"""Stored responses as wide tables: values in place, cache reuse and invalidation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from cxgap.engine import frames
from cxgap.engine.frames import load_survey
from cxgap.services.imports import import_file
from cxgap.services.privacy import erase_customer

HEADER = "respondent_id,customer_id,gender,rel1_adequate,rel1_desired,rel1_perceived,nps,comment"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_values_land_in_their_cells(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    import_file(
        engine,
        write(
            tmp_path / "a.csv",
            [HEADER, "r1,C1,female,3,8,7,,nice", "r2,C2,male,4,9,,10,", "r3,,,2,,5,0,"],
        ),
        survey=mini_survey,
    )
    frame = load_survey(engine, mini_survey, cache=False).frame
    expected = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3"],
            "rel1_adequate": [3.0, 4.0, 2.0],
            "rel1_desired": [8.0, 9.0, np.nan],
            "rel1_perceived": [7.0, np.nan, 5.0],
            "nps": [np.nan, 10.0, 0.0],
            "comment": ["nice", None, None],
        }
    )
    pd.testing.assert_frame_equal(frame[list(expected.columns)], expected, check_dtype=False)
    assert frame["gender"].tolist()[:2] == ["female", "male"] and pd.isna(frame["gender"][2])
    assert frame["emp1_expected"].isna().all()  # asked, never answered


def test_cache_is_reused_and_invalidated(engine: Engine, mini_survey: str, tmp_path: Path) -> None:
    import_file(
        engine, write(tmp_path / "a.csv", [HEADER, "r1,C1,female,3,8,7,9,"]), survey=mini_survey
    )
    first = load_survey(engine, mini_survey)
    calls = []
    original = frames._load_survey

    def counting(*args: object, **kwargs: object) -> frames.SurveyData:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    frames._load_survey = counting  # type: ignore[assignment]
    try:
        again = load_survey(engine, mini_survey)
        assert calls == [] and again.frame.equals(first.frame)
        again.frame.loc[0, "nps"] = 0  # a caller's change never reaches the cache
        assert load_survey(engine, mini_survey).frame.loc[0, "nps"] == 9
        import_file(
            engine, write(tmp_path / "b.csv", [HEADER, "r2,C2,male,4,9,8,10,"]), survey=mini_survey
        )
        assert len(load_survey(engine, mini_survey).frame) == 2 and calls == [1]
        erase_customer(engine, "C1", actor="test")
        customers = load_survey(engine, mini_survey).frame["customer_id"]
        assert pd.isna(customers[0]) and customers[1] == "C2"
        assert calls == [1, 1]
    finally:
        frames._load_survey = original  # type: ignore[assignment]


def test_both_read_paths_give_the_same_table(
    engine: Engine, mini_survey: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxgap.engine import answers

    import_file(
        engine,
        write(
            tmp_path / "a.csv",
            [HEADER, "r1,C1,female,3,8,7,,nice", "r2,C2,male,4,9,,10,", "r3,,,2,,5,0,"],
        ),
        survey=mini_survey,
    )
    calls: list[str] = []
    original = answers._fetch_arrow

    def arrow(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)  # type: ignore[arg-type]
        calls.append("arrow" if result is not None else "none")
        return result

    monkeypatch.setattr(answers, "_fetch_arrow", arrow)
    # Arrow reads are for large surveys only: lower the threshold so this small one takes it.
    settings = answers.get_settings()
    small = settings.model_copy(
        update={"analysis": settings.analysis.model_copy(update={"arrow_reader_min_rows": 0})}
    )
    monkeypatch.setattr(answers, "get_settings", lambda: small)
    fast = load_survey(engine, mini_survey, cache=False).frame
    # the reader process serves SQLite files only; PostgreSQL is read through the cursor
    assert calls == (["arrow"] if engine.dialect.name == "sqlite" else [])
    monkeypatch.setattr(answers, "_fetch_arrow", lambda *a, **k: None)
    portable = load_survey(engine, mini_survey, cache=False).frame
    pd.testing.assert_frame_equal(fast, portable)
