"""One ranked list of where to act first.

The tolerance zone, the share of customers below their adequate level, derived and stated
importance, the trend of perception and the Kano category each answer a different
question; read apart they can disagree (a dimension below the zone for most customers can
sit in the "low priority" quadrant of an importance-performance grid, because that grid
only compares importance and mean performance with their averages). :func:`priority_ranking`
combines them by one documented rule and says, for every rank, why.

The rule
--------
Every service dimension and every Kano feature falls into the first tier that applies:

1. ``act_now`` — a dimension whose mean perception lies below the zone of tolerance
   (:math:`\\bar P < \\bar A`), or below their own adequate level for at least
   ``majority`` of the customers: customers are let down today, whatever its importance;
2. ``act_soon`` — a dimension whose perception fell significantly over the recent waves
   (change < 0 with p < ``alpha``), or one with items delivered below the adequate level;
3. ``protect`` — a dimension of at least average importance (derived or stated, each
   against its mean over the dimensions, the importance-performance cut);
4. ``opportunity`` — a Kano feature customers take for granted (M), reward in proportion
   (O) or would be delighted by (A), in that order (Matzler et al., 1996);
5. ``maintain`` — everything else (dimensions within or above the zone with below-average
   importance; indifferent, reverse or questionable features).

Inside a tier the dimensions come first, then by share below adequate (highest first), then
by importance (mean of the derived and stated shares given, highest first), then by the
Kano order M, O, A, I, R, Q, and last by name: the ranking is deterministic, and equal
inputs give equal ranks in name order.

References: Zeithaml, Berry & Parasuraman (1993), the zone of tolerance; Martilla & James
(1977), importance-performance analysis; Matzler, Hinterhuber, Bailom & Sauerwein (1996),
the order of Kano categories for product development.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from cxgap.errors import DataError
from cxgap.stats.result import StatResult, to_jsonable

__all__ = [
    "DIMENSION_COLUMNS",
    "REASONS",
    "TIERS",
    "PriorityEntry",
    "PriorityRanking",
    "PriorityReason",
    "priority_ranking",
]

Tier = Literal["act_now", "act_soon", "protect", "opportunity", "maintain"]
TIERS: tuple[Tier, ...] = ("act_now", "act_soon", "protect", "opportunity", "maintain")
"""Tiers of the rule, most urgent first."""

ReasonCode = Literal[
    "below_zone",
    "within_zone",
    "above_zone",
    "majority_below",
    "share_below",
    "worsening",
    "items_below",
    "important_derived",
    "less_important_derived",
    "important_stated",
    "less_important_stated",
    "below_first",
    "kano_M",
    "kano_O",
    "kano_A",
    "kano_I",
    "kano_R",
    "kano_Q",
]
REASONS: tuple[ReasonCode, ...] = ReasonCode.__args__  # type: ignore[attr-defined]
"""Every reason code; each is a catalogue key ``pr_<code>`` (context ``report``)."""

DIMENSION_COLUMNS = (
    "position",
    "msa",
    "share_below_adequate",
    "importance",
    "stated_importance",
    "trend_change",
    "trend_p",
    "items_below",
)
"""Columns :func:`priority_ranking` reads from its ``dimensions`` table (all optional)."""

_POSITIONS = ("below", "within", "above")
_KANO_ORDER = ("M", "O", "A", "I", "R", "Q")
_WANTED = frozenset({"M", "O", "A"})


@dataclass(frozen=True)
class PriorityReason:
    """Why an area has its rank: a reason code and the number it rests on, if any
    (a share, an MSA, a change of perception, a count)."""

    code: ReasonCode
    value: float | None = None


@dataclass(frozen=True)
class PriorityEntry:
    """One place in the list."""

    rank: int
    area: str
    kind: Literal["dimension", "feature"]
    tier: Tier
    reasons: tuple[PriorityReason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "area": self.area,
            "kind": self.kind,
            "tier": self.tier,
            "reasons": [{"code": r.code, "value": to_jsonable(r.value)} for r in self.reasons],
        }


@dataclass(frozen=True)
class PriorityRanking(StatResult):
    """The ranked list of :func:`priority_ranking`.

    ``summary`` (index: ``area``, in rank order) columns: ``rank``, ``kind``
    (``dimension`` or ``feature``), ``tier`` (one of :data:`TIERS`), ``share_below_adequate``,
    ``msa``, ``importance``, ``stated_importance``, ``trend_change``, ``kano_category``
    (``NaN``/``None`` where not given) and ``reasons`` (the reason codes, comma-separated).
    ``entries`` holds the same list with typed reasons.
    """

    entries: tuple[PriorityEntry, ...]
    majority: float
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [e.to_dict() for e in self.entries],
            "majority": self.majority,
            "alpha": self.alpha,
            "summary": to_jsonable(self.summary),
        }


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _checked_dimensions(dimensions: pd.DataFrame | None) -> pd.DataFrame:
    if dimensions is None:
        return pd.DataFrame(columns=list(DIMENSION_COLUMNS))
    if not isinstance(dimensions, pd.DataFrame):
        raise DataError(
            f"dimensions: got {type(dimensions).__name__}; allowed: a DataFrame indexed by "
            f"dimension with columns among {', '.join(DIMENSION_COLUMNS)}"
        )
    unknown = [str(c) for c in dimensions.columns if c not in DIMENSION_COLUMNS]
    if unknown:
        raise DataError(
            f"dimensions: unknown column(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(DIMENSION_COLUMNS)}"
        )
    if not dimensions.index.is_unique:
        raise DataError("dimensions: dimension names must be unique")
    frame = dimensions.reindex(columns=list(DIMENSION_COLUMNS))
    for name, row in frame.iterrows():
        position = row["position"]
        missing = position is None or (isinstance(position, float) and math.isnan(position))
        if not missing and position not in _POSITIONS:
            raise DataError(
                f"dimensions: row {name!r}, column position is {position!r}; allowed: "
                f"{', '.join(_POSITIONS)} or missing"
            )
        for column in DIMENSION_COLUMNS[1:]:
            value = row[column]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            number = _number(value)
            if number is None or math.isinf(number) or isinstance(value, bool):
                raise DataError(
                    f"dimensions: row {name!r}, column {column} is {value!r}; allowed: a "
                    "finite number or missing"
                )
            shares = ("share_below_adequate", "importance", "stated_importance", "trend_p")
            if column in shares and not 0.0 <= number <= 1.0:
                raise DataError(
                    f"dimensions: row {name!r}, column {column} is {number}; allowed: a "
                    "share from 0 to 1"
                )
            if column == "items_below" and (number < 0 or not number.is_integer()):
                raise DataError(
                    f"dimensions: row {name!r}, column items_below is {number}; allowed: a "
                    "whole number from 0"
                )
    return frame


def _checked_features(features: Mapping[str, Any] | pd.Series | None) -> dict[str, str | None]:
    if features is None:
        return {}
    items = features.items()
    found: dict[str, str | None] = {}
    for name, category in items:
        if category is None or (isinstance(category, float) and math.isnan(category)):
            found[str(name)] = None
        elif category in _KANO_ORDER:
            found[str(name)] = str(category)
        else:
            raise DataError(
                f"features: {name!r} has category {category!r}; allowed: "
                f"{', '.join(_KANO_ORDER)} or missing"
            )
    return found


def _high(value: float | None, cut: float | None) -> bool | None:
    return None if value is None or cut is None else value >= cut


def _dimension_entry(
    row: pd.Series, cuts: dict[str, float | None], majority: float, alpha: float
) -> tuple[Tier, list[PriorityReason]]:
    position = row["position"] if row["position"] in _POSITIONS else None
    msa, share = _number(row["msa"]), _number(row["share_below_adequate"])
    change, p = _number(row["trend_change"]), _number(row["trend_p"])
    items_below = int(_number(row["items_below"]) or 0)
    derived, stated = _number(row["importance"]), _number(row["stated_importance"])
    high_derived = _high(derived, cuts["importance"])
    high_stated = _high(stated, cuts["stated_importance"])
    reasons: list[PriorityReason] = []
    if position is not None:
        reasons.append(PriorityReason(f"{position}_zone", msa))  # type: ignore[arg-type]
    majority_below = share is not None and share >= majority
    if share is not None:
        reasons.append(PriorityReason("majority_below" if majority_below else "share_below", share))
    worsening = change is not None and p is not None and change < 0 and p < alpha
    if worsening:
        reasons.append(PriorityReason("worsening", change))
    if items_below:
        reasons.append(PriorityReason("items_below", float(items_below)))
    if high_derived is not None:
        code = "important_derived" if high_derived else "less_important_derived"
        reasons.append(PriorityReason(code, derived))  # type: ignore[arg-type]
    if high_stated is not None:
        code = "important_stated" if high_stated else "less_important_stated"
        reasons.append(PriorityReason(code, stated))  # type: ignore[arg-type]
    if position == "below" or majority_below:
        if high_derived is False or high_stated is False:
            reasons.append(PriorityReason("below_first"))
        return "act_now", reasons
    if worsening or items_below:
        return "act_soon", reasons
    if high_derived or high_stated:
        return "protect", reasons
    return "maintain", reasons


def priority_ranking(
    dimensions: pd.DataFrame | None = None,
    features: Mapping[str, Any] | pd.Series | None = None,
    *,
    majority: float = 0.5,
    alpha: float = 0.05,
) -> PriorityRanking:
    r"""Rank service dimensions and Kano features by where to act first (rule in the
    module docstring).

    Args:
        dimensions: one row per dimension (index: its name) with any of the columns
            :data:`DIMENSION_COLUMNS`: ``position`` of the mean perception against the zone
            of tolerance (``below``/``within``/``above``), ``msa`` (measure of service
            adequacy, :math:`\bar P - \bar A`), ``share_below_adequate`` (0-1), derived
            ``importance`` and ``stated_importance`` (shares, 0-1), ``trend_change`` and
            ``trend_p`` (change of mean perception over the recent waves and its p-value),
            ``items_below`` (items delivered significantly below the adequate level).
            Missing values leave that evidence out.
        features: Kano category (``A``, ``O``, ``M``, ``I``, ``R``, ``Q`` or missing) by
            feature name.
        majority: share of customers below their adequate level from which a dimension is
            ``act_now`` even when its mean lies within the zone.
        alpha: significance level of a falling trend.

    Importance is "high" at or above the mean over the dimensions that have it (the
    importance-performance cut), separately for derived and stated importance.

    Example:
        >>> dims = pd.DataFrame(
        ...     {"position": ["within", "below"], "share_below_adequate": [0.1, 0.6],
        ...      "importance": [0.7, 0.3]},
        ...     index=["reliability", "responsiveness"],
        ... )
        >>> ranking = priority_ranking(dims, {"app": "A"})
        >>> [(e.rank, e.area, e.tier) for e in ranking.entries]
        [(1, 'responsiveness', 'act_now'), (2, 'reliability', 'protect'), (3, 'app', 'opportunity')]
    """
    if _number(majority) is None or not 0.0 < float(majority) <= 1.0:
        raise DataError(f"majority: got {majority!r}; allowed: a share above 0 and up to 1")
    if _number(alpha) is None or not 0.0 < float(alpha) < 1.0:
        raise DataError(f"alpha: got {alpha!r}; allowed: a number between 0 and 1")
    frame = _checked_dimensions(dimensions)
    kano = _checked_features(features)
    clash = sorted(set(map(str, frame.index)) & set(kano))
    if clash:
        raise DataError(
            f"features: {', '.join(clash)} also named as dimension(s); allowed: distinct names"
        )
    if frame.empty and not kano:
        raise DataError("dimensions, features: nothing to rank; give at least one of them")
    cuts: dict[str, float | None] = {}
    for column in ("importance", "stated_importance"):
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        cuts[column] = float(values.mean()) if len(values) else None
    rows: list[dict[str, Any]] = []
    for name, row in frame.iterrows():
        tier, reasons = _dimension_entry(row, cuts, float(majority), float(alpha))
        given = [
            v
            for v in (_number(row["importance"]), _number(row["stated_importance"]))
            if v is not None
        ]
        rows.append(
            {
                "area": str(name),
                "kind": "dimension",
                "tier": tier,
                "reasons": tuple(reasons),
                "share_below_adequate": _number(row["share_below_adequate"]),
                "msa": _number(row["msa"]),
                "importance": _number(row["importance"]),
                "stated_importance": _number(row["stated_importance"]),
                "trend_change": _number(row["trend_change"]),
                "kano_category": None,
                "_weight": sum(given) / len(given) if given else 0.0,
            }
        )
    for name, category in kano.items():
        rows.append(
            {
                "area": name,
                "kind": "feature",
                "tier": "opportunity" if category in _WANTED else "maintain",
                "reasons": () if category is None else (PriorityReason(f"kano_{category}"),),  # type: ignore[arg-type]
                "share_below_adequate": None,
                "msa": None,
                "importance": None,
                "stated_importance": None,
                "trend_change": None,
                "kano_category": category,
                "_weight": 0.0,
            }
        )
    rows.sort(
        key=lambda r: (
            TIERS.index(r["tier"]),
            r["kind"] != "dimension",
            -(r["share_below_adequate"] or 0.0),
            -r["_weight"],
            _KANO_ORDER.index(r["kano_category"]) if r["kano_category"] else len(_KANO_ORDER),
            r["area"],
        )
    )
    entries = tuple(
        PriorityEntry(rank, r["area"], r["kind"], r["tier"], r["reasons"])
        for rank, r in enumerate(rows, start=1)
    )
    summary = pd.DataFrame(
        {
            "rank": [e.rank for e in entries],
            "kind": [e.kind for e in entries],
            "tier": [e.tier for e in entries],
            **{
                column: [math.nan if r[column] is None else r[column] for r in rows]
                for column in (
                    "share_below_adequate",
                    "msa",
                    "importance",
                    "stated_importance",
                    "trend_change",
                )
            },
            "kano_category": [r["kano_category"] for r in rows],
            "reasons": [",".join(reason.code for reason in e.reasons) for e in entries],
        },
        index=pd.Index([e.area for e in entries], name="area"),
    )
    return PriorityRanking(summary, entries, float(majority), float(alpha))
