"""Required items and file imports: ignored unless the instrument asks for them."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import Engine, select

from cxgap.instruments import load_instrument
from cxgap.services.imports import import_file
from cxgap.services.surveys import create_survey
from cxgap.store.database import transaction
from cxgap.store.models import QuarantinedRow, Response

from .test_import import GOOD, HEADER, write

DATA = Path(__file__).parents[1] / "data"
# r4 leaves the (required) zone-of-tolerance item rel1 empty and the optional nps too
PARTIAL = "r4,male,18-34,,,,6,5,4,,1,3,60,40,"


def survey_of(engine: Engine, tmp_path: Path, *, on_import: bool) -> str:
    data = yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8"))
    data["required_on_import"] = on_import
    path = tmp_path / f"mini-{on_import}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    key = f"s-{on_import}".lower()
    with transaction(engine) as session:
        create_survey(session, key, instrument=load_instrument(path))
    return key


def test_imports_keep_partial_rows_by_default(engine: Engine, tmp_path: Path) -> None:
    survey = survey_of(engine, tmp_path, on_import=False)
    summary = import_file(
        engine, write(tmp_path / "a.csv", [HEADER, *GOOD, PARTIAL]), survey=survey
    )
    assert (summary.accepted, summary.rejected) == (4, 0)


def test_an_instrument_may_ask_imports_to_refuse_them(engine: Engine, tmp_path: Path) -> None:
    survey = survey_of(engine, tmp_path, on_import=True)
    summary = import_file(
        engine, write(tmp_path / "a.csv", [HEADER, *GOOD, PARTIAL]), survey=survey
    )
    assert (summary.accepted, summary.rejected) == (3, 1)
    with transaction(engine) as session:
        reasons = [str(r.reason) for r in session.scalars(select(QuarantinedRow))]
        kept = sorted(session.scalars(select(Response.respondent_key)))
    assert kept == ["r1", "r2", "r3"]
    assert len(reasons) == 1 and "required item 'rel1' has no answer" in reasons[0]
    assert "nps" not in reasons[0]  # a rating is optional
