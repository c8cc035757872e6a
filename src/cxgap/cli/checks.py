"""Checks of command-line values made before any work starts: output files and languages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cxgap.errors import ConfigurationError


def output_file(path: Path, option: str = "--out", *, suffixes: Sequence[str] = ()) -> Path:
    """``path`` if a file can be written there with one of ``suffixes`` (any when empty);
    else a :class:`ConfigurationError` naming the option, the folder or suffix, and what is
    allowed."""
    if suffixes and path.suffix.lower() not in suffixes:
        got = path.suffix or "a file name without extension"
        raise ConfigurationError(
            f"{option} {path}: cannot write {got}; use one of {', '.join(suffixes)}"
        )
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigurationError(
            f"{option} {path}: the folder {folder} {what}; create it first or choose another"
        )
    if path.is_dir():
        raise ConfigurationError(f"{option} {path} is a folder; give a file name")
    return path


def language(value: str | None, option: str = "--lang") -> str | None:
    """``value`` as a language code (case-insensitive: ``EN`` is ``en``); ``None`` stays."""
    from cxgap.locale import LANGUAGES

    if value is None:
        return None
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise ConfigurationError(
            f"{option} {value!r} is not a language of cxgap; use one of {', '.join(LANGUAGES)}"
        )
    return code
