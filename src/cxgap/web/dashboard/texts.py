"""Words of the dashboard pages in English, Chinese and Persian.

Domain words shared with the reports (NPS, adequate level, Kano categories, segment
attributes...) come from the report texts (:class:`cxgap.reports.Texts`); these are the
words around them: navigation, sign-in, filters, paging and messages. Both live in the
gettext catalogue (:mod:`cxgap.locale`, contexts ``dashboard`` and ``report``).
"""

from __future__ import annotations

from cxgap.locale import messages

TEXTS: dict[str, dict[str, str]] = messages("dashboard")
"""Dashboard texts by language and key."""
