"""Notification texts from the catalogue, for the services that queue notifications."""

from __future__ import annotations

from collections.abc import Mapping

from cxgap.locale import text


def catalogue_wording(lang: str, key: str, values: Mapping[str, object]) -> str:
    """A :data:`cxgap.services.cases.notices.Wording` reading ``notify.po`` (context
    ``dashboard``): ``key`` in ``lang`` (English when the catalogue lacks it)."""
    return text("dashboard", lang, key, **values)
