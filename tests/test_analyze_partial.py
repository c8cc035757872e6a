"""A survey whose respondents skipped a whole part (here every Kano question) is
analysed and reported without that part's numbers, never with a crash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from cxgap.services.imports import import_file

Cli = Callable[..., tuple[int, str, str]]


def test_analyze_and_report_without_kano_answers(
    cli: Cli, engine: Engine, mini_survey: str, tmp_path: Path
) -> None:
    lines = ["respondent_id,rel1_adequate,rel1_desired,rel1_perceived,nps,comment"]
    lines += [f"r{n},{3 + n % 3},{7 + n % 3},{2 + n % 7},{n % 11},ok" for n in range(40)]
    source = tmp_path / "no-kano.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(engine, source, survey=mini_survey)
    db = engine.url.database or ""
    code, out, err = cli("--db", db, "analyze", "--survey", mini_survey)
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "KeyError" not in out + err
    assert "left out" in out + err  # the note says which part and why
    report = tmp_path / "r.html"
    code, _, err = cli("--db", db, "report", "--survey", mini_survey, "--out", report)
    assert code == 0, err
    assert report.read_text(encoding="utf-8").count("<section") > 2
