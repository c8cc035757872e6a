"""Rendering a report document to PDF with WeasyPrint (Pango and HarfBuzz shape the text,
fonts are subset and embedded; the charts are vector outlines)."""

from __future__ import annotations

from cxgap.errors import ConfigurationError
from cxgap.reports.document import ReportDocument
from cxgap.reports.html import render_html
from cxgap.reports.system import INSTALL_COMMAND


def render_pdf(document: ReportDocument) -> bytes:
    """The report as PDF bytes."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Pango libraries are system packages, not Python ones
        raise ConfigurationError(
            f"PDF reports need the Pango text libraries, which are missing ({exc}); install "
            f"them with `{INSTALL_COMMAND}` (or run scripts/setup-tests.sh as root). HTML "
            "reports work without them."
        ) from None

    html = render_html(document, for_pdf=True)
    pdf = HTML(string=html, base_url=None).write_pdf()
    return bytes(pdf or b"")
