"""Satisfaction reports (HTML and PDF, in English, Chinese and Persian) and the
declarative charts they share with the dashboard.

>>> from cxgap.reports import build_report
>>> build_report(engine, "heating-2026q3", compare="heating-2026q2", by="age_band",
...              lang="zh", format="pdf", out="report.pdf")
"""

from cxgap.reports import charts
from cxgap.reports.document import ReportDocument, Section
from cxgap.reports.i18n import LANGUAGES, Texts
from cxgap.reports.service import FORMATS, Report, build_report

__all__ = [
    "FORMATS",
    "LANGUAGES",
    "Report",
    "ReportDocument",
    "Section",
    "Texts",
    "build_report",
    "charts",
]
