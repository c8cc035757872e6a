"""The gettext catalogue: every message in every language, the same placeholders."""

from __future__ import annotations

import string
from io import BytesIO

import pytest
from babel.messages.pofile import read_po

from cxgap.locale import CONTEXTS, LANGUAGES, catalogue_path, catalogue_paths, messages
from cxgap.reports.i18n import CATALOGUE, Texts
from cxgap.web.dashboard.texts import TEXTS as DASHBOARD
from cxgap.web.i18n import TEXTS as FORM
from cxgap.web.i18n import text


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_message_exists_in_every_language_with_the_same_placeholders(
    context: str,
) -> None:
    texts = messages(context)
    english = texts["en"]
    assert english, f"no {context} texts"
    for lang in LANGUAGES:
        assert sorted(texts[lang]) == sorted(english), f"{lang}: keys differ from English"
        for key, template in texts[lang].items():
            assert template.strip(), f"{context}/{key} is empty in {lang}"
            assert _placeholders(template) == _placeholders(english[key]), (
                f"{context}/{key} in {lang}: {sorted(_placeholders(template))}, "
                f"English has {sorted(_placeholders(english[key]))}"
            )


def test_the_catalogues_are_plain_gettext_files() -> None:
    for lang in LANGUAGES:
        assert catalogue_paths(lang)[0] == catalogue_path(lang)
        for path in catalogue_paths(lang):
            catalogue = read_po(BytesIO(path.read_bytes()), locale=lang)
            assert str(catalogue.locale) == lang
            assert not [m.id for m in catalogue if m.id and m.fuzzy], f"fuzzy in {path}"
            assert {m.context for m in catalogue if m.id} <= set(CONTEXTS)
        core = read_po(BytesIO(catalogue_path(lang).read_bytes()), locale=lang)
        assert {m.context for m in core if m.id} == set(CONTEXTS)
    assert sorted(p.name for p in catalogue_paths("en")) == sorted(
        p.name for p in catalogue_paths("fa")
    ), "every language has the same catalogue files"


def test_every_text_the_code_shows_comes_from_the_catalogue() -> None:
    assert messages("form") == FORM
    assert messages("dashboard") == DASHBOARD
    assert CATALOGUE["kano_A"] == {lang: messages("report")[lang]["kano_A"] for lang in LANGUAGES}
    assert text("fa", "page_of", page=2, pages=12) == "بخش ۲ از ۱۲"
    assert text("de", "submit") == "Send my answers"  # unknown language: English
    # a signed number in right-to-left text: isolated, so the minus sign stays in front
    assert Texts("fa").number(-1234.5, 1) == "\u2066−۱٬۲۳۴٫۵\u2069"
    assert Texts("zh")("sec_trend") == "各期趋势"


def test_a_key_defined_in_two_files_is_refused(tmp_path, monkeypatch) -> None:
    import cxgap.locale as locale

    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    entry = 'msgctxt "form"\nmsgid "submit"\nmsgstr "Send"\n'
    (folder / "cxgap.po").write_text(entry, encoding="utf-8")
    (folder / "extra.po").write_text(entry, encoding="utf-8")
    monkeypatch.setattr(locale, "HERE", tmp_path)
    locale._read.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"extra\.po.*form/submit is already defined"):
            locale._read("en")
    finally:
        locale._read.cache_clear()
