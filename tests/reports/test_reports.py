"""Reports as a reader gets them: HTML and PDF in English, Chinese and Persian."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, update

from cxgap.errors import DataError, ValidationError
from cxgap.reports import build_report
from cxgap.reports.headline import Measure, with_changes
from cxgap.reports.i18n import CATALOGUE
from cxgap.store.database import transaction
from cxgap.store.models import Survey

SURVEY, PREVIOUS = "heating-2026q4", "heating-2026q3"

HEADINGS = (
    "sec_summary",
    "sec_gaps",
    "sec_zone",
    "sec_ipa",
    "sec_kano",
    "sec_trend",
    "sec_reliability",
    "sec_contents",
    "sec_priorities",
    "sec_recommendations",
    "sec_findings",
    "sec_appendix",
    "a_references",
)


def _plain(text: str) -> str:
    # PDF text extraction drops zero-width non-joiners and line breaks, and marks
    # embedded right-to-left and left-to-right runs with direction controls
    text = re.sub("[\u200c\u202a-\u202e\u2066-\u2069]", "", text)
    return re.sub(r"\s+", " ", text)


def _fonts(reader: PdfReader) -> dict[str, bool]:
    """Every font used on any page (also inside forms) -> whether its program is embedded."""
    found: dict[str, bool] = {}

    def visit(resources: object) -> None:
        if not hasattr(resources, "get"):
            return
        resources = resources.get_object() if hasattr(resources, "get_object") else resources
        for font in (resources.get("/Font") or {}).values():  # type: ignore[union-attr]
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            descriptors += [
                d.get_object().get("/FontDescriptor") for d in font.get("/DescendantFonts", [])
            ]
            embedded = any(
                d is not None
                and any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            found[str(font.get("/BaseFont"))] = embedded
        for xobject in (resources.get("/XObject") or {}).values():  # type: ignore[union-attr]
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return found


@pytest.mark.parametrize("lang", ["en", "zh", "fa"])
def test_pdf_has_every_section_in_its_language(demo_engine: Engine, lang: str) -> None:
    report = build_report(
        demo_engine, SURVEY, compare=PREVIOUS, by="age_band", lang=lang, format="pdf"
    )
    reader = PdfReader(io.BytesIO(report.content))
    assert len(reader.pages) >= 3
    text = _plain("\n".join(page.extract_text() for page in reader.pages))
    for key in HEADINGS:
        assert _plain(CATALOGUE[key][lang]) in text, key
    segment_title = CATALOGUE["sec_segments"][lang].format(
        attribute=CATALOGUE["attr_age_band"][lang]
    )
    assert _plain(segment_title) in text
    fonts = _fonts(reader)
    assert fonts and all(fonts.values()), fonts
    expected = {"en": "Noto-Sans", "zh": "Noto-Sans-CJK-SC", "fa": "Noto-Naskh-Arabic"}[lang]
    assert any(expected in name for name in fonts), fonts
    # chart text is drawn as outlines: the PDF has no SVG text left to mis-shape
    assert b"<text" not in report.content


def test_html_is_self_contained_and_escapes_user_text(demo_engine: Engine) -> None:
    with transaction(demo_engine) as session:
        session.execute(
            update(Survey).where(Survey.key == SURVEY).values(name="<script>alert(1)</script> & Co")
        )
    try:
        report = build_report(demo_engine, SURVEY, by="age_band", lang="fa", format="html")
    finally:
        with transaction(demo_engine) as session:
            session.execute(
                update(Survey).where(Survey.key == SURVEY).values(name="Customer survey 2026Q4")
            )
    html = report.content.decode("utf-8")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert '<html lang="fa" dir="rtl">' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    assert html.count("<svg") == len(re.findall(r'class="chart-spec"', html)) >= 6
    for section in (
        "summary",
        "gaps",
        "zone",
        "ipa",
        "kano",
        "segments_age_band",
        "trend",
        "reliability",
        "priorities",
        "recommendations",
        "findings",
        "methods",
    ):
        assert f'<section id="{section}"' in html


def test_public_edition_leaves_out_small_groups(demo_engine: Engine) -> None:
    full = build_report(demo_engine, SURVEY, by="age_band", format="html", min_cell=5)
    sizes = {
        r["segment"]: r["n"] for r in full.document.chart("segments_age_band")["data"]["values"]
    }
    threshold = sorted(sizes.values())[0] + 1  # the smallest age band falls under it
    public = build_report(
        demo_engine, SURVEY, by="age_band", format="html", public=True, min_cell=threshold
    )
    shown = public.document.chart("segments_age_band")["data"]["values"]
    assert shown and all(r["n"] >= threshold for r in shown)
    assert {r["segment"] for r in shown} == {s for s, n in sizes.items() if n >= threshold}
    html = public.content.decode("utf-8")
    assert "public edition" in html
    assert "group(s) below the minimum size were left out" in html
    assert "differs by age band" not in html
    with pytest.raises(DataError, match="public edition needs at least"):
        build_report(demo_engine, SURVEY, format="html", public=True, min_cell=10**6)


def test_change_is_flagged_only_when_significant() -> None:
    # two-sided normal p for |z| = 2 is 0.0455 (any normal table), for |z| = 1 it is 0.3173
    base = Measure("nps", 10.0, 5.0, 15.0, 0.3, 400, "points")
    previous = [Measure("nps", 9.0, 4.0, 14.0, 0.4, 400, "points")]
    flagged = with_changes([base], previous, alpha=0.05)[0]
    assert flagged.change == pytest.approx(1.0)
    assert flagged.change_p == pytest.approx(0.0455, abs=1e-4)
    assert flagged.significant is True
    calm = with_changes([base], [Measure("nps", 9.5, 4, 14, 0.4, 400, "points")], alpha=0.05)[0]
    assert calm.change_p == pytest.approx(0.3173, abs=1e-4)
    assert calm.significant is False


def test_bad_options_are_refused(demo_engine: Engine) -> None:
    with pytest.raises(ValidationError, match="lang must be one of en, zh, fa"):
        build_report(demo_engine, SURVEY, lang="de")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="format must be one of html, pdf"):
        build_report(demo_engine, SURVEY, format="docx")  # type: ignore[arg-type]


def test_cli_report(
    demo_db: Path, tmp_path: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    out = tmp_path / "report.html"
    code, stdout, stderr = cli(
        "--db",
        demo_db,
        "report",
        "--survey",
        SURVEY,
        "--compare",
        PREVIOUS,
        "--by",
        "region",
        "--lang",
        "zh",
        "--out",
        out,
    )
    assert code == 0, stderr
    assert "HTML report (zh" in stdout
    html = out.read_text(encoding="utf-8")
    assert CATALOGUE["sec_segments"]["zh"].format(attribute="地区") in html
    assert CATALOGUE["compared_with"]["zh"].format(wave="2026Q3") in html
    code, _, stderr = cli("--db", demo_db, "report", "--survey", "nope", "--out", out)
    assert code == 4 and "nope" in stderr


def test_methods_give_the_response_rate_of_personal_invitations(demo_engine: Engine) -> None:
    from cxgap.services.collection import create_invitations
    from cxgap.store.models import Invitation

    before = build_report(demo_engine, PREVIOUS, lang="en", format="html").content.decode()
    assert "invitations are not recorded" in before
    create_invitations(
        demo_engine, b"k" * 32, PREVIOUS, customers=["C00001", "C00002", "C00003", "C00004"]
    )
    with transaction(demo_engine) as session:
        first = session.scalars(select(Invitation).order_by(Invitation.id)).first()
        assert first is not None
        first.status, first.completed_at = "completed", first.created_at
    after = build_report(demo_engine, PREVIOUS, lang="en", format="html").content.decode()
    assert "1 of 4 personal invitations were answered (25%)" in after


def test_headline_reads_only_the_analysis(demo_engine: Engine) -> None:
    from cxgap.engine.frames import load_survey
    from cxgap.reports.headline import headline
    from cxgap.services.analysis import analyze_survey
    from cxgap.stats import overall_gap

    analysis = analyze_survey(demo_engine, "heating-2026q4")
    measures = {m.key: m for m in headline(analysis)}  # no database: the analysis has it all
    data = load_survey(demo_engine, "heating-2026q4")
    items = [i.id for i in data.instrument.items_of_format("tolerance_zone")]
    block = {
        name: data.frame[[f"{i}_{name}" for i in items]].set_axis(items, axis=1).astype(float)
        for name in ("adequate", "desired", "perceived")
    }
    expected = overall_gap(block["perceived"], adequate=block["adequate"], desired=block["desired"])
    assert measures["overall_gap"].value == pytest.approx(expected.value, rel=1e-12)
    assert measures["overall_gap"].reference == "adequate"
    assert measures["share_below"].value == pytest.approx(expected.share_below, rel=1e-12)
    assert measures["share_below"].n == expected.n


PAGE_FOOTERS = {
    "en": "Page {page} of {pages}",
    "zh": "第{page}页/共{pages}页",
    "fa": "صفحه‌ی {page} از {pages}",
}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh", "fa"])
def test_pdf_structure_cover_contents_summary_appendix_and_page_numbers(
    demo_engine: Engine, lang: str, tmp_path: Path
) -> None:
    import subprocess

    report = build_report(demo_engine, SURVEY, lang=lang, format="pdf")
    path = tmp_path / f"report-{lang}.pdf"
    path.write_bytes(report.content)
    pages = [
        _plain(page)
        for page in subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split("\f")
        if page.strip()
    ]
    total = len(pages)
    assert total >= 5
    # compared without spaces: a right-to-left line's punctuation moves its spaces around
    pages = [page.replace(" ", "") for page in pages]
    t = {key: _plain(texts[lang]).replace(" ", "") for key, texts in CATALOGUE.items()}
    # the cover: survey, fieldwork period and sample size, and no page number
    cover = pages[0]
    for key in ("cover_survey", "cover_period", "cover_sample", "cover_instrument"):
        assert t[key] in cover, key
    assert "{" not in cover
    # contents on the second page, listing the sections with their page numbers
    contents = pages[1]
    assert t["sec_contents"] in contents
    for key in ("sec_summary", "sec_priorities", "sec_recommendations", "sec_appendix"):
        assert t[key] in contents, key
    # the executive summary holds the priority list and the recommendations
    summary = " ".join(pages[2:4])
    assert summary.index(t["sec_summary"]) < summary.index(t["sec_priorities"])
    assert t["tier_act_now"] in summary
    # page x of y, in the language's digits, on every page after the cover
    for number, page in enumerate(pages[1:], start=2):
        footer = PAGE_FOOTERS[lang].format(page=number, pages=total)
        if lang == "fa":
            footer = footer.translate(PERSIAN_DIGITS)
        assert _plain(footer).replace(" ", "") in page, (number, page[-80:])
    if lang == "fa":
        assert not re.search(r"[0-9]", pages[1]), "contents page numbers in Persian digits"
    # the last page is the appendix's end, not a lone closing line
    assert len(pages[-1]) > 250
    assert t["sec_appendix"] in " ".join(pages[-3:])


def test_item_wording_not_codes_outside_the_appendix_item_table(demo_engine: Engine) -> None:
    from cxgap.instruments import get_instrument

    instrument = get_instrument("heating-cx")
    codes = {i.id for i in instrument.items if i.short}
    assert len(codes) >= 20
    for lang in ("en", "zh", "fa"):
        document = build_report(demo_engine, SURVEY, lang=lang, format="html").document
        for section in document.sections:
            written = [*section.bullets, *section.paragraphs]
            tables = section.tables[:-1] if section.id == "methods" else section.tables
            written += [cell for table in tables for row in table["rows"] for cell in row]
            written += [cell for table in tables for cell in table["header"]]
            words = set(re.findall(r"[a-z][a-z0-9_]*", " ".join(written)))
            assert not words & codes, (lang, section.id, words & codes)
        appendix = document.sections[-1]
        assert appendix.id == "methods"
        labels = {row[0]: row[1] for row in appendix.tables[-1]["rows"]}
        assert labels["res1"] == instrument.item("res1").short[lang]  # type: ignore[index]


def test_survey_title_per_language_falls_back_to_the_instrument(demo_engine: Engine) -> None:
    from cxgap.services.surveys import set_survey_title

    set_survey_title(demo_engine, SURVEY, "zh", "二〇二六年第四季度客户调查", actor="tester")
    try:
        zh = build_report(demo_engine, SURVEY, lang="zh", format="html").document
        fa = build_report(demo_engine, SURVEY, lang="fa", format="html").document
        en = build_report(demo_engine, SURVEY, lang="en", format="html").document
    finally:
        set_survey_title(demo_engine, SURVEY, "zh", None, actor="tester")
    cover = dict(zh.cover)
    assert cover[CATALOGUE["cover_survey"]["zh"]].startswith("二〇二六年第四季度客户调查 (")
    assert zh.subtitle.startswith("二〇二六年第四季度客户调查")
    # no Persian title given: the instrument's Persian title, then the survey's own name
    assert fa.subtitle.startswith("خدمات گرمایش شما")
    assert dict(en.cover)[CATALOGUE["cover_survey"]["en"]] == "Customer survey 2026Q4"
