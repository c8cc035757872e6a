"""Case rules and business calendars as YAML files, validated like instruments.

The rules file (``docs/cases.md`` documents every key)::

    calendar: office.yaml            # a calendar file (relative to this file) or inline
    teams:
      care:
        members: [ana@example.org, ben@example.org]
        lead: lea@example.org
        manager: max@example.org
        skills: {ana@example.org: [billing]}
    assign:                          # first match gives the team; no condition = default
      - {team: care, region: [north, east]}
      - {team: care}
    sla:                             # first match by priority (and team) gives the targets
      - {priority: high, first_response: 60, resolution: 480}   # working minutes
      - {priority: normal, first_response: 240, resolution: 1440}
      - {priority: low, first_response: 480, resolution: 2880}
    escalation: {near: 0.8}          # share of the resolution target that counts as near
    holdout: {share: 0.1, priorities: [low]}
    rules:
      - {name: detractors, when: nps_detractor, item: nps, priority: high}
      - {name: reliability, when: below_adequate, item: rel2, priority: normal}
      - {name: complaints, when: feedback_message, channel: [hotline], priority: low}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from cxgap.calendars import BusinessCalendar, CalendarError, parse_calendar
from cxgap.services.cases.conditions import CONDITIONS, Condition, RulesError

Priority = Literal["high", "normal", "low"]
PRIORITIES: tuple[str, ...] = get_args(Priority)
ASSIGN_KEYS = ("region", "channel")
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...]
    lead: str | None = None
    manager: str | None = None
    skills: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    team: str
    match: Mapping[str, tuple[str, ...]]
    """Customer attribute (``region``, ``channel``) -> values that match."""


@dataclass(frozen=True)
class SlaPolicy:
    priority: str
    team: str | None
    first_response: int
    resolution: int


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    priority: str
    cause: str
    skill: str | None = None


@dataclass(frozen=True)
class Holdout:
    share: float = 0.0
    priorities: tuple[str, ...] = ("low",)


@dataclass(frozen=True)
class CaseRules:
    """A validated rules file."""

    calendar: BusinessCalendar
    calendar_data: Mapping[str, Any]
    teams: Mapping[str, Team]
    assign: tuple[Assignment, ...]
    sla: tuple[SlaPolicy, ...]
    rules: tuple[Rule, ...]
    near: float = 0.8
    holdout: Holdout = Holdout()

    def policy(self, priority: str, team: str | None) -> SlaPolicy | None:
        for p in self.sla:
            if p.priority == priority and p.team in (None, team):
                return p
        return None


def read_yaml(path: Path, what: str) -> Any:
    """A YAML file's data; unreadable or malformed files name the file and the line."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise RulesError(f"{path}: larger than {MAX_FILE_BYTES} bytes; is it a {what}?")
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read the {what} file ({exc})") from None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RulesError(f"{path}:{where}: not valid YAML ({exc})") from None


def load_calendar(path: Path) -> BusinessCalendar:
    """A calendar file, validated (``cxgap cases calendar validate``)."""
    return parse_calendar(read_yaml(path, "calendar"), source=str(path))


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise RulesError(f"{where}: expected text or a list of texts")


def _mapping(value: object, where: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulesError(f"{where}: expected a mapping with keys {', '.join(keys)}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise RulesError(f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(keys)}")
    return value


def _minutes(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise RulesError(f"{where}: {value!r} is not a whole number of working minutes > 0")
    return value


def _teams(value: object, source: str) -> dict[str, Team]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RulesError(f"{source}: teams: expected a mapping of team name to its members")
    teams = {}
    for name, spec in value.items():
        where = f"{source}: teams.{name}"
        spec = _mapping(spec, where, ("members", "lead", "manager", "skills"))
        members = (
            _strings(spec.get("members", []), f"{where}.members") if spec.get("members") else ()
        )
        skills_raw = spec.get("skills") or {}
        if not isinstance(skills_raw, Mapping):
            raise RulesError(f"{where}.skills: expected member -> list of skills")
        skills = {}
        for member, given in skills_raw.items():
            if member not in members:
                raise RulesError(f"{where}.skills: {member!r} is not a member of team {name}")
            skills[str(member)] = _strings(given, f"{where}.skills.{member}")
        lead, manager = spec.get("lead"), spec.get("manager")
        for key, person in (("lead", lead), ("manager", manager)):
            if person is not None and not isinstance(person, str):
                raise RulesError(f"{where}.{key}: expected an e-mail address")
        teams[str(name)] = Team(str(name), members, lead, manager, skills)
    return teams


def _assign(value: object, source: str, teams: Mapping[str, Team]) -> tuple[Assignment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RulesError(f"{source}: assign: expected a list of {{team: NAME, region: [...]}}")
    out = []
    for i, spec in enumerate(value):
        where = f"{source}: assign[{i}]"
        spec = _mapping(spec, where, ("team", *ASSIGN_KEYS))
        team = spec.get("team")
        if team not in teams:
            raise RulesError(
                f"{where}.team: {team!r} is not a team of this file ({', '.join(teams) or 'none'})"
            )
        match = {k: _strings(spec[k], f"{where}.{k}") for k in ASSIGN_KEYS if k in spec}
        out.append(Assignment(str(team), match))
    return tuple(out)


def _sla(value: object, source: str, teams: Mapping[str, Team]) -> tuple[SlaPolicy, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RulesError(
            f"{source}: sla: expected a list of {{priority, first_response, resolution}}"
        )
    out = []
    for i, spec in enumerate(value):
        where = f"{source}: sla[{i}]"
        spec = _mapping(spec, where, ("priority", "team", "first_response", "resolution"))
        priority = _priority(spec.get("priority"), f"{where}.priority")
        team = spec.get("team")
        if team is not None and team not in teams:
            raise RulesError(f"{where}.team: {team!r} is not a team of this file")
        first = _minutes(spec.get("first_response"), f"{where}.first_response")
        resolution = _minutes(spec.get("resolution"), f"{where}.resolution")
        if first > resolution:
            raise RulesError(
                f"{where}: first_response ({first}) is later than resolution ({resolution})"
            )
        out.append(SlaPolicy(priority, team, first, resolution))
    return tuple(out)


def _priority(value: object, where: str) -> str:
    if value not in PRIORITIES:
        raise RulesError(f"{where}: {value!r} is not a priority; use {', '.join(PRIORITIES)}")
    return str(value)


RULE_KEYS = ("name", "when", "priority", "cause", "skill")


def _rules(value: object, source: str) -> tuple[Rule, ...]:
    if not isinstance(value, list) or not value:
        raise RulesError(
            f"{source}: rules: expected a list of rules such as "
            "{name: detractors, when: nps_detractor, item: nps, priority: high}"
        )
    out: list[Rule] = []
    for i, spec in enumerate(value):
        where = f"{source}: rules[{i}]"
        if not isinstance(spec, Mapping):
            raise RulesError(f"{where}: expected a mapping")
        name = spec.get("name")
        if not isinstance(name, str) or not name or len(name) > 80:
            raise RulesError(f"{where}.name: give each rule a name (up to 80 characters)")
        if any(r.name == name for r in out):
            raise RulesError(f"{where}.name: {name!r} is used by an earlier rule")
        kind = spec.get("when")
        if kind not in CONDITIONS:
            raise RulesError(
                f"{where}.when: {kind!r} is not a condition; use {', '.join(CONDITIONS)}"
            )
        params = {k: v for k, v in spec.items() if k not in RULE_KEYS}
        condition: Condition = CONDITIONS[kind].from_params(params, where=where)
        priority = _priority(spec.get("priority", "normal"), f"{where}.priority")
        cause = spec.get("cause", condition.default_cause)
        if not isinstance(cause, str) or not cause or len(cause) > 40:
            raise RulesError(f"{where}.cause: expected a short code (up to 40 characters)")
        skill = spec.get("skill")
        if skill is not None and not isinstance(skill, str):
            raise RulesError(f"{where}.skill: expected a skill name")
        out.append(Rule(name, condition, priority, cause, skill))
    return tuple(out)


TOP_KEYS = ("calendar", "teams", "assign", "sla", "escalation", "holdout", "rules")


def parse_rules(data: object, *, source: str, folder: Path | None = None) -> CaseRules:
    """A :class:`CaseRules` from parsed YAML; a calendar file is found relative to ``folder``."""
    data = _mapping(data, source, TOP_KEYS)
    calendar_value = data.get("calendar")
    if isinstance(calendar_value, str):
        path = (folder or Path()) / calendar_value
        calendar_data = read_yaml(path, "calendar")
        calendar_source = str(path)
    elif isinstance(calendar_value, Mapping):
        calendar_data, calendar_source = calendar_value, f"{source}: calendar"
    else:
        raise RulesError(f"{source}: calendar: give a calendar file name or an inline calendar")
    try:
        calendar = parse_calendar(calendar_data, source=calendar_source)
    except CalendarError as exc:
        raise RulesError(str(exc)) from None
    teams = _teams(data.get("teams"), source)
    escalation = _mapping(data.get("escalation") or {}, f"{source}: escalation", ("near",))
    near = escalation.get("near", 0.8)
    if isinstance(near, bool) or not isinstance(near, int | float) or not 0 < near < 1:
        raise RulesError(f"{source}: escalation.near: {near!r} is not a share between 0 and 1")
    hold = _mapping(data.get("holdout") or {}, f"{source}: holdout", ("share", "priorities"))
    share = hold.get("share", 0.0)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share < 1:
        raise RulesError(f"{source}: holdout.share: {share!r} is not a share from 0 up to 1")
    priorities = tuple(
        _priority(p, f"{source}: holdout.priorities")
        for p in _strings(hold.get("priorities", ["low"]), f"{source}: holdout.priorities")
    )
    return CaseRules(
        calendar=calendar,
        calendar_data=calendar.to_data(),
        teams=teams,
        assign=_assign(data.get("assign"), source, teams),
        sla=_sla(data.get("sla"), source, teams),
        rules=_rules(data.get("rules"), source),
        near=float(near),
        holdout=Holdout(float(share), priorities),
    )


def load_rules(path: Path) -> CaseRules:
    """A rules file, validated (``cxgap cases rules validate``)."""
    return parse_rules(read_yaml(path, "rules"), source=str(path), folder=path.parent)
