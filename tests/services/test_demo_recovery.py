"""The demo's planted call-back effect and hold-out are recovered from the stored data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
from scipy import stats
from sqlalchemy import select
from tests.databases import load_demo_copy

from cxgap.demo.recovery import RECOVERY_TRUTHS
from cxgap.services.cases.recovery import recovery_figures
from cxgap.store.cases import Case
from cxgap.store.database import get_engine, transaction, upgrade
from cxgap.store.models import Answer, Response, Survey
from cxgap.times import as_utc

ANCHOR = dt.date(2027, 1, 1)


def test_demo_recovery_is_recovered(tmp_path: Path) -> None:
    engine = get_engine(str(tmp_path / "demo.db"))
    upgrade(engine)
    result = load_demo_copy(engine, seed=3, customers=1500, anchor=ANCHOR)
    assert result is not None and result.truths_file is not None
    truths = json.loads(Path(result.truths_file).read_text(encoding="utf-8"))["recovery"]
    with transaction(engine) as session:
        cases = list(session.scalars(select(Case)))
        last = session.scalar(select(Survey.id).where(Survey.key == "heating-2026q4"))
        follow = session.scalar(select(Survey.id).where(Survey.key == truths["follow_up_survey"]))
        detractors = session.scalar(
            select(Answer.response_id)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == last, Answer.item_id == "nps", Answer.score <= 6)
            .limit(1)
        )
        later = dict(
            session.execute(
                select(Response.customer_id, Answer.score)
                .join(Answer, Answer.response_id == Response.id)
                .where(Response.survey_id == follow, Answer.item_id == "nps")
            ).all()
        )
        stamps = [
            as_utc(s)
            for s in session.scalars(
                select(Response.submitted_at).where(Response.survey_id == follow)
            )
        ]
    assert detractors is not None
    assert truths["cases"] == len(cases) > 100
    held = [c for c in cases if c.holdout]
    assert truths["held_out"] == len(held)
    assert 0.2 < len(held) / len(cases) < 0.4
    # contacted cases are resolved, held-out ones untouched; everything before the anchor
    assert all((c.state == "resolved") != c.holdout for c in cases)
    end = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    assert all(as_utc(c.created_at) < end for c in cases)
    assert all(s is not None and s < end for s in stamps)

    figures = recovery_figures(engine, item="nps")
    effect = figures.holdout
    assert effect is not None
    planted = RECOVERY_TRUTHS["call_back_effect"]
    assert effect.ci_low > 0
    assert effect.ci_low <= planted <= effect.ci_high
    # an independent Welch computation on the stored follow-up answers
    contacted = np.array([later[c.customer_id] for c in cases if not c.holdout], dtype=float)
    kept = np.array([later[c.customer_id] for c in held], dtype=float)
    welch = stats.ttest_ind(contacted, kept, equal_var=False)
    assert (effect.n_contacted, effect.n_holdout) == (len(contacted), len(kept))
    assert abs(effect.effect - (contacted.mean() - kept.mean())) < 1e-9
    assert abs(effect.p_value - welch.pvalue) < 1e-9
    # the held-out customers are not counted as recovered: no resolution, no recovery rate
    assert figures.recovery_rate is not None
    assert figures.recovery_rate.cases == len(cases) - len(held)
