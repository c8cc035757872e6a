"""The statistics core stays pure: no other cxgap layer, no file or network I/O.

Every module under ``src/cxgap/stats`` may import the standard library (minus its I/O
modules), numpy, scipy, pandas and scikit-learn, ``cxgap.errors`` and ``cxgap.stats.*``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import cxgap.stats

STATS_DIR = Path(cxgap.stats.__file__).parent
THIRD_PARTY = {"numpy", "scipy", "pandas", "sklearn"}
IO_MODULES = {
    "asyncio", "csv", "ftplib", "glob", "http", "importlib", "io", "mmap", "os", "pathlib",
    "pickle", "shelve", "shutil", "smtplib", "socket", "sqlite3", "ssl", "subprocess", "sys",
    "tarfile", "tempfile", "urllib", "zipfile",
}  # fmt: skip
ALLOWED_MODULES = (set(sys.stdlib_module_names) - IO_MODULES) | THIRD_PARTY
IO_FUNCTIONS = {"open", "__import__", "exec", "eval", "input"}
IO_METHODS = {
    "read_csv", "read_excel", "read_feather", "read_hdf", "read_json", "read_parquet",
    "read_pickle", "read_sql", "read_sql_query", "read_sql_table", "read_table", "to_csv",
    "to_excel", "to_feather", "to_hdf", "to_parquet", "to_pickle", "to_sql", "tofile",
    "urlopen", "write_text", "write_bytes", "read_text", "read_bytes",
}  # fmt: skip
NUMPY_IO = {"load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
            "fromfile", "memmap"}  # fmt: skip


def _absolute(node: ast.ImportFrom, module_name: str) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module_name.split(".")
    base = parts[: len(parts) - node.level]
    return ".".join(base + ([node.module] if node.module else []))


def violations(source: str, module_name: str) -> list[str]:
    """Forbidden imports and I/O calls in ``source`` (module ``module_name``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [_absolute(node, module_name)]
        for name in names:
            top = name.split(".")[0]
            if top == "cxgap":
                if not (name == "cxgap.errors" or name.split(".")[:2] == ["cxgap", "stats"]):
                    found.append(f"line {node.lineno}: imports {name}")
            elif top != "__future__" and top not in ALLOWED_MODULES:
                found.append(f"line {node.lineno}: imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in IO_FUNCTIONS:
                found.append(f"line {node.lineno}: calls {func.id}()")
            elif isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else ""
                if func.attr in IO_METHODS or (owner in {"np", "numpy"} and func.attr in NUMPY_IO):
                    found.append(f"line {node.lineno}: calls .{func.attr}()")
    return found


def stats_files() -> list[tuple[Path, str]]:
    out = []
    for path in sorted(STATS_DIR.rglob("*.py")):
        parts = list(path.relative_to(STATS_DIR.parent.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = [*parts[:-1], "__init__"]  # relative imports resolve from the package
        out.append((path, ".".join(parts)))
    return out


@pytest.mark.parametrize(("path", "module"), stats_files(), ids=lambda v: str(v)[-40:])
def test_module_is_pure(path: Path, module: str) -> None:
    assert violations(path.read_text(encoding="utf-8"), module) == []


def test_scanner_finds_what_it_should() -> None:
    source = """
import os
import statsmodels.api as sm
from cxgap.store import database
from ..services import surveys
from cxgap.stats import result
from . import gaps
import numpy as np
import pandas as pd
np.save("x.npy", 1)
pd.read_csv("x.csv")
frame.to_parquet("x.parquet")
with open("x") as fh:
    pass
"""
    found = violations(source, "cxgap.stats.example")
    assert found == [
        "line 2: imports os",
        "line 3: imports statsmodels.api",
        "line 4: imports cxgap.store",
        "line 5: imports cxgap.services",
        "line 10: calls .save()",
        "line 11: calls .read_csv()",
        "line 12: calls .to_parquet()",
        "line 13: calls open()",
    ]


def test_every_module_imports() -> None:
    names = [
        info.name for info in pkgutil.walk_packages(cxgap.stats.__path__, prefix="cxgap.stats.")
    ]
    assert "cxgap.stats.gaps" in names
    for name in names:
        importlib.import_module(name)


def test_importing_stats_loads_no_other_layer() -> None:
    code = (
        "import pkgutil, importlib, sys, cxgap.stats as s\n"
        "for m in pkgutil.walk_packages(s.__path__, prefix='cxgap.stats.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('cxgap'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    others = [
        m for m in loaded if m not in {"cxgap", "cxgap.errors"} and not m.startswith("cxgap.stats")
    ]
    assert "cxgap.stats.gaps" in loaded
    assert others == []
