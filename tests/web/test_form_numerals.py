"""Numbers typed into a survey form are read by the same rule everywhere on the page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .helpers import VALID, form_data


def test_the_points_counter_reads_persian_separators_like_the_answer_check(
    client: TestClient, new_link: Callable[..., str], mini_survey: str
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}?lang=fa").text
    typed = {"importance_reliability": "۶۰٫۰", "importance_empathy": "۳۰"}  # 90 of 100
    response = client.post(f"/s/{link}?lang=fa", data=form_data(page, **{**VALID, **typed}))
    assert response.status_code == 422
    assert "جمع امتیازها باید ۱۰۰ باشد؛ اکنون ۹۰ است." in response.text  # the check
    assert "امتیاز داده‌شده: ۹۰ از ۱۰۰" in response.text  # the counter next to it
