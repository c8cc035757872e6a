"""Required items through the real app: a final submission needs them, a draft does not,
and the error summary names each missing item by its wording, in every language."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from cxgap.instruments import Instrument, builtin_instruments
from cxgap.services.collection import page_items
from cxgap.services.collection.answers import item_columns
from cxgap.services.surveys import create_survey
from cxgap.store.database import transaction
from cxgap.store.models import Response

from .helpers import VALID, answers_for, form_data, hidden

LinkMaker = Callable[..., str]
pytestmark = pytest.mark.usefixtures("mini_survey")
WORDING = {
    "en": {"rel1": "Keeps promises", "emp1": "Personal attention", "kano_app": "A mobile app"},
    "zh": {"rel1": "信守承诺", "emp1": "个性化关注", "kano_app": "手机应用"},
    "fa": {"rel1": "به قول‌ها عمل می‌کند", "emp1": "توجه شخصی", "kano_app": "برنامه موبایل"},
}


def stored(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Response)) or 0)


def summary(html: str) -> list[tuple[str, str]]:
    """``(href, text)`` of each link in the error summary, in order."""
    found = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert found, "no error summary on the page"
    return [
        (unescape(href), unescape(re.sub(r"<[^>]+>", "", text)).strip())
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', found.group(0), re.S)
    ]


def without(mini: Instrument, item_id: str) -> dict[str, str]:
    names = {name for name, _ in item_columns(mini.item(item_id))}
    return {k: v for k, v in VALID.items() if k not in names}


@pytest.mark.parametrize(
    ("item_id", "required"),
    [
        ("rel1", True),  # tolerance_zone
        ("emp1", True),  # expectation_perception
        ("dis1", True),  # disconfirmation
        ("kano_app", True),  # kano
        ("importance", True),  # points
        ("nps", False),  # rating
        ("comment", False),  # text
    ],
)
def test_each_format_left_out_of_a_final_submission(
    engine: Engine,
    client: TestClient,
    new_link: LinkMaker,
    mini: Instrument,
    item_id: str,
    required: bool,
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}").text
    sent = client.post(
        f"/s/{link}", data=form_data(page, **without(mini, item_id)), follow_redirects=False
    )
    if not required:
        assert sent.status_code == 303 and stored(engine) == 1
        return
    assert sent.status_code == 422 and stored(engine) == 0
    wording = mini.item(item_id).text["en"]
    first = item_columns(mini.item(item_id))[0][0]
    anchor = f"#item-{item_id}" if mini.item(item_id).format == "points" else f"#f-{first}"
    assert summary(sent.text) == [(anchor, f"Please answer “{wording}”.")]
    # the link's target exists on the page
    assert f'id="{anchor[1:]}"' in sent.text


@pytest.mark.parametrize("lang", ["en", "zh", "fa"])
def test_the_summary_names_every_missing_item_in_each_language(
    engine: Engine, client: TestClient, new_link: LinkMaker, lang: str
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}?lang={lang}").text
    answers = {k: v for k, v in VALID.items() if not k.startswith(("rel1", "kano_app"))}
    answers["emp1_expected"] = "5"  # emp1 answered in part
    del answers["emp1_perceived"]
    sent = client.post(f"/s/{link}?lang={lang}", data=form_data(page, **answers))
    assert sent.status_code == 422
    lines = summary(sent.text)
    assert [href for href, _ in lines] == [
        "#f-rel1_adequate",
        "#f-emp1_perceived",
        "#f-kano_app_functional",
    ]
    texts = [line for _, line in lines]
    for line, item_id in zip(texts, ["rel1", "emp1", "kano_app"], strict=True):
        assert WORDING[lang][item_id] in line
    assert len(set(texts)) == 3  # no two lines alike
    part = {"en": "What you get", "zh": "您实际得到的", "fa": "آنچه دریافت می‌کنید"}
    assert texts[1].count(part[lang]) == 1, texts[1]
    # every field of the empty required items is marked invalid, each pointing at a message
    for name in ("rel1_adequate", "rel1_desired", "rel1_perceived", "kano_app_dysfunctional"):
        tag = re.search(rf'<input type="radio" name="{name}"[^>]*>', sent.text)
        assert tag and 'aria-invalid="true"' in tag.group(0)
        described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
        assert described and f'id="{described.group(1)}"' in sent.text


@pytest.mark.parametrize(
    ("lang", "changed", "expected"),
    [
        # a Kano pair is both-or-none
        (
            "en",
            {"kano_app_dysfunctional": ""},
            (
                "#f-kano_app_dysfunctional",
                "“A mobile app”: still to answer: How would you feel if it did not?",
            ),
        ),
        # points given must add up (a blank option counts as 0)
        (
            "fa",
            {"importance_reliability": "20", "importance_empathy": ""},
            (
                "#item-importance",
                "«۱۰۰ امتیاز را تقسیم کنید»: جمع امتیازها باید ۱۰۰ باشد؛ اکنون ۲۰ است.",
            ),
        ),
    ],
)
def test_pairs_and_points_are_named_too(
    client: TestClient,
    new_link: LinkMaker,
    lang: str,
    changed: dict[str, str],
    expected: tuple[str, str],
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}?lang={lang}").text
    sent = client.post(f"/s/{link}?lang={lang}", data=form_data(page, **{**VALID, **changed}))
    assert sent.status_code == 422
    assert summary(sent.text) == [expected]


def test_drafts_and_save_are_never_blocked(
    engine: Engine, client: TestClient, new_link: LinkMaker
) -> None:
    link = new_link()
    page = client.get(f"/s/{link}").text
    saved = client.post(
        f"/s/{link}", data=form_data(page, _action="save", nps="3"), follow_redirects=False
    )
    assert saved.status_code == 303 and "saved=1" in saved.headers["location"]
    draft = client.post(f"/s/{link}/draft", data={"_csrf": hidden(page, "_csrf"), "_page": "0"})
    assert draft.status_code == 204 and stored(engine) == 0
    # the page marks required fields for the browser but never lets it block a save
    assert re.search(r"<form [^>]*novalidate", page)
    required = set(re.findall(r'name="([^"]+)"[^>]*\brequired\b', page))
    assert required == {
        "rel1_adequate",
        "rel1_desired",
        "rel1_perceived",
        "emp1_expected",
        "emp1_perceived",
        "dis1",
        "kano_app_functional",
        "kano_app_dysfunctional",
    }


def test_missing_items_on_other_pages_link_to_their_page(
    engine: Engine, client: TestClient, new_link: LinkMaker
) -> None:
    heating = builtin_instruments()["heating-cx"]
    with transaction(engine) as session:
        create_survey(session, "heat", instrument="heating-cx")
    link = new_link("heat")
    last = len(heating.sections) - 1
    answered = answers_for(heating, [i for n in range(2, last + 1) for i in page_items(heating, n)])
    page = client.get(f"/s/{link}?page={last}").text
    sent = client.post(f"/s/{link}?lang=en", data=form_data(page, _page=str(last), **answered))
    assert sent.status_code == 422 and stored(engine) == 0
    # the form opens at the first page with a problem; the summary names all of them
    assert 'name="_page" value="0"' in sent.text
    lines = summary(sent.text)
    wanted = [(n, i) for n in (0, 1) for i in page_items(heating, n) if heating.item(i).required]
    assert len(lines) == len(wanted) > 2
    for (href, line), (number, item_id) in zip(lines, wanted, strict=True):
        assert href.startswith("#f-" if number == 0 else "?lang=en&page=1#")
        assert heating.item(item_id).text["en"] in line
    # following a link to the other page shows it
    shown = client.get(f"/s/{link}{lines[-1][0].split('#')[0]}")
    assert shown.status_code == 200 and 'name="_page" value="1"' in shown.text
