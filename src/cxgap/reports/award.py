"""The recognition board and the quarterly service award as HTML in en, zh and fa.

:func:`ranking_tables` draws the four rankings of a
:class:`~cxgap.services.cases.recognition.RecognitionBoard` (recovery and delight, people
and teams: rank, name, successes, contacts, raw and shrunk rate); the dashboard's board
page shows the same fragment. :func:`award_html` wraps it into a standalone page
(``cxgap cases award --out FILE.html``). Names come from stored data and are escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from cxgap.reports.i18n import Language, Texts
from cxgap.services.cases.recognition import (
    DELIGHT_DAYS,
    DELIGHT_FROM,
    BoardRow,
    DelightRow,
    RecognitionBoard,
)
from cxgap.services.cases.recovery import RECOVERED_FROM

STYLE = """
body { font-family: "Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC", sans-serif;
       margin: 2rem auto; max-width: 52rem; padding: 0 1rem; color: #1d1d1f; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; width: 100%; }
th, td { border-bottom: 1px solid #ccd; padding: 0.3rem 0.6rem; text-align: start; }
td.number { text-align: end; font-variant-numeric: tabular-nums; }
.note { color: #555; }
"""


def _table(rows: Sequence[BoardRow] | Sequence[DelightRow], title: str, texts: Texts) -> Markup:
    head = "".join(
        f'<th scope="col">{escape(texts(key))}</th>'
        for key in (
            "award_rank",
            "award_name",
            "award_successes",
            "award_trials",
            "award_raw",
            "award_shrunk",
        )
    )
    body = []
    for r in rows:
        won, tried = (
            (r.recovered, r.resolved) if isinstance(r, BoardRow) else (r.delighted, r.contacts)
        )
        cells = [
            f'<td class="number">{texts.count(r.rank)}</td>',
            f"<td><bdi>{escape(r.name)}</bdi></td>",
            f'<td class="number">{texts.count(won)}</td>',
            f'<td class="number">{texts.count(tried)}</td>',
            f'<td class="number">{texts.percent(r.raw)}</td>',
            f'<td class="number">{texts.percent(r.shrunk, 1)}</td>',
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        return Markup(f'<h4>{escape(title)}</h4><p class="note">{escape(texts("award_none"))}</p>')
    return Markup(
        f"<h4>{escape(title)}</h4><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def ranking_tables(board: RecognitionBoard, texts: Texts, *, own_only: bool) -> Markup:
    """The recovery and delight rankings of ``board`` (people, then teams) as HTML."""
    parts = [Markup(f'<p class="note">{escape(texts("award_own"))}</p>')] if own_only else []
    for title, note, people, teams in (
        (
            texts("award_recovery"),
            texts("award_recovery_note", score=texts.count(RECOVERED_FROM)),
            board.people,
            board.teams,
        ),
        (
            texts("award_delight"),
            texts(
                "award_delight_note",
                days=texts.count(DELIGHT_DAYS),
                score=texts.count(DELIGHT_FROM),
            ),
            board.delight_people,
            board.delight_teams,
        ),
    ):
        parts.append(Markup(f'<h3>{escape(title)}</h3><p class="note">{escape(note)}</p>'))
        parts.append(_table(people, texts("award_people"), texts))
        if not own_only:
            parts.append(_table(teams, texts("award_teams"), texts))
    return Markup("").join(parts)


def award_html(board: RecognitionBoard, *, lang: Language, own_only: bool) -> str:
    """The service award of ``board``'s quarter as a standalone HTML page."""
    texts = Texts(lang)
    quarter = board.quarter or texts("award_all_time")
    title = texts("award_title", quarter=texts.digits(quarter))
    direction = "rtl" if texts.rtl else "ltr"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(texts('award_intro'))}</p>"
        f"{ranking_tables(board, texts, own_only=own_only)}</body></html>\n"
    )
