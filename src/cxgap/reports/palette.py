"""Fixed chart colours, keyed by stable codes (never by translated labels).

A dimension, an importance-performance quadrant, a Kano category and a zone-of-tolerance
position each have one colour in every language, page and report, so a reader who learnt
that Responsiveness is vermillion in one place finds it so everywhere. The colours are the
Okabe-Ito palette (Okabe & Ito, 2008, *Color Universal Design*), told apart by readers
with the common forms of colour blindness.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
"""The eight Okabe-Ito colours."""

GREY = "#8C8C8C"

DIMENSION_COLOURS: Mapping[str, str] = {
    "reliability": "#0072B2",
    "responsiveness": "#D55E00",
    "assurance": "#009E73",
    "empathy": "#CC79A7",
    "tangibles": "#E69F00",
}
"""The SERVQUAL dimensions; other dimensions take a colour from their code
(:func:`dimension_colour`)."""

QUADRANT_COLOURS: Mapping[str, str] = {
    "concentrate here": "#D55E00",
    "keep up the good work": "#009E73",
    "low priority": GREY,
    "possible overkill": "#56B4E9",
}
"""Importance-performance quadrants (:data:`cxgap.stats.importance.IPA_QUADRANTS`)."""

KANO_COLOURS: Mapping[str, str] = {
    "M": "#D55E00",  # must-be
    "O": "#0072B2",  # one-dimensional
    "A": "#009E73",  # attractive
    "I": GREY,  # indifferent
    "R": "#CC79A7",  # reverse
    "Q": "#000000",  # questionable
}
"""Kano categories (:data:`cxgap.stats.kano.CATEGORIES`)."""

POSITION_COLOURS: Mapping[str, str] = {"below": "#D55E00", "within": GREY, "above": "#009E73"}
"""Positions against the zone of tolerance."""

SEQUENTIAL_SCHEME = "blues"
"""The heatmap's colour scheme (light to dark, readable in grey too)."""


def dimension_colour(code: str) -> str:
    """The colour of a dimension: fixed for the SERVQUAL ones, otherwise one of the
    Okabe-Ito colours chosen by a checksum of the code (the same in every process)."""
    return DIMENSION_COLOURS.get(code) or OKABE_ITO[zlib.crc32(code.encode()) % len(OKABE_ITO)]


def colour_of(code: str, fixed: Mapping[str, str]) -> str:
    """The colour of ``code`` in ``fixed``, or one chosen from the code itself."""
    return fixed.get(code) or dimension_colour(code)
