"""The same analysis on every engine: the stored SQLite database, the same demo stored in
PostgreSQL, and a Parquet dataset read by DuckDB or by Spark (local mode).
``cxgap analyze --json`` must agree key by key, numbers to 1e-9. Another engine joins the
matrix as one more parameter of ``ENGINES``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from tests.databases import load_demo_copy
from tests.pinned.test_analysis_output import differences
from tests.postgres_server import PostgresServer

from cxgap.engine.lake import LONG_COLUMNS
from cxgap.store.database import get_engine, upgrade

SURVEY = "heating-2026q4"
BY = ["--by", "age_band", "--by", "region"]
ENGINES = ["postgresql", "duckdb", pytest.param("spark", marks=pytest.mark.slow)]
"""``postgresql``: the demo stored in PostgreSQL and analysed there (``--db URL``); the
others read the Parquet dataset written from the SQLite file (``--source DIR --engine``)."""
DEMO = {"seed": 11, "customers": 400}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """A demo database, its Parquet dataset (written by the CLI) and its analysis JSON."""
    from cxgap.cli import main

    folder = tmp_path_factory.mktemp("lake")
    db = folder / "demo.db"
    engine = get_engine(str(db))
    upgrade(engine)
    load_demo_copy(engine, **DEMO)

    def run(*args: str) -> None:
        try:
            main(["--db", str(db), *args])
        except SystemExit as exc:
            assert not exc.code, f"cxgap {' '.join(args)} exited {exc.code}"

    run("export", "--all", "--lake", str(folder / "lake"))
    run("analyze", "--survey", SURVEY, *BY, "--json", str(folder / "stored.json"))
    stored = json.loads((folder / "stored.json").read_text(encoding="utf-8"))
    return db, folder / "lake", stored


def test_lake_layout(demo: tuple[Path, Path, Any]) -> None:
    db, lake, stored = demo
    with sqlite3.connect(db) as conn:
        surveys = conn.execute("select count(*) from surveys").fetchone()[0]
    files = sorted(lake.glob("survey=*/wave=*/*.parquet"))
    assert (lake / "survey=heating-2026q4" / "wave=2026Q4" / "part-0.parquet") in files
    # one dataset part and one description per survey of the demo (each survey one wave)
    assert len(files) == surveys and len(list((lake / "_surveys").glob("*.json"))) == surveys
    table = pq.read_table(lake / "survey=heating-2026q4")
    assert [c for c in table.column_names if c != "wave"] == list(LONG_COLUMNS)
    assert len(set(table.column("response_id").to_pylist())) == stored["survey"]["n_responses"]


@pytest.fixture(scope="module")
def postgres_demo(postgres_server: PostgresServer) -> Iterator[str]:
    """The same demo organisation stored in a PostgreSQL database; its URL."""
    url = postgres_server.new_database()
    engine = get_engine(url)
    try:
        load_demo_copy(engine, **DEMO)
    finally:
        engine.dispose()
    yield url
    postgres_server.drop_database(url)


def analyse_on(
    engine: str, db: Path, lake: Path, request: pytest.FixtureRequest
) -> tuple[str, list[str]]:
    """The database (``cxgap --db``) and the options of ``cxgap analyze`` that analyse the
    demo on ``engine``."""
    if engine == "postgresql":
        return request.getfixturevalue("postgres_demo"), []
    return str(db), ["--source", str(lake), "--engine", engine]


@pytest.mark.parametrize("engine", ENGINES)
def test_same_analysis_on_every_engine(
    demo: tuple[Path, Path, Any],
    tmp_path: Path,
    engine: str,
    cli: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> None:
    db, lake, stored = demo
    out = tmp_path / f"{engine}.json"
    database, options = analyse_on(engine, db, lake, request)
    code, _, err = cli(
        "--db", database, "analyze", "--survey", SURVEY, *BY, *options, "--json", str(out),
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out.read_text(encoding="utf-8"))
    assert differences(stored, result) == []
    assert result["trend"] and len({row["survey"] for row in result["trend"]}) == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "duckdb"], "--engine needs --source DIR"),
        (["--source", "{lake}", "--engine", "polars"], "--engine: got 'polars'; allowed: duckdb"),
        (["--source", "{db}"], "no such folder"),
        (["--source", "{lake}", "--engine", "spark", "--spark-master", "mesos://x"], "mesos://x"),
    ],
)
def test_source_mistakes_are_explained(
    demo: tuple[Path, Path, Any], cli: Callable[..., Any], args: list[str], message: str
) -> None:
    db, lake, _ = demo
    args = [a.format(lake=lake, db=db) for a in args]
    code, out, err = cli("--db", str(db), "analyze", "--survey", SURVEY, *args)
    assert code != 0
    assert message in out + err
    assert "Traceback" not in out + err


def test_unknown_survey_in_lake(demo: tuple[Path, Path, Any], cli: Callable[..., Any]) -> None:
    db, lake, _ = demo
    code, out, err = cli("--db", str(db), "analyze", "--survey", "nope", "--source", str(lake))
    assert code != 0 and "survey 'nope' is not in" in out + err


@pytest.mark.parametrize(
    "args", [["--lake", "{dir}"], ["--lake", "{dir}", "--all", "--survey", SURVEY]]
)
def test_export_lake_needs_one_choice(
    demo: tuple[Path, Path, Any], cli: Callable[..., Any], tmp_path: Path, args: list[str]
) -> None:
    db, _, _ = demo
    code, out, err = cli("--db", str(db), "export", *[a.format(dir=tmp_path) for a in args])
    assert code != 0 and "give either --survey S or --all" in out + err


def stored_scores(db: Path, keys: list[str]) -> dict[str, pd.DataFrame]:
    """The trend's dimension scores computed row by row from the stored answers."""
    from cxgap.engine.frames import load_survey
    from cxgap.services.analysis import dimension_scores

    engine = get_engine(str(db))
    out = {}
    for key in keys:
        data = load_survey(engine, key, cache=False)
        out[key] = dimension_scores(data.frame, data.instrument, "perceived")
    return out


@pytest.mark.parametrize("engine", ["sqlite", *ENGINES])
def test_score_moments_on_every_engine(
    demo: tuple[Path, Path, Any], engine: str, request: pytest.FixtureRequest
) -> None:
    from cxgap.engine import aggregate, lake
    from cxgap.services.analysis import trend_groups

    db, folder, _ = demo
    keys = ["heating-2025q1", "heating-2025q3", SURVEY]
    expected = stored_scores(db, keys)
    instrument = next(s for s in lake.lake_surveys(folder) if s.key == SURVEY).instrument
    groups = trend_groups(instrument)
    if engine in ("sqlite", "postgresql"):
        url = str(db) if engine == "sqlite" else request.getfixturevalue("postgres_demo")
        with aggregate.stored_backend(get_engine(url)) as con:
            found = aggregate.score_moments(con, aggregate.stored_answers(con), keys, groups)
            counts = aggregate.value_counts(con, aggregate.stored_answers(con), SURVEY, "nps")
    else:
        with lake.connect(engine) as con:  # type: ignore[arg-type]
            found = aggregate.score_moments(con, lake.answers(con, folder), keys, groups)
            counts = aggregate.value_counts(con, lake.answers(con, folder), SURVEY, "nps")
    assert sorted(found) == sorted(keys)
    for key in keys:
        scores = expected[key]
        assert list(found[key].columns) == list(scores.columns)
        np.testing.assert_allclose(found[key].mean(), scores.mean(), rtol=1e-12)
        np.testing.assert_allclose(found[key].cov(), scores.cov(), rtol=1e-10)
        np.testing.assert_array_equal(found[key].count(), scores.notna().sum())
    nps_answers = stored_frame(db, SURVEY)["nps"].dropna()
    tally = nps_answers.value_counts().sort_index()
    np.testing.assert_array_equal(counts.values, tally.index.to_numpy(dtype=float))
    np.testing.assert_array_equal(counts.counts[0], tally.to_numpy())


def stored_frame(db: Path, key: str) -> pd.DataFrame:
    from cxgap.engine.frames import load_survey

    return load_survey(get_engine(str(db)), key, cache=False).frame


def test_analysis_of_the_store_loads_one_sqlite_library(demo: tuple[Path, Path, Any]) -> None:
    """The aggregations on the stored file run through Python's sqlite3: analysing and
    summing the store never loads DuckDB (whose SQLite scanner is a second SQLite
    library) or ADBC."""
    db, _, _ = demo
    script = (
        "import sys\n"
        "from cxgap.store.database import get_engine\n"
        "from cxgap.services.analysis import analyze_survey\n"
        "from cxgap.engine import aggregate\n"
        f"engine = get_engine({str(db)!r})\n"
        f"result = analyze_survey(engine, {SURVEY!r})\n"
        "assert result.trend is not None\n"
        "with aggregate.stored_backend(engine) as con:\n"
        f"    sums = aggregate.score_moments(con, aggregate.stored_answers(con), [{SURVEY!r}],"
        " {'t': ['tan1', 'tan2']})\n"
        f"assert sums[{SURVEY!r}].count()[0] > 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('duckdb', 'adbc_driver_sqlite',"
        " 'pyspark')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_round_trip_keeps_the_respondent_table(
    demo: tuple[Path, Path, Any], tmp_path: Path
) -> None:
    """Written and read back through DuckDB, a survey's table is the stored one, including
    the organisation's own customer attributes."""
    import dataclasses

    from cxgap.engine import lake
    from cxgap.engine.frames import load_survey

    db, _, _ = demo
    data = load_survey(get_engine(str(db)), SURVEY, cache=False)
    frame = data.frame.copy()
    plans = np.where(
        np.arange(len(frame)) % 3 == 0, None, np.where(np.arange(len(frame)) % 2, "gold", "basic")
    )
    frame.insert(len(lake.RESPONDENT_COLUMNS), "attribute:plan", pd.Series(plans, dtype=object))
    data = dataclasses.replace(data, frame=frame)
    lake.write_survey(tmp_path, data, data.instrument.model_dump(mode="json"))
    (found,) = lake.lake_surveys(tmp_path)
    with lake.connect("duckdb") as con:
        back = lake.load_lake_survey(con, tmp_path, found)
    assert back.instrument == data.instrument and back.wave == data.wave
    numeric = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    pd.testing.assert_frame_equal(back.frame[numeric], frame[numeric], check_dtype=False)
    for column in ("respondent_id", "age_band", "region", "attribute:plan"):
        assert back.frame[column].tolist() == frame[column].tolist(), column


def test_pivot_in_slices_gives_the_same_table(
    demo: tuple[Path, Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A survey pivoted in slices of response ids (as large ones are) gives the table
    pivoted at once: the same rows in the same order."""
    from cxgap.engine import lake

    _, folder, stored = demo
    target = next(s for s in lake.lake_surveys(folder) if s.key == SURVEY)
    rows = pq.read_table(folder / f"survey={SURVEY}").num_rows
    with lake.connect("duckdb") as con:
        whole = lake.load_lake_survey(con, folder, target).frame
        monkeypatch.setattr(lake, "PIVOT_SLICE_ROWS", rows // 7)
        sliced = lake.load_lake_survey(con, folder, target).frame
    assert len(whole) == stored["survey"]["n_responses"]
    pd.testing.assert_frame_equal(sliced, whole)


def test_answer_rows_without_a_response_id_are_refused(
    demo: tuple[Path, Path, Any], tmp_path: Path
) -> None:
    """Rows the pivot cannot place (no response id) are refused with a message naming the
    survey and what is allowed, not counted as an extra respondent."""
    import shutil

    import pyarrow as pa

    from cxgap.engine import lake
    from cxgap.errors import DataError

    _, folder, _ = demo
    copy = tmp_path / "lake"
    shutil.copytree(folder, copy)
    part = copy / f"survey={SURVEY}" / "wave=2026Q4" / "part-0.parquet"
    table = pq.read_table(part)
    ids = table.column("response_id").to_pylist()
    ids[len(ids) // 2] = None
    table = table.set_column(0, "response_id", pa.array(ids, pa.int64()))
    pq.write_table(table, part)
    target = next(s for s in lake.lake_surveys(copy) if s.key == SURVEY)
    with lake.connect("duckdb") as con, pytest.raises(DataError) as caught:
        lake.load_lake_survey(con, copy, target)
    assert SURVEY in str(caught.value) and "allowed:" in str(caught.value)
