"""Which items a respondent must answer: item, section, instrument, then the format."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from cxgap.errors import InstrumentError
from cxgap.instruments import Instrument, load_instrument, parse_instrument
from cxgap.instruments.model import REQUIRED_BY_FORMAT, Item

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def raw() -> dict[str, Any]:
    data = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def required(instrument: Instrument) -> dict[str, bool]:
    return {item.id: bool(item.required) for item in instrument.items}


def test_each_format_has_its_default(raw: dict[str, Any]) -> None:
    found = required(parse_instrument(raw))
    assert found == {
        "rel1": True,  # tolerance_zone
        "emp1": True,  # expectation_perception
        "dis1": True,  # disconfirmation
        "nps": False,  # rating
        "kano_app": True,  # kano
        "importance": True,  # points
        "comment": False,  # text
    }
    assert set(REQUIRED_BY_FORMAT) == {i["format"] for i in raw["items"]}


def test_item_beats_section_beats_instrument_beats_format(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["required"] = False
    data["items"][3]["required"] = True  # nps, its own choice
    title = {"en": "Part", "zh": "部分", "fa": "بخش"}
    data["sections"] = [
        {"id": "first", "title": title, "items": ["rel1", "emp1", "nps"], "required": True},
        {"id": "rest", "title": title, "items": ["dis1", "kano_app", "importance", "comment"]},
    ]
    found = required(parse_instrument(data))
    assert found == {
        "rel1": True,  # the section
        "emp1": True,
        "nps": True,  # the item
        "dis1": False,  # the instrument
        "kano_app": False,
        "importance": False,
        "comment": False,
    }


def test_items_built_in_code_are_resolved_too(mini: Instrument) -> None:
    items = tuple(Item.model_validate(i.model_dump() | {"required": None}) for i in mini.items)
    rebuilt = Instrument.model_validate(mini.model_dump() | {"items": items, "required": True})
    assert all(item.required is True for item in rebuilt.items)


def test_required_must_be_true_or_false(raw: dict[str, Any], tmp_path: Path) -> None:
    raw["items"][0]["required"] = "sometimes"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"items\.0\.required"):
        load_instrument(path)


def test_a_battery_may_set_required_for_its_items() -> None:
    data = {
        "id": "short",
        "version": 1,
        "title": {"en": "Short", "zh": "简短", "fa": "کوتاه"},
        "scales": [{"id": "level9", "min": 1, "max": 9}],
        "use": [
            {
                "battery": "servqual",
                "format": "tolerance_zone",
                "scale": "level9",
                "required": False,
            }
        ],
    }
    instrument = parse_instrument(data)
    assert instrument.items and not any(item.required for item in instrument.items)


def test_instruments_show_says_which_items_are_required(cli: Any) -> None:
    code, out, _ = cli("instruments", "show", str(DATA / "mini.yaml"))
    assert code == 0 and "required" in out
    cells = [[c.strip() for c in line.split("│")] for line in out.splitlines() if "│" in line]
    rows = {row[1]: row[3] for row in cells if len(row) > 3}
    assert {item: rows[item] for item in ("rel1", "nps", "kano_app", "comment")} == {
        "rel1": "yes",
        "nps": "no",
        "kano_app": "yes",
        "comment": "no",
    }
