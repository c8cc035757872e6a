"""Text encoding detection for imported CSV files.

Survey exports arrive as UTF-8 (with or without a byte-order mark), as GB18030/GBK from
Chinese spreadsheet software, or as Windows-1256 from Persian and Arabic Windows systems.
Detection order: a BOM decides; strict UTF-8 is tried next; otherwise each legacy
candidate decodes the bytes and the one whose non-ASCII characters are best explained by
its own script (CJK for GB18030, Arabic script for Windows-1256) wins.

A detected legacy encoding must fit every line: a file joined from parts saved in
different encodings (Chinese lines in GB18030, Persian ones in Windows-1256, or UTF-8)
would otherwise be stored as the wrong script. Such a file is refused with the lines that
do not fit; ``--encoding`` imports it as that one encoding all the same.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from cxgap.errors import IngestError

LEGACY_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("gb18030", "CJK"),
    ("cp1256", "ARABIC"),
)
"""Legacy encodings tried when a file is not UTF-8, with the script their text is in."""

LABELS = {"gb18030": "GB18030", "cp1256": "Windows-1256", "utf-8": "UTF-8"}

_NEUTRAL = frozenset("\u200c\u200d\u200e\u200f\u00ab\u00bb\u060c\u061b\u061f")
"""Joiners, direction marks and punctuation that Arabic-script text uses beside letters."""

SUPPORTED = ("utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk", "cp1256")


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from a file, with the encoding used and how it was chosen."""

    text: str
    encoding: str
    detected: bool


def _script_share(text: str, script: str) -> float:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 0.0
    hits = 0
    for ch in non_ascii:
        name = unicodedata.name(ch, "")
        if script in name or (script == "ARABIC" and "PERSIAN" in name):
            hits += 1
    return hits / len(non_ascii)


def _arabic_letters(line: bytes) -> tuple[int, float]:
    """Arabic-script letters of ``line`` read as Windows-1256, and their share of its
    non-ASCII characters."""
    chars = [c for c in line.decode("cp1256") if ord(c) > 127 and c not in _NEUTRAL]
    letters = sum(1 for c in chars if "ARABIC" in unicodedata.name(c, ""))
    return letters, letters / len(chars) if chars else 0.0


def _common_hanzi_share(line: bytes) -> float | None:
    """Share of the CJK characters of ``line`` (as GB18030) that are among the 3,755 most
    common ones (GB 2312 level 1); ``None`` when it is not GB18030 text."""
    try:
        text = line.decode("gb18030")
    except UnicodeDecodeError:
        return None
    hanzi = [c for c in text if ord(c) > 127 and unicodedata.category(c) == "Lo"]
    if not hanzi:
        return None
    common = 0
    for char in hanzi:
        code = char.encode("gb18030")
        common += len(code) == 2 and 0xB0 <= code[0] <= 0xD7 and code[1] >= 0xA1
    return common / len(hanzi)


def _line_encoding(line: bytes, *, clear: bool = True) -> str | None:
    """The encoding a non-ASCII line is written in, when that is clear (with
    ``clear=False``: when it is likely)."""
    try:
        line.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    letters, share = _arabic_letters(line)
    if letters >= 3 and share >= 0.9:
        common = _common_hanzi_share(line)
        # Any byte pairs read as GB18030 give CJK characters; Chinese text is almost all
        # common ones, Windows-1256 Persian read that way is not.
        if common is None or common < 0.8 or letters >= 12 or not clear:
            return "cp1256"
    common = _common_hanzi_share(line)
    if common is not None and common >= 0.9 and share < 0.7:
        return "gb18030"
    return None


def inconsistent_lines(data: bytes, encoding: str) -> dict[str, list[int]]:
    """Line numbers of ``data`` in another encoding than ``encoding``, by that encoding.

    Empty when no line is clearly in another encoding; otherwise every line that likely
    is, so that the message names them all.
    """
    lines = [(n, line) for n, line in enumerate(data.split(b"\n"), start=1) if not line.isascii()]
    if all(_line_encoding(line) in (None, encoding) for _, line in lines):
        return {}
    found: dict[str, list[int]] = {}
    for number, line in lines:
        other = _line_encoding(line, clear=False)
        if other is not None and other != encoding:
            found.setdefault(other, []).append(number)
    return found


def _refuse_mixed(data: bytes, encoding: str, source: str) -> None:
    found = inconsistent_lines(data, encoding)
    if not found:
        return
    parts = []
    for other, lines in found.items():
        shown = ", ".join(str(n) for n in lines[:10])
        more = f" (and {len(lines) - 10} more)" if len(lines) > 10 else ""
        parts.append(f"line{'s' if len(lines) > 1 else ''} {shown}{more} look like {LABELS[other]}")
    raise IngestError(
        f"{source}: the text encoding is not the same on every line: the file reads as "
        f"{encoding}, but {'; '.join(parts)}. Save the whole file in one encoding "
        f"(UTF-8), or give --encoding {encoding} if those lines are right"
    )


def decode_bytes(data: bytes, *, encoding: str | None = None, source: str = "file") -> DecodedText:
    """Decode ``data``; with ``encoding=None`` detect it as described in the module doc."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise IngestError(
                f"{source}: unknown encoding {encoding!r}; use one of {', '.join(SUPPORTED)}"
            ) from None
        try:
            return DecodedText(data.decode(encoding), encoding, detected=False)
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{source}: cannot be read as {encoding}: byte {exc.start} "
                f"({data[exc.start : exc.start + 1]!r}) is not valid; "
                "leave out --encoding to detect it"
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return DecodedText(data.decode("utf-8-sig"), "utf-8-sig", detected=True)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DecodedText(data.decode("utf-16"), "utf-16", detected=True)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", detected=True)
    except UnicodeDecodeError:
        pass
    sample = data[:200_000]
    best: tuple[float, str] | None = None
    for name, script in LEGACY_CANDIDATES:
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        share = _script_share(text, script)
        if best is None or share > best[0]:
            best = (share, name)
    if best is None or best[0] < 0.5:
        raise IngestError(
            f"{source}: the text encoding could not be recognised (not UTF-8, GB18030 or "
            "Windows-1256); save the file as UTF-8 or give --encoding"
        )
    name = best[1]
    try:
        decoded = DecodedText(data.decode(name), name, detected=True)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{source}: looks like {name} but byte {exc.start} is not valid in it; "
            "save the file as UTF-8 or give --encoding"
        ) from None
    _refuse_mixed(data, name, source)
    return decoded
