"""Measured recovery: did the work on cases change what customers say afterwards?

Figures over the stored cases and the customers' answers to the recommendation item
(``item``, 0..10):

- ``sla_compliance``: resolved cases with a due time that were resolved by it (Wilson);
- ``recovery_rate``: resolved cases whose customer's first answer after the resolution is
  7 or more (no longer a detractor), among those with such an answer (Wilson);
- ``before_after``: the paired change from the answer that opened the case to the first
  answer after its resolution;
- ``paradox``: those later answers of recovered customers against the answers of customers
  who never had a case, in the same surveys (Welch; ``finding`` says whether recovered
  customers score higher: the service-recovery paradox);
- ``holdout``: later answers (after the case was opened) of contacted against held-out
  rule-opened cases (Welch): the effect of calling back, unbiased by randomisation;
- ``time_to_resolution``: Kaplan-Meier curves of the hours from opening to resolution by
  team, cases still open censored at their age, with the log-rank test across teams.

A figure without enough data is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from cxgap.errors import DataError
from cxgap.stats.recovery import (
    HoldoutEffect,
    PairedChange,
    RecoveryParadox,
    RecoveryRate,
    ResolutionTimes,
    holdout_effect,
    paired_change,
    recovery_paradox,
    recovery_rate,
    resolution_times,
)
from cxgap.store.cases import Case
from cxgap.store.database import transaction
from cxgap.store.models import Answer, Response
from cxgap.times import as_utc, now

RECOVERED_FROM = 7
"""A later answer of 7 or more counts as recovered (no longer a detractor)."""


@dataclass(frozen=True)
class RecoveryFigures:
    """The figures of :func:`recovery_figures`; ``None`` where the data are too few."""

    item: str
    cases: int
    sla_compliance: RecoveryRate | None
    recovery_rate: RecoveryRate | None
    before_after: PairedChange | None
    paradox: RecoveryParadox | None
    holdout: HoldoutEffect | None
    time_to_resolution: ResolutionTimes | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``cxgap cases stats --json`` (``docs/cases.md``)."""
        return {
            "item": self.item,
            "cases": self.cases,
            **{
                name: None if value is None else value.to_dict()
                for name, value in (
                    ("sla_compliance", self.sla_compliance),
                    ("recovery_rate", self.recovery_rate),
                    ("before_after", self.before_after),
                    ("paradox", self.paradox),
                    ("holdout", self.holdout),
                )
            },
            "time_to_resolution": None
            if self.time_to_resolution is None
            else self.time_to_resolution.to_dict(),
        }


def _or_none(compute: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return compute(*args, **kwargs)
    except DataError:
        return None


def _frames(engine: Engine, item: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    with transaction(engine) as session:
        cases = pd.DataFrame(
            [
                {
                    "id": c.id,
                    "customer": c.customer_id,
                    "team": c.team or "-",
                    "source_type": c.source_type,
                    "source_id": c.source_id,
                    "rule": c.rule,
                    "holdout": c.holdout,
                    "created": as_utc(c.created_at),
                    "resolved": as_utc(c.resolved_at),
                    "due": as_utc(c.resolution_due_at),
                }
                for c in session.scalars(select(Case))
            ],
            columns=[
                "id",
                "customer",
                "team",
                "source_type",
                "source_id",
                "rule",
                "holdout",
                "created",
                "resolved",
                "due",
            ],
        )
        answers = pd.DataFrame(
            session.execute(
                select(
                    Response.id,
                    Response.customer_id,
                    Response.survey_id,
                    Response.submitted_at,
                    Answer.score,
                )
                .join(Answer, Answer.response_id == Response.id)
                .where(Answer.item_id == item, Answer.score.is_not(None))
                .where(Response.customer_id.is_not(None))
            ).all(),
            columns=["response", "customer", "survey", "at", "score"],
        )
    answers["at"] = pd.to_datetime(answers["at"], utc=True)
    return cases, answers


def _first_after(answers: pd.DataFrame, customer: Any, moment: Any) -> pd.Series | None:
    later = answers[(answers["customer"] == customer) & (answers["at"] > moment)]
    return None if later.empty else later.sort_values("at").iloc[0]


def case_outcomes(engine: Engine, *, item: str = "nps") -> pd.DataFrame:
    """Every stored case (``id``, ``holdout``, ``created``, ``resolved``, ``due``) with its
    customer's first answer to ``item`` after the resolution (``later_score``, missing
    when the case is not resolved or no answer came) and whether it counts as recovered
    (``recovered``: the later answer is :data:`RECOVERED_FROM` or more)."""
    cases, answers = _frames(engine, item)
    later = [
        _first_after(answers, customer, resolved) if pd.notna(resolved) else None
        for customer, resolved in zip(cases["customer"], cases["resolved"], strict=True)
    ]
    scores = pd.Series([float("nan") if a is None else float(a["score"]) for a in later],
                       index=cases.index, dtype="float64")  # fmt: skip
    return cases[["id", "holdout", "created", "resolved", "due"]].assign(
        later_score=scores, recovered=scores >= RECOVERED_FROM
    )


def recovery_figures(engine: Engine, *, item: str = "nps") -> RecoveryFigures:
    """The figures of the module's docstring over every stored case."""
    cases, answers = _frames(engine, item)
    resolved = cases[cases["resolved"].notna()]
    with_due = resolved[resolved["due"].notna()]
    sla = _or_none(
        recovery_rate, int((with_due["resolved"] <= with_due["due"]).sum()), len(with_due)
    )
    before, after, later_recovered, surveys = [], [], [], set()
    for case in resolved.itertuples():
        first = _first_after(answers, case.customer, case.resolved)
        if first is None:
            continue
        after.append(float(first["score"]))
        surveys.add(first["survey"])
        if after[-1] >= RECOVERED_FROM:
            later_recovered.append(after[-1])
        opening = (
            answers[answers["response"] == case.source_id]
            if case.source_type == "response"
            else None
        )
        before.append(
            float(opening["score"].iloc[0])
            if opening is not None and len(opening)
            else float("nan")
        )
    recovered_count = sum(1 for a in after if a >= RECOVERED_FROM)
    rate = _or_none(recovery_rate, recovered_count, len(after))
    change = _or_none(paired_change, before, after) if after else None
    never = answers[~answers["customer"].isin(cases["customer"]) & answers["survey"].isin(surveys)]
    paradox = _or_none(recovery_paradox, later_recovered, never["score"].to_numpy())
    ruled = cases[cases["rule"].notna()]
    groups: dict[bool, list[float]] = {True: [], False: []}
    for case in ruled.itertuples():
        first = _first_after(answers, case.customer, case.created)
        if first is not None:
            groups[bool(case.holdout)].append(float(first["score"]))
    holdout = _or_none(holdout_effect, groups[False], groups[True])
    worked = cases[~cases["holdout"].astype(bool)]
    end = worked["resolved"].where(worked["resolved"].notna(), now())
    hours = pd.to_datetime(end, utc=True) - pd.to_datetime(worked["created"], utc=True)
    curves = _or_none(
        resolution_times,
        (hours.dt.total_seconds() / 3600).to_numpy(),
        worked["resolved"].notna().to_numpy().astype(int),
        worked["team"].astype(str).tolist(),
    )
    return RecoveryFigures(item, len(cases), sla, rate, change, paradox, holdout, curves)
