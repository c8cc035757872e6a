"""Chart text as glyph outlines, for the PDF.

The PDF renderer lays out SVG ``<text>`` one character at a time, which breaks joined
scripts: Persian letters would come out unjoined and in the wrong order. So before a chart
goes into the PDF, every ``<text>`` element of its SVG is replaced by the outlines of its
glyphs, shaped with HarfBuzz (joining, ligatures, right-to-left runs) from the same Noto
fonts the page text uses. The chart stays vector and needs no embedded font.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache

import uharfbuzz as hb
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen

from cxgap.errors import ConfigurationError
from cxgap.reports.system import FONT_FAMILIES, INSTALL_COMMAND

SVG_NS = "http://www.w3.org/2000/svg"
FAMILIES = FONT_FAMILIES
"""Font family per script class (:data:`cxgap.reports.system.FONT_FAMILIES`)."""


@dataclass(frozen=True)
class _Font:
    font: hb.Font
    upem: int


@cache
def _font(script: str, bold: bool) -> _Font:
    pattern = FAMILIES[script] + (":bold" if bold else "")
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}\t%{index}", pattern],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\t")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ConfigurationError(f"fontconfig (fc-match) is needed for PDF charts: {exc}") from exc
    if len(found) != 3 or FAMILIES[script] not in found[0]:
        raise ConfigurationError(
            f"font {FAMILIES[script]!r} is not installed (fontconfig offers {found[0]!r}); "
            f"install it with `{INSTALL_COMMAND}`"
        )
    with open(found[1], "rb") as handle:
        blob = hb.Blob(handle.read())
    face = hb.Face(blob, int(found[2] or 0))
    return _Font(hb.Font(face), face.upem)


def _script(char: str) -> str | None:
    """Script class of a character; ``None`` for neutral ones (spaces, punctuation)."""
    code = ord(char)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x2E80 <= code <= 0x9FFF or 0xFF00 <= code <= 0xFFEF or 0x3000 <= code <= 0x303F:
        return "cjk"
    if code in (0x200C, 0x200D):  # joiners belong to the Arabic run around them
        return "arabic"
    category = unicodedata.category(char)
    return "latin" if category[0] in "LN" else None


def _covers(script: str, char: str) -> bool:
    return _font(script, False).font.get_nominal_glyph(ord(char)) is not None


def _font_runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (script, substring) runs by font; neutral characters join the
    run before them when its font has them."""
    runs: list[list[str]] = []
    for char in text:
        script = _script(char)
        if script is None and runs and _covers(runs[-1][0], char):
            runs[-1][1] += char
            continue
        if script is None or not _covers(script, char):
            script = next((s for s in FAMILIES if _covers(s, char)), "latin")
        if runs and runs[-1][0] == script:
            runs[-1][1] += char
        else:
            runs.append([script, char])
    return [(s, t) for s, t in runs]


def _direction_runs(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Base direction and (direction, substring) runs in logical order.

    A simplified Unicode bidi algorithm, enough for chart labels: Arabic-script letters
    are right-to-left, other letters and numbers left-to-right, and a neutral character
    takes the direction of its neighbours when they agree, else the base direction."""
    strong: list[str | None] = []
    for char in text:
        kind = unicodedata.bidirectional(char)
        strong.append(
            "rtl" if kind in ("R", "AL") else "ltr" if kind in ("L", "EN", "AN") else None
        )
    base = "rtl" if "rtl" in strong else "ltr"
    resolved: list[str] = []
    for i, direction in enumerate(strong):
        if direction is None:
            before = next((d for d in reversed(strong[:i]) if d), base)
            after = next((d for d in strong[i + 1 :] if d), base)
            direction = before if before == after else base
        resolved.append(direction)
    runs: list[list[str]] = []
    for char, direction in zip(text, resolved, strict=True):
        if runs and runs[-1][0] == direction:
            runs[-1][1] += char
        else:
            runs.append([direction, char])
    return base, [(d, t) for d, t in runs]


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def shape(text: str, size: float, *, bold: bool = False) -> tuple[str, float]:
    """SVG path data of ``text`` set at ``size`` with its baseline at y = 0, starting at
    x = 0, and its advance width. Right-to-left runs are shaped right-to-left (HarfBuzz
    joins and mirrors them) and ordered for display."""
    base, runs = _direction_runs(text)
    if base == "rtl":
        runs = runs[::-1]
    pen = SVGPathPen(None, ntos=_number)
    x = 0.0
    for direction, part in runs:
        pieces = _font_runs(part)
        if direction == "rtl":
            pieces = pieces[::-1]
        for script, piece in pieces:
            font = _font(script, bold)
            scale = size / font.upem
            buffer = hb.Buffer()
            buffer.add_str(piece)
            buffer.guess_segment_properties()
            buffer.direction = direction
            hb.shape(font.font, buffer, {"kern": True, "liga": True})
            for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
                transform = (scale, 0, 0, -scale, x + pos.x_offset * scale, -pos.y_offset * scale)
                font.font.draw_glyph_with_pen(info.codepoint, TransformPen(pen, transform))
                x += pos.x_advance * scale
    return pen.getCommands(), x


_SIZE = re.compile(r"([\d.]+)")


def outline_svg(svg: str) -> str:
    """``svg`` with each ``<text>`` replaced by a group of glyph outlines."""
    root = ET.fromstring(svg)
    # plain tag names, so that the output declares the SVG namespace as the default one
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    root.set("xmlns", SVG_NS)
    for parent in root.iter():
        for index, node in enumerate(list(parent)):
            if node.tag != "text":
                continue
            parent.remove(node)
            parent.insert(index, _outlined(node))
    return ET.tostring(root, encoding="unicode")


def _outlined(node: ET.Element) -> ET.Element:
    text = "".join(node.itertext())
    match = _SIZE.match(node.get("font-size", "10"))
    size = float(match.group(1)) if match else 10.0
    weight = node.get("font-weight", "normal")
    bold = weight == "bold" or (weight.isdigit() and int(weight) >= 600)
    path, width = shape(text, size, bold=bold)
    anchor = node.get("text-anchor", "start")
    shift = {"middle": -width / 2, "end": -width}.get(anchor, 0.0)
    group = ET.Element("g")
    transform = node.get("transform", "")
    x, y = float(node.get("x", 0) or 0), float(node.get("y", 0) or 0)
    group.set("transform", f"{transform} translate({x + shift:.3f},{y:.3f})".strip())
    for name in ("fill", "opacity", "fill-opacity"):
        if node.get(name) is not None:
            group.set(name, node.get(name, ""))
    if node.get("fill") is None:
        group.set("fill", "#000")
    outline = ET.SubElement(group, "path")
    outline.set("d", path)
    return group
