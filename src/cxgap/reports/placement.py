"""Where the labels of a labelled scatter go, so that no two labels overprint.

Each label is tried at growing distances from its point, in eight directions, and takes the
first place inside the plot that overlaps no label already placed and no point marker;
a label set away from its point gets a leader line. Sizes are in pixels of the plotted
area; text widths are estimated generously (full width for CJK characters).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

FONT_SIZE = 11
MARKER_RADIUS = 5.0
_DIRECTIONS = (
    (0.0, -1.0),  # above
    (1.0, 0.0),  # right
    (-1.0, 0.0),  # left
    (0.0, 1.0),  # below
    (1.0, -1.0),
    (-1.0, -1.0),
    (1.0, 1.0),
    (-1.0, 1.0),
)
_RADII = (4.0, 10.0, 18.0, 28.0, 40.0, 54.0, 70.0, 90.0, 115.0, 145.0, 180.0)
LEADER_FROM = 12.0
"""A label whose gap to its point is at least this (pixels) gets a leader line."""


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Placed:
    """A label's box and whether it needs a leader line back to its point."""

    box: Box
    leader: bool


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """A generous estimate of the width of ``text`` in pixels (wide CJK characters one
    em, other characters 0.64 em)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return (wide + 0.64 * (len(text) - wide)) * font_size + 2


def place_labels(
    points: Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    width: float,
    height: float,
    font_size: float = FONT_SIZE,
) -> list[Placed]:
    """Boxes for the labels ``texts`` of ``points`` (pixel positions in a plot of
    ``width`` x ``height``) that overlap neither each other nor the markers.

    Labels are placed in order of how crowded their point is, most crowded first. A
    label with no free place within reach takes the least crowded place tried.
    """
    line = font_size * 1.3
    markers = [
        Box(x - MARKER_RADIUS, y - MARKER_RADIUS, x + MARKER_RADIUS, y + MARKER_RADIUS)
        for x, y in points
    ]

    def crowding(i: int) -> int:
        x, y = points[i]
        return -sum(math.hypot(x - px, y - py) < 40 for px, py in points)

    placed: dict[int, Placed] = {}
    for i in sorted(range(len(points)), key=lambda i: (crowding(i), i)):
        x, y = points[i]
        w = text_width(texts[i], font_size)
        best: tuple[int, Box, float] | None = None
        for radius in _RADII:
            for dx, dy in _DIRECTIONS:
                # the box's nearest edge sits ``radius`` beyond the marker in that direction
                cx = x + dx * (MARKER_RADIUS + radius + w / 2)
                cy = y + dy * (MARKER_RADIUS + radius + line / 2)
                box = Box(cx - w / 2, cy - line / 2, cx + w / 2, cy + line / 2)
                if box.left < 0 or box.top < 0 or box.right > width or box.bottom > height:
                    continue
                clashes = sum(box.overlaps(p.box) for p in placed.values())
                clashes += sum(box.overlaps(m) for m in markers)
                if best is None or clashes < best[0]:
                    best = (clashes, box, radius)
                if clashes == 0:
                    break
            if best is not None and best[0] == 0:
                break
        if best is None:  # the plot is smaller than the label: centre it on the point
            box = Box(x - w / 2, y - line / 2, x + w / 2, y + line / 2)
            best = (0, box, 0.0)
        placed[i] = Placed(best[1], best[2] >= LEADER_FROM)
    return [placed[i] for i in range(len(points))]


def leader_end(box: Box, point: tuple[float, float]) -> tuple[float, float]:
    """Where a leader line from ``point`` meets ``box``: the box's nearest point."""
    x, y = point
    return min(max(x, box.left), box.right), min(max(y, box.top), box.bottom)
