"""What the dashboard pages share: language, navigation, page rendering, charts, surveys."""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import Engine

from cxgap.locale import text as catalogue_text
from cxgap.reports.charts import ChartSpec
from cxgap.reports.html import chart_svg
from cxgap.reports.i18n import Texts
from cxgap.services.accounts import User, allowed
from cxgap.services.analysis import MIN_RESPONSES
from cxgap.services.surveys import SurveyInfo, list_surveys
from cxgap.web.auth import SESSION_COOKIE, read_session
from cxgap.web.deps import get_engine, get_options, get_secret, render
from cxgap.web.i18n import LANGUAGE_NAMES, choose_language

K = TypeVar("K", bound=Hashable)

LANGUAGES = ("en", "zh", "fa")
LANG_COOKIE = "cxgap_lang"
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """A dashboard page: its name, path and the permission it needs."""

    name: str
    path: str
    permission: str
    in_menu: bool = True


PAGES: tuple[Page, ...] = (
    Page("overview", "/dashboard", "dashboard:view"),
    Page("priorities", "/dashboard/priorities", "dashboard:view", in_menu=False),
    Page("dimension", "/dashboard/dimensions/{dimension}", "analyses:run", in_menu=False),
    Page("segments", "/dashboard/segments", "analyses:run"),
    Page("kano", "/dashboard/kano", "analyses:run"),
    Page("importance", "/dashboard/importance", "analyses:run"),
    Page("five_gaps", "/dashboard/five-gaps", "analyses:run"),
    Page("responses", "/dashboard/responses", "responses:read"),
    Page("feedback", "/dashboard/feedback", "feedback:read"),
    Page("my_cases", "/dashboard/cases/mine", "cases:read"),
    Page("queue", "/dashboard/cases", "cases:read"),
    Page("recognition", "/dashboard/recognition", "cases:read"),
    Page("recovery", "/dashboard/recovery", "cases:read"),
    Page("kpis", "/dashboard/kpis", "kpis:read"),
    Page("actions", "/dashboard/actions", "actions:read"),
    Page("action", "/dashboard/actions/{plan_id}", "actions:read", in_menu=False),
)
"""Every dashboard page and its permission (``docs/dashboard.md`` has the same table)."""

PERMISSION = {page.name: page.permission for page in PAGES}


def ui_text(lang: str, key: str, **params: object) -> str:
    """A dashboard text in ``lang`` with numbers in that language's digits."""
    return catalogue_text("dashboard", lang, key, **params)


def page_lang(request: Request, user: User | None) -> str:
    """Asked for in the URL, else remembered in a cookie, else the account's language,
    else the browser's preference."""
    asked = request.query_params.get("lang")
    return choose_language(
        LANGUAGES,
        requested=asked if asked in LANGUAGES else request.cookies.get(LANG_COOKIE),
        invited=user.language if user is not None else None,
        accept_language=request.headers.get("accept-language"),
    )


def url_with(request: Request, **changes: object) -> str:
    """This page's URL with some query parameters changed (``None`` removes one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params |= {k: str(v) for k, v in changes.items() if v is not None and v != ""}
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def show_page(
    request: Request,
    name: str,
    user: User | None,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    active: str | None = None,
) -> Response:
    """Render ``dashboard/<name>.html`` in the page language, with the menu of the pages
    the user's role may open; remembers a language asked for in the URL."""
    lang = page_lang(request, user)
    menu = [
        (page.name, page.path, page.name == active)
        for page in PAGES
        if page.in_menu and user is not None and allowed(user.role, page.permission)
    ]
    rt = Texts(lang)  # type: ignore[arg-type]
    response = render(
        request,
        f"dashboard/{name}.html",
        lang,
        {
            "t": lambda key, **p: ui_text(lang, key, **p),
            "rt": rt,
            "user": user,
            "menu": menu,
            "language_links": [
                (code, LANGUAGE_NAMES[code], url_with(request, lang=code)) for code in LANGUAGES
            ],
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=get_options(request).cookies_secure,
        )
    return response


def message_page(request: Request, user: User | None, key: str, status_code: int) -> Response:
    """A page with a title and a sentence (``<key>_title``, ``<key>_body``)."""
    return show_page(request, "message", user, {"key": key}, status_code=status_code)


def forbidden_page(request: Request) -> Response:
    """The 403 page, with the menu of what the signed-in user may open instead."""
    user = read_session(
        get_engine(request),
        get_secret(request),
        request.cookies.get(SESSION_COOKIE),
        hours=get_options(request).session_hours,
    )
    return message_page(request, user, "forbidden", 403)


@functools.lru_cache(maxsize=512)
def _svg(spec_json: str) -> str:
    return chart_svg(json.loads(spec_json))


def svg(spec: ChartSpec | None) -> Markup | None:
    """The chart as inline SVG (rendered once per distinct specification and process).

    Vega escapes every text it writes, so the SVG is safe markup even when labels come
    from stored data.
    """
    if spec is None:
        return None
    return Markup(_svg(json.dumps(spec, sort_keys=True, ensure_ascii=False)))


CHART_THREADS = 4
"""Charts :func:`svgs` renders at once (the renderer runs outside Python's interpreter lock)."""


def svgs(specs: Mapping[K, ChartSpec | None]) -> dict[K, Markup | None]:
    """:func:`svg` of several charts, rendered side by side."""
    if len(specs) < 2:
        return {key: svg(spec) for key, spec in specs.items()}
    drawn = {key: _chart_pool().submit(svg, spec) for key, spec in specs.items()}
    return {key: future.result() for key, future in drawn.items()}


@functools.cache
def _chart_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=CHART_THREADS, thread_name_prefix="charts")


def clear_chart_cache() -> None:
    """Forget every rendered chart."""
    _svg.cache_clear()


def analysable_surveys(engine: Engine) -> list[SurveyInfo]:
    """Surveys with enough responses for an analysis, oldest first."""
    return [s for s in list_surveys(engine) if s.responses >= MIN_RESPONSES]


def choose_survey(surveys: list[SurveyInfo], asked: str | None) -> SurveyInfo | None:
    """The survey asked for; without one, the newest customer survey. ``None`` when an
    unknown survey was asked for or there is none."""
    if asked:
        return next((s for s in surveys if s.key == asked), None)
    customers = [s for s in surveys if s.audience == "customers"]
    candidates = customers or surveys
    return candidates[-1] if candidates else None


def page_number(value: str | None) -> int:
    """The page asked for; anything but a positive whole number means the first."""
    if value and value.isascii() and value.isdigit() and len(value) < 9:
        return max(int(value), 1)
    return 1
