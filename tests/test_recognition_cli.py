"""``cxgap contacts import`` and ``cxgap cases award`` through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cxgap.services.accounts import create_account
from cxgap.store.database import get_engine, upgrade

Cli = Callable[..., tuple[int, str, str]]


def test_import_and_award_in_three_languages(cli: Cli, tmp_path: Path) -> None:
    db = str(tmp_path / "award.db")
    engine = get_engine(db)
    upgrade(engine)
    create_account(engine, "ana@example.org", "a-long-Passw0rd-for-tests", role="agent", actor="t")
    encounters = tmp_path / "encounters.csv"
    encounters.write_text(
        "customer,occurred_at,channel,touchpoint,outcome,staff,team\n"
        "C1,2026-07-01 10:00,phone,billing,resolved,ana@example.org,north\n"
        "C2,2026-07-02 10:00,phone,billing,resolved,ben@example.org,north\n",
        encoding="utf-8",
    )
    code, out, err = cli("--db", db, "contacts", "import", str(encounters), "--kind", "encounters")
    assert code == 0, err
    assert "stored 2 encounters rows" in out and "2 naming staff" in out
    feedback = tmp_path / "feedback.csv"
    rows = [
        'F1,web,en,"Friendly, thank you",2026-07-03,ana@example.org,north',
        "F2,web,fa,کارکنان مهربان بودند، ممنون,2026-07-04,ben@example.org,north",
        "F3,web,zh,没有人回电话,2026-07-05,ben@example.org,north",
        "F4,web,en,Kind and quick,2026-07-06,B&lt;b&gt;o,south",
    ]
    feedback.write_text(
        "feedback_id,channel,language,text,received_at,staff,team\n" + "\n".join(rows[:3]) + "\n",
        encoding="utf-8",
    )
    code, out, err = cli(
        "--db", db, "contacts", "import", str(feedback), "--kind", "feedback", "--json"
    )
    assert code == 0, err
    assert json.loads(out) == {
        "kind": "feedback",
        "rows": 3,
        "with_staff": 3,
        "customers_created": 0,
    }
    code, out, err = cli("--db", db, "cases", "award", "--quarter", "2026Q3", "--json")
    assert code == 0, err
    delight = {
        r["name"]: (r["delighted"], r["contacts"]) for r in json.loads(out)["delight"]["people"]
    }
    assert delight == {"ana@example.org": (1, 1), "ben@example.org": (1, 2)}
    for lang, title in (("en", "Service award 2026Q3"), ("zh", "服务奖"), ("fa", "جایزه خدمت")):
        page = tmp_path / f"award-{lang}.html"
        code, _, err = cli(
            "--db", db, "cases", "award", "--quarter", "2026Q3", "--out", str(page), "--lang", lang
        )
        assert code == 0, err
        html = page.read_text(encoding="utf-8")
        assert title in html and "ben@example.org" in html and f'lang="{lang}"' in html
        assert ('dir="rtl"' in html) == (lang == "fa")
    own = tmp_path / "own.html"
    code, _, err = cli(
        "--db", db, "cases", "award", "--quarter", "2026Q3", "--as", "ana@example.org",
        "--out", str(own),
    )  # fmt: skip
    assert code == 0, err
    html = own.read_text(encoding="utf-8")
    assert "ana@example.org" in html and "ben@example.org" not in html
    assert "You see your own figures only." in html
    code, _, err = cli("--db", db, "cases", "award", "--quarter", "2026Q3", "--lang", "de")
    assert code == 2 and "allowed: en, zh, fa" in err and "Traceback" not in err
    code, _, err = cli("--db", db, "cases", "award", "--quarter", "Q3-2026")
    assert code == 3 and "YYYYQn" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("feedback_id,channel,language,text,received_at,staff,team\n" + rows[3] + "\n")
    code, _, err = cli("--db", db, "contacts", "import", str(bad), "--kind", "feedback")
    assert code == 3 and "row 2: staff 'B&lt;b&gt;o' is not allowed" in err
