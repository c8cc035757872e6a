"""KPI definitions as data: a YAML file of KPIs, validated, and the built-in ones.

A KPI file holds ``kpis:``, a list of definitions (fields: :class:`KpiDefinition`,
documented in ``docs/kpi.md``). Mistakes are reported with the file, the KPI's position
and id, the field and what is allowed. The built-in definitions
(``kpi_library.yaml`` beside this module) cover satisfaction index, NPS, CSAT, CES,
overall gap, share below adequate per dimension, churn rate, complaint rate per 1,000
customers, case SLA compliance, recovery rate and standard compliance.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from cxgap.errors import ValidationError

Measure = Literal[
    "satisfaction_index",
    "nps",
    "csat",
    "ces",
    "overall_gap",
    "below_adequate",
    "churn_rate",
    "complaint_rate",
    "case_sla",
    "recovery_rate",
    "standard_compliance",
]
MEASURES: tuple[str, ...] = get_args(Measure)
ChartKind = Literal["auto", "p", "u", "ewma", "cusum"]

SURVEY_MEASURES = ("satisfaction_index", "nps", "csat", "ces", "overall_gap", "below_adequate")
"""Measures computed per survey wave of an instrument."""
SHARE_MEASURES = ("csat", "below_adequate", "churn_rate", "case_sla", "recovery_rate",
                  "standard_compliance")  # fmt: skip
"""Measures that are shares (Wilson intervals, p-charts)."""


class SegmentTarget(BaseModel):
    """A target for one segment or unit (``region=north``), overriding the KPI's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segment: str = Field(pattern=r"^[^=]+=.+$")
    target: float
    tolerance: float = Field(default=0.0, ge=0)


class KpiDefinition(BaseModel):
    """One KPI: what is measured, which way is better, its target and tolerance, who owns it
    and how its series is watched."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    measure: Measure
    direction: Literal["higher", "lower"]
    target: float | None = None
    tolerance: float = Field(default=0.0, ge=0)
    instrument: str | None = None
    """Survey measures: the instrument whose waves are the periods (default: the
    instrument of the newest survey)."""
    dimension: str | None = None
    """``below_adequate``: one dimension (default: every dimension, one series each)."""
    segment_by: str | None = None
    """Survey measures: one series per value of this attribute (region, attribute:site)."""
    targets: tuple[SegmentTarget, ...] = ()
    owner: str | None = None
    """E-mail of the user who receives the KPI's alerts."""
    chart: ChartKind = "auto"
    alpha: float = Field(default=0.0027, gt=0, lt=0.5)
    """p and u charts: the largest chance that an in-control period signals."""
    arl0: float = Field(default=370.0, gt=1)
    """EWMA and CUSUM charts: the in-control average run length."""
    per: float = Field(default=1000.0, gt=0)
    """``complaint_rate``: complaints per this many customers."""

    def target_for(self, segment: str | None) -> tuple[float | None, float]:
        """(target, tolerance) of a series: the segment's own, else the KPI's."""
        for own in self.targets:
            if segment is not None and own.segment == segment:
                return own.target, own.tolerance
        return self.target, self.tolerance

    def chart_kind(self) -> str:
        """The chart suited to the measure when ``chart`` is ``auto``."""
        if self.chart != "auto":
            return self.chart
        if self.measure in SHARE_MEASURES:
            return "p"
        return "u" if self.measure == "complaint_rate" else "ewma"


class KpiFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kpis: tuple[KpiDefinition, ...]


def _message(error: pydantic.ValidationError, source: str, raw: Any) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    where = source
    if len(loc) >= 2 and loc[0] == "kpis" and isinstance(loc[1], int):
        position = loc[1]
        entry = raw["kpis"][position] if isinstance(raw, dict) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        where += f", KPI {position + 1}" + (f" ({name!r})" if name else "")
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "kpis"
    allowed = {
        "literal_error": first.get("ctx", {}).get("expected"),
        "extra_forbidden": "only the fields listed in docs/kpi.md",
        "string_pattern_mismatch": "lower-case letters, digits and '_', a letter first"
        if field == "id"
        else "ATTRIBUTE=VALUE",
    }.get(first["type"])
    given = first.get("input")
    text = f"{where}, field {field!r}: {first['msg']}"
    if first["type"] != "missing":
        text += f" (got {given!r})"
    return text + (f"; allowed: {allowed}" if allowed else "")


def parse_kpis(data: Any, *, source: str) -> list[KpiDefinition]:
    """Validate parsed YAML (a mapping with ``kpis``) into definitions."""
    if not isinstance(data, dict) or "kpis" not in data:
        raise ValidationError(f"{source}: no 'kpis:' list at the top; see docs/kpi.md")
    try:
        parsed = KpiFile.model_validate(data)
    except pydantic.ValidationError as error:
        raise ValidationError(_message(error, source, data)) from None
    seen: set[str] = set()
    for position, kpi in enumerate(parsed.kpis, start=1):
        if kpi.id in seen:
            raise ValidationError(
                f"{source}, KPI {position}: id {kpi.id!r} is used twice; allowed: unique ids"
            )
        seen.add(kpi.id)
        if kpi.measure == "below_adequate" and kpi.direction != "lower":
            raise ValidationError(
                f"{source}, KPI {position} ({kpi.id!r}), field 'direction': a share below "
                "adequate is better lower; allowed: lower"
            )
    return list(parsed.kpis)


def load_kpis(path: str | Path) -> list[KpiDefinition]:
    """Read and validate a KPI file."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ValidationError(f"{path}: not a YAML file ({error})") from None
    return parse_kpis(data, source=str(path))


def builtin_kpis() -> list[KpiDefinition]:
    """The built-in KPI definitions."""
    text = resources.files("cxgap.services").joinpath("kpi_library.yaml").read_text("utf-8")
    return parse_kpis(yaml.safe_load(text), source="built-in KPIs")
