"""Short labels of items: in every language, within the length limit."""

from __future__ import annotations

import pytest

from cxgap.errors import InstrumentError
from cxgap.instruments import get_instrument, parse_instrument
from cxgap.instruments.loader import builtin_instruments
from cxgap.instruments.model import LANGUAGES, SHORT_LABEL_MAX


def _definition(short: object) -> dict[str, object]:
    return {
        "id": "tiny",
        "version": 1,
        "title": {"en": "Tiny", "zh": "小", "fa": "کوچک"},
        "items": [
            {
                "id": "q1",
                "format": "text",
                "text": {"en": "Say it", "zh": "请说", "fa": "بگویید"},
                "short": short,
            }
        ],
    }


@pytest.mark.parametrize("name", sorted(builtin_instruments()))
def test_scored_and_kano_items_of_the_library_have_short_labels(name: str) -> None:
    instrument = get_instrument(name)
    items = instrument.items_of_format(
        "tolerance_zone", "expectation_perception", "disconfirmation", "kano"
    )
    for item in items:
        assert item.short is not None, item.id
        assert set(item.short) == set(LANGUAGES), item.id
        assert all(0 < len(text) <= SHORT_LABEL_MAX for text in item.short.values()), item.id
        for lang in LANGUAGES:
            assert instrument.item_label(item.id, lang) == item.short[lang]


def test_the_library_has_short_labels_to_check() -> None:
    counted = sum(
        1
        for instrument in builtin_instruments().values()
        for item in instrument.items
        if item.short
    )
    assert counted >= 60


def test_a_feature_is_named_by_its_item_short_label() -> None:
    instrument = get_instrument("heating-cx")
    assert instrument.feature_label("app_meter", "en") == "Meter in the app"
    assert instrument.feature_label("app_meter", "fa") == "کنتور در اپلیکیشن"
    assert instrument.feature_label("no_such_feature", "zh") == "no such feature"


def test_an_item_without_short_label_is_named_by_its_wording() -> None:
    instrument = parse_instrument(_definition(None))
    assert instrument.item_label("q1", "zh") == "请说"
    assert instrument.item_label("unknown", "zh") == "unknown"


@pytest.mark.parametrize(
    ("short", "problem"),
    [
        ({"en": "Say", "zh": "说"}, "items[q1].short: missing translation for fa"),
        (
            {"en": "x" * (SHORT_LABEL_MAX + 1), "zh": "说", "fa": "بگو"},
            f"items[q1].short: longer than {SHORT_LABEL_MAX} characters in en",
        ),
    ],
)
def test_short_labels_are_validated(short: dict[str, str], problem: str) -> None:
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(_definition(short))
    assert problem in str(caught.value)
