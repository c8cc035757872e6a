"""Chart text for the PDF: shaped with HarfBuzz, Persian right-to-left."""

from __future__ import annotations

import pytest
import uharfbuzz as hb

from cxgap.reports.glyph_outlines import _direction_runs, _font, outline_svg, shape

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20">'
    '<g transform="translate(5,5)"><text text-anchor="end" transform="translate(90,10)" '
    'font-size="10px" fill="#000">قابلیت اطمینان (۱۸-۳۴)</text>'
    '<text font-size="12px" font-weight="bold">可靠性 Reliability</text></g></svg>'
)


def test_outline_replaces_every_text_element() -> None:
    out = outline_svg(SVG)
    assert "<text" not in out
    assert out.startswith("<svg ") and 'xmlns="http://www.w3.org/2000/svg"' in out[:120]
    assert out.count("<path") == 2


def test_direction_runs_keep_numbers_left_to_right_inside_persian() -> None:
    base, runs = _direction_runs("گروه سنی 18-34 (سال)")
    assert base == "rtl"
    assert runs == [("rtl", "گروه سنی "), ("ltr", "18-34"), ("rtl", " (سال)")]
    assert _direction_runs("Reliability (可靠性)") == ("ltr", [("ltr", "Reliability (可靠性)")])


def test_persian_is_joined_like_harfbuzz_joins_it() -> None:
    # joined letters take their medial/final forms: the word is narrower than its letters
    # set one by one, and the width equals HarfBuzz's own advance sum for the word
    word = "شکاف"
    _, width = shape(word, 100)
    font = _font("arabic", False)
    buffer = hb.Buffer()
    buffer.add_str(word)
    buffer.guess_segment_properties()
    hb.shape(font.font, buffer, {})
    expected = sum(p.x_advance for p in buffer.glyph_positions) * 100 / font.upem
    assert width == pytest.approx(expected)
    isolated = sum(shape(letter, 100)[1] for letter in word)
    assert width < isolated
