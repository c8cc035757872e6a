"""The settings object, the README's settings table and ``cxgap settings``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cxgap.errors import ConfigurationError
from cxgap.settings import Settings, WebSettings, get_settings, load_settings, setting_fields

Cli = Callable[..., tuple[int, str, str]]
README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_table() -> dict[str, tuple[str, str]]:
    """The README's settings table: variable -> (setting, default)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Settings\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[1].startswith("`CXGAP_"):
            continue
        rows[cells[1].strip("`")] = (cells[0].strip("`"), cells[2].strip("`"))
    return rows


def _shown_default(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_the_readme_table_lists_every_setting_with_its_variable_and_default() -> None:
    table = _readme_table()
    fields = {env: (path, field) for path, env, field in setting_fields()}
    assert sorted(table) == sorted(fields), "README settings table and Settings differ"
    for env, (path, field) in fields.items():
        setting, default = table[env]
        assert setting == path, f"{env}: README names {setting!r}, the settings {path!r}"
        expected = _shown_default(field.get_default(call_default_factory=True))
        assert default == expected, f"{env}: README default {default!r}, settings {expected!r}"
        assert field.description, f"{path} has no description"


def test_every_variable_names_one_setting() -> None:
    names = [env for _, env, _ in setting_fields()]
    assert len(names) == len(set(names))
    assert {"CXGAP_DATABASE_URL", "CXGAP_SECRET_KEY", "CXGAP_BASE_URL", "CXGAP_SECURE_COOKIES",
            "CXGAP_PROXY_HEADERS", "CXGAP_FORWARDED_ALLOW_IPS", "CXGAP_IMPORT_MAX_FILE_MB",
            "CXGAP_IMPORT_MAX_UNPACKED_MB", "CXGAP_IMPORT_BATCH_ROWS",
            "CXGAP_ARROW_READER_MIN_ROWS", "CXGAP_MIN_SEGMENT_SIZE"} <= set(names)  # fmt: skip


def test_nested_parts_read_the_existing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXGAP_IMPORT_MAX_FILE_MB", "7")
    monkeypatch.setenv("CXGAP_MIN_SEGMENT_SIZE", "5")
    monkeypatch.setenv("CXGAP_PROXY_HEADERS", "1")
    monkeypatch.setenv("CXGAP_BASE_URL", "https://cx.example.org")
    monkeypatch.setenv("CXGAP_BASELINE", "1")  # not a setting: code only
    settings = Settings()
    assert settings.imports.max_file_mb == 7
    assert settings.analysis.min_segment_size == 5
    assert settings.web.proxy_headers is True
    assert settings.web.cookies_secure is True  # implied by the https address
    assert settings.web.baseline is False
    assert WebSettings(secure_cookies=False, base_url="https://x.org").cookies_secure is False


def test_a_bad_value_names_the_variable_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    monkeypatch.setenv("CXGAP_MAX_ANSWERS", "many")
    with pytest.raises(ConfigurationError, match=r"CXGAP_MAX_ANSWERS='many'.*valid integer"):
        load_settings()
    get_settings.cache_clear()
    try:
        code, _, err = cli("settings")
    finally:
        get_settings.cache_clear()
    assert code == 2
    assert "CXGAP_MAX_ANSWERS" in err and "Traceback" not in err


def test_cxgap_settings_prints_values_and_their_sources(
    monkeypatch: pytest.MonkeyPatch, cli: Cli, tmp_path: Path
) -> None:
    monkeypatch.setenv("CXGAP_SECRET_KEY", "a very secret key")
    monkeypatch.setenv("CXGAP_SESSION_HOURS", "3")
    get_settings.cache_clear()
    try:
        code, out, _ = cli("--db", tmp_path / "x.db", "settings", "--json")
        table_code, table, _ = cli("settings")
    finally:
        get_settings.cache_clear()
    assert code == 0 and table_code == 0
    rows = {row["variable"]: row for row in json.loads(out)}
    assert sorted(rows) == sorted(env for _, env, _ in setting_fields())
    assert rows["CXGAP_DATABASE_URL"]["source"] == "command line"
    assert rows["CXGAP_DATABASE_URL"]["option"] == "--db"
    assert rows["CXGAP_DATABASE_URL"]["value"].endswith("x.db")
    assert rows["CXGAP_SECRET_KEY"]["source"] == "environment"
    assert rows["CXGAP_SESSION_HOURS"] == rows["CXGAP_SESSION_HOURS"] | {
        "setting": "web.session_hours", "value": 3.0, "default": 12, "source": "environment"
    }  # fmt: skip
    assert rows["CXGAP_MAX_ANSWERS"]["source"] == "default"
    assert all(row["description"] for row in rows.values())
    assert "a very secret key" not in out and "a very secret key" not in table
    assert re.search(r"CXGAP_SESSION_HOURS\s*│\s*3\.0\s*│\s*environment", table)


def test_passwords_in_database_urls_are_masked(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    monkeypatch.setenv("CXGAP_DATABASE_URL", "postgresql+psycopg://cx:hunter22@db/cx")
    get_settings.cache_clear()
    try:
        code, out, _ = cli("settings", "--json")
    finally:
        get_settings.cache_clear()
    assert code == 0 and "hunter22" not in out
    rows = {row["variable"]: row for row in json.loads(out)}
    assert rows["CXGAP_DATABASE_URL"]["value"] == "postgresql+psycopg://cx:***@db/cx"
