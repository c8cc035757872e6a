"""Rendering a report document to PDF with WeasyPrint (Pango and HarfBuzz shape the text,
fonts are subset and embedded; the charts are vector outlines)."""

from __future__ import annotations

from cxgap.reports.document import ReportDocument
from cxgap.reports.html import render_html


def render_pdf(document: ReportDocument) -> bytes:
    """The report as PDF bytes."""
    from weasyprint import HTML

    html = render_html(document, for_pdf=True)
    pdf = HTML(string=html, base_url=None).write_pdf()
    return bytes(pdf or b"")
