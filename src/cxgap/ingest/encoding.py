"""Text encoding detection for imported CSV files.

Survey exports arrive as UTF-8 (with or without a byte-order mark), as GB18030/GBK from
Chinese spreadsheet software, or as Windows-1256 from Persian and Arabic Windows systems.
Detection order: a BOM decides; strict UTF-8 is tried next; otherwise each legacy
candidate decodes the bytes and the one whose non-ASCII characters are best explained by
its own script (CJK for GB18030, Arabic script for Windows-1256) wins.
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
        return DecodedText(data.decode(name), name, detected=True)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{source}: looks like {name} but byte {exc.start} is not valid in it; "
            "save the file as UTF-8 or give --encoding"
        ) from None
