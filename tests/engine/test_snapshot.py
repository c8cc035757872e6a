"""Reads that belong together see one snapshot, while submissions keep being committed.

Runs on SQLite and on PostgreSQL (see ``BOTH_BACKENDS`` in tests/conftest.py).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cxgap.engine import answers, load_survey
from cxgap.instruments import Instrument
from cxgap.services.analysis import analyze_survey, cached_analysis, clear_analysis_cache
from cxgap.services.imports import import_file
from cxgap.services.surveys import create_survey
from cxgap.store.database import snapshot, transaction
from cxgap.store.models import Response, Survey

HEADER = (
    "respondent_id,gender,age_band,rel1_adequate,rel1_desired,rel1_perceived,"
    "emp1_expected,emp1_perceived,dis1,nps,kano_app_functional,kano_app_dysfunctional,"
    "importance_reliability,importance_empathy,comment"
)
BATCH = 3
"""Responses per import while the analyses run; each wave gets one batch in turn."""
BATCHES = 12


def complete_rows(prefix: str, start: int, count: int, rng: random.Random) -> list[str]:
    """``count`` responses that answer every item (so every part of an analysis counts
    each of them)."""
    return [
        f"{prefix}{start + k},female,18-34,{rng.randint(1, 4)},{rng.randint(6, 9)},"
        f"{rng.randint(1, 9)},{rng.randint(1, 7)},{rng.randint(1, 7)},{rng.randint(1, 7)},"
        f"{rng.randint(0, 10)},{rng.randint(1, 5)},{rng.randint(1, 5)},60,40,note {k}"
        for k in range(count)
    ]


@pytest.fixture
def waves(engine: Engine, mini: Instrument, tmp_path: Path) -> Callable[[int], None]:
    """Two waves of the mini instrument with 12 responses each; ``add(n)`` imports batch
    ``n``: ``BATCH`` responses into wave 1, then ``BATCH`` into wave 2 (two commits)."""
    with transaction(engine) as session:
        create_survey(session, "w1", instrument=mini, wave="W1")
        create_survey(session, "w2", instrument=mini, wave="W2")
    rng = random.Random(7)

    def store(survey: str, start: int, count: int) -> None:
        path = tmp_path / f"{survey}-{start}.csv"
        lines = [HEADER, *complete_rows(f"{survey}-r", start, count, rng)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        summary = import_file(engine, path, survey=survey)
        assert summary.accepted == count

    store("w1", 0, 12)
    store("w2", 0, 12)

    def add(n: int) -> None:
        store("w1", 100 + n * BATCH, BATCH)
        store("w2", 100 + n * BATCH, BATCH)

    return add


def count_responses(engine: Engine, survey: str, session: Session | None = None) -> int:
    """The survey's stored responses, read in ``session`` or in a new transaction."""
    query = (
        select(func.count(Response.id))
        .join(Survey, Survey.id == Response.survey_id)
        .where(Survey.key == survey)
    )
    if session is not None:
        return int(session.scalar(query) or 0)
    with transaction(engine) as own:
        return int(own.scalar(query) or 0)


def test_a_snapshot_does_not_see_commits_made_after_it_began(
    engine: Engine, waves: Callable[[int], None]
) -> None:
    with snapshot(engine) as session:
        before = count_responses(engine, "w1", session)
        writer = threading.Thread(target=waves, args=(0,))
        writer.start()
        writer.join()
        assert count_responses(engine, "w1", session) == before
        with snapshot(engine) as nested:  # a nested read joins the outer snapshot
            assert nested is session
            assert len(load_survey(engine, "w1", cache=False).frame) == before
    assert count_responses(engine, "w1") == before + BATCH
    # the same two reads in an ordinary transaction see the commit made between them:
    # without the snapshot the parts of one analysis could disagree
    with transaction(engine) as session:
        before = count_responses(engine, "w1", session)
        writer = threading.Thread(target=waves, args=(1,))
        writer.start()
        writer.join()
        assert count_responses(engine, "w1", session) == before + BATCH


def assert_consistent(analysis: Any) -> tuple[int, int]:
    """Every part of one analysis counts the same responses; returns (wave 1, wave 2) as
    the analysis saw them."""
    out = analysis.to_dict()
    n = out["survey"]["n_responses"]
    for part in ("tolerance_zone", "gaps", "kano"):
        counts = {row["n"] for row in out[part]["summary"] if "n" in row}
        assert counts == {n}, (part, counts, n)
    nps = {row["category"]: row["count"] for row in out["loyalty"]["nps"]["summary"]}
    assert nps["nps"] == n == nps["promoters"] + nps["passives"] + nps["detractors"]
    derived = out["importance"]["derived"]
    assert derived["n"] + derived["n_excluded"] == n
    trend = {(row["survey"], row["dimension"]): row["n"] for row in out["trend"]}
    assert {trend[("w2", d)] for d in ("reliability", "empathy")} == {n}
    first = {trend[("w1", d)] for d in ("reliability", "empathy")}
    assert len(first) == 1
    return first.pop(), n


@pytest.fixture
def racing_writer(engine: Engine, waves: Callable[[int], None]) -> Iterator[Callable[[], bool]]:
    """A thread importing ``BATCHES`` batches into both waves; yields ``running()``."""
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(BATCHES):
                waves(n)
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    yield writer.is_alive
    writer.join(timeout=120)
    assert not writer.is_alive() and not failures, failures


@pytest.mark.parametrize("reader", ["cursor", "reader_process"])
def test_analyses_racing_submissions_are_internally_consistent(
    engine: Engine,
    racing_writer: Callable[[], bool],
    reader: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if reader == "reader_process":
        # every read of a SQLite file takes the reader process (its own connection, a
        # later snapshot); PostgreSQL reads through the cursor in any case
        settings = answers.get_settings()
        small = settings.model_copy(
            update={"analysis": settings.analysis.model_copy(update={"arrow_reader_min_rows": 0})}
        )
        monkeypatch.setattr(answers, "get_settings", lambda: small)
    seen: list[tuple[int, int]] = []
    while racing_writer() or len(seen) < 3:
        clear_analysis_cache()
        for analyse in (analyze_survey, cached_analysis):
            first, second = assert_consistent(analyse(engine, "w2"))
            # wave 1 is written before wave 2, one batch at a time: at any one moment
            # wave 1 holds as many responses as wave 2, or one batch more
            assert 0 <= first - second <= BATCH, (first, second)
            seen.append((first, second))
        frame = load_survey(engine, "w2").frame
        numeric = frame[["rel1_adequate", "rel1_perceived", "nps"]].to_numpy(dtype=float)
        assert not np.isnan(numeric).any()  # every listed response has all its answers
    assert max(seen) <= (12 + BATCH * BATCHES, 12 + BATCH * BATCHES)
