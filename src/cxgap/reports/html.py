"""Rendering a report document to HTML: one self-contained file (styles inline, charts
as inline SVG with their Vega-Lite specifications beside them), no network access."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jinja2
import vl_convert
from markupsafe import Markup

from cxgap.reports.charts import ChartSpec
from cxgap.reports.document import ReportDocument
from cxgap.reports.glyph_outlines import outline_svg

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def chart_svg(spec: ChartSpec) -> str:
    """The chart rendered to SVG by Vega-Lite (bundled with ``vl-convert``, offline)."""
    return str(vl_convert.vegalite_to_svg(spec, allowed_base_urls=[]))


def _spec_json(spec: ChartSpec) -> Markup:
    # JSON inside <script>: "</" would end the element early
    text = json.dumps(spec, ensure_ascii=False).replace("</", "<\\/")
    return Markup(text)


def _css_string(text: str) -> str:
    """``text`` safe inside a double-quoted CSS string within a <style> element."""
    return "".join(
        ch if ch.isalnum() or ch in " .,:;-_/()" or ord(ch) > 127 else f"\\{ord(ch):x} "
        for ch in text
    )


def render_html(document: ReportDocument, *, for_pdf: bool = False) -> str:
    """The report as an HTML page. ``for_pdf`` outlines chart text (see
    :mod:`cxgap.reports.glyph_outlines`) and leaves out the embedded specifications."""
    svgs: dict[str, Markup] = {}
    specs: dict[str, Markup] = {}
    for section in document.sections:
        for name, spec in section.charts:
            svg = chart_svg(spec)
            # Vega escapes the data it writes as text, so the SVG is safe markup
            svgs[name] = Markup(outline_svg(svg) if for_pdf else svg)
            specs[name] = _spec_json(spec)
    counter_style = {"fa": ", persian"}.get(document.lang, "")
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            doc=document,
            css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
            svgs=svgs,
            specs=None if for_pdf else specs,
            page_css=tuple(_css_string(part) for part in document.page_label),
            counter_style=counter_style,
        )
    )
