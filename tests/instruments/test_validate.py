"""The validator rejects broken instrument files with messages that say what and where."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cxgap.errors import InstrumentError
from cxgap.instruments import Instrument, load_instrument


def label(en: str) -> dict[str, str]:
    return {"en": en, "zh": "中文标签", "fa": "برچسب فارسی"}


VALID: dict[str, Any] = {
    "id": "branch-visit",
    "version": 1,
    "title": label("Branch visit"),
    "dimensions": [
        {"id": "reliability", "label": label("Reliability")},
        {"id": "empathy", "label": label("Empathy")},
    ],
    "scales": [
        {
            "id": "agree7",
            "min": 1,
            "max": 7,
            "points": [
                {"value": 1, "label": label("Strongly disagree")},
                {"value": 7, "label": label("Strongly agree")},
            ],
        },
        {"id": "kano5", "min": 1, "max": 5},
    ],
    "items": [
        {
            "id": "q1",
            "format": "expectation_perception",
            "dimension": "reliability",
            "scale": "agree7",
            "text": label("Promises are kept"),
        },
        {
            "id": "q2",
            "format": "kano",
            "scale": "kano5",
            "feature": "app",
            "text": label("A mobile app"),
        },
        {
            "id": "share",
            "format": "points",
            "total": 100,
            "text": label("Share 100 points"),
            "options": [
                {"id": "reliability", "label": label("Reliability")},
                {"id": "empathy", "label": label("Empathy")},
            ],
        },
    ],
    "sections": [{"id": "main", "title": label("Your visit"), "items": ["q1", "q2", "share"]}],
}

Write = Callable[[Any], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write a document (or raw text) to an instrument file and return its path."""

    def run(document: Any) -> Path:
        path = tmp_path / "custom.yaml"
        text = document if isinstance(document, str) else yaml.safe_dump(document)
        path.write_text(text, encoding="utf-8")
        return path

    return run


def changed(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    edit(data)
    return data


def test_the_base_document_is_valid(write: Write) -> None:
    instrument = load_instrument(write(VALID))
    assert isinstance(instrument, Instrument)
    assert [c.name for c in instrument.answer_columns()] == [
        "q1_expected",
        "q1_perceived",
        "q2_functional",
        "q2_dysfunctional",
        "share_reliability",
        "share_empathy",
    ]


def test_missing_translation(write: Write) -> None:
    data = changed(lambda d: d["items"][0]["text"].pop("fa"))
    with pytest.raises(InstrumentError, match=r"items\[q1\]\.text: missing translation for fa"):
        load_instrument(write(data))


def test_blank_translation_counts_as_missing(write: Write) -> None:
    data = changed(lambda d: d["title"].update(zh="  "))
    with pytest.raises(InstrumentError, match=r"title: missing translation for zh"):
        load_instrument(write(data))


def test_duplicate_item_ids(write: Write) -> None:
    data = changed(lambda d: d["items"][1].update(id="q1"))
    with pytest.raises(InstrumentError, match=r"duplicate item id 'q1'"):
        load_instrument(write(data))


def test_scale_min_not_below_max(write: Write) -> None:
    data = changed(lambda d: d["scales"][0].update(min=7, max=1))
    with pytest.raises(
        InstrumentError, match=r"scales\[agree7\]: min \(7\) must be below max \(1\)"
    ):
        load_instrument(write(data))


def test_labelled_point_outside_the_scale(write: Write) -> None:
    data = changed(lambda d: d["scales"][0]["points"][1].update(value=9))
    with pytest.raises(
        InstrumentError, match=r"scales\[agree7\]: labelled point 9 is outside the scale 1\.\.7"
    ):
        load_instrument(write(data))


def test_dimension_typo_suggests_the_declared_one(write: Write) -> None:
    data = changed(lambda d: d["items"][0].update(dimension="reliabilty"))
    with pytest.raises(
        InstrumentError,
        match=r"items\[q1\]: unknown dimension 'reliabilty' \(did you mean 'reliability'\?\)",
    ):
        load_instrument(write(data))


def test_unknown_scale(write: Write) -> None:
    data = changed(lambda d: d["items"][0].update(scale="likert5"))
    with pytest.raises(
        InstrumentError, match=r"items\[q1\]: unknown scale 'likert5'.*declared: agree7, kano5"
    ):
        load_instrument(write(data))


def test_kano_item_on_a_seven_point_scale(write: Write) -> None:
    data = changed(lambda d: d["items"][1].update(scale="agree7"))
    with pytest.raises(
        InstrumentError, match=r"items\[q2\]: Kano items need a 1\.\.5 answer scale.* is 1\.\.7"
    ):
        load_instrument(write(data))


def test_kano_item_without_feature(write: Write) -> None:
    data = changed(lambda d: d["items"][1].pop("feature"))
    with pytest.raises(InstrumentError, match=r"items\[q2\]: a Kano item needs the feature"):
        load_instrument(write(data))


def test_points_item_without_total(write: Write) -> None:
    data = changed(lambda d: d["items"][2].pop("total"))
    with pytest.raises(
        InstrumentError, match=r"items\[share\]: a points item needs a positive total"
    ):
        load_instrument(write(data))


def test_item_listed_in_two_sections(write: Write) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["sections"].append({"id": "again", "title": label("Again"), "items": ["q1"]})

    with pytest.raises(
        InstrumentError, match=r"sections\[again\]: item 'q1' is already in section 'main'"
    ):
        load_instrument(write(changed(edit)))


def test_all_problems_are_reported_together(write: Write) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["items"][0]["text"].pop("zh")
        d["items"][2].pop("total")

    with pytest.raises(InstrumentError, match=r"\(2 problems\):") as caught:
        load_instrument(write(changed(edit)))
    assert str(caught.value).startswith(str(write(VALID)))


def test_invalid_yaml_names_the_line(write: Write) -> None:
    text = "id: broken\nversion: 1\ntitle: en: Broken\nitems: []\n"
    with pytest.raises(InstrumentError, match=r"not valid YAML at line 3, column \d+"):
        load_instrument(write(text))


def test_document_must_be_a_mapping(write: Write) -> None:
    with pytest.raises(InstrumentError, match=r"must be a mapping at the top level, got list"):
        load_instrument(write("- id: q1\n- id: q2\n"))


def test_unknown_key_is_rejected(write: Write) -> None:
    data = changed(lambda d: d["items"][0].update(sclae="agree7"))
    with pytest.raises(InstrumentError, match=r"items\.0\.sclae: Extra inputs are not permitted"):
        load_instrument(write(data))


def test_unknown_battery(write: Write) -> None:
    data = changed(lambda d: d.update(use=[{"battery": "servqal", "format": "rating"}]))
    with pytest.raises(InstrumentError, match=r"use\[0\]: unknown battery 'servqal'"):
        load_instrument(write(data))


def test_unknown_key_in_a_use_entry(write: Write) -> None:
    data = changed(lambda d: d.update(use=[{"battery": "servqual", "scales": "agree7"}]))
    with pytest.raises(InstrumentError, match=r"use\[0\]: unknown key\(s\) scales"):
        load_instrument(write(data))


def test_unknown_instrument_in_use(write: Write) -> None:
    data = changed(lambda d: d.update(use=[{"instrument": "loyality"}]))
    with pytest.raises(InstrumentError, match=r"use\[0\]: unknown instrument 'loyality'"):
        load_instrument(write(data))


def test_battery_use_adds_items_and_its_section(write: Write) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["dimensions"] = []
        d["items"] = d["items"][1:]
        d["sections"][0]["items"] = ["q2", "share"]
        d["use"] = [
            {
                "battery": "servqual",
                "format": "tolerance_zone",
                "scale": "agree7",
                "section": {"id": "quality", "title": label("Quality")},
            }
        ]

    instrument = load_instrument(write(changed(edit)))
    assert len(instrument.items) == 2 + 22
    assert [s.id for s in instrument.sections] == ["main", "quality"]
    assert instrument.item("emp5").format == "tolerance_zone"
    assert "emp5_desired" in {c.name for c in instrument.answer_columns()}


def test_battery_items_take_the_scale_of_the_using_file(write: Write) -> None:
    """A battery item on a scale the file does not declare is reported like any item."""

    def edit(d: dict[str, Any]) -> None:
        d["use"] = [{"battery": "value_components", "format": "rating", "scale": "nine"}]

    with pytest.raises(InstrumentError, match=r"items\[conv1\]: unknown scale 'nine'"):
        load_instrument(write(changed(edit)))


def test_cli_validate(write: Write, cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = cli("instruments", "validate", write(VALID))
    assert code == 0
    assert "valid instrument 'branch-visit'" in out
    broken = changed(lambda d: d["items"][0].update(dimension="reliabilty"))
    code, out, err = cli("instruments", "validate", write(broken))
    assert code == InstrumentError.exit_code
    assert "did you mean 'reliability'" in out + err


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "id: custom\nversion: 1\ntitle: {en: T, zh: 题, fa: عنوان}\n"


def test_section_entry_must_be_a_mapping(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEAD + "use:\n  - {battery: servqual, format: rating, "
        "scale: s, section: oops}\nitems: []\n",
    )
    with pytest.raises(InstrumentError, match=r"use\[0\]\.section: expected a mapping"):
        load_instrument(path)


def test_self_use_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "id: kano\nversion: 1\ntitle: {en: T, zh: 题, fa: عنوان}\n"
        "use:\n  - {instrument: kano}\nitems: []\n",
    )
    with pytest.raises(InstrumentError, match="uses itself"):
        load_instrument(path)


def test_items_outside_every_section_are_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEAD
        + (
            "scales:\n  - {id: s, min: 1, max: 5}\n"
            "items:\n"
            "  - {id: q1, format: rating, scale: s, text: {en: A, zh: 甲, fa: الف}}\n"
            "  - {id: q2, format: rating, scale: s, text: {en: B, zh: 乙, fa: ب}}\n"
            "sections:\n  - {id: main, title: {en: M, zh: 主, fa: اصلی}, items: [q2]}\n"
        ),
    )
    with pytest.raises(InstrumentError, match=r"items\[q1\]: not in any section"):
        load_instrument(path)
