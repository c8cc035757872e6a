"""The demo's staff: one clearly better person is found, the newcomer with three
compliments does not top the shrunk ranking, and the other demo numbers stay the same."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from tests.databases import load_demo_copy

from cxgap.demo.staff import STAFF_TRUTHS, assign_staff, people
from cxgap.services.cases.recognition import recognition_board
from cxgap.store.database import get_engine, transaction, upgrade
from cxgap.store.models import Encounter, FeedbackMessage

ANCHOR = dt.date(2027, 1, 1)


def test_demo_staff_plants_a_star_and_a_newcomer(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "demo.db"))
    upgrade(engine)
    result = load_demo_copy(engine, seed=7, customers=1500, anchor=ANCHOR, recovery=False)
    assert result is not None and result.truths_file is not None
    truths = json.loads(Path(result.truths_file).read_text(encoding="utf-8"))["staff"]
    assert truths["star"] == STAFF_TRUTHS["star"] and truths["people"] == 20
    with transaction(engine) as session:
        unstaffed = session.scalar(
            select(func.count()).select_from(Encounter).where(Encounter.staff.is_(None))
        )
        pairs = set(session.execute(select(Encounter.staff, Encounter.team)).all())
        newcomer_messages = session.scalar(
            select(func.count())
            .select_from(FeedbackMessage)
            .where(FeedbackMessage.staff == STAFF_TRUTHS["newcomer"])
        )
    assert unstaffed == 0 and pairs <= set(people().items())
    assert newcomer_messages == 3
    board = recognition_board(engine, viewer="cli:test")
    rows = {r.name: r for r in board.delight_people}
    newcomer = rows[STAFF_TRUTHS["newcomer"]]
    assert (newcomer.delighted, newcomer.contacts, newcomer.raw) == (3, 3, 1.0)
    assert board.delight_people[0].name == STAFF_TRUTHS["star"]
    assert newcomer.rank > 1 and newcomer.shrunk < rows[STAFF_TRUTHS["star"]].shrunk
    others = [r.raw for name, r in rows.items() if name not in truths.values()]
    assert rows[STAFF_TRUTHS["star"]].raw > max(others)
    assert len(board.delight_teams) == 4


def test_staff_stream_leaves_other_draws_alone() -> None:
    flags = np.array([1.0, 0.0, np.nan] * 50)
    messages = np.array([1.0, 0.0] * 10)
    first = assign_staff(3, flags, messages)
    assert first == assign_staff(3, flags, messages)  # its own seeded stream
    served, about, _ = first
    assert len(served) == 150 and len(about) == 20
    assert about.count(STAFF_TRUTHS["newcomer"]) + served.count(STAFF_TRUTHS["newcomer"]) == 3
    assert STAFF_TRUTHS["newcomer"] not in served
