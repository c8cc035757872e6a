"""The README's code layout names every package under ``src/cxgap`` and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_layout_lists_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout of the code", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))
    packages = {
        p.name for p in (ROOT / "src" / "cxgap").iterdir() if p.is_dir() and any(p.glob("*.py"))
    }
    assert packages, "no packages found under src/cxgap"
    assert listed == packages, f"missing: {packages - listed}, not a package: {listed - packages}"
