"""Printing text that came from users (file, survey and column names, cell values,
reasons quoting them) so that the terminal shows it literally.

Rich would read ``[bold red]`` in a file name as markup, and an ESC character in a cell
would reach the terminal as a control sequence; :func:`shown` makes both visible as text.
"""

from __future__ import annotations

from rich.markup import escape

from cxgap.text import forbidden_characters


def visible(text: object, *, multiline: bool = False) -> str:
    """``text`` with every control character written as an escape (``\\x1b``); with
    ``multiline``, line breaks are kept."""
    value = str(text)
    found = forbidden_characters(value, multiline=multiline)
    if not found:
        return value
    parts: list[str] = []
    last = 0
    for position, char in found:
        code = ord(char)
        parts += [value[last:position], f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"]
        last = position + 1
    parts.append(value[last:])
    return "".join(parts)


def shown(text: object, *, multiline: bool = False) -> str:
    """``text`` made safe to put into Rich markup: controls visible (line breaks kept with
    ``multiline``), markup escaped."""
    return escape(visible(text, multiline=multiline))
