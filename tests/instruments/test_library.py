"""The built-in instrument library: every file loads, every text is translated, and each
instrument has the structure its analyses rely on."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import yaml

from cxgap.instruments import Instrument, builtin_instruments, load_instrument
from cxgap.instruments.loader import LIBRARY_PACKAGE

LIBRARY = Path(str(resources.files(LIBRARY_PACKAGE)))
BUILT_IN = (
    "employee-factors",
    "heating-cx",
    "importance-points",
    "kano",
    "loyalty",
    "price-fairness",
    "satisfaction-index",
    "servqual-disconfirmation",
    "servqual-ep",
    "servqual-management",
    "servqual-zot",
    "value-components",
    "will-should",
)
SERVQUAL_DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
SERVQUAL_SPLIT = {
    "tangibles": 4,
    "reliability": 5,
    "responsiveness": 4,
    "assurance": 4,
    "empathy": 5,
}
SERVQUAL_IDS = tuple(
    f"{prefix}{n}"
    for prefix, count in (("tan", 4), ("rel", 5), ("res", 4), ("ass", 4), ("emp", 5))
    for n in range(1, count + 1)
)
CJK = re.compile(r"[\u4e00-\u9fff]")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
LATIN_LETTERS = re.compile(r"[A-Za-z]")


def inst(instrument_id: str) -> Instrument:
    return builtin_instruments()[instrument_id]


def texts(instrument: Instrument) -> Iterator[tuple[str, dict[str, str]]]:
    """Every translatable text of an instrument with its location."""
    yield "title", instrument.title
    if instrument.description:
        yield "description", instrument.description
    for d in instrument.dimensions:
        yield f"dimensions[{d.id}].label", d.label
        if d.description:
            yield f"dimensions[{d.id}].description", d.description
    for s in instrument.scales:
        for p in s.points:
            yield f"scales[{s.id}].points[{p.value}]", p.label
    for item in instrument.items:
        yield f"items[{item.id}].text", item.text
        for opt in item.options:
            yield f"items[{item.id}].options[{opt.id}]", opt.label
    for sec in instrument.sections:
        yield f"sections[{sec.id}].title", sec.title
        if sec.intro:
            yield f"sections[{sec.id}].intro", sec.intro


def battery(name: str) -> dict:
    return yaml.safe_load((LIBRARY / "batteries" / f"{name}.yaml").read_text(encoding="utf-8"))


def test_library_holds_every_built_in_instrument() -> None:
    assert sorted(builtin_instruments()) == sorted(BUILT_IN)


@pytest.mark.parametrize("instrument_id", BUILT_IN)
def test_file_name_is_the_id_and_file_validates_on_its_own(instrument_id: str) -> None:
    path = LIBRARY / f"{instrument_id}.yaml"
    loaded = load_instrument(path)
    assert loaded.id == instrument_id
    assert loaded.version == 1
    assert loaded == builtin_instruments()[instrument_id]


@pytest.mark.parametrize("instrument_id", BUILT_IN)
def test_every_item_is_in_exactly_one_section(instrument_id: str) -> None:
    instrument = inst(instrument_id)
    placed = Counter(i for sec in instrument.sections for i in sec.items)
    assert placed == Counter(item.id for item in instrument.items)


@pytest.mark.parametrize("instrument_id", BUILT_IN)
def test_every_text_is_written_in_english_chinese_and_persian(instrument_id: str) -> None:
    instrument = inst(instrument_id)
    assert instrument.languages == ("en", "zh", "fa")
    assert instrument.description is not None
    checked = 0
    for where, text in texts(instrument):
        assert set(text) == {"en", "zh", "fa"}, where
        assert LATIN_LETTERS.search(text["en"]), f"{where}: en {text['en']!r}"
        assert CJK.search(text["zh"]), f"{where}: zh has no Chinese characters: {text['zh']!r}"
        assert ARABIC_SCRIPT.search(text["fa"]), f"{where}: fa has no Persian: {text['fa']!r}"
        assert not CJK.search(text["fa"]) and not ARABIC_SCRIPT.search(text["zh"]), where
        checked += 1
    assert checked > len(instrument.items)


def test_servqual_battery_has_22_items_split_4_5_4_4_5() -> None:
    raw = battery("servqual")
    assert [d["id"] for d in raw["dimensions"]] == list(SERVQUAL_DIMENSIONS)
    assert tuple(i["id"] for i in raw["items"]) == SERVQUAL_IDS
    assert Counter(i["dimension"] for i in raw["items"]) == SERVQUAL_SPLIT
    # item ids carry their dimension's prefix
    for item in raw["items"]:
        assert item["dimension"].startswith(item["id"][:3]), item["id"]


def test_value_components_battery_has_two_items_per_component() -> None:
    raw = battery("value_components")
    components = [d["id"] for d in raw["dimensions"]]
    assert components == [
        "convenience",
        "reliability",
        "service_quality",
        "product_performance",
        "price_reasonableness",
        "brand_image",
        "personalisation",
    ]
    assert Counter(i["dimension"] for i in raw["items"]) == dict.fromkeys(components, 2)
    instrument = inst("value-components")
    assert {i.format for i in instrument.items} == {"expectation_perception"}
    assert (instrument.scale("agree7").min, instrument.scale("agree7").max) == (1, 7)


@pytest.mark.parametrize(
    ("instrument_id", "item_format", "low", "high", "audience"),
    [
        ("servqual-ep", "expectation_perception", 1, 7, "customers"),
        ("servqual-zot", "tolerance_zone", 1, 9, "customers"),
        ("servqual-disconfirmation", "disconfirmation", 1, 7, "customers"),
        ("servqual-management", "tolerance_zone", 1, 9, "managers"),
    ],
)
def test_servqual_formats(
    instrument_id: str, item_format: str, low: int, high: int, audience: str
) -> None:
    instrument = inst(instrument_id)
    assert instrument.audience == audience
    assert tuple(i.id for i in instrument.items) == SERVQUAL_IDS
    assert Counter(instrument.dimension_map().values()) == SERVQUAL_SPLIT
    assert {i.format for i in instrument.items} == {item_format}
    (scale_id,) = {i.scale for i in instrument.items}
    assert scale_id is not None
    scale = instrument.scale(scale_id)
    assert (scale.min, scale.max) == (low, high)
    labelled = {p.value for p in scale.points}
    assert {low, high} <= labelled
    # the same neutral statement serves every format
    servqual_ep = inst("servqual-ep")
    assert [i.text for i in instrument.items] == [i.text for i in servqual_ep.items]
    (section,) = instrument.sections
    assert section.intro is not None


def test_disconfirmation_scale_labels_all_seven_points() -> None:
    scale = inst("servqual-disconfirmation").scale("compare7")
    assert [p.value for p in scale.points] == list(range(1, 8))
    labels = [p.label["en"].lower() for p in scale.points]
    assert labels[0] == "much worse than i expected"
    assert labels[3] == "about as i expected"
    assert labels[6] == "much better than i expected"


def test_management_survey_asks_for_customers_view() -> None:
    intro = inst("servqual-management").sections[0].intro
    assert intro is not None
    assert "customer" in intro["en"] and "客户" in intro["zh"] and "مشتری" in intro["fa"]


def test_loyalty_items_roles_and_scales() -> None:
    instrument = inst("loyalty")
    expected = {
        "nps": ("nps", 0, 10),
        "csat": ("csat", 1, 5),
        "ces": ("ces", 1, 7),
        "overall": ("overall", 1, 10),
        "retention": ("loyalty", 1, 7),
    }
    found = {}
    for item in instrument.items:
        scale = instrument.item_scale(item)
        assert scale is not None and item.format == "rating"
        found[item.id] = (item.role, scale.min, scale.max)
    assert found == expected
    assert [i.id for i in instrument.items if i.required] == ["nps"]
    nps_labels = {p.value: p.label["en"] for p in instrument.scale("nps11").points}
    assert nps_labels == {0: "Not at all likely", 10: "Extremely likely"}
    for item_id in ("csat", "ces"):
        scale = instrument.item_scale(instrument.item(item_id))
        assert scale is not None
        assert [p.value for p in scale.points] == list(range(scale.min, scale.max + 1))
    ces = [p.label["en"] for p in instrument.scale("ces7").points]
    assert ces[0] == "Very difficult" and ces[-1] == "Very easy"  # higher = easier


def test_importance_points_share_100_over_the_servqual_dimensions() -> None:
    instrument = inst("importance-points")
    (item,) = instrument.items
    assert (item.id, item.format, item.total) == ("importance", "points", 100)
    assert tuple(o.id for o in item.options) == SERVQUAL_DIMENSIONS
    assert instrument.dimension_ids == SERVQUAL_DIMENSIONS
    labels = {d.id: d.label for d in instrument.dimensions}
    for option in item.options:
        for lang, text in option.label.items():
            assert text.startswith(labels[option.id][lang]), (option.id, lang)


def test_kano_items_are_feature_pairs_on_a_labelled_1_to_5_scale() -> None:
    instrument = inst("kano")
    scale = instrument.scale("kano5")
    assert [p.value for p in scale.points] == [1, 2, 3, 4, 5]
    assert len(instrument.items) == 5
    for item in instrument.items:
        assert item.format == "kano" and item.scale == "kano5"
        assert item.id == f"kano_{item.feature}"
    assert [c.field for c in instrument.answer_columns()[:2]] == ["functional", "dysfunctional"]


def test_price_fairness_covers_each_part_of_the_price() -> None:
    instrument = inst("price-fairness")
    roles = {i.id: i.role for i in instrument.items}
    assert roles == {
        "price_upfront": "price_fairness",
        "price_fixed": "price_fairness",
        "price_usage": "price_fairness",
        "value_for_money": "value",
    }
    for item in instrument.items:
        scale = instrument.item_scale(item)
        assert scale is not None and (scale.min, scale.max) == (1, 7)


def test_will_should_has_one_of_each_per_dimension() -> None:
    instrument = inst("will-should")
    pairs = Counter((i.dimension, i.role) for i in instrument.items)
    assert pairs == {(d, r): 1 for d in SERVQUAL_DIMENSIONS for r in ("will", "should")}
    for item in instrument.items:
        assert item.dimension is not None
        assert item.id == f"{item.role}_{item.dimension[:3]}"
    assert {"will_rel", "should_rel"} <= {i.id for i in instrument.items}


def test_heating_survey_answer_columns() -> None:
    instrument = inst("heating-cx")
    features = ("outage_alert", "app_meter", "flexible_visit", "green_tariff", "bill_explainer")
    expected = (
        [f"{i}_{f}" for i in SERVQUAL_IDS for f in ("adequate", "desired", "perceived")]
        + [f"importance_{d}" for d in SERVQUAL_DIMENSIONS]
        + [f"kano_{f}_{side}" for f in features for side in ("functional", "dysfunctional")]
        + ["nps", "csat", "ces", "overall", "retention", "comment"]
        + [i.id for i in inst("satisfaction-index").items]
    )
    names = [c.name for c in instrument.answer_columns()]
    assert len(names) == len(set(names)) == 66 + 5 + 10 + 5 + 1 + 17
    assert sorted(names) == sorted(expected)
    assert {i.feature for i in instrument.items_of_format("kano")} == set(features)
    assert [s.id for s in instrument.sections] == [
        "service_quality",
        "importance",
        "features",
        "loyalty",
        "csi_image",
        "csi_expectations",
        "csi_experience",
        "csi_outcomes",
        "comments",
    ]
    assert instrument.item("nps").required and not instrument.item("csat").required
    # the formats' defaults: measured batteries required, single ratings and text not
    assert instrument.item("tan1").required and instrument.item("importance").required
    assert not instrument.item("comment").required
    # the loyalty and importance items are the library's own, not copies
    assert instrument.item("nps") == inst("loyalty").item("nps")
    assert instrument.item("importance") == inst("importance-points").item("importance")


def test_readme_lists_every_instrument_and_battery() -> None:
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    for instrument_id in BUILT_IN:
        assert f"| `{instrument_id}` |" in readme, instrument_id
    for path in (LIBRARY / "batteries").glob("*.yaml"):
        assert f"| `{path.stem}` |" in readme, path.stem


def test_readme_example_instrument_is_valid(tmp_path: Path) -> None:
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    example = readme.split("A minimal instrument:", 1)[1].split("```yaml\n", 1)[1]
    path = tmp_path / "branch-visit.yaml"
    path.write_text(example.split("```", 1)[0], encoding="utf-8")
    loaded = load_instrument(path)
    assert [c.name for c in loaded.answer_columns()] == ["nps"]


def test_employee_survey_covers_the_gap_model_factors() -> None:
    factors = {
        "management_commitment",
        "goal_setting",
        "task_standardisation",
        "perceived_feasibility",
        "teamwork",
        "employee_job_fit",
        "technology_job_fit",
        "perceived_control",
        "supervisory_control",
        "role_conflict",
        "role_ambiguity",
        "horizontal_communication",
        "propensity_to_overpromise",
    }
    employee = inst("employee-factors")
    assert set(employee.dimension_ids) == factors
    assert {i.dimension for i in employee.items} == factors
    assert all(i.format == "rating" and i.scale == "agree7" for i in employee.items)
