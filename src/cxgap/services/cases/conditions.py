"""Rule conditions: the signals that open cases, one class per kind.

A condition reads one source table in id order from a mark (the highest id it has seen)
and returns :class:`Signal` rows for the records that meet it. A new kind of signal
(a message classified negative, a churn-risk score over a threshold, an unmet standard in
a service encounter) is one more class registered in :data:`CONDITIONS`, with its
parameters checked in ``from_params``; the sweep, the marks and the de-duplication work
unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from cxgap.errors import NotFoundError, ValidationError
from cxgap.services.delivery import MET_OUTCOME
from cxgap.store.models import Answer, Encounter, FeedbackMessage, Response, Survey
from cxgap.store.standards import ServiceStandard
from cxgap.times import as_utc


class RulesError(ValidationError):
    """A case rules file is invalid; the message names the file and the field."""


DETRACTOR_MAX = 6
"""Scores 0..6 of the 0..10 recommendation question are detractors."""


@dataclass(frozen=True)
class Signal:
    """A record that meets a rule's condition."""

    source_type: str
    source_id: int
    customer_id: int
    occurred_at: dt.datetime | None
    details: Mapping[str, Any]


class Condition(Protocol):
    """What a rule condition provides (see the module's docstring)."""

    kind: ClassVar[str]
    source_type: ClassVar[str]
    default_cause: ClassVar[str]

    @property
    def root_item(self) -> str | None:
        """The item the signal is about (a case's root cause starts there), if any."""

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, where: str) -> Condition: ...

    def signals(self, session: Session, *, after: int, upto: int, limit: int) -> list[Signal]: ...


def _only(params: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(k) for k in params if k not in allowed)
    if unknown:
        raise RulesError(
            f"{where}: unknown key {', '.join(unknown)} for this condition; "
            f"allowed: {', '.join(allowed) or 'none'}"
        )


def _text(params: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise RulesError(f"{where}.{key}: expected {'an item id' if key == 'item' else 'text'}")
    return value


def _names(params: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """An optional name or list of names (``channel: hotline``, ``touchpoint: [a, b]``)."""
    value = params.get(key)
    if value is None:
        return ()
    names = (value,) if isinstance(value, str) else value
    if (
        not isinstance(names, list | tuple)
        or not names
        or not all(isinstance(c, str) and c for c in names)
    ):
        raise RulesError(f"{where}.{key}: expected a {key} or a list of them, got {value!r}")
    return tuple(names)


def _answer_query(
    item: str, survey: str | None, after: int, upto: int
) -> Select[int, int | None, dt.datetime | None, float | None, float | None, float | None]:
    """The answers to ``item`` past ``after`` up to ``upto``: only the columns a signal
    records (a sweep reads hundreds of thousands; whole ORM objects cost ten times more)."""
    query = (
        select(
            Response.id,
            Response.customer_id,
            Response.submitted_at,
            Answer.score,
            Answer.perceived,
            Answer.adequate,
        )
        .join(Answer, Answer.response_id == Response.id)
        .where(
            Answer.item_id == item,
            Response.id > after,
            Response.id <= upto,
            Response.customer_id.is_not(None),
        )
    )
    if survey is not None:
        query = query.join(Survey, Survey.id == Response.survey_id).where(Survey.key == survey)
    return query.order_by(Response.id)


@dataclass(frozen=True)
class _AnswerCondition:
    """A condition on the answers to one item (optionally of one survey): the subclass
    says which answers signal (:meth:`_signalling`) and what a signal records."""

    item: str
    survey: str | None = None
    source_type: ClassVar[str] = "response"

    @property
    def root_item(self) -> str | None:
        return self.item

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, where: str) -> Self:
        _only(params, ("item", "survey"), where)
        item = _text(params, "item", where, required=True)
        assert item is not None
        return cls(item, _text(params, "survey", where, required=False))

    @staticmethod
    def _signalling() -> ColumnElement[bool]:
        raise NotImplementedError

    def _details(self, answer: Any) -> dict[str, Any]:
        """What a signal records of the answer (its ``score``, ``perceived``, ``adequate``)."""
        raise NotImplementedError

    def signals(self, session: Session, *, after: int, upto: int, limit: int) -> list[Signal]:
        query = _answer_query(self.item, self.survey, after, upto).where(self._signalling())
        return [
            Signal(
                "response", row.id, row.customer_id, as_utc(row.submitted_at), self._details(row)
            )
            for row in session.execute(query.limit(limit))
            if row.customer_id is not None  # the query keeps known customers only
        ]


@dataclass(frozen=True)
class NpsDetractor(_AnswerCondition):
    """A response whose recommendation score (0..10) is 6 or less.

    Parameters: ``item`` (the 0..10 item, e.g. ``nps``), optional ``survey`` (a survey key).
    """

    kind: ClassVar[str] = "nps_detractor"
    default_cause: ClassVar[str] = "detractor"

    @staticmethod
    def _signalling() -> ColumnElement[bool]:
        return Answer.score <= DETRACTOR_MAX

    def _details(self, answer: Any) -> dict[str, Any]:
        return {"item": self.item, "score": answer.score}


@dataclass(frozen=True)
class BelowAdequate(_AnswerCondition):
    """A response whose perception of ``item`` is below the customer's own adequate level.

    Parameters: ``item``, optional ``survey``.
    """

    kind: ClassVar[str] = "below_adequate"
    default_cause: ClassVar[str] = "below_adequate"

    @staticmethod
    def _signalling() -> ColumnElement[bool]:
        return Answer.perceived < Answer.adequate

    def _details(self, answer: Any) -> dict[str, Any]:
        return {"item": self.item, "perceived": answer.perceived, "adequate": answer.adequate}


@dataclass(frozen=True)
class FeedbackFromChannel:
    """A feedback message of a known customer, from any channel or the ones listed.

    Parameters: optional ``channel`` (a channel or a list of them).
    """

    channels: tuple[str, ...] = ()
    kind: ClassVar[str] = "feedback_message"
    source_type: ClassVar[str] = "feedback"
    default_cause: ClassVar[str] = "feedback"

    @property
    def root_item(self) -> str | None:
        return None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, where: str) -> FeedbackFromChannel:
        _only(params, ("channel",), where)
        return cls(_names(params, "channel", where))

    def signals(self, session: Session, *, after: int, upto: int, limit: int) -> list[Signal]:
        query = select(FeedbackMessage).where(
            FeedbackMessage.id > after,
            FeedbackMessage.id <= upto,
            FeedbackMessage.customer_id.is_not(None),
        )
        if self.channels:
            query = query.where(FeedbackMessage.channel.in_(self.channels))
        rows = session.scalars(query.order_by(FeedbackMessage.id).limit(limit))
        return [
            Signal(
                "feedback",
                m.id,
                m.customer_id,
                as_utc(m.received_at),
                {"channel": m.channel, "text": m.text[:500]},
            )
            for m in rows
            if m.customer_id is not None
        ]


@dataclass(frozen=True)
class UnmetStandard:
    """A service encounter of a customer that missed a service standard.

    The record per customer is the encounter (a delivery measurement is per unit and
    period, not per customer). Encounters carry an outcome, not a measured time, so an
    encounter meets a standard exactly as :func:`cxgap.services.delivery.
    delivery_from_encounters` counts it: resolved (:data:`MET_OUTCOME`); any other
    outcome misses it. Only encounters on or after the approved version's
    ``effective_from`` (and up to its ``effective_to``) count.

    Parameters: ``standard`` (a standard key with an approved version), optional
    ``channel`` and ``touchpoint`` (a name or a list: only encounters there).
    """

    standard: str
    channels: tuple[str, ...] = ()
    touchpoints: tuple[str, ...] = ()
    kind: ClassVar[str] = "unmet_standard"
    source_type: ClassVar[str] = "encounter"
    default_cause: ClassVar[str] = "unmet_standard"

    @property
    def root_item(self) -> str | None:
        return None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, where: str) -> UnmetStandard:
        _only(params, ("standard", "channel", "touchpoint"), where)
        standard = params.get("standard")
        if not isinstance(standard, str) or not standard:
            raise RulesError(
                f"{where}.standard: expected a standard key (see cxgap standards list), "
                f"got {standard!r}"
            )
        return cls(standard, _names(params, "channel", where), _names(params, "touchpoint", where))

    def _approved(self, session: Session) -> ServiceStandard:
        found = session.scalar(
            select(ServiceStandard).where(
                ServiceStandard.key == self.standard, ServiceStandard.status == "approved"
            )
        )
        if found is None:
            raise NotFoundError(
                f"case rule condition {self.kind}: standard {self.standard!r} has no approved "
                "version (see cxgap standards list); approve one or change the rule"
            )
        return found

    def signals(self, session: Session, *, after: int, upto: int, limit: int) -> list[Signal]:
        standard = self._approved(session)
        start = dt.datetime.combine(standard.effective_from, dt.time(), dt.UTC)
        query = select(Encounter).where(
            Encounter.id > after,
            Encounter.id <= upto,
            Encounter.outcome != MET_OUTCOME,
            Encounter.occurred_at >= start,
        )
        if standard.effective_to is not None:
            end = dt.datetime.combine(standard.effective_to, dt.time(), dt.UTC)
            query = query.where(Encounter.occurred_at < end + dt.timedelta(days=1))
        if self.channels:
            query = query.where(Encounter.channel.in_(self.channels))
        if self.touchpoints:
            query = query.where(Encounter.touchpoint.in_(self.touchpoints))
        return [
            Signal(
                "encounter",
                e.id,
                e.customer_id,
                as_utc(e.occurred_at),
                {
                    "standard": standard.key,
                    "version": standard.version,
                    "channel": e.channel,
                    "touchpoint": e.touchpoint,
                    "outcome": e.outcome,
                },
            )
            for e in session.scalars(query.order_by(Encounter.id).limit(limit))
        ]


CONDITIONS: dict[
    str,
    type[NpsDetractor] | type[BelowAdequate] | type[FeedbackFromChannel] | type[UnmetStandard],
] = {
    NpsDetractor.kind: NpsDetractor,
    BelowAdequate.kind: BelowAdequate,
    FeedbackFromChannel.kind: FeedbackFromChannel,
    UnmetStandard.kind: UnmetStandard,
}
"""Condition kind (a rule's ``when``) -> its class (each one a :class:`Condition`)."""

SOURCES = {"response": Response.id, "feedback": FeedbackMessage.id, "encounter": Encounter.id}
"""Source type -> the id column a rule's mark follows."""


def high_water(session: Session, source_type: str) -> int:
    """The highest id of a source table now: a sweep reads up to it and marks it read."""
    return int(session.scalar(select(func.max(SOURCES[source_type]))) or 0)
