"""Public survey pages: ``/s/{link}`` shows, saves and submits a survey form."""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from cxgap.services.collection import (
    AnswersInvalidError,
    DraftTooLargeError,
    FieldError,
    LinkCompletedError,
    LinkState,
    check_answers,
    confirmed_items,
    merge_page,
    open_link,
    page_field_names,
    page_items,
    save_draft,
    start_respondent,
    submit_answers_async,
)
from cxgap.times import as_utc, now
from cxgap.web.deps import (
    CSRF_FIELD,
    EngineDep,
    OptionsDep,
    SecretDep,
    check_csrf,
    check_new_respondent,
    check_rate,
    link_url,
    page_language,
    render,
)
from cxgap.web.forms import build_page, page_of_error
from cxgap.web.limits import WebOptions

router = APIRouter(tags=["survey pages"])

ACTIONS = ("submit", "next", "back", "save")


class TooManyAnswersError(Exception):
    """The form sent more answer fields than the survey has."""


def _url(token: str, lang: str, suffix: str = "", params: dict[str, object] | None = None) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"lang": lang, **(params or {})}.items())
    return f"/s/{token}{suffix}?{query}"


def _form(
    request: Request,
    token: str,
    state: LinkState,
    lang: str,
    index: int,
    values: dict[str, str],
    errors: tuple[FieldError, ...] = (),
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    page = build_page(state.instrument, index, lang, values, errors)
    return render(
        request,
        "form.html",
        lang,
        {
            "token": token,
            "title": state.instrument.title.get(lang) or state.instrument.title["en"],
            "page": page,
            "errors": errors,
            "saved": saved,
            "submission": uuid.uuid4().hex,
            "action": _url(token, lang),
        },
        status_code=status_code,
        languages=state.instrument.languages,
    )


@router.get("/s/{token}")
def show_form(
    token: str,
    request: Request,
    engine: EngineDep,
    secret: SecretDep,
    page: Annotated[int | None, Query(ge=0, le=1000)] = None,
    saved: bool = False,
) -> Response:
    """The survey form, resumed where the respondent left it."""
    state = open_link(engine, secret, token)
    if state.kind == "anonymous":
        return _respondent(request, engine, secret, state)
    lang = page_language(request, state.instrument.languages, state.language)
    index = state.page if page is None else page
    return _form(request, token, state, lang, index, state.draft, saved=saved)


def _respondent(request: Request, engine: Engine, secret: bytes, shared: LinkState) -> Response:
    """Send a browser from a shared link to its own respondent link (one per browser).

    Nothing is stored until the respondent saves or submits; new respondents are
    rate-limited per client address.
    """
    cookie = f"cxgap_a{shared.invitation_id}"
    own = request.cookies.get(cookie)
    if not own or len(own) > 100:
        check_new_respondent(request)
        own = start_respondent(engine, secret, shared)
    lang = request.query_params.get("lang")
    response = RedirectResponse(
        link_url(request, own) + (f"?lang={lang}" if lang in shared.instrument.languages else ""),
        303,
    )
    response.set_cookie(
        cookie,
        own,
        max_age=max(int((as_utc(shared.expires_at) - now()).total_seconds()), 0),
        httponly=True,
        samesite="lax",
        secure=request.app.state.options.cookies_secure,
    )
    return response


@router.get("/s/{token}/done")
def thanks(token: str, request: Request, engine: EngineDep, secret: SecretDep) -> Response:
    """The page after a successful submission."""
    try:
        state = open_link(engine, secret, token, mark_opened=False)
    except LinkCompletedError:
        lang = page_language(request, ("en", "zh", "fa"), None)
        return render(request, "message.html", lang, {"key": "thanks"})
    lang = page_language(request, state.instrument.languages, state.language)
    return RedirectResponse(_url(token, lang), 303)


async def _posted(
    request: Request, secret: bytes, options: WebOptions, token: str
) -> dict[str, str]:
    limit = options.max_answers + 10
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # What browsers and the page script send: parsed in one call (the hot path).
        try:
            pairs = parse_qsl(
                (await request.body()).decode("utf-8", "replace"),
                keep_blank_values=True,
                max_num_fields=limit,
            )
        except ValueError:
            raise TooManyAnswersError from None
        data = dict(pairs)
    else:
        form = await request.form(max_fields=limit, max_files=0)
        data = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    check_csrf(request, secret, data.get(CSRF_FIELD))
    check_rate(request, token)
    if sum(1 for k in data if not k.startswith("_")) > options.max_answers:
        raise TooManyAnswersError
    return data


def _page_index(data: dict[str, str]) -> int:
    try:
        return max(0, int(data.get("_page", "0")))
    except ValueError:
        return 0


@router.post("/s/{token}")
async def post_form(
    token: str, request: Request, engine: EngineDep, secret: SecretDep, options: OptionsDep
) -> Response:
    """Save, move between pages, or submit (``_action``); submission is idempotent.

    Submitting awaits the writer's commit on the event loop: the request holds no thread
    while its batch is checked and stored.
    """
    data = await _posted(request, secret, options, token)
    # Enter in a field presses the form's first, hidden button (``_enter``): a step forward
    enter = {"more": "next", "last": "submit"}.get(data.get("_enter", ""), "submit")
    action = data.get("_action", enter)
    action = action if action in ACTIONS else "submit"
    index = _page_index(data)
    answers = {k: v for k, v in data.items() if not k.startswith("_")}
    if action != "submit":
        return await run_in_threadpool(
            _move, request, engine, secret, token, action, index, answers
        )
    try:
        await submit_answers_async(
            engine,
            secret,
            token,
            answers,
            submission_key=data.get("_submission", ""),
            page=index if "_page" in data else None,
        )
    except AnswersInvalidError as exc:
        return await run_in_threadpool(_refused, request, engine, token, exc)
    lang = request.query_params.get("lang", "en")
    return RedirectResponse(_url(token, lang, "/done"), 303)


def _refused(request: Request, engine: Engine, token: str, exc: AnswersInvalidError) -> Response:
    """The form again, at the first page with a problem; what was typed becomes the draft."""
    state = exc.state
    lang = page_language(request, state.instrument.languages, state.language)
    first = page_of_error(state.instrument, exc.checked.errors)
    with contextlib.suppress(DraftTooLargeError):  # the errors are shown all the same
        save_draft(engine, state, exc.raw, first)
    return _form(request, token, state, lang, first, exc.raw, exc.checked.errors, status_code=422)


def _move(
    request: Request,
    engine: Engine,
    secret: bytes,
    token: str,
    action: str,
    index: int,
    answers: dict[str, str],
) -> Response:
    """Next (checks the page), Back or Save: keep the answers as the draft and move."""
    state = open_link(engine, secret, token, mark_opened=False)
    lang = page_language(request, state.instrument.languages, state.language)
    fields = page_field_names(state.instrument, index)
    merged = merge_page(state.draft, fields, answers)
    if action == "next":
        checked = check_answers(
            state.instrument,
            merged,
            items=page_items(state.instrument, index),
            confirmed=confirmed_items(merged),
        )
        if not checked.ok:
            with contextlib.suppress(DraftTooLargeError):  # the errors are shown all the same
                save_draft(engine, state, merged, index)
            return _form(
                request, token, state, lang, index, merged, checked.errors, status_code=422
            )
    target = {"next": index + 1, "back": max(index - 1, 0), "save": index}[action]
    save_draft(engine, state, merged, target)
    params: dict[str, object] = {"page": target}
    if action == "save":
        params["saved"] = 1
    return RedirectResponse(_url(token, lang, params=params), 303)


@router.post("/s/{token}/draft", status_code=204)
async def autosave(
    token: str, request: Request, engine: EngineDep, secret: SecretDep, options: OptionsDep
) -> Response:
    """Keep the answers of the page being filled in (sent by the page's script)."""
    data = await _posted(request, secret, options, token)

    def save() -> None:
        state = open_link(engine, secret, token, mark_opened=False)
        index = _page_index(data)
        answers = {k: v for k, v in data.items() if not k.startswith("_")}
        fields = page_field_names(state.instrument, index)
        save_draft(engine, state, merge_page(state.draft, fields, answers), index)

    await run_in_threadpool(save)
    return Response(status_code=204)
