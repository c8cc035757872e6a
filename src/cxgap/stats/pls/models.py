"""The standard satisfaction-index models: ECSI and ACSI.

Each is a :class:`StandardModel` with conventional construct and indicator names; map the
indicator names to your data's columns with :func:`standard_model` (or :func:`ecsi_model`,
:func:`acsi_model`).

ECSI (European Customer Satisfaction Index; Tenenhaus et al. 2005, the structure of the
plspm ``satisfaction`` example): image (IMAG) -> expectations (EXPE), satisfaction (SAT),
loyalty (LOY); EXPE -> perceived quality (QUAL), perceived value (VAL), SAT; QUAL -> VAL,
SAT; VAL -> SAT; SAT -> LOY.

ACSI (American Customer Satisfaction Index; Fornell et al. 1996): customer expectations
(EXPE) -> perceived quality (QUAL), perceived value (VAL), satisfaction (SAT); QUAL -> VAL,
SAT; VAL -> SAT; SAT -> complaints (COMP), loyalty (LOY); COMP -> LOY. Indicators:
expe1-3 (overall, customisation, reliability expected), qual1-3 (the same experienced),
val1-2 (price given quality, quality given price), sat1-3 (overall satisfaction,
confirmation of expectations, closeness to the ideal), comp1 (complained), loy1-2
(repurchase likelihood, price tolerance).

Instrument items name the indicator they stand for by their ``role``:
``csi_<construct>_<position>`` (lower case), e.g. ``csi_sat_2`` is the conventional indicator
``sat2`` of construct ``SAT`` (:func:`index_role`, :func:`parse_index_role`).

References: Fornell, Johnson, Anderson, Cha & Bryant (1996). *Journal of Marketing*
60(4), 7-18. Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005). *Computational
Statistics & Data Analysis* 48, 159-205.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cxgap.errors import ModelError
from cxgap.stats.pls.path_model import PLSPathModel


@dataclass(frozen=True)
class StandardModel:
    """A named model: structural paths, indicator blocks and construct descriptions."""

    name: str
    structural: dict[str, list[str]]
    measurement: dict[str, list[str]]
    descriptions: dict[str, str] = field(default_factory=dict)


def _items(prefix: str, k: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, k + 1)]


ECSI = StandardModel(
    name="ECSI",
    structural={
        "EXPE": ["IMAG"],
        "QUAL": ["EXPE"],
        "VAL": ["EXPE", "QUAL"],
        "SAT": ["IMAG", "EXPE", "QUAL", "VAL"],
        "LOY": ["IMAG", "SAT"],
    },
    measurement={
        "IMAG": _items("imag", 5),
        "EXPE": _items("expe", 5),
        "QUAL": _items("qual", 5),
        "VAL": _items("val", 4),
        "SAT": _items("sat", 4),
        "LOY": _items("loy", 4),
    },
    descriptions={
        "IMAG": "image",
        "EXPE": "customer expectations",
        "QUAL": "perceived quality",
        "VAL": "perceived value",
        "SAT": "customer satisfaction",
        "LOY": "customer loyalty",
    },
)

ACSI = StandardModel(
    name="ACSI",
    structural={
        "QUAL": ["EXPE"],
        "VAL": ["EXPE", "QUAL"],
        "SAT": ["EXPE", "QUAL", "VAL"],
        "COMP": ["SAT"],
        "LOY": ["SAT", "COMP"],
    },
    measurement={
        "EXPE": _items("expe", 3),
        "QUAL": _items("qual", 3),
        "VAL": _items("val", 2),
        "SAT": _items("sat", 3),
        "COMP": _items("comp", 1),
        "LOY": _items("loy", 2),
    },
    descriptions={
        "EXPE": "customer expectations",
        "QUAL": "perceived quality",
        "VAL": "perceived value",
        "SAT": "customer satisfaction (the ACSI)",
        "COMP": "customer complaints",
        "LOY": "customer loyalty",
    },
)


INDEX_CONSTRUCTS: dict[str, str] = {
    "IMAG": "image",
    "EXPE": "customer expectations",
    "QUAL": "perceived quality",
    "VAL": "perceived value",
    "SAT": "customer satisfaction",
    "COMP": "complaints (or complaint handling)",
    "LOY": "customer loyalty",
}
"""Constructs of the standard satisfaction-index models, with what each measures."""

_ROLE = re.compile(r"^csi_([a-z]+)_([1-9][0-9]*)$")


def index_role(construct: str, position: int) -> str:
    """The item role of indicator ``position`` (from 1) of ``construct``: ``csi_sat_2``."""
    if construct not in INDEX_CONSTRUCTS:
        raise ModelError(
            f"construct {construct!r} is not a satisfaction-index construct; "
            f"known: {list(INDEX_CONSTRUCTS)}"
        )
    if not (isinstance(position, int) and position >= 1):
        raise ModelError(f"position must be a positive integer, got {position!r}")
    return f"csi_{construct.lower()}_{position}"


def parse_index_role(role: str | None) -> tuple[str, int] | None:
    """``(construct, position)`` of a satisfaction-index role, ``None`` for other roles.

    Example: ``parse_index_role("csi_qual_3") == ("QUAL", 3)``; the conventional indicator
    name is ``f"{construct.lower()}{position}"`` (``qual3``).
    """
    match = _ROLE.match(role or "")
    if match is None or match.group(1).upper() not in INDEX_CONSTRUCTS:
        return None
    return match.group(1).upper(), int(match.group(2))


def standard_model(
    spec: StandardModel,
    *,
    indicators: Mapping[str, str] | None = None,
    **options: Any,
) -> PLSPathModel:
    """A :class:`PLSPathModel` for a standard index, with indicators renamed to data columns.

    ``indicators`` maps conventional names (e.g. ``"sat1"``) to column names; names not in
    the mapping are used as they are. ``options`` go to :class:`PLSPathModel`.
    Example: ``standard_model(ECSI, scheme="centroid", scaled=False).fit(df)``.
    """
    rename = dict(indicators or {})
    known = {i for block in spec.measurement.values() for i in block}
    unknown = sorted(set(rename) - known)
    if unknown:
        raise ModelError(
            f"indicators maps {unknown[0]!r}, which is not an indicator of {spec.name}; "
            f"known: {sorted(known)}"
        )
    measurement = {c: [rename.get(i, i) for i in block] for c, block in spec.measurement.items()}
    return PLSPathModel(spec.structural, measurement, **options)


def ecsi_model(*, indicators: Mapping[str, str] | None = None, **options: Any) -> PLSPathModel:
    """The ECSI model (see :data:`ECSI`) as a :class:`PLSPathModel`."""
    return standard_model(ECSI, indicators=indicators, **options)


def acsi_model(*, indicators: Mapping[str, str] | None = None, **options: Any) -> PLSPathModel:
    """The ACSI model (see :data:`ACSI`) as a :class:`PLSPathModel`."""
    return standard_model(ACSI, indicators=indicators, **options)
