"""Numbers, p values, dates and inserted labels as readers of each language see them."""

from __future__ import annotations

import datetime as dt

import pytest

from cxgap.locale import fill, text
from cxgap.reports.i18n import LRI, PDI, Texts


@pytest.mark.parametrize(
    ("lang", "p", "shown"),
    [
        ("en", 0.0004, "< 0.001"),
        ("en", 1e-12, "< 0.001"),
        ("en", 0.001, "0.001"),
        ("en", 0.0449, "0.045"),
        ("zh", 0.0004, "< 0.001"),
        ("fa", 0.0004, f"{LRI}< ۰٫۰۰۱{PDI}"),
        ("fa", 0.25, "۰٫۲۵۰"),
        ("en", float("nan"), "–"),
    ],
)
def test_p_values_below_a_thousandth_are_bounded(lang: str, p: float, shown: str) -> None:
    assert Texts(lang).p_value(p) == shown  # type: ignore[arg-type]


def test_thousands_separators_follow_the_language() -> None:
    assert Texts("en").count(1234567) == "1,234,567"
    assert Texts("zh").number(12345.678, 1) == "12,345.7"
    assert Texts("fa").count(1234) == "۱٬۲۳۴"
    # whole numbers inserted into page texts get them too
    assert text("dashboard", "en", "responses_n", n=1200) == "1,200 responses"
    assert text("dashboard", "fa", "responses_n", n=1200).startswith("۱٬۲۰۰")


def test_negative_numbers_read_correctly_right_to_left() -> None:
    fa = Texts("fa")
    # U+2212 (not a hyphen), isolated left to right so it stays in front of the digits
    assert fa.number(-0.38) == f"{LRI}\u2212۰٫۳۸{PDI}"
    assert fa.number(0.38, signed=True) == f"{LRI}+۰٫۳۸{PDI}"
    assert fa.percent(-0.05, 1) == f"{LRI}\u2212۵٫۰٪{PDI}"
    assert fa.number(0.38) == "۰٫۳۸"  # unsigned: nothing to isolate
    assert Texts("en").number(-0.38) == "-0.38"


def test_dates_are_written_for_the_language() -> None:
    day = dt.date(2026, 3, 14)
    assert Texts("en").date(day) == "Mar 14, 2026"
    assert Texts("zh").date(day) == "2026年3月14日"
    fa = Texts("fa").date(day)
    assert "۱۴" in fa and "۲۰۲۶" in fa and not any(c.isascii() and c.isdigit() for c in fa)


@pytest.mark.parametrize(
    ("template", "values", "shown"),
    [
        ("{dimension} 是首要因素", {"dimension": "可靠性"}, "可靠性是首要因素"),
        (
            "{column} 因 {attribute} 而异",
            {"column": "响应性", "attribute": "年龄段"},
            "响应性因年龄段而异",
        ),
        ("共 {n} 份", {"n": "1,200"}, "共 1,200 份"),  # digits keep their spaces
        ("{item} 低于", {"item": "rel2"}, "rel2 低于"),  # so does Latin text
        ("（{dimension}）的", {"dimension": "可靠性"}, "（可靠性）的"),
    ],
)
def test_chinese_has_no_spaces_between_its_words_and_inserted_labels(
    template: str, values: dict[str, str], shown: str
) -> None:
    assert fill(template, "zh", values) == shown


def test_other_languages_keep_their_spaces() -> None:
    assert fill("{dimension} is", "en", {"dimension": "可靠性"}) == "可靠性 is"


def test_segment_values_are_translated_or_shown_as_given() -> None:
    assert Texts("fa").segment_value("gender", "male") == "مرد"
    assert Texts("zh").segment_value("region", "south") == "南部"
    assert Texts("fa").segment_value("channel", "web_message") == "پیام وب"
    # an organisation's own code is shown as it is (digits in the language's digits)
    assert Texts("fa").segment_value("attribute:plan", "gold-2") == "gold-۲"
    assert Texts("en").segment_size("gender", "male", 1234) == "male (n=1,234)"
