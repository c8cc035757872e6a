"""Answers and page helpers shared by the web tests."""

from __future__ import annotations

import re

VALID = {
    "rel1_adequate": "4",
    "rel1_desired": "8",
    "rel1_perceived": "6",
    "emp1_expected": "6",
    "emp1_perceived": "5",
    "dis1": "3",
    "nps": "9",
    "kano_app_functional": "1",
    "kano_app_dysfunctional": "5",
    "importance_reliability": "70",
    "importance_empathy": "30",
    "comment": "Quick and friendly",
}
"""A valid answer to every item of ``tests/data/mini.yaml``."""


def hidden(page: str, name: str) -> str:
    """The value of a hidden form field of a rendered page."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    if found is None:
        raise AssertionError(f"no hidden field {name}")
    return found.group(1)
